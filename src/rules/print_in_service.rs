//! `print-in-service`: `println!`, `eprintln!`, `dbg!`.. in the code of a crate that is a
//! service. Prints bypass the log pipeline: no level, no fields, no way to turn them down,
//! and N instances write them all.

use super::{Rule, RuleMeta};
use crate::analysis::call_graph::FnRef;
use crate::analysis::log_macros::crate_family;
use crate::analysis::roles::Caller;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{MacroArg, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct PrintInService;

/// Whether the function around `region` ends the process itself (`std::process::exit`):
/// command-line handling, whose prints are its output.
fn in_cli_fn(unit: &Unit, region: crate::facts::RegionId) -> bool {
    let facts = &unit.facts;
    let Some(f) = facts.enclosing_fn(region) else {
        return false;
    };
    facts.calls_within(f.body).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Some(p) = v.call_path()
                && p.last().is_some_and(|n| n == "exit")
                && (p.len() == 1 || p.iter().any(|s| s == "process"))
            {
                hit = true;
            }
        });
        hit
    })
}

/// Calls whose closure argument runs once per process: lazy statics and one-time cells.
const ONCE_CALLEES: &[&str] = &[
    "get_or_init",
    "get_or_try_init",
    "call_once",
    "call_once_force",
];
const LAZY_TYPES: &[&str] = &["Lazy", "LazyLock", "LazyCell", "OnceCell", "OnceLock"];
/// Calls whose closure argument runs as it would in place (a spawned startup task, `block_on`).
const IN_PLACE_CALLEES: &[&str] = &["spawn", "block_on", "spawn_blocking", "run"];
/// How far up the callers a print is followed to decide that it runs once per process.
const MAX_CALLER_DEPTH: usize = 6;

/// The places that reach function `idx` of unit `unit_idx` in service code (tests call
/// startup code too, without any logger): the replica model's edges, which link no method by its
/// name alone, where it has placed the function; else the call graph's.
fn callers_of(project: &Project, unit_idx: usize, idx: usize) -> Vec<Caller> {
    let unit = &project.units[unit_idx];
    let all: Vec<Caller> = match project.roles().callers(unit, idx) {
        Some(cs) => cs.to_vec(),
        None => project
            .callers_of(FnRef {
                file: unit_idx,
                idx,
            })
            .iter()
            .map(|c| Caller {
                unit: c.unit,
                region: c.region,
                span: c.span,
                value: false,
                by_type: false,
            })
            .collect(),
    };
    all.into_iter()
        .filter(|c| project.units[c.unit].is_service_region(c.region))
        .collect()
}

/// Whether code in `region` runs at most once per process: in a binary's `main` outside any
/// loop, in a lazy static's initialiser, or in a function whose every caller runs once per
/// process (the startup path: configuration loading, the banner, logger setup). Such a print
/// does not multiply with traffic: each instance writes it once when it starts, often before a
/// logger exists.
pub(crate) fn once_per_process(
    project: &Project,
    unit_idx: usize,
    region: RegionId,
    depth: usize,
) -> bool {
    if depth > MAX_CALLER_DEPTH {
        return false;
    }
    let unit = &project.units[unit_idx];
    let facts = &unit.facts;
    for (_, r) in facts.ancestors(region) {
        match &r.kind {
            RegionKind::Loop(_) => return false,
            RegionKind::Closure | RegionKind::AsyncBlock => {
                let Some(arg_of) = &r.arg_of else {
                    return false;
                };
                let last = arg_of.callee.last().map_or("", String::as_str);
                let lazy = arg_of
                    .callee
                    .iter()
                    .any(|s| LAZY_TYPES.contains(&s.as_str()));
                if ONCE_CALLEES.contains(&last) || (lazy && last == "new") {
                    return true;
                }
                if !IN_PLACE_CALLEES.contains(&last) {
                    return false;
                }
            }
            RegionKind::Fn(idx) => {
                let f = &facts.fns[*idx];
                // A binary's `main`, or a library's (a framework's command-line entry).
                if f.name == "main" && !f.is_method && f.params.is_empty() {
                    return true;
                }
                let callers = callers_of(project, unit_idx, *idx);
                return !callers.is_empty()
                    && callers.len() <= 4
                    && callers.iter().all(|c| {
                        !c.value && once_per_process(project, c.unit, c.region, depth + 1)
                    });
            }
            RegionKind::Mod(_) | RegionKind::File => return false,
        }
    }
    false
}

