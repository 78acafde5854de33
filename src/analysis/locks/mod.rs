//! "Reaches a cross-process lock": shared by the scheduler and migration rules.
//!
//! A region (a job's closure, a spawned block, a function body) is guarded when it, or a function
//! it calls (propagated through the workspace to a fixpoint), uses a lock primitive of
//! `rules/catalog/locks.toml` that excludes other processes, or calls a function the user named
//! in `lock-functions`. In-process locks (`tokio::sync::Mutex`, ...) are reported separately so a
//! note can say that they do not count.
//!
//! Here: the verdict and its reach through calls. `primitives`: the catalogue's locks used in a
//! region; `held`: a lock held at a site; `leader`: leader checks; `broken`: guards that do not
//! hold (an autocommit claim, a session lock on a pool).

mod broken;
mod held;
mod leader;
mod primitives;

pub use broken::{broken_claim, pooled_lock, pooled_session_lock};
pub use held::{
    calls_into, held_at, in_lock_helper, val_holds_lock, val_releases_lock, val_takes_lock,
};
pub use leader::{guard_candidate, membership_leader, membership_leader_fn};
pub use primitives::direct_lock;

use primitives::*;

use super::matchers::{code_strings, match_patterns};
use crate::analysis::call_graph::FnRef;
use crate::catalog::LockEntry;
use crate::diagnostic::FileId;
use crate::facts::{FileFacts, FnFact, RegionId, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;

/// A lock found: what it is, where, and through which function when it is not in the region.
#[derive(Clone, Debug)]
pub struct LockHit {
    /// `Postgres advisory lock`, `the lock function leader::run_exclusive`, ...
    pub name: String,
    /// How it appears: `"SELECT pg_try_advisory_lock($1)"`, `` `PgAdvisoryLock::new(..)` ``.
    pub evidence: String,
    pub file: FileId,
    pub span: Span,
    /// The called function through which the region reaches it (`leader::run_exclusive`).
    pub via: Option<String>,
    /// A row claim (`FOR UPDATE SKIP LOCKED`): it guards only what takes it, not the whole job.
    pub claim_only: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// A lock that guards what follows it (advisory lock, `GET_LOCK`, `SET NX`, lease, user function).
    Job,
    /// A row claim that guards its own statement.
    Claim,
    /// A lock held before a site (`held_at`, `in_lock_helper`): the `Job` locks and the
    /// `held-only` ones.
    Held,
    InProcess,
}

#[derive(Clone, Debug, Default)]
pub struct LockVerdict {
    /// The cross-process lock the region reaches, if any.
    pub lock: Option<LockHit>,
    /// In-process locks the region takes (they do not guard against other instances).
    pub in_process: Vec<LockHit>,
    /// How many workspace functions the region calls (for the note: "and the 3 functions it calls").
    pub callees: usize,
}

impl LockVerdict {
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Whether the lock found guards the whole job (not only a row claim).
    pub fn guards_whole_job(&self) -> bool {
        self.lock.as_ref().is_some_and(|h| !h.claim_only)
    }

    fn merge(&mut self, other: LockVerdict) {
        let better = match (&self.lock, &other.lock) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => a.claim_only && !b.claim_only,
            _ => false,
        };
        if better {
            self.lock = other.lock;
        }
        for hit in other.in_process {
            if !self.in_process.iter().any(|h| h.span == hit.span) {
                self.in_process.push(hit);
            }
        }
        self.callees += other.callees;
    }
}

/// The locks that guard what follows them (for notes).
macro_rules! held_locks {
    () => {
        "a Postgres advisory lock, MySQL `GET_LOCK`, a Redis `SET .. NX` lock, a Kubernetes lease, a ledger-row claim (`UPDATE .. SET lock_until = now() + .. WHERE .. lock_until <= now()`)"
    };
}

/// What the note says was looked for.
pub const LOOKED_FOR: &str = concat!(
    held_locks!(),
    ", a leader check, a `FOR UPDATE SKIP LOCKED` claim in a transaction, or a function named in `lock-functions` or `leader-functions`"
);

/// What the note says was looked for when the lock must be held at a site (`held_at`).
pub const LOOKED_FOR_HELD: &str = concat!(
    held_locks!(),
    ", a NATS KV `create` (a lock module on NATS), a leader check, or a function named in `lock-functions` or `leader-functions`"
);

