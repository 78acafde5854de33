//! discover → parse (in parallel) → facts → rules → suppressions and levels → sorted diagnostics.

use crate::catalog::Catalog;
use crate::config::{Config, ConfigError, Level, Overrides};
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::facts::FileFacts;
use crate::project::{Extra, Project, Unit};
use crate::rules::{self, Rule};
use crate::source::{OffsetMap, SourceFile, Span};
use crate::workspace::{self, Workspace};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub jobs: Option<usize>,
    /// Text to check in place of the file at `stdin_filename` (`-` on the command line).
    pub stdin: Option<(PathBuf, String)>,
    /// Texts to analyse in place of files on disk, by the path discovery gives them
    /// (`fix` analyses its edited texts again without writing them).
    pub overlay: std::collections::BTreeMap<PathBuf, String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    pub parse_errors: usize,
}

pub struct Report {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
    /// Remarks for the user that are not findings (loose files analysed with defaults).
    pub notes: Vec<String>,
}

/// An error that stops the run: exit code 2 with this one line.
#[derive(Debug)]
pub struct RunError(pub String);

impl From<ConfigError> for RunError {
    fn from(e: ConfigError) -> Self {
        RunError(e.0)
    }
}

/// Nesting deeper than this is reported as a parse error instead of risking the stack.
const MAX_NESTING: usize = 256;
const PARSE_STACK: usize = 64 * 1024 * 1024;

pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_ref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".into() } else { s }
}

enum Parsed {
    Ok(Box<FileFacts>),
    Err { message: String, span: Span },
}

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn parse_one(text: &str, module: Vec<String>) -> Parsed {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    if nesting_depth(body) > MAX_NESTING {
        return Parsed::Err {
            message: format!("nesting deeper than {MAX_NESTING} levels; the file was not checked"),
            span: Span::new(0, 0),
        };
    }
    let result = match syn::parse_file(body) {
        Ok(file) => {
            let offsets = OffsetMap::new(body, bom);
            let mut facts = crate::facts::visit::extract(&file, &offsets, module);
            facts.allows = crate::suppress::allow_comments(text);
            Parsed::Ok(Box::new(facts))
        }
        Err(e) => {
            let offsets = OffsetMap::new(body, bom);
            let span = offsets.span(e.span());
            Parsed::Err {
                message: format!("cannot parse: {e}"),
                span,
            }
        }
    };
    // Span locations are kept per thread until invalidated; every position is read by now.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

fn read_text(path: &Path, opts: &Options) -> Result<String, String> {
    if let Some((p, text)) = &opts.stdin
        && p == path
    {
        return Ok(text.clone());
    }
    if let Some(text) = opts.overlay.get(path) {
        return Ok(text.clone());
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read: {}", workspace::io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at offset {}); the file was not checked",
            e.utf8_error().valid_up_to()
        )
    })
}

fn config_for(ws: &Workspace, opts: &Options, known: &[&str]) -> Result<Config, RunError> {
    let root = if ws.loose {
        // A loose file: the nearest scalelint.toml above it, if any.
        ws.root
            .ancestors()
            .find(|d| d.join("scalelint.toml").is_file() || d.join(".scalelint.toml").is_file())
            .map(Path::to_path_buf)
    } else {
        Some(ws.root.clone())
    };
    Ok(Config::load(
        root.as_deref(),
        opts.config.as_deref(),
        &opts.overrides,
        known,
    )?)
}

