//! `log-in-loop`: an event at info level or above inside a loop body or a per-item closure.
//! Its volume grows with the data, and N instances multiply it again.

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Event, Level, LoopCtx, Pacing, enclosing_loop, events};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{LoopBound, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct LogInLoop;

static META: RuleMeta = RuleMeta {
    id: "log-in-loop",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "an info/warn/error event inside a loop: log volume grows with the data",
    doc: include_str!("../../rules/docs/log-in-loop.md"),
};

impl Rule for LogInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(super::LOG_EVENT_WORDS, false)
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        let facts = &unit.facts;
        for ev in events(project, unit) {
            if ev.level < Level::Info {
                continue;
            }
            let Some(lp) = enclosing_loop(project, facts, ev.mac.region) else {
                continue;
            };
            if facts.exit_macros.contains(&ev.mac.span) {
                // Followed by `return`/`break`: it runs once, as the loop ends.
                continue;
            }
            let Some(why) = verdict(project, unit, &ev, &lp) else {
                continue;
            };
            let mut d = diagnostic(project, unit, &ev, &lp, why);
            // Under a debugging switch (`if cfg.verbose`), only when an operator turns it on.
            if let Some(switch) =
                crate::analysis::roles::debug_switch(project, unit, ev.mac.region, ev.mac.span)
            {
                d.severity = crate::diagnostic::Severity::Note;
                d = d.note(format!(
                    "it runs only when {switch} holds, a debugging switch an operator turns on: a note, not a warning"
                ));
            }
            out.push(d);
        }
    }
}

/// Why an event in a loop multiplies.
enum Why {
    /// A loop over data (items, messages, rows): one line per item.
    PerItem,
    /// A timer loop that wakes more than once a second: `ms` between wakes.
    Fast(u128),
    /// The `continue` after the event skips the loop's only wait: on this path it spins.
    SkipsWait(Span),
}

/// Decide whether the event multiplies, and how. See the rule's page for the reasoning.
fn verdict(project: &Project, unit: &Unit, ev: &Event, lp: &LoopCtx) -> Option<Why> {
    let facts = &unit.facts;
    let waits = lp.pacing.waits();
    if waits_for_signal(project, unit, lp) {
        // `loop { sigusr1.recv().await; .. }`: one round per operator signal.
        return None;
    }
    let timer_loop = lp.what == "`loop`" || lp.what == "`while` loop";
    if !waits.is_empty() {
        // A loop that waits: one event per round, bounded by time, unless the wait is short or
        // the path through the event skips it. A `for` loop that waits ends with its data.
        if !timer_loop {
            return None;
        }
        if let Some((_, cont)) = facts
            .continue_macros
            .iter()
            .find(|(m, _)| *m == ev.mac.span)
            && waits.iter().all(|w| w.start >= cont.end)
        {
            if receives_before(project, unit, lp, ev.mac.span) {
                // The `continue` goes back to waiting for the next message.
                return None;
            }
            return waits
                .iter()
                .min_by_key(|w| w.start)
                .copied()
                .map(Why::SkipsWait);
        }
        return match lp.pacing {
            // An info line in a loop that ends when a condition holds (waiting for workers
            // to finish at shutdown) is progress for a while, not a steady heartbeat.
            Pacing::Every(ms, _)
                if ms < 1000
                    && !(ev.level == Level::Info
                        && lp.region.is_some_and(|r| facts.loop_exits(r))) =>
            {
                Some(Why::Fast(ms))
            }
            _ => None,
        };
    }
    if lp.region.is_none() && over_constant_table(project, unit, lp) {
        // `get_tracked_repositories().into_iter().map(|repo| ..)` where the function returns a
        // `vec![..]` literal: a few entries written into the code.
        return None;
    }
    if goes_by_batches(unit, lp) {
        // `for chunk in rows.chunks(5000)`, `loop { let n = update_batch(BATCH_SIZE)?; ..; if n
        // < BATCH_SIZE { break } }`: one line per batch is the summary this rule asks for.
        return None;
    }
    if !matches!(lp.bound, LoopBound::Open) {
        // `for attempt in 0..3`, `for c in COMPONENTS`, `while tries < MAX_TRIES`: a few
        // passes written into the code, not a count that grows with the data.
        return None;
    }
    if ev.level > Level::Info {
        // A warning or error per item fires per failed item: its volume follows failures, not
        // traffic, and each line is a distinct failure someone has to see. Not reported.
        return None;
    }
    if runs_once_at_startup(project, unit, lp) {
        return None;
    }
    if !in_outer_loop(unit, lp) && (configured_list(unit, lp) || records_actions(project, unit, lp))
    {
        // A list the configuration or the code registers (hosts, plugins), or one line per
        // awaited action on each item of a collection handed to the function (a user added to
        // an org, an email sent, a job enqueued): bounded by the list, or paced by the action
        // it records. Nested in another loop, the product grows with the data again.
        return None;
    }
    Some(Why::PerItem)
}

