//! discover → parse (in parallel) → facts → rules → suppressions and levels → sorted diagnostics.
//!
//! Its stages, a module each: `read` (a file as text), `prefilter` (which files a rule needs),
//! `parse` (a file into its facts, the stack bounded) and `analyse` (one workspace, start to end);
//! `run` here discovers the workspaces, analyses them and merges their reports.

mod analyse;
mod parse;
mod prefilter;
mod read;

pub use parse::{PARSE_STACK, on_stack_for};

use crate::catalog::Catalog;
use crate::config::{Config, ConfigError, Overrides};
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule};
use crate::source::SourceFile;
use crate::workspace::{self, Workspace};
use analyse::{WorkspaceResult, analyse_workspace, manifest_error, renumber_files};
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
    /// Parse every file, even those no rule needs (to check the prefilter changes nothing).
    pub no_prefilter: bool,
    /// Collect every connection pool for `scalelint capacity` ([`Report::capacity`]).
    pub capacity: bool,
    /// Parsed files kept from earlier runs (`scalelint server`).
    pub parse_cache: Option<crate::parse_cache::ParseCache>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    /// Cargo workspaces or packages, and Rust files outside any, that the paths led to.
    pub crates: usize,
    pub findings: usize,
    pub parse_errors: usize,
}

pub struct Report {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
    /// Remarks for the user that are not findings (loose files analysed with defaults).
    pub notes: Vec<String>,
    /// The connection pools, when [`Options::capacity`] asks for them.
    pub capacity: Vec<crate::deploy::capacity::Entry>,
    /// What the deploy files say, a line each, when [`Options::capacity`] asks.
    pub deploy: Vec<String>,
}

/// An error that stops the run: exit code 2 with this one line.
#[derive(Debug)]
pub struct RunError(pub String);

impl From<ConfigError> for RunError {
    fn from(e: ConfigError) -> Self {
        RunError(e.0)
    }
}

/// Workspaces with at most this many Rust files are analysed each on one thread, in batches.
const SMALL_WORKSPACE: usize = 16;
const BATCH: usize = 64;

pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_ref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    let s = workspace::slash_path(shown);
    if s.is_empty() { ".".into() } else { s }
}

fn config_for(
    pending: &workspace::Pending,
    opts: &Options,
    known: &[&str],
) -> Result<Config, RunError> {
    let root = if let workspace::Pending::Cargo { root, .. } = pending {
        Some(root.clone())
    } else {
        // A loose file: the nearest scalelint.toml above it, if any.
        pending
            .folder()
            .ancestors()
            .find(|d| d.join("scalelint.toml").is_file() || d.join(".scalelint.toml").is_file())
            .map(Path::to_path_buf)
    };
    Ok(Config::load(
        root.as_deref(),
        opts.config.as_deref(),
        &opts.overrides,
        known,
    )?)
}

