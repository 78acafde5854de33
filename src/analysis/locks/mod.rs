//! "Reaches a cross-process lock": shared by the scheduler and migration rules.
//!
//! A region (a job's closure, a spawned block, a function body) is guarded when it, or a function
//! it calls (propagated through the workspace to a fixpoint), uses a lock primitive of
//! `rules/catalog/locks.toml` that excludes other processes, or calls a function the user named
//! in `lock-functions`. In-process locks (`tokio::sync::Mutex`, ...) are reported separately so a
//! note can say that they do not count.

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

/// A lock primitive used directly in the region (not through calls): cross-process (a lock that
/// guards a job first, else a row claim) or in-process.
pub fn direct_lock(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    cross: bool,
) -> Option<LockHit> {
    if cross {
        scoped_lock(project, unit, region, Scope::Job)
            .or_else(|| scoped_lock(project, unit, region, Scope::Claim))
    } else {
        scoped_lock(project, unit, region, Scope::InProcess)
    }
}

fn scoped_lock(project: &Project, unit: &Unit, region: RegionId, scope: Scope) -> Option<LockHit> {
    let facts = &unit.facts;
    let entries = entries(project, scope);
    let cross = scope != Scope::InProcess;
    let hit = |name: &str, evidence: String, span: Span| LockHit {
        name: name.to_string(),
        evidence,
        file: unit.id,
        span,
        via: None,
        claim_only: scope == Scope::Claim,
    };
    for (text, span) in code_strings(project, unit, region) {
        if let Some((e, evidence)) = text_lock(facts, text, &entries)
            && claim_holds(project, unit, region, e, text)
            && !pooled_session_lock(unit, region, text, span)
        {
            return Some(hit(&e.name, evidence, span));
        }
    }
    let user = if matches!(scope, Scope::Job | Scope::Held) {
        user_lock_paths(project)
    } else {
        vec![]
    };
    for call in facts.calls_within(region) {
        for e in &entries {
            if let Some((evidence, span)) = match_patterns(facts, &call.val, e.patterns())
                && (!e.needs_transaction || opens_transaction(project, unit, region, e))
            {
                let name = if cross {
                    e.name.clone()
                } else {
                    in_process_name(unit, e).unwrap_or_else(|| e.name.clone())
                };
                return Some(hit(&name, evidence, span));
            }
        }
        if !user.is_empty()
            && let Some(h) = user_lock_call(project, &call.val, &user)
        {
            return Some(LockHit { file: unit.id, ..h });
        }
    }
    if scope == Scope::Job {
        return super::claims::checked_claim(project, unit, region);
    }
    None
}

/// The catalog's lock primitives of a scope.
fn entries(project: &Project, scope: Scope) -> Vec<&LockEntry> {
    project
        .catalog
        .lock
        .iter()
        .filter(|e| match scope {
            Scope::Job => e.cross_process && !e.claim_only && !e.held_only,
            Scope::Held => e.cross_process && !e.claim_only,
            Scope::Claim => e.cross_process && e.claim_only,
            Scope::InProcess => !e.cross_process,
        })
        .collect()
}

/// The entry whose SQL a string literal holds (or the raw Redis `"NX"`), with the evidence.
fn text_lock<'e>(
    facts: &FileFacts,
    text: &str,
    entries: &[&'e LockEntry],
) -> Option<(&'e LockEntry, String)> {
    let lower = text.to_ascii_lowercase();
    entries.iter().find_map(|e| {
        if contains_any(&lower, &e.sql) || contains_all_in_order(&lower, &e.sql_all) {
            Some((*e, format!("{text:?}")))
        } else if e.redis_nx_literal
            && text.eq_ignore_ascii_case("nx")
            && super::matchers::file_names_any(facts, &e.crates)
        {
            Some((*e, "\"NX\"".into()))
        } else {
            None
        }
    })
}

