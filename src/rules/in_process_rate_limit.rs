//! `in-process-rate-limit`: a rate limiter whose counters live in one process (governor,
//! tower_governor, actix-governor, tower's `RateLimitLayer`, actix-extensible-rate-limit's
//! `InMemoryBackend`). Behind a load balancer N instances admit N times the limit.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{
    StateSite, checked, first_int, in_dev_branch, instances_of, instances_text, once_per_process,
    sites,
};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Val;
use crate::project::{Project, Unit};

pub struct InProcessRateLimit;

static META: RuleMeta = RuleMeta {
    id: "in-process-rate-limit",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a rate limiter counting in one process's memory: N instances admit N times the limit",
    doc: include_str!("../../rules/docs/in-process-rate-limit.md"),
};

const SINGLE_HELP: &str = "if this service runs as exactly one instance on purpose, name its crate or binary in \
     `single-instance` (scalelint.toml), or write `// scalelint: allow(in-process-rate-limit) <reason>`";

/// The fix for a limiter that throttles outbound calls.
const OUTBOUND_FIX: &str = "share the upstream's quota between the instances:
// give each instance its share (and change it whenever the instance count does)
let share = NonZeroU32::new(UPSTREAM_QUOTA / instances).unwrap_or(NonZeroU32::MIN);
let limiter = RateLimiter::direct(Quota::per_second(share));
// or make every instance wait on one shared counter (a Redis GCRA such as redis-cell's
// CL.THROTTLE), or send the calls through one worker that owns the quota";

/// Quota constructors and the unit of the count they take.
const QUOTAS: &[(&str, &str)] = &[
    ("per_second", "second"),
    ("per_minute", "minute"),
    ("per_hour", "hour"),
];

/// The limit written where the site's quota is built: `(count, "per second")`, or a burst.
fn written_limit(unit: &Unit, site: &StateSite<'_>) -> Option<(u128, String)> {
    // tower's `RateLimitLayer::new(num, Duration::from_secs(per))`.
    if site.entry.library == "tower" {
        let args = site.val.args();
        let (num, _) = first_int(args.first()?)?;
        let per = args
            .get(1)
            .and_then(|p| {
                let unit_name = p
                    .call_path()
                    .and_then(|c| c.last().cloned())
                    .unwrap_or_default();
                let (n, _) = first_int(p)?;
                let u = match unit_name.as_str() {
                    "from_secs" => "s",
                    "from_millis" => "ms",
                    _ => return None,
                };
                Some(format!("{n} {u}"))
            })
            .unwrap_or_else(|| "window".into());
        return Some((num, format!("per {per}")));
    }
    // governor's `Quota::per_second(nonzero!(5u32))` in the same function (or initializer).
    let facts = &unit.facts;
    let scope = facts
        .ancestors(site.region)
        .find(|(_, r)| {
            matches!(
                r.kind,
                crate::facts::RegionKind::Fn(_) | crate::facts::RegionKind::Closure
            )
        })
        .map_or(site.region, |(id, _)| id);
    let mut found = None;
    for c in facts.calls_within(scope) {
        c.val.walk(&mut |v| {
            if found.is_some() {
                return;
            }
            if let Some(path) = v.call_path()
                && path.len() >= 2
                && path[path.len() - 2] == "Quota"
                && let Some((_, unit_name)) = QUOTAS
                    .iter()
                    .find(|(q, _)| path.last().is_some_and(|l| l == q))
                && let Some((n, _)) = v.args().first().and_then(first_int)
            {
                found = Some((n, format!("per {unit_name}")));
            }
            if let Val::Method { name, args, .. } = v
                && (name == "burst_size" || name == "allow_burst")
                && let Some((n, _)) = args.first().and_then(first_int)
            {
                found = Some((n, "in a burst".to_string()));
            }
        });
    }
    found
}

