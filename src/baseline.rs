//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports only
//! the ones it does not list. A finding is matched by its rule, its path (relative to the
//! baseline's folder) and a fingerprint of its normalised source line(s), as many times as the
//! baseline records that triple: moving code or editing elsewhere keeps it matched, and a new
//! finding on a line of its own is reported. The same fingerprints are SARIF's
//! `partialFingerprints`.

use crate::diagnostic::Diagnostic;
use crate::engine::Report;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// 64-bit FNV-1a: small, fixed forever (fingerprints are stored by users and code hosts).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The source lines a finding's primary span covers without any whitespace, joined by `\n`:
/// moving, indenting or reformatting the code keeps it.
pub fn normalised_lines(report: &Report, d: &Diagnostic) -> String {
    let f = &report.files[d.file];
    let (start, end) = super::render::range(report, d.file, d.span);
    (start.line..=end.line.max(start.line))
        .map(|l| f.line_text(l).split_whitespace().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stable hex fingerprint of `rule`, `path` and the normalised source line(s).
pub fn fingerprint(rule: &str, path: &str, normalised: &str) -> String {
    let mut bytes = Vec::with_capacity(rule.len() + path.len() + normalised.len() + 2);
    bytes.extend_from_slice(rule.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(path.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(normalised.as_bytes());
    format!("{:016x}", fnv1a(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fixed() {
        // Stored by users and code hosts: this value must never change.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fingerprint("r", "p", "x"),
            fingerprint("r", "p", "x"),
            "deterministic"
        );
        assert_ne!(fingerprint("r", "p", "x"), fingerprint("r", "q", "x"));
    }
}

/// One recorded finding. `line` and `message` are for people reading the file; matching uses
/// `rule`, `path` and `fingerprint`, and how many times that triple occurs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

pub const VERSION: u32 = 1;

/// A finding's path as a baseline records it: relative to the baseline file's folder when the
/// finding is inside it, else the path shown to the user; always with `/`.
fn path_for(report: &Report, file: usize, base: &Path) -> String {
    let f = &report.files[file];
    let abs = crate::workspace::normalize(&std::path::absolute(&f.path).unwrap_or_default());
    match abs.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => crate::workspace::slash_path(rel),
        _ => f.display.clone(),
    }
}

fn base_dir(file: &Path) -> PathBuf {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let abs = crate::workspace::normalize(&abs);
    abs.parent().map(Path::to_path_buf).unwrap_or(abs)
}

fn entry(report: &Report, d: &Diagnostic, base: &Path) -> Entry {
    let path = path_for(report, d.file, base);
    let normalised = normalised_lines(report, d);
    Entry {
        fingerprint: fingerprint(&d.rule, &path, &normalised),
        rule: d.rule.to_string(),
        line: report.files[d.file].line_col(d.span.start).line,
        message: d.message.clone(),
        path,
    }
}

/// Writes every finding of `report` to `file`; returns how many.
pub fn write(report: &Report, file: &Path) -> Result<usize, String> {
    let base = base_dir(file);
    let mut findings: Vec<Entry> = report
        .diagnostics
        .iter()
        .map(|d| entry(report, d, &base))
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, a.line, &a.rule, &a.fingerprint).cmp(&(&b.path, b.line, &b.rule, &b.fingerprint))
    });
    let n = findings.len();
    let text = serde_json::to_string_pretty(&Baseline {
        version: VERSION,
        findings,
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(file, text + "\n").map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(n)
}

pub fn read(file: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "{}: cannot read the baseline: {}",
            file.display(),
            crate::workspace::io_reason(&e)
        )
    })?;
    let baseline: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a scalelint baseline: {e}", file.display()))?;
    if baseline.version != VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {VERSION}); write it again with --write-baseline",
            file.display(),
            baseline.version
        ));
    }
    Ok(baseline)
}

/// What applying a baseline did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings hidden because the baseline lists them.
    pub hidden: usize,
    /// Baseline entries that no longer occur.
    pub stale: Vec<Entry>,
}

/// Drops the findings `baseline` lists (as many of each rule, path and fingerprint as it
/// records) and says which entries no longer occur.
pub fn apply(report: &mut Report, baseline: &Baseline, file: &Path) -> Applied {
    let base = base_dir(file);
    let mut left: HashMap<(String, String, String), Vec<&Entry>> = HashMap::new();
    for e in &baseline.findings {
        left.entry((e.rule.clone(), e.path.clone(), e.fingerprint.clone()))
            .or_default()
            .push(e);
    }
    let mut hidden = 0;
    let diagnostics = std::mem::take(&mut report.diagnostics);
    for d in diagnostics {
        let e = entry(report, &d, &base);
        match left.get_mut(&(e.rule, e.path, e.fingerprint)) {
            Some(entries) if !entries.is_empty() => {
                entries.pop();
                hidden += 1;
            }
            _ => report.diagnostics.push(d),
        }
    }
    report.summary.findings = report.diagnostics.len();
    let mut stale: Vec<Entry> = left.into_values().flatten().cloned().collect();
    stale.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    Applied { hidden, stale }
}