/// Whether lower-cased text holds every substring of one group, in order (whitespace runs read
/// as one space).
fn contains_all_in_order(lower: &str, groups: &[Vec<String>]) -> bool {
    if groups.is_empty() {
        return false;
    }
    let text = format!(
        " {} ",
        lower.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    groups.iter().any(|group| {
        let mut at = 0;
        group.iter().all(|piece| {
            let piece = piece.to_ascii_lowercase();
            match text[at..].find(&piece) {
                Some(i) => {
                    at += i + piece.len();
                    true
                }
                None => false,
            }
        })
    })
}

/// Whether a claim that holds only inside a transaction (`needs-transaction`) holds where it is:
/// its statement also writes, or the region opens a transaction.
fn claim_holds(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    e: &LockEntry,
    text: &str,
) -> bool {
    if !e.needs_transaction {
        return true;
    }
    let writes = project
        .catalog
        .side_effect
        .iter()
        .any(|s| super::matchers::sql_write(text, &s.sql_writes).is_some());
    writes || opens_transaction(project, unit, region, e)
}

/// Whether the region opens a transaction: `pool.begin()`, `conn.transaction(..)`, `"BEGIN"`.
fn opens_transaction(project: &Project, unit: &Unit, region: RegionId, e: &LockEntry) -> bool {
    let by_method = unit.facts.calls_within(region).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Val::Method { name, .. } = v {
                hit |= e.transaction_methods.iter().any(|m| m == name);
            }
        });
        hit
    });
    by_method
        || code_strings(project, unit, region)
            .into_iter()
            .any(|(t, _)| {
                let t = t.trim_start().to_ascii_lowercase();
                t.starts_with("begin") || t.starts_with("start transaction")
            })
}

/// A claim that does not hold where it is taken (`FOR UPDATE SKIP LOCKED` in autocommit), in the
/// regions or the functions they call: a guard the code meant to take, for the note.
pub fn broken_claim(project: &Project, regions: &[(usize, RegionId)]) -> Option<LockHit> {
    let entries: Vec<&LockEntry> = project
        .catalog
        .lock
        .iter()
        .filter(|e| e.cross_process && e.needs_transaction)
        .collect();
    if entries.is_empty() {
        return None;
    }
    lock_text_in(
        project,
        regions,
        &entries,
        true,
        |unit, region, e, text, _| !claim_holds(project, unit, region, e, text),
    )
}

/// A function the regions call (or the functions they call, two levels down) whose name says it
/// is a leader check or a lock (`is_leader`, `dist_lock::lock`) but that reaches no cross-process
/// primitive scalelint knows: for the note, which says how to declare it.
pub fn guard_candidate(project: &Project, regions: &[(usize, RegionId)]) -> Option<(FnRef, bool)> {
    let looks = |name: &str| {
        let n = name.to_ascii_lowercase();
        let leader = n.contains("leader") || n.contains("primary");
        let lock = n
            .split('_')
            .any(|w| matches!(w, "lock" | "locked" | "lease" | "mutex"))
            || n.starts_with("try_lock")
            || n.contains("dist_lock");
        (leader || lock).then_some(leader)
    };
    let mut level: Vec<FnRef> = regions
        .iter()
        .flat_map(|&(u, r)| project.callees_in_region(u, r))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let mut next = vec![];
        for f in level {
            if !seen.insert(f) {
                continue;
            }
            let fact = project.fn_fact(f);
            let in_module = fact.path.iter().rev().skip(1).any(|m| looks(m).is_some());
            if let Some(leader) = looks(&fact.name).or(in_module.then_some(false)) {
                return Some((f, leader));
            }
            next.extend(project.callees_in_region(f.file, fact.body));
        }
        level = next;
    }
    None
}

