//! `unlocked-scheduler`: an in-process job (a scheduler crate's job, or a spawned timer loop
//! with a shared side effect) that every instance runs, with no cross-process lock around it.

use super::{Rule, RuleMeta};
use crate::analysis::call_graph::FnRef;
use crate::analysis::local_work;
use crate::analysis::locks::{self, LockVerdict};
use crate::analysis::matchers::{file_names_any, path_is, path_of_crate};
use crate::analysis::side_effects::{self, Effect, reaches_effect};
use crate::catalog::SchedulerEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;
use std::collections::{BTreeSet, HashMap};

pub struct UnlockedScheduler;

static META: RuleMeta = RuleMeta {
    id: "unlocked-scheduler",
    family: "schedulers",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "an in-process cron or timer job that every instance runs, with no cross-process lock",
    doc: include_str!("../../rules/docs/unlocked-scheduler.md"),
};

enum Kind {
    Scheduler(String),
    TimerLoop,
    TimerCallback(String),
}

struct Job {
    kind: Kind,
    /// The job's creation: the `Job::new_async(..)` call, the `every(..)..run(..)` chain, the spawn.
    span: Span,
    /// Where the creation is (for tests and single-instance checks).
    region: RegionId,
    schedule: Option<(crate::diagnostic::FileId, Span, String)>,
    /// What the job runs: closures and async blocks of this file, and functions.
    bodies: Vec<(usize, RegionId)>,
    fns: Vec<FnRef>,
    effect: Option<Effect>,
    /// The invocation of a timer macro: its arguments (within `span`) are the job's body.
    from_macro: bool,
}

impl Rule for UnlockedScheduler {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Jobs come from a scheduler crate, or from a spawned timer loop that reaches a shared side
    /// effect: without any of those libraries in the workspace there is nothing to find.
    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        let mut crates: Vec<String> = catalog
            .scheduler
            .iter()
            .flat_map(|e| e.crates.clone())
            .collect();
        crates.extend(catalog.timer_callback.iter().flat_map(|e| e.crates.clone()));
        crates.extend(catalog.side_effect.iter().flat_map(|e| e.crates.clone()));
        crates.extend(
            catalog
                .database_driver
                .iter()
                .flat_map(|e| e.crates.clone()),
        );
        // Words a file must hold to be read, all from the catalogue (a user's `[catalog]`
        // addition is never filtered away): the scheduler crates and their re-export roots, the
        // last segment of their job calls and constructors, spawn functions and methods, and
        // timer callbacks; and `macro_rules` (a timer macro defined in the file).
        let last = |p: &String| p.rsplit("::").next().unwrap_or(p).to_string();
        let mut words: Vec<String> = vec!["macro_rules".to_string()];
        for e in &catalog.scheduler {
            words.extend(e.crates.iter().cloned());
            words.extend(reexport_roots(e));
            words.extend(e.job_calls.iter().map(last));
            words.extend(e.constructors.iter().map(last));
        }
        for s in &catalog.spawn {
            words.extend(s.paths.iter().map(last));
            words.extend(s.methods.iter().cloned());
        }
        for t in &catalog.timer_callback {
            words.extend(t.methods.iter().cloned());
            words.extend(t.crates.iter().cloned());
        }
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
        if !unit.is_service_source() || is_single_instance_unit(project, unit) {
            return;
        }
        let ui = project.unit_index(unit);
        let mut jobs = vec![];
        scheduler_jobs(project, ui, &mut jobs);
        timer_loops(project, ui, &mut jobs);
        timer_callbacks(project, ui, &mut jobs);
        helper_jobs(project, ui, &mut jobs);
        macro_jobs(project, ui, &mut jobs);
        // One job is one finding: a supervisor loop that respawns a timer task is that job.
        let loops: Vec<Span> = jobs
            .iter()
            .filter(|j| matches!(j.kind, Kind::TimerLoop))
            .map(|j| j.span)
            .collect();
        jobs.retain(|j| {
            !matches!(j.kind, Kind::TimerLoop)
                || !loops
                    .iter()
                    .any(|s| *s != j.span && j.span.start <= s.start && s.end <= j.span.end)
        });
        let mut seen = BTreeSet::new();
        for job in jobs {
            if !seen.insert((job.span.start, job.span.end))
                || !project.runs_on_replicas(unit, job.region, job.span)
                || only_reached_from_single_instance(project, ui, job.region)
            {
                continue;
            }
            let verdict = locks::combine(
                job.bodies
                    .iter()
                    .map(|&(u, r)| locks::reaches_lock(project, u, r))
                    .chain(std::iter::once(locks::fns_reach_lock(project, &job.fns))),
            );
            if verdict.guards_whole_job()
                || membership_gated(project, &job)
                || heartbeat(project, &job)
            {
                continue;
            }
            // Only a row claim: the job is guarded unless it also writes outside the claim.
            let mut outside = None;
            if verdict.is_locked() {
                let regions = job
                    .bodies
                    .iter()
                    .copied()
                    .chain(job.fns.iter().map(|f| (f.file, project.fn_fact(*f).body)));
                outside = regions
                    .into_iter()
                    .find_map(|(u, r)| locks::effect_outside_claims(project, u, r));
                if outside.is_none() {
                    continue;
                }
            }
            let mut d = diagnostic(project, unit, &job, &verdict, outside.as_ref());
            if let Some((file, span, name)) = config_gate(project, ui, &job) {
                d.severity = Severity::Note;
                d = d.label(file, span, format!("the jobs start only when `{name}` allows it")).note(format!(
                    "the jobs are started under a configuration switch about them (`{name}`): the project lets \
                     operators run them on one instance; with several instances, set `{name}` so that exactly \
                     one instance runs the jobs (a note, not a warning: the guard is the deployment's to keep)"
                ));
                out.push(d);
                continue;
            }
            if outside.is_none() {
                let regions: Vec<(usize, RegionId)> = job
                    .bodies
                    .iter()
                    .copied()
                    .chain(job.fns.iter().map(|f| (f.file, project.fn_fact(*f).body)))
                    .collect();
                if let Some(writes) = side_effects::only_idempotent_writes(project, &regions) {
                    d = idempotent_note(d, &writes);
                }
            }
            out.push(d);
        }
    }
}

