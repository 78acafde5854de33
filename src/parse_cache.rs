//! Parsed files kept between analyses of the same workspace (`scalelint server`): a file whose
//! text and module path are what they were last time is not parsed again. Facts depend on
//! nothing else, so a cached file gives exactly what parsing it would.

use crate::facts::FileFacts;
use crate::source::Span;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What parsing one file gave: its facts, or the parse error's message and place.
pub type Parsed = Result<Box<FileFacts>, (String, Span)>;

struct Entry {
    text: Arc<str>,
    module: Vec<String>,
    parsed: Parsed,
}

/// Shared by the clones of one `engine::Options` (and by the analyses that reuse them).
#[derive(Clone, Default)]
pub struct ParseCache(Arc<Mutex<HashMap<PathBuf, Entry>>>);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files = self.0.lock().map_or(0, |m| m.len());
        write!(f, "ParseCache({files} files)")
    }
}

impl ParseCache {
    /// The facts of `path` when it was last parsed from this very text and module path.
    pub fn get(&self, path: &Path, text: &str, module: &[String]) -> Option<Parsed> {
        let map = self.0.lock().ok()?;
        let e = map.get(path)?;
        (&*e.text == text && e.module == module).then(|| e.parsed.clone())
    }

    pub fn put(&self, path: &Path, text: &str, module: Vec<String>, parsed: &Parsed) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(
                path.to_path_buf(),
                Entry {
                    text: Arc::from(text),
                    module,
                    parsed: parsed.clone(),
                },
            );
        }
    }

    /// Forgets every file (a configuration or manifest changed).
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