/// The paths that run a print, as far as the process's logger is concerned.
#[derive(Default, Debug)]
struct LoggerPaths {
    /// A path runs it before the process installs its logger: through what.
    before: Option<String>,
    /// A path runs it once the logger exists, or one the model cannot follow up: where.
    after: Option<String>,
    /// A path from a request handler (a function named as a value): where.
    per_request: Option<String>,
}

impl LoggerPaths {
    /// Every path runs before the logger exists: a print is the only way to report.
    fn all_before(&self) -> bool {
        self.before.is_some() && self.after.is_none() && self.per_request.is_none()
    }
}

/// `name` of the function around `region`, for notes.
fn fn_name(project: &Project, unit_idx: usize, region: RegionId) -> String {
    let unit = &project.units[unit_idx];
    unit.facts.enclosing_fn(region).map_or_else(
        || "module-level code".to_string(),
        |f| format!("`{}`", f.path.join("::")),
    )
}

/// Which paths run code in `region` (at `span`) before the process installs its logger: the
/// function around it installs the logger after it, or its callers call it before they install
/// the logger (followed up to six calls), or it initialises a lazy static that the code
/// installing the logger reads (`CONFIG.log_level()`). Such a print is how a service must report
/// a configuration error: no log line can exist yet. The other paths are recorded as they are
/// met: once the logger exists, or from a request handler.
fn logger_paths(
    project: &Project,
    unit_idx: usize,
    region: RegionId,
    span: Span,
    depth: usize,
    out: &mut LoggerPaths,
) {
    let here = || fn_name(project, unit_idx, region);
    if depth > MAX_CALLER_DEPTH {
        out.after.get_or_insert_with(here);
        return;
    }
    let roles = project.roles();
    let unit = &project.units[unit_idx];
    let facts = &unit.facts;
    if roles.logger_installed_after(project, unit, region, span.end) {
        out.before.get_or_insert_with(here);
        return;
    }
    for (_, r) in facts.ancestors(region) {
        match &r.kind {
            RegionKind::Loop(_) => break,
            RegionKind::Closure | RegionKind::AsyncBlock => {
                // A lazy static's initializer: it runs when the static is first read.
                let lazy = r.arg_of.as_ref().is_some_and(|a| {
                    a.callee.iter().any(|s| LAZY_TYPES.contains(&s.as_str()))
                        && a.callee.last().is_some_and(|l| l == "new")
                });
                if lazy {
                    // The static whose initializer holds it (its name's span, or its value's).
                    let name = facts
                        .consts
                        .iter()
                        .find(|c| c.span.contains(span) || c.value.span().contains(span));
                    match name {
                        Some(c) if roles.logger_reads(&c.name) => {
                            out.before.get_or_insert_with(|| {
                                format!(
                                    "the initializer of `{}`, which the code installing the logger reads",
                                    c.name
                                )
                            });
                        }
                        _ => {
                            out.after.get_or_insert_with(here);
                        }
                    }
                    return;
                }
            }
            RegionKind::Fn(idx) => {
                let callers = callers_of(project, unit_idx, *idx);
                if callers.is_empty()
                    && let Some(through) = macro_built_static(project, unit_idx, *idx)
                {
                    // Named only in the tokens of a local macro that builds the configuration
                    // the logger reads: it runs while that static is first built.
                    out.before.get_or_insert(through);
                    out.after.get_or_insert_with(|| {
                        "a later rebuild of the value by the macro's expansion".to_string()
                    });
                    return;
                }
                if callers.is_empty() || callers.len() > 8 {
                    out.after.get_or_insert_with(here);
                    return;
                }
                let f = &facts.fns[*idx];
                for c in callers {
                    if c.value && crate::analysis::roles::operator_guarded(project, f) {
                        // A handler only an administrator's credential passes: an operator's
                        // action (saving the settings), not the service's traffic.
                        out.after.get_or_insert_with(|| {
                            format!(
                                "`{}`, a handler only an administrator can call",
                                f.path.join("::")
                            )
                        });
                        continue;
                    }
                    if c.by_type {
                        // A function that names its type: a framework may call the method.
                        out.after.get_or_insert_with(|| {
                            format!(
                                "{}, which names its type ({})",
                                fn_name(project, c.unit, c.region),
                                project.place(&project.units[c.unit], c.span)
                            )
                        });
                        continue;
                    }
                    if c.value {
                        out.per_request.get_or_insert_with(|| {
                            format!(
                                "`{}`, a handler named at {},",
                                f.path.join("::"),
                                project.place(&project.units[c.unit], c.span)
                            )
                        });
                        continue;
                    }
                    let mut sub = LoggerPaths::default();
                    logger_paths(project, c.unit, c.region, c.span, depth + 1, &mut sub);
                    if let Some(b) = sub.before {
                        out.before.get_or_insert(b);
                    }
                    // Name the path by the caller at the first level, where it leaves the print.
                    let via = || {
                        format!(
                            "{} ({})",
                            fn_name(project, c.unit, c.region),
                            project.place(&project.units[c.unit], c.span)
                        )
                    };
                    if sub.after.is_some() {
                        out.after
                            .get_or_insert_with(|| if depth == 0 { via() } else { here() });
                    }
                    if let Some(p) = sub.per_request {
                        out.per_request.get_or_insert(p);
                    }
                }
                return;
            }
            RegionKind::Mod(_) | RegionKind::File => break,
        }
    }
    out.after.get_or_insert_with(here);
}

