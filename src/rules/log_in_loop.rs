//! `log-in-loop`: an event at info level or above inside a loop body or a per-item closure.
//! Its volume grows with the data, and N instances multiply it again.

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Event, Level, LoopCtx, Pacing, enclosing_loop, events};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{LoopBound, RegionId, RegionKind, Val};
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
    if says_impossible(ev) || in_unreachable_err_arm(unit, ev) {
        // `warn!("Bug: read empty buf")`, or the `Err` arm of a call whose body turns every
        // error into `Ok(..)`: a branch that does not run, whatever the loop's pace.
        return None;
    }
    if waits_for_signal(project, unit, lp) {
        // `loop { sigusr1.recv().await; .. }`: one round per operator signal.
        return None;
    }
    if receives_changes(project, unit, lp) {
        // `let events = coordinator.watch(PREFIX).await?; loop { events.recv().await .. }`: one
        // round per change to stored configuration (a pipeline saved, a licence updated).
        return None;
    }
    if sampled(unit, ev, lp).is_some() {
        // `if i % 1000 == 0 { info!(..) }`: a progress line once every thousand items.
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
    if ev.level > Level::Info || in_err_arm(unit, ev, lp) {
        // A warning or error per item fires per failed item: its volume follows failures, not
        // traffic, and each line is a distinct failure someone has to see. Not reported. An
        // info line in an `Err(..)` arm is the same failure path written at a lower level.
        return None;
    }
    if runs_once_at_startup(project, unit, lp) || builds_router(unit, lp) {
        return None;
    }
    if records_change(unit, ev, lp) || lists_what_changed(unit, ev, lp) {
        // `if !queued { info!(..); queue.add(..).await? }`, `let (_, created) =
        // delete_stream(..).await?; if created { info!(..) }`, a directory removed per round, a
        // loop that only lists what a bulk delete just removed: one line per thing changed,
        // not per item scanned, however the loops nest.
        return None;
    }
    if !in_outer_loop(unit, lp) && parts_of_one_value(unit, lp) {
        // `for control in msg.ctrl.iter()`, `captures_iter(&event.issue.body)`: the parts of
        // the one request or message the function was handed, a few per call.
        return None;
    }
    if dispatches_jobs(project, unit, lp) {
        // `while let Some(job) = rx.recv().await { info!(..); tokio::spawn(run(job)); }`: one
        // line per job started, paced by whoever submits jobs; the job's own work dwarfs it.
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

/// Calls that open a watch on a key or prefix of a configuration or coordination store (etcd,
/// NATS KV, Consul, a project's own coordinator): the stream they return yields one event per
/// change to what is stored there.
const WATCH_CALLS: &[&str] = &[
    "watch",
    "watch_prefix",
    "watch_all",
    "watch_key",
    "watch_keys",
];

/// Whether the loop receives from a stream opened by a watch call on a store's keys
/// (`let mut events = coordinator.watch(PREFIX).await?; loop { match events.recv().await ..`),
/// followed through rebindings in the same function (`let events = Arc::get_mut(&mut events)`).
fn receives_changes(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let Some(region) = lp.region else {
        return false;
    };
    let facts = &unit.facts;
    let Some(body) = facts.enclosing_fn(region).map(|f| f.body) else {
        return false;
    };
    let adaptors = &project.catalog.loop_adaptors;
    let is_watch = |v: &Val| {
        let mut hit = false;
        v.walk(&mut |x| {
            let name = match x {
                Val::Method { name, .. } => Some(name.as_str()),
                _ => x.call_path().and_then(|p| p.last()).map(String::as_str),
            };
            if name.is_some_and(|n| WATCH_CALLS.contains(&n)) {
                hit = true;
            }
        });
        hit
    };
    // Every name the receiver's bindings in this function mention, a few steps back.
    let from_watch = |name: &str| {
        let mut seen: Vec<String> = vec![name.to_string()];
        let mut i = 0;
        while i < seen.len() && i < 8 {
            let n = seen[i].clone();
            i += 1;
            for l in facts
                .lets
                .iter()
                .filter(|l| l.name == n && facts.is_within(l.region, body))
            {
                if is_watch(&l.init) {
                    return true;
                }
                l.init.walk(&mut |x| {
                    if let Val::Path { path, .. } = x
                        && path.len() == 1
                        && !seen.contains(&path[0])
                    {
                        seen.push(path[0].clone());
                    }
                });
            }
        }
        false
    };
    facts.calls_within(region).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Val::Method { name, recv, .. } = v
                && adaptors.iter().any(|a| a.receives.contains(name))
            {
                let (root, _) = recv.chain();
                hit |= match root {
                    Val::Path { path, .. } if path.len() == 1 => from_watch(&path[0]),
                    other => is_watch(other),
                };
            }
        });
        hit
    })
}

