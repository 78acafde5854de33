//! `--fix`, `--unsafe-fixes` and `--diff`: apply the findings' edits, safely.
//!
//! Fixes are applied in memory, pass after pass: each pass analyses the current texts (the
//! engine reads them from `Options::overlay` instead of the disk), takes every applicable fix
//! whose edits overlap no edit already taken, and splices each file's edits back to front. The
//! next pass analyses the result again; the loop ends when a pass has nothing left to apply
//! (at most [`MAX_PASSES`]; more is a bug and is reported as one). A Rust file whose result no
//! longer parses with `syn` (or a TOML file that is no longer TOML) is refused: the fixing
//! starts over without any fix that touches it, so it is written exactly as it was.
//! Only then is anything written, each file atomically (see [`write_atomic`]).

mod edits;
mod write;

pub use edits::{apply_edits, is_crlf, syntax_error, unified_diff, with_line_endings};
pub use write::write_atomic;

use edits::overlaps;

use crate::diagnostic::{Applicability, Diagnostic, FileId};
use crate::engine::{self, Options, Report, RunError};
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Analysis passes before fixing is declared not to converge.
pub const MAX_PASSES: usize = 10;

#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Apply `maybe` fixes too.
    pub unsafe_fixes: bool,
}

/// One file the fixes change.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: PathBuf,
    pub display: String,
    pub original: String,
    pub fixed: String,
}

/// A file whose fixes were refused because the result would not parse.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub path: PathBuf,
    pub display: String,
    pub reason: String,
}

/// Why findings that are still reported after fixing were not fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Remaining {
    /// The fix is a snippet for a person (or there is none).
    pub manual: usize,
    /// A `maybe` fix, and `--unsafe-fixes` was not given.
    pub unsafe_not_requested: usize,
    /// Its edits overlap another fix's, or change nothing.
    pub overlap: usize,
    /// Its file would no longer parse.
    pub would_not_parse: usize,
}

impl Remaining {
    pub fn total(&self) -> usize {
        self.manual + self.unsafe_not_requested + self.overlap + self.would_not_parse
    }
}

pub struct Outcome {
    /// The analysis of the fixed texts: what remains.
    pub report: Report,
    /// Files whose text changes, in the order of the file table.
    pub changes: Vec<FileChange>,
    /// Findings whose fix was applied, over all passes.
    pub fixed: usize,
    /// Of those, `maybe` fixes, by rule id.
    pub unsafe_applied: BTreeMap<String, usize>,
    pub refused: Vec<Refusal>,
    pub remaining: Remaining,
    pub passes: usize,
}

#[derive(Debug)]
pub enum FixError {
    Run(RunError),
    /// Fixes kept coming after [`MAX_PASSES`] passes: a rule whose fix does not remove its finding.
    NoConvergence {
        rules: Vec<String>,
        files: Vec<String>,
    },
}

impl std::fmt::Display for FixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixError::Run(e) => write!(f, "{}", e.0),
            FixError::NoConvergence { rules, files } => write!(
                f,
                "internal error: fixes did not converge after {MAX_PASSES} passes (rules {} in {}); nothing was written. This is a bug in scalelint: please report it",
                rules.join(", "),
                files.join(", ")
            ),
        }
    }
}

fn applicable(d: &Diagnostic, opts: FixOptions) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| !f.edits.is_empty() && f.applicability.applied_by_fix(opts.unsafe_fixes))
}

/// The edits one pass applies, per file, and the findings they fix.
#[derive(Default)]
struct Plan {
    edits: BTreeMap<FileId, Vec<(Span, String)>>,
    fixed: Vec<usize>,
}