/// Whether the region (and what it calls) reaches a cross-process lock; also the in-process locks it takes.
/// A lock that guards a whole job is preferred over a row claim (`FOR UPDATE SKIP LOCKED`).
pub fn reaches_lock(project: &Project, unit_idx: usize, region: RegionId) -> LockVerdict {
    let unit = &project.units[unit_idx];
    let callees = project.callees_in_region(unit_idx, region);
    let lock = scoped_lock(project, unit, region, Scope::Job)
        .or_else(|| through_callees(project, &callees, Scope::Job))
        .or_else(|| scoped_lock(project, unit, region, Scope::Claim))
        .or_else(|| through_callees(project, &callees, Scope::Claim));
    // In-process locks only in the body and the functions it calls directly: deeper ones are
    // too far from the job to name.
    let in_process = scoped_lock(project, unit, region, Scope::InProcess).or_else(|| {
        callees.iter().find_map(|f| {
            let fact = project.fn_fact(*f);
            scoped_lock(project, &project.units[f.file], fact.body, Scope::InProcess).map(
                |mut h| {
                    h.via = Some(fact.path.join("::"));
                    h
                },
            )
        })
    });
    LockVerdict {
        lock,
        in_process: in_process.into_iter().collect(),
        callees: callees.len(),
    }
}

/// The same for functions a job names (`build_fn(send_reminders)`, `tokio::spawn(run_loop(pool))`).
pub fn fns_reach_lock(project: &Project, fns: &[FnRef]) -> LockVerdict {
    let mut verdict = LockVerdict::default();
    for &f in fns {
        let mut v = reaches_lock(project, f.file, project.fn_fact(f).body);
        v.callees += 1;
        if v.lock.is_some() && v.lock.as_ref().is_some_and(|h| h.via.is_none()) {
            let name = project.fn_fact(f).path.join("::");
            if let Some(h) = v.lock.as_mut() {
                h.via = Some(name);
            }
        }
        verdict.merge(v);
    }
    verdict
}

/// Combines verdicts of several bodies of one job.
pub fn combine(verdicts: impl IntoIterator<Item = LockVerdict>) -> LockVerdict {
    let mut out = LockVerdict::default();
    for v in verdicts {
        out.merge(v);
    }
    out
}

/// Whether the function (or what it calls) reaches a cross-process lock (a row claim included).
pub fn fn_reaches_lock(project: &Project, f: FnRef) -> bool {
    lock_reach(project, Scope::Claim).contains(f)
}

/// Functions that reach a lock of the scope: `Job` (guards a whole job), `Claim` (any
/// cross-process lock, row claims included), `InProcess`.
fn lock_reach(
    project: &Project,
    scope: Scope,
) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    let key = match scope {
        Scope::Job => "job-lock",
        Scope::Claim => "lock",
        Scope::Held => "held-lock",
        Scope::InProcess => "in-process-lock",
    };
    project.reach(key, |unit, f| match scope {
        Scope::Job | Scope::Held => {
            scoped_lock(project, unit, f.body, scope).is_some() || is_user_lock_fn(project, f)
        }
        Scope::Claim => {
            direct_lock(project, unit, f.body, true).is_some() || is_user_lock_fn(project, f)
        }
        Scope::InProcess => scoped_lock(project, unit, f.body, Scope::InProcess).is_some(),
    })
}

fn through_callees(project: &Project, callees: &[FnRef], scope: Scope) -> Option<LockHit> {
    let reach = lock_reach(project, scope);
    let f = callees.iter().find(|f| reach.contains(**f))?;
    let fact = project.fn_fact(*f);
    let via = fact.path.join("::");
    // Name the primitive: follow the calls down to the function that holds it.
    let direct = |g: FnRef| {
        let body = project.fn_fact(g).body;
        match scope {
            Scope::Claim => direct_lock(project, &project.units[g.file], body, true),
            _ => scoped_lock(project, &project.units[g.file], body, scope),
        }
    };
    let mut inner = None;
    let mut cur = *f;
    for _ in 0..16 {
        if let Some(h) = direct(cur) {
            inner = Some(h);
            break;
        }
        let cur_body = project.fn_fact(cur).body;
        match project
            .callees_in_region(cur.file, cur_body)
            .into_iter()
            .find(|g| reach.contains(*g) && *g != cur)
        {
            Some(g) => cur = g,
            None => break,
        }
    }
    let cross = scope != Scope::InProcess;
    Some(match inner {
        Some(mut hit) => {
            hit.via = Some(via);
            hit
        }
        None if cross && is_user_lock_fn(project, fact) => user_fn_hit(project, *f, via),
        None => LockHit {
            name: if cross {
                "a lock".into()
            } else {
                "an in-process lock".into()
            },
            evidence: format!("`{via}`"),
            file: project.units[f.file].id,
            span: fact.ident_span,
            via: Some(via),
            claim_only: scope == Scope::Claim,
        },
    })
}

