//! `host-sized-pool`: a pool whose maximum is left to a default computed from the host's
//! CPU count, so each machine the service lands on opens a different number of connections.

use super::{Rule, RuleMeta};
use crate::analysis::pool_sites::{PoolSite, Size, pool_sites};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{RegionId, Val};
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
        let sites = pool_sites(project, unit);
        if sites.is_empty() {
            return;
        }
        let config = &project.budget_for(Some(unit));
        let budget = config.per_instance();
        for site in sites {
            if !matches!(site.size, Size::Default) {
                if let Some(d) = own_cpu_arithmetic(project, unit, &site) {
                    out.push(d);
                }
                continue;
            }
            if !site.entry.grows_with_host {
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
            let fix = super::oversized_pool::budget_fix(config, |budget| {
                if is_builder {
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
                }
            });
            out.push(
                Diagnostic::new(
                    META.id,
                    unit.id,
                    site.span,
                    format!("{library} pool size left to its default, which grows with the host's CPU count"),
                )
                .note(default_note(project, &site, config))
                .note(config.sources_note())
                .help(format!("set the maximum explicitly; the per-instance budget is {budget}"))
                .fix(fix),
            );
        }
    }
}

/// What the library's default comes to: for deadpool, by the version `Cargo.lock` resolves
/// (the rule changed in 0.12.3); otherwise the catalogue's note.
fn default_note(project: &Project, site: &PoolSite, config: &crate::deploy::Budget) -> String {
    let versioned = (site.entry.library == "deadpool")
        .then(|| crate::deploy::versions::deadpool_default(project))
        .flatten();
    let (note, per_instance) = versioned.unwrap_or_else(|| {
        (
            format!(
                "{}; a pod limited to 1 CPU on a 64-core node opens up to 256 connections",
                site.entry.default_note
            ),
            256,
        )
    });
    format!(
        "{note}, and at {} instances that is {} against the {} the database leaves for them",
        config.instances,
        per_instance * config.instances,
        config.available()
    )
}

/// A CPU count read by the service's own code: the function and whether it honours a cgroup
/// CPU limit.
fn cpu_call(v: &Val) -> Option<(&'static str, bool)> {
    let mut found = None;
    v.walk(&mut |x| {
        let Some(p) = x.call_path() else { return };
        match p.last().map(String::as_str) {
            Some("available_parallelism") => found = Some(("available_parallelism()", true)),
            Some("get_physical") if p.iter().any(|s| s == "num_cpus") || p.len() == 1 => {
                found = Some(("num_cpus::get_physical()", false))
            }
            Some("get") if p.iter().any(|s| s == "num_cpus") => {
                found = Some(("num_cpus::get()", true))
            }
            _ => {}
        }
    });
    found
}

