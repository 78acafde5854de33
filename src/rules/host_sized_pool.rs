//! `host-sized-pool`: a pool whose maximum is left to a default computed from the host's
//! CPU count, so each machine the service lands on opens a different number of connections.

use super::{Rule, RuleMeta};
use crate::analysis::pool_sites::{Size, pool_sites};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct HostSizedPool;

static META: RuleMeta = RuleMeta {
    id: "host-sized-pool",
    family: "pools",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Maybe,
    summary: "a connection pool sized by the host's CPU count (deadpool's default)",
    doc: include_str!("../../rules/docs/host-sized-pool.md"),
};

impl Rule for HostSizedPool {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::pool_sites::interest(catalog)
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        let config = &project.config;
        let budget = config.per_instance_budget();
        for site in pool_sites(project, unit) {
            if !matches!(site.size, Size::Default) || !site.entry.grows_with_host {
                continue;
            }
            let library = &site.entry.library;
            let setter = site
                .entry
                .size_methods
                .first()
                .cloned()
                .unwrap_or_else(|| "max_size".into());
            let is_builder = site.entry.config_creates.iter().all(|c| {
                !unit.facts.calls.iter().any(|call| {
                    call.val
                        .chain()
                        .1
                        .iter()
                        .any(|l| l.method_name() == Some(c) && l.span() == site.span)
                })
            });
            let fix = if is_builder {
                Fix::maybe(
                    format!("size the pool explicitly: `.{setter}({budget})`"),
                    vec![Edit {
                        file: unit.id,
                        span: Span::new(site.span.end, site.span.end),
                        replacement: format!(".{setter}({budget})"),
                    }],
                )
            } else {
                Fix::manual(format!(
                    "set the pool size on the config before creating the pool:\n    cfg.pool = Some(PoolConfig::new({budget}));"
                ))
            };
            out.push(
                Diagnostic::new(
                    META.id,
                    unit.id,
                    site.span,
                    format!("{library} pool size left to its default, which grows with the host's CPU count"),
                )
                .note(format!(
                    "{}; a pod limited to 1 CPU on a 64-core node opens up to 256 connections, and at {} instances that is {} against the {} the database leaves for them",
                    site.entry.default_note,
                    config.instances,
                    256 * config.instances,
                    config.available()
                ))
                .help(format!("set the maximum explicitly; the per-instance budget is {budget}"))
                .fix(fix),
            );
        }
    }
}
