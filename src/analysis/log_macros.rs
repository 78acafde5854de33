//! Shared reading of `log`/`tracing` macros for the `logs` rules: which macro is an event,
//! at what level, how to rename it, whether it sits in a loop, and format-string placeholders.

use crate::catalog::{Catalog, LogFamily};
use crate::facts::{
    FileFacts, LoopBound, MacroArg, MacroFact, RegionId, RegionKind, Val, ends_with,
};
use crate::project::{Project, Unit};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            "trace" => Some(Level::Trace),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// A `log`/`tracing` event macro with its level.
pub struct Event<'a> {
    pub mac: &'a MacroFact,
    pub family: &'a LogFamily,
    pub level: Level,
    /// For `event!(Level::INFO, ..)`: the level argument's span.
    pub level_arg: Option<Span>,
}

impl Event<'_> {
    /// What the macro is called as, for messages: `info!` or `event!(Level::INFO, ..)`.
    pub fn shown(&self) -> String {
        let name = self.mac.path.last().map_or("", String::as_str);
        if self.level_arg.is_some() {
            format!("{name}!({}, ..)", level_const(self.family, self.level))
        } else {
            format!("{name}!")
        }
    }

    /// An edit that lowers the event to `to`: renames the macro to `<crate>::<to>` or, for
    /// `event!`, rewrites the level argument.
    pub fn relevel_edit(&self, to: Level) -> (Span, String) {
        match self.level_arg {
            Some(span) => (span, level_const(self.family, to)),
            None => (
                Span::new(self.mac.span.start, self.mac.name_span.end),
                format!("{}::{}", self.family.name, to.name()),
            ),
        }
    }
}

/// `Level::INFO` (tracing) or `Level::Info` (log).
pub fn level_const(family: &LogFamily, level: Level) -> String {
    let name = level.name();
    let shown = if family.level_case == "upper" {
        name.to_ascii_uppercase()
    } else {
        let mut c = name.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    format!("{}::Level::{shown}", family.name)
}

/// The level named by a path such as `tracing::Level::INFO` or `LevelFilter::Debug`.
pub fn level_of_path(path: &[String], level_types: &[&str]) -> Option<Level> {
    if path.len() < 2 || !level_types.contains(&path[path.len() - 2].as_str()) {
        return None;
    }
    Level::parse(path.last()?)
}

/// Which family a bare macro name (`info!` with `#[macro_use]` or a glob import) belongs to.
fn bare_family<'c>(project: &Project, unit: &Unit, catalog: &'c Catalog) -> Option<&'c LogFamily> {
    let facts = &unit.facts;
    // A glob import (`use tracing::*`) decides; then a crate the file names; then dependencies.
    if let Some(f) = catalog.log_family.iter().find(|f| {
        facts
            .globs
            .iter()
            .any(|g| g.len() == 1 && f.crates.contains(&g[0]))
    }) {
        return Some(f);
    }
    if let Some(f) = catalog
        .log_family
        .iter()
        .find(|f| f.crates.iter().any(|c| facts.crate_refs.contains(c)))
    {
        return Some(f);
    }
    catalog
        .log_family
        .iter()
        .find(|f| f.crates.iter().any(|c| project.uses_crate(unit, c)))
}

/// The event a macro invocation is, if it is a `log`/`tracing` event.
pub fn event<'a>(project: &'a Project, unit: &Unit, mac: &'a MacroFact) -> Option<Event<'a>> {
    let catalog = &*project.catalog;
    let name = mac.path.last()?;
    let family = if mac.path.len() == 1 {
        bare_family(project, unit, catalog)?
    } else {
        catalog
            .log_family
            .iter()
            .find(|f| f.crates.contains(&mac.path[0]))?
    };
    if family.event_macros.contains(name) {
        return Some(Event {
            mac,
            family,
            level: Level::parse(name)?,
            level_arg: None,
        });
    }
    if family.leveled_macros.contains(name) {
        for arg in &mac.args {
            if let MacroArg::Expr(Val::Path { path, span }) = arg
                && let Some(level) = level_of_path(path, &["Level"])
            {
                return Some(Event {
                    mac,
                    family,
                    level,
                    level_arg: Some(*span),
                });
            }
        }
    }
    None
}