/// A pool whose size the service computes from the host's CPU count (`cpus * 4`), as the
/// value or as the fallback when no setting is given.
fn own_cpu_arithmetic(project: &Project, unit: &Unit, site: &PoolSite) -> Option<Diagnostic> {
    let facts = &unit.facts;
    let config = &project.budget_for(Some(unit));
    let budget = config.per_instance();
    // The size argument of the pool's builder chain.
    let (arg, region) = facts.calls.iter().find_map(|c| {
        if !c.val.span().contains(site.span) {
            return None;
        }
        let (_, links) = c.val.chain();
        links.iter().find_map(|l| {
            let name = l.method_name()?;
            if site.entry.size_methods.iter().any(|m| m == name) {
                l.args().first().map(|a| (a.clone(), c.region))
            } else {
                None
            }
        })
    })?;
    // The values the argument may hold: itself, or a local's initialiser and assignments.
    let mut values: Vec<(Val, RegionId)> = vec![(arg.clone(), region)];
    if let Val::Path { path, .. } = &arg
        && path.len() == 1
    {
        if let Some(l) = facts.binding(&path[0], region) {
            values.push((l.init.clone(), l.region));
        }
        let scope = facts.enclosing_fn(region).map(|f| f.body);
        for a in &facts.assigns {
            if matches!(&a.target, Val::Path { path: t, .. } if t == path)
                && scope.is_none_or(|s| facts.is_within(a.region, s))
            {
                values.push((a.value.clone(), a.region));
            }
        }
    }
    if let Val::Field { name, .. } = &arg
        && let Some(d) = field_cpu_arithmetic(project, unit, site, name)
    {
        return Some(d);
    }
    let (scaled, cpu) = values.iter().find_map(|(v, r)| {
        let sc = facts.scaled.iter().find(|s| s.span == v.span())?;
        let cpu = cpu_call(&sc.base).or_else(|| match &sc.base {
            Val::Path { path, .. } if path.len() == 1 => {
                facts.binding(&path[0], *r).and_then(|l| cpu_call(&l.init))
            }
            _ => None,
        })?;
        Some((sc, cpu))
    })?;
    let (func, honours_limit) = cpu;
    let cores = 32u128;
    let size = cores * scaled.factor;
    let limit_note = if honours_limit {
        format!(
            "`{func}` honours a cgroup CPU limit: with a limit of 2 CPUs the pool is {}; without a limit it is the node's core count",
            2 * scaled.factor
        )
    } else {
        format!(
            "`{func}` ignores cgroup CPU limits: it is the node's physical core count even in a pod limited to one CPU"
        )
    };
    Some(
        Diagnostic::new(
            META.id,
            unit.id,
            scaled.span,
            format!(
                "{} pool sized by the host's CPU count (`{func}` × {})",
                site.entry.library, scaled.factor
            ),
        )
        .label(unit.id, site.span, "the pool is built here")
        .note(format!(
            "on a 32-core node without a CPU limit: 32 × {} = {size} connections per instance; × {} instances = {} against the {} the database leaves for them",
            scaled.factor,
            config.instances,
            size * config.instances as u128,
            config.available()
        ))
        .note(limit_note)
        .note(config.sources_note())
        .help(format!("use a fixed default (the per-instance budget is {budget}) and let a setting raise it"))
        .fix(super::oversized_pool::budget_fix(config, |budget| Fix::maybe(
            format!("use the per-instance budget of {budget} as the default instead of the CPU arithmetic"),
            vec![Edit {
                file: unit.id,
                span: scaled.span,
                replacement: budget.to_string(),
            }],
        ))),
    )
}

/// Functions that read the host's CPU count (`available_parallelism()`, `num_cpus::get()`,
/// sysinfo's `system.cpus()`), directly or through what they call.
fn cpu_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    project.reach("host-sized-pool:cpu", |u, f| {
        u.facts.calls_within(f.body).any(|c| {
            cpu_call(&c.val).is_some()
                || c.val.chain().1.iter().any(|l| {
                    matches!(l.method_name(), Some("cpus" | "physical_core_count"))
                        && crate::analysis::matchers::file_names_any(
                            &u.facts,
                            &["sysinfo".to_string()],
                        )
                })
        })
    })
}

/// Functions that read a cgroup CPU limit (`/sys/fs/cgroup/cpu.max`, `cpu.cfs_quota_us`).
fn cgroup_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    project.reach("host-sized-pool:cgroup", |u, f| {
        u.facts
            .strings_within(f.body)
            .any(|s| s.value.contains("cgroup"))
    })
}

/// Where a value gets the host's CPU count from: `(what, honours a cgroup CPU limit)`. Follows
/// locals (every `let` of the name in the function, shadowed ones included), `max`/`min`,
/// struct fields assigned anywhere in the workspace, and the service's own functions.
fn cpu_source(
    project: &Project,
    u: usize,
    v: &Val,
    region: RegionId,
    depth: usize,
) -> Option<(String, bool)> {
    if depth > 6 {
        return None;
    }
    if let Some((f, honours)) = cpu_call(v) {
        return Some((f.to_string(), honours));
    }
    let facts = &project.units[u].facts;
    match v {
        Val::Path { path, .. } if path.len() == 1 => {
            let scope = facts.enclosing_fn(region).map(|f| f.body)?;
            facts
                .lets
                .iter()
                .filter(|l| l.name == path[0] && facts.is_within(l.region, scope))
                .filter(|l| l.init.span() != v.span() && !l.init.span().contains(v.span()))
                // Not the `let` whose initialiser this is: `let cpu_num = max(2, cpu_num)`
                // reads the earlier `cpu_num` it shadows.
                .find_map(|l| cpu_source(project, u, &l.init, l.region, depth + 1))
        }
        Val::Call { func, args, .. } => {
            let Val::Path { path, .. } = &**func else {
                return None;
            };
            if path.last().is_some_and(|n| n == "max" || n == "min") {
                return args
                    .iter()
                    .find_map(|a| cpu_source(project, u, a, region, depth + 1));
            }
            let all = project.facts();
            let cpu = cpu_reach(project);
            let cgroup = cgroup_reach(project);
            project
                .fn_index
                .resolve_path(&all, u, path)
                .into_iter()
                .find(|f| cpu.contains(*f))
                .map(|f| (format!("{}()", path.join("::")), cgroup.contains(f)))
        }
        Val::Method {
            recv, name, args, ..
        } => {
            if matches!(name.as_str(), "min" | "max") {
                cpu_source(project, u, recv, region, depth + 1).or_else(|| {
                    args.iter()
                        .find_map(|a| cpu_source(project, u, a, region, depth + 1))
                })
            } else {
                None
            }
        }
        Val::Field { name, .. } => field_assignments(project, name)
            .into_iter()
            .find_map(|(au, value, r)| cpu_source(project, au, &value, r, depth + 1)),
        Val::Other { span } => {
            // An `if`/`match` expression: the calls and method chains inside it.
            facts
                .calls
                .iter()
                .filter(|c| span.contains(c.val.span()))
                .find_map(|c| cpu_source(project, u, &c.val, c.region, depth + 1))
        }
        _ => None,
    }
}

