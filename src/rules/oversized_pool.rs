//! `oversized-pool`: a pool whose maximum, times the instance count, exceeds what the
//! database allows once operators' connections are kept free.

use super::{Rule, RuleMeta};
use crate::analysis::pool_sites::{Size, config_sizes, pool_sites};
use crate::deploy::Budget;
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::project::{Project, Unit};
use crate::workspace::ExtraKind;

pub struct OversizedPool;

static META: RuleMeta = RuleMeta {
    id: "oversized-pool",
    family: "pools",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "a connection pool larger than its share of the database's max_connections",
    doc: include_str!("../../rules/docs/oversized-pool.md"),
};

/// `4 instances × 50 connections = 200, but the database allows 100 and 10 are kept for operators`.
pub fn arithmetic(config: &Budget, size: u128) -> String {
    let total = size.saturating_mul(config.instances as u128);
    format!(
        "{} instances × {size} connections = {total}, but the database allows {} and {} are kept for operators: \
         the budget per instance is ({} − {}) ÷ {} = {}",
        config.instances,
        config.max_connections,
        config.reserved,
        config.max_connections,
        config.reserved,
        config.instances,
        config.per_instance()
    )
}

/// A fix that sizes a pool to the per-instance budget, or, when the database cannot give each
/// instance even one connection, no edit (`max_connections(0)` would make every acquire wait
/// forever) but what to do instead.
pub fn budget_fix(config: &Budget, sized: impl FnOnce(u64) -> Fix) -> Fix {
    let budget = config.per_instance();
    if budget > 0 {
        return sized(budget);
    }
    Fix::manual(format!(
        "the database cannot hold {} instances: it leaves {} connections for them, fewer than \
         one each, so no pool size is safe. Put a connection pooler in front of it (PgBouncer \
         in transaction mode) and size the pools against the pooler, or raise the database's \
         `max_connections`; then set `instances` and `[database] max-connections` to match",
        config.instances,
        config.available()
    ))
}

fn settings_help(_config: &Budget) -> String {
    "if these numbers are not yours, set `instances` and `[database] max-connections` in \
     scalelint.toml (or pass --instances / --db-max-connections)"
        .to_string()
}

fn set_in_config_file(project: &Project, field: &str) -> bool {
    project
        .extras
        .iter()
        .filter(|e| matches!(e.kind, ExtraKind::Toml | ExtraKind::Env) && project.ships(e))
        .any(|e| {
            config_sizes(project, e.kind, &e.text).iter().any(|s| {
                s.key
                    .to_ascii_lowercase()
                    .ends_with(&field.to_ascii_lowercase())
            })
        })
}

impl Rule for OversizedPool {
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
            let library = &site.entry.library;
            match &site.size {
                Size::Written {
                    setter,
                    arg,
                    written,
                } => {
                    let unlimited = written.value == 0 && site.entry.zero_is_unlimited;
                    if written.value <= budget as u128 && !unlimited {
                        continue;
                    }
                    if written
                        .field
                        .as_deref()
                        .is_some_and(|f| set_in_config_file(project, f))
                    {
                        // The config file's value wins over the serde default; it is reported there.
                        continue;
                    }
                    let message = if unlimited {
                        format!(
                            "{library} pool with no connection limit (`{setter}(0)` means unlimited)"
                        )
                    } else {
                        format!(
                            "{library} pool of {} connections per instance exceeds its share of the database ({budget})",
                            written.value
                        )
                    };
                    let mut d = Diagnostic::new(META.id, unit.id, *arg, message)
                        .label(unit.id, site.span, "the pool is built here")
                        .note(arithmetic(
                            config,
                            if unlimited { u128::MAX } else { written.value },
                        ));
                    if written.file != unit.id || !arg.contains(written.span) {
                        d = d.label(
                            written.file,
                            written.span,
                            format!("the size is written here{}", written.via_text()),
                        );
                    }
                    d = d
                        .note(config.sources_note())
                        .help(settings_help(config))
                        .fix(budget_fix(config, |budget| {
                            Fix::machine(
                                format!("set the maximum to the per-instance budget of {budget}"),
                                vec![Edit {
                                    file: written.file,
                                    span: written.span,
                                    replacement: written.replacement(budget),
                                }],
                            )
                        }));
                    out.push(d);
                }
                Size::Default => {
                    let Some(default) = site.entry.default_size else {
                        continue;
                    };
                    if default as u128 <= budget as u128 {
                        continue;
                    }
                    let setter = site
                        .entry
                        .size_methods
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "max_size".into());
                    out.push(
                        Diagnostic::new(
                            META.id,
                            unit.id,
                            site.span,
                            format!("{library} pool left at its default of {default} connections, above its share of the database ({budget})"),
                        )
                        .note(arithmetic(config, default as u128))
                        .note(config.sources_note())
                    .help(settings_help(config))
                        .fix(budget_fix(config, |budget| Fix::maybe(
                            format!("set the maximum explicitly: `.{setter}({budget})`"),
                            vec![Edit { file: unit.id, span: crate::source::Span::new(site.span.end, site.span.end), replacement: format!(".{setter}({budget})") }],
                        ))),
                    );
                }
                Size::Unknown => {}
            }
        }
    }

    fn check_project(&self, project: &Project, out: &mut Vec<Diagnostic>) {
        let uses_pool = project.crates.iter().any(|c| {
            project
                .catalog
                .pool
                .iter()
                .any(|e| e.crates.iter().chain(&e.via).any(|l| c.depends_on(l)))
        });
        if !uses_pool && !project.loose {
            return;
        }
        let config = &project.budget_for(None);
        let budget = config.per_instance();
        for extra in project
            .extras
            .iter()
            // Development and test setups (`dev.env`, `docker-compose.dev.yml`, files under
            // `dev/`, `tests/`, `e2e/`) configure one local instance, not what ships.
            .filter(|e| {
                e.reported && matches!(e.kind, ExtraKind::Toml | ExtraKind::Env) && project.ships(e)
            })
        {
            for size in config_sizes(project, extra.kind, &extra.text) {
                if size.value <= budget as u128 {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        META.id,
                        extra.id,
                        size.span,
                        format!("`{}` sets a pool of {} connections per instance, above its share of the database ({budget})", size.key, size.value),
                    )
                    .note(arithmetic(config, size.value))
                    .note(config.sources_note())
                    .help(settings_help(config))
                    .fix(budget_fix(config, |budget| Fix::machine(
                        format!("set `{}` to the per-instance budget of {budget}", size.key),
                        vec![Edit { file: extra.id, span: size.span, replacement: budget.to_string() }],
                    ))),
                );
            }
        }
    }
}
