//! Guard detection: the shared lock primitives (`locks.rs`, `rules/catalog/locks.toml`), with the
//! order that a migration needs: the lock is held when the run starts.

use super::*;

/// Whether a cross-process lock is taken before `site` in its function and still held there, or
/// the site runs inside a closure passed to a lock-taking function.
pub(super) fn guarded_by_lock(
    project: &Project,
    unit_idx: usize,
    site: Span,
    region: RegionId,
) -> bool {
    if locks::in_lock_helper(project, unit_idx, region) {
        return true;
    }
    let Some(scope) = enclosing_fn_region(&project.units[unit_idx].facts, region) else {
        return false;
    };
    // A helper that migrates under its own lock holds nothing once it returns.
    locks::held_at(project, unit_idx, scope, site, |v| {
        val_runs_migrations(project, unit_idx, v)
    })
}

/// Whether a call may invoke a workspace function that applies migrations.
pub(super) fn val_runs_migrations(project: &Project, unit_idx: usize, val: &Val) -> bool {
    locks::calls_into(project, unit_idx, val, &runs_reach(project))
}

/// The workspace functions that apply migrations through a library's runner, or call one.
pub(super) fn runs_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    // Computed only when the reach set is not cached yet.
    let direct: std::cell::OnceCell<BTreeSet<(usize, usize)>> = std::cell::OnceCell::new();
    project.reach("unlocked-migration:runs", |u, f: &FnFact| {
        let direct = direct.get_or_init(|| {
            let mut set = BTreeSet::new();
            for (i, u) in project.units.iter().enumerate() {
                for run in find_runs(project, u) {
                    if let Some(f) = enclosing_fn_idx(&u.facts, run.region) {
                        set.insert((i, f));
                    }
                }
            }
            set
        });
        let i = project.unit_index(u);
        u.facts
            .fns
            .iter()
            .position(|g| std::ptr::eq(g, f))
            .is_some_and(|idx| direct.contains(&(i, idx)))
    })
}

/// Why a site is not a finding: a lock before it, a dedicated migrate binary or subcommand, or
/// every service caller of its function being protected.
pub(super) fn protected(
    project: &Project,
    unit_idx: usize,
    site: Span,
    region: RegionId,
    depth: usize,
    visited: &mut BTreeSet<FnRef>,
) -> Option<&'static str> {
    let unit = &project.units[unit_idx];
    if single_instance(project, unit) {
        return Some("single-instance");
    }
    if migrate_bin(project, unit) {
        return Some("migrate binary");
    }
    if in_migrate_arm(project, unit, site) {
        return Some("migrate subcommand");
    }
    if guarded_by_lock(project, unit_idx, site, region) {
        return Some("lock");
    }
    if depth >= 8 {
        return None;
    }
    let fn_idx = enclosing_fn_idx(&unit.facts, region)?;
    let target = FnRef {
        file: unit_idx,
        idx: fn_idx,
    };
    if !visited.insert(target) {
        // A cycle adds nothing.
        return Some("cycle");
    }
    let mut callers = vec![];
    let mut test_callers = 0;
    for c in project.callers_of(target) {
        if project.units[c.unit].is_service_region(c.region) {
            callers.push((c.unit, c.span, c.region));
        } else {
            test_callers += 1;
        }
    }
    if callers.is_empty() {
        // Only tests call it: a test helper. No caller at all: an entry point, or called from outside.
        return (test_callers > 0).then_some("test helper");
    }
    let mut why = None;
    for (i, span, r) in callers {
        match protected(project, i, span, r, depth + 1, visited) {
            Some(w) => why = Some(w),
            None => return None,
        }
    }
    why
}
