//! `per-worker-state`: state constructed inside actix-web's `HttpServer::new(move || ..)`
//! factory. The factory runs once per worker thread, so each worker has its own copy; and each
//! instance its own again.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{checked, instances_text, sites};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::RegionKind;
use crate::project::{Project, Unit};

pub struct PerWorkerState;

static META: RuleMeta = RuleMeta {
    id: "per-worker-state",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "state built inside actix-web's HttpServer::new factory: one copy per worker thread",
    doc: include_str!("../../rules/docs/per-worker-state.md"),
};

/// Whether the innermost closure around `region` is the factory passed to `HttpServer::new`
/// (not a handler closure inside it, which runs per request).
fn directly_in_factory(unit: &Unit, region: crate::facts::RegionId) -> bool {
    unit.facts
        .ancestors(region)
        .find(|(_, r)| {
            matches!(
                r.kind,
                RegionKind::Closure | RegionKind::AsyncBlock | RegionKind::Fn(_)
            )
        })
        .is_some_and(|(_, r)| {
            matches!(r.kind, RegionKind::Closure)
                && r.arg_of
                    .as_ref()
                    .is_some_and(|a| crate::facts::ends_with(&a.callee, &["HttpServer", "new"]))
        })
}

impl Rule for PerWorkerState {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::Interest {
            services_only: true,
            crates: vec!["actix_web".into()],
            words: vec!["HttpServer".into()],
            workspace_wide: true,
            ..super::Interest::default()
        }
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let found: Vec<_> = sites(project, unit, META.id, &["worker-state"])
            .into_iter()
            .filter(|s| {
                directly_in_factory(unit, s.region)
                    && project.runs_on_replicas(unit, s.region, s.span)
            })
            .collect();
        for site in &found {
            // One finding per value: `Mutex::new(HashMap::new())` is reported once, outside.
            if found
                .iter()
                .any(|o| o.span != site.span && o.span.contains(site.span))
            {
                continue;
            }
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                site.span,
                format!(
                    "`{}(..)` in actix-web's `HttpServer::new` factory: each worker thread gets its own copy",
                    site.path
                        .rsplit("::")
                        .take(2)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("::")
                ),
            );
            d = d.note(
                "actix-web calls the factory once per worker thread (by default one per physical CPU): \
                 what it builds is not shared between workers, so a counter, cache or map seen by one \
                 request is not the one the next request sees",
            );
            d = d.note(format!(
                "at {}, the copies multiply again: only state in a shared store (a database, Redis) is \
                 one value for the whole service",
                instances_text(project, unit)
            ));
            out.push(
                d.help("if each worker should have its own copy on purpose (a per-thread buffer), write `// scalelint: allow(per-worker-state) <reason>`")
                    .fix(Fix::manual(site.entry.fix.clone())),
            );
        }
    }
}