/// Whether the loop receives messages and hands each to a task of its own
/// (`tokio::spawn`, `task::spawn`, a `JoinSet`'s `spawn`): a dispatcher that starts one job per
/// message.
fn dispatches_jobs(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let Some(region) = lp.region else {
        return false;
    };
    let facts = &unit.facts;
    let adaptors = &project.catalog.loop_adaptors;
    let mut receives = false;
    let mut spawns = false;
    for c in facts.calls_within(region) {
        // A spawn inside a nested loop starts one task per item of that loop, not per message.
        if in_nested_loop(facts, c.region, region) {
            continue;
        }
        c.val.walk(&mut |v| match v {
            Val::Method { name, .. } if adaptors.iter().any(|a| a.receives.contains(name)) => {
                receives = true;
            }
            Val::Method { name, .. } if name == "spawn" || name == "spawn_local" => {
                spawns = true;
            }
            Val::Call { .. }
                if v.call_path()
                    .and_then(|p| p.last())
                    .is_some_and(|n| n == "spawn" || n == "spawn_local") =>
            {
                spawns = true;
            }
            _ => {}
        });
    }
    receives && spawns
}

/// Whether `inner` sits in a loop nested inside the loop body `outer`.
fn in_nested_loop(facts: &crate::facts::FileFacts, inner: RegionId, outer: RegionId) -> bool {
    for (id, r) in facts.ancestors(inner) {
        if id == outer {
            return false;
        }
        if matches!(r.kind, RegionKind::Loop(_)) {
            return true;
        }
    }
    false
}

/// Methods that add routes or layers to a router (axum, actix-web, warp, poem, salvo).
const ROUTER_METHODS: &[&str] = &[
    "route",
    "nest",
    "merge",
    "layer",
    "route_layer",
    "nest_service",
    "route_service",
    "service",
    "configure",
    "at",
];

/// Whether the loop is in a function that assembles the router (`app = app.route(..)` in its
/// body): routes and middlewares are added once, when the server starts, and a line per route
/// is the startup listing of the route table.
fn builds_router(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if !lp.what.starts_with("`for`") {
        return false;
    }
    let Some(body) = facts.enclosing_fn(region).map(|f| f.body) else {
        return false;
    };
    facts.assigns.iter().any(|a| {
        if !facts.is_within(a.region, body) {
            return false;
        }
        let Val::Path { path: target, .. } = &a.target else {
            return false;
        };
        let (root, links) = a.value.chain();
        matches!(root, Val::Path { path, .. } if path == target)
            && links
                .iter()
                .any(|l| l.method_name().is_some_and(|n| ROUTER_METHODS.contains(&n)))
    })
}

/// Smallest divisor for a sampled line to count as progress rather than one line per item.
const SAMPLE_EVERY: u128 = 100;

/// The divisor when the event sits under `if i % N == 0` (or `i.is_multiple_of(N)`) inside the
/// loop, with N at least [`SAMPLE_EVERY`]: a progress line once every N items.
fn sampled(unit: &Unit, ev: &Event, lp: &LoopCtx) -> Option<u128> {
    unit.facts.gates.iter().find_map(|g| {
        let n = g.every?;
        (n >= SAMPLE_EVERY && lp.span.contains(g.cond) && g.body.contains(ev.mac.span)).then_some(n)
    })
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

/// Whether the loop sits in another loop of the same function that goes over data. An outer
/// loop bounded in its header (`for attempt in 0..3`) or over a configured list (`for updater
/// in &self.updaters`) multiplies the inner one by that small count only.
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
            RegionKind::Loop(_)
                if matches!(facts.loop_bound(id), LoopBound::Open)
                    && !configured_list_at(unit, id) =>
            {
                return true;
            }
            RegionKind::Fn(_) | RegionKind::Mod(_) | RegionKind::File => return false,
            _ => {}
        }
    }
    false
}

