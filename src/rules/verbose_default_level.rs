//! `verbose-default-level`: a service that starts at `debug` or `trace` when nothing else is
//! configured, in code (`EnvFilter::new("debug")`, `with_max_level(Level::TRACE)`) or in the
//! deploy files the repository ships (`ENV RUST_LOG=debug`).

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Level, level_of_path};
use crate::catalog::{LogFilter, segments};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{FileFacts, RegionId, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;
use crate::workspace::ExtraKind;

pub struct VerboseDefaultLevel;

static META: RuleMeta = RuleMeta {
    id: "verbose-default-level",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "a default log filter of debug or trace, in code or in shipped deploy files",
    doc: include_str!("../../rules/docs/verbose-default-level.md"),
};

/// Whether a filter directive string (`debug`, `app=trace,tower_http=info`) enables debug or
/// trace, and the string with those levels replaced by `info`.
pub fn verbose_directives(s: &str, verbose: &[String]) -> Option<String> {
    let mut hit = false;
    let parts: Vec<String> = s
        .split(',')
        .map(|d| {
            let (head, level) = match d.rfind('=') {
                Some(i) => (&d[..=i], &d[i + 1..]),
                None => ("", d),
            };
            let trimmed = level.trim();
            if verbose.iter().any(|v| v.eq_ignore_ascii_case(trimmed)) {
                hit = true;
                let lead = &level[..level.len() - level.trim_start().len()];
                let tail = &level[level.trim_end().len()..];
                format!("{head}{lead}info{tail}")
            } else {
                d.to_string()
            }
        })
        .collect();
    hit.then(|| parts.join(","))
}

/// A verbose default found in code: where, what it says, and its edit.
struct Found {
    /// `when RUST_LOG is unset` for a fallback; empty for a fixed default.
    when: &'static str,
    span: Span,
    shown: String,
    replacement: String,
}

fn level_found(path: &[String], span: Span, cfg: &LogFilter) -> Option<Found> {
    let types: Vec<&str> = cfg.level_types.iter().map(String::as_str).collect();
    let level = level_of_path(path, &types)?;
    if level > Level::Debug {
        return None;
    }
    let last = path.last()?;
    let info = if last.chars().all(|c| c.is_ascii_uppercase()) {
        "INFO"
    } else {
        "Info"
    };
    let at = span.end.checked_sub(last.len())?;
    Some(Found {
        when: "",
        span: Span::new(at, span.end),
        shown: format!("{}::{last}", path[path.len() - 2]),
        replacement: info.into(),
    })
}

fn str_found(value: &str, span: Span, cfg: &LogFilter) -> Option<Found> {
    let fixed = verbose_directives(value, &cfg.verbose)?;
    Some(Found {
        when: "",
        span,
        shown: format!("{value:?}"),
        replacement: format!("{fixed:?}"),
    })
}

/// Reads an argument that is a level or a directive string (through `.into()`, `.parse()`..).
fn arg_found(facts: &FileFacts, v: &Val, cfg: &LogFilter, strings: bool) -> Option<Found> {
    match v {
        Val::Str { value, span } if strings => str_found(value, *span, cfg),
        Val::Path { path, span } => level_found(path, *span, cfg),
        Val::Method {
            recv, name, args, ..
        } if args.is_empty()
            && matches!(
                name.as_str(),
                "into" | "parse" | "to_string" | "to_owned" | "unwrap" | "expect" | "into_level"
            ) =>
        {
            arg_found(facts, recv, cfg, strings)
        }
        Val::Method { recv, name, .. } if name == "expect" => arg_found(facts, recv, cfg, strings),
        Val::Macro { path, .. } if strings && path.last().is_some_and(|n| n == "format") => {
            // `format!("{}=debug", env!("CARGO_CRATE_NAME"))`: its format string.
            let region = region_at(facts, v.span())?;
            facts
                .strings
                .iter()
                .filter(|s| s.region == region && v.span().contains(s.span))
                .find_map(|s| str_found(&s.value, s.span, cfg))
        }
        Val::Body {
            tail: Some(tail), ..
        } => arg_found(facts, tail, cfg, strings),
        _ => None,
    }
}

/// The innermost region whose span holds `span` (for strings inside a macro).
fn region_at(facts: &FileFacts, span: Span) -> Option<RegionId> {
    facts
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.span.contains(span))
        .min_by_key(|(_, r)| r.span.end.saturating_sub(r.span.start))
        .map(|(i, _)| i)
}

