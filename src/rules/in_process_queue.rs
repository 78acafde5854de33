//! `in-process-queue`: a request handler that hands work to a channel held in app state (tokio
//! `mpsc`, flume, crossbeam, async-channel) and answers without waiting for it. The queue is in
//! the process's memory: a restart, a deploy or a scale-in drops the work the client was told
//! was accepted.

use super::{Rule, RuleMeta};
use crate::analysis::process_maps::{Holder, holder, request_handler};
use crate::analysis::state_sites::{checked, entries, in_dev_branch, instances_text};
use crate::catalog::StateEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Val;
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct InProcessQueue;

static META: RuleMeta = RuleMeta {
    id: "in-process-queue",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a handler queues work in an in-process channel and answers: a restart or scale-in drops accepted work",
    doc: include_str!("../../rules/docs/in-process-queue.md"),
};

const SINGLE_HELP: &str = "if losing queued work on a restart is acceptable (a best-effort refresh), write \
     `// scalelint: allow(in-process-queue) <reason>`";

/// Words of a field's name that say the channel carries telemetry or control, not work.
const NOT_WORK: &[&str] = &[
    "log",
    "logs",
    "logger",
    "metric",
    "metrics",
    "telemetry",
    "trace",
    "traces",
    "tracing",
    "stats",
    "analytics",
    "audit",
    "usage",
    "shutdown",
    "cancel",
    "stop",
    "reload",
    "progress",
];

/// Types that hold many senders (a registry of connected clients): `local-fanout`'s shape.
const CONTAINERS: &[&str] = &[
    "HashMap", "DashMap", "BTreeMap", "Vec", "VecDeque", "HashSet", "Slab",
];

/// The catalogue entry whose sender type the written type is, if it is a work channel's sender.
fn sender_entry<'a>(project: &'a Project, unit: &Unit, ty: &str) -> Option<&'a StateEntry> {
    let words: Vec<&str> = ty
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| CONTAINERS.contains(w) || ["broadcast", "watch", "oneshot"].contains(w))
    {
        return None;
    }
    let wanted = entries(project, META.id, "queue-sender");
    // A qualified type names its library: `mpsc::Sender`, `flume::Sender`.
    for e in &wanted {
        for c in &e.calls {
            let segs: Vec<&str> = c.split("::").collect();
            if segs.len() >= 2 && words.windows(segs.len()).any(|w| w == segs.as_slice()) {
                return Some(e);
            }
        }
    }
    // A bare `Sender<..>` / `UnboundedSender<..>`: the library the crate depends on.
    wanted.into_iter().find(|e| {
        project.uses_any(unit, &e.crates)
            && e.calls.iter().any(|c| {
                let last = c.rsplit("::").next().unwrap_or(c);
                words.contains(&last)
            })
    })
}

/// The declaration of a field of the workspace as a work channel's sender.
fn sender_field<'a>(
    project: &'a Project,
    name: &str,
) -> Option<(&'a StateEntry, &'a Unit, Span, String, String)> {
    let mut found = None;
    for unit in &project.units {
        for s in &unit.facts.structs {
            for f in s.fields.iter().filter(|f| f.name == name) {
                let e = sender_entry(project, unit, &f.ty)?;
                if found.is_none() {
                    found = Some((e, unit, f.span, s.name.clone(), f.ty.replace(' ', "")));
                }
            }
        }
    }
    found
}

impl Rule for InProcessQueue {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(catalog, |e| e.rule == META.id, &["send", "Sender"])
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        let mut done: Vec<(Span, String)> = vec![];
        for call in &facts.calls {
            let mut sends: Vec<(&Val, &str, Span)> = vec![];
            call.val.walk(&mut |v| {
                if let Val::Method {
                    recv, name, span, ..
                } = v
                {
                    sends.push((recv, name, *span));
                }
            });
            for (recv, method, span) in sends {
                let Some(Holder::Field(field)) = holder(facts, call.region, recv) else {
                    continue;
                };
                let Some(f) = facts.enclosing_fn(call.region) else {
                    continue;
                };
                if done.contains(&(f.span, field.clone()))
                    || !request_handler(f)
                    || field
                        .to_ascii_lowercase()
                        .split('_')
                        .any(|w| NOT_WORK.contains(&w))
                {
                    continue;
                }
                let Some((entry, decl_unit, decl_span, owner, ty)) = sender_field(project, &field)
                else {
                    continue;
                };
                if !entry.methods.iter().any(|m| m == method)
                    || facts.in_test(call.region)
                    || in_dev_branch(facts, span)
                    || !project.runs_on_replicas(unit, call.region, span)
                {
                    continue;
                }
                // A reply the handler awaits: the work is done before the answer.
                let replies = facts.calls_within(f.body).any(|c| {
                    let mut hit = false;
                    c.val.walk(&mut |v| {
                        if let Some(p) = v.call_path()
                            && p.iter().any(|s| s == "oneshot")
                        {
                            hit = true;
                        }
                    });
                    hit
                });
                if replies {
                    continue;
                }
                done.push((f.span, field.clone()));
                let mut d = Diagnostic::new(
                    META.id,
                    unit.id,
                    span,
                    format!(
                        "`{}` queues work in `{owner}.{field}`, {} in this process's memory, and answers without waiting: a restart or scale-in drops what was accepted",
                        f.name, entry.what
                    ),
                )
                .label(decl_unit.id, decl_span, format!("`{ty}`: a queue in this process"));
                if let Some(why) = project.roles().describe(project, unit, call.region) {
                    d = d.note(why);
                }
                d = d.note(format!(
                    "seen: the request handler `{}` calls `.{method}(..)` on the field `{field}` (`{ty}`) and awaits no reply (no `oneshot` in the handler); the receiving task runs in the same process",
                    f.name
                ));
                d = d.note(format!(
                    "at {}: a request reaches instance A, A queues the work in memory and answers; a deploy restarts every instance and a scale-in stops one, and the work still queued there is gone, with no other instance able to pick it up",
                    instances_text(project, unit)
                ));
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(entry.fix.clone())));
            }
        }
    }
}
