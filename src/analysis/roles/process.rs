//! Which code can run in the same process. A crate with no library target (only binaries) is
//! linked into its own executables and nothing else, and each binary's own files are in that
//! binary only: a call from one executable's code can never run another executable's function,
//! whatever names they share (`handle_args` of an admin CLI is not the builder's `handle_args`).

use crate::project::Project;
use crate::workspace::Role as FileRole;

pub(super) struct Processes {
    /// Crates with no library target: their code runs only in their own binaries.
    bin_only: Vec<bool>,
    /// `depends[a][b]`: crate `a` depends on crate `b`, directly or through other crates of the
    /// workspace.
    depends: Vec<Vec<bool>>,
    /// `together[a][b]`: some binary of the workspace links both crates.
    together: Vec<Vec<bool>>,
    /// Some binary of the workspace links the crate.
    in_binary: Vec<bool>,
    /// For each crate, the executables (one bit per crate with binaries) that link it; every
    /// bit for a crate no binary links, or when there are too many executables to tell apart.
    exe_mask: Vec<u64>,
    /// For each crate, its own executables' bit (0 for a crate with no binary).
    own_exe: Vec<u64>,
}

/// Every executable.
pub(super) const ALL_EXES: u64 = u64::MAX;

impl Processes {
    /// `libs` is the library name of each crate (`docs_rs_storage`).
    pub(super) fn new(project: &Project, libs: &[String]) -> Processes {
        let n = project.crates.len();
        // A library root: a service file at the top of its crate's module tree that no binary
        // owns (`src/lib.rs`, or a `[lib] path` outside `src/`). Sources outside `src/` all
        // count, so an unusual layout keeps the crate a library.
        let mut has_lib = vec![false; n];
        let mut has_source = vec![false; n];
        for u in &project.units {
            if u.role != FileRole::Service {
                continue;
            }
            has_source[u.krate] = true;
            if u.bin.is_none() && u.facts.module.is_empty() {
                has_lib[u.krate] = true;
            }
        }
        let bin_only: Vec<bool> = (0..n)
            .map(|k| {
                has_source[k]
                    && !has_lib[k]
                    && !project.crates[k].loose
                    && !project.crates[k].bins.is_empty()
            })
            .collect();
        let mut depends: Vec<Vec<bool>> = (0..n)
            .map(|a| {
                (0..n)
                    .map(|b| a != b && project.crates[a].deps.contains_key(&libs[b]))
                    .collect()
            })
            .collect();
        // Transitive closure (workspaces have tens of crates).
        for k in 0..n {
            let through = depends[k].clone();
            for row in depends.iter_mut() {
                if row[k] {
                    for (cell, &t) in row.iter_mut().zip(&through) {
                        *cell |= t;
                    }
                }
            }
        }
        // What each binary links: its crate and the crates that crate depends on, not through a
        // dev-dependency (linked into tests, examples and benches only).
        let mut links: Vec<Vec<bool>> = (0..n)
            .map(|a| {
                (0..n)
                    .map(|b| a != b && project.crates[a].depends_on(&libs[b]))
                    .collect()
            })
            .collect();
        for k in 0..n {
            let through = links[k].clone();
            for row in links.iter_mut() {
                if row[k] {
                    for (cell, &t) in row.iter_mut().zip(&through) {
                        *cell |= t;
                    }
                }
            }
        }
        let mut bin_crates: Vec<usize> = project
            .units
            .iter()
            .filter(|u| u.bin.is_some())
            .map(|u| u.krate)
            .collect();
        bin_crates.sort_unstable();
        bin_crates.dedup();
        let mut together = vec![vec![false; n]; n];
        let mut in_binary = vec![false; n];
        let mut exe_mask = vec![0u64; n];
        let mut own_exe = vec![0u64; n];
        let distinct = bin_crates.len() <= 64;
        for (e, &x) in bin_crates.iter().enumerate() {
            let bit = if distinct { 1u64 << e } else { ALL_EXES };
            own_exe[x] = bit;
            let linked: Vec<usize> = (0..n).filter(|&k| k == x || links[x][k]).collect();
            for &a in &linked {
                exe_mask[a] |= bit;
                in_binary[a] = true;
                for &b in &linked {
                    together[a][b] = true;
                }
            }
        }
        for m in exe_mask.iter_mut().filter(|m| **m == 0) {
            *m = ALL_EXES;
        }
        Processes {
            bin_only,
            depends,
            together,
            in_binary,
            exe_mask,
            own_exe,
        }
    }

    /// The executables that link crate `k` (all of them for a crate no binary links).
    pub(super) fn exes_linking(&self, k: usize) -> u64 {
        self.exe_mask[k]
    }

    /// The executables of crate `k`'s own binaries: what its `main` starts.
    pub(super) fn own_exes(&self, k: usize) -> u64 {
        match self.own_exe[k] {
            0 => ALL_EXES,
            m => m,
        }
    }

    /// Whether code of crate `from` can name a type of crate `to`: the same crate, or one it
    /// depends on. An inherent method (an `impl Type` block, no trait) is called only where its
    /// type can be named; a trait method may also run through a trait object or a generic.
    pub(super) fn can_name_type(&self, from: usize, to: usize) -> bool {
        from == to || self.depends[from][to]
    }

    /// Whether code of unit `from` can never run a function of unit `to`: they are never linked
    /// into the same executable. Two crates that binaries of the workspace link, but no one
    /// binary links both (a sync server's crate and a local daemon's), share no process: a
    /// trait method of one is not what a call in the other runs, whatever their names.
    pub(super) fn apart(&self, project: &Project, from: usize, to: usize) -> bool {
        let (uf, ut) = (&project.units[from], &project.units[to]);
        let (a, b) = (uf.krate, ut.krate);
        if a == b {
            // `src/bin/x.rs` and `src/bin/y/..` of one crate: two executables.
            return matches!((&uf.bin, &ut.bin), (Some(x), Some(y)) if x != y);
        }
        (self.bin_only[b] && !self.depends[b][a])
            || (self.bin_only[a] && !self.depends[a][b])
            // Tests link their crate's dev-dependencies too.
            || (uf.role == FileRole::Service
                && self.in_binary[a]
                && self.in_binary[b]
                && !self.together[a][b])
    }
}
