//! Code that runs once per deployment or per operator command, whatever the number of replicas
//! that could run it:
//!
//! - **A migration's steps.** The methods of a migration framework's migration trait (sea-orm's
//!   `impl MigrationTrait for Migration { async fn up(..) }`) run when the runner applies that
//!   migration: once per database, recorded in the migrations table, never again. A data
//!   migration that prints or logs per row does so once, not per replica or per request. Whether
//!   the runner itself is locked is `unlocked-migration`'s question, asked at the runner's call.
//! - **A job only a command enqueues.** The trait methods of a job type (`impl BackgroundJob for
//!   NormalizeIndex { fn run(..) }`) run on a worker once per enqueued value. When every place
//!   that builds a value of that type is code no replica runs (an admin subcommand, a test) and
//!   one of them enqueues it (`NormalizeIndex::new(dry_run).enqueue(&conn)`), the job runs once
//!   per operator command: a maintenance task, not the service's traffic.
//!
//! Functions that only such code calls are covered too (`up` → `populate_ksuid_column`).

use crate::analysis::call_graph::FnRef;
use crate::facts::{FileFacts, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// Migration traits whose methods a runner applies once per database: the last segment of the
/// `impl` path, in a file that names the framework's crate.
/// sea-orm-migration: `MigrationTrait` (`up`, `down`), applied by `MigratorTrait::up` and
/// recorded in `seaql_migrations` (SeaQL/sea-orm sea-orm-migration/src/migrator.rs).
const MIGRATION_TRAITS: &[(&str, &str)] = &[("sea_orm_migration", "MigrationTrait")];

/// Methods that put a value on a job queue, called on the job (`job.enqueue(&conn)`) or with it
/// (`queue.insert_task(&job)`): crates.io's worker and the swirl/diesel job queues (`enqueue`),
/// fang (`insert_task`, `schedule_task`), and the `enqueue_job`/`push_job` helpers projects write.
const ENQUEUES: &[&str] = &[
    "enqueue",
    "enqueue_job",
    "push_job",
    "insert_task",
    "schedule_task",
];

/// How many calls down from migration or job code a helper is still covered.
const ROUNDS: usize = 4;

/// Why a function runs once: for notes and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A method of a migration trait (`up`), or a helper only such code calls.
    Migration,
    /// A method of a job type that only one-shot code enqueues, or a helper only it calls.
    CommandJob(String),
}

#[derive(Default)]
pub struct OneTime {
    fns: HashMap<FnRef, Why>,
}