/// Whether the message says its branch cannot run (`"Bug: read empty buf"`, `"unreachable"`,
/// `"should never happen"`): an assertion written as a log line, not a line per round.
fn says_impossible(ev: &Event) -> bool {
    let Some((msg, _, _)) = crate::analysis::log_macros::format_parts(ev.mac) else {
        return false;
    };
    let m = msg.trim().to_ascii_lowercase();
    m.starts_with("bug:")
        || m.starts_with("bug!")
        || m.starts_with("[bug]")
        || m.contains("unreachable")
        || m.contains("should never happen")
        || m.contains("should not happen")
        || m.contains("impossible")
}

/// The `match` arms around the event, innermost last, with their patterns.
fn arms_around<'a>(
    unit: &'a Unit,
    ev: &'a Event,
) -> impl Iterator<Item = (&'a crate::facts::MatchFact, &'a crate::facts::ArmFact)> + 'a {
    unit.facts.matches.iter().flat_map(move |m| {
        m.arms
            .iter()
            .filter(move |a| a.body.contains(ev.mac.span))
            .map(move |a| (m, a))
    })
}

fn is_err_pattern(pat: &str) -> bool {
    let p = pat.trim();
    p.starts_with("Err") && p[3..].trim_start().starts_with('(')
}

/// Whether the event sits in an `Err(..)` arm of a `match` inside the loop: the path runs per
/// failed item, whatever level the line is written at.
fn in_err_arm(unit: &Unit, ev: &Event, lp: &LoopCtx) -> bool {
    arms_around(unit, ev).any(|(m, a)| lp.span.contains(m.span) && is_err_pattern(&a.pat))
}

/// Whether the event sits in the `Err(..)` arm of a match on a call to a function of this file
/// that never returns an error: its body is one `match` whose every arm ends in `Ok(..)`
/// (`Err(e) => { log::error!(..); Ok(vec![]) }`). That arm cannot run.
fn in_unreachable_err_arm(unit: &Unit, ev: &Event) -> bool {
    let facts = &unit.facts;
    arms_around(unit, ev).any(|(m, a)| {
        if !is_err_pattern(&a.pat) {
            return false;
        }
        let name = match &m.scrutinee {
            Val::Method { name, .. } => Some(name.as_str()),
            v => v.call_path().and_then(|p| p.last()).map(String::as_str),
        };
        let Some(name) = name else { return false };
        let mut text: Option<String> = None;
        facts.fns.iter().any(|f| {
            if f.name != name {
                return false;
            }
            let Some(tail) = &f.tail else { return false };
            let Some(inner) = facts.matches.iter().find(|x| x.span == tail.span()) else {
                return false;
            };
            let t =
                text.get_or_insert_with(|| unit.text().map(|t| t.into_owned()).unwrap_or_default());
            !inner.arms.is_empty()
                && inner.arms.iter().all(|arm| {
                    t.get(arm.body.start..arm.body.end)
                        .is_some_and(|b| last_expr(b).starts_with("Ok("))
                })
        })
    })
}

/// The last expression of an arm's body as written: the text after the last `;` or `{` of a
/// block, or the whole expression.
fn last_expr(body: &str) -> &str {
    let b = body.trim();
    let b = b.strip_suffix('}').map_or(b, |x| x.trim_end());
    let at = b.rfind([';', '{']).map_or(0, |i| i + 1);
    b[at..].trim()
}

/// First words of calls that change something outside the process: a row written, a job
/// enqueued, a file or a table dropped.
const CHANGE_VERBS: &[&str] = &[
    "insert", "update", "upsert", "delete", "drop", "remove", "create", "add", "put", "write",
    "execute", "enqueue", "save", "store", "purge", "backfill", "publish", "notify",
];

fn changes(callee: &str) -> bool {
    let first = callee.split('_').next().unwrap_or(callee);
    CHANGE_VERBS.contains(&first)
}

/// Calls that delete a file or a directory.
const FS_DELETES: &[&str] = &["remove_dir_all", "remove_file", "remove_dir"];