pub fn run(opts: &Options) -> Result<Report, RunError> {
    let known: Vec<&str> = rules::all_meta().iter().map(|m| m.id).collect();
    for id in opts.select.iter().chain(&opts.ignore) {
        if !known.contains(&id.as_str()) {
            return Err(RunError(format!(
                "unknown rule `{id}` (see `scalelint rules`)"
            )));
        }
    }
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let (mut workspaces, mut notes) = workspace::discover(&paths).map_err(|e| RunError(e.0))?;
    if let Some((stdin_path, _)) = &opts.stdin
        && workspaces
            .iter()
            .all(|w| w.sources.iter().all(|s| &s.path != stdin_path))
    {
        return Err(RunError(format!(
            "{}: --stdin-filename must name a Rust file",
            stdin_path.display()
        )));
    }

    let mut files: Vec<SourceFile> = vec![];
    let mut configs = vec![];
    for ws in &mut workspaces {
        let config = config_for(ws, opts, &known)?;
        if !config.exclude_patterns.is_empty() {
            let base = config
                .source
                .as_ref()
                .and_then(|p| p.parent())
                .unwrap_or(&ws.root)
                .to_path_buf();
            let excluded = |p: &Path| config.exclude.is_match(p.strip_prefix(&base).unwrap_or(p));
            ws.sources.retain(|s| !excluded(&s.path));
            ws.extras.retain(|e| !excluded(&e.path));
        }
        configs.push(config);
    }
    let loose = workspaces
        .iter()
        .filter(|w| w.loose && !w.sources.is_empty())
        .count();
    if loose > 0 {
        notes.push(format!(
            "{loose} file(s) belong to no crate; they were analysed with the dependencies their `use` items name and default settings"
        ));
    }

    // The file table: every source and extra file, in a stable order.
    struct Pending {
        ws: usize,
        source: Option<usize>,
        extra: Option<usize>,
    }
    let mut pending = vec![];
    for (w, ws) in workspaces.iter().enumerate() {
        for i in 0..ws.sources.len() {
            pending.push(Pending {
                ws: w,
                source: Some(i),
                extra: None,
            });
        }
        for i in 0..ws.extras.len() {
            pending.push(Pending {
                ws: w,
                source: None,
                extra: Some(i),
            });
        }
    }

    let threads = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(PARSE_STACK)
        .build()
        .map_err(|e| RunError(format!("cannot start worker threads: {e}")))?;

    let loaded: Vec<(Result<String, String>, Option<Parsed>)> = pool.install(|| {
        pending
            .par_iter()
            .map(|p| {
                let ws = &workspaces[p.ws];
                match (p.source, p.extra) {
                    (Some(i), _) => {
                        let s = &ws.sources[i];
                        match read_text(&s.path, opts) {
                            Ok(text) => {
                                let parsed = parse_one(&text, s.module.clone());
                                (Ok(text), Some(parsed))
                            }
                            Err(e) => (Err(e), None),
                        }
                    }
                    (_, Some(i)) => (read_text(&ws.extras[i].path, opts), None),
                    _ => unreachable!("every pending file is a source or an extra"),
                }
            })
            .collect()
    });

    let catalog_cache: Arc<Catalog> = Arc::new(Catalog::builtin());
    let mut diagnostics: Vec<Diagnostic> = vec![];
    let mut projects: Vec<Project> = vec![];
    let mut summary = Summary::default();
    let mut units_by_ws: Vec<Vec<Unit>> = workspaces.iter().map(|_| vec![]).collect();
    let mut extras_by_ws: Vec<Vec<Extra>> = workspaces.iter().map(|_| vec![]).collect();
    let mut reported_ids: Vec<FileId> = vec![];

    for (p, (text, parsed)) in pending.iter().zip(loaded) {
        let ws = &workspaces[p.ws];
        let path = match (p.source, p.extra) {
            (Some(i), _) => ws.sources[i].path.clone(),
            (_, Some(i)) => ws.extras[i].path.clone(),
            _ => unreachable!(),
        };
        let reported = match (p.source, p.extra) {
            (Some(i), _) => ws.sources[i].reported,
            (_, Some(i)) => ws.extras[i].reported,
            _ => false,
        };
        let id = files.len();
        let display = display_path(&path);
        match text {
            Err(message) => {
                files.push(SourceFile::new(path, display, String::new()));
                if reported {
                    summary.files += 1;
                    summary.parse_errors += 1;
                    diagnostics.push(parse_error(id, Span::new(0, 0), message));
                }
            }
            Ok(text) => {
                files.push(SourceFile::new(path.clone(), display, text));
                if reported {
                    summary.files += 1;
                    reported_ids.push(id);
                }
                match (p.source, parsed) {
                    (Some(i), Some(Parsed::Ok(facts))) => {
                        let s = &ws.sources[i];
                        units_by_ws[p.ws].push(Unit {
                            id,
                            path,
                            krate: s.krate,
                            role: s.role,
                            bin: s.bin.clone(),
                            reported,
                            facts: *facts,
                        });
                    }
                    (Some(_), Some(Parsed::Err { message, span })) => {
                        if reported {
                            summary.parse_errors += 1;
                            diagnostics.push(parse_error(id, span, message));
                        }
                    }
                    (_, _) => {
                        let e = &ws.extras[p.extra.unwrap()];
                        let text = files[id].text.clone();
                        extras_by_ws[p.ws].push(Extra {
                            id,
                            path,
                            kind: e.kind,
                            reported,
                            text,
                        });
                    }
                }
            }
        }
    }

    for (w, ws) in workspaces.into_iter().enumerate() {
        let config = configs[w].clone();
        let catalog = match &config.catalog {
            Some(additions) => Arc::new(Catalog::with_additions(Some(additions)).map_err(|e| {
                RunError(format!(
                    "{}: {e}",
                    config
                        .source
                        .as_ref()
                        .map_or("configuration".into(), |p| p.display().to_string())
                ))
            })?),
            None => catalog_cache.clone(),
        };
        for krate in &ws.crates {
            if let (Some(err), Some(manifest)) = (&krate.manifest_error, &krate.manifest) {
                let id = files.len();
                let text = std::fs::read_to_string(manifest).unwrap_or_default();
                let span = err
                    .span
                    .clone()
                    .map_or(Span::new(0, 0), |r| Span::new(r.start, r.end));
                files.push(SourceFile::new(
                    manifest.clone(),
                    display_path(manifest),
                    text,
                ));
                summary.parse_errors += 1;
                diagnostics.push(
                    parse_error(
                        id,
                        span,
                        format!("cannot read the manifest: {}", err.message),
                    )
                    .note("its crate was analysed without knowing its dependencies"),
                );
            }
        }
        for member in &ws.missing_members {
            notes.push(format!(
                "{}: workspace member `{member}` does not exist",
                display_path(&ws.root.join("Cargo.toml"))
            ));
        }
        let units = std::mem::take(&mut units_by_ws[w]);
        let extras = std::mem::take(&mut extras_by_ws[w]);
        projects.push(Project::new(
            ws.root, ws.loose, ws.crates, units, extras, config, catalog,
        ));
    }

    let all_rules = rules::all();
    let selected: Vec<&dyn Rule> = all_rules
        .iter()
        .map(|r| &**r)
        .filter(|r| opts.select.is_empty() || opts.select.iter().any(|s| s == r.meta().id))
        .filter(|r| !opts.ignore.iter().any(|s| s == r.meta().id))
        .collect();

    let found: Vec<Vec<Diagnostic>> = pool.install(|| {
        projects
            .par_iter()
            .flat_map(|project| {
                let per_unit: Vec<Vec<Diagnostic>> = project
                    .units
                    .par_iter()
                    .filter(|u| u.reported)
                    .map(|unit| {
                        let mut out = vec![];
                        for rule in &selected {
                            if project.config.level(rule.meta().id) != Some(Level::Allow) {
                                rule.check_unit(project, unit, &mut out);
                            }
                        }
                        out
                    })
                    .collect();
                let mut project_level = vec![];
                for rule in &selected {
                    if project.config.level(rule.meta().id) != Some(Level::Allow) {
                        rule.check_project(project, &mut project_level);
                    }
                }
                per_unit
                    .into_iter()
                    .chain(std::iter::once(project_level))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    diagnostics.extend(found.into_iter().flatten());

    // Levels: the config's, or the rule's default.
    let level_of = |d: &Diagnostic| -> Option<Severity> {
        let project = projects.iter().find(|p| {
            p.units.iter().any(|u| u.id == d.file) || p.extras.iter().any(|e| e.id == d.file)
        });
        let configured = project.and_then(|p| p.config.level(&d.rule));
        match configured {
            Some(Level::Allow) => None,
            Some(Level::Deny) => Some(Severity::Error),
            Some(Level::Warn) => Some(Severity::Warning),
            None => Some(rules::meta(&d.rule).map_or(d.severity, |m| m.default_severity)),
        }
    };
    diagnostics.retain_mut(|d| match level_of(d) {
        Some(s) => {
            d.severity = s;
            true
        }
        None => false,
    });
    diagnostics.retain(|d| {
        (opts.select.is_empty() || opts.select.iter().any(|s| **s == *d.rule))
            && !opts.ignore.iter().any(|s| **s == *d.rule)
    });

    // Suppressions, per reported file.
    let is_known = |id: &str| known.contains(&id);
    let check_unused = opts.select.is_empty() && opts.ignore.is_empty();
    let mut unused = vec![];
    for project in &projects {
        for unit in project.units.iter().filter(|u| u.reported) {
            let found = crate::suppress::apply(
                unit.id,
                &files[unit.id],
                &unit.facts.allows,
                &is_known,
                &mut diagnostics,
            );
            if check_unused && project.config.level(rules::UNUSED_ALLOW.id) != Some(Level::Allow) {
                unused.extend(found);
            }
        }
    }
    diagnostics.extend(unused);

    diagnostics.sort_by(|a, b| {
        let fa = &files[a.file];
        let fb = &files[b.file];
        (
            fa.display.as_str(),
            a.span.start,
            a.span.end,
            &*a.rule,
            &a.message,
        )
            .cmp(&(
                fb.display.as_str(),
                b.span.start,
                b.span.end,
                &*b.rule,
                &b.message,
            ))
    });
    diagnostics.dedup_by(|a, b| {
        a.file == b.file && a.span == b.span && a.rule == b.rule && a.message == b.message
    });
    summary.findings = diagnostics.len();
    let _ = reported_ids;
    Ok(Report {
        files,
        diagnostics,
        summary,
        notes,
    })
}

fn parse_error(file: FileId, span: Span, message: String) -> Diagnostic {
    Diagnostic::new(rules::PARSE_ERROR.id, file, span, message).fix(crate::diagnostic::Fix::manual(
        "fix the file so `rustc` can parse it, or exclude it with `exclude = [\"path\"]` in scalelint.toml",
    ))
}
