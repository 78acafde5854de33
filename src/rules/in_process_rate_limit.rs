//! `in-process-rate-limit`: a rate limiter whose counters live in one process (governor,
//! tower_governor, actix-governor, tower's `RateLimitLayer`, actix-extensible-rate-limit's
//! `InMemoryBackend`). Behind a load balancer N instances admit N times the limit.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{
    StateSite, checked, first_int, in_dev_branch, instances_text, once_per_process, sites,
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
        let n = project.config.instances.max(1) as u128;
        for site in sites(project, unit, META.id, &["keyed", "global"]) {
            if !project.runs_on_replicas(unit, site.region, site.span)
                || in_dev_branch(facts, site.span)
            {
                continue;
            }
            let global = site.entry.kind == "global";
            if global && !once_per_process(unit, &site) {
                // Built per connection or per client object: it limits that connection, which
                // lives on one instance.
                continue;
            }
            let whom = if global { "the service" } else { "each client" };
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                site.span,
                format!(
                    "{}: behind a load balancer {whom} gets the limit once per instance",
                    site.entry.what
                ),
            );
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
                    format!(
                        "at {}, {whom} can make {n} × {limit} = {} requests {per} instead of {limit}; {keep}",
                        instances_text(project),
                        n * limit
                    )
                }
                None => format!(
                    "at {}, each instance counts only the requests it receives, so {whom} can make up to {n} times the configured limit",
                    instances_text(project)
                ),
            };
            d = d.note(arithmetic);
            if !global {
                d = d.note("the limiter is keyed by client (an IP address, a user): a client whose requests the load balancer spreads over the instances is counted separately on each");
            }
            out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                "count where every instance sees it:\n{}",
                site.entry.fix
            ))));
        }
    }
}
