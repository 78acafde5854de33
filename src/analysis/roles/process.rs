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
}

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
        Processes { bin_only, depends }
    }

    /// Whether code of crate `from` can name a type of crate `to`: the same crate, or one it
    /// depends on. An inherent method (an `impl Type` block, no trait) is called only where its
    /// type can be named; a trait method may also run through a trait object or a generic.
    pub(super) fn can_name_type(&self, from: usize, to: usize) -> bool {
        from == to || self.depends[from][to]
    }

    /// Whether code of unit `from` can never run a function of unit `to`: they are never linked
    /// into the same executable.
    pub(super) fn apart(&self, project: &Project, from: usize, to: usize) -> bool {
        let (uf, ut) = (&project.units[from], &project.units[to]);
        let (a, b) = (uf.krate, ut.krate);
        if a == b {
            // `src/bin/x.rs` and `src/bin/y/..` of one crate: two executables.
            return matches!((&uf.bin, &ut.bin), (Some(x), Some(y)) if x != y);
        }
        (self.bin_only[b] && !self.depends[b][a]) || (self.bin_only[a] && !self.depends[a][b])
    }
}