/// Chooses the fixes of one pass: in the report's order, each fix whose edits are valid, change
/// something, touch no refused file and overlap no edit already taken (an identical edit is
/// shared: two findings about one `const` both get fixed by one edit).
fn plan(report: &Report, opts: FixOptions, refused: &BTreeSet<PathBuf>) -> Plan {
    let mut plan = Plan::default();
    for (i, d) in report.diagnostics.iter().enumerate() {
        if !applicable(d, opts) {
            continue;
        }
        let fix = d.fix.as_ref().unwrap();
        let mut edits = vec![];
        let mut ok = true;
        for e in &fix.edits {
            let Some(file) = report.files.get(e.file) else {
                ok = false;
                break;
            };
            let text = &file.text;
            if refused.contains(&file.path)
                || e.span.end > text.len()
                || !text.is_char_boundary(e.span.start)
                || !text.is_char_boundary(e.span.end)
            {
                ok = false;
                break;
            }
            let replacement = with_line_endings(&e.replacement, is_crlf(text));
            if text[e.span.start..e.span.end] != replacement {
                edits.push((e.file, e.span, replacement));
            }
        }
        if !ok || edits.is_empty() {
            continue;
        }
        let conflict = edits.iter().any(|(file, span, replacement)| {
            plan.edits.get(file).is_some_and(|taken| {
                taken
                    .iter()
                    .any(|(s, r)| !(s == span && r == replacement) && overlaps(*s, *span))
            })
        });
        if conflict {
            continue;
        }
        for (file, span, replacement) in edits {
            let taken = plan.edits.entry(file).or_default();
            if !taken.iter().any(|(s, r)| *s == span && *r == replacement) {
                taken.push((span, replacement));
            }
        }
        plan.fixed.push(i);
    }
    plan
}

fn classify(report: &Report, opts: FixOptions, refused: &BTreeSet<PathBuf>) -> Remaining {
    let mut r = Remaining::default();
    for d in &report.diagnostics {
        match &d.fix {
            None => r.manual += 1,
            Some(f) if f.edits.is_empty() || f.applicability == Applicability::Manual => {
                r.manual += 1
            }
            Some(f) if f.applicability == Applicability::Maybe && !opts.unsafe_fixes => {
                r.unsafe_not_requested += 1
            }
            Some(f) => {
                if f.edits.iter().any(|e| {
                    report
                        .files
                        .get(e.file)
                        .is_some_and(|x| refused.contains(&x.path))
                }) {
                    r.would_not_parse += 1
                } else {
                    r.overlap += 1
                }
            }
        }
    }
    r
}

/// Applies the fixes in memory until nothing changes and returns what would be written.
pub fn compute(opts: &Options, fix: FixOptions) -> Result<Outcome, FixError> {
    compute_with(opts, fix, &mut engine::run)
}

