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

use crate::diagnostic::{Applicability, Diagnostic, FileId};
use crate::engine::{self, Options, Report, RunError};
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// True when `text`'s lines end in CRLF (judged by its first line ending).
pub fn is_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

/// `replacement` with the line endings of a file: `\n` becomes `\r\n` in a CRLF file.
pub fn with_line_endings(replacement: &str, crlf: bool) -> String {
    if crlf {
        replacement.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        replacement.to_string()
    }
}

/// Whether two edits of one file conflict: their ranges intersect, or both insert at one point.
fn overlaps(a: Span, b: Span) -> bool {
    (a.start < b.end && b.start < a.end)
        || (a.start == b.start && (a.start == a.end || b.start == b.end))
}

/// Splices `edits` (non-overlapping) into `text`, back to front.
pub fn apply_edits(text: &str, edits: &[(Span, String)]) -> String {
    let mut sorted: Vec<&(Span, String)> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.0.start, e.0.end)));
    let mut out = text.to_string();
    for (span, replacement) in sorted {
        out.replace_range(span.start..span.end, replacement);
    }
    out
}

/// Why a fixed text may not be written, or `None` when it parses as what it claims to be.
pub fn syntax_error(path: &Path, text: &str) -> Option<String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs") => {
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            let levels = crate::depth::estimate(body);
            if levels > crate::depth::MAX_LEVELS {
                return Some(format!("nests about {levels} levels deep without brackets"));
            }
            // Called on the main thread, whose stack is not known here: always a thread.
            crate::engine::on_stack_for(levels, 0, || {
                let result = syn::parse_file(body).err().map(|e| {
                    let at = e.span().start();
                    format!("{}:{}: {e}", at.line, at.column + 1)
                });
                proc_macro2::extra::invalidate_current_thread_spans();
                result
            })
        }
        Some("toml") => text
            .parse::<toml::Table>()
            .err()
            .map(|e| e.message().to_string()),
        _ => None,
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

/// Replaces `path`'s contents with `text` atomically: a temporary file in the same folder,
/// written and flushed to disk, given the original's permissions, owner and group, then renamed
/// over it. A symbolic link is followed (its target is rewritten). When the file no longer holds
/// `expected` (it changed since it was read), nothing is written.
///
/// A write that lands between the last check and the rename would be lost, so the file is
/// compared again right before it; on Linux the two files are then swapped with
/// `renameat2(RENAME_EXCHANGE)` and the displaced one compared once more: when it changed, the
/// swap is undone and the user's version stays. What no tool can prevent: a program that
/// already holds the file open keeps writing to the old file after the swap.
///
/// Refused (nothing written): a file with other hard links (a new file would split them), and a
/// file whose owner or group cannot be kept.
pub fn write_atomic(path: &Path, expected: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path)?;
    let unchanged =
        |at: &Path| -> std::io::Result<bool> { Ok(std::fs::read(at)? == expected.as_bytes()) };
    if !unchanged(&target)? {
        return Err(changed());
    }
    let meta = std::fs::metadata(&target)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(std::io::Error::other(format!(
                "it has {} hard links; replacing it would split them, so it was left as it is \
                 (apply the fix with --diff and `git apply`)",
                meta.nlink()
            )));
        }
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let mut n = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.scalelint-{}-{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|_| keep_owner(&file, &meta))
        .and_then(|_| file.set_permissions(meta.permissions()))
        .and_then(|_| file.sync_all());
    drop(file);
    let replaced = written.and_then(|_| {
        if !unchanged(&target)? {
            return Err(changed());
        }
        replace(&tmp, &target, &unchanged)
    });
    if let Err(e) = replaced {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable where the platform allows syncing a folder.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn changed() -> std::io::Error {
    std::io::Error::other("the file changed while scalelint was fixing it; it was left as it is")
}

/// Gives the new file the original's owner and group (a no-op for the user's own files).
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        std::io::Error::other(format!(
            "its owner and group ({}:{}) cannot be kept ({e}), so it was left as it is",
            meta.uid(),
            meta.gid()
        ))
    })
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

