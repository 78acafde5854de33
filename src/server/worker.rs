//! The analysis thread: one workspace at a time, the newest texts, debounced; what it finds is
//! published for every file it touches, and files whose findings are gone are cleared.

use super::transport::Out;
use super::{Shared, convert};
use crate::engine::{self, Report};
use crate::parse_cache::ParseCache;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Message, Notification};
use lsp_types as lsp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// Opened or saved: analyse as soon as the thread is free.
    Now,
    /// Typed: wait for a pause in the edits.
    Debounced,
}

pub enum Job {
    Analyse {
        root: PathBuf,
        delay: Delay,
    },
    /// Settings or manifests changed: parse everything again.
    Forget,
}

/// One published analysis of a workspace.
pub struct Analysis {
    pub root: PathBuf,
    pub report: Report,
    /// The texts analysed in place of the disk's (the open documents'), by path.
    pub overlay: BTreeMap<PathBuf, String>,
    /// The files diagnostics were published for (cleared when next published without any).
    pub published: HashSet<PathBuf>,
}

pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

pub fn start(shared: Arc<Shared>, out: Sender<Out>) -> (Sender<Job>, std::thread::JoinHandle<()>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = std::thread::Builder::new()
        .name("scalelint-analysis".into())
        .spawn(move || Worker::new(shared, out).run(&rx))
        .expect("cannot start the analysis thread");
    (tx, handle)
}

struct Worker {
    shared: Arc<Shared>,
    out: Sender<Out>,
    /// Roots waiting, with when each is due.
    due: HashMap<PathBuf, Instant>,
    caches: HashMap<PathBuf, ParseCache>,
}

impl Worker {
    fn new(shared: Arc<Shared>, out: Sender<Out>) -> Worker {
        Worker {
            shared,
            out,
            due: HashMap::new(),
            caches: HashMap::new(),
        }
    }

    fn debounce(&self) -> Duration {
        self.shared
            .settings()
            .debounce_ms
            .map_or(DEFAULT_DEBOUNCE, Duration::from_millis)
    }

    fn take(&mut self, job: Job) {
        match job {
            Job::Analyse { root, delay } => {
                let at = match delay {
                    Delay::Now => Instant::now(),
                    Delay::Debounced => Instant::now() + self.debounce(),
                };
                // A newer edit postpones a debounced analysis; an open or save brings it forward.
                let slot = self.due.entry(root).or_insert(at);
                *slot = match delay {
                    Delay::Now => (*slot).min(at),
                    Delay::Debounced => (*slot).max(at),
                };
            }
            Job::Forget => self.caches.clear(),
        }
    }

    fn run(mut self, rx: &Receiver<Job>) {
        loop {
            let next = self
                .due
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(r, at)| (r.clone(), *at));
            let job = match next {
                None => match rx.recv() {
                    Ok(j) => Some(j),
                    Err(_) => return,
                },
                Some((_, at)) => {
                    match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(j) => Some(j),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            if let Some(job) = job {
                self.take(job);
                continue;
            }
            let Some((root, _)) = next else { continue };
            self.due.remove(&root);
            let analysis = self.analyse(&root);
            // Edits that came in meanwhile: when one is for this workspace, what was just
            // found is already out of date; it is analysed again instead of published.
            while let Ok(job) = rx.try_recv() {
                self.take(job);
            }
            if self.due.contains_key(&root) {
                continue;
            }
            if let Some(a) = analysis {
                self.publish(a);
            }
        }
    }

    fn analyse(&mut self, root: &Path) -> Option<Analysis> {
        let overlay = self.shared.overlay(root);
        let mut opts = self.shared.settings().options(root);
        opts.overlay = overlay.clone();
        opts.parse_cache = Some(self.caches.entry(root.to_path_buf()).or_default().clone());
        let run = std::panic::catch_unwind(|| engine::run(&opts));
        match run {
            Ok(Ok(report)) => Some(Analysis {
                root: root.to_path_buf(),
                report,
                overlay,
                published: HashSet::new(),
            }),
            Ok(Err(e)) => {
                self.show(lsp::MessageType::ERROR, format!("scalelint: {}", e.0));
                None
            }
            Err(_) => {
                // Whatever the panic left half-built in the cache goes with it.
                self.caches.remove(root);
                self.show(
                    lsp::MessageType::ERROR,
                    format!(
                        "scalelint: internal error while analysing {}; this is a bug, please report it",
                        root.display()
                    ),
                );
                None
            }
        }
    }

    fn show(&self, typ: lsp::MessageType, message: String) {
        let n = Notification::new(
            "window/showMessage".into(),
            lsp::ShowMessageParams { typ, message },
        );
        let _ = self.out.send(Out::Msg(Message::Notification(n)));
    }

    fn publish(&self, mut a: Analysis) {
        let enc = self.shared.encoding();
        let report = &a.report;
        let mut by_file: BTreeMap<usize, Vec<lsp::Diagnostic>> = BTreeMap::new();
        let uri_of = |p: &Path| self.shared.uri_of(p);
        let mut lines: HashMap<usize, convert::Lines> = HashMap::new();
        for d in &report.diagnostics {
            let Some(file) = report.files.get(d.file) else {
                continue;
            };
            let l = lines
                .entry(d.file)
                .or_insert_with(|| convert::Lines::new(&file.text));
            by_file
                .entry(d.file)
                .or_default()
                .push(convert::diagnostic(report, d, l, enc, &uri_of));
        }
        let previous: HashSet<PathBuf> = self
            .shared
            .analyses
            .lock()
            .ok()
            .and_then(|m| m.get(&a.root).map(|p| p.published.clone()))
            .unwrap_or_default();
        let versions: HashMap<PathBuf, i32> = self
            .shared
            .docs
            .lock()
            .map(|d| d.iter().map(|(p, d)| (p.clone(), d.version)).collect())
            .unwrap_or_default();
        let send = |path: &Path, diagnostics: Vec<lsp::Diagnostic>| {
            // The version analysed, when the document is open with that very text.
            let version = a
                .overlay
                .contains_key(path)
                .then(|| versions.get(path).copied())
                .flatten();
            let params = lsp::PublishDiagnosticsParams {
                uri: self.shared.uri_of(path),
                diagnostics,
                version,
            };
            let n = Notification::new("textDocument/publishDiagnostics".into(), params);
            let _ = self.out.send(Out::Msg(Message::Notification(n)));
        };
        let mut published = HashSet::new();
        for (file, diagnostics) in by_file {
            let path = report.files[file].path.clone();
            send(&path, diagnostics);
            published.insert(path);
        }
        // Files that had findings, and open documents of this workspace: cleared.
        let open: Vec<PathBuf> = a.overlay.keys().cloned().collect();
        let mut cleared = HashSet::new();
        for path in previous.into_iter().chain(open) {
            if !published.contains(&path) && cleared.insert(path.clone()) {
                send(&path, vec![]);
            }
        }
        a.published = published;
        if let Ok(mut m) = self.shared.analyses.lock() {
            m.insert(a.root.clone(), Arc::new(a));
        }
    }
}