/// A side effect of the region that no lock covers, when the only cross-process lock it reaches
/// is a row claim: the claim guards its own statement (or the function that makes it), not the
/// job's other writes. `None` when the region takes a job-wide lock itself.
pub fn effect_outside_claims(
    project: &Project,
    unit_idx: usize,
    region: RegionId,
) -> Option<super::side_effects::Effect> {
    let unit = &project.units[unit_idx];
    if scoped_lock(project, unit, region, Scope::Job).is_some() {
        return None;
    }
    let reach = lock_reach(project, Scope::Claim);
    let facts = project.facts();
    let mut guards: Vec<Span> = vec![];
    for call in unit.facts.calls_within(region) {
        call.val.walk(&mut |v| {
            if matches!(v, Val::Call { .. } | Val::Method { .. })
                && project
                    .fn_index
                    .callees_of_val(&facts, unit_idx, v)
                    .iter()
                    .any(|f| reach.contains(*f))
            {
                guards.push(v.span());
            }
        });
    }
    for (text, span) in code_strings(project, unit, region) {
        let lower = text.to_ascii_lowercase();
        if project.catalog.lock.iter().any(|e| {
            e.cross_process
                && contains_any(&lower, &e.sql)
                && claim_holds(project, unit, region, e, text)
        }) {
            guards.push(span);
        }
    }
    // What runs only when a claim returned something: the branches of an `if`/`match` on its
    // result, and what follows a `let` bound to it in the same block.
    let mut gated: Vec<Span> = vec![];
    for g in &guards {
        for gate in unit.facts.gates.iter().filter(|x| x.cond.contains(*g)) {
            gated.push(gate.body);
        }
        for l in unit
            .facts
            .lets
            .iter()
            .filter(|l| l.init.span().contains(*g))
        {
            let block = unit.facts.region(l.region).span;
            gated.push(Span::new(l.span.end, block.end));
        }
    }
    super::side_effects::effect_sites(project, unit_idx, region)
        .into_iter()
        .find(|e| {
            !guards.iter().any(|g| g.contains(e.span)) && !gated.iter().any(|g| g.contains(e.span))
        })
}

fn user_fn_hit(project: &Project, f: FnRef, via: String) -> LockHit {
    LockHit {
        name: user_fn_name(project, &project.fn_fact(f).path, &via),
        evidence: format!("`{via}`"),
        file: project.units[f.file].id,
        span: project.fn_fact(f).ident_span,
        via: Some(via),
        claim_only: false,
    }
}

/// The configured lock and leader functions as path segments (`crate::` dropped).
fn user_lock_paths(project: &Project) -> Vec<Vec<&str>> {
    project
        .config
        .lock_functions
        .iter()
        .chain(&project.config.leader_functions)
        .map(|s| {
            s.split("::")
                .filter(|x| *x != "crate" && !x.is_empty())
                .collect()
        })
        .filter(|v: &Vec<&str>| !v.is_empty())
        .collect()
}

/// How a configured function is named in notes: `the lock function `x` (lock-functions)` or
/// `the leader check `x` (leader-functions)`.
fn user_fn_name(project: &Project, path: &[String], shown: &str) -> String {
    let is_leader = project.config.leader_functions.iter().any(|s| {
        let p: Vec<&str> = s
            .split("::")
            .filter(|x| *x != "crate" && !x.is_empty())
            .collect();
        !p.is_empty() && ends_with(path, &p)
    });
    if is_leader {
        format!("the leader check `{shown}` (leader-functions)")
    } else {
        format!("the lock function `{shown}` (lock-functions)")
    }
}

/// Whether a function definition is one the user named in `lock-functions`.
fn is_user_lock_fn(project: &Project, f: &FnFact) -> bool {
    user_lock_paths(project)
        .iter()
        .any(|p| ends_with(&f.path, p))
}