/// Every event in service code of the unit.
pub fn events<'a>(project: &'a Project, unit: &'a Unit) -> impl Iterator<Item = Event<'a>> + 'a {
    unit.facts
        .macros
        .iter()
        .filter(|m| project.runs_on_replicas(unit, m.region, m.span))
        .filter_map(move |m| event(project, unit, m))
}

/// The family the crate logs with, for fixes that introduce a macro: `tracing` if it
/// depends on it, else `log`.
pub fn crate_family<'c>(project: &'c Project, unit: &Unit) -> Option<&'c LogFamily> {
    let catalog = &*project.catalog;
    catalog
        .log_family
        .iter()
        .find(|f| f.crates.iter().any(|c| project.uses_crate(unit, c)))
}

/// A loop an event sits in.
pub struct LoopCtx {
    /// `for loop`, `while loop`, `loop`, or the adaptor (`for_each`).
    pub what: String,
    pub span: Span,
    /// The loop's body region (None for a per-item closure).
    pub region: Option<RegionId>,
    /// What the header says about the number of passes.
    pub bound: LoopBound,
    /// What makes it wait between rounds.
    pub pacing: Pacing,
}

/// What a loop waits on between rounds.
#[derive(Debug, Clone, PartialEq)]
pub enum Pacing {
    /// Nothing in the body waits on a timer.
    None,
    /// Timer waits (`sleep`, `interval.tick()`) whose periods are all known: the longest, in
    /// milliseconds, and where each wait is.
    Every(u128, Vec<Span>),
    /// It waits on something whose period is not written as a literal (a configured interval,
    /// a `select!` on a timer or a shutdown signal).
    Unknown(Vec<Span>),
}

impl Pacing {
    pub fn waits(&self) -> &[Span] {
        match self {
            Pacing::None => &[],
            Pacing::Every(_, w) | Pacing::Unknown(w) => w,
        }
    }
}

/// The innermost loop (or per-item closure) around `region` within its function.
pub fn enclosing_loop(project: &Project, facts: &FileFacts, region: RegionId) -> Option<LoopCtx> {
    let adaptors = &project.catalog.loop_adaptors;
    for (id, r) in facts.ancestors(region) {
        match &r.kind {
            RegionKind::Fn(_) | RegionKind::Mod(_) | RegionKind::File => return None,
            RegionKind::Loop(kind) => {
                let what = match kind {
                    crate::facts::LoopKind::For => "`for` loop",
                    crate::facts::LoopKind::While => "`while` loop",
                    crate::facts::LoopKind::Loop => "`loop`",
                };
                return Some(LoopCtx {
                    what: what.into(),
                    span: r.span,
                    region: Some(id),
                    bound: facts.loop_bound(id).clone(),
                    pacing: pacing(project, facts, id),
                });
            }
            RegionKind::Closure | RegionKind::AsyncBlock => {
                let Some(arg_of) = &r.arg_of else { continue };
                if !arg_of.method {
                    continue;
                }
                let Some(method) = arg_of.callee.last() else {
                    continue;
                };
                let always = adaptors.iter().any(|a| a.always.contains(method));
                let weak = adaptors.iter().any(|a| a.when_iterating.contains(method));
                if always || (weak && receiver_iterates(project, facts, arg_of.call_span)) {
                    return Some(LoopCtx {
                        what: format!("`.{method}(..)` closure"),
                        span: arg_of.call_span,
                        region: None,
                        bound: LoopBound::Open,
                        pacing: Pacing::None,
                    });
                }
            }
        }
    }
    None
}

