//! Per-instance work: a timer loop whose work comes from this process itself. It drains a buffer
//! the process fills (a `static` queue, a field of its own state: `QUEUE.write().await.drain(..)`,
//! `std::mem::take(&mut self.pending)`), consumes a channel this process feeds (`rx.recv()` on an
//! `mpsc` receiver), or lives only while one call's work runs (a keep-alive stopped through a
//! channel whose sender that call holds). Each instance does it for what it holds, by design:
//! not a job that every instance repeats. The drain may sit in a function the loop calls: a
//! `counter.flush()` whose body takes the object's own counters (`std::mem::take(&mut
//! *self.counts.lock()?)`) and writes them out is the same per-instance flush.

use crate::analysis::call_graph::FnRef;
use crate::facts::{FileFacts, FnFact, RegionId, RegionKind, Val};
use crate::project::Project;
use crate::source::Span;

/// Methods that take the contents out of a collection.
const DRAINS: &[&str] = &["drain", "split_off"];
/// Functions that take a value out from behind a reference.
const TAKES: &[&[&str]] = &[&["mem", "take"], &["mem", "replace"], &["mem", "swap"]];
/// Methods that receive from a channel.
const RECEIVES: &[&str] = &[
    "recv",
    "recv_many",
    "try_recv",
    "recv_async",
    "recv_timeout",
    "blocking_recv",
];
/// Function names that create an in-process channel.
const CHANNELS: &[&str] = &["channel", "unbounded_channel", "unbounded", "bounded"];

/// Where the loop `lp` takes its work from this process (or ends with one call's work), if it
/// does: the span of the drain or the receive.
pub fn local_source(facts: &FileFacts, lp: RegionId) -> Option<Span> {
    let enclosing = facts.enclosing_fn(lp);
    let mut hit = None;
    for call in facts.calls_within(lp) {
        call.val.walk(&mut |v| {
            if hit.is_some() {
                return;
            }
            match v {
                Val::Method { recv, name, .. }
                    if DRAINS.contains(&name.as_str())
                        && local_buffer(facts, call.region, recv, 0) =>
                {
                    hit = Some(v.span());
                }
                Val::Method { recv, name, .. }
                    if RECEIVES.contains(&name.as_str())
                        && local_receiver(
                            facts,
                            call.region,
                            recv,
                            enclosing,
                            as_data(facts, v.span()),
                        ) =>
                {
                    hit = Some(v.span());
                }
                Val::Call { func, args, .. } => {
                    if let Val::Path { path, .. } = &**func
                        && TAKES.iter().any(|t| crate::facts::ends_with(path, t))
                        && args
                            .first()
                            .is_some_and(|a| local_buffer(facts, call.region, a, 0))
                    {
                        hit = Some(v.span());
                    }
                }
                _ => {}
            }
        });
        if hit.is_some() {
            break;
        }
    }
    hit
}

/// How many calls deep a drain is looked for below the loop (`loop { tick; counter.flush() }`
/// → `flush` → a helper that swaps the map out).
const CALL_DEPTH: usize = 2;

/// Where a function the loop `lp` calls (up to [`CALL_DEPTH`] calls deep) takes the contents
/// of its own object's buffer or of a `static` one: the function and the span of the drain.
/// Only drains count here (not channel receives, whose meaning depends on the loop around
/// them), and only of a buffer the process owns: a local collection filled from the database
/// is the job's data, not this instance's.
pub fn local_drain_in_callees(project: &Project, ui: usize, lp: RegionId) -> Option<(FnRef, Span)> {
    let mut frontier = project.callees_in_region(ui, lp);
    let mut seen: Vec<FnRef> = frontier.clone();
    for _ in 0..CALL_DEPTH {
        let mut next = vec![];
        for f in frontier {
            let unit = &project.units[f.file];
            let body = project.fn_fact(f).body;
            if unit.facts.in_test(body) {
                continue;
            }
            if let Some(span) = drain_within(&unit.facts, body) {
                return Some((f, span));
            }
            for c in project.callees_in_region(f.file, body) {
                if !seen.contains(&c) {
                    seen.push(c);
                    next.push(c);
                }
            }
        }
        frontier = next;
    }
    None
}

