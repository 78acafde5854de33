//! Per-instance work: a timer loop whose work comes from this process itself. It drains a buffer
//! the process fills (a `static` queue, a field of its own state: `QUEUE.write().await.drain(..)`,
//! `std::mem::take(&mut self.pending)`), consumes a channel this process feeds (`rx.recv()` on an
//! `mpsc` receiver), or lives only while one call's work runs (a keep-alive stopped through a
//! channel whose sender that call holds). Each instance does it for what it holds, by design:
//! not a job that every instance repeats.

use crate::facts::{FileFacts, FnFact, RegionId, RegionKind, Val};
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
        Val::Field { base, .. } => {
            matches!(&**base, Val::Path { path, .. } if path.len() == 1 && path[0] == "self")
        }
        _ => false,
    }
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