/// A leader elected from the cluster's membership, bound in the job and checked before the work:
/// `let is_leader = match cluster::get_cached_nodes(..).await { Some(n) => n[0].uuid == me, .. }`.
/// Every instance reads the same member list (kept by the coordination service the cluster
/// registers in) and only one finds itself first. The binding's name says it is a leader check;
/// its initialiser must read the membership (a call whose path names the cluster, its nodes,
/// members or peers), so a process-local flag named `is_leader` is not one.
pub fn membership_leader(
    unit: &Unit,
    within: impl Fn(&crate::facts::LetFact) -> bool,
) -> Option<LockHit> {
    unit.facts.lets.iter().filter(|l| within(l)).find_map(|l| {
        let name = l.name.to_ascii_lowercase();
        if !name.contains("leader") {
            return None;
        }
        let mut reads = None;
        // The initialiser's calls (a `match` on the member list is not one value).
        for c in unit
            .facts
            .calls
            .iter()
            .filter(|c| l.span.contains(c.val.span()))
        {
            c.val.walk(&mut |v| {
                if reads.is_none()
                    && let Some(p) = v.call_path()
                    && p.iter().any(|s| {
                        let s = s.to_ascii_lowercase();
                        ["cluster", "nodes", "members", "peers"]
                            .iter()
                            .any(|w| s.contains(w))
                    })
                {
                    reads = Some(p.join("::"));
                }
            });
        }
        reads.map(|via| LockHit {
            name: "a leader elected from the cluster membership".into(),
            evidence: format!("`{}` from `{via}(..)`", l.name),
            file: unit.id,
            span: l.span,
            via: Some(via),
            claim_only: false,
        })
    })
}

/// A function named as a leader check that elects from the cluster's membership: `async fn
/// is_scan_leader() -> bool { let nodes = cluster::get_cached_nodes(..).await; nodes[0].uuid ==
/// LOCAL_NODE.uuid }`. The same election as [`membership_leader`], behind a call: its name says
/// it is a leader check, and its body must read the member list (a call whose path names the
/// cluster, its nodes, members or peers) and compare with this node.
pub fn membership_leader_fn(project: &Project, f: FnRef) -> Option<LockHit> {
    let fact = project.fn_fact(f);
    let name = fact.name.to_ascii_lowercase();
    // A question about this node (`is_leader`, `is_scan_leader`, `am_leader`), not an action
    // (`notify_leader`).
    if !name.contains("leader") || !(name.starts_with("is_") || name.starts_with("am_")) {
        return None;
    }
    let unit = &project.units[f.file];
    let mut reads = None;
    for c in unit.facts.calls_within(fact.body) {
        c.val.walk(&mut |v| {
            if reads.is_none()
                && let Some(p) = v.call_path()
                && p.iter().any(|s| {
                    let s = s.to_ascii_lowercase();
                    ["cluster", "nodes", "members", "peers"]
                        .iter()
                        .any(|w| s.contains(w))
                })
            {
                reads = Some(p.join("::"));
            }
        });
    }
    let via = reads?;
    Some(LockHit {
        name: "a leader elected from the cluster membership".into(),
        evidence: format!("`{}` reads `{via}(..)`", fact.path.join("::")),
        file: unit.id,
        span: fact.ident_span,
        via: Some(fact.path.join("::")),
        claim_only: false,
    })
}

/// Methods that run a statement on the executor they are given (sqlx, diesel) or called on
/// (tokio-postgres, sea-orm).
const EXECUTORS: &[&str] = &[
    "execute",
    "fetch_one",
    "fetch_optional",
    "fetch_all",
    "fetch",
    "get_result",
    "get_results",
    "load",
    "first",
    "query_one",
    "query_opt",
    "query",
    "query_all",
    "batch_execute",
];

/// Whether a session-level lock statement (`pg_try_advisory_lock`, `pg_advisory_lock`,
/// `GET_LOCK`; not the `_xact_` forms) at `span` runs on a pool rather than on one connection held
/// in a binding: `fetch_one(&pool)`, `fetch_one(&self.pool)`, a `&PgPool` / `DatabaseConnection`
/// parameter, or a temporary `&mut *pool.acquire().await?`. The lock then stays on whichever
/// pooled connection ran it; the unlock, or the next tick's check, may run on another.
pub fn pooled_session_lock(unit: &Unit, region: RegionId, text: &str, span: Span) -> bool {
    let lower = text.to_ascii_lowercase();
    let session = (lower.contains("pg_try_advisory_lock") || lower.contains("pg_advisory_lock"))
        && !lower.contains("xact")
        || lower.contains("get_lock(");
    if !session {
        return false;
    }
    let facts = &unit.facts;
    let Some(call) = facts
        .calls_within(region)
        .find(|c| c.val.span().contains(span))
    else {
        return false;
    };
    let (root, links) = call.val.chain();
    for l in links.iter().chain(std::iter::once(&root)) {
        let Val::Method {
            name, args, recv, ..
        } = l
        else {
            continue;
        };
        if !EXECUTORS.contains(&name.as_str()) {
            continue;
        }
        // tokio-postgres / sea-orm: the executor is the receiver when the text is an argument.
        let text_is_arg = args.first().is_some_and(|a| a.span().contains(span));
        let exec = if text_is_arg {
            &**recv
        } else {
            match args.first() {
                Some(a) => a,
                None => continue,
            }
        };
        return is_pool(facts, call.region, exec);
    }
    false
}