impl OneTime {
    pub fn build(project: &Project) -> OneTime {
        let mut fns: HashMap<FnRef, Why> = HashMap::new();
        let roles = project.roles();
        let mut job_types: HashSet<&str> = HashSet::new();
        for (file, unit) in project.units.iter().enumerate() {
            let facts = &unit.facts;
            for im in &facts.impls {
                let Some(tr) = im.trait_path.as_ref().and_then(|p| p.last()) else {
                    continue;
                };
                let migration = MIGRATION_TRAITS
                    .iter()
                    .any(|(krate, t)| t == tr && names_crate(facts, krate));
                if migration {
                    for (idx, f) in facts.fns.iter().enumerate() {
                        if f.is_method && im.span.contains(f.span) {
                            fns.insert(FnRef { file, idx }, Why::Migration);
                        }
                    }
                } else {
                    job_types.insert(im.self_ty.as_str());
                }
            }
        }
        // Job types: every construction outside the type's own impls, and whether one enqueues.
        let mut sites: HashMap<&str, Vec<(usize, RegionId, Span, bool)>> = HashMap::new();
        for (ui, unit) in project.units.iter().enumerate() {
            let facts = &unit.facts;
            let own_impl = |ty: &str, span: Span| {
                facts
                    .impls
                    .iter()
                    .any(|im| im.self_ty == ty && im.span.contains(span))
            };
            let mut record = |v: &Val, region: RegionId, enqueued: bool| {
                if let Some(ty) = constructed(v, &job_types)
                    && !own_impl(ty, v.span())
                {
                    sites
                        .entry(ty)
                        .or_default()
                        .push((ui, region, v.span(), enqueued));
                }
            };
            for call in &facts.calls {
                call.val.walk(&mut |v| {
                    let enq = match v {
                        Val::Method {
                            recv, name, args, ..
                        } if ENQUEUES.contains(&name.as_str()) => {
                            Some(std::iter::once(&**recv).chain(args.iter()))
                        }
                        _ => None,
                    };
                    if let Some(vals) = enq {
                        for a in vals {
                            let a = bound_value(facts, call.region, a);
                            if constructed(a, &job_types).is_some() {
                                record(a, call.region, true);
                            }
                        }
                    } else if constructed(v, &job_types).is_some() {
                        record(v, call.region, false);
                    }
                });
            }
            for l in &facts.lets {
                l.init.walk(&mut |v| {
                    if constructed(v, &job_types).is_some() {
                        record(v, l.region, false);
                    }
                });
            }
        }
        for (ty, list) in &sites {
            let enqueued = list.iter().any(|s| s.3);
            let all_one_shot = list.iter().all(|&(ui, region, span, _)| {
                !roles.runs_on_replicas(project, &project.units[ui], region, span)
            });
            if !enqueued || !all_one_shot {
                continue;
            }
            for (file, unit) in project.units.iter().enumerate() {
                let facts = &unit.facts;
                for im in facts
                    .impls
                    .iter()
                    .filter(|im| im.trait_path.is_some() && im.self_ty == *ty)
                {
                    for (idx, f) in facts.fns.iter().enumerate() {
                        if f.is_method && im.span.contains(f.span) {
                            fns.entry(FnRef { file, idx })
                                .or_insert_with(|| Why::CommandJob(ty.to_string()));
                        }
                    }
                }
            }
        }
        // Helpers that only covered code calls.
        let mut frontier: Vec<FnRef> = fns.keys().copied().collect();
        for _ in 0..ROUNDS {
            let mut next = vec![];
            for f in frontier {
                let why = fns[&f].clone();
                for callee in project.callees_in_region(f.file, project.fn_fact(f).body) {
                    if fns.contains_key(&callee) {
                        continue;
                    }
                    let callers = project.callers_of(callee);
                    let only_covered = !callers.is_empty()
                        && callers.iter().all(|c| {
                            enclosing_fns(&project.units[c.unit], c.unit, c.region)
                                .iter()
                                .any(|r| fns.contains_key(r))
                        });
                    if only_covered {
                        fns.insert(callee, why.clone());
                        next.push(callee);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        OneTime { fns }
    }

    /// Why the code in `region` of the unit runs once per deployment or command, if it does.
    pub fn covers(&self, project: &Project, unit: &Unit, region: RegionId) -> Option<&Why> {
        if self.fns.is_empty() {
            return None;
        }
        let ui = project.unit_index(unit);
        enclosing_fns(unit, ui, region)
            .iter()
            .find_map(|r| self.fns.get(r))
    }
}

/// The functions around `region`, innermost first.
fn enclosing_fns(unit: &Unit, ui: usize, region: RegionId) -> Vec<FnRef> {
    unit.facts
        .ancestors(region)
        .filter_map(|(_, r)| match r.kind {
            RegionKind::Fn(idx) => Some(FnRef { file: ui, idx }),
            _ => None,
        })
        .collect()
}

fn names_crate(facts: &FileFacts, krate: &str) -> bool {
    facts.crate_refs.iter().any(|c| c == krate)
}

/// The value a one-segment path is bound to (`let job = Job::new(..); job.enqueue(..)`).
fn bound_value<'a>(facts: &'a FileFacts, region: RegionId, v: &'a Val) -> &'a Val {
    if let Val::Path { path, .. } = v
        && let [name] = path.as_slice()
        && let Some(b) = facts.binding(name, region)
        && !b.field_of_init
    {
        return &b.init;
    }
    v
}

/// The job type a value builds: a struct literal (`T { .. }`) or an associated function's call
/// (`T::new(..)`, `jobs::T::new(..)`), of one of `types`.
fn constructed<'a>(v: &Val, types: &HashSet<&'a str>) -> Option<&'a str> {
    let path = match v {
        Val::Struct { path, .. } => path.last()?,
        Val::Call { func, .. } => match &**func {
            Val::Path { path, .. } if path.len() >= 2 => &path[path.len() - 2],
            _ => return None,
        },
        _ => return None,
    };
    types.get(path.as_str()).copied()
}
