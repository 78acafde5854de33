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
    /// Parse every file, even those no rule needs (to check the prefilter changes nothing).
    pub no_prefilter: bool,
    /// Collect every connection pool for `scalelint capacity` ([`Report::capacity`]).
    pub capacity: bool,
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

/// Nesting deeper than this is reported as a parse error instead of risking the stack.
const MAX_NESTING: usize = 256;
/// The worker threads' stack: enough for files whose estimated depth is up to 6,144 levels;
/// deeper ones are parsed on a thread of their own ([`on_stack_for`]).
pub const PARSE_STACK: usize = 64 * 1024 * 1024;
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
    let levels = crate::depth::estimate(body);
    if levels > crate::depth::MAX_LEVELS {
        return Parsed::Err {
            message: format!(
                "an expression, type or pattern may nest about {levels} levels deep without \
                 brackets (a run of prefix operators, closures, `<`, `&`, `->`, `return` or `=`, \
                 or a chain of calls or operators); past {} levels the file is not parsed, to keep \
                 the stack bounded",
                crate::depth::MAX_LEVELS
            ),
            span: Span::new(0, 0),
        };
    }
    on_stack_for(levels, PARSE_STACK, || parse_and_extract(body, bom, module))
}

/// Runs `f` here when this thread's stack (`have` bytes) is enough for a text of `levels`
/// estimated depth ([`crate::depth`]), else on a thread with the stack it needs (syn, the
/// visitors and `Drop` recurse on the tree).
pub fn on_stack_for<R: Send>(levels: usize, have: usize, f: impl FnOnce() -> R + Send) -> R {
    let need = crate::depth::stack_for(levels);
    if need <= have {
        return f();
    }
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .stack_size(need)
            .spawn_scoped(s, f)
        {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Err(_) => no_stack(need),
        }
    })
}

/// No memory for the stack: stop rather than risk an overflow.
fn no_stack(need: usize) -> ! {
    eprintln!("scalelint: cannot start a thread with a {need}-byte stack");
    std::process::exit(2)
}

