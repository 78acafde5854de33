//! Guards the code meant to take that do not hold: a row claim in autocommit, a session-level
//! lock taken through a pool.

use super::*;

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

/// Whether a session-level lock statement (`pg_try_advisory_lock`, `pg_advisory_lock`,
/// `GET_LOCK`; not the `_xact_` forms) at `span` runs on a pool rather than on one connection held
/// in a binding: `fetch_one(&pool)`, `fetch_one(&self.pool)`, a `&PgPool` / `DatabaseConnection`
/// parameter, or a temporary `&mut *pool.acquire().await?`. The lock then stays on whichever
/// pooled connection ran it; the unlock, or the next tick's check, may run on another.
pub fn pooled_session_lock(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    text: &str,
    span: Span,
) -> bool {
    let lower = text.to_ascii_lowercase();
    let session =
        project.catalog.lock.iter().any(|e| {
            contains_any(&lower, &e.session_sql) && !contains_any(&lower, &e.session_sql_not)
        });
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
        if !(project.catalog.statement_executor.iter())
            .flat_map(|e| &e.methods)
            .any(|m| m == name)
        {
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
pub(super) fn is_pool(facts: &FileFacts, region: RegionId, v: &Val) -> bool {
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
        |unit, region, _, text, span| pooled_session_lock(project, unit, region, text, span),
    )
}

/// The first lock text of `entries` in the regions, or in the functions they call (four calls
/// deep), that `accept` takes: where a guard the code meant to take is found.
pub(super) fn lock_text_in(
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
