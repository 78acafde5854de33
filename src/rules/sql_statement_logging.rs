//! `sql-statement-logging`: a database layer set to log every statement at info or above.
//! sea-orm's `ConnectOptions` does so by default; sqlx's `log_statements(..)` can.

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Level, level_of_path};
use crate::catalog::{SqlLogging, segments};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{FileFacts, RegionId, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct SqlStatementLogging;

static META: RuleMeta = RuleMeta {
    id: "sql-statement-logging",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "a database layer that logs every SQL statement at info level or above",
    doc: include_str!("../../rules/docs/sql-statement-logging.md"),
};

/// Methods that end an options chain without setting anything.
const NOT_SETTERS: &[&str] = &["to_owned", "clone", "into", "to_string"];

/// Every method chain inside `v` (not only the outermost), with `v` first.
fn chains<'a>(v: &'a Val, f: &mut dyn FnMut(&'a Val)) {
    f(v);
    let (root, links) = v.chain();
    for l in links {
        for a in l.args() {
            chains(a, f);
        }
    }
    if let Val::Call { args, .. } = root {
        args.iter().for_each(|a| chains(a, f));
    }
}

enum Setting {
    Off,
    /// Set from a variable or config: the team chose it.
    Configured,
    /// An explicit level at info or above: (level, the span of the level's last segment).
    Loud(Level, Span, String),
}

/// What the `switch`/`level_method` calls among `links` say.
fn settings(entry: &SqlLogging, links: &[&Val]) -> Option<Setting> {
    let mut result = None;
    for l in links {
        let Val::Method { name, args, .. } = l else {
            continue;
        };
        if entry.switch.as_ref() == Some(name) {
            match args.first() {
                Some(Val::Bool { value: false, .. }) => return Some(Setting::Off),
                Some(Val::Bool { value: true, .. }) => {}
                _ => return Some(Setting::Configured),
            }
        }
        if *name == entry.level_method {
            match args.first() {
                Some(Val::Path { path, span }) => {
                    let last = path.last().cloned().unwrap_or_default();
                    match level_of_path(path, &["LevelFilter", "Level"]) {
                        Some(l) if l >= Level::Info => {
                            let at = span.end.saturating_sub(last.len());
                            result = Some(Setting::Loud(l, Span::new(at, span.end), last));
                        }
                        // Debug, trace, or `Off`.
                        _ => return Some(Setting::Off),
                    }
                }
                _ => return Some(Setting::Configured),
            }
        }
    }
    result
}

/// The last link of a chain that sets something: where `.sqlx_logging_level(..)` can go.
fn insert_point(links: &[&Val]) -> Option<Span> {
    links
        .iter()
        .rev()
        .find(|l| l.method_name().is_some_and(|n| !NOT_SETTERS.contains(&n)))
        .map(|l| Span::new(l.span().end, l.span().end))
}

/// Whether a value is a connection URL rather than an options value.
fn is_url(facts: &FileFacts, region: RegionId, v: &Val, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    let url_name = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.contains("url")
            || n.contains("uri")
            || n.contains("dsn")
            || n.contains("connection_string")
    };
    match v {
        Val::Str { .. } => true,
        Val::Macro { path, .. } => path.last().is_some_and(|n| n == "format"),
        Val::Field { name, .. } => url_name(name),
        Val::Path { path, .. } if path.len() == 1 => {
            url_name(&path[0])
                || facts
                    .binding(&path[0], region)
                    .is_some_and(|l| is_url(facts, region, &l.init, depth + 1))
        }
        Val::Method { recv, name, .. } => {
            matches!(
                name.as_str(),
                "as_str"
                    | "to_string"
                    | "to_owned"
                    | "clone"
                    | "expect"
                    | "unwrap"
                    | "unwrap_or"
                    | "unwrap_or_else"
            ) && is_url(facts, region, recv, depth + 1)
        }
        Val::Call { .. } => v
            .call_path()
            .is_some_and(|p| p.last().is_some_and(|n| n == "var") && p.iter().any(|s| s == "env")),
        _ => false,
    }
}

