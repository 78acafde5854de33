//! `local-fanout`: real-time delivery that reaches only the clients connected to this process.
//! Three shapes: socketioxide with its default in-memory adapter when rooms or broadcasts are
//! used; a `tokio::sync::broadcast::Sender` kept in app state, listened to by a WebSocket or SSE
//! endpoint and sent to from request handlers; a map of connected clients' handles
//! (`HashMap<UserId, Recipient<Msg>>`). Behind a load balancer an event sent on one instance
//! never reaches the clients connected to the others.

use super::{Rule, RuleMeta};
use crate::analysis::matchers::path_of_crate;
use crate::analysis::state_sites::{checked, entries, instances_text, sites};
use crate::catalog::StateEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, FnFact, RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct LocalFanout;

static META: RuleMeta = RuleMeta {
    id: "local-fanout",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "real-time events delivered through one process's memory: clients on other instances never get them",
    doc: include_str!("../../rules/docs/local-fanout.md"),
};

const SINGLE_HELP: &str = "if this service runs as exactly one instance on purpose, name its crate or binary in \
     `single-instance` (scalelint.toml), or write `// scalelint: allow(local-fanout) <reason>`";

/// Words in a channel's field name or message type that say it carries a signal to the
/// process itself (shutdown, cancellation, a configuration reload), not events for clients.
const SIGNAL_WORDS: &[&str] = &[
    "shutdown",
    "cancel",
    "cancellation",
    "stop",
    "terminate",
    "termination",
    "reload",
    "config",
    "configuration",
    "settings",
    "quit",
    "exit",
    "kill",
    "close",
    "signal",
    "restart",
    "halt",
];

/// Parameter types of a request handler (axum, actix-web, poem, salvo extractors).
const HANDLER_PARAMS: &[&str] = &[
    "State",
    "Json",
    "Form",
    "Query",
    "Data",
    "Extension",
    "HttpRequest",
    "Multipart",
];

/// Parameter types of a WebSocket or SSE endpoint, or of the task it hands the socket to.
const SOCKET_PARAMS: &[&str] = &[
    "WebSocketUpgrade",
    "WebSocket",
    "WebSocketStream",
    "WsContext",
    "MessageStream",
    "SocketRef",
];

/// Map types a registry of clients is kept in.
const MAP_TYPES: &[&str] = &["HashMap", "DashMap", "BTreeMap", "IndexMap"];

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a name or type says "a signal to the process" (`shutdown_tx`, `Sender<()>`).
fn is_signal(name: &str, ty: &str) -> bool {
    let compact: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.ends_with("Sender<()>") || compact.ends_with("Sender<bool>") {
        return true;
    }
    words(name)
        .into_iter()
        .chain(words(ty))
        .flat_map(|w| {
            let lower = w.to_ascii_lowercase();
            // `ShutdownSignal` and `shutdown_tx` alike.
            let mut parts: Vec<String> = lower.split('_').map(str::to_string).collect();
            parts.push(lower);
            parts
        })
        .any(|p| SIGNAL_WORDS.iter().any(|s| p == *s || p.starts_with(s)))
}

/// The service units of the crate `unit` belongs to, with their index.
fn crate_units<'a>(project: &'a Project, unit: &'a Unit) -> impl Iterator<Item = &'a Unit> + 'a {
    project
        .units
        .iter()
        .filter(move |u| u.krate == unit.krate && u.is_service_source())
}

/// Whether a value is a call of one of the entry's paths or a method it names.
fn is_entry_use(facts: &FileFacts, entry: &StateEntry, v: &Val) -> bool {
    match v {
        Val::Call { func, .. } => match &**func {
            Val::Path { path, .. } => entry
                .calls
                .iter()
                .any(|c| path_of_crate(facts, path, c, &entry.crates)),
            _ => false,
        },
        Val::Method { name, .. } => entry.methods.contains(name),
        _ => false,
    }
}

/// A cross-instance subscriber in the crate (`PgListener::connect_with`, redis
/// `get_async_pubsub`, NATS `client.subscribe(subject)`): where it is.
fn bridge(project: &Project, unit: &Unit) -> Option<String> {
    let bridges = entries(project, "", "fanout-bridge");
    for u in crate_units(project, unit) {
        let facts = &u.facts;
        let pubsub_file = facts
            .crate_refs
            .iter()
            .any(|r| bridges.iter().any(|b| b.crates.iter().any(|c| c == r)));
        if !pubsub_file {
            continue;
        }
        for call in &facts.calls {
            if facts.in_test(call.region) {
                continue;
            }
            let mut hit = None;
            call.val.walk(&mut |v| {
                if hit.is_some() {
                    return;
                }
                let subscription = matches!(v, Val::Method { name, args, .. } if name == "subscribe" && !args.is_empty());
                if subscription || bridges.iter().any(|b| is_entry_use(facts, b, v)) {
                    hit = Some(v.span());
                }
            });
            if let Some(span) = hit {
                return Some(project.place(u, span));
            }
        }
    }
    None
}