/// Whether the site is the value put into a map for one key: an argument of `.insert(k, ..)`,
/// `.or_insert(..)`, or inside the closure of `.or_insert_with(|| ..)` / `.get_or_insert_with`.
fn in_map_insert(unit: &Unit, site: &StateSite<'_>) -> bool {
    const INSERTS: &[&str] = &[
        "insert",
        "or_insert",
        "or_insert_with",
        "get_or_insert_with",
        "entry_or_insert_with",
    ];
    let facts = &unit.facts;
    let in_closure = facts.ancestors(site.region).any(|(_, r)| {
        matches!(r.kind, crate::facts::RegionKind::Closure)
            && r.arg_of.as_ref().is_some_and(|a| {
                a.method
                    && a.callee
                        .last()
                        .is_some_and(|l| INSERTS.contains(&l.as_str()))
            })
    });
    // The call that inserts it, to read the key.
    let mut key: Option<Option<&Val>> = None;
    for call in facts
        .calls
        .iter()
        .filter(|c| facts.is_within(site.region, c.region))
    {
        call.val.walk(&mut |v| {
            if let Val::Method {
                recv,
                name,
                args,
                span,
                ..
            } = v
                && INSERTS.contains(&name.as_str())
                && span.contains(site.span)
            {
                let k = if name == "insert" {
                    args.first()
                } else {
                    // `.entry(k).or_insert_with(..)`
                    match &**recv {
                        Val::Method { name, args, .. } if name == "entry" => args.first(),
                        _ => None,
                    }
                };
                key = Some(k);
            }
        });
    }
    if key.is_none() && !in_closure {
        return false;
    }
    // Keyed by the connection itself (a socket, a session): it limits that connection, which
    // lives on one instance.
    let per_connection = key.flatten().and_then(last_name).is_some_and(|k| {
        let k = k.to_ascii_lowercase();
        [
            "conn", "socket", "session", "stream", "peer", "channel", "sid",
        ]
        .iter()
        .any(|w| k.contains(w))
    });
    !per_connection
}

/// The names the site's limiter is bound to: the `static`/`const`, the `let`, or the struct
/// field whose value it is.
fn bound_names(unit: &Unit, site: &StateSite<'_>) -> Vec<String> {
    let facts = &unit.facts;
    let mut names: Vec<String> = vec![];
    for c in &facts.consts {
        if c.value.span().contains(site.span) {
            names.push(c.name.clone());
        }
    }
    for l in &facts.lets {
        if l.init.span().contains(site.span) {
            names.push(l.name.clone());
        }
    }
    // Struct literals: in calls, in `let` initializers, and as a function's value.
    let values = facts
        .calls
        .iter()
        .map(|c| &c.val)
        .chain(facts.lets.iter().map(|l| &l.init))
        .chain(facts.fns.iter().filter_map(|f| f.tail.as_ref()));
    for value in values {
        value.walk(&mut |v| {
            if let Val::Struct { fields, .. } = v {
                for (name, fv) in fields {
                    if fv.span().contains(site.span) {
                        names.push(name.clone());
                    }
                }
            }
        });
    }
    names
}

/// Where the crate waits on the site's limiter (`LIMITER.until_ready().await`): an outbound
/// throttle waits for its turn, where a limiter of incoming requests rejects them.
fn waited_on(project: &Project, unit: &Unit, site: &StateSite<'_>) -> Option<String> {
    const WAITS: &[&str] = &[
        "until_ready",
        "until_n_ready",
        "until_key_ready",
        "until_key_n_ready",
        "until_ready_with_jitter",
        "until_key_ready_with_jitter",
        "until_n_ready_with_jitter",
    ];
    let names = bound_names(unit, site);
    if names.is_empty() {
        return None;
    }
    for u in project
        .units
        .iter()
        .filter(|u| u.krate == unit.krate && u.is_service_source())
    {
        for call in &u.facts.calls {
            if u.facts.in_test(call.region) {
                continue;
            }
            let mut hit = None;
            call.val.walk(&mut |v| {
                if let Val::Method {
                    recv, name, span, ..
                } = v
                    && WAITS.contains(&name.as_str())
                    && last_name(recv).is_some_and(|r| names.iter().any(|n| n == r))
                {
                    hit = Some(*span);
                }
            });
            if let Some(span) = hit {
                return Some(project.place(u, span));
            }
        }
    }
    None
}