/// How function `idx` runs before the logger, when it is named only inside the tokens of a
/// `macro_rules!` macro that its own file defines and invokes (`make_config! { .. |c|
/// extract_url_origin(&c.domain); }`), and that macro's body declares the type (`struct Config`)
/// a lazy static builds in its initializer (`static CONFIG: LazyLock<Config> = LazyLock::new(||
/// Config::load()..)`) which the code installing the logger reads (`CONFIG.log_level()`): the
/// macro's expansion computes the configuration, before any logger exists.
fn macro_built_static(project: &Project, unit_idx: usize, idx: usize) -> Option<String> {
    let unit = &project.units[unit_idx];
    let facts = &unit.facts;
    let f = &facts.fns[idx];
    if f.is_method || !facts.macro_idents.contains(&f.name) {
        return None;
    }
    let roles = project.roles();
    for def in &facts.macro_defs {
        // The macro is invoked in the file (an item-level `make_config! { .. }`), and the
        // function is not part of its own body.
        let invoked = facts
            .macros
            .iter()
            .any(|m| m.path.last().is_some_and(|n| *n == def.name));
        if !invoked || def.body.contains(&format!("fn{}", f.name)) {
            continue;
        }
        for u in &project.units {
            for c in &u.facts.consts {
                if !roles.logger_reads(&c.name) {
                    continue;
                }
                let mut built = None;
                c.value.walk(&mut |v| {
                    let Val::Body { region, .. } = v else { return };
                    for call in u.facts.calls_within(*region) {
                        call.val.walk(&mut |x| {
                            if let Some(p) = x.call_path()
                                && p.len() >= 2
                                && let Some(ty) = p.get(p.len() - 2)
                                && ty.starts_with(|ch: char| ch.is_ascii_uppercase())
                                && def.body.contains(&format!("struct{ty}{{"))
                            {
                                built.get_or_insert_with(|| ty.clone());
                            }
                        });
                    }
                });
                if let Some(ty) = built {
                    return Some(format!(
                        "`{}!`, whose body declares `{ty}`: the initializer of `{}` builds one, and the code installing the logger reads it",
                        def.name, c.name
                    ));
                }
            }
        }
    }
    None
}

/// Whether service code anywhere in the workspace installs the process's logger or subscriber
/// (itself or through a call). A workspace with no binary (a library, loose files) shows no
/// process: the logger is installed elsewhere, as far as scalelint can tell.
fn installs_a_logger(project: &Project) -> bool {
    let roles = project.roles();
    !project.units.iter().any(|u| u.bin.is_some())
        || project.units.iter().any(|u| {
            u.facts.fns.iter().any(|f| {
                u.is_service_region(f.body) && roles.logger_installed_after(project, u, f.body, 0)
            })
        })
}