/// Whether `f` is a WebSocket or SSE endpoint (or the task it hands the socket to).
fn is_socket_fn(project: &Project, unit: &Unit, f: &FnFact) -> bool {
    if f.params
        .iter()
        .any(|p| words(&p.ty).iter().any(|w| SOCKET_PARAMS.contains(w)))
    {
        return true;
    }
    let sockets = entries(project, "", "fanout-socket");
    let facts = &unit.facts;
    facts.calls_within(f.body).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            hit = hit
                || sockets.iter().any(|e| match v {
                    // `channel` alone is too common a name: only `sse::channel(..)` as a path.
                    Val::Method { name, .. } if name == "channel" => false,
                    _ => is_entry_use(facts, e, v),
                })
        });
        hit
    })
}

/// Whether `f` handles a request: it takes an extractor (`State<..>`, `Json<..>`, `web::Data<..>`).
fn is_handler_fn(f: &FnFact) -> bool {
    f.params
        .iter()
        .any(|p| words(&p.ty).iter().any(|w| HANDLER_PARAMS.contains(w)))
}

/// The receiver's last name: `state.tx` → `tx`, `tx` → `tx`, `self.inner.events` → `events`.
fn recv_name(v: &Val) -> Option<&str> {
    match v {
        Val::Field { name, .. } => Some(name),
        Val::Path { path, .. } => path.last().map(String::as_str),
        Val::Method { recv, name, .. } if name == "clone" || name == "as_ref" => recv_name(recv),
        _ => None,
    }
}

/// Method calls named `method` on a receiver named `field`, in service code of the crate:
/// (unit, region, span).
fn calls_on<'a>(
    project: &'a Project,
    unit: &'a Unit,
    field: &str,
    method: &str,
) -> Vec<(&'a Unit, RegionId, Span)> {
    let mut out = vec![];
    for u in crate_units(project, unit) {
        for call in &u.facts.calls {
            if u.facts.in_test(call.region) {
                continue;
            }
            call.val.walk(&mut |v| {
                if let Val::Method { recv, name, .. } = v
                    && name == method
                    && recv_name(recv) == Some(field)
                {
                    out.push((u, call.region, v.span()));
                }
            });
        }
    }
    out
}

impl Rule for LocalFanout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id,
            &[
                "SocketIo",
                "broadcast",
                "Sender",
                "Recipient",
                "Addr",
                "Session",
                "SplitSink",
                "WebSocket",
            ],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        self.socketio(project, unit, out);
        let fields = self.channel_fields(project, unit, out);
        self.registries(project, unit, &fields, out);
    }
}