const BATCH_METHODS: &[&str] = &[
    "chunks",
    "chunks_exact",
    "rchunks",
    "ready_chunks",
    "try_chunks",
    "chunks_timeout",
];

/// Whether each round of the loop handles a batch: a `for` over `.chunks(n)`, or a `loop` that
/// leaves when the data ends and passes a batch size (`BATCH_SIZE`, `batch_size`, `chunk_len`).
fn goes_by_batches(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if let Some(iter) = facts.loop_iter(region) {
        let mut hit = false;
        iter.walk(&mut |v| {
            if let Val::Method { name, .. } = v
                && BATCH_METHODS.contains(&name.as_str())
            {
                hit = true;
            }
        });
        return hit;
    }
    if !facts.loop_exits(region) {
        return false;
    }
    let batchy = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.contains("batch") || l.contains("chunk")
    };
    facts.calls_within(region).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| match v {
            Val::Path { path, .. } if path.last().is_some_and(|p| batchy(p)) => hit = true,
            _ => {}
        });
        hit
    })
}

/// Whether a per-item closure's chain starts from a call to a workspace function whose body is
/// a literal list (`vec![..]`, `[..]`).
fn over_constant_table(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let mut recv_root: Option<Vec<String>> = None;
    for c in &unit.facts.calls {
        if !c.val.span().contains(lp.span) {
            continue;
        }
        c.val.walk(&mut |v| {
            if recv_root.is_none()
                && v.span() == lp.span
                && let Val::Method { recv, .. } = v
            {
                let (root, _) = recv.chain();
                recv_root = root.call_path().cloned();
            }
        });
        if recv_root.is_some() {
            break;
        }
    }
    let Some(path) = recv_root else {
        return false;
    };
    let Some(name) = path.last() else {
        return false;
    };
    project.units.iter().any(|u| {
        u.facts.fns.iter().any(|f| {
            &f.name == name
                && f.params.is_empty()
                && matches!(&f.tail, Some(Val::Macro { path, .. }) if path.last().is_some_and(|m| m == "vec"))
        })
    })
}

/// Whether the loop sits in another loop of the same function.
fn in_outer_loop(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    for (id, r) in facts.ancestors(region) {
        if id == region {
            continue;
        }
        match r.kind {
            RegionKind::Loop(_) => return true,
            RegionKind::Fn(_) | RegionKind::Mod(_) | RegionKind::File => return false,
            _ => {}
        }
    }
    false
}

const CONFIG_WORDS: &[&str] = &["settings", "config", "get_config", "cfg", "configuration"];

/// Whether a `for` loop goes over a list the configuration gives (`settings.bootstrap_instances`,
/// a local read from `config`) or that the code registers as trait objects (`&self.updaters`
/// where `updaters: Vec<Box<dyn Updater>>`): its length is written by an operator or a
/// developer, not by traffic.
fn configured_list(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    let Some(iter) = facts.loop_iter(region) else {
        return false;
    };
    let mentions_config = |v: &Val| {
        let mut hit = false;
        v.walk(&mut |x| {
            let name = match x {
                Val::Method { name, .. } | Val::Field { name, .. } => Some(name.as_str()),
                Val::Path { path, .. } => path.last().map(String::as_str),
                _ => x.call_path().and_then(|p| p.last()).map(String::as_str),
            };
            if name.is_some_and(|n| CONFIG_WORDS.contains(&n)) {
                hit = true;
            }
        });
        hit
    };
    if mentions_config(iter) {
        return true;
    }
    let mut registered = false;
    iter.walk(&mut |x| {
        if let Val::Field { name, .. } = x
            && facts.structs.iter().any(|s| {
                s.fields
                    .iter()
                    .any(|f| &f.name == name && f.ty.split_whitespace().any(|t| t == "dyn"))
            })
        {
            registered = true;
        }
    });
    if registered {
        return true;
    }
    let (root, _) = iter.chain();
    match root {
        Val::Path { path, .. } if path.len() == 1 => facts
            .binding(&path[0], region)
            .is_some_and(|l| mentions_config(&l.init)),
        _ => false,
    }
}