/// The configuration switch that gates the start of the job, when there is one: the job's
/// function is called (or spawned) only inside an `if` whose condition names a switch about the
/// jobs (`if !args.disable_scheduled_tasks { spawn(setup(..)) }`), looked for up to three callers
/// up. Words from the catalogue's `[[job-switch]]`.
fn config_gate(
    project: &Project,
    ui: usize,
    job: &Job,
) -> Option<(crate::diagnostic::FileId, Span, String)> {
    let switch = |w: &str| {
        let w = w.to_ascii_lowercase();
        project.catalog.job_switch.iter().any(|e| {
            e.subjects.iter().any(|s| w.contains(s.as_str()))
                && e.switches.iter().any(|s| w.split('_').any(|p| p == s))
        })
    };
    // A switch read by a function of the project that names a test setting
    // (`env::var_os("APP_TEST_DISABLE_JOBS")`) is for test runs, not for deployments.
    let all = project.facts();
    let test_switch = |u: usize, w: &str| {
        project
            .fn_index
            .resolve_path(&all, u, &[w.to_string()])
            .into_iter()
            .any(|f| {
                let unit = &project.units[f.file];
                crate::analysis::matchers::code_strings(project, unit, project.fn_fact(f).body)
                    .into_iter()
                    .any(|(t, _)| {
                        t.to_ascii_lowercase()
                            .split(|c: char| !c.is_ascii_alphanumeric())
                            .any(|p| p == "test" || p == "tests" || p == "testing")
                    })
            })
    };
    let gate_at = |u: usize, span: Span| {
        let facts = &project.units[u].facts;
        facts.gate_words.iter().find_map(|g| {
            let gate = facts.gates.get(g.gate)?;
            if !gate.body.contains(span) {
                return None;
            }
            let w = g.words.iter().find(|w| switch(w) && !test_switch(u, w))?;
            Some((project.units[u].id, gate.cond, w.clone()))
        })
    };
    if let Some(g) = gate_at(ui, job.span) {
        return Some(g);
    }
    // The function that holds the job, then its callers, each of which must be gated.
    let enclosing = |u: usize, region: RegionId| {
        let facts = &project.units[u].facts;
        facts
            .fns
            .iter()
            .enumerate()
            .filter(|(_, f)| facts.is_within(region, f.body))
            .max_by_key(|(_, f)| facts.region(f.body).span.start)
            .map(|(idx, _)| FnRef { file: u, idx })
    };
    let mut frontier = vec![enclosing(ui, job.region)?];
    for _ in 0..3 {
        let mut next = vec![];
        let mut found = None;
        for f in &frontier {
            let callers = project.callers_of(*f);
            if callers.is_empty() {
                return None;
            }
            for c in callers {
                match gate_at(c.unit, c.span) {
                    Some(g) => found = found.or(Some(g)),
                    None => next.push(enclosing(c.unit, c.region)?),
                }
            }
        }
        if next.is_empty() {
            return found;
        }
        frontier = next;
    }
    None
}

/// Every write the job reaches repeats without harm: a note (a configured level still wins),
/// with each write labelled where it is.
fn idempotent_note(mut d: Diagnostic, writes: &[(Effect, &str)]) -> Diagnostic {
    d.severity = Severity::Note;
    for (e, how) in writes.iter().take(6) {
        let text = format!("{how}: {}", e.evidence);
        // The job's effect label already marks this write: say how it repeats there.
        match d
            .labels
            .iter_mut()
            .find(|l| l.file == e.file && l.span == e.span)
        {
            Some(l) => l.message = text,
            None => d = d.label(e.file, e.span, text),
        }
    }
    let mut kinds: Vec<&str> = writes.iter().map(|(_, how)| *how).collect();
    kinds.sort();
    kinds.dedup();
    let more = writes.len().saturating_sub(6);
    d.note(format!(
        "every write the job reaches is idempotent ({}; {} write{} seen{}): each instance repeats the work, \
         but a repeat finds nothing left to do (an upsert writes the same row, a DELETE .. WHERE finds the rows gone, \
         an UPDATE whose WHERE tests the column it sets matches nothing), so this is a note about wasted work, not a \
         warning; a job that also sends mail, publishes, calls out, or writes unconditionally stays a warning",
        kinds.join(", "),
        writes.len(),
        if writes.len() == 1 { "" } else { "s" },
        if more > 0 { ", the first 6 labelled".to_string() } else { String::new() },
    ))
}

// ---------------------------------------------------------------------------------------------
// Finding jobs

/// Closures, async blocks and functions that an expression runs: the job's body.
fn collect_bodies(
    project: &Project,
    ui: usize,
    val: &Val,
    bodies: &mut Vec<(usize, RegionId)>,
    fns: &mut Vec<FnRef>,
) {
    let facts = project.facts();
    match val {
        Val::Body { region, .. } => bodies.push((ui, *region)),
        Val::Path { path, .. } => fns.extend(project.fn_index.resolve_path(&facts, ui, path)),
        Val::Call { func, args, .. } => {
            if let Val::Path { path, .. } = &**func {
                fns.extend(project.fn_index.resolve_path(&facts, ui, path));
            }
            for a in args {
                collect_bodies(project, ui, a, bodies, fns);
            }
        }
        Val::Method { recv, args, .. } => {
            collect_bodies(project, ui, recv, bodies, fns);
            for a in args {
                collect_bodies(project, ui, a, bodies, fns);
            }
        }
        Val::Struct { fields, .. } => {
            for (_, v) in fields {
                collect_bodies(project, ui, v, bodies, fns);
            }
        }
        _ => {}
    }
}

fn schedule_label(unit: &Unit, val: &Val) -> (crate::diagnostic::FileId, Span, String) {
    let text = match val {
        Val::Str { value, .. } => format!("runs on the cron schedule `{value}`"),
        Val::Method { recv, name, .. } if name == "parse" || name == "unwrap" => {
            match recv.chain().0 {
                Val::Str { value, .. } => format!("runs on the cron schedule `{value}`"),
                _ => "the schedule".to_string(),
            }
        }
        _ => {
            describe_duration(val).map_or("the schedule".to_string(), |d| format!("runs every {d}"))
        }
    };
    (unit.id, val.span(), text)
}