fn is_env_lookup(v: &Val, cfg: &LogFilter) -> bool {
    let (root, _) = v.chain();
    let Some(p) = root.call_path() else {
        return false;
    };
    if !cfg.env_lookups.iter().any(|s| ends_with(p, &segments(s))) {
        return false;
    }
    if p.last().is_some_and(|n| n == "var") {
        // `env::var("RUST_LOG")`, or a variable named like a log level.
        return root
            .args()
            .first()
            .and_then(Val::as_str)
            .is_some_and(|name| {
                cfg.env_vars.iter().any(|e| e == name) || name.to_ascii_uppercase().contains("LOG")
            });
    }
    true
}

fn scan(facts: &FileFacts, v: &Val, cfg: &LogFilter, out: &mut Vec<Found>) {
    v.walk(&mut |node| match node {
        Val::Call { args, .. } => {
            let Some(p) = node.call_path() else { return };
            if !cfg.calls.iter().any(|s| ends_with(p, &segments(s))) {
                return;
            }
            if p.last().is_some_and(|n| n == "set_var") {
                let is_log_var = args
                    .first()
                    .and_then(Val::as_str)
                    .is_some_and(|n| cfg.env_vars.iter().any(|e| e == n));
                if is_log_var
                    && let Some(f) = args.get(1).and_then(|a| arg_found(facts, a, cfg, true))
                {
                    out.push(f);
                }
                return;
            }
            out.extend(args.iter().filter_map(|a| arg_found(facts, a, cfg, true)));
        }
        Val::Method {
            recv, name, args, ..
        } => {
            if cfg.fallbacks.contains(name) {
                if is_env_lookup(recv, cfg) {
                    out.extend(
                        args.iter()
                            .filter_map(|a| arg_found(facts, a, cfg, true))
                            .map(|f| Found {
                                when: " when `RUST_LOG` is unset",
                                ..f
                            }),
                    );
                }
            } else if cfg.methods.contains(name) {
                // Strings only where the method takes a directive; levels everywhere.
                let strings = matches!(
                    name.as_str(),
                    "with_env_filter"
                        | "parse"
                        | "parse_lossy"
                        | "default_filter_or"
                        | "add_directive"
                        | "with_default_directive"
                );
                if name == "parse" || name == "parse_lossy" {
                    let (root, _) = recv.chain();
                    let on_filter = root
                        .call_path()
                        .is_some_and(|p| p.iter().any(|s| s == "EnvFilter" || s == "Builder"));
                    if !on_filter {
                        return;
                    }
                }
                out.extend(
                    args.iter()
                        .filter_map(|a| arg_found(facts, a, cfg, strings)),
                );
            }
        }
        _ => {}
    });
}

/// A subscriber for test output (`.with_test_writer()`): not what the service runs with.
pub fn writes_to_tests(v: &Val) -> bool {
    let mut hit = false;
    v.walk(&mut |n| {
        if n.method_name() == Some("with_test_writer") {
            hit = true;
        }
    });
    hit
}

/// A filter bound to a name (`let env_filter = EnvFilter::builder()..;`) that a subscriber
/// writing to the test harness takes (`fmt().with_env_filter(env_filter).with_test_writer()`):
/// the tests' logger, built in two statements.
fn bound_for_tests(facts: &FileFacts, call: &crate::facts::CallFact) -> bool {
    let span = call.val.span();
    let Some(binding) = facts
        .lets
        .iter()
        .find(|l| !l.field_of_init && l.init.span() == span)
    else {
        return false;
    };
    let uses_binding = |v: &Val| {
        let mut hit = false;
        v.walk(&mut |n| {
            if let Val::Path { path, .. } = n
                && path.len() == 1
                && path[0] == binding.name
            {
                hit = true;
            }
        });
        hit
    };
    facts.calls_within(binding.region).any(|c| {
        c.val.span().start > binding.span.end && writes_to_tests(&c.val) && uses_binding(&c.val)
    })
}

fn dev_only(facts: &FileFacts, region: RegionId) -> bool {
    // `if cfg!(debug_assertions) { "debug" } else { "info" }`: the verbose branch is for dev builds.
    let scope = facts
        .ancestors(region)
        .find(|(_, r)| matches!(r.kind, crate::facts::RegionKind::Fn(_)))
        .map_or(region, |(id, _)| id);
    facts.macros_within(scope).any(|m| {
        m.path.last().is_some_and(|n| n == "cfg")
            && m.args.iter().any(|a| {
                matches!(a, crate::facts::MacroArg::Expr(Val::Path { path, .. }) if path.last().is_some_and(|p| p == "debug_assertions"))
            })
    })
}