/// Whether the function around `region` installs the process's logger (itself or through a
/// call) before `span`: it installs one, and none at or after `span`.
fn logger_installed_before(project: &Project, unit: &Unit, region: RegionId, span: Span) -> bool {
    let roles = project.roles();
    roles.logger_installed_after(project, unit, region, 0)
        && !roles.logger_installed_after(project, unit, region, span.start)
}

/// The level a message names at its start: `[ERROR]`, `ERROR:`, `Error:`, `[WARNING]`, `WARN `,
/// `[INFO]`, `[DEBUG]` (so `println!("[ERROR] ..")` becomes an error event, not an info one).
fn level_named_by(message: &str) -> Option<&'static str> {
    let word: String = message
        .trim_start()
        .trim_start_matches(['[', '('])
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = message.trim_start().trim_start_matches(['[', '(']);
    let ended = rest[word.len()..].starts_with([']', ')', ':', ' ']);
    if !ended {
        return None;
    }
    match word.as_str() {
        "error" | "fatal" => Some("error"),
        "warn" | "warning" | "deprecated" => Some("warn"),
        "info" => Some("info"),
        "debug" => Some("debug"),
        _ => None,
    }
}

/// Whether the macro is used as a value (`let z = dbg!(v)`, `f(dbg!(v))`), not as a statement.
fn used_as_value(unit: &Unit, span: Span) -> bool {
    let facts = &unit.facts;
    let inside = |v: &Val| {
        let mut hit = false;
        v.walk(&mut |x| hit |= matches!(x, Val::Macro { span: s, .. } if *s == span));
        hit
    };
    facts.lets.iter().any(|l| l.init.span().contains(span))
        || facts.assigns.iter().any(|a| a.value.span().contains(span))
        || facts.calls.iter().any(|c| inside(&c.val))
        || facts
            .fns
            .iter()
            .any(|f| f.tail.as_ref().is_some_and(|t| t.span().contains(span)))
}

static META: RuleMeta = RuleMeta {
    id: "print-in-service",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Maybe,
    summary: "println!/eprintln!/dbg! in a service instead of a log event",
    doc: include_str!("../../rules/docs/print-in-service.md"),
};

