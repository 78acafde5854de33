//! Held at a site: a lock taken before it in its function and not released in between, or a
//! closure passed to a function that takes one (`with_lock(&pool, || async { .. })`).

use super::*;

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

pub(super) fn takes_lock(project: &Project, unit_idx: usize, val: &Val, scope: Scope) -> bool {
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
                && !pooled_session_lock(project, unit, region, value, *span);
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

pub(super) fn text_releases(project: &Project, text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    project
        .catalog
        .lock
        .iter()
        .any(|e| e.cross_process && contains_any(&lower, &e.release_sql))
}

pub(super) fn method_releases(project: &Project, name: &str) -> bool {
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
            && !pooled_session_lock(project, &project.units[unit_idx], scope, text, span)
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