/// Whether an executor expression is a pool (or a connection borrowed from one for one statement).
fn is_pool(facts: &FileFacts, region: RegionId, v: &Val) -> bool {
    let pool_type = |ty: &str| {
        (ty.contains("Pool") && !ty.contains("PoolConnection") && !ty.contains("PooledConnection"))
            || ty.contains("DatabaseConnection")
    };
    match v {
        // A connection taken for this statement only: `&mut *pool.acquire().await?`.
        Val::Method { .. } => v.chain().1.iter().any(|l| {
            l.method_name()
                .is_some_and(|m| matches!(m, "get" | "acquire" | "get_conn" | "get_connection"))
        }),
        Val::Field { name, .. } => name.to_ascii_lowercase().contains("pool"),
        Val::Path { path, .. } if path.len() == 1 => {
            let name = &path[0];
            if let Some(b) = facts.binding(name, region) {
                // `let conn = pool.acquire().await?` holds one connection: not a pool.
                let (root, links) = b.init.chain();
                let takes_one = links.iter().any(|l| {
                    l.method_name().is_some_and(|m| {
                        matches!(m, "get" | "acquire" | "get_conn" | "begin" | "transaction")
                    })
                });
                if takes_one {
                    return false;
                }
                return root.call_path().is_some_and(|p| {
                    p.iter().any(|s| s.contains("Pool"))
                        || p.last().is_some_and(|l| l.starts_with("connect"))
                }) || links
                    .iter()
                    .any(|l| l.method_name().is_some_and(|m| m.starts_with("connect")));
            }
            facts
                .enclosing_fn(region)
                .is_some_and(|f| f.params.iter().any(|p| &p.name == name && pool_type(&p.ty)))
        }
        _ => false,
    }
}

/// A session-level lock the regions (or what they call) take through a pool: for the finding.
pub fn pooled_lock(project: &Project, regions: &[(usize, RegionId)]) -> Option<LockHit> {
    let entries = entries(project, Scope::Job);
    lock_text_in(
        project,
        regions,
        &entries,
        false,
        |unit, region, _, text, span| pooled_session_lock(unit, region, text, span),
    )
}

/// The first lock text of `entries` in the regions, or in the functions they call (four calls
/// deep), that `accept` takes: where a guard the code meant to take is found.
fn lock_text_in(
    project: &Project,
    regions: &[(usize, RegionId)],
    entries: &[&LockEntry],
    claim_only: bool,
    accept: impl Fn(&Unit, RegionId, &LockEntry, &str, Span) -> bool,
) -> Option<LockHit> {
    let mut todo: Vec<(usize, RegionId, Option<String>, usize)> =
        regions.iter().map(|&(u, r)| (u, r, None, 0)).collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((u, region, via, depth)) = todo.pop() {
        let unit = &project.units[u];
        for (text, span) in code_strings(project, unit, region) {
            if let Some((e, evidence)) = text_lock(&unit.facts, text, entries)
                && accept(unit, region, e, text, span)
            {
                return Some(LockHit {
                    name: e.name.clone(),
                    evidence,
                    file: unit.id,
                    span,
                    via,
                    claim_only,
                });
            }
        }
        if depth < 4 {
            for f in project.callees_in_region(u, region) {
                if seen.insert(f) {
                    let fact = project.fn_fact(f);
                    todo.push((f.file, fact.body, Some(fact.path.join("::")), depth + 1));
                }
            }
        }
    }
    None
}