/// A drain (`drain`, `split_off`) or take (`mem::take`/`replace`/`swap`) of a process-owned
/// buffer anywhere in `region`.
fn drain_within(facts: &FileFacts, region: RegionId) -> Option<Span> {
    let mut hit = None;
    for call in facts.calls_within(region) {
        call.val.walk(&mut |v| {
            if hit.is_some() {
                return;
            }
            match v {
                Val::Method { recv, name, .. }
                    if DRAINS.contains(&name.as_str())
                        && local_buffer(facts, call.region, recv, 0) =>
                {
                    hit = Some(v.span());
                }
                Val::Call { func, args, .. } => {
                    if let Val::Path { path, .. } = &**func
                        && TAKES.iter().any(|t| crate::facts::ends_with(path, t))
                        && args
                            .first()
                            .is_some_and(|a| local_buffer(facts, call.region, a, 0))
                    {
                        hit = Some(v.span());
                    }
                }
                _ => {}
            }
        });
        if hit.is_some() {
            break;
        }
    }
    hit
}

/// A `static` (an all-caps name), a field of `self`, or a binding whose value is one of those
/// (`let mut q = QUEUE.write().await;`).
fn local_buffer(facts: &FileFacts, region: RegionId, val: &Val, depth: usize) -> bool {
    if depth > 3 {
        return false;
    }
    let (root, _) = val.chain();
    match root {
        Val::Path { path, .. } => {
            let Some(last) = path.last() else {
                return false;
            };
            if is_static_name(last) {
                return true;
            }
            path.len() == 1
                && facts
                    .binding(last, region)
                    .is_some_and(|b| local_buffer(facts, b.region, &b.init, depth + 1))
        }
        Val::Field { base, .. } => match &**base {
            Val::Path { path, .. } => is_self(facts, region, path),
            _ => false,
        },
        _ => false,
    }
}

/// The `self` of a method: the facts anchor the expression `self` to the module's path
/// (`crate::download_counter`), so a module path used as a value inside a method with a `self`
/// receiver is `self` (a module is never a value otherwise).
fn is_self(facts: &FileFacts, region: RegionId, path: &[String]) -> bool {
    let module_path = path.first().is_some_and(|p| p == "crate" || p == "self")
        && path.iter().skip(1).all(|s| {
            s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        });
    module_path && facts.enclosing_fn(region).is_some_and(|f| f.has_self)
}

fn is_static_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether the received value is used as data: bound by a `let`, matched, or the scrutinee of a
/// `while let` (not a stop signal that only ends the loop).
fn as_data(facts: &FileFacts, span: Span) -> bool {
    facts.lets.iter().any(|l| l.init.span().contains(span))
        || facts
            .matches
            .iter()
            .any(|m| m.scrutinee.span().contains(span))
        || facts
            .loops
            .iter()
            .any(|l| l.iter.as_ref().is_some_and(|i| i.span().contains(span)))
}

/// A receiver of an in-process channel. Consumed as data: a parameter typed as an `mpsc`/
/// `flume`/`crossbeam`/`async_channel` receiver, a binding made by a channel constructor, or a
/// receiver destructured from one (`let (tx, mut rx) = mpsc::unbounded_channel()`, which leaves
/// no named binding). Used only as a stop signal: the channel must be made in the function
/// around the loop (its sender dies with that call), so a process-wide shutdown receiver passed
/// in is no reason.
fn local_receiver(
    facts: &FileFacts,
    region: RegionId,
    recv: &Val,
    enclosing: Option<&FnFact>,
    data: bool,
) -> bool {
    let Val::Path { path, .. } = recv else {
        return false;
    };
    let [name] = path.as_slice() else {
        return false;
    };
    let channel_ty = |ty: &str| {
        let t = ty.replace(' ', "");
        t.contains("Receiver")
            && [
                "mpsc::",
                "flume::",
                "crossbeam",
                "async_channel::",
                "UnboundedReceiver",
            ]
            .iter()
            .any(|k| t.contains(k))
    };
    let made_by_channel = |init: &Val| {
        init.chain()
            .0
            .call_path()
            .and_then(|p| p.last())
            .is_some_and(|l| CHANNELS.contains(&l.as_str()))
    };
    if let Some(b) = facts.binding(name, region) {
        return made_by_channel(&b.init);
    }
    if let Some(f) = enclosing
        && let Some(p) = f.params.iter().find(|p| &p.name == name)
    {
        return data && channel_ty(&p.ty);
    }
    // Destructured from a channel constructor in the function around the loop: look for the
    // constructor call there, outside any closure the loop is in.
    let Some(f) = enclosing else { return false };
    let makes_channel = facts.calls_within(f.body).any(|c| {
        let mut found = false;
        c.val.walk(&mut |v| {
            if let Some(p) = v.call_path()
                && p.len() >= 2
                && p.last().is_some_and(|l| CHANNELS.contains(&l.as_str()))
            {
                found = true;
            }
        });
        found
    });
    // A stop signal: the loop must run in a task spawned by that function.
    makes_channel
        && (data
            || facts
                .ancestors(region)
                .any(|(_, r)| matches!(r.kind, RegionKind::AsyncBlock | RegionKind::Closure)))
}