impl Rule for PrintInService {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        let mut interest = super::log_interest(&["print", "dbg!"], false);
        interest.services_only = true;
        interest
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        // A side binary that never serves is a one-shot command: the replica model below says so.
        if !project.is_service_crate(unit) {
            return;
        }
        let catalog = &project.catalog;
        let family = crate_family(project, unit);
        let unit_idx = project.unit_index(unit);
        let mut logger_somewhere: Option<bool> = None;
        for mac in &unit.facts.macros {
            // Only code a replica runs: a one-shot command's output is its interface.
            if !project.runs_on_replicas(unit, mac.region, mac.span) {
                continue;
            }
            // `println!` or `std::println!`, not a macro of the same name from elsewhere.
            let is_std = mac.path.len() == 1
                || (mac.path.len() == 2 && (mac.path[0] == "std" || mac.path[0] == "core"));
            let Some(name) = mac.path.last().filter(|_| is_std) else {
                continue;
            };
            let Some(entry) = catalog.print_macros.iter().find(|p| p.names.contains(name)) else {
                continue;
            };
            if unit.facts.process_exit_macros.contains(&mac.span) || in_cli_fn(unit, mac.region) {
                // Output right before `exit(..)`, or in a function that ends the process:
                // `--help`, `--version`, a subcommand, a fatal startup error.
                continue;
            }
            let mut paths = LoggerPaths::default();
            logger_paths(project, unit_idx, mac.region, mac.span, 0, &mut paths);
            if paths.all_before() {
                // Before the process installs its logger a print is the only way to report
                // (a configuration error, a deprecated setting).
                continue;
            }
            // A banner or "listening on" on the startup path: once per process start, so it does
            // not multiply with traffic, but it still bypasses the log pipeline.
            let once = once_per_process(project, unit_idx, mac.region, 0);
            let is_value = entry.value_macros.contains(name);
            let stderr = entry.stderr.contains(name);
            // The level the message names for itself (`"[ERROR] .."`, `"Warning: .."`), else
            // what the stream says: stderr is for errors, stdout for information.
            let named = match mac.args.first() {
                Some(MacroArg::Expr(Val::Str { value, .. })) => level_named_by(value),
                _ => None,
            };
            let level = if is_value {
                "debug"
            } else if let Some(named) = named {
                named
            } else if stderr {
                "error"
            } else {
                "info"
            };
            let message = if is_value {
                format!(
                    "`{name}!` left in service code: debug output with no level that every instance writes"
                )
            } else {
                format!(
                    "`{name}!` in a service bypasses the log pipeline: no level, no fields, and every instance writes it"
                )
            };
            let path_span = Span::new(mac.span.start, mac.name_span.end);
            let why = match project.service_framework(unit) {
                _ if project.config.service == Some(true) => {
                    "scalelint.toml declares the crate a service (`service = true`)".to_string()
                }
                Some((name, krate)) if name == krate.replace('_', "-") => {
                    format!(
                        "the crate depends on `{krate}`, a server or worker framework, so it runs as a service"
                    )
                }
                Some((name, krate)) => format!(
                    "the crate depends on `{krate}` ({name}), a server or worker framework, so it runs as a service"
                ),
                None => "the crate is a service".to_string(),
            };
            let mut d = Diagnostic::new(META.id, unit.id, mac.span, message).note(format!(
                "{why}; a command-line tool may print (set `service = false` in scalelint.toml if this crate is one)"
            ));
            if let Some(reach) = project.roles().describe(project, unit, mac.region) {
                d = d.note(reach);
            }
            if let Some(before) = &paths.before {
                let after = paths
                    .after
                    .as_deref()
                    .unwrap_or("a path the model cannot follow");
                match &paths.per_request {
                    None => {
                        d.severity = Severity::Note;
                        d = d.note(format!(
                            "it runs before the process installs its logger (through {before}), where only a print can report; it also runs from {after}, which the model does not place before the logger, but no request handler reaches it: a note, not a warning (a log event in its place would be lost at startup)"
                        ));
                    }
                    Some(req) => {
                        d = d.note(format!(
                            "it runs before the process installs its logger (through {before}), where only a print can report, but {req} also runs it per request: that path makes it a warning"
                        ));
                    }
                }
                let fam = family.map_or("tracing", |f| f.name.as_str());
                out.push(d.fix(Fix::manual(format!(
                    "{fam}::warn!(\"..\"); // on the path that runs once the logger exists; keep the print where no logger is installed yet, or pass the message back to the caller"
                ))));
                continue;
            }
            if let Some(switch) =
                crate::analysis::roles::debug_switch(project, unit, mac.region, mac.span)
            {
                d.severity = Severity::Note;
                d = d.note(format!(
                    "it runs only when {switch} holds, a debugging switch an operator turns on: a note, not a warning"
                ));
            } else if once {
                d.severity = Severity::Note;
                d = d.note(
                    "it runs once per process start, on the startup path: it does not multiply with traffic, but the line has no level and bypasses the log pipeline (hence a note, not a warning)",
                );
            }
            // Each template below says what it requires; where that cannot be shown from the
            // code, no edit is offered and the snippet says what to write.
            let partial_line = !is_value && !name.ends_with("ln");
            let logger = *logger_somewhere.get_or_insert_with(|| installs_a_logger(project));
            let fix = match family {
                // Requires: a logger the process installs. With none that scalelint can see, a
                // log event is written nowhere: the rewrite would delete the output.
                Some(fam) if !logger => {
                    d = d.note("no logger or subscriber is installed anywhere scalelint can see: a log event would be written nowhere, so no edit is offered");
                    Fix::manual(format!(
                        "install a subscriber in main (tracing_subscriber::fmt().json().init()), then {}::{level}!(..) with the same arguments",
                        fam.name
                    ))
                }
                // Requires: a logger installed when the event fires. On the startup path that is
                // shown only when the same function installed it earlier; otherwise the event may
                // be dropped (a configuration error printed while the logger's own settings are
                // read, a banner in a process that installs none): what the operator needed to
                // see would be gone.
                Some(fam)
                    if once && !logger_installed_before(project, unit, mac.region, mac.span) =>
                {
                    d = d.note("on the startup path a logger may not be installed yet (none is installed earlier in this function), and an event before it is dropped, so no edit is offered");
                    Fix::manual(format!(
                        "{}::{level}!(..) with the same arguments, if the logger is installed by then; before it, a print is the only way to report (leave it)",
                        fam.name
                    ))
                }
                // Requires: a whole line. `print!`/`eprint!` write part of one (a prompt, a
                // progress mark): one event per call is not the same output.
                Some(fam) if partial_line => Fix::manual(format!(
                    "{}::{level}!(..) for the whole line, once it is complete; `{name}!` writes part of a line (a prompt or a progress mark), which has no one-to-one rewrite",
                    fam.name
                )),
                // Requires: statement position (`dbg!` returns its argument) and one argument
                // that can be a field (`?name`, `?a.b`).
                Some(fam) if is_value => {
                    // `dbg!(x)` → `tracing::debug!(?x)` when the argument can name a field.
                    let one_name = match mac.args.as_slice() {
                        [MacroArg::Expr(v @ (Val::Path { .. } | Val::Field { .. }))] => {
                            Some(v.span())
                        }
                        _ => None,
                    };
                    match one_name {
                        Some(arg) if mac.parsed && !used_as_value(unit, mac.span) => Fix::maybe(
                            format!(
                                "replace `dbg!` with `{}::debug!(?..)`; `dbg!` returns its argument, so check it was not used as a value",
                                fam.name
                            ),
                            vec![
                                Edit {
                                    file: unit.id,
                                    span: path_span,
                                    replacement: format!("{}::debug", fam.name),
                                },
                                Edit {
                                    file: unit.id,
                                    span: Span::new(arg.start, arg.start),
                                    replacement: "?".into(),
                                },
                            ],
                        ),
                        _ => Fix::manual(format!(
                            "{}::debug!(value = ?expr); // in place of dbg!(expr), or remove it",
                            fam.name
                        )),
                    }
                }
                Some(fam) => {
                    let has_message =
                        matches!(mac.args.first(), Some(MacroArg::Expr(Val::Str { .. })));
                    let desc = format!(
                        "use `{}::{level}!` with the same arguments; this changes what the program writes to stdout/stderr (command output, a prompt, a generated secret would go to the log store), so check the print is diagnostic output",
                        fam.name
                    );
                    let edit = vec![Edit {
                        file: unit.id,
                        span: path_span,
                        replacement: format!("{}::{level}", fam.name),
                    }];
                    if mac.parsed && has_message {
                        // Requires: a format string (an empty event does not compile), and
                        // code a replica runs per request or job (one-shot commands are not
                        // reported at all: their output is their interface). Even then it
                        // changes what the program writes, so at best `maybe`.
                        Fix::maybe(desc, edit)
                    } else {
                        Fix::manual(format!(
                            "{}::{level}!(\"..\"); // a log event needs a message; `{name}!()` with no format string has no rewrite",
                            fam.name
                        ))
                    }
                }
                None => {
                    d = d.help("the crate depends on neither `tracing` nor `log`; add one and install a subscriber");
                    Fix::manual(format!(
                        "tracing::{level}!(\"..\"); // with tracing = \"0.1\" in [dependencies] and a subscriber installed in main"
                    ))
                }
            };
            out.push(d.fix(fix));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::level_named_by;

    #[test]
    fn a_message_names_its_level_at_its_start() {
        assert_eq!(level_named_by("[ERROR] Failed parsing"), Some("error"));
        assert_eq!(
            level_named_by("Error validating domain: {e}"),
            Some("error")
        );
        assert_eq!(level_named_by("[WARNING] Please use"), Some("warn"));
        assert_eq!(level_named_by("WARN: slow"), Some("warn"));
        assert_eq!(level_named_by("[DEPRECATED]: `SMTP_SSL`"), Some("warn"));
        assert_eq!(level_named_by("[INFO] Using saved config"), Some("info"));
        assert_eq!(level_named_by("Errors are counted"), None);
        assert_eq!(level_named_by("information"), None);
        assert_eq!(level_named_by("processed {} orders"), None);
        assert_eq!(level_named_by(""), None);
    }
}