/// Whether lower-cased text contains one of the (case-insensitive) SQL substrings.
fn contains_any(lower: &str, sql: &[String]) -> bool {
    sql.iter().any(|s| lower.contains(&s.to_ascii_lowercase()))
}

// ---------------------------------------------------------------------------------------------
// Held at a site: a lock taken before it in its function and not released in between, or a
// closure passed to a function that takes one (`with_lock(&pool, || async { .. })`).
// ---------------------------------------------------------------------------------------------

/// Whether `val` may call a workspace function of the reach set.
pub fn calls_into(
    project: &Project,
    unit_idx: usize,
    val: &Val,
    reach: &crate::analysis::call_graph::Reach,
) -> bool {
    project
        .fn_index
        .callees_of_val(&project.facts(), unit_idx, val)
        .into_iter()
        .any(|f| reach.contains(f))
}

/// Whether `val` (a call or method chain) takes a cross-process lock that guards what follows it:
/// a primitive in the call itself, a function named in `lock-functions`, or a workspace function
/// that reaches one. Row claims do not count: they guard only their own statement.
pub fn val_takes_lock(project: &Project, unit_idx: usize, val: &Val) -> bool {
    takes_lock(project, unit_idx, val, Scope::Job)
}

/// The same, for a lock that must be held at a site (`held_at`, `in_lock_helper`): the
/// `held-only` primitives count too (the project's own lock module on NATS KV).
pub fn val_holds_lock(project: &Project, unit_idx: usize, val: &Val) -> bool {
    takes_lock(project, unit_idx, val, Scope::Held)
}

fn takes_lock(project: &Project, unit_idx: usize, val: &Val, scope: Scope) -> bool {
    let unit = &project.units[unit_idx];
    let facts = &unit.facts;
    let reach = lock_reach(project, scope);
    if calls_into(project, unit_idx, val, &reach) {
        return true;
    }
    let entries = entries(project, scope);
    if entries
        .iter()
        .any(|e| match_patterns(facts, val, e.patterns()).is_some())
    {
        return true;
    }
    let user = user_lock_paths(project);
    if !user.is_empty() && user_lock_call(project, val, &user).is_some() {
        return true;
    }
    let region = facts
        .calls
        .iter()
        .find(|c| c.val.span().contains(val.span()))
        .map_or(0, |c| c.region);
    let mut hit = false;
    val.walk(&mut |v| {
        if let Val::Str { value, span } = v {
            hit |= text_lock(facts, value, &entries).is_some()
                && !pooled_session_lock(unit, region, value, *span);
        }
    });
    hit
}

/// Whether `val` releases a cross-process lock (`pg_advisory_unlock`, `guard.release_now()`),
/// itself or through a workspace function it calls.
pub fn val_releases_lock(project: &Project, unit_idx: usize, val: &Val) -> bool {
    let reach = project.reach("lock-release", |u, f| {
        code_strings(project, u, f.body)
            .into_iter()
            .any(|(t, _)| text_releases(project, t))
            || u.facts.calls_within(f.body).any(|c| {
                c.val
                    .chain()
                    .1
                    .iter()
                    .any(|l| l.method_name().is_some_and(|m| method_releases(project, m)))
            })
    });
    if calls_into(project, unit_idx, val, &reach) {
        return true;
    }
    let mut hit = false;
    val.walk(&mut |v| match v {
        Val::Method { name, .. } => hit |= method_releases(project, name),
        Val::Str { value, .. } => hit |= text_releases(project, value),
        _ => {}
    });
    hit
}

fn text_releases(project: &Project, text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    project
        .catalog
        .lock
        .iter()
        .any(|e| e.cross_process && contains_any(&lower, &e.release_sql))
}

fn method_releases(project: &Project, name: &str) -> bool {
    project
        .catalog
        .lock
        .iter()
        .any(|e| e.cross_process && e.release_methods.iter().any(|m| m == name))
}