fn parse_and_extract(body: &str, bom: usize, module: Vec<String>) -> Parsed {
    let result = match syn::parse_file(body) {
        Ok(file) => {
            let offsets = OffsetMap::new(body, bom);
            Parsed::Ok(Box::new(crate::facts::visit::extract(
                &file, &offsets, module,
            )))
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

fn read_text(path: &Path, opts: &Options, max: u64) -> Result<String, String> {
    if let Some((p, text)) = &opts.stdin
        && p == path
    {
        return Ok(text.clone());
    }
    if let Some(text) = opts.overlay.get(path) {
        return Ok(text.clone());
    }
    let bytes = read_regular(path, max)?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at offset {}); the file was not checked",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads a regular file (links followed) of at most `max` bytes. A FIFO, socket or device named
/// like a source file is refused without being read: opening a FIFO would wait for a writer, and
/// `/dev/zero` never ends. No more than `max + 1` bytes are ever read, even from a file that grows.
fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read: {}", workspace::io_reason(&e));
    // Checked before opening (opening some devices has effects) and again on the open handle
    // (the path may have been replaced in between).
    special_file(&std::fs::metadata(path).map_err(cannot)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    special_file(&meta)?;
    let too_large = |size: &str| {
        format!(
            "too large: {size} bytes, over the {max}-byte limit (`max-file-size` in \
             scalelint.toml); the file was not checked"
        )
    };
    if meta.len() > max {
        return Err(too_large(&meta.len().to_string()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(too_large(&format!("more than {max}")));
    }
    Ok(bytes)
}

fn special_file(meta: &std::fs::Metadata) -> Result<(), String> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        special_kind(meta)
    };
    Err(format!("not a regular file ({what}); it was not read"))
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "a special file"
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

struct WorkspaceResult {
    capacity: Vec<crate::deploy::capacity::Entry>,
    deploy: Vec<String>,
    files: Vec<SourceFile>,
    diagnostics: Vec<Diagnostic>,
    summary: Summary,
}

/// What one source file gave: its allow comments and, if it was parsed, its facts.
struct Loaded {
    allows: Vec<crate::facts::AllowComment>,
    parsed: Option<Parsed>,
    error: Option<String>,
    /// A workspace-wide rule wants this file: every file of the workspace is to be parsed.
    wide: bool,
}

/// Maps `f` over `items`, on the worker pool or on this thread.
fn map_each<T: Sync, R: Send>(
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

/// The words a file must contain for each rule to need it, matched by one automaton per
/// workspace (a service has dozens of crates; most apply the same rules).
struct Prefilter {
    /// For each selected rule that is not allowed: its words (empty: every file) and whether it
    /// is workspace-wide.
    rules: Vec<(Vec<String>, bool)>,
    matcher: Option<aho_corasick::AhoCorasick>,
    /// Pattern index → rule index in `rules`.
    pattern_rule: Vec<usize>,
}

/// Which of the prefilter's rules apply to a crate.
struct CratePlan {
    applies: Vec<bool>,
}

impl Prefilter {
    fn new(rules: &[&dyn Rule], config: &Config, catalog: &Catalog) -> Prefilter {
        let rules: Vec<(Vec<String>, bool)> = rules
            .iter()
            .filter(|r| config.level(r.meta().id) != Some(Level::Allow))
            .map(|r| {
                let interest = r.interest(catalog);
                (interest.words, interest.workspace_wide)
            })
            .collect();
        let mut patterns = vec![];
        let mut pattern_rule = vec![];
        for (i, (words, _)) in rules.iter().enumerate() {
            for w in words {
                patterns.push(w.as_str());
                pattern_rule.push(i);
            }
        }
        let matcher = (!patterns.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&patterns).ok())
            .flatten();
        Prefilter {
            rules,
            matcher,
            pattern_rule,
        }
    }

    /// Which of the crate's rules want this text: (any wants it, a workspace-wide one does).
    fn wanted(&self, plan: &CratePlan, text: &str) -> (bool, bool) {
        // Rules that do not apply count as already decided (not wanted).
        let mut hit: Vec<bool> = self
            .rules
            .iter()
            .zip(&plan.applies)
            .map(|((words, _), applies)| *applies && words.is_empty())
            .collect();
        let mut open = plan
            .applies
            .iter()
            .zip(&hit)
            .filter(|(a, h)| **a && !**h)
            .count();
        if open > 0
            && let Some(m) = &self.matcher
        {
            for found in m.find_overlapping_iter(text) {
                let r = self.pattern_rule[found.pattern().as_usize()];
                if plan.applies[r] && !hit[r] {
                    hit[r] = true;
                    open -= 1;
                    if open == 0 {
                        break;
                    }
                }
            }
        }
        let any = hit.iter().any(|h| *h);
        let wide = hit
            .iter()
            .zip(&self.rules)
            .any(|(h, (_, wide))| *h && *wide);
        (any, wide)
    }
}

impl CratePlan {
    fn new(
        cx: &RunCx,
        ws: &Workspace,
        krate: &crate::workspace::CrateInfo,
        config: &Config,
        catalog: &Catalog,
    ) -> CratePlan {
        let is_service_crate = |k: &crate::workspace::CrateInfo| {
            config
                .service
                .unwrap_or_else(|| catalog.service_crates().any(|c| k.always_depends_on(c)))
        };
        let is_service = is_service_crate(krate);
        let workspace_has_service = ws.crates.iter().any(is_service_crate);
        let mut applies = vec![];
        for rule in cx.selected {
            if config.level(rule.meta().id) == Some(Level::Allow) {
                continue;
            }
            let interest = rule.interest(catalog);
            // A workspace-wide rule follows calls into sibling crates: any crate's dependency counts.
            let depends = |lib: &String| {
                if interest.workspace_wide {
                    ws.crates
                        .iter()
                        .any(|k| k.depends_on(lib) || k.manifest_error.is_some())
                } else {
                    krate.depends_on(lib)
                }
            };
            applies.push(
                ws.loose
                    || krate.manifest_error.is_some()
                    || ((interest.crates.is_empty() || interest.crates.iter().any(depends))
                        && (!interest.services_only || is_service)
                        && (!interest.service_workspaces_only || workspace_has_service)),
            );
        }
        CratePlan { applies }
    }
}

/// Analyses one workspace. File ids are local to it: its sources, then its extras, then its
/// unreadable manifests. The result keeps only the files its findings point into, renumbered in
/// that order, so memory does not grow with the number of files checked.
fn analyse_workspace(
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
                    parsed: want.then(|| parse_one(&text, s.module.clone())),
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
            read_text(&s.path, opts, max_size).map(|text| parse_one(&text, s.module.clone()))
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
fn files_of(d: &Diagnostic) -> impl Iterator<Item = FileId> + '_ {
    std::iter::once(d.file)
        .chain(d.labels.iter().map(|l| l.file))
        .chain(d.fix.iter().flat_map(|f| f.edits.iter().map(|e| e.file)))
}

fn renumber_files(d: &mut Diagnostic, new_id: impl Fn(FileId) -> FileId) {
    d.file = new_id(d.file);
    for l in &mut d.labels {
        l.file = new_id(l.file);
    }
    for e in d.fix.iter_mut().flat_map(|f| f.edits.iter_mut()) {
        e.file = new_id(e.file);
    }
}

/// A manifest that could not be read, or gives a value of the wrong type.
fn manifest_error(file: FileId, err: &workspace::ManifestError) -> Diagnostic {
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
fn read_error(file: FileId, message: String) -> Diagnostic {
    Diagnostic::new(rules::PARSE_ERROR.id, file, Span::new(0, 0), message).fix(
        crate::diagnostic::Fix::manual(
            "make it a readable UTF-8 file, raise `max-file-size` in scalelint.toml if it is a \
             large generated file, or exclude it with `exclude = [\"path\"]`",
        ),
    )
}

fn parse_error(file: FileId, span: Span, message: String) -> Diagnostic {
    Diagnostic::new(rules::PARSE_ERROR.id, file, span, message).fix(crate::diagnostic::Fix::manual(
        "fix the file so `rustc` can parse it, or exclude it with `exclude = [\"path\"]` in scalelint.toml",
    ))
}
