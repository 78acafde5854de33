//! Leader checks: an election from the cluster's membership, in the job or behind a function,
//! and functions named like a lock or leader check that reach no primitive scalelint knows.

use super::*;

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
