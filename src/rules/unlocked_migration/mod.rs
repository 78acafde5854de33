//! `unlocked-migration`: schema migrations that every instance applies at startup with nothing
//! serialising them — from code (diesel_migrations, refinery, sea-orm-migration, sqlx with
//! locking off, ...) or from every replica's entrypoint, init container or start command.
//!
//! Here: the rule and its finding. `runs`: the calls that apply migrations; `backends`: which
//! database a run uses; `exemptions`: single-instance services, migrate binaries and
//! subcommands; `guards`: a lock held when the run starts; `snippet`: the fix's code;
//! `hand_rolled`: the project's own startup runners; `deploy`: migrations in deploy files.

mod backends;
mod deploy;
mod exemptions;
mod guards;
mod hand_rolled;
mod runs;
mod snippet;

use backends::*;
use exemptions::*;
use guards::*;
use runs::*;
use snippet::*;

use super::{Rule, RuleMeta};
use crate::analysis::call_graph::FnRef;
use crate::analysis::locks;
use crate::catalog::{MigrationRunner, RunnerLocks, segments};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, FnFact, RegionId, RegionKind, Val, ends_with};
use crate::project::{Extra, Project, Unit};
use crate::source::Span;
use crate::workspace::ExtraKind;
use std::collections::BTreeSet;

pub struct UnlockedMigration;

static META: RuleMeta = RuleMeta {
    id: "unlocked-migration",
    family: "migrations",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "migrations applied at startup by every instance with no cross-instance lock",
    doc: include_str!("../../../rules/docs/unlocked-migration.md"),
};

/// The key the suggested advisory lock uses (any constant shared by all instances works).
const LOCK_KEY: &str = "72707369";

/// One call that applies migrations.
struct Run<'c> {
    runner: &'c MigrationRunner,
    /// The applying call: from the applying method's name to the end of the call.
    span: Span,
    region: RegionId,
    /// `set_locking(false)` / `locking: false` when that is why it does not lock.
    locking_off: Option<Span>,
    /// How the call is written, for the snippet: receiver and applying method or path.
    recv: String,
    method: String,
    arg: String,
    /// The whole applying expression (`embedded::migrations::runner().run_async(&mut client)`),
    /// its receiver and its first argument, to quote the source in the snippet.
    call: Span,
    recv_span: Option<Span>,
    arg_span: Option<Span>,
}

impl Rule for UnlockedMigration {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Deploy files are read whatever this says; Rust files matter only with a runner library.
    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        // A runner of no library (the project's own, recognised by its shape) is wanted in
        // any crate.
        let crates = if catalog.migration_runner.iter().any(|e| e.crates.is_empty()) {
            vec![]
        } else {
            catalog
                .migration_runner
                .iter()
                .flat_map(|e| e.crates.clone())
                .collect()
        };
        // Each runner's words, so a `[catalog]` entry of the user's is seen (see
        // `MigrationRunner::prefilter_words`).
        let mut words: Vec<String> = catalog
            .migration_runner
            .iter()
            .flat_map(|e| e.prefilter_words())
            .collect();
        words.sort();
        words.dedup();
        super::Interest {
            crates,
            services_only: false,
            words,
            workspace_wide: true,
            ..Default::default()
        }
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !unit.is_service_source()
            || single_instance(project, unit)
            || migrate_bin(project, unit)
            || test_support_crate(project, unit)
            || (unit.bin.is_some() && !project.is_service_crate(unit))
        {
            // Tests, one-replica deployments, migrate binaries, test support, and command-line
            // tools (a binary of a crate that is not a service runs once per invocation).
            return;
        }
        let unit_idx = project.unit_index(unit);
        for run in find_runs(project, unit) {
            if !project.runs_on_replicas(unit, run.region, run.span) {
                continue;
            }
            if on_silent_backend(project, unit, &run) {
                // A SQLite file is per-instance state: not a shared schema (see the rule's page).
                continue;
            }
            if run.runner.locks == RunnerLocks::ByBackend
                && run.locking_off.is_none()
                && locks_on_backend(project, unit, &run)
            {
                continue;
            }
            let mut visited = BTreeSet::new();
            if protected(project, unit_idx, run.span, run.region, 0, &mut visited).is_some() {
                continue;
            }
            out.push(diagnostic(project, unit, &run));
        }
        hand_rolled::check(project, unit, out);
    }

    fn check_project(&self, project: &Project, out: &mut Vec<Diagnostic>) {
        deploy::check(project, out);
    }
}

