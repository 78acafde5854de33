//! One workspace, start to end: read, prefilter, parse, run the rules, levels, suppressions,
//! and the files the findings point into.

use super::parse::{Parsed, parse_cached};
use super::prefilter::{CratePlan, Prefilter};
use super::read::read_text;
use super::{RunCx, Summary, display_path};
use crate::catalog::Catalog;
use crate::config::{Config, Level};
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::project::{Extra, Project, Unit};
use crate::rules::{self, Rule};
use crate::source::{SourceFile, Span};
use crate::workspace::{self, Workspace};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

pub(super) struct WorkspaceResult {
    pub(super) capacity: Vec<crate::deploy::capacity::Entry>,
    pub(super) deploy: Vec<String>,
    pub(super) files: Vec<SourceFile>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) summary: Summary,
}

/// What one source file gave: its allow comments and, if it was parsed, its facts.
pub(super) struct Loaded {
    allows: Vec<crate::facts::AllowComment>,
    parsed: Option<Parsed>,
    error: Option<String>,
    /// A workspace-wide rule wants this file: every file of the workspace is to be parsed.
    wide: bool,
}

/// Maps `f` over `items`, on the worker pool or on this thread.
pub(super) fn map_each<T: Sync, R: Send>(
    items: &[T],
    parallel: bool,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    if parallel {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Analyses one workspace. File ids are local to it: its sources, then its extras, then its
/// unreadable manifests. The result keeps only the files its findings point into, renumbered in
/// that order, so memory does not grow with the number of files checked.
pub(super) fn analyse_workspace(
    cx: &RunCx,
    ws: Workspace,
    config: Config,
    catalog: Arc<Catalog>,
    parallel: bool,
) -> WorkspaceResult {
    let opts = cx.opts;
    let max_size = config.max_file_size;
    let mut summary = Summary::default();
    let mut diagnostics = vec![];
    let prefilter = Prefilter::new(cx.selected, &config, &catalog);
    let plans: Vec<CratePlan> = ws
        .crates
        .iter()
        .map(|k| CratePlan::new(cx, &ws, k, &config, &catalog))
        .collect();

    // Each source is read once and parsed if a rule wants its text; the text is dropped then.
    let mut loaded: Vec<Loaded> = map_each(&ws.sources, parallel, |s| {
        match read_text(&s.path, opts, max_size) {
            Err(e) => Loaded {
                allows: vec![],
                parsed: None,
                error: Some(e),
                wide: false,
            },
            Ok(text) => {
                let (want, wide) = if opts.no_prefilter || ws.loose {
                    (true, true)
                } else {
                    prefilter.wanted(&plans[s.krate], &text)
                };
                Loaded {
                    allows: if s.reported {
                        crate::suppress::allow_comments(&text)
                    } else {
                        vec![]
                    },
                    parsed: want.then(|| parse_cached(opts, &s.path, &text, &s.module)),
                    error: None,
                    wide,
                }
            }
        }
    });
    // A workspace-wide rule follows calls into any file: parse the files skipped above too
    // (read a second time rather than all kept in memory meanwhile).
    // Roles (what every replica runs) walk the call graph from each binary's `main`: once any
    // file is parsed in a workspace with a binary, every file is.
    let has_bin = ws.sources.iter().any(|s| s.bin.is_some());
    if loaded
        .iter()
        .any(|l| l.wide || (has_bin && l.parsed.is_some()))
    {
        let skipped: Vec<usize> = (0..loaded.len())
            .filter(|&i| loaded[i].parsed.is_none() && loaded[i].error.is_none())
            .collect();
        let parsed = map_each(&skipped, parallel, |&i| {
            let s = &ws.sources[i];
            read_text(&s.path, opts, max_size)
                .map(|text| parse_cached(opts, &s.path, &text, &s.module))
        });
        for (i, p) in skipped.into_iter().zip(parsed) {
            match p {
                Ok(p) => loaded[i].parsed = Some(p),
                Err(e) => loaded[i].error = Some(e),
            }
        }
    }

    // Every file's path, by local id.
    let mut paths: Vec<PathBuf> = ws.sources.iter().map(|s| s.path.clone()).collect();
    let mut units = vec![];
    let mut allows: Vec<(FileId, Vec<crate::facts::AllowComment>)> = vec![];
    for (id, (s, l)) in ws.sources.iter().zip(loaded).enumerate() {
        if s.reported {
            summary.files += 1;
            allows.push((id, l.allows));
        }
        match (l.error, l.parsed) {
            (Some(message), _) => {
                if s.reported {
                    summary.parse_errors += 1;
                    diagnostics.push(read_error(id, message));
                }
            }
            (None, Some(Parsed::Ok(facts))) => units.push(Unit {
                id,
                path: s.path.clone(),
                krate: s.krate,
                role: s.role,
                bin: s.bin.clone(),
                reported: s.reported,
                facts: *facts,
                text_given: opts.given_text(&s.path),
            }),
            (None, Some(Parsed::Err { message, span })) => {
                if s.reported {
                    summary.parse_errors += 1;
                    diagnostics.push(parse_error(id, span, message));
                }
            }
            (None, None) => {}
        }
    }
    let mut extras = vec![];
    for e in &ws.extras {
        let id = paths.len();
        paths.push(e.path.clone());
        match read_text(&e.path, opts, max_size) {
            Ok(text) => {
                if e.reported {
                    summary.files += 1;
                }
                extras.push(Extra {
                    id,
                    path: e.path.clone(),
                    kind: e.kind,
                    reported: e.reported,
                    text,
                });
            }
            Err(message) => {
                if e.reported {
                    summary.files += 1;
                    summary.parse_errors += 1;
                    diagnostics.push(read_error(id, message));
                }
            }
        }
    }
    for krate in &ws.crates {
        let err = krate
            .manifest_error
            .as_ref()
            .or(krate.manifest_type_error.as_ref());
        if let (Some(err), Some(manifest)) = (err, &krate.manifest) {
            let id = paths.len();
            paths.push(manifest.clone());
            summary.parse_errors += 1;
            diagnostics.push(manifest_error(id, err));
        }
    }

    crate::analysis::roles::mark_test_features(&mut units, &ws.crates, &catalog);
    let project = Project::new(ws.root, ws.loose, ws.crates, units, extras, config, catalog);
    let active: Vec<&dyn Rule> = cx
        .selected
        .iter()
        .copied()
        .filter(|r| project.config.level(r.meta().id) != Some(Level::Allow))
        .collect();
    let reported: Vec<&Unit> = project.units.iter().filter(|u| u.reported).collect();
    let per_unit: Vec<Vec<Diagnostic>> = map_each(&reported, parallel, |unit| {
        let mut out = vec![];
        for rule in &active {
            rule.check_unit(&project, unit, &mut out);
        }
        out
    });
    diagnostics.extend(per_unit.into_iter().flatten());
    for rule in &active {
        rule.check_project(&project, &mut diagnostics);
    }

    // Levels: the config's, or the rule's default; then --select / --ignore.
    diagnostics.retain_mut(|d| {
        let severity = match project.config.level_at(&d.rule, &paths[d.file]) {
            Some(Level::Allow) => return false,
            Some(Level::Deny) => Severity::Error,
            Some(Level::Warn) => Severity::Warning,
            // A rule may lower one finding to a note (jobs whose writes are all idempotent).
            None if d.severity == Severity::Note => Severity::Note,
            None => rules::meta(&d.rule).map_or(d.severity, |m| m.default_severity),
        };
        d.severity = severity;
        (opts.select.is_empty() || opts.select.iter().any(|s| **s == *d.rule))
            && !opts.ignore.iter().any(|s| **s == *d.rule)
    });

    // The texts of the files the findings point into, read again (and kept for the report).
    let mut shown: std::collections::BTreeMap<FileId, SourceFile> = Default::default();
    let show = |shown: &mut std::collections::BTreeMap<FileId, SourceFile>,
                diagnostics: &[Diagnostic]| {
        for id in diagnostics.iter().flat_map(files_of) {
            shown.entry(id).or_insert_with(|| {
                let path = &paths[id];
                let text = read_text(path, opts, max_size).unwrap_or_default();
                SourceFile::new(path.clone(), display_path(path), text)
            });
        }
    };
    show(&mut shown, &diagnostics);

    // Suppressions, per reported Rust file.
    let is_known = |id: &str| cx.known.contains(&id);
    let level_of = |id: &str| project.config.level(id);
    // Selected on the command line and not turned off by the configuration.
    let is_on = |id: &str| {
        (opts.select.is_empty() || opts.select.iter().any(|s| s == id))
            && !opts.ignore.iter().any(|s| s == id)
            && level_of(id) != Some(Level::Allow)
    };
    let judge = crate::suppress::Judge {
        known: &is_known,
        ran: &is_on,
        require_reason: project.config.require_reason,
    };
    let mut unused = vec![];
    for (id, file_allows) in &allows {
        if file_allows.is_empty() {
            continue;
        }
        let text_less;
        let source = match shown.get(id) {
            Some(f) => f,
            // No finding in this file: only its allow comments can be reported.
            None => {
                text_less = SourceFile::new(paths[*id].clone(), String::new(), String::new());
                &text_less
            }
        };
        let found = crate::suppress::apply(*id, source, file_allows, &judge, &mut diagnostics);
        unused.extend(found.into_iter().filter(|d| is_on(&d.rule)).map(|mut d| {
            d.severity = match level_of(&d.rule) {
                Some(Level::Deny) => Severity::Error,
                _ => Severity::Warning,
            };
            d
        }));
    }
    show(&mut shown, &unused);
    diagnostics.extend(unused);

    // Keep the files shown, numbered in order; findings point at the new numbers.
    let renumber: std::collections::BTreeMap<FileId, FileId> = shown
        .keys()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    for d in &mut diagnostics {
        renumber_files(d, |id| renumber[&id]);
    }
    WorkspaceResult {
        capacity: if opts.capacity {
            crate::deploy::capacity::pools(&project)
        } else {
            vec![]
        },
        deploy: if opts.capacity {
            crate::deploy::capacity::deploy_lines(&project)
        } else {
            vec![]
        },
        files: shown.into_values().collect(),
        diagnostics,
        summary,
    }
}

/// Every file a finding points into: its own, its labels', its edits'.
pub(super) fn files_of(d: &Diagnostic) -> impl Iterator<Item = FileId> + '_ {
    std::iter::once(d.file)
        .chain(d.labels.iter().map(|l| l.file))
        .chain(d.fix.iter().flat_map(|f| f.edits.iter().map(|e| e.file)))
}

pub(super) fn renumber_files(d: &mut Diagnostic, new_id: impl Fn(FileId) -> FileId) {
    d.file = new_id(d.file);
    for l in &mut d.labels {
        l.file = new_id(l.file);
    }
    for e in d.fix.iter_mut().flat_map(|f| f.edits.iter_mut()) {
        e.file = new_id(e.file);
    }
}

/// A manifest that could not be read, or gives a value of the wrong type.
pub(super) fn manifest_error(file: FileId, err: &workspace::ManifestError) -> Diagnostic {
    let span = err
        .span
        .clone()
        .map_or(Span::new(0, 0), |r| Span::new(r.start, r.end));
    Diagnostic::new(rules::PARSE_ERROR.id, file, span, err.message.clone())
        .note(err.assumed.clone())
        .fix(crate::diagnostic::Fix::manual(
            "correct the manifest (`cargo metadata` reports the same place), or exclude the \
             crate with `exclude = [\"path/**\"]` in scalelint.toml",
        ))
}

/// A file that could not be read as text (not UTF-8, too large, not a regular file, no access).
pub(super) fn read_error(file: FileId, message: String) -> Diagnostic {
    Diagnostic::new(rules::PARSE_ERROR.id, file, Span::new(0, 0), message).fix(
        crate::diagnostic::Fix::manual(
            "make it a readable UTF-8 file, raise `max-file-size` in scalelint.toml if it is a \
             large generated file, or exclude it with `exclude = [\"path\"]`",
        ),
    )
}

pub(super) fn parse_error(file: FileId, span: Span, message: String) -> Diagnostic {
    Diagnostic::new(rules::PARSE_ERROR.id, file, span, message).fix(crate::diagnostic::Fix::manual(
        "fix the file so `rustc` can parse it, or exclude it with `exclude = [\"path\"]` in scalelint.toml",
    ))
}