/// Whether the event records a change this round makes: it sits in an `if` inside the loop
/// whose branch awaits a change (`if !queued { info!(..); queue.add_crate(..).await? }`), or whose
/// condition is a flag tested right after an awaited change (`let (_, created) =
/// delete_stream(..).await?; if created { info!(..) }`); or the round deletes a file or a
/// directory. One line per thing changed, not per item scanned.
fn records_change(unit: &Unit, ev: &Event, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    let awaits: Vec<&crate::facts::AwaitFact> = facts
        .awaits
        .iter()
        .filter(|a| {
            facts.is_within(a.region, region)
                && !in_nested_loop(facts, a.region, region)
                && a.callee.as_deref().is_some_and(changes)
        })
        .collect();
    let mut text: Option<String> = None;
    let gated = facts.gate_words.iter().any(|gw| {
        let Some(g) = facts.gates.get(gw.gate) else {
            return false;
        };
        if !lp.span.contains(g.cond)
            || !g.body.contains(ev.mac.span)
            || g.cond.contains(ev.mac.span)
        {
            return false;
        }
        if awaits.iter().any(|a| g.body.contains(a.span)) {
            return true;
        }
        let t = text.get_or_insert_with(|| unit.text().map(|t| t.into_owned()).unwrap_or_default());
        let cond = t.get(g.cond.start..g.cond.end).unwrap_or("").trim();
        let flag = !cond.is_empty() && cond.chars().all(|c| c.is_alphanumeric() || c == '_');
        flag && awaits.iter().any(|a| a.span.end <= g.cond.start)
    });
    gated
        || facts.calls_within(region).any(|c| {
            let mut hit = false;
            c.val.walk(&mut |v| {
                if v.call_path()
                    .and_then(|p| p.last())
                    .is_some_and(|n| FS_DELETES.contains(&n.as_str()))
                {
                    hit = true;
                }
            });
            hit
        })
}

/// Whether the loop only logs (its body calls nothing) and follows an awaited change in the same
/// function (`delete_many(db, &ids).await?; for (_, name) in cascade { info!("deleted {name}") }`):
/// the listing of what that change did, one line per thing changed.
fn lists_what_changed(unit: &Unit, ev: &Event, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if !lp.what.starts_with("`for`") || facts.calls_within(region).next().is_some() {
        return false;
    }
    if facts
        .macros_within(region)
        .any(|m| m.span != ev.mac.span && !ev.mac.span.contains(m.span))
    {
        return false;
    }
    let Some(f) = facts.enclosing_fn(region) else {
        return false;
    };
    facts.awaits.iter().any(|a| {
        facts.is_within(a.region, f.body)
            && a.span.end <= lp.span.start
            && !facts
                .ancestors(a.region)
                .take_while(|(id, _)| *id != f.body)
                .any(|(_, r)| matches!(r.kind, RegionKind::Loop(_)))
            && a.callee.as_deref().is_some_and(changes)
    })
}

/// Words that name a collection of data rather than the parts of one value: a parameter or a
/// field so named (`batch.rows`, `page.items`) holds what the function processes in bulk.
const DATA_WORDS: &[&str] = &[
    "batch", "batches", "chunk", "chunks", "page", "pages", "rows", "records", "items", "entries",
    "messages", "events", "lines", "files", "objects", "keys", "tasks", "jobs", "values", "data",
    "list", "all",
];

/// First words of functions that take one value apart (`parse_claims`, `decode_token`).
const PARSERS: &[&str] = &["parse", "decode", "split", "extract"];

/// Types that hold long-lived shared state (a service's handles, caches), not one request.
const STATE_TYPES: &[&str] = &[
    "State",
    "Arc",
    "Data",
    "Extension",
    "Mutex",
    "RwLock",
    "Pool",
];

