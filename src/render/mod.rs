//! Output formats, one file each.

pub mod github;
pub mod human;
pub mod json;
pub mod rustc_json;
pub mod sarif;
pub mod short;

use crate::engine::Report;
use crate::source::{LineCol, Span};
use std::path::{Path, PathBuf};

/// 1-based start and end of a span in a file of the report.
pub fn range(report: &Report, file: usize, span: Span) -> (LineCol, LineCol) {
    let f = &report.files[file];
    (f.line_col(span.start), f.line_col(span.end))
}

/// The repository root: the nearest folder holding `.git` (a folder, or a file in a worktree
/// or submodule) from the current directory upward.
pub fn repo_root() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Paths as code hosts want them: relative to the repository root, with `/`.
/// Files outside the repository (or no repository) keep their display path.
pub struct RepoPaths {
    root: Option<PathBuf>,
}

impl RepoPaths {
    pub fn discover() -> RepoPaths {
        RepoPaths { root: repo_root() }
    }

    pub fn of(&self, report: &Report, file: usize) -> String {
        let f = &report.files[file];
        let abs = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone());
        let abs = crate::workspace::normalize(&abs);
        match self.root.as_ref().and_then(|r| abs.strip_prefix(r).ok()) {
            Some(rel) if !rel.as_os_str().is_empty() => crate::workspace::slash_path(rel),
            _ => f.display.clone(),
        }
    }
}
