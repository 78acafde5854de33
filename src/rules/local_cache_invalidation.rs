//! `local-cache-invalidation`: code that writes the database and then invalidates or overwrites
//! an in-process cache (moka, mini-moka, quick_cache, an LRU). The invalidation reaches this
//! instance only: the others keep serving what they cached before the write.

use super::{Rule, RuleMeta};
use crate::analysis::process_maps::{declared_map, holder};
use crate::analysis::side_effects::reaches_effect;
use crate::analysis::state_sites::{checked, entries, in_dev_branch, instances_text};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Val;
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct LocalCacheInvalidation;

static META: RuleMeta = RuleMeta {
    id: "local-cache-invalidation",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a database write invalidates an in-process cache: the other instances keep serving stale data",
    doc: include_str!("../../rules/docs/local-cache-invalidation.md"),
};

const SINGLE_HELP: &str = "if stale reads for the cache's lifetime are acceptable, write \
     `// scalelint: allow(local-cache-invalidation) <reason>`; if the service runs as exactly one instance, name it in `single-instance`";

/// Methods that drop or replace a cached entry.
const INVALIDATES: &[&str] = &[
    "invalidate",
    "invalidate_all",
    "invalidate_entries_if",
    "remove",
    "insert",
    "pop",
    "put",
    "clear",
];

/// Cache types: a moka / mini-moka / quick_cache `Cache` (when the crate depends on one) or an
/// LRU cache.
const CACHE_TYPES: &[&str] = &["Cache", "LruCache"];

/// Whether the workspace already carries invalidations between instances: a Postgres
/// `LISTEN`/`NOTIFY` listener or a Redis pub/sub subscription.
fn has_cross_instance_bridge(project: &Project) -> Option<String> {
    let bridges = entries(project, META.id, "bridge");
    project.units.iter().find_map(|u| {
        let mut hit = None;
        for c in &u.facts.calls {
            c.val.walk(&mut |v| {
                if hit.is_some() {
                    return;
                }
                let name = match v {
                    Val::Method { name, .. } => Some(name.as_str()),
                    _ => v.call_path().and_then(|p| p.last()).map(String::as_str),
                };
                if let Some(n) = name
                    && bridges
                        .iter()
                        .any(|e| e.methods.iter().any(|m| m == n) && project.uses_any(u, &e.crates))
                {
                    hit = Some(n.to_string());
                }
                if let Some(p) = v.call_path()
                    && bridges.iter().any(|e| {
                        e.calls.iter().any(|c| {
                            crate::analysis::matchers::path_of_crate(&u.facts, p, c, &e.crates)
                        })
                    })
                {
                    hit = Some(p.join("::"));
                }
            });
            if hit.is_some() {
                break;
            }
        }
        hit
    })
}

impl Rule for LocalCacheInvalidation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id && e.kind == "cache",
            &["invalidate", "remove", "insert", "put", "pop", "clear"],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        let fix = entries(project, META.id, "cache")
            .first()
            .map(|e| e.fix.clone())
            .unwrap_or_default();
        let unit_idx = project.unit_index(unit);
        let mut bridge: Option<Option<String>> = None;
        let mut done: Vec<(Span, String)> = vec![];
        for call in &facts.calls {
            let mut found: Vec<(&str, Span, &Val)> = vec![];
            call.val.walk(&mut |v| {
                if let Val::Method {
                    recv, name, span, ..
                } = v
                    && INVALIDATES.contains(&name.as_str())
                {
                    found.push((name, *span, recv));
                }
            });
            for (method, span, recv) in found {
                let Some(h) = holder(facts, call.region, recv) else {
                    continue;
                };
                let Some(f) = facts.enclosing_fn(call.region) else {
                    continue;
                };
                if done.contains(&(f.span, h.name().to_string()))
                    || f.is_test
                    || facts.in_test(call.region)
                    || in_dev_branch(facts, span)
                {
                    continue;
                }
                let Some(decl) = declared_map(project, &h) else {
                    continue;
                };
                if !CACHE_TYPES.contains(&decl.ty) {
                    continue;
                }
                let Some(effect) = reaches_effect(project, unit_idx, f.body) else {
                    continue;
                };
                if effect.kind != "database write"
                    || !project.runs_on_replicas(unit, call.region, span)
                {
                    continue;
                }
                let bridge = bridge.get_or_insert_with(|| has_cross_instance_bridge(project));
                if bridge.is_some() {
                    continue;
                }
                done.push((f.span, h.name().to_string()));
                let owner = if decl.owner.is_empty() {
                    format!("`{}`", h.name())
                } else {
                    format!("`{}.{}`", decl.owner, h.name())
                };
                let mut d = Diagnostic::new(
                    META.id,
                    unit.id,
                    span,
                    format!(
                        "`{}` writes the database and calls `.{method}(..)` on {owner}, an in-process `{}`: the other instances keep serving what they cached before the write",
                        f.name, decl.ty
                    ),
                )
                .label(decl.unit.id, decl.span, format!("a `{}` in each instance's memory", decl.ty))
                .label(effect.file, effect.span, format!("the {}", effect.name));
                if let Some(why) = project.roles().describe(project, unit, call.region) {
                    d = d.note(why);
                }
                d = d.note(format!(
                    "seen: `{}` reaches a database write ({}{}) and updates the cache in the same function; no Postgres LISTEN/NOTIFY listener or Redis pub/sub subscription in the workspace carries the change to the other instances",
                    f.name,
                    effect.evidence,
                    effect.via.as_ref().map(|v| format!(", through `{v}`")).unwrap_or_default()
                ));
                d = d.note(format!(
                    "at {}: the write reaches instance A, which updates the row and its own cache; B, C, .. still hold the old entry and serve it until it expires or is evicted, so a read after the write returns the old value on every instance but A",
                    instances_text(project, unit)
                ));
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(fix.clone())));
            }
        }
    }
}