/// Whether a `for` loop goes over a field of a parameter of its function (`msg.ctrl.iter()`,
/// `captures_iter(&event.issue.body)`, through a rebinding such as `let msg =
/// msg.context(..)?`): the parts of the one request, message or entity handed in, a few per
/// call. Not: the parameter itself (a collection handed in), `self`, a parameter of a shared
/// state type, or a name that says bulk data (`batch.rows`).
fn parts_of_one_value(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    let Some(iter) = facts.loop_iter(region) else {
        return false;
    };
    let Some(f) = facts.enclosing_fn(region) else {
        return false;
    };
    let bulky = |name: &str| {
        name.to_ascii_lowercase()
            .split('_')
            .any(|w| DATA_WORDS.contains(&w))
    };
    let param = |name: &str| {
        f.params.iter().find(|p| p.name == name).filter(|p| {
            !bulky(&p.name)
                && !p
                    .ty
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| STATE_TYPES.contains(&w) || bulky(w))
        })
    };
    // The parameter a name stands for: itself, or a local bound from it (one step).
    let root_param = |name: &str| {
        if name == "self" {
            return false;
        }
        match facts.binding(name, region) {
            Some(l) if facts.is_within(l.region, f.body) => {
                let (root, _) = l.init.chain();
                matches!(root, Val::Path { path, .. } if path.len() == 1 && path[0] == name && param(name).is_some())
            }
            _ => param(name).is_some(),
        }
    };
    // `match parse_claims(claims, ..) { Ok(Some(assignments)) => for a in assignments { .. } }`:
    // what a parser makes of one parameter is that value's parts.
    let (iter_root, _) = iter.chain();
    if let Val::Path { path, .. } = iter_root
        && path.len() == 1
        && facts.binding(&path[0], region).is_none()
    {
        let word = |pat: &str| {
            pat.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == path[0])
        };
        let parsed = facts.matches.iter().any(|m| {
            let arm = m
                .arms
                .iter()
                .any(|a| a.body.contains(lp.span) && word(&a.pat));
            let parser = m
                .scrutinee
                .call_path()
                .and_then(|p| p.last())
                .is_some_and(|n| PARSERS.iter().any(|p| n.starts_with(p)));
            arm && parser
                && m.scrutinee.args().iter().any(|a| {
                    let (r, _) = a.chain();
                    matches!(r, Val::Path { path, .. } if path.len() == 1 && root_param(&path[0]))
                })
        });
        if parsed {
            return true;
        }
    }
    let mut hit = false;
    let mut bad = false;
    iter.walk(&mut |v| {
        if let Val::Field { name, .. } = v {
            if bulky(name) {
                bad = true;
            }
            let mut base = v;
            while let Val::Field { base: b, .. } = base {
                base = b;
            }
            if let Val::Path { path, .. } = base
                && path.len() == 1
                && root_param(&path[0])
            {
                hit = true;
            }
        }
    });
    hit && !bad
}

const CONFIG_WORDS: &[&str] = &["settings", "config", "get_config", "cfg", "configuration"];

/// Whether a `for` loop goes over a list the configuration gives (`settings.bootstrap_instances`,
/// a local read from `config`) or that the code registers as trait objects (`&self.updaters`
/// where `updaters: Vec<Box<dyn Updater>>`): its length is written by an operator or a
/// developer, not by traffic.
fn configured_list(unit: &Unit, lp: &LoopCtx) -> bool {
    lp.region.is_some_and(|r| configured_list_at(unit, r))
}