/// Milliseconds of a `Duration::from_secs(5)` / `from_millis(500)` inside `v`, with constants
/// of the file followed.
fn duration_ms(facts: &FileFacts, v: &Val) -> Option<u128> {
    let mut found = None;
    v.walk(&mut |x| {
        if found.is_some() {
            return;
        }
        let Some(p) = x.call_path() else { return };
        let scale: u128 = match p.last().map(String::as_str) {
            Some("from_secs") => 1_000_000,
            Some("from_millis") => 1_000,
            Some("from_micros") => 1,
            Some("from_nanos") => 0,
            _ => return,
        };
        let n = match x.args().first() {
            Some(Val::Int { value, .. }) => Some(*value),
            Some(Val::Path { path, .. }) if path.len() == 1 => facts
                .consts
                .iter()
                .find(|c| c.name == path[0])
                .and_then(|c| match c.value {
                    Val::Int { value, .. } => Some(value),
                    _ => None,
                }),
            _ => None,
        };
        // Microseconds, then milliseconds (nanoseconds round to zero).
        found = n.map(|n| n.saturating_mul(scale) / 1_000);
    });
    found
}

/// What the loop whose body is `loop_region` waits on between rounds.
fn pacing(project: &Project, facts: &FileFacts, loop_region: RegionId) -> Pacing {
    let adaptors = &project.catalog.loop_adaptors;
    let mut waits = vec![];
    let mut known = Some(0u128);
    // A `select!` loop waits on something its arms do not show (a timer, a shutdown signal):
    // it is not known to run per item.
    for m in facts.macros_within(loop_region) {
        if m.path.last().is_some_and(|n| n == "select") {
            waits.push(m.span);
            known = None;
        }
    }
    for c in facts.calls_within(loop_region) {
        c.val.walk(&mut |v| match v {
            Val::Method { name, recv, .. }
                if adaptors.iter().any(|a| a.periodic_methods.contains(name)) =>
            {
                waits.push(v.span());
                // `interval.tick()`: the period is where the interval was made.
                let period = match &**recv {
                    Val::Path { path, .. } if path.len() == 1 => facts
                        .binding(&path[0], c.region)
                        .and_then(|l| duration_ms(facts, &l.init)),
                    _ => None,
                };
                known = known.zip(period).map(|(a, b)| a.max(b));
            }
            Val::Call { args, .. } => {
                if let Some(p) = v.call_path()
                    && adaptors.iter().any(|a| {
                        a.periodic_calls
                            .iter()
                            .any(|s| ends_with(p, &crate::catalog::segments(s)))
                    })
                {
                    waits.push(v.span());
                    let period = args.first().and_then(|a| match a {
                        Val::Path { path, .. } if path.len() == 1 => facts
                            .binding(&path[0], c.region)
                            .and_then(|l| duration_ms(facts, &l.init)),
                        other => duration_ms(facts, other),
                    });
                    known = known.zip(period).map(|(a, b)| a.max(b));
                }
            }
            _ => {}
        });
    }
    match (waits.is_empty(), known) {
        (true, _) => Pacing::None,
        (false, Some(ms)) => Pacing::Every(ms, waits),
        (false, None) => Pacing::Unknown(waits),
    }
}

/// Iterator and stream methods that consume the iteration and return one value (an `Option`, a
/// number, a collection): a closure passed to a method after them runs once, not per item.
const ITERATOR_CONSUMERS: &[&str] = &[
    "find",
    "find_map",
    "next",
    "last",
    "nth",
    "max",
    "min",
    "max_by",
    "min_by",
    "max_by_key",
    "min_by_key",
    "position",
    "rposition",
    "count",
    "sum",
    "product",
    "reduce",
    "fold",
    "collect",
    "try_collect",
    "any",
    "all",
    "peek",
    "first",
    "get",
];