/// Calls that read rows or keys from a database or a store: what a loop over their result goes
/// over is data.
const STORE_READS: &[&str] = &[
    "fetch_all",
    "fetch",
    "fetch_many",
    "load",
    "get_results",
    "query",
    "query_as",
    "query_scalar",
    "query_as_with",
    "find_by_sql",
    "scan",
    "keys",
    "lrange",
    "smembers",
    "zrange",
    "zrangebyscore",
    "xread",
    "xreadgroup",
    "read_dir",
    "list_objects",
    "list_objects_v2",
];

/// Whether each round of a `for` loop awaits an action on its item (a call other than a
/// receive or a timer): the loop runs at the pace of those calls, and an info line beside
/// them records the action.
fn records_actions(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if !lp.what.starts_with("`for`") {
        return false;
    }
    // Rows of a query or keys of a store are data, however the loop is paced.
    if let Some(iter) = facts.loop_iter(region) {
        let reads_store = |v: &Val| {
            let mut hit = false;
            v.walk(&mut |x| {
                let name = match x {
                    Val::Method { name, .. } => Some(name.as_str()),
                    _ => x.call_path().and_then(|p| p.last()).map(String::as_str),
                };
                if name.is_some_and(|n| STORE_READS.contains(&n)) {
                    hit = true;
                }
            });
            hit
        };
        let (root, _) = iter.chain();
        let from_store = reads_store(iter)
            || matches!(root, Val::Path { path, .. } if path.len() == 1
                && facts.binding(&path[0], region).is_some_and(|l| reads_store(&l.init)));
        if from_store {
            return false;
        }
    }
    let adaptors = &project.catalog.loop_adaptors;
    facts.awaits.iter().any(|a| {
        facts.is_within(a.region, region)
            && a.callee.as_deref().is_some_and(|c| {
                !adaptors.iter().any(|x| {
                    x.receives.iter().any(|r| r == c)
                        || x.periodic_methods.iter().any(|r| r == c)
                        || x.periodic_calls
                            .iter()
                            .any(|r| r.rsplit("::").next() == Some(c))
                })
            })
    })
}

/// Whether the loop waits for a message (`rx.recv().await`, `stream.next().await`) before the
/// event: a `continue` then waits for the next message instead of spinning.
fn receives_before(project: &Project, unit: &Unit, lp: &LoopCtx, event: Span) -> bool {
    let Some(region) = lp.region else {
        return false;
    };
    let adaptors = &project.catalog.loop_adaptors;
    unit.facts.calls_within(region).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Val::Method { name, span, .. } = v
                && span.start < event.start
                && adaptors.iter().any(|a| a.receives.contains(name))
            {
                hit = true;
            }
        });
        hit
    })
}

/// Whether the loop waits for an operator's signal (`signal(SignalKind::hangup())`,
/// `ctrl_c()`): it wakes once per signal sent by hand.
fn waits_for_signal(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let Some(region) = lp.region else {
        return false;
    };
    let facts = &unit.facts;
    let adaptors = &project.catalog.loop_adaptors;
    let is_signal = |v: &Val| {
        let mut hit = false;
        v.walk(&mut |x| {
            let p = match x {
                Val::Path { path, .. } => Some(path),
                _ => x.call_path(),
            };
            if p.is_some_and(|p| {
                p.iter()
                    .any(|s| s == "SignalKind" || s == "signal" || s == "ctrl_c")
            }) {
                hit = true;
            }
        });
        hit
    };
    facts.calls_within(region).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Val::Method { name, recv, .. } = v
                && adaptors.iter().any(|a| a.receives.contains(name))
            {
                hit |= match &**recv {
                    Val::Path { path, .. } if path.len() == 1 => facts
                        .binding(&path[0], c.region)
                        .is_some_and(|l| is_signal(&l.init)),
                    other => is_signal(other),
                };
            }
        });
        hit
    })
}