/// [`configured_list`] for the loop whose body is `region`.
fn configured_list_at(unit: &Unit, region: RegionId) -> bool {
    let facts = &unit.facts;
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
    if !lp.what.starts_with("`for`") && !steps_iterators(unit, lp) {
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

/// Methods that advance or look at an iterator by hand.
const ITER_STEPS: &[&str] = &["next", "peek", "next_if", "next_back"];
/// Methods that make an iterator over a collection.
const ITER_MAKERS: &[&str] = &["iter", "into_iter", "iter_mut", "peekable", "drain"];

/// Whether a `while` loop steps through local iterators by hand (`let mut deltas =
/// deltas.iter().peekable(); while deltas.peek().is_some() { .. deltas.next(); }`): a `for`
/// loop written out, merging sorted lists. An awaited `next()` is a stream's receive, not this.
fn steps_iterators(unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if lp.what != "`while` loop" {
        return false;
    }
    let mut steps = false;
    let mut other = false;
    for c in facts.calls_within(region).chain(
        facts
            .calls
            .iter()
            .filter(|c| lp.span.contains(c.val.span()) && !facts.is_within(c.region, region)),
    ) {
        c.val.walk(&mut |v| {
            let Val::Method {
                name, recv, span, ..
            } = v
            else {
                return;
            };
            if !ITER_STEPS.contains(&name.as_str()) {
                return;
            }
            let awaited = facts
                .awaits
                .iter()
                .any(|a| a.span.contains(*span) && a.span.start == span.start);
            let from_iter = matches!(&**recv, Val::Path { path, .. } if path.len() == 1
            && facts.binding(&path[0], region).is_some_and(|l| {
                let (_, links) = l.init.chain();
                links.iter().any(|m| m.method_name().is_some_and(|n| ITER_MAKERS.contains(&n)))
            }));
            if awaited || !from_iter {
                other = true;
            } else {
                steps = true;
            }
        });
    }
    steps && !other
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

/// A `for` loop directly in a function that runs once per process (not in a spawned task, a
/// closure or another loop): a binary's `main`, or a function whose every caller is on the
/// startup path (`jobs::init` → `ofga::cache()`, as the print rules decide it). It lists what
/// the process loads as it starts, once per start.
fn runs_once_at_startup(project: &Project, unit: &Unit, lp: &LoopCtx) -> bool {
    let facts = &unit.facts;
    let Some(region) = lp.region else {
        return false;
    };
    if !lp.what.starts_with("`for`") {
        return false;
    }
    for (id, r) in facts.ancestors(region) {
        if id == region {
            continue;
        }
        match &r.kind {
            RegionKind::Fn(f) => {
                if facts.fns[*f].path == ["main"]
                    && (unit.bin.is_some() || !project.crate_of(unit).bins.is_empty())
                {
                    return true;
                }
                let Some(idx) = project.units.iter().position(|u| u.id == unit.id) else {
                    return false;
                };
                return super::print_in_service::once_per_process(project, idx, id, 0);
            }
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
                    "{what}; an event at {level} lowered to debug is hidden at the default level, so prefer a summary after the loop"
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
        .note(per_item_note(project, unit, lp))
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

/// Why the loop was judged to go over data: what it iterates or receives, and where it runs.
fn per_item_note(project: &Project, unit: &Unit, lp: &LoopCtx) -> String {
    let facts = &unit.facts;
    let adaptors = &project.catalog.loop_adaptors;
    let what = match lp.region {
        Some(region) => match facts.loop_iter(region) {
            Some(iter) => describe(iter).map_or_else(
                || "it iterates a collection".to_string(),
                |d| format!("it iterates `{d}`"),
            ),
            None => {
                let mut recv = None;
                for c in facts.calls_within(region) {
                    c.val.walk(&mut |v| {
                        if recv.is_none()
                            && let Val::Method { name, .. } = v
                            && adaptors.iter().any(|a| a.receives.contains(name))
                        {
                            recv = describe(v);
                        }
                    });
                }
                match recv {
                    Some(r) => format!(
                        "it receives with `{r}`, one round per message (not a watch on stored settings, and no task is started per message)"
                    ),
                    None => "its header names no literal or constant bound and nothing in it waits on a timer".to_string(),
                }
            }
        },
        None => "the closure runs once per item of the iterator it is passed to".to_string(),
    };
    let each = facts
        .regions
        .iter()
        .rev()
        .find(|r| r.span.contains(lp.span) && matches!(r.kind, RegionKind::Fn(_)))
        .and_then(|r| match r.kind {
            RegionKind::Fn(f) => Some(format!("each call of `{}`", facts.fns[f].name)),
            _ => None,
        })
        .unwrap_or_else(|| "each run".to_string());
    format!(
        "the loop goes over data: {what}. It is not a batch, a sampled line, a constant or configured list, the parts of one value the function was handed, a failure path or a change the round makes and records, so {each} logs one line per item: log volume grows with the data each instance handles, and at N instances the log store receives N times that"
    )
}

/// A short rendering of a path, field or method chain (`self.conditions.iter()`), for notes.
fn describe(v: &Val) -> Option<String> {
    let s = match v {
        Val::Path { path, .. } => path.join("::"),
        Val::Field { base, name, .. } => format!("{}.{name}", describe(base)?),
        Val::Method {
            recv, name, args, ..
        } => format!(
            "{}.{name}({})",
            describe(recv)?,
            if args.is_empty() { "" } else { ".." }
        ),
        Val::Call { args, .. } => format!(
            "{}({})",
            v.call_path()?.join("::"),
            if args.is_empty() { "" } else { ".." }
        ),
        _ => return None,
    };
    (s.len() <= 80).then_some(s)
}

fn fmt_rate(per_sec: f64) -> String {
    if per_sec.fract() == 0.0 {
        format!("{per_sec:.0}")
    } else {
        format!("{per_sec:.1}")
    }
}
