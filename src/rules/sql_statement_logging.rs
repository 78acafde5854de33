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

/// The rank of a level name (`off` 0 .. `trace` 5), for comparing a directive with a statement level.
fn rank(level: &str) -> Option<u8> {
    Some(match level.trim().to_ascii_lowercase().as_str() {
        "off" => 0,
        "error" => 1,
        "warn" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        _ => return None,
    })
}

/// Methods and functions whose arguments are filter directives (`EnvFilter::new("..")`,
/// `.add_directive("sqlx=warn".parse()?)`, `fmt().with_env_filter(format!("{},sqlx::query=error", level))`).
const DIRECTIVE_METHODS: &[&str] = &[
    "with_env_filter",
    "add_directive",
    "parse",
    "parse_lossy",
    "with_default_directive",
];

/// The most specific directive anywhere in the workspace's service code that sets `target`
/// (itself or a parent module: `sqlx` covers `sqlx::query`), read from the literal parts of
/// directive strings, `format!` strings included: (its level's rank, the directive, where).
fn target_directive(project: &Project, target: &str) -> Option<(u8, String, String)> {
    let mut best: Option<(usize, u8, String, String)> = None;
    for unit in project.units.iter().filter(|u| u.is_service_source()) {
        let facts = &unit.facts;
        let mut consider = |arg: &Val, region: RegionId| {
            let span = arg.span();
            let _ = region;
            for s in facts.strings.iter().filter(|s| span.contains(s.span)) {
                for d in s.value.split(',') {
                    let Some((t, level)) = d.trim().split_once('=') else {
                        continue;
                    };
                    let t = t.trim();
                    let Some(r) = rank(level) else { continue };
                    let covers = target == t
                        || target
                            .strip_prefix(t)
                            .is_some_and(|rest| rest.starts_with("::"));
                    if covers && best.as_ref().is_none_or(|b| t.len() > b.0) {
                        best = Some((
                            t.len(),
                            r,
                            d.trim().to_string(),
                            project.place(unit, s.span),
                        ));
                    }
                }
            }
        };
        for c in &facts.calls {
            if facts.in_test(c.region) {
                continue;
            }
            let mut args: Vec<&Val> = vec![];
            c.val.walk(&mut |n| match n {
                Val::Method {
                    recv,
                    name,
                    args: a,
                    ..
                } if DIRECTIVE_METHODS.contains(&name.as_str()) => {
                    args.extend(a.iter());
                    // `"sqlx=warn".parse()`: the directive is the receiver.
                    if matches!(name.as_str(), "parse" | "parse_lossy")
                        && matches!(&**recv, Val::Str { .. })
                    {
                        args.push(recv);
                    }
                }
                Val::Call { args: a, .. }
                    if n.call_path().is_some_and(|p| {
                        p.len() >= 2
                            && p[p.len() - 2] == "EnvFilter"
                            && matches!(p[p.len() - 1].as_str(), "new" | "try_new")
                    }) =>
                {
                    args.extend(a.iter());
                }
                _ => {}
            });
            for a in args {
                consider(a, c.region);
            }
        }
    }
    best.map(|(_, r, d, at)| (r, d, at))
}

