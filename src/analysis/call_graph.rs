//! The workspace-wide function map and "reaches X" propagated to a fixpoint:
//! a job that calls `leader::run_exclusive(..)` is locked if that function takes a lock.

use crate::facts::{FileFacts, FnIdx, RegionId, RegionKind, Val};
use std::collections::HashMap;

/// A function of the workspace: the file (index in the workspace's file list) and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnRef {
    pub file: usize,
    pub idx: FnIdx,
}

/// Above this many same-named functions, a call by that name is not resolved at all.
const MAX_CANDIDATES: usize = 8;

pub struct FnIndex {
    by_name: HashMap<String, Vec<FnRef>>,
    /// For each function (in `all` order), the functions its body may call.
    callees: Vec<Vec<usize>>,
    all: Vec<FnRef>,
    position: HashMap<FnRef, usize>,
    /// The library name of each file's crate (`coordination`), so `coordination::exclusive(..)`
    /// from a sibling crate resolves; empty when unknown.
    file_crates: Vec<String>,
}

impl FnIndex {
    pub fn build(files: &[&FileFacts]) -> FnIndex {
        FnIndex::build_with_crates(files, vec![])
    }

    /// `file_crates[i]` is the library name of the crate of `files[i]`.
    pub fn build_with_crates(files: &[&FileFacts], file_crates: Vec<String>) -> FnIndex {
        let mut by_name: HashMap<String, Vec<FnRef>> = HashMap::new();
        let mut all = vec![];
        for (file, facts) in files.iter().enumerate() {
            for (idx, f) in facts.fns.iter().enumerate() {
                let r = FnRef { file, idx };
                by_name.entry(f.name.clone()).or_default().push(r);
                all.push(r);
            }
        }
        let position: HashMap<FnRef, usize> =
            all.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        let mut index = FnIndex {
            by_name,
            callees: vec![],
            all,
            position,
            file_crates,
        };
        // Each call belongs to the innermost function around it; regions come after their parents.
        let mut calls_of: Vec<Vec<usize>> = vec![vec![]; index.all.len()];
        for (file, facts) in files.iter().enumerate() {
            let mut fn_of_region: Vec<Option<usize>> = Vec::with_capacity(facts.regions.len());
            for region in &facts.regions {
                let own = match region.kind {
                    RegionKind::Fn(idx) => index.position.get(&FnRef { file, idx }).copied(),
                    _ => None,
                };
                fn_of_region.push(own.or_else(|| {
                    region
                        .parent
                        .and_then(|p| fn_of_region.get(p).copied().flatten())
                }));
            }
            for call in &facts.calls {
                let Some(caller) = fn_of_region.get(call.region).copied().flatten() else {
                    continue;
                };
                for target in index.callees_of_val(files, file, &call.val) {
                    if let Some(&t) = index.position.get(&target) {
                        calls_of[caller].push(t);
                    }
                }
            }
        }
        let callees: Vec<Vec<usize>> = calls_of
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        index.callees = callees;
        index
    }

    /// Every function of the workspace with this name.
    pub fn named(&self, name: &str) -> &[FnRef] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Functions of the workspace that a call (or any call in its chain and arguments) may invoke.
    pub fn callees_of_val(&self, files: &[&FileFacts], file: usize, val: &Val) -> Vec<FnRef> {
        let mut out = vec![];
        val.walk(&mut |v| match v {
            Val::Call { func, .. } => {
                if let Val::Path { path, .. } = &**func {
                    out.extend(self.resolve_path(files, file, path));
                }
            }
            Val::Method { name, .. } => {
                // A method name many types define (`new`, `into`, `fmt`) says nothing about the callee.
                if let Some(cands) = self.by_name.get(name).filter(|c| c.len() <= MAX_CANDIDATES) {
                    out.extend(cands.iter().filter(|r| files[r.file].fns[r.idx].has_self));
                }
            }
            // A function passed by name: `tokio::spawn(run_cleanup(pool))` is a call; `spawn(job)` is not.
            _ => {}
        });
        out
    }

    /// The methods named `name` that `file` itself defines, however many other types define one.
    pub fn methods_in_file(&self, files: &[&FileFacts], file: usize, name: &str) -> Vec<FnRef> {
        self.by_name.get(name).map_or(vec![], |c| {
            c.iter()
                .copied()
                .filter(|r| r.file == file && files[r.file].fns[r.idx].has_self)
                .collect()
        })
    }

    /// The functions a path call may name: same name, and the qualifying segments agree.
    pub fn resolve_path(&self, files: &[&FileFacts], file: usize, path: &[String]) -> Vec<FnRef> {
        let Some(name) = path.last() else {
            return vec![];
        };
        let Some(cands) = self.by_name.get(name) else {
            return vec![];
        };
        let qualifier: Vec<&str> = path[..path.len() - 1]
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "crate")
            .collect();
        if qualifier.is_empty() {
            // A bare name: prefer a free function of the same file, then any free function.
            let same: Vec<FnRef> = cands
                .iter()
                .copied()
                .filter(|r| r.file == file && !files[r.file].fns[r.idx].is_method)
                .collect();
            if !same.is_empty() {
                return same;
            }
            return cands
                .iter()
                .copied()
                .filter(|r| !files[r.file].fns[r.idx].is_method)
                .collect();
        }
        let last_q = *qualifier.last().unwrap();
        cands
            .iter()
            .copied()
            .filter(|r| {
                let f = &files[r.file].fns[r.idx];
                // `module::f`, `Type::f`, or a path whose qualifier names the file's module.
                if f.path[..f.path.len() - 1].iter().any(|s| s == last_q) {
                    return true;
                }
                // `other_crate::f` (a re-export at its root, or its own root function), from a
                // sibling crate of the workspace.
                qualifier.len() == 1
                    && !f.is_method
                    && self
                        .file_crates
                        .get(r.file)
                        .is_some_and(|c| !c.is_empty() && c == qualifier[0])
            })
            .collect()
    }

    /// Every function that satisfies `direct` or calls (transitively) one that does.
    pub fn fixpoint(&self, direct: impl Fn(FnRef) -> bool) -> Reach {
        self.fixpoint_except(direct, |_| false)
    }

    /// The same, where a `blocked` function is never reached and passes nothing to its callers.
    pub fn fixpoint_except(
        &self,
        direct: impl Fn(FnRef) -> bool,
        blocked: impl Fn(FnRef) -> bool,
    ) -> Reach {
        let blocked: Vec<bool> = self.all.iter().map(|r| blocked(*r)).collect();
        let mut reached: Vec<bool> = self
            .all
            .iter()
            .zip(&blocked)
            .map(|(r, b)| !b && direct(*r))
            .collect();
        loop {
            let mut changed = false;
            for i in 0..self.all.len() {
                if !reached[i] && !blocked[i] && self.callees[i].iter().any(|&c| reached[c]) {
                    reached[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Reach {
            reached,
            position: self.position.clone(),
        }
    }

    pub fn get(&self, files: &[&FileFacts], r: FnRef) -> Option<(usize, RegionId)> {
        files
            .get(r.file)
            .and_then(|f| f.fns.get(r.idx))
            .map(|f| (r.file, f.body))
    }
}

pub struct Reach {
    reached: Vec<bool>,
    position: HashMap<FnRef, usize>,
}

impl Reach {
    pub fn contains(&self, r: FnRef) -> bool {
        self.position.get(&r).is_some_and(|&i| self.reached[i])
    }
}