/// [`compute`] with the analysis given (tests give one that crafts edits).
pub fn compute_with(
    opts: &Options,
    fix: FixOptions,
    analyse: &mut dyn FnMut(&Options) -> Result<Report, RunError>,
) -> Result<Outcome, FixError> {
    let mut refused: BTreeSet<PathBuf> = BTreeSet::new();
    let mut refusals: Vec<Refusal> = vec![];
    'restart: loop {
        let mut overlay = opts.overlay.clone();
        let mut originals: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut fixed = 0;
        let mut unsafe_applied: BTreeMap<String, usize> = BTreeMap::new();
        for pass in 1.. {
            let run_opts = Options {
                overlay: overlay.clone(),
                ..opts.clone()
            };
            let report = analyse(&run_opts).map_err(FixError::Run)?;
            let plan = plan(&report, fix, &refused);
            if plan.fixed.is_empty() {
                // The texts this run edited (the report keeps only the texts it shows).
                let mut changes = vec![];
                for (path, original) in &originals {
                    let Some(fixed) = overlay.get(path) else {
                        continue;
                    };
                    if fixed != original {
                        let display = report
                            .files
                            .iter()
                            .find(|f| &f.path == path)
                            .map_or_else(|| engine::display_path(path), |f| f.display.clone());
                        changes.push(FileChange {
                            path: path.clone(),
                            display,
                            original: original.clone(),
                            fixed: fixed.clone(),
                        });
                    }
                }
                let remaining = classify(&report, fix, &refused);
                return Ok(Outcome {
                    report,
                    changes,
                    fixed,
                    unsafe_applied,
                    refused: refusals,
                    remaining,
                    passes: pass,
                });
            }
            if pass > MAX_PASSES {
                let mut rules: Vec<String> = plan
                    .fixed
                    .iter()
                    .map(|&i| report.diagnostics[i].rule.to_string())
                    .collect();
                rules.sort();
                rules.dedup();
                let files = plan
                    .edits
                    .keys()
                    .map(|&f| report.files[f].display.clone())
                    .collect();
                return Err(FixError::NoConvergence { rules, files });
            }
            let mut texts = vec![];
            for (&file, edits) in &plan.edits {
                let f = &report.files[file];
                // The report holds the text of every file a finding points into.
                let current = f.text.clone();
                originals
                    .entry(f.path.clone())
                    .or_insert_with(|| current.clone());
                let text = apply_edits(&current, edits);
                if let Some(reason) = syntax_error(&f.path, &text) {
                    refused.insert(f.path.clone());
                    refusals.push(Refusal {
                        path: f.path.clone(),
                        display: f.display.clone(),
                        reason,
                    });
                    continue 'restart;
                }
                texts.push((f.path.clone(), text));
            }
            overlay.extend(texts);
            fixed += plan.fixed.len();
            for &i in &plan.fixed {
                let d = &report.diagnostics[i];
                if d.fix.as_ref().unwrap().applicability == Applicability::Maybe {
                    *unsafe_applied.entry(d.rule.to_string()).or_default() += 1;
                }
            }
        }
        unreachable!("the pass loop returns");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary folder with two loose files, each with one oversized sqlx pool.
    /// The id of the analysed file named `name`, added to the report if no finding is in it.
    fn file_id(report: &mut Report, o: &Options, name: &str) -> FileId {
        if let Some(id) = report.files.iter().position(|f| f.path.ends_with(name)) {
            return id;
        }
        let path = o.paths[0].join(name);
        let text = o
            .overlay
            .get(&path)
            .cloned()
            .unwrap_or_else(|| std::fs::read_to_string(&path).unwrap());
        report
            .files
            .push(crate::source::SourceFile::new(path, name.into(), text));
        report.files.len() - 1
    }

    fn two_pools() -> (PathBuf, Options) {
        let dir = std::env::temp_dir().join(format!(
            "scalelint-fix-compute-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pool = "use sqlx::postgres::PgPoolOptions;\n\npub async fn connect(url: &str) -> sqlx::Result<sqlx::PgPool> {\n    PgPoolOptions::new().max_connections(50).connect(url).await\n}\n";
        std::fs::write(dir.join("a.rs"), pool).unwrap();
        std::fs::write(dir.join("b.rs"), pool).unwrap();
        let opts = Options {
            paths: vec![dir.clone()],
            ..Options::default()
        };
        (dir, opts)
    }

    #[test]
    fn a_fix_that_would_not_parse_leaves_its_file_as_it_is() {
        let (dir, opts) = two_pools();
        // The analysis as it is, except that b.rs's fix now writes `22)`.
        let mut analyse = |o: &Options| {
            let mut report = engine::run(o)?;
            for d in &mut report.diagnostics {
                if report.files[d.file].path.ends_with("b.rs") {
                    for e in &mut d.fix.as_mut().unwrap().edits {
                        e.replacement = "22)".into();
                    }
                }
            }
            Ok(report)
        };
        let outcome = compute_with(&opts, FixOptions::default(), &mut analyse).unwrap();
        let changed: Vec<_> = outcome.changes.iter().map(|c| c.path.clone()).collect();
        assert_eq!(changed.len(), 1);
        assert!(changed[0].ends_with("a.rs"));
        assert!(outcome.changes[0].fixed.contains("max_connections(22)"));
        assert_eq!(outcome.refused.len(), 1);
        assert!(outcome.refused[0].path.ends_with("b.rs"));
        assert_eq!(outcome.fixed, 1);
        assert_eq!(outcome.remaining.would_not_parse, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fixes_that_never_settle_are_a_reported_bug() {
        let (dir, opts) = two_pools();
        // Every analysis asks to insert one more comment line at the top of a.rs.
        let mut analyse = |o: &Options| {
            let mut report = engine::run(o)?;
            let file = file_id(&mut report, o, "a.rs");
            report.diagnostics.push(
                Diagnostic::new("oversized-pool", file, Span::new(0, 0), "again").fix(
                    crate::diagnostic::Fix::machine(
                        "again",
                        vec![crate::diagnostic::Edit {
                            file,
                            span: Span::new(0, 0),
                            replacement: "// again\n".into(),
                        }],
                    ),
                ),
            );
            Ok(report)
        };
        let err = compute_with(&opts, FixOptions::default(), &mut analyse)
            .err()
            .expect("no convergence");
        assert!(matches!(err, FixError::NoConvergence { .. }));
        assert!(err.to_string().contains("did not converge"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replacements_take_the_line_endings_of_a_crlf_file() {
        let (dir, opts) = two_pools();
        let a = dir.join("a.rs");
        let crlf = std::fs::read_to_string(&a).unwrap().replace('\n', "\r\n");
        std::fs::write(&a, &crlf).unwrap();
        // A fix that inserts two comment lines, written with `\n`, until they are there.
        let mut analyse = |o: &Options| {
            let mut report = engine::run(o)?;
            let file = file_id(&mut report, o, "a.rs");
            let current = o
                .overlay
                .get(&report.files[file].path)
                .cloned()
                .unwrap_or_else(|| std::fs::read_to_string(&report.files[file].path).unwrap());
            if !current.starts_with("// one") {
                let edit = crate::diagnostic::Edit {
                    file,
                    span: Span::new(0, 0),
                    replacement: "// one\n// two\n".into(),
                };
                report.diagnostics.push(
                    Diagnostic::new("oversized-pool", file, Span::new(0, 0), "comment")
                        .fix(crate::diagnostic::Fix::machine("comment", vec![edit])),
                );
            }
            Ok(report)
        };
        let outcome = compute_with(&opts, FixOptions::default(), &mut analyse).unwrap();
        let change = outcome.changes.iter().find(|c| c.path == a).unwrap();
        assert_eq!(
            change.fixed,
            format!("// one\r\n// two\r\n{}", crlf.replace("(50)", "(22)"))
        );
        assert_eq!(outcome.fixed, 3, "the comment and both pools");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_pass_shares_identical_edits_and_skips_overlapping_ones() {
        use crate::diagnostic::{Edit, Fix};
        let text = "const A: u32 = 50; const B: u32 = 60;".to_string();
        let edit = |start, end, r: &str| Edit {
            file: 0,
            span: Span::new(start, end),
            replacement: r.into(),
        };
        let finding =
            |fix: Fix| Diagnostic::new("oversized-pool", 0, Span::new(0, 1), "x").fix(fix);
        let report = Report {
            files: vec![crate::source::SourceFile::new(
                PathBuf::from("a.rs"),
                "a.rs".into(),
                text,
            )],
            diagnostics: vec![
                finding(Fix::machine("a", vec![edit(15, 17, "22")])),
                // The same edit from a second finding (two pools sharing one const).
                finding(Fix::machine("a", vec![edit(15, 17, "22")])),
                // Overlaps the first: left for the next pass.
                finding(Fix::machine("b", vec![edit(14, 17, " 21")])),
                // Changes nothing.
                finding(Fix::machine("c", vec![edit(34, 36, "60")])),
                finding(Fix::maybe("d", vec![edit(34, 36, "22")])),
                finding(Fix::manual("e")),
            ],
            summary: Default::default(),
            notes: vec![],
            capacity: vec![],
            deploy: vec![],
        };
        let p = plan(&report, FixOptions::default(), &BTreeSet::new());
        assert_eq!(p.fixed, vec![0, 1]);
        assert_eq!(p.edits[&0], vec![(Span::new(15, 17), "22".to_string())]);
        let p = plan(&report, FixOptions { unsafe_fixes: true }, &BTreeSet::new());
        assert_eq!(p.fixed, vec![0, 1, 4]);
        let r = classify(&report, FixOptions::default(), &BTreeSet::new());
        assert_eq!(
            r,
            Remaining {
                manual: 1,
                unsafe_not_requested: 1,
                overlap: 4,
                would_not_parse: 0
            }
        );
    }
}