/// A `.lock()` call before the run in the same function: a process-local mutex, not a guard.
fn local_mutex_before(unit: &Unit, run: &Run) -> Option<Span> {
    let scope = enclosing_fn_region(&unit.facts, run.region)?;
    unit.facts
        .calls_within(scope)
        .filter(|c| c.val.span().end <= run.span.start)
        .find_map(|c| {
            c.val.chain().1.into_iter().find_map(|l| match l {
                Val::Method {
                    name,
                    name_span,
                    span,
                    ..
                } if name == "lock" => Some(Span::new(name_span.start, span.end)),
                _ => None,
            })
        })
}

/// A call before the run in the same function of a path whose last segment names a lock
/// (`dist_lock::lock(..)`, `acquire_migration_lock(..)`): a candidate for `lock-functions`.
fn lock_candidate_before(unit: &Unit, run: &Run) -> Option<(String, Span)> {
    let scope = enclosing_fn_region(&unit.facts, run.region)?;
    unit.facts
        .calls_within(scope)
        .filter(|c| c.val.span().end <= run.span.start)
        .find_map(|c| match c.val.chain().0 {
            Val::Call { func, span, .. } => match &**func {
                Val::Path { path, .. }
                    if path.last().is_some_and(|l| {
                        let l = l.to_ascii_lowercase();
                        l.contains("lock") && !l.contains("unlock") && !l.contains("block")
                    }) =>
                {
                    Some((path.join("::"), *span))
                }
                _ => None,
            },
            _ => None,
        })
}

fn diagnostic(project: &Project, unit: &Unit, run: &Run) -> Diagnostic {
    let lib = &run.runner.library;
    let message = if run.locking_off.is_some() {
        format!(
            "{lib} migrations run with locking turned off: every instance applies them at startup, at the same time"
        )
    } else {
        format!(
            "{lib} applies migrations at startup on every instance, with no lock between instances"
        )
    };
    let mut d = Diagnostic::new(META.id, unit.id, run.span, message);
    if let Some(off) = run.locking_off {
        d = d.label(unit.id, off, "locking is switched off here");
    }
    let fn_name = unit
        .facts
        .enclosing_fn(run.region)
        .map_or("this file".to_string(), |f| {
            format!("`{}` ({})", f.name, project.place(unit, f.ident_span))
        });
    d = d
        .note(run.runner.why.clone())
        .note(format!(
            "during a rolling deploy or a scale-out, {} instances start together and race to apply the same migration: \
             duplicate-object errors, half-applied schema, crash loops",
            project.config.instances
        ))
        .note(format!(
            "looked for a cross-instance lock taken before the run in {fn_name} and in every caller on the way to it \
             ({}): none found",
            locks::LOOKED_FOR_HELD
        ));
    if let Some((name, span)) = lock_candidate_before(unit, run) {
        d = d
            .label(unit.id, span, "a lock helper scalelint could not follow to a cross-process primitive")
            .note(format!(
                "`{name}` is called before the run, but scalelint did not see it reach a cross-process lock; \
                 if it is one (built on a database, Redis, etcd or NATS), declare it in scalelint.toml: \
                 `lock-functions = [\"{name}\"]`"
            ));
    }
    if let Some(mutex) = local_mutex_before(unit, run) {
        d = d
            .label(unit.id, mutex, "this lock is process-local")
            .note("a std/tokio/parking_lot `Mutex` serialises threads of one process, not instances: each replica has its own");
    }
    d = d
.help(
            "run migrations once per deploy instead: a `migrate` subcommand or binary run as a Kubernetes Job, \
             a Helm pre-install/pre-upgrade hook or a pipeline step (not in each replica's entrypoint or init container)",
        )
        .fix(Fix::manual(snippet(project, unit, run)));
    d
}

/// The source text of a span of the unit.
fn source_text(unit: &Unit, span: Span) -> Option<String> {
    let text = unit.text()?;
    let t = text.get(span.start..span.end)?;
    (!t.is_empty()).then(|| t.to_string())
}

/// The source text of an argument with the `&` / `&mut` written before it (facts see through them).
fn arg_source(unit: &Unit, span: Span) -> Option<String> {
    let text = unit.text()?;
    let arg = text.get(span.start..span.end)?;
    let before = text.get(..span.start)?.trim_end();
    let prefix = if before.ends_with("&mut") {
        "&mut "
    } else if before.ends_with('&') {
        "&"
    } else {
        ""
    };
    Some(format!("{prefix}{arg}"))
}

/// Whether `name` is a parameter of the enclosing function whose type is a reference.
fn is_ref_param(unit: &Unit, region: RegionId, name: &str) -> bool {
    unit.facts.enclosing_fn(region).is_some_and(|f| {
        f.params
            .iter()
            .any(|p| p.name == name && p.ty.starts_with('&'))
    })
}