impl Rule for SqlStatementLogging {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(
            &[
                "ConnectOptions",
                "PoolOptions",
                "Pool::connect",
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
        if project.uses_crate(unit, "sqlx") {
            old_sqlx(project, unit, out);
        }
        let can_name_log = project.uses_crate(unit, "log");
        for entry in &project.catalog.sql_logging {
            if !project.uses_any(unit, &entry.crates) {
                continue;
            }
            // A directive that sets the statements' target below their level silences them
            // (`sqlx::query=error` in the service's EnvFilter); read once, when needed.
            let directive = std::cell::OnceCell::new();
            let filtered_out = |level: &str| -> bool {
                let Some(target) = entry.target.as_deref() else {
                    return false;
                };
                directive
                    .get_or_init(|| target_directive(project, target))
                    .as_ref()
                    .is_some_and(|(r, _, _)| rank(level).is_some_and(|l| *r < l))
            };
            for c in &facts.calls {
                if !project.runs_on_replicas(unit, c.region, c.val.span()) {
                    continue;
                }
                chains(&c.val, &mut |chain| {
                    let (root, links) = chain.chain();
                    let path = root.call_path();
                    // `async_nats::ConnectOptions::new` ends like sea-orm's but is another
                    // crate's type: a path that names its crate must name this library's.
                    let matches = |list: &[String]| {
                        path.is_some_and(|p| {
                            list.iter().any(|s| {
                                let seg = segments(s);
                                ends_with(p, &seg)
                                    && (p.len() == seg.len()
                                        || entry.crates.contains(&p[0])
                                        || matches!(p[0].as_str(), "crate" | "self" | "super"))
                            })
                        })
                    };
                    let is_options = matches(&entry.options);
                    let is_connect = matches(&entry.connects);
                    if is_connect && entry.logs_by_default {
                        if let Some(arg) = root.args().first()
                            && is_url(facts, c.region, arg, 0)
                            && !filtered_out(&entry.default_level)
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
                        Some(Setting::Loud(level, _, _)) if filtered_out(level.name()) => {}
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
                        None if is_options
                            && entry.logs_by_default
                            && filtered_out(&entry.default_level) => {}
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
                            // Requires: the crate depends on `log` (the inserted call names
                            // `log::LevelFilter`), and a chain on the options to extend. Without
                            // `log` no edit is offered: `log::` would not resolve (E0433).
                            let fix = match at {
                                Some(at) if can_name_log => Fix::machine(
                                    format!("log statements at debug: add `{call}`"),
                                    vec![Edit {
                                        file: unit.id,
                                        span: at,
                                        replacement: call.clone(),
                                    }],
                                ),
                                Some(_) => {
                                    d = d.note("the crate does not depend on `log`, which the level is named from (`log::LevelFilter`), so no edit is offered");
                                    Fix::manual(format!(
                                        "add `{call}` to the ConnectOptions, after adding `log = \"0.4\"` to [dependencies]"
                                    ))
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

/// Pool and connection calls of sqlx whose connections log statements with sqlx's defaults.
const SQLX_CONNECTS: &[&[&str]] = &[
    &["PgPoolOptions", "new"],
    &["MySqlPoolOptions", "new"],
    &["SqlitePoolOptions", "new"],
    &["PoolOptions", "new"],
    &["PgPool", "connect"],
    &["MySqlPool", "connect"],
    &["SqlitePool", "connect"],
    &["PgPool", "connect_lazy"],
    &["Pool", "connect"],
];

/// sqlx up to 0.6 logs every statement at INFO (0.7 lowered it to DEBUG): report each pool
/// built from a URL in a file that never sets `log_statements`.
fn old_sqlx(project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
    let facts = &unit.facts;
    let mut version: Option<Option<((u64, u64), String)>> = None;
    let sets_level = facts.calls.iter().any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            hit |= matches!(
                v.method_name(),
                Some("log_statements" | "disable_statement_logging")
            )
        });
        hit
    });
    if sets_level {
        return;
    }
    for c in &facts.calls {
        if !unit.is_service_region(c.region) {
            continue;
        }
        let (root, links) = c.val.chain();
        let Some(path) = root.call_path() else {
            continue;
        };
        if !SQLX_CONNECTS.iter().any(|s| ends_with(path, s))
            || (path.len() > 2 && path[0] != "sqlx")
        {
            continue;
        }
        let connects_url = path.last().is_some_and(|n| n.starts_with("connect"))
            || links
                .iter()
                .any(|l| matches!(l.method_name(), Some("connect" | "connect_lazy")));
        if !connects_url {
            continue;
        }
        // Read the version only for a file that builds a pool.
        let Some(((major, minor), from)) = version
            .get_or_insert_with(|| sqlx_version(project, unit))
            .clone()
        else {
            return;
        };
        if (major, minor) >= (0, 7) {
            return;
        }
        out.push(
            Diagnostic::new(
                META.id,
                unit.id,
                c.val.span(),
                format!(
                    "sqlx {major}.{minor} logs every SQL statement at INFO level, and this pool connects with the default settings"
                ),
            )
            .note(format!(
                "sqlx is {from}; up to 0.6 its connections log each statement at INFO (sqlx-core 0.6.3 src/connection.rs, `LevelFilter::Info`); 0.7 lowered it to DEBUG (sqlx pull request 2393)"
            ))
            .note("every query of every instance becomes a log line; at N instances the log store receives N times the query rate")
            .fix(Fix::manual(
                "let opts = sqlx::postgres::PgConnectOptions::from_str(&url)?\n    .log_statements(log::LevelFilter::Debug);\nlet pool = PgPoolOptions::new().connect_with(opts).await?;\n// or upgrade sqlx to 0.7 or later, which logs statements at DEBUG",
            )),
        );
    }
}

/// sqlx's version: resolved in `Cargo.lock` (the nearest one above the crate), else the
/// manifest's requirement. Returns (major, minor) and where it was read.
fn sqlx_version(project: &Project, unit: &Unit) -> Option<((u64, u64), String)> {
    let krate = project.crate_of(unit);
    let parse = |v: &str| -> Option<(u64, u64)> {
        let v = v.trim_start_matches(['^', '=', '~', ' ']);
        let mut it = v.split('.');
        let major = it.next()?.trim().parse().ok()?;
        let minor = it.next().map_or(Some(0), |m| m.trim().parse().ok())?;
        Some((major, minor))
    };
    let mut dir = Some(krate.dir.as_path());
    while let Some(d) = dir {
        let lock = d.join("Cargo.lock");
        if let Ok(text) = std::fs::read_to_string(&lock)
            && let Ok(doc) = text.parse::<toml::Table>()
        {
            let versions: Vec<&str> = doc
                .get("package")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some("sqlx"))
                .filter_map(|p| p.get("version").and_then(|v| v.as_str()))
                .collect();
            if let [only] = versions.as_slice() {
                return parse(only).map(|v| (v, format!("{only} in Cargo.lock")));
            }
            break;
        }
        if d == project.root {
            break;
        }
        dir = d.parent();
    }
    let manifest = std::fs::read_to_string(krate.manifest.as_ref()?).ok()?;
    let doc = manifest.parse::<toml::Table>().ok()?;
    let dep = doc.get("dependencies")?.get("sqlx")?;
    let req = dep
        .as_str()
        .or_else(|| dep.get("version").and_then(|v| v.as_str()))?;
    parse(req).map(|v| {
        (
            v,
            format!("required as \"{req}\" in Cargo.toml (no Cargo.lock)"),
        )
    })
}