/// Leaves out the files the configuration excludes.
fn exclude(ws: &mut Workspace, config: &Config) {
    if config.exclude_patterns.is_empty() {
        return;
    }
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

pub fn run(opts: &Options) -> Result<Report, RunError> {
    let known: Vec<&str> = rules::all_meta().iter().map(|m| m.id).collect();
    for id in opts.select.iter().chain(&opts.ignore) {
        if !known.contains(&id.as_str()) {
            return Err(RunError(format!(
                "unknown rule `{id}`{} (see `scalelint rules`)",
                rules::did_you_mean(id)
            )));
        }
    }
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let discovery = workspace::discover(&paths).map_err(|e| RunError(e.0))?;
    if let Some((stdin_path, _)) = &opts.stdin
        && !discovery.checks_source(stdin_path)
    {
        return Err(RunError(format!(
            "{}: --stdin-filename must name a Rust file",
            stdin_path.display()
        )));
    }

    // Every workspace's settings first: a bad configuration stops the run before any work.
    let builtin: Arc<Catalog> = Arc::new(Catalog::builtin());
    let mut settings = vec![];
    for pending in &discovery.pending {
        let config = config_for(pending, opts, &known)?;
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
            None => builtin.clone(),
        };
        settings.push((config, catalog));
    }

    let all_rules = rules::all();
    let selected: Vec<&dyn Rule> = all_rules
        .iter()
        .map(|r| &**r)
        .filter(|r| opts.select.is_empty() || opts.select.iter().any(|s| s == r.meta().id))
        .filter(|r| !opts.ignore.iter().any(|s| s == r.meta().id))
        .collect();

    let threads = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(PARSE_STACK)
        .build()
        .map_err(|e| RunError(format!("cannot start worker threads: {e}")))?;

    let cx = RunCx {
        opts,
        selected: &selected,
        known: &known,
    };
    let mut files = vec![];
    let mut diagnostics = vec![];
    let mut summary = Summary::default();
    let mut capacity = vec![];
    let mut deploy = vec![];
    let mut add = |r: WorkspaceResult| {
        capacity.extend(r.capacity);
        deploy.extend(r.deploy);
        let first = files.len();
        files.extend(r.files);
        for mut d in r.diagnostics {
            renumber_files(&mut d, |id| first + id);
            diagnostics.push(d);
        }
        summary.files += r.summary.files;
        summary.parse_errors += r.summary.parse_errors;
    };
    // A large workspace is analysed alone, its files spread over the threads; small ones in
    // batches, one workspace per thread. Either way only a few workspaces are in memory at a
    // time (a thread waiting inside one workspace would otherwise steal and start another).
    let mut loose = 0;
    let mut missing_members = vec![];
    let mut settings = settings.into_iter();
    let mut pending = discovery.pending.iter();
    pool.install(|| {
        loop {
            // The next workspaces, listed in parallel.
            let chunk: Vec<_> = pending
                .by_ref()
                .take(BATCH)
                .zip(settings.by_ref())
                .collect();
            if chunk.is_empty() {
                break;
            }
            let listed: Vec<Workspace> = chunk
                .par_iter()
                .map(|(p, (config, _))| {
                    let mut ws = discovery.load(p);
                    exclude(&mut ws, config);
                    ws
                })
                .collect();
            for ws in &listed {
                loose += usize::from(ws.loose && !ws.sources.is_empty());
                missing_members.extend(
                    ws.assumed
                        .iter()
                        .map(|m| format!("{}: {m}", display_path(&ws.root.join("Cargo.toml")))),
                );
                missing_members.extend(ws.missing_members.iter().map(|m| {
                    format!(
                        "{}: workspace member `{m}` does not exist",
                        display_path(&ws.root.join("Cargo.toml"))
                    )
                }));
            }
            let mut work = listed
                .into_iter()
                .zip(chunk)
                .map(|(ws, (_, settings))| (ws, settings))
                .peekable();
            while let Some((ws, (config, catalog))) = work.next() {
                if ws.sources.len() > SMALL_WORKSPACE {
                    add(analyse_workspace(&cx, ws, config, catalog, true));
                    continue;
                }
                let mut batch = vec![(ws, config, catalog)];
                while let Some((ws, (config, catalog))) =
                    work.next_if(|(w, _)| w.sources.len() <= SMALL_WORKSPACE)
                {
                    batch.push((ws, config, catalog));
                }
                let results: Vec<WorkspaceResult> = batch
                    .into_par_iter()
                    .map(|(ws, config, catalog)| analyse_workspace(&cx, ws, config, catalog, false))
                    .collect();
                results.into_iter().for_each(&mut add);
            }
        }
    });
    summary.crates = discovery
        .pending
        .iter()
        .filter(|p| !matches!(p, workspace::Pending::LooseExtra(..)))
        .count();
    let mut notes = discovery.notes;
    if loose > 0 {
        notes.push(format!(
            "{loose} file(s) belong to no crate; they were analysed with the dependencies their `use` items name and default settings"
        ));
    }
    notes.extend(missing_members);
    for (path, err) in &discovery.manifest_errors {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        files.push(SourceFile::new(path.clone(), display_path(path), text));
        summary.parse_errors += 1;
        diagnostics.push(manifest_error(files.len() - 1, err));
    }

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
    Ok(Report {
        files,
        diagnostics,
        summary,
        notes,
        capacity,
        deploy,
    })
}

struct RunCx<'a> {
    opts: &'a Options,
    selected: &'a [&'a dyn Rule],
    known: &'a [&'a str],
}