/// A `LevelFilter` layered beside the filter (`registry().with(max_level).with(env_filter)`):
/// tracing-subscriber's `Layer for LevelFilter` enables an event only when
/// `self >= metadata.level()`, so it caps every directive of the filter. A cap chosen at run
/// time (a `match`/`if` over the configuration, `LevelFilter::from_level(config.level)`) or a
/// constant cap at `INFO` or less means the default level is not the directive's; a constant
/// `TRACE`/`DEBUG` cap lets the directive through. Returns what the cap is, for the reasoning.
fn level_cap(facts: &FileFacts, text: Option<&str>, region: RegionId) -> Option<String> {
    let scope = facts
        .ancestors(region)
        .find(|(_, r)| matches!(r.kind, crate::facts::RegionKind::Fn(_)))
        .map(|(id, _)| id)?;
    let words = |span: Span| text.and_then(|t| t.get(span.start..span.end));
    let constant = |path: &[String]| -> Option<Option<String>> {
        let n = path.len();
        if n < 2 || path[n - 2] != "LevelFilter" {
            return None;
        }
        let level = path[n - 1].to_ascii_uppercase();
        Some(
            matches!(level.as_str(), "INFO" | "WARN" | "ERROR" | "OFF")
                .then(|| format!("LevelFilter::{level}")),
        )
    };
    // What one `.with(arg)` argument caps at: None when it is no cap (or a verbose constant).
    let cap_of = |arg: &Val, at: Span| -> Option<String> {
        match arg {
            Val::Path { path, .. } if path.len() >= 2 => constant(path)?,
            Val::Path { path, .. } if path.len() == 1 => {
                let binding = facts.lets.iter().rfind(|l| {
                    l.name == path[0]
                        && !l.field_of_init
                        && l.span.end <= at.start
                        && facts.is_within(l.region, scope)
                })?;
                match &binding.init {
                    Val::Path { path, .. } => constant(path)?,
                    Val::Call { func, .. } if matches!(&**func, Val::Path { path, .. } if path.iter().any(|s| s == "LevelFilter")) => {
                        Some(format!(
                            "`{}`, a LevelFilter chosen at run time",
                            binding.name
                        ))
                    }
                    // A `match`/`if` whose arms are LevelFilter values: chosen at run time.
                    Val::Other { span } => words(*span)
                        .is_some_and(|w| w.contains("LevelFilter::"))
                        .then(|| format!("`{}`, a LevelFilter chosen at run time", binding.name)),
                    _ => None,
                }
            }
            Val::Call { func, .. } => match &**func {
                Val::Path { path, .. } if path.iter().any(|s| s == "LevelFilter") => {
                    Some("a LevelFilter chosen at run time".to_string())
                }
                _ => None,
            },
            _ => None,
        }
    };
    facts.calls_within(scope).find_map(|c| {
        let mut cap = None;
        c.val.walk(&mut |n| {
            if cap.is_none()
                && let Val::Method { name, args, .. } = n
                && name == "with"
                && args.len() == 1
            {
                cap = cap_of(&args[0], n.span());
            }
        });
        cap
    })
}

fn diagnostic(file: usize, f: &Found, message: String) -> Diagnostic {
    Diagnostic::new(META.id, file, f.span, message)
    .note("debug and trace write many lines per request; every instance writes its own, so the default volume is multiplied by the instance count")
    .help("start at `info` and raise the level for one module (`RUST_LOG=info,my_app::billing=debug`) while investigating")
    .fix(Fix::machine(
        format!("default to `info`: `{}`", f.replacement),
        vec![Edit {
            file,
            span: f.span,
            replacement: f.replacement.clone(),
        }],
    ))
}

/// `RUST_LOG=debug` in a deploy file: (value span, value).
fn deploy_values(kind: ExtraKind, text: &str, vars: &[String]) -> Vec<(Span, String)> {
    let mut out = vec![];
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut starts = vec![];
    for l in &lines {
        starts.push(offset);
        offset += l.len();
    }
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        if kind == ExtraKind::Dockerfile && !trimmed.to_ascii_uppercase().starts_with("ENV ") {
            continue;
        }
        for var in vars {
            let Some(at) = line.find(var.as_str()) else {
                continue;
            };
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let after = &line[at + var.len()..];
            let after_q = after.trim_start_matches(['"', '\'']);
            // K8s: `- name: RUST_LOG` then `value: debug` on the next line.
            if kind == ExtraKind::Yaml
                && line[..at].trim_end().ends_with("name:")
                && after_q.trim().is_empty()
            {
                if let Some(next) = lines.get(i + 1) {
                    let n = next.trim_end_matches(['\n', '\r']);
                    if let Some(v) = n.find("value:") {
                        let vstart = v + "value:".len();
                        if let Some(val) = value_at(n, vstart) {
                            out.push((
                                Span::new(starts[i + 1] + val.0, starts[i + 1] + val.1),
                                n[val.0..val.1].to_string(),
                            ));
                        }
                    }
                }
                continue;
            }
            let sep_len = after.len() - after_q.len();
            let rest_start = at + var.len() + sep_len;
            let rest = &line[rest_start..];
            let sep = rest.chars().next();
            let vstart = match (kind, sep) {
                (_, Some('=')) => rest_start + 1,
                (ExtraKind::Yaml, Some(':')) => rest_start + 1,
                (ExtraKind::Dockerfile, Some(' ')) => rest_start,
                _ => continue,
            };
            if let Some(val) = value_at(line, vstart) {
                out.push((
                    Span::new(starts[i] + val.0, starts[i] + val.1),
                    line[val.0..val.1].to_string(),
                ));
            }
        }
    }
    out
}

