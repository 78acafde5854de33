//! Output formats, one file each.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
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

/// `--statistics`: how many findings each rule has, most first (ruff's `--statistics`), as
/// text (`count  rule  [*]  summary`, `[*]` when some are fixable with --fix) or as JSON.
pub fn statistics(report: &Report, json: bool) -> String {
    use crate::diagnostic::Applicability;
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for d in &report.diagnostics {
        let c = counts.entry(&d.rule).or_default();
        c.0 += 1;
        if d.fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Machine && !f.edits.is_empty())
        {
            c.1 += 1;
        }
    }
    let mut rows: Vec<(&str, usize, usize)> =
        counts.into_iter().map(|(r, (n, f))| (r, n, f)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(rule, count, fixable)| {
                serde_json::json!({"rule": rule, "count": count, "fixable": fixable})
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
        s.push('\n');
        return s;
    }
    let count_width = rows
        .iter()
        .map(|r| r.1.to_string().len())
        .max()
        .unwrap_or(1);
    let rule_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (rule, count, fixable) in rows {
        let summary = crate::rules::meta(rule).map_or("", |m| m.summary);
        out.push_str(&format!(
            "{count:>count_width$}  {rule:rule_width$}  {}  {summary}\n",
            if fixable > 0 { "[*]" } else { "   " }
        ));
    }
    out
}