/// Moves `tmp` over `target`. On Linux the two are exchanged, so the displaced file can be
/// checked: when it no longer holds what was read, it is put back (and `tmp` then holds the fix,
/// removed by the caller).
#[cfg(target_os = "linux")]
fn replace(
    tmp: &Path,
    target: &Path,
    unchanged: &dyn Fn(&Path) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c =
        |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (from, to) = (c(tmp)?, c(target)?);
    let exchange = || {
        // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them as given.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    match exchange() {
        Ok(()) => {}
        // A file system without the exchange (or an old kernel): a plain rename.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            return std::fs::rename(tmp, target);
        }
        Err(e) => return Err(e),
    }
    // `tmp` now names the displaced original.
    if unchanged(tmp)? {
        std::fs::remove_file(tmp)?;
        return Ok(());
    }
    exchange()?;
    Err(changed())
}

#[cfg(not(target_os = "linux"))]
fn replace(
    tmp: &Path,
    target: &Path,
    _: &dyn Fn(&Path) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    std::fs::rename(tmp, target)
}

/// A unified diff (3 lines of context) of `old` to `new`, or an empty string when they are equal.
/// `similar` does the diffing and the hunk layout (`git apply` and `patch -p1` take it).
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_spliced_back_to_front() {
        let text = "let a = 50; let b = 40;";
        let edits = vec![
            (Span::new(8, 10), "22".to_string()),
            (Span::new(20, 22), "22".to_string()),
            (Span::new(23, 23), " // done".to_string()),
        ];
        assert_eq!(apply_edits(text, &edits), "let a = 22; let b = 22; // done");
    }

    #[test]
    fn an_insertion_at_a_replacement_goes_before_it() {
        assert_eq!(
            apply_edits(
                "abc",
                &[(Span::new(1, 2), "X".into()), (Span::new(1, 1), "<".into())]
            ),
            "a<Xc"
        );
    }

    #[test]
    fn overlap_rules() {
        assert!(overlaps(Span::new(1, 4), Span::new(3, 5)));
        assert!(overlaps(Span::new(2, 2), Span::new(2, 2)));
        assert!(overlaps(Span::new(1, 4), Span::new(2, 2)));
        assert!(!overlaps(Span::new(1, 4), Span::new(4, 6)));
        assert!(!overlaps(Span::new(1, 4), Span::new(4, 4)));
    }

    #[test]
    fn crlf_files_get_crlf_replacements() {
        assert!(is_crlf("fn main() {}\r\n"));
        assert!(!is_crlf("fn main() {}\n"));
        assert!(!is_crlf("fn main() {}"));
        assert_eq!(with_line_endings("a\nb\r\nc", true), "a\r\nb\r\nc");
        assert_eq!(with_line_endings("a\nb", false), "a\nb");
    }

    #[test]
    fn an_edit_that_breaks_the_syntax_is_caught() {
        let text = "fn main() { let n = 50; }\n";
        let broken = apply_edits(text, &[(Span::new(20, 22), "22)".into())]);
        assert!(syntax_error(Path::new("src/main.rs"), &broken).is_some());
        let fine = apply_edits(text, &[(Span::new(20, 22), "22".into())]);
        assert_eq!(syntax_error(Path::new("src/main.rs"), &fine), None);
        assert!(syntax_error(Path::new("config/default.toml"), "a = 1\nb = [").is_some());
        assert_eq!(syntax_error(Path::new(".env"), "A=(("), None);
    }

    #[test]
    fn writes_atomically_and_keeps_permissions() {
        let dir = std::env::temp_dir().join(format!("scalelint-fix-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.rs");
        std::fs::write(&path, "old\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&path, "old\n", "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // A file that changed since it was read is left alone.
        assert!(write_atomic(&path, "old\n", "newer\n").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

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

    #[test]
    fn unified_diff_matches_the_usual_shape() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n";
        assert_eq!(
            unified_diff(old, new, "a/x", "b/x"),
            "--- a/x\n+++ b/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
        assert_eq!(unified_diff(old, old, "a/x", "b/x"), "");
        // Far-apart changes get their own hunks; a missing final newline is marked.
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12";
        let new = "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve";
        assert_eq!(
            unified_diff(old, new, "a/y", "b/y"),
            "--- a/y\n+++ b/y\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n\\ No newline at end of file\n+twelve\n\\ No newline at end of file\n"
        );
        // Pure insertion into an empty file.
        assert_eq!(
            unified_diff("", "x\n", "a/z", "b/z"),
            "--- a/z\n+++ b/z\n@@ -0,0 +1 @@\n+x\n"
        );
    }
}