/// A `for` loop directly in a binary's `fn main` (not in a spawned task, not inside another
/// loop): it runs once per process start.
fn runs_once_at_startup(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if !lp.what.starts_with("`for`") || unit.bin.is_none() && project.crate_of(unit).bins.is_empty()
    {
        return false;
    }
    for (id, r) in facts.ancestors(region) {
        if id == region {
            continue;
        }
        match &r.kind {
            RegionKind::Fn(f) => return facts.fns[*f].path == ["main"],
            RegionKind::Loop(_) | RegionKind::Closure | RegionKind::AsyncBlock => return false,
            _ => return false,
        }
    }
    false
}

fn diagnostic(project: &Project, unit: &Unit, ev: &Event, lp: &LoopCtx, why: Why) -> Diagnostic {
    let n = project.config.instances;
    let shown = ev.shown();
    let level = ev.level.name();
    let (span, replacement) = ev.relevel_edit(Level::Debug);
    let what = if ev.level_arg.is_some() {
        format!("lower the event's level to `{replacement}`")
    } else {
        format!("rename the macro to `{replacement}!` (debug level)")
    };
    let relevel = || {
        let edits = vec![Edit {
            file: unit.id,
            span,
            replacement: replacement.clone(),
        }];
        if ev.level == Level::Info {
            Fix::machine(what.clone(), edits)
        } else {
            // Hiding warnings and errors at debug is a choice, not a safe rewrite.
            Fix::maybe(
                format!(
                    "{what}; a {level} lowered to debug is hidden at the default level, so prefer a summary after the loop"
                ),
                edits,
            )
        }
    };
    match why {
        Why::PerItem => Diagnostic::new(
            META.id,
            unit.id,
            ev.mac.span,
            format!(
                "`{shown}` inside a {}: one {level} line per item, multiplied by every instance",
                lp.what
            ),
        )
        .label(unit.id, lp.span, format!("the {} runs once per item", lp.what))
        .note("the loop goes over data (its header names no literal or constant bound): log volume grows with the data each instance handles; at N instances the log store receives N times that")
        .help(format!(
            "count inside the loop and log one summary after it, e.g. `{}::{level}!(processed = n, failed = f, \"batch done\")`",
            ev.family.name
        ))
        .fix(relevel()),
        Why::Fast(ms) => {
            let per_sec = 1000.0 / ms.max(1) as f64;
            let per_day = (86_400_000 / ms.max(1)) as u64;
            Diagnostic::new(
                META.id,
                unit.id,
                ev.mac.span,
                format!(
                    "`{shown}` in a {} that wakes every {ms} ms: up to {} {level} lines a second per instance",
                    lp.what,
                    fmt_rate(per_sec)
                ),
            )
            .label(unit.id, lp.span, format!("the {} wakes every {ms} ms", lp.what))
            .note(format!(
                "at one line per wake: {} lines a second, {per_day} a day per instance; × {n} instances = {} a day",
                fmt_rate(per_sec),
                per_day.saturating_mul(n)
            ))
            .help("log on a change of state or once every minute or so, not on every wake")
            .fix(relevel())
        }
        Why::SkipsWait(wait) => Diagnostic::new(
            META.id,
            unit.id,
            ev.mac.span,
            format!(
                "`{shown}` before a `continue` that skips the {}'s only wait: when this path repeats, the loop spins and logs as fast as it can",
                lp.what
            ),
        )
        .label(unit.id, wait, "the loop's only wait, skipped by the `continue`")
        .note("a failure that repeats (a database or broker that is down) makes this line fire thousands of times a second per instance, with no wait; at N instances N times that, filling a log store in minutes")
        .help("wait before `continue` (a backoff that doubles up to a cap), or move the wait to the top of the loop")
        .fix(Fix::manual(
            "tokio::time::sleep(backoff).await; // before `continue`\nbackoff = (backoff * 2).min(Duration::from_secs(30));",
        )),
    }
}

fn fmt_rate(per_sec: f64) -> String {
    if per_sec.fract() == 0.0 {
        format!("{per_sec:.0}")
    } else {
        format!("{per_sec:.1}")
    }
}