/// `10.minutes()`, `Duration::from_secs(60)` as words: `10 minutes`, `60 s`.
fn describe_duration(val: &Val) -> Option<String> {
    match val {
        Val::Method { recv, name, .. } => match &**recv {
            Val::Int { value, .. } => Some(format!("{value} {name}")),
            _ => None,
        },
        Val::Call { func, args, .. } => {
            let Val::Path { path, .. } = &**func else {
                return None;
            };
            let unit = match path.last()?.as_str() {
                "from_secs" => "s",
                "from_millis" => "ms",
                "from_mins" => "min",
                "from_hours" => "h",
                // clokwerk's `TimeUnits::minutes(10)`
                u @ ("seconds" | "minutes" | "hours" | "days" | "weeks" | "second" | "minute"
                | "hour" | "day" | "week") => u,
                _ => return None,
            };
            match args.first()? {
                Val::Int { value, .. } => Some(format!("{value} {unit}")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a chain's root is a variable bound to one of the scheduler's constructors.
fn rooted_in_constructor(
    facts: &FileFacts,
    root: &Val,
    region: RegionId,
    e: &SchedulerEntry,
) -> bool {
    let Val::Path { path, .. } = root else {
        return false;
    };
    if path.len() != 1 {
        return false;
    }
    let Some(binding) = facts.binding(&path[0], region) else {
        return false;
    };
    is_constructor(facts, &binding.init, e)
}

fn is_constructor(facts: &FileFacts, init: &Val, e: &SchedulerEntry) -> bool {
    let (root, _) = init.chain();
    root.call_path().is_some_and(|p| {
        e.constructors
            .iter()
            .any(|c| path_of_crate(facts, p, c, &e.crates))
    })
}

/// The crates whose paths re-export the library (`apalis` for `apalis::cron`).
fn reexport_roots(e: &SchedulerEntry) -> Vec<String> {
    e.reexports
        .iter()
        .filter_map(|r| r.split("::").next().map(String::from))
        .collect()
}

/// Whether a resolved path is the library's `pattern`, directly or through a re-export.
fn entry_path(facts: &FileFacts, path: &[String], pattern: &str, e: &SchedulerEntry) -> bool {
    if path_of_crate(facts, path, pattern, &e.crates) {
        return true;
    }
    let want = crate::catalog::segments(pattern);
    e.reexports.iter().any(|r| {
        let prefix: Vec<&str> = r.split("::").collect();
        path.len() >= prefix.len() + want.len()
            && path.iter().zip(&prefix).all(|(a, b)| a == b)
            && crate::facts::ends_with(path, &want)
    })
}

fn scheduler_jobs(project: &Project, ui: usize, jobs: &mut Vec<Job>) {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    let entries: Vec<&SchedulerEntry> = project
        .catalog
        .scheduler
        .iter()
        .filter(|e| project.uses_any(unit, &e.crates) || project.uses_any(unit, &reexport_roots(e)))
        .collect();
    if entries.is_empty() {
        return;
    }
    for call in &facts.calls {
        for e in &entries {
            // Job constructors: `Job::new_async("0 * * * * *", |_, _| ..)`.
            let mut found: Vec<&Val> = vec![];
            call.val.walk(&mut |v| {
                if let Some(p) = v.call_path()
                    && e.job_calls.iter().any(|c| entry_path(facts, p, c, e))
                {
                    found.push(v);
                }
            });
            for v in found {
                let mut bodies = vec![];
                let mut fns = vec![];
                for (i, a) in v.args().iter().enumerate() {
                    if Some(i) != e.schedule_arg {
                        collect_bodies(project, ui, a, &mut bodies, &mut fns);
                    }
                }
                // The whole statement the call sits in: `WorkerBuilder::new(..).backend(CronStream::new(s)).build_fn(f)`.
                let outer = facts
                    .calls
                    .iter()
                    .filter(|c| c.val.span().contains(v.span()))
                    .max_by_key(|c| c.val.span().end - c.val.span().start)
                    .map_or(&call.val, |c| &c.val);
                let (_, links) = outer.chain();
                if bodies.is_empty() && fns.is_empty() {
                    // A builder (`JobBuilder::new()..with_run_async(..)`): the chain's arguments.
                    for l in &links {
                        for a in l.args() {
                            collect_bodies(project, ui, a, &mut bodies, &mut fns);
                        }
                    }
                }
                let schedule = e
                    .schedule_arg
                    .and_then(|i| v.args().get(i))
                    .filter(|a| !v.args().is_empty() && a.span() != v.span())
                    .or_else(|| {
                        links
                            .iter()
                            .find(|l| {
                                l.method_name()
                                    .is_some_and(|m| e.schedule_methods.iter().any(|s| s == m))
                            })
                            .and_then(|l| l.args().first())
                    })
                    .map(|a| schedule_label(unit, a));
                jobs.push(Job {
                    kind: Kind::Scheduler(e.library.clone()),
                    span: v.span(),
                    region: call.region,
                    schedule,
                    bodies,
                    fns,
                    effect: None,
                    from_macro: false,
                });
            }
            // Job chains: `scheduler.every(10.minutes()).run(|| ..)`.
            let (root, links) = call.val.chain();
            for spec in &e.job_chains {
                let want: Vec<&str> = spec.split("..").collect();
                let mut at = 0;
                let mut last = None;
                for (i, l) in links.iter().enumerate() {
                    if at < want.len() && l.method_name() == Some(want[at]) {
                        at += 1;
                        if at == want.len() {
                            last = Some(i);
                            break;
                        }
                    }
                }
                let Some(last) = last else { continue };
                if !file_names_any(facts, &e.crates)
                    && !rooted_in_constructor(facts, root, call.region, e)
                {
                    continue;
                }
                let mut bodies = vec![];
                let mut fns = vec![];
                for a in links[last].args() {
                    collect_bodies(project, ui, a, &mut bodies, &mut fns);
                }
                let schedule = links[..last]
                    .iter()
                    .find(|l| {
                        l.method_name()
                            .is_some_and(|m| e.schedule_methods.iter().any(|s| s == m))
                    })
                    .map(|l| match l {
                        Val::Method { name_span, .. } => (
                            unit.id,
                            Span::new(name_span.start, links[last - 1].span().end),
                            {
                                match l.args().first() {
                                    Some(Val::Str { value, .. }) => {
                                        format!("runs on the schedule `{value}`")
                                    }
                                    Some(a) => describe_duration(a)
                                        .map_or("the schedule".to_string(), |d| {
                                            format!("runs every {d}")
                                        }),
                                    None => "the schedule".to_string(),
                                }
                            },
                        ),
                        _ => (unit.id, l.span(), "the schedule".to_string()),
                    });
                jobs.push(Job {
                    kind: Kind::Scheduler(e.library.clone()),
                    span: links[last].span(),
                    region: call.region,
                    schedule,
                    bodies,
                    fns,
                    effect: None,
                    from_macro: false,
                });
            }
        }
    }
}

/// A timer in a loop: `interval.tick()`, `sleep(..)`, `thread::sleep(..)`; or a scheduler driver.
enum Pace {
    /// The timer's span, and whether it is an interval's `tick()` (periodic by construction)
    /// rather than a `sleep` (which also paces retries and backoff).
    Timer(Span, bool),
    /// `sched.tick()` / `scheduler.run_pending()`: the loop drives a scheduler crate.
    Driver,
}

fn loop_pace(project: &Project, unit: &Unit, lp: RegionId) -> Option<Pace> {
    let facts = &unit.facts;
    let cat = &project.catalog;
    let mut timer = None;
    let mut driver = false;
    let mut tick = false;
    // Only this loop's own statements: a timer in a nested loop paces that loop.
    let own = facts.calls_within(lp).filter(|c| {
        !facts
            .ancestors(c.region)
            .take_while(|(a, _)| *a != lp)
            .any(|(_, r)| matches!(r.kind, RegionKind::Loop(_)))
    });
    for call in own {
        call.val.walk(&mut |v| match v {
            Val::Call { func, span, .. } => {
                if let Val::Path { path, .. } = &**func
                    && cat
                        .timer
                        .iter()
                        .any(|t| t.sleeps.iter().any(|s| path_is(facts, path, s)))
                    && timer.is_none()
                {
                    timer = Some(*span);
                }
            }
            Val::Method {
                recv, name, args, ..
            } => {
                let scheduler_driver = cat.scheduler.iter().any(|e| {
                    e.drive_methods.iter().any(|m| m == name)
                        && project.uses_any(unit, &e.crates)
                        && (name == "run_pending"
                            || rooted_in_constructor(facts, recv.chain().0, call.region, e))
                });
                if scheduler_driver {
                    driver = true;
                    return;
                }
                if args.is_empty()
                    && cat
                        .timer
                        .iter()
                        .any(|t| t.tick_methods.iter().any(|m| m == name))
                    && timer.is_none()
                {
                    timer = tick_timer(project, facts, recv, call.region);
                    tick = timer.is_some();
                }
            }
            _ => {}
        });
    }
    if driver {
        return Some(Pace::Driver);
    }
    timer.map(|t| Pace::Timer(t, tick))
}

/// `iv.tick()` where `iv` is bound to `tokio::time::interval(..)`: the interval call's span.
fn tick_timer(project: &Project, facts: &FileFacts, recv: &Val, region: RegionId) -> Option<Span> {
    let name = match recv {
        Val::Path { path, .. } if path.len() == 1 => path[0].clone(),
        // A binding that shadows an imported function (`use tokio::time::interval;` .. `let mut
        // interval = interval(..)`): the receiver's path was resolved through the `use`.
        Val::Path { path, .. }
            if path
                .last()
                .is_some_and(|l| facts.binding(l, region).is_some()) =>
        {
            path.last().cloned().unwrap_or_default()
        }
        Val::Field { name, .. } => name.clone(),
        _ => return None,
    };
    if let Val::Path { .. } = recv
        && let Some(b) = facts.binding(&name, region)
    {
        let (root, _) = b.init.chain();
        let is_interval = root.call_path().is_some_and(|p| {
            project
                .catalog
                .timer
                .iter()
                .any(|t| t.intervals.iter().any(|i| path_is(facts, p, i)))
        });
        return is_interval.then(|| b.init.span());
    }
    // A field or parameter: trust a name that says it is a timer.
    let lower = name.to_ascii_lowercase();
    (lower.contains("interval") || lower.contains("ticker") || lower.contains("timer"))
        .then(|| recv.span())
}

/// Loops in `within` (a spawned body or a function body) that a timer paces.
fn timer_loop_in(project: &Project, ui: usize, within: RegionId) -> Option<(RegionId, Span)> {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    for (id, r) in facts.regions.iter().enumerate() {
        if !matches!(r.kind, RegionKind::Loop(_)) || !facts.is_within(id, within) {
            continue;
        }
        // A loop inside a nested spawn belongs to that spawn.
        let nested_spawn = facts
            .ancestors(id)
            .take_while(|(a, _)| *a != within)
            .any(|(_, a)| {
                a.arg_of
                    .as_ref()
                    .is_some_and(|o| is_spawn(project, facts, o))
            });
        if nested_spawn {
            continue;
        }
        // Per-instance work: the loop (or one around it in the same task) takes its work from
        // this process's own buffer or channel, or lives only while one call's work runs.
        let per_instance = facts
            .ancestors(id)
            .take_while(|(a, _)| *a != within)
            .any(|(a, r)| {
                matches!(r.kind, RegionKind::Loop(_))
                    && (local_work::local_source(facts, a).is_some()
                        || local_work::local_drain_in_callees(project, ui, a).is_some())
            });
        if per_instance {
            continue;
        }
        // A `while`/`for` loop paced by `sleep` is a retry or a bounded wait
        // (`while let Err(e) = send().await { sleep(backoff).await }`), not a periodic job.
        let plain_loop = matches!(r.kind, RegionKind::Loop(crate::facts::LoopKind::Loop));
        match loop_pace(project, unit, id) {
            Some(Pace::Timer(span, tick)) if plain_loop || tick => return Some((id, span)),
            Some(Pace::Timer(..)) => {}
            Some(Pace::Driver) => return None,
            None if plain_loop => {
                if let Some(span) = countdown(project, ui, id) {
                    return Some((id, span));
                }
            }
            None => {}
        }
    }
    None
}

/// A hand-rolled timer: a `loop` whose own body counts down with a `for`/`while` of sleeps that
/// does no work itself (`for _ in 0..minutes { sleep(one_second).await }`, perhaps checking a stop
/// signal), then does the job. The countdown's sleep paces the outer loop. A bounded loop of
/// sleeps that holds the work (a retry with backoff) is not a countdown.
fn countdown(project: &Project, ui: usize, lp: RegionId) -> Option<Span> {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    facts.regions.iter().enumerate().find_map(|(id, r)| {
        // A bounded `for`/`while` loop, not an endless `loop`.
        if id == lp
            || !matches!(r.kind, RegionKind::Loop(_))
            || matches!(r.kind, RegionKind::Loop(crate::facts::LoopKind::Loop))
            || !facts.is_within(id, lp)
        {
            return None;
        }
        // A direct child loop of `lp`, in the same task (not inside a nested spawn or closure).
        let between: Vec<&crate::facts::Region> = facts
            .ancestors(id)
            .skip(1)
            .take_while(|(a, _)| *a != lp)
            .map(|(_, a)| a)
            .collect();
        if between.iter().any(|a| {
            matches!(
                a.kind,
                RegionKind::Loop(_) | RegionKind::Closure | RegionKind::AsyncBlock
            )
        }) {
            return None;
        }
        match loop_pace(project, unit, id) {
            Some(Pace::Timer(span, false)) if reaches_effect(project, ui, id).is_none() => {
                Some(span)
            }
            _ => None,
        }
    })
}

fn is_spawn(project: &Project, facts: &FileFacts, arg_of: &crate::facts::ArgOf) -> bool {
    project.catalog.spawn.iter().any(|s| {
        if arg_of.method {
            s.methods.iter().any(|m| arg_of.callee.last() == Some(m))
        } else {
            s.paths.iter().any(|p| path_is(facts, &arg_of.callee, p))
        }
    })
}

fn is_spawn_val(project: &Project, facts: &FileFacts, v: &Val) -> bool {
    project.catalog.spawn.iter().any(|s| match v {
        Val::Call { func, .. } => match &**func {
            Val::Path { path, .. } => s.paths.iter().any(|p| path_is(facts, path, p)),
            _ => false,
        },
        Val::Method { name, .. } => s.methods.iter().any(|m| m == name),
        _ => false,
    })
}

fn timer_loops(project: &Project, ui: usize, jobs: &mut Vec<Job>) {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    // A spawned closure or async block: `tokio::spawn(async move { loop { .. } })`.
    for (id, r) in facts.regions.iter().enumerate() {
        let Some(arg_of) = &r.arg_of else { continue };
        if !matches!(r.kind, RegionKind::Closure | RegionKind::AsyncBlock)
            || !is_spawn(project, facts, arg_of)
        {
            continue;
        }
        // The outermost body of this spawn (`thread::spawn(move || { .. })` has one region;
        // `spawn(async move { .. })` too).
        let region = r.parent.unwrap_or(0);
        if let Some((lp, timer)) = timer_loop_in(project, ui, id) {
            if let Some(effect) = reaches_effect(project, ui, lp) {
                jobs.push(Job {
                    kind: Kind::TimerLoop,
                    span: arg_of.call_span,
                    region,
                    schedule: Some((unit.id, timer, "paced by this timer".into())),
                    bodies: vec![(ui, id)],
                    fns: vec![],
                    effect: Some(effect),
                    from_macro: false,
                });
            }
            continue;
        }
        // `tokio::spawn(async move { cleanup_loop(pool).await })`: the loop is in the callee.
        for f in project.callees_in_region(ui, id) {
            if let Some(job) = loop_in_fn(project, f, arg_of.call_span, region) {
                jobs.push(job);
                break;
            }
        }
    }
    // A spawned call: `tokio::spawn(cleanup_loop(pool))`.
    let all = project.facts();
    for call in &facts.calls {
        call.val.walk(&mut |v| {
            if !is_spawn_val(project, facts, v) {
                return;
            }
            // `let fut = async move { loop { .. } }; spawn(fut)`: the bound block is spawned.
            if let Some(Val::Path { path, .. }) = v.args().first()
                && let [name] = path.as_slice()
                && let Some(body) = facts.lets.iter().rev().find_map(|l| match &l.init {
                    Val::Body { region, .. }
                        if &l.name == name
                            && (l.region == call.region
                                || facts.is_within(call.region, l.region)) =>
                    {
                        Some(*region)
                    }
                    _ => None,
                })
                && let Some((lp, timer)) = timer_loop_in(project, ui, body)
                && let Some(effect) = reaches_effect(project, ui, lp)
            {
                jobs.push(Job {
                    kind: Kind::TimerLoop,
                    span: v.span(),
                    region: call.region,
                    schedule: Some((unit.id, timer, "paced by this timer".into())),
                    bodies: vec![(ui, body)],
                    fns: vec![],
                    effect: Some(effect),
                    from_macro: false,
                });
                return;
            }
            let Some(arg @ (Val::Call { .. } | Val::Method { .. })) = v.args().first() else {
                return;
            };
            for f in project.fn_index.callees_of_val(&all, ui, arg) {
                if let Some(job) = loop_in_fn(project, f, v.span(), call.region) {
                    jobs.push(job);
                    break;
                }
            }
        });
    }
}

fn loop_in_fn(project: &Project, f: FnRef, span: Span, region: RegionId) -> Option<Job> {
    let body = project.fn_fact(f).body;
    let (lp, timer) = timer_loop_in(project, f.file, body)?;
    let effect = reaches_effect(project, f.file, lp)?;
    Some(Job {
        kind: Kind::TimerLoop,
        span,
        region,
        schedule: Some((
            project.units[f.file].id,
            timer,
            "paced by this timer".into(),
        )),
        bodies: vec![],
        fns: vec![f],
        effect: Some(effect),
        from_macro: false,
    })
}

/// A function of the project that runs a closure it is given on a timer: `every(period, job)`
/// whose body spawns `loop { tick.tick().await; job().await; }`. The index of that parameter and
/// the timer that paces it.
fn closure_helper(project: &Project, f: FnRef) -> Option<(usize, Span)> {
    let fact = project.fn_fact(f);
    if fact.params.is_empty() {
        return None;
    }
    let facts = &project.units[f.file].facts;
    // Calls of a parameter: `job()`, `(job)()`.
    let called: Vec<(usize, RegionId)> = facts
        .calls_within(fact.body)
        .filter_map(|c| {
            let p = c.val.call_path()?;
            if p.len() != 1 {
                return None;
            }
            let i = fact.params.iter().position(|x| x.name == p[0])?;
            Some((i, c.region))
        })
        .collect();
    if called.is_empty() {
        return None;
    }
    for (id, r) in facts.regions.iter().enumerate() {
        if !facts.is_within(id, fact.body)
            || !r
                .arg_of
                .as_ref()
                .is_some_and(|o| is_spawn(project, facts, o))
        {
            continue;
        }
        if let Some((lp, timer)) = timer_loop_in(project, f.file, id)
            && let Some((i, _)) = called.iter().find(|(_, cr)| facts.is_within(*cr, lp))
        {
            return Some((*i, timer));
        }
    }
    None
}

/// Calls of the project's closure helpers: the closure passed at the call site is the job.
fn helper_jobs(project: &Project, ui: usize, jobs: &mut Vec<Job>) {
    let unit = &project.units[ui];
    let all = project.facts();
    for call in &unit.facts.calls {
        let mut found = vec![];
        call.val.walk(&mut |v| {
            if let Some(p) = v.call_path() {
                found.push((v, p));
            }
        });
        for (v, path) in found {
            for f in project.fn_index.resolve_path(&all, ui, path) {
                let Some((i, timer)) = closure_helper(project, f) else {
                    continue;
                };
                let Some(arg) = v.args().get(i) else { continue };
                let mut bodies = vec![];
                let mut fns = vec![];
                collect_bodies(project, ui, arg, &mut bodies, &mut fns);
                let effect = bodies
                    .iter()
                    .find_map(|&(u, r)| reaches_effect(project, u, r))
                    .or_else(|| {
                        fns.iter()
                            .find_map(|f| reaches_effect(project, f.file, project.fn_fact(*f).body))
                    });
                let Some(effect) = effect else { continue };
                jobs.push(Job {
                    kind: Kind::TimerLoop,
                    span: v.span(),
                    region: call.region,
                    schedule: Some((
                        project.units[f.file].id,
                        timer,
                        format!(
                            "paced by this timer in `{}`",
                            project.fn_fact(f).path.join("::")
                        ),
                    )),
                    bodies,
                    fns,
                    effect: Some(effect),
                    from_macro: false,
                });
                break;
            }
        }
    }
}

/// A heartbeat or keep-alive (`Telemetry::heart_beat`, `send_keepalive`): each instance reports
/// itself on purpose, so it is per-instance work.
fn heartbeat(project: &Project, job: &Job) -> bool {
    let named = |path: &str| {
        let last = path
            .rsplit("::")
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        ["heartbeat", "heart_beat", "keepalive", "keep_alive"]
            .iter()
            .any(|w| last.contains(w))
    };
    if job
        .effect
        .as_ref()
        .and_then(|e| e.via.as_ref())
        .is_some_and(|via| named(via))
    {
        return true;
    }
    // A macro's arguments: every function they call that has an effect is a heartbeat.
    let effectful: Vec<&FnRef> = job
        .fns
        .iter()
        .filter(|f| reaches_effect(project, f.file, project.fn_fact(**f).body).is_some())
        .collect();
    job.from_macro
        && !effectful.is_empty()
        && effectful.iter().all(|f| named(&project.fn_fact(**f).name))
}

/// Whether the job checks a leader elected from the cluster membership (in its body, its macro
/// arguments, or the functions it names).
fn membership_gated(project: &Project, job: &Job) -> bool {
    let unit_of = |i: usize| &project.units[i];
    job.bodies.iter().any(|&(u, r)| {
        let facts = &unit_of(u).facts;
        locks::membership_leader(unit_of(u), |l| facts.is_within(l.region, r)).is_some()
    }) || job.fns.iter().any(|f| {
        let facts = &unit_of(f.file).facts;
        let body = project.fn_fact(*f).body;
        locks::membership_leader(unit_of(f.file), |l| facts.is_within(l.region, body)).is_some()
    }) || job
        .bodies
        .iter()
        .copied()
        .chain(job.fns.iter().map(|f| (f.file, project.fn_fact(*f).body)))
        .flat_map(|(u, r)| project.callees_in_region(u, r))
        .any(|g| locks::membership_leader_fn(project, g).is_some())
        || (job.from_macro
            && project.units.iter().any(|u| {
                job.schedule.as_ref().is_some_and(|s| s.0 == u.id)
                    && locks::membership_leader(u, |l| job.span.contains(l.span)).is_some()
            }))
}

/// Invocations of a `macro_rules!` macro of the workspace whose body spawns a timer loop
/// (`spawn_periodic!(3600, { purge(&p).await })`): the macro call is the job, its arguments the body.
fn macro_jobs(project: &Project, ui: usize, jobs: &mut Vec<Job>) {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    let spawn_words: Vec<String> = project
        .catalog
        .spawn
        .iter()
        .flat_map(|s| s.paths.iter().chain(&s.methods))
        .map(|p| p.rsplit("::").next().unwrap_or(p).to_string() + "(")
        .collect();
    let timer_words: Vec<String> = project
        .catalog
        .timer
        .iter()
        .flat_map(|t| t.sleeps.iter().chain(&t.intervals))
        .map(|p| p.rsplit("::").next().unwrap_or(p).to_string() + "(")
        .collect();
    let all = project.facts();
    for m in &facts.macros {
        let Some(name) = m.path.last() else { continue };
        if name == "macro_rules" {
            continue;
        }
        let timer_macro = project.units.iter().any(|u| {
            u.facts.macro_defs.iter().any(|d| {
                &d.name == name
                    && d.body.contains("loop{")
                    && spawn_words.iter().any(|w| d.body.contains(w.as_str()))
                    && timer_words.iter().any(|w| d.body.contains(w.as_str()))
            })
        });
        if !timer_macro {
            continue;
        }
        let inside: Vec<&crate::facts::CallFact> = facts
            .calls
            .iter()
            .filter(|c| m.span.contains(c.val.span()))
            .collect();
        let effect = side_effects::effect_sites(project, ui, m.region)
            .into_iter()
            .find(|e| e.file == unit.id && m.span.contains(e.span));
        let Some(effect) = effect else { continue };
        if inside
            .iter()
            .any(|c| locks::val_takes_lock(project, ui, &c.val))
        {
            continue;
        }
        let mut fns: Vec<FnRef> = inside
            .iter()
            .flat_map(|c| project.fn_index.callees_of_val(&all, ui, &c.val))
            .collect();
        fns.sort();
        fns.dedup();
        // Name the write itself rather than the call that leads to it.
        let effect = match effect.via {
            Some(_) => fns
                .iter()
                .find_map(|f| reaches_effect(project, f.file, project.fn_fact(*f).body))
                .map(|mut e| {
                    e.via = e.via.or(effect.via.clone());
                    e
                })
                .unwrap_or(effect),
            None => effect,
        };
        jobs.push(Job {
            kind: Kind::TimerLoop,
            span: m.span,
            region: m.region,
            schedule: Some((
                unit.id,
                m.name_span,
                format!("`{name}!` spawns a timer loop"),
            )),
            bodies: vec![],
            fns,
            effect: Some(effect),
            from_macro: true,
        });
    }
}

/// actix `ctx.run_interval(dur, |act, ctx| ..)`: judged, like a timer loop, by its side effects.
fn timer_callbacks(project: &Project, ui: usize, jobs: &mut Vec<Job>) {
    let unit = &project.units[ui];
    let facts = &unit.facts;
    for e in &project.catalog.timer_callback {
        if !project.uses_any(unit, &e.crates) {
            continue;
        }
        for call in &facts.calls {
            let mut found = vec![];
            call.val.walk(&mut |v| {
                if let Val::Method { name, .. } = v
                    && e.methods.iter().any(|m| m == name)
                {
                    found.push(v);
                }
            });
            for v in found {
                let mut bodies = vec![];
                let mut fns = vec![];
                for a in v.args() {
                    collect_bodies(project, ui, a, &mut bodies, &mut fns);
                }
                let effect = bodies
                    .iter()
                    .find_map(|&(u, r)| reaches_effect(project, u, r))
                    .or_else(|| {
                        fns.iter()
                            .find_map(|f| reaches_effect(project, f.file, project.fn_fact(*f).body))
                    });
                let Some(effect) = effect else { continue };
                let name = v.method_name().unwrap_or_default().to_string();
                jobs.push(Job {
                    kind: Kind::TimerCallback(name),
                    span: v.span(),
                    region: call.region,
                    schedule: e
                        .schedule_arg
                        .and_then(|i| v.args().get(i))
                        .map(|a| (unit.id, a.span(), "the interval".to_string())),
                    bodies,
                    fns,
                    effect: Some(effect),
                    from_macro: false,
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The worker-application pattern: `single-instance = ["worker", "jobs-crate"]`

fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

fn is_single_instance_unit(project: &Project, unit: &Unit) -> bool {
    let names = &project.config.single_instance;
    if names.is_empty() {
        return false;
    }
    let krate = normalize(&project.crate_of(unit).name);
    names.iter().any(|n| {
        normalize(n) == krate
            || unit
                .bin
                .as_deref()
                .is_some_and(|b| normalize(b) == normalize(n))
    })
}

/// Whether every entry point that reaches the function holding `region` is in a single-instance
/// binary or crate (a job in a library module that only the worker binary starts).
fn only_reached_from_single_instance(project: &Project, ui: usize, region: RegionId) -> bool {
    if project.config.single_instance.is_empty() {
        return false;
    }
    let unit = &project.units[ui];
    let Some(start) = unit
        .facts
        .ancestors(region)
        .filter_map(|(_, r)| match r.kind {
            RegionKind::Fn(i) => Some(FnRef { file: ui, idx: i }),
            _ => None,
        })
        .last()
    else {
        return false;
    };
    // Callers of each function, over the workspace.
    let mut callers: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
    for (file, u) in project.units.iter().enumerate() {
        if !u.is_service_source() {
            continue;
        }
        for (idx, f) in u.facts.fns.iter().enumerate() {
            if u.facts.in_test(f.body) {
                continue;
            }
            for callee in project.callees_in_region(file, f.body) {
                callers.entry(callee).or_default().push(FnRef { file, idx });
            }
        }
    }
    let mut stack = vec![start];
    let mut seen = BTreeSet::from([start]);
    let mut any_root = false;
    while let Some(f) = stack.pop() {
        match callers.get(&f) {
            Some(cs) if !cs.is_empty() => {
                for c in cs {
                    if seen.insert(*c) {
                        stack.push(*c);
                    }
                }
            }
            _ => {
                // An entry point: it must be in a single-instance unit, and not be the job's own function.
                if f == start || !is_single_instance_unit(project, &project.units[f.file]) {
                    return false;
                }
                any_root = true;
            }
        }
    }
    any_root
}

// ---------------------------------------------------------------------------------------------
// The diagnostic

fn diagnostic(
    project: &Project,
    unit: &Unit,
    job: &Job,
    verdict: &LockVerdict,
    outside: Option<&Effect>,
) -> Diagnostic {
    let n = project.config.instances;
    let message = match &job.kind {
        Kind::Scheduler(lib) => format!(
            "{lib} job runs on every instance: with {n} instances it fires {n} times per tick"
        ),
        Kind::TimerLoop => format!(
            "spawned timer loop {} on every instance: with {n} instances it runs {n} times per period",
            job.effect
                .as_ref()
                .map_or("has a shared side effect", |e| e.verb())
        ),
        Kind::TimerCallback(m) => format!(
            "`{m}` callback {} on every instance: with {n} instances it runs {n} times per period",
            job.effect
                .as_ref()
                .map_or("has a shared side effect", |e| e.verb())
        ),
    };
    let regions: Vec<(usize, RegionId)> = job
        .bodies
        .iter()
        .copied()
        .chain(job.fns.iter().map(|f| (f.file, project.fn_fact(*f).body)))
        .collect();
    let pooled = if verdict.lock.is_none() {
        locks::pooled_lock(project, &regions)
    } else {
        None
    };
    let message = match &pooled {
        Some(_) => format!(
            "the job's session-level lock is taken through a connection pool: it does not keep the other {} instances out",
            n.saturating_sub(1)
        ),
        None => message,
    };
    let mut d = Diagnostic::new(META.id, unit.id, head_span(unit, job.span), message);
    if let Some(lock) = &pooled {
        let at = lock
            .via
            .as_ref()
            .map_or(String::new(), |v| format!(" in `{v}`"));
        d = d
            .label(lock.file, lock.span, "taken on whichever pooled connection runs it")
            .note(format!(
                "found {} ({}){at}, run on a pool (or on a connection borrowed for that one statement): a session-level \
                 lock belongs to the connection that took it, which goes back to the pool; the work, the unlock and the \
                 next tick's check may each run on another connection, so the lock guards nothing and may stay held forever",
                lock.name, lock.evidence
            ));
        return d
            .help("hold one connection in a binding across the lock, the work and the unlock, or take the transaction-scoped lock")
            .fix(Fix::manual(POOLED_FIX.to_string()));
    }
    if let Some((file, span, text)) = &job.schedule {
        d = d.label(*file, *span, text.clone());
    }
    if let Some(e) = &job.effect {
        let via = e
            .via
            .as_ref()
            .map_or(String::new(), |v| format!(" (through `{v}`)"));
        d = d.label(e.file, e.span, format!("{}: {}{via}", e.name, e.evidence));
    }
    let scope = if verdict.callees > 0 {
        format!(
            "the job's body and the {} function{} it calls",
            verdict.callees,
            if verdict.callees == 1 { "" } else { "s" }
        )
    } else {
        "the job's body".to_string()
    };
    match (&verdict.lock, outside) {
        (Some(claim), Some(e)) => {
            let at = claim
                .via
                .as_ref()
                .map_or(String::new(), |v| format!(" in `{v}`"));
            let what = e
                .via
                .as_ref()
                .map_or(e.evidence.clone(), |v| format!("`{v}`"));
            d = d
                .label(e.file, e.span, "runs outside any lock")
                .note(format!(
                    "the only cross-process lock the job reaches is a row claim ({}{at}): it guards its own statement, \
                     not the job, and {what} writes outside it",
                    claim.name
                ));
        }
        _ => {
            d = d.note(format!(
                "looked for a cross-process lock in {scope} ({}): none found",
                locks::LOOKED_FOR
            ));
            let regions: Vec<(usize, RegionId)> = job
                .bodies
                .iter()
                .copied()
                .chain(job.fns.iter().map(|f| (f.file, project.fn_fact(*f).body)))
                .collect();
            if let Some((f, leader)) = locks::guard_candidate(project, &regions) {
                let fact = project.fn_fact(f);
                let path = fact.path.join("::");
                let (what, key) = if leader {
                    ("a leader check", "leader-functions")
                } else {
                    ("a lock", "lock-functions")
                };
                d = d
                    .label(project.units[f.file].id, fact.ident_span, format!("looks like {what}"))
                    .note(format!(
                        "`{path}` looks like {what}, but it reaches no cross-process primitive scalelint knows; \
                         if it does exclude other instances, declare it with `{key} = [\"{path}\"]` in scalelint.toml"
                    ));
            }
            if let Some(claim) = locks::broken_claim(project, &regions) {
                let at = claim
                    .via
                    .as_ref()
                    .map_or(String::new(), |v| format!(" in `{v}`"));
                d = d.label(claim.file, claim.span, "runs outside a transaction").note(format!(
                    "the `FOR UPDATE SKIP LOCKED` claim{at} is not a guard: it runs in autocommit (no transaction is opened \
                     around it and the statement writes nothing), so its row locks end with the SELECT and every instance \
                     reads the same rows; claim and mark the rows in one transaction (`let mut tx = pool.begin().await?`, \
                     the SELECT and an `UPDATE .. SET status = 'taken'` on `&mut *tx`, then `tx.commit()`), or in one \
                     statement (`UPDATE .. WHERE id IN (SELECT .. FOR UPDATE SKIP LOCKED) RETURNING ..`)"
                ));
            }
        }
    }
    if let Some(m) = verdict.in_process.first() {
        let via = m
            .via
            .as_ref()
            .map_or(String::new(), |v| format!(" in `{v}`"));
        d = d.note(format!(
            "the job only takes {} ({}{via}): an in-process lock keeps runs apart inside one instance, not across instances",
            m.name, m.evidence
        ));
    }
    d.help(
        "a lock gives \"at most one runner at a time\", not \"exactly once per tick\": for once per period, \
         claim a ledger row (`UPDATE job_lock SET lock_until = now() + interval '55 minutes' WHERE name = $1 AND lock_until <= now() RETURNING name`); \
         or run the jobs in one worker deployed as a single replica and declare it with `single-instance = [\"<bin or crate>\"]` in scalelint.toml",
    )
    .fix(Fix::manual(fix_snippet(project, unit)))
}

/// The callee of the call at `span` (`Job::new_async`, `tokio::spawn`, `.run`), so the primary
/// span is one short line rather than the whole job.
fn head_span(unit: &Unit, span: Span) -> Span {
    let mut out = None;
    for call in &unit.facts.calls {
        if !call.val.span().contains(span) {
            continue;
        }
        call.val.walk(&mut |v| {
            if out.is_none() && v.span() == span {
                out = match v {
                    Val::Call { func, .. } => Some(func.span()),
                    Val::Method { name_span, .. } => Some(*name_span),
                    _ => None,
                };
            }
        });
        if out.is_some() {
            break;
        }
    }
    out.unwrap_or(span)
}

/// Whether the file names `lib` anywhere in a path (re-exports included).
fn mentions(unit: &Unit, lib: &str) -> bool {
    unit.facts.calls.iter().any(|c| {
        let mut found = false;
        c.val.walk(&mut |v| {
            if let Val::Path { path, .. } = v
                && path.iter().any(|s| s == lib)
            {
                found = true;
            }
        });
        found
    })
}

/// A snippet that takes a cross-process lock with the library the crate already uses.
fn fix_snippet(project: &Project, unit: &Unit) -> String {
    let krate = project.crate_of(unit);
    // A dependency, or a re-export the file names (`database::deadpool_postgres::Pool`).
    let uses = |lib: &str| project.uses_crate(unit, lib) || mentions(unit, lib);
    let sqlx_feature = |f: &str| krate.features_of("sqlx").is_some_and(|fs| fs.contains(f));
    if uses("sqlx") && !sqlx_feature("mysql") {
        return SQLX_PG.to_string();
    }
    if uses("sqlx") {
        return SQLX_MYSQL.to_string();
    }
    if uses("diesel_async") {
        return DIESEL_ASYNC.to_string();
    }
    if uses("diesel") {
        return DIESEL.to_string();
    }
    if uses("tokio_postgres") || uses("deadpool_postgres") || uses("bb8_postgres") {
        return TOKIO_POSTGRES.to_string();
    }
    if uses("redis") || uses("deadpool_redis") || uses("bb8_redis") {
        return REDIS.to_string();
    }
    if uses("sea_orm") {
        return SEA_ORM.to_string();
    }
    format!("{SQLX_PG}\n  (or with Redis:)\n{REDIS}")
}

const POOLED_FIX: &str = r#"keep one connection for the lock, the job and the unlock (sqlx shown; the same holds for deadpool/bb8/r2d2 `pool.get()`):

    let mut conn = pool.acquire().await?; // one connection, held in a binding
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(JOB_KEY).fetch_one(&mut *conn).await?;
    if got {
        run_job(&pool).await;
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(JOB_KEY).execute(&mut *conn).await?;
    }

  or take the transaction-scoped lock, released at commit:

    let mut tx = pool.begin().await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(JOB_KEY).fetch_one(&mut *tx).await?;
    if got { run_job(&mut tx).await?; }
    tx.commit().await?;"#;

const SQLX_PG: &str = r#"take a Postgres advisory lock (sqlx) around the job body, on a dedicated connection, and skip the tick when another instance holds it:

    use sqlx::postgres::{PgAdvisoryLock, PgPool};
    use sqlx::Either;

    async fn run_exclusive<F, Fut>(pool: &PgPool, name: &str, job: F) -> Result<(), sqlx::Error>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let lock = PgAdvisoryLock::new(name);
        match lock.try_acquire(pool.acquire().await?).await? {
            Either::Left(guard) => {
                job().await;
                guard.release_now().await?; // dropping the guard only queues the unlock
            }
            Either::Right(_conn) => {} // another instance runs it this tick
        }
        Ok(())
    }

    // in the job: run_exclusive(&pool, "jobs:<job name>", || run_job(&pool)).await?;"#;

const SQLX_MYSQL: &str = r#"take a MySQL named lock (sqlx) around the job body, on one connection:

    let mut conn = pool.acquire().await?;
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)").bind("jobs:cleanup").fetch_one(&mut *conn).await?;
    if got == Some(1) {
        run_job(&pool).await;
        sqlx::query("SELECT RELEASE_LOCK(?)").bind("jobs:cleanup").execute(&mut *conn).await?;
    }"#;

const DIESEL: &str = r#"take a Postgres advisory lock through diesel's `sql_query` around the job body:

    use diesel::sql_types::{BigInt, Bool};
    use diesel::{sql_query, PgConnection, QueryableByName, RunQueryDsl};

    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }

    fn run_exclusive(conn: &mut PgConnection, key: i64, job: impl FnOnce(&mut PgConnection)) -> diesel::QueryResult<()> {
        let got: Locked = sql_query("SELECT pg_try_advisory_lock($1) AS locked").bind::<BigInt, _>(key).get_result(conn)?;
        if got.locked {
            job(conn);
            sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(key).execute(conn)?;
        }
        Ok(())
    }"#;

const DIESEL_ASYNC: &str = r#"take a Postgres advisory lock through diesel's `sql_query` (diesel-async) around the job body, on one connection:

    use diesel::sql_types::{BigInt, Bool};
    use diesel::{sql_query, QueryableByName};
    use diesel_async::{AsyncPgConnection, RunQueryDsl};

    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }

    async fn try_lock(conn: &mut AsyncPgConnection, key: i64) -> diesel::QueryResult<bool> {
        let got: Locked = sql_query("SELECT pg_try_advisory_lock($1) AS locked").bind::<BigInt, _>(key).get_result(conn).await?;
        Ok(got.locked)
    }

    // in the job, on one connection:
    // if try_lock(conn, KEY).await? { run_job(conn).await; sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(KEY).execute(conn).await?; }"#;

const TOKIO_POSTGRES: &str = r#"take a Postgres advisory lock (tokio-postgres) around the job body, on one connection:

    let client = pool.get().await?;
    let locked: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&JOB_KEY]).await?.get(0);
    if locked {
        run_job(&client).await;
        client.execute("SELECT pg_advisory_unlock($1)", &[&JOB_KEY]).await?;
    } // else another instance runs it this tick"#;

const REDIS: &str = r#"take a Redis lease (`SET key token NX PX ttl`) before the job body and release it only if it is still yours:

    use redis::{AsyncCommands, ExistenceCheck, SetExpiry, SetOptions};

    let token = uuid::Uuid::new_v4().to_string();
    let opts = SetOptions::default().conditional_set(ExistenceCheck::NX).with_expiration(SetExpiry::PX(55_000));
    let got: Option<String> = con.set_options("lock:jobs:cleanup", &token, opts).await?;
    if got.is_some() {
        run_job().await;
        let _: i32 = redis::Script::new(r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end")
            .key("lock:jobs:cleanup").arg(&token).invoke_async(&mut con).await?;
    }"#;

const SEA_ORM: &str = r#"take a Postgres advisory lock through sea-orm around the job body, in one transaction:

    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    let txn = db.begin().await?;
    let row = txn.query_one(Statement::from_sql_and_values(DbBackend::Postgres,
        "SELECT pg_try_advisory_xact_lock($1) AS locked", [JOB_KEY.into()])).await?;
    if row.map(|r| r.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false) {
        run_job(&txn).await?;
    }
    txn.commit().await?; // releases the lock"#;