impl LocalFanout {
    /// socketioxide built without `.with_adapter::<..>()`, when the crate uses rooms or broadcasts.
    fn socketio(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        let found = sites(project, unit, META.id, &["fanout-server"]);
        if found.is_empty() {
            return;
        }
        let adapters = entries(project, "", "fanout-adapter");
        let mut broadcasts: Vec<String> = vec![];
        for u in crate_units(project, unit) {
            let facts = &u.facts;
            if !facts.crate_refs.iter().any(|r| r == "socketioxide") && u.id != unit.id {
                // Handlers in other files name `SocketRef` or `SocketIo` through the crate's own
                // re-exports too; read every file that mentions the library.
                let names_it = facts
                    .fns
                    .iter()
                    .any(|f| f.params.iter().any(|p| p.ty.contains("Socket")));
                if !names_it {
                    continue;
                }
            }
            for call in &facts.calls {
                if facts.in_test(call.region) {
                    continue;
                }
                let mut adapter = false;
                call.val.walk(&mut |v| {
                    adapter = adapter || adapters.iter().any(|a| is_entry_use(facts, a, v));
                });
                if adapter {
                    // A shared adapter is given somewhere: the server is not local.
                    return;
                }
                let (_, links) = call.val.chain();
                let names: Vec<&str> = links.iter().filter_map(|l| l.method_name()).collect();
                let operator = names
                    .iter()
                    .position(|n| found[0].entry.methods.iter().any(|m| m == n));
                let emits = |from: usize| names[from..].iter().any(|n| n.starts_with("emit"));
                // `io.emit(..)` on the server handle: every socket of the default namespace.
                let io_emit = links.first().is_some_and(|l| match l {
                    Val::Method { recv, name, .. } => {
                        name.starts_with("emit")
                            && recv_name(recv).is_some_and(|r| r == "io" || r.ends_with("_io"))
                    }
                    _ => false,
                });
                if operator.is_some_and(emits) || io_emit {
                    broadcasts.push(project.place(u, call.val.span()));
                }
            }
        }
        if broadcasts.is_empty() {
            // Each socket only answers its own client: nothing crosses connections.
            return;
        }
        for site in found {
            if !project.runs_on_replicas(unit, site.region, site.span) {
                continue;
            }
            let shown: Vec<&str> = broadcasts.iter().take(3).map(String::as_str).collect();
            let more = broadcasts.len().saturating_sub(3);
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                site.span,
                format!(
                    "`{}` uses socketioxide's in-memory `LocalAdapter`: a broadcast or room event reaches only the sockets connected to this instance",
                    short(&site.path)
                ),
            );
            if let Some(why) = project.roles().describe(project, unit, site.region) {
                d = d.note(why);
            }
            d = d.note(format!(
                "the service broadcasts to rooms or to every socket at {}{}; no `.with_adapter::<..>()` is given, so the rooms and their members live in this process",
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ));
            d = d.note(fanout_note(project, unit));
            out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                "give the server an adapter every instance shares:\n{}",
                site.entry.fix
            ))));
        }
    }

    /// `tokio::sync::broadcast::Sender` fields of this file's structs that a socket endpoint
    /// subscribes to and a request handler sends to. Returns the field spans it judged (so the
    /// registry check does not judge them again).
    fn channel_fields(
        &self,
        project: &Project,
        unit: &Unit,
        out: &mut Vec<Diagnostic>,
    ) -> Vec<Span> {
        let mut judged = vec![];
        let Some(entry) = entries(project, META.id, "fanout-channel")
            .into_iter()
            .next()
        else {
            return judged;
        };
        if !project.uses_any(unit, &entry.crates) {
            return judged;
        }
        let facts = &unit.facts;
        let file_makes_channel = facts.calls.iter().any(|c| {
            let mut hit = false;
            c.val.walk(&mut |v| {
                hit = hit
                    || v.call_path().is_some_and(|p| {
                        entry
                            .calls
                            .iter()
                            .any(|c| path_of_crate(facts, p, c, &entry.crates))
                    })
            });
            hit
        });
        let mut bridge_at: Option<Option<String>> = None;
        for st in &facts.structs {
            if facts
                .regions
                .iter()
                .any(|r| r.in_test && r.span.contains(st.span))
            {
                continue;
            }
            for field in &st.fields {
                let ty: String = field.ty.chars().filter(|c| !c.is_whitespace()).collect();
                let broadcast = ty.contains("broadcast::Sender<")
                    || (file_makes_channel
                        && words(&ty).first() == Some(&"Sender")
                        && !ty.contains("mpsc")
                        && !ty.contains("oneshot")
                        && !ty.contains("watch"));
                if !broadcast || ty.contains("HashMap") || ty.contains("DashMap") {
                    continue;
                }
                judged.push(field.span);
                if is_signal(&field.name, &ty) {
                    continue;
                }
                // Who listens: a WebSocket/SSE endpoint that subscribes.
                let subs: Vec<_> = calls_on(project, unit, &field.name, "subscribe")
                    .into_iter()
                    .filter(|(u, region, _)| {
                        u.facts
                            .enclosing_fn(*region)
                            .is_some_and(|f| is_socket_fn(project, u, f))
                    })
                    .collect();
                let Some((su, sregion, sspan)) = subs.first().copied() else {
                    continue;
                };
                if !project.runs_on_replicas(su, sregion, sspan) {
                    continue;
                }
                // Who sends: a request handler, or a socket endpoint relaying what its client sent.
                let sends: Vec<_> = calls_on(project, unit, &field.name, "send")
                    .into_iter()
                    .filter(|(u, region, span)| {
                        u.facts
                            .enclosing_fn(*region)
                            .is_some_and(|f| is_handler_fn(f) || is_socket_fn(project, u, f))
                            && project.runs_on_replicas(u, *region, *span)
                    })
                    .collect();
                let Some((tu, _, tspan)) = sends.first().copied() else {
                    continue;
                };
                let fed = bridge_at.get_or_insert_with(|| bridge(project, unit));
                if fed.is_some() {
                    // A subscriber to Redis, Postgres or NATS feeds a local channel: the fix.
                    continue;
                }
                let sub_fn = su
                    .facts
                    .enclosing_fn(sregion)
                    .map_or("?", |f| f.name.as_str());
                let send_fn = tu
                    .facts
                    .enclosing_fn(sends[0].1)
                    .map_or("?", |f| f.name.as_str());
                let mut d = Diagnostic::new(
                    META.id,
                    unit.id,
                    field.span,
                    format!(
                        "`{}.{}` is a `tokio::sync::broadcast` channel: an event sent on one instance reaches only the clients connected to that instance",
                        st.name, field.name
                    ),
                );
                d = d.note(format!(
                    "`{sub_fn}` ({}) subscribes each connected client to it, and `{send_fn}` ({}) sends to it while handling a request",
                    project.place(su, sspan),
                    project.place(tu, tspan)
                ));
                d = d.note(fanout_note(project, unit));
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                    "publish through a channel every instance subscribes to, and feed this channel from it:\n{}",
                    entry.fix
                ))));
            }
        }
        judged
    }

    /// A map of connected clients' handles (`HashMap<Id, Recipient<Msg>>`) in a crate that
    /// serves WebSockets or SSE.
    fn registries(&self, project: &Project, unit: &Unit, skip: &[Span], out: &mut Vec<Diagnostic>) {
        let Some(entry) = entries(project, META.id, "fanout-client")
            .into_iter()
            .next()
        else {
            return;
        };
        if !project.uses_any(unit, &entry.crates) {
            return;
        }
        let facts = &unit.facts;
        let mut socket_fn: Option<Option<String>> = None;
        let mut bridge_at: Option<Option<String>> = None;
        for st in &facts.structs {
            if facts
                .regions
                .iter()
                .any(|r| r.in_test && r.span.contains(st.span))
            {
                continue;
            }
            for field in &st.fields {
                if skip.contains(&field.span) {
                    continue;
                }
                let ty: String = field.ty.chars().filter(|c| !c.is_whitespace()).collect();
                let w = words(&ty);
                let Some(map_at) = w.iter().position(|x| MAP_TYPES.contains(x)) else {
                    continue;
                };
                // The map's value: a handle to a client (`Recipient<Msg>`, `UnboundedSender<..>`),
                // possibly inside a `Vec` (several connections of one user).
                let handle = w[map_at + 1..]
                    .iter()
                    .find(|x| entry.calls.iter().any(|c| c == *x));
                let Some(handle) = handle else { continue };
                if ty.contains("oneshot") || is_signal(&field.name, &ty) {
                    continue;
                }
                // `Session` and `WebSocket` are handles only with their socket libraries.
                if (*handle == "Session" && !project.uses_crate(unit, "actix_ws"))
                    || (*handle == "Addr" && !project.uses_crate(unit, "actix"))
                {
                    continue;
                }
                let endpoint = socket_fn.get_or_insert_with(|| {
                    crate_units(project, unit).find_map(|u| {
                        u.facts
                            .fns
                            .iter()
                            .find(|f| {
                                !u.facts.in_test(f.body)
                                    && is_socket_fn(project, u, f)
                                    && project.runs_on_replicas(u, f.body, f.span)
                            })
                            .map(|f| format!("`{}` ({})", f.name, project.place(u, f.span)))
                    })
                });
                let Some(endpoint) = endpoint.clone() else {
                    continue;
                };
                let fed = bridge_at.get_or_insert_with(|| bridge(project, unit));
                if fed.is_some() {
                    continue;
                }
                let mut d = Diagnostic::new(
                    META.id,
                    unit.id,
                    field.span,
                    format!(
                        "`{}.{}` keeps connected clients' `{handle}` handles in this process: a message for a client connected to another instance finds no entry",
                        st.name, field.name
                    ),
                );
                d = d.note(format!(
                    "the crate serves long-lived connections at {endpoint}; each instance's map holds only the clients connected to it, so a lookup by id from any other instance misses"
                ));
                d = d.note(fanout_note(project, unit));
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                    "deliver through a channel every instance subscribes to:\n{}",
                    entry.fix
                ))));
            }
        }
    }
}

fn short(path: &str) -> String {
    let parts: Vec<&str> = path.rsplit("::").take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("::")
}

fn fanout_note(project: &Project, unit: &Unit) -> String {
    format!(
        "at {}, the load balancer spreads clients over the instances: an event published on one reaches about 1/N of them, and which ones depends on where each client's connection landed",
        instances_text(project, unit)
    )
}

#[cfg(test)]
mod tests {
    use super::is_signal;

    #[test]
    fn signal_channels() {
        assert!(is_signal("shutdown_tx", "broadcast::Sender<()>"));
        assert!(is_signal("tx", "broadcast::Sender<ShutdownSignal>"));
        assert!(is_signal("reload", "broadcast::Sender<Config>"));
        assert!(!is_signal("tx", "broadcast::Sender<ChatMessage>"));
        assert!(!is_signal("events", "broadcast::Sender<Event>"));
    }
}