/// Whether the method call at `call_span` is made on an iterator or a stream.
fn receiver_iterates(project: &Project, facts: &FileFacts, call_span: Span) -> bool {
    let adaptors = &project.catalog.loop_adaptors;
    let mut found = None;
    for c in &facts.calls {
        if !c.val.span().contains(call_span) {
            continue;
        }
        c.val.walk(&mut |v| {
            if found.is_none() && v.span() == call_span && matches!(v, Val::Method { .. }) {
                found = Some(v);
            }
        });
        if found.is_some() {
            break;
        }
    }
    let Some(Val::Method { recv, .. }) = found else {
        return false;
    };
    let (root, links) = recv.chain();
    // `.keys().find(..).map(..)`: a method that consumes the iterator (`find`, `next`, `max`)
    // leaves one value; what follows it is `Option::map`, run once.
    let names: Vec<&str> = links.iter().filter_map(|l| l.method_name()).collect();
    let is_source = |n: &str| adaptors.iter().any(|a| a.sources.iter().any(|s| s == n));
    if let Some(last_source) = names.iter().rposition(|n| is_source(n)) {
        return !names[last_source + 1..]
            .iter()
            .any(|n| ITERATOR_CONSUMERS.contains(n));
    }
    root.call_path().is_some_and(|p| {
        adaptors.iter().any(|a| {
            a.source_calls
                .iter()
                .any(|s| ends_with(p, &crate::catalog::segments(s)))
        })
    })
}

/// A `{..}` placeholder of a format string.
#[derive(Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// The argument it formats: a position among the arguments after the format string, or a name.
    pub arg: PlaceholderArg,
    /// `{:?}` or `{:#?}` (Debug).
    pub debug: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PlaceholderArg {
    Index(usize),
    Name(String),
}

/// The placeholders of a format string, with implicit positions numbered.
pub fn placeholders(fmt: &str) -> Vec<Placeholder> {
    let mut out = vec![];
    let mut next = 0;
    let mut chars = fmt.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                if chars.peek().is_some_and(|(_, c)| *c == '{') {
                    chars.next();
                    continue;
                }
                let rest = &fmt[i + 1..];
                let Some(end) = rest.find('}') else { break };
                let inner = &rest[..end];
                let (name, spec) = inner.split_once(':').unwrap_or((inner, ""));
                let name = name.trim();
                let arg = if name.is_empty() {
                    next += 1;
                    PlaceholderArg::Index(next - 1)
                } else if let Ok(n) = name.parse::<usize>() {
                    PlaceholderArg::Index(n)
                } else {
                    PlaceholderArg::Name(name.to_string())
                };
                out.push(Placeholder {
                    arg,
                    debug: spec.contains('?'),
                });
                // Skip to the closing brace.
                while let Some((j, _)) = chars.peek() {
                    if *j > i + end {
                        break;
                    }
                    chars.next();
                }
            }
            '}' if chars.peek().is_some_and(|(_, c)| *c == '}') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

/// The macro's format string and the arguments after it (for `info!("..", a, b)` and
/// `info!(field = x, "..", a)`), or None when it has no message.
pub fn format_parts(mac: &MacroFact) -> Option<(&str, Span, Vec<&MacroArg>)> {
    let idx = mac
        .args
        .iter()
        .position(|a| matches!(a, MacroArg::Expr(Val::Str { .. })))?;
    let MacroArg::Expr(Val::Str { value, span }) = &mac.args[idx] else {
        return None;
    };
    Some((value, *span, mac.args[idx + 1..].iter().collect()))
}

/// Whether a field or variable name says it holds a secret (a password, token, key, card
/// number, cookie): such a field is never suggested for logging.
pub fn names_a_secret(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "password", "secret", "token", "card", "cvv", "ssn", "key", "auth", "cookie",
    ];
    let lower = name.to_ascii_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_implicit_positions() {
        let p = placeholders("a {} b {:?} {{x}} {name:#?} {0} {1:>4}");
        assert_eq!(
            p,
            vec![
                Placeholder {
                    arg: PlaceholderArg::Index(0),
                    debug: false
                },
                Placeholder {
                    arg: PlaceholderArg::Index(1),
                    debug: true
                },
                Placeholder {
                    arg: PlaceholderArg::Name("name".into()),
                    debug: true
                },
                Placeholder {
                    arg: PlaceholderArg::Index(0),
                    debug: false
                },
                Placeholder {
                    arg: PlaceholderArg::Index(1),
                    debug: false
                },
            ]
        );
    }
}