/// `self.limiter` → `limiter`, `LIMITER` → `LIMITER`.
fn last_name(v: &Val) -> Option<&str> {
    match v {
        Val::Field { name, .. } => Some(name),
        Val::Path { path, .. } => path.last().map(String::as_str),
        _ => None,
    }
}

impl Rule for InProcessRateLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id,
            &["RateLimit", "Governor", "InMemoryBackend"],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        let n = instances_of(project, unit) as u128;
        for site in sites(project, unit, META.id, &["keyed", "global"]) {
            if !project.runs_on_replicas(unit, site.region, site.span)
                || in_dev_branch(facts, site.span)
            {
                continue;
            }
            let mut global = site.entry.kind == "global";
            let mut per_key = false;
            // Waited on before calling out: an outbound throttle, wherever it is built.
            let outbound = waited_on(project, unit, &site);
            if global && outbound.is_none() && !once_per_process(unit, &site) {
                if !in_map_insert(unit, &site) {
                    // Built per connection or per client object: it limits that connection,
                    // which lives on one instance.
                    continue;
                }
                // One direct limiter per key, kept in a map: a keyed limiter written by hand.
                global = false;
                per_key = true;
            }
            let whom = if outbound.is_some() {
                "the upstream"
            } else if global {
                "the service"
            } else {
                "each client"
            };
            let message = match (&outbound, per_key) {
                (Some(_), _) => format!(
                    "{}: it paces this process's calls to an upstream, so behind a load balancer the upstream is called once per instance as fast",
                    site.entry.what
                ),
                (None, true) => format!(
                    "{}, one per key in a map: behind a load balancer each client gets the limit once per instance",
                    site.entry.what
                ),
                (None, false) => format!(
                    "{}: behind a load balancer {whom} gets the limit once per instance",
                    site.entry.what
                ),
            };
            let mut d = Diagnostic::new(META.id, unit.id, site.span, message);
            if let Some(why) = project.roles().describe(project, unit, site.region) {
                d = d.note(why);
            }
            let arithmetic = match written_limit(unit, &site) {
                Some((limit, per)) => {
                    let share = limit / n;
                    let keep = if share >= 1 {
                        format!(
                            "to keep {limit} {per} with this limiter, each instance may allow {limit} ÷ {n} = {share} (rounded down), and the limit changes whenever the instance count does"
                        )
                    } else {
                        format!(
                            "{limit} ÷ {n} is below one request per instance, so no per-instance setting keeps the limit: only a shared counter does"
                        )
                    };
                    if outbound.is_some() {
                        format!(
                            "at {}, the upstream receives up to {n} × {limit} = {} calls {per} against a quota of {limit}; {keep}",
                            instances_text(project, unit),
                            n * limit
                        )
                    } else {
                        format!(
                            "at {}, {whom} can make {n} × {limit} = {} requests {per} instead of {limit}; {keep}",
                            instances_text(project, unit),
                            n * limit
                        )
                    }
                }
                None => format!(
                    "at {}, each instance counts only the requests it receives, so {whom} can make up to {n} times the configured limit",
                    instances_text(project, unit)
                ),
            };
            d = d.note(arithmetic);
            if let Some(wait) = &outbound {
                d = d.note(format!(
                    "the limiter is waited on before calling out ({wait}): it throttles this process's outbound calls, and an upstream that enforces its quota rejects the excess (HTTP 429) once several instances call it"
                ));
            } else if !global {
                d = d.note("the limiter is keyed by client (an IP address, a user): a client whose requests the load balancer spreads over the instances is counted separately on each");
            }
            let fix = if outbound.is_some() {
                OUTBOUND_FIX.to_string()
            } else {
                format!("count where every instance sees it:\n{}", site.entry.fix)
            };
            out.push(d.help(SINGLE_HELP).fix(Fix::manual(fix)));
        }
    }
}