/// The value starting at `from` (after spaces and an opening quote), to its closing quote or
/// the next space.
fn value_at(line: &str, from: usize) -> Option<(usize, usize)> {
    let rest = &line[from..];
    let skip = rest.len() - rest.trim_start().len();
    let mut start = from + skip;
    let quote = line[start..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'');
    if quote.is_some() {
        start += 1;
    }
    let body = &line[start..];
    let len = match quote {
        Some(q) => body.find(q)?,
        None => body
            .find(|c: char| c.is_whitespace() || c == '#')
            .unwrap_or(body.len()),
    };
    (len > 0).then_some((start, start + len))
}

impl Rule for VerboseDefaultLevel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(
            &["debug", "trace", "DEBUG", "TRACE", "Debug", "Trace"],
            false,
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        let facts = &unit.facts;
        let mut text: Option<Option<std::borrow::Cow<'_, str>>> = None;
        for cfg in &project.catalog.log_filter {
            for c in &facts.calls {
                if !project.runs_on_replicas(unit, c.region, c.val.span()) {
                    continue;
                }
                if writes_to_tests(&c.val) || bound_for_tests(facts, c) {
                    continue;
                }
                let mut found = vec![];
                scan(facts, &c.val, cfg, &mut found);
                if found.is_empty() || dev_only(facts, c.region) {
                    continue;
                }
                let text = text.get_or_insert_with(|| unit.text());
                if level_cap(facts, text.as_deref(), c.region).is_some() {
                    continue;
                }
                for f in found {
                    let message = format!(
                        "default log filter {} turns on debug output{}: every instance writes it",
                        f.shown, f.when
                    );
                    out.push(diagnostic(unit.id, &f, message));
                }
            }
        }
    }

    fn check_project(&self, project: &Project, out: &mut Vec<Diagnostic>) {
        for cfg in &project.catalog.log_filter {
            for extra in project.extras.iter().filter(|e| {
                e.reported
                    && matches!(
                        e.kind,
                        ExtraKind::Dockerfile | ExtraKind::Env | ExtraKind::Yaml
                    )
                    && project.ships(e)
            }) {
                for (span, value) in deploy_values(extra.kind, &extra.text, &cfg.env_vars) {
                    let Some(fixed) = verbose_directives(&value, &cfg.verbose) else {
                        continue;
                    };
                    let f = Found {
                        when: "",
                        span,
                        shown: if value.chars().count() > 48 {
                            format!("RUST_LOG={}..", value.chars().take(46).collect::<String>())
                        } else {
                            format!("RUST_LOG={value}")
                        },
                        replacement: fixed,
                    };
                    let message = format!(
                        "`{}` in a shipped deploy file starts every instance at a verbose log level",
                        f.shown
                    );
                    out.push(diagnostic(extra.id, &f, message));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let v = vec!["debug".to_string(), "trace".to_string()];
        assert_eq!(verbose_directives("debug", &v).as_deref(), Some("info"));
        assert_eq!(
            verbose_directives("{}=debug,tower_http=trace", &v).as_deref(),
            Some("{}=info,tower_http=info")
        );
        assert_eq!(verbose_directives("info,sqlx=warn", &v), None);
    }

    #[test]
    fn deploy_lines() {
        let vars = vec!["RUST_LOG".to_string()];
        let d = deploy_values(
            ExtraKind::Dockerfile,
            "FROM x\nENV RUST_LOG=debug\nENV RUST_LOG trace\n",
            &vars,
        );
        assert_eq!(
            d.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
            ["debug", "trace"]
        );
        let y = "env:\n  - name: RUST_LOG\n    value: \"debug\"\n  RUST_LOG: trace\n  - RUST_LOG=app=debug\n";
        let d = deploy_values(ExtraKind::Yaml, y, &vars);
        assert_eq!(
            d.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
            ["debug", "trace", "app=debug"]
        );
        assert_eq!(&y[d[0].0.start..d[0].0.end], "debug");
    }
}