/// Whether the region runs inside a closure or async block passed to a call that takes a lock
/// (`with_migration_lock(&client, || async { .. })`, `leader::run_exclusive(|| ..)`).
pub fn in_lock_helper(project: &Project, unit_idx: usize, region: RegionId) -> bool {
    let facts = &project.units[unit_idx].facts;
    facts.ancestors(region).any(|(_, r)| {
        let Some(arg_of) = &r.arg_of else {
            return false;
        };
        // The call as a value with no arguments: only its callee matters.
        let span = arg_of.call_span;
        let v = if arg_of.method {
            Val::Method {
                recv: Box::new(Val::Other { span }),
                name: arg_of.callee.last().cloned().unwrap_or_default(),
                name_span: span,
                args: vec![],
                span,
            }
        } else {
            Val::Call {
                func: Box::new(Val::Path {
                    path: arg_of.callee.clone(),
                    span,
                }),
                args: vec![],
                span,
            }
        };
        val_holds_lock(project, unit_idx, &v)
    })
}

/// Whether a cross-process lock is held at `site`: taken before it in `scope` (the enclosing
/// function) and not released in between. A call that both takes and releases holds nothing
/// afterwards, nor does one for which `scoped` says it holds its lock only while it runs.
pub fn held_at(
    project: &Project,
    unit_idx: usize,
    scope: RegionId,
    site: Span,
    scoped: impl Fn(&Val) -> bool,
) -> bool {
    let facts = &project.units[unit_idx].facts;
    let job = entries(project, Scope::Held);
    // Locks and unlocks before the site, in order: the last one must be a lock.
    let mut events: Vec<(usize, bool)> = vec![];
    for (text, span) in code_strings(project, &project.units[unit_idx], scope)
        .into_iter()
        .filter(|(_, s)| s.start < site.start)
    {
        if text_lock(facts, text, &job).is_some()
            && !pooled_session_lock(&project.units[unit_idx], scope, text, span)
        {
            events.push((span.start, true));
        } else if text_releases(project, text) {
            events.push((span.start, false));
        }
    }
    for c in facts
        .calls_within(scope)
        .filter(|c| c.val.span().end <= site.start)
    {
        let locks = val_holds_lock(project, unit_idx, &c.val);
        let unlocks = val_releases_lock(project, unit_idx, &c.val);
        if locks != unlocks && !(locks && scoped(&c.val)) {
            events.push((c.val.span().start, locks));
        }
    }
    events.sort();
    events.last().is_some_and(|(_, open)| *open)
}

/// A call of a configured lock function: `leader::run_exclusive(..)` or a method of that name.
fn user_lock_call(project: &Project, val: &Val, user: &[Vec<&str>]) -> Option<LockHit> {
    let mut out = None;
    val.walk(&mut |v| {
        if out.is_some() {
            return;
        }
        let (name, span) = match v {
            Val::Call { func, span, .. } => match &**func {
                Val::Path { path, .. } => {
                    let found = user.iter().find(|p| ends_with(path, p));
                    match found {
                        Some(_) => (path.join("::"), *span),
                        None => return,
                    }
                }
                _ => return,
            },
            Val::Method {
                name,
                name_span,
                span,
                ..
            } if user.iter().any(|p| p.len() == 1 && p[0] == name) => {
                (name.clone(), Span::new(name_span.start, span.end))
            }
            _ => return,
        };
        let path: Vec<String> = name.split("::").map(String::from).collect();
        out = Some(LockHit {
            name: user_fn_name(project, &path, &name),
            evidence: format!("`{name}(..)`"),
            file: 0,
            span,
            via: None,
            claim_only: false,
        });
    });
    out
}

/// The type of an in-process lock the file uses: `tokio::sync::Mutex` from `Mutex::new(..)`.
fn in_process_name(unit: &Unit, e: &LockEntry) -> Option<String> {
    let mut found = None;
    for call in &unit.facts.calls {
        call.val.walk(&mut |v| {
            if found.is_some() {
                return;
            }
            if let Val::Path { path, .. } = v
                && let Some(i) = path.iter().position(|s| e.types.contains(s))
                && i > 0
                && e.type_crates.contains(&path[0])
            {
                found = Some(path[..=i].join("::"));
            }
        });
        if found.is_some() {
            break;
        }
    }
    found.map(|t| format!("a `{t}`"))
}