/// `x.limit.sql_db_connections_max = ..` anywhere in the workspace: (unit, value, region).
fn field_assignments(project: &Project, field: &str) -> Vec<(usize, Val, RegionId)> {
    let mut out = vec![];
    for (u, unit) in project.units.iter().enumerate() {
        if !unit.is_service_source() {
            continue;
        }
        for a in &unit.facts.assigns {
            if matches!(&a.target, Val::Field { name, .. } if name == field) {
                out.push((u, a.value.clone(), a.region));
            }
        }
    }
    out
}

/// A pool sized by a settings field that the service's own config code fills with CPU
/// arithmetic when no setting is given (`cfg.limit.sql_db_connections_max = cpu_num as u32 * 4`
/// in another file): reported where the arithmetic is written.
fn field_cpu_arithmetic(
    project: &Project,
    unit: &Unit,
    site: &PoolSite,
    field: &str,
) -> Option<Diagnostic> {
    let config = &project.budget_for(Some(unit));
    let budget = config.per_instance();
    let (au, scaled, func, honours) =
        field_assignments(project, field)
            .into_iter()
            .find_map(|(au, value, _)| {
                let facts = &project.units[au].facts;
                let sc = facts.scaled.iter().find(|s| s.span == value.span())?;
                let (func, honours) = cpu_source(project, au, &sc.base, sc.region, 0)?;
                Some((au, sc.clone(), func, honours))
            })?;
    let at = &project.units[au];
    let cores = 32u128;
    let size = cores * scaled.factor;
    let path = at.path.strip_prefix(&project.root).unwrap_or(&at.path);
    let limit_note = if honours {
        format!(
            "the CPU count comes from `{func}`, which reads the cgroup CPU limit: with a limit of 2 CPUs the pool is {}; without a limit it is the node's core count",
            2 * scaled.factor
        )
    } else {
        format!(
            "the CPU count comes from `{func}`, which reads no cgroup CPU limit: it is the node's core count even in a pod limited to one CPU"
        )
    };
    Some(
        Diagnostic::new(
            META.id,
            at.id,
            scaled.span,
            format!(
                "{} pools sized by the host's CPU count (× {}) through the setting `{field}`",
                site.entry.library, scaled.factor
            ),
        )
        .label(unit.id, site.span, "a pool sized by this setting is built here")
        .note(format!(
            "when no value is configured, `{field}` is set here ({}) from the CPU count: on a 32-core node without a CPU limit, 32 × {} = {size} connections per pool per instance; × {} instances = {} against the {} the database leaves for them",
            path.display(),
            scaled.factor,
            config.instances,
            size * config.instances as u128,
            config.available()
        ))
        .note(limit_note)
        .note(config.sources_note())
        .help(format!("use a fixed default (the per-instance budget is {budget}) and let the setting raise it"))
        .fix(super::oversized_pool::budget_fix(config, |budget| Fix::maybe(
            format!("use the per-instance budget of {budget} as the default instead of the CPU arithmetic"),
            vec![Edit {
                file: at.id,
                span: scaled.span,
                replacement: budget.to_string(),
            }],
        ))),
    )
}
