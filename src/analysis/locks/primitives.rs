//! Lock primitives of the catalogue used directly in a region: statements in string literals,
//! calls and methods, row claims and the transactions they need, configured lock functions and
//! in-process locks.

use super::*;

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

pub(super) fn scoped_lock(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    scope: Scope,
) -> Option<LockHit> {
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
            && !pooled_session_lock(project, unit, region, text, span)
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
        return crate::analysis::claims::checked_claim(project, unit, region);
    }
    None
}

/// The catalog's lock primitives of a scope.
pub(super) fn entries(project: &Project, scope: Scope) -> Vec<&LockEntry> {
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
pub(super) fn text_lock<'e>(
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
            && crate::analysis::matchers::file_names_any(facts, &e.crates)
        {
            Some((*e, "\"NX\"".into()))
        } else {
            None
        }
    })
}

/// Whether lower-cased text holds every substring of one group, in order (whitespace runs read
/// as one space).
pub(super) fn contains_all_in_order(lower: &str, groups: &[Vec<String>]) -> bool {
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
pub(super) fn claim_holds(
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
        .any(|s| crate::analysis::matchers::sql_write(text, &s.sql_writes).is_some());
    writes || opens_transaction(project, unit, region, e)
}

/// Whether the region opens a transaction: `pool.begin()`, `conn.transaction(..)`, `"BEGIN"`.
pub(super) fn opens_transaction(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    e: &LockEntry,
) -> bool {
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
                (e.transaction_sql.iter()).any(|s| t.starts_with(&s.to_ascii_lowercase()))
            })
}

/// Whether lower-cased text contains one of the (case-insensitive) SQL substrings.
pub(super) fn contains_any(lower: &str, sql: &[String]) -> bool {
    sql.iter().any(|s| lower.contains(&s.to_ascii_lowercase()))
}

/// A call of a configured lock function: `leader::run_exclusive(..)` or a method of that name.
pub(super) fn user_lock_call(project: &Project, val: &Val, user: &[Vec<&str>]) -> Option<LockHit> {
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
pub(super) fn in_process_name(unit: &Unit, e: &LockEntry) -> Option<String> {
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