impl Rule for SqlStatementLogging {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(
            &[
                "ConnectOptions",
                "Database",
                "log_statements",
                "sqlx_logging",
            ],
            false,
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        let facts = &unit.facts;
        let can_name_log = project.uses_crate(unit, "log");
        for entry in &project.catalog.sql_logging {
            if !project.uses_any(unit, &entry.crates) {
                continue;
            }
            for c in &facts.calls {
                if !unit.is_service_region(c.region) {
                    continue;
                }
                chains(&c.val, &mut |chain| {
                    let (root, links) = chain.chain();
                    let path = root.call_path();
                    let matches = |list: &[String]| {
                        path.is_some_and(|p| list.iter().any(|s| ends_with(p, &segments(s))))
                    };
                    let is_options = matches(&entry.options);
                    let is_connect = matches(&entry.connects);
                    if is_connect && entry.logs_by_default {
                        if let Some(arg) = root.args().first()
                            && is_url(facts, c.region, arg, 0)
                        {
                            out.push(
                                Diagnostic::new(
                                    META.id,
                                    unit.id,
                                    root.span(),
                                    format!(
                                        "{} connects with default options, which log every SQL statement at {} level",
                                        entry.library,
                                        entry.default_level.to_ascii_uppercase()
                                    ),
                                )
                                .note(format!("default: {}", entry.source))
                                .note("every query of every instance becomes a log line; at N instances the log store receives N times the query rate")
                                .fix(Fix::manual(
                                    "let mut opt = sea_orm::ConnectOptions::new(url);\nopt.sqlx_logging_level(log::LevelFilter::Debug);\nlet db = sea_orm::Database::connect(opt).await?;"
)),
                            );
                        }
                        return;
                    }
                    let explicit_method = links
                        .iter()
                        .any(|l| l.method_name() == Some(entry.level_method.as_str()));
                    if !is_options && !explicit_method {
                        return;
                    }
                    // The options may be set up further on a variable: `let mut opt = ConnectOptions::new(..); opt.x(..)`.
                    let mut all_links: Vec<&Val> = links.clone();
                    let mut binding_links: Vec<&Val> = vec![];
                    if is_options
                        && let Some(l) = facts
                            .lets
                            .iter()
                            .find(|l| l.init.chain().0.span() == root.span())
                    {
                        let scope = facts.enclosing_fn(l.region).map_or(l.region, |f| f.body);
                        for other in facts.calls_within(scope) {
                            chains(&other.val, &mut |ch| {
                                let (r, ls) = ch.chain();
                                if matches!(r, Val::Path { path, .. } if path.len() == 1 && path[0] == l.name)
                                {
                                    binding_links.extend(ls);
                                }
                            });
                        }
                        all_links.extend(binding_links.iter().copied());
                    }
                    if !is_options {
                        // Only the explicit level matters on a chain we did not see start.
                        all_links = links.clone();
                    }
                    let setting = settings(entry, &all_links);
                    let lib = &entry.library;
                    match setting {
                        Some(Setting::Off) | Some(Setting::Configured) => {}
                        // A level set on the variable is reported where it is written, once.
                        Some(Setting::Loud(_, span, _)) if !chain.span().contains(span) => {}
                        Some(Setting::Loud(level, span, last)) => {
                            let debug = if last.chars().all(|c| c.is_ascii_uppercase()) {
                                "DEBUG"
                            } else {
                                "Debug"
                            };
                            out.push(
                                Diagnostic::new(
                                    META.id,
                                    unit.id,
                                    span,
                                    format!(
                                        "{lib} is set to log every SQL statement at {} level",
                                        level.name()
                                    ),
                                )
                                .note("every query of every instance becomes a log line; at N instances the log store receives N times the query rate")
                                .fix(Fix::machine(
                                    format!("log statements at debug: `{debug}`"),
                                    vec![Edit {
                                        file: unit.id,
                                        span,
                                        replacement: debug.into(),
                                    }],
                                )),
                            );
                        }
                        None if is_options && entry.logs_by_default => {
                            let method = &entry.level_method;
                            let call = format!(".{method}(log::LevelFilter::Debug)");
                            let at = insert_point(&binding_links).or_else(|| insert_point(&links));
                            let mut d = Diagnostic::new(
                                META.id,
                                unit.id,
                                root.span(),
                                format!(
                                    "{lib} `ConnectOptions` logs every SQL statement at {} level by default",
                                    entry.default_level.to_ascii_uppercase()
                                ),
                            )
                            .note(format!(
                                "neither `{}(false)` nor a lower `{method}(..)` is set on these options; default: {}",
                                entry.switch.as_deref().unwrap_or("sqlx_logging"),
                                entry.source
                            ))
                            .note("every query of every instance becomes a log line; at N instances the log store receives N times the query rate");
                            let fix = match at {
                                Some(at) => {
                                    let edits = vec![Edit {
                                        file: unit.id,
                                        span: at,
                                        replacement: call.clone(),
                                    }];
                                    let desc = format!("log statements at debug: add `{call}`");
                                    if can_name_log {
                                        Fix::machine(desc, edits)
                                    } else {
                                        d = d.note("the crate does not depend on `log`: add `log = \"0.4\"` to [dependencies] for `log::LevelFilter`");
                                        Fix::maybe(desc, edits)
                                    }
                                }
                                None => Fix::manual(format!(
                                    "opt{call}; // on the ConnectOptions before Database::connect(opt)"
                                )),
                            };
                            out.push(d.fix(fix));
                        }
                        None => {}
                    }
                });
            }
        }
    }
}
