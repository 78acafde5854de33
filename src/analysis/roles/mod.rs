//! What every replica runs. Each function of the workspace gets the set of roles that reach it,
//! computed once from each binary's `main` over the workspace call graph:
//!
//! - **server**: on the path that starts serving or consuming (a catalogued serve call, or a
//!   `loop` nothing breaks), and everything that path calls;
//! - **one-shot**: a binary that never reaches one, or an arm of a command-line `match` that does
//!   not while another arm does (`Command::Migrate => migrate(..)`, nested commands included);
//! - **test-only**: reached only from tests (`#[cfg(test)]`, `#[test]`, `tests/`);
//! - **debug-only**: under `#[cfg(debug_assertions)]` or the `cfg!(debug_assertions)` branch;
//! - **unreached**: none of these.
//!
//! A role passes from an entry point only into crates its executable links (dev-dependencies
//! are linked into tests only), and a wait for Ctrl-C in a spawned task is a shutdown listener,
//! not serving.
//!
//! Rules that are about multiplication by N ask [`Roles::runs_on_replicas`]. When in doubt a
//! function keeps the server role: an unresolved call, a method that only a name links to from
//! another crate, a function named where the graph cannot follow (module-level values, macro
//! arguments that are not expressions, attributes a framework registers).

mod cli;
mod local;
mod process;
mod receiver;
mod startup;
mod switches;
mod test_features;

pub use switches::{debug_switch, operator_guarded};
pub use test_features::mark_test_features;

use crate::analysis::call_graph::FnRef;
use crate::analysis::matchers::{file_names_any, path_of_crate};
use crate::facts::{FileFacts, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;
use crate::workspace::Role as FileRole;
use cli::{CliMatch, catch_all, cli_match, parses_cli};
use std::collections::{HashMap, HashSet, VecDeque};

pub const SERVER: u8 = 1;
pub const ONE_SHOT: u8 = 2;
pub const TEST: u8 = 4;
pub const DEBUG: u8 = 8;
/// Reached from server code by a name alone (a method of another crate): kept as server when
/// nothing stronger says otherwise.
pub const MAYBE_SERVER: u8 = 16;

/// The roles, in the order of [`slot`].
const ROLE_BITS: [u8; 5] = [SERVER, ONE_SHOT, TEST, DEBUG, MAYBE_SERVER];

/// The index of a role bit in [`ROLE_BITS`].
fn slot(bit: u8) -> usize {
    bit.trailing_zeros() as usize
}

/// Above this many same-named methods in other crates, a method call links to none of them.
const MAX_NAME_CANDIDATES: usize = 8;

/// Attributes that do not register a function anywhere.
const INERT_ATTRS: &[&str] = &[
    "doc",
    "allow",
    "warn",
    "deny",
    "expect",
    "forbid",
    "inline",
    "must_use",
    "instrument",
    "cfg",
    "cfg_attr",
    "async_trait",
    "deprecated",
    "track_caller",
    "cold",
    "skip",
    "tracing::instrument",
];

/// One place in a function that may run other functions.
struct Site {
    span: Span,
    targets: Vec<usize>,
    /// Only a name links it to its targets (another crate's method): they may be reached.
    weak: bool,
    /// The syntax names the targets (a path, a method of a type the function names): what
    /// decides whether code serves follows only these.
    precise: bool,
    /// The targets are named as values (a handler in `get(handler)`, a type whose methods a
    /// framework calls), not called here: they may run any number of times.
    value: bool,
    /// A type named here reaches its methods (a framework may call them): not a call of any.
    by_type: bool,
    region: RegionId,
}

pub struct Roles {
    /// The workspace has an entry point (a binary's `main`); otherwise nothing is judged here.
    active: bool,
    fns: Vec<FnRef>,
    position: HashMap<FnRef, usize>,
    bits: Vec<u8>,
    /// Functions of a library crate no binary of the workspace uses: judged as before.
    outside: Vec<bool>,
    /// Spans of command arms that do not serve, in functions that serve in another arm.
    one_shot_arms: Vec<Vec<Span>>,
    /// The unit index of each file id.
    unit_of_file: HashMap<usize, usize>,
    /// For each function, the entry point whose walk first reached it with its roles.
    via: Vec<Option<usize>>,
    /// For each function, the calls in it that install the process's logger, or call what does.
    logger_spans: Vec<Vec<Span>>,
    /// Type and static names the functions that install the logger read (`CONFIG.log_level()`).
    logger_reads: HashSet<String>,
    /// For each function, the places that call it or name it, through edges the syntax shows
    /// (no method linked by its name alone).
    callers: Vec<Vec<Caller>>,
    /// Methods of a framework's command trait (`impl Task for UserCreate`).
    command_impl: Vec<bool>,
}

/// A place that reaches a function: where, and whether it names the function as a value.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// The unit index of the caller's file.
    pub unit: usize,
    pub region: RegionId,
    pub span: Span,
    pub value: bool,
    /// It names the function's type, not the function (a framework may call its methods).
    pub by_type: bool,
}

impl Roles {
    pub fn build(project: &Project) -> Roles {
        Builder::new(project).build()
    }

    /// Whether the code at `span` in `region` of `unit` runs on every replica of the service:
    /// server code, or code the model cannot place. One-shot commands, test-only, debug-only and
    /// unreached code do not.
    pub fn runs_on_replicas(
        &self,
        project: &Project,
        unit: &Unit,
        region: RegionId,
        span: Span,
    ) -> bool {
        if !unit.is_service_region(region) {
            return false;
        }
        if unit.facts.in_debug_only(span) {
            return false;
        }
        let pos = self.fn_at(project, unit, region);
        if pos.is_some_and(|p| self.command_impl[p]) {
            // A method of a framework's command trait: an operator runs it, even where no
            // entry point of the workspace is seen (a generated app's template).
            return false;
        }
        if !self.active {
            return true;
        }
        let Some(pos) = pos else {
            // Module-level code (a `static`'s initializer): not placed, kept.
            return true;
        };
        if self.outside[pos] {
            // A library no binary of the workspace uses: only its own command-line entry
            // (`library_main`) says some code is a command or debug-only.
            let b = self.bits[pos];
            return b & (SERVER | MAYBE_SERVER) != 0 || b & (ONE_SHOT | DEBUG) == 0;
        }
        let b = self.bits[pos];
        if b & SERVER != 0 {
            return !self.one_shot_arms[pos]
                .iter()
                .any(|a| a.start <= span.start && span.end <= a.end);
        }
        // Reached from server code through a call only a name links: kept (doubt keeps the
        // server role).
        b & MAYBE_SERVER != 0
    }

    /// The roles of the function around `region`, for notes.
    pub fn describe(&self, project: &Project, unit: &Unit, region: RegionId) -> Option<String> {
        if !self.active {
            return None;
        }
        let pos = self.fn_at(project, unit, region)?;
        let entry = self.via[pos]?;
        let e = self.fns[entry];
        let eu = &project.units[e.file];
        let owner = match &eu.bin {
            Some(bin) => format!("binary `{bin}`"),
            None => format!("library `{}`", project.crates[eu.krate].name),
        };
        let f = project.fn_fact(self.fns[pos]);
        if entry == pos {
            return Some(format!(
                "`{}` of {owner} runs on every replica: it starts the path that serves",
                f.path.join("::")
            ));
        }
        Some(format!(
            "`{}` runs on every replica: the `{}` of {owner} reaches it on the path that serves",
            f.path.join("::"),
            project.fn_fact(e).path.join("::")
        ))
    }

    /// Whether the function around `region` installs the process's logger at or after `pos`
    /// (itself, or through a call).
    pub fn logger_installed_after(
        &self,
        project: &Project,
        unit: &Unit,
        region: RegionId,
        pos: usize,
    ) -> bool {
        self.fn_at(project, unit, region)
            .is_some_and(|p| self.logger_spans[p].iter().any(|s| s.start >= pos))
    }

    /// Whether the code that installs the logger reads the static or type `name`: a lazy
    /// static's initializer then runs before the logger exists.
    pub fn logger_reads(&self, name: &str) -> bool {
        self.logger_reads.contains(name)
    }

    /// The places that reach the function `idx` of `unit` through edges the syntax shows, or
    /// `None` when the model has not placed it.
    pub fn callers(&self, unit: &Unit, idx: usize) -> Option<&[Caller]> {
        if !self.active {
            return None;
        }
        let ui = *self.unit_of_file.get(&unit.id)?;
        let p = *self.position.get(&FnRef { file: ui, idx })?;
        Some(&self.callers[p])
    }

    fn fn_at(&self, project: &Project, unit: &Unit, region: RegionId) -> Option<usize> {
        let ui = *self.unit_of_file.get(&unit.id)?;
        let idx = project.units[ui]
            .facts
            .ancestors(region)
            .find_map(|(_, r)| match r.kind {
                RegionKind::Fn(f) => Some(f),
                _ => None,
            })?;
        self.position.get(&FnRef { file: ui, idx }).copied()
    }
}

struct Builder<'a> {
    project: &'a Project,
    facts: Vec<&'a FileFacts>,
    fns: Vec<FnRef>,
    position: HashMap<FnRef, usize>,
    /// Library name of each crate.
    libs: Vec<String>,
    /// The impl type of each method, by position.
    impl_ty: Vec<Option<String>>,
    /// Methods by impl type name.
    methods_of: HashMap<String, Vec<usize>>,
    /// Which code can run in the same executable.
    procs: process::Processes,
}

impl<'a> Builder<'a> {
    fn new(project: &'a Project) -> Builder<'a> {
        let facts = project.facts();
        let mut fns = vec![];
        for (file, u) in project.units.iter().enumerate() {
            for idx in 0..u.facts.fns.len() {
                fns.push(FnRef { file, idx });
            }
        }
        let position: HashMap<FnRef, usize> =
            fns.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        let libs: Vec<String> = project
            .crates
            .iter()
            .map(|c| c.name.replace('-', "_"))
            .collect();
        let mut impl_ty = vec![];
        let mut methods_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in fns.iter().enumerate() {
            let f = &facts[r.file].fns[r.idx];
            let ty = (f.is_method && f.path.len() >= 2).then(|| f.path[f.path.len() - 2].clone());
            if let Some(t) = &ty {
                methods_of.entry(t.clone()).or_default().push(i);
            }
            impl_ty.push(ty);
        }
        let procs = process::Processes::new(project, &libs);
        Builder {
            project,
            facts,
            fns,
            position,
            libs,
            impl_ty,
            methods_of,
            procs,
        }
    }

    /// Whether `r` is a method of a framework's command trait (`impl Task for UserCreate` with
    /// loco): an operator runs it by hand.
    fn command_impl(&self, r: FnRef) -> bool {
        let f = &self.facts[r.file].fns[r.idx];
        let facts = self.facts[r.file];
        f.is_method
            && self.project.catalog.command_trait.iter().any(|e| {
                // The file names the framework: a template or example the manifest does not
                // list still implements its trait.
                file_names_any(facts, &e.crates)
                    && facts.impls.iter().any(|im| {
                        im.span.start <= f.span.start
                            && f.span.end <= im.span.end
                            && im
                                .trait_path
                                .as_ref()
                                .and_then(|p| p.last())
                                .is_some_and(|t| e.traits.contains(t))
                    })
            })
    }

    /// Whether the method `r` is defined in an `impl` block with no trait.
    fn inherent(&self, r: FnRef) -> bool {
        let f = &self.facts[r.file].fns[r.idx];
        f.is_method
            && self.facts[r.file].impls.iter().any(|im| {
                im.trait_path.is_none()
                    && im.span.start <= f.span.start
                    && f.span.end <= im.span.end
            })
            && !self.facts[r.file].impls.iter().any(|im| {
                im.trait_path.is_some()
                    && im.span.start <= f.span.start
                    && f.span.end <= im.span.end
            })
    }

    fn krate(&self, file: usize) -> usize {
        self.project.units[file].krate
    }

    /// Whether crate `from` can name crate `to`.
    fn can_name(&self, from: usize, to: usize) -> bool {
        from == to || self.project.crates[from].deps.contains_key(&self.libs[to])
    }

    /// Functions a call by path may run: the call graph's resolution, kept to the caller's crate
    /// unless the path starts with the other crate's name.
    fn resolve_path(&self, file: usize, path: &[String]) -> Vec<usize> {
        let from = self.krate(file);
        self.project
            .fn_index
            .resolve_path(&self.facts, file, path)
            .into_iter()
            .filter(|r| {
                let to = self.krate(r.file);
                // The caller's crate depends on the target's: a re-export (`pub use dep::logs`)
                // may name it by a local path.
                if to == from || (path.len() > 1 && self.can_name(from, to)) {
                    return true;
                }
                // `other_crate::..::f`, or a re-export through a crate of the workspace
                // (`core::db::kv::watch` for the `db` crate's `kv::watch`).
                let Some(via) = path
                    .first()
                    .filter(|_| path.len() > 1)
                    .and_then(|first| self.libs.iter().position(|l| l == first))
                else {
                    return false;
                };
                via == to || (self.can_name(from, via) && self.can_name(via, to))
            })
            .filter(|r| !self.procs.apart(self.project, file, r.file))
            .filter_map(|r| self.position.get(&r).copied())
            .collect()
    }

    /// Free functions of the file named like the path's last segment.
    fn same_file_fn(&self, file: usize, path: &[String]) -> Vec<usize> {
        let Some(name) = path.last() else {
            return vec![];
        };
        self.project
            .fn_index
            .named(name)
            .iter()
            .filter(|r| r.file == file && !self.facts[r.file].fns[r.idx].is_method)
            .filter_map(|r| self.position.get(r).copied())
            .collect()
    }

    /// Methods a method call may run, by the evidence the syntax gives. The receiver's type
    /// (`self` in an `impl`, a local bound by `Type::new()`, a parameter's written type, a
    /// receiver built in place): that type's methods, none when the type has no method of that
    /// name in the workspace (another crate's type, a builder a derive generates). Else a type
    /// the caller names (typed), or the one method of the workspace with that name when the
    /// caller's file names its type or defines it (by name). Any other same-named method is linked by its name alone (weak): it may be reached, but
    /// it gives no caller, no command and no startup path.
    fn resolve_method(
        &self,
        file: usize,
        region: RegionId,
        recv: &Val,
        name: &str,
        mentions: &HashSet<String>,
        file_mentions: &HashSet<String>,
    ) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let from = self.krate(file);
        let mut typed_out = vec![];
        let mut strong = vec![];
        let mut weak = vec![];
        let cands: Vec<usize> = self
            .project
            .fn_index
            .named(name)
            .iter()
            .filter(|r| self.facts[r.file].fns[r.idx].has_self)
            // Another executable's method, whatever its name.
            .filter(|r| !self.procs.apart(self.project, file, r.file))
            // An inherent method of a type this crate cannot name.
            .filter(|r| !self.inherent(**r) || self.procs.can_name_type(from, self.krate(r.file)))
            .filter_map(|r| self.position.get(r).copied())
            .collect();
        if let Some(ty) = receiver::type_of(self.facts[file], region, recv) {
            let of_type: Vec<usize> = cands
                .iter()
                .copied()
                .filter(|&p| self.impl_ty[p].as_deref() == Some(ty.as_str()))
                .filter(|&p| self.can_name(from, self.krate(self.fns[p].file)))
                .collect();
            if !of_type.is_empty() {
                return (of_type, strong, weak);
            }
            if !self.methods_of.contains_key(&ty) {
                // A type with no method in the workspace: another crate's, or generated.
                return (typed_out, strong, weak);
            }
        }
        let elsewhere = cands
            .iter()
            .filter(|&&p| self.krate(self.fns[p].file) != from)
            .count();
        let unique = cands.len() == 1;
        for p in cands {
            let to = self.krate(self.fns[p].file);
            let typed = self.impl_ty[p]
                .as_ref()
                .is_some_and(|t| mentions.contains(t));
            if typed && self.can_name(from, to) {
                typed_out.push(p);
            } else if to == from
                && unique
                && self.impl_ty[p]
                    .as_ref()
                    .is_some_and(|t| file_mentions.contains(t))
            {
                strong.push(p);
            } else if to == from || elsewhere <= MAX_NAME_CANDIDATES {
                weak.push(p);
            }
        }
        (typed_out, strong, weak)
    }

    /// Whether `v` starts serving or consuming: `Some(false)` for a server, a consumer or a
    /// scheduler; `Some(true)` for a call that only waits until the process is stopped
    /// (`tokio::signal::ctrl_c()`).
    fn serve_call(&self, file: usize, v: &Val) -> Option<bool> {
        let facts = self.facts[file];
        let unit = &self.project.units[file];
        // A scheduler keeps its process running its jobs: a worker, not a command.
        let scheduler = v.call_path().is_some_and(|path| {
            self.project.catalog.scheduler.iter().any(|e| {
                self.project.uses_any(unit, &e.crates)
                    && e.constructors
                        .iter()
                        .any(|c| path_of_crate(facts, path, c, &e.crates))
            })
        });
        if scheduler {
            return Some(false);
        }
        let mut waits = None;
        for e in &self.project.catalog.serve {
            let hit = match v {
                Val::Call { func, .. } => match &**func {
                    Val::Path { path, .. } => {
                        self.project.uses_any(unit, &e.crates)
                            && e.calls
                                .iter()
                                .any(|c| path_of_crate(facts, path, c, &e.crates))
                    }
                    _ => false,
                },
                Val::Method { name, .. } => {
                    e.methods.iter().any(|m| m == name)
                        && self.project.uses_any(unit, &e.crates)
                        && file_names_any(facts, &e.crates)
                }
                _ => false,
            };
            if hit {
                if !e.waits {
                    return Some(false);
                }
                waits = Some(true);
            }
        }
        waits
    }

    /// A library's `main` that parses the command line (`loco_rs::cli::main::<App>()`): the
    /// entry point a framework's applications call from their own `main`, so its command arms
    /// are commands like a binary's.
    fn library_main(&self, file: usize, f: &crate::facts::FnFact) -> bool {
        let facts = self.facts[file];
        self.project.units[file].bin.is_none()
            && f.name == "main"
            && !f.is_method
            && f.params.is_empty()
            && facts.calls_within(f.body).any(|c| {
                let cli_types: HashSet<&str> = facts.cli_types.iter().map(String::as_str).collect();
                parses_cli(&c.val, &cli_types)
            })
    }

    fn serve_attr(&self, r: FnRef) -> bool {
        let f = &self.facts[r.file].fns[r.idx];
        let unit = &self.project.units[r.file];
        self.project.catalog.serve.iter().any(|e| {
            self.project.uses_any(unit, &e.crates)
                && f.attrs.iter().any(|a| {
                    e.attributes.iter().any(|want| {
                        let want: Vec<&str> = want.split("::").collect();
                        crate::facts::ends_with(&a.path, &want)
                            && (a.path.len() == want.len()
                                || a.path.first().is_some_and(|c| e.crates.contains(c)))
                    })
                })
        })
    }

    fn build(self) -> Roles {
        let project = self.project;
        let n = self.fns.len();
        let unit_of_file: HashMap<usize, usize> = project
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id, i))
            .collect();

        // Each region's function, per file.
        let fn_of_region: Vec<Vec<Option<usize>>> = self
            .facts
            .iter()
            .enumerate()
            .map(|(file, facts)| {
                let mut out: Vec<Option<usize>> = Vec::with_capacity(facts.regions.len());
                for region in &facts.regions {
                    let own = match region.kind {
                        RegionKind::Fn(idx) => self.position.get(&FnRef { file, idx }).copied(),
                        _ => None,
                    };
                    out.push(own.or_else(|| region.parent.and_then(|p| out[p])));
                }
                out
            })
            .collect();

        // Type names each function mentions (`Migrator::up`, `Job { .. }`, `Server`).
        let mut mentions: Vec<HashSet<String>> = vec![HashSet::new(); n];
        for (file, facts) in self.facts.iter().enumerate() {
            let mut note = |region: RegionId, v: &Val| {
                let Some(p) = fn_of_region[file].get(region).copied().flatten() else {
                    return;
                };
                v.walk(&mut |x| {
                    let path = match x {
                        Val::Path { path, .. } | Val::Struct { path, .. } => path,
                        _ => return,
                    };
                    for seg in path {
                        if seg.starts_with(|c: char| c.is_ascii_uppercase()) {
                            mentions[p].insert(seg.clone());
                        }
                    }
                });
            };
            for c in &facts.calls {
                note(c.region, &c.val);
            }
            for l in &facts.lets {
                note(l.region, &l.init);
            }
            for a in &facts.assigns {
                note(a.region, &a.value);
            }
            for m in &facts.macros {
                for a in &m.args {
                    match a {
                        crate::facts::MacroArg::Expr(v)
                        | crate::facts::MacroArg::Field { value: v, .. } => note(m.region, v),
                        crate::facts::MacroArg::Unparsed { .. } => {}
                    }
                }
            }
        }

        // Type names each file names or defines methods of: a method linked by its name alone
        // needs its type to be one of these.
        let mut file_mentions: Vec<HashSet<String>> = vec![HashSet::new(); self.facts.len()];
        for (p, r) in self.fns.iter().enumerate() {
            file_mentions[r.file].extend(mentions[p].iter().cloned());
            if let Some(t) = &self.impl_ty[p] {
                file_mentions[r.file].insert(t.clone());
            }
        }

        // Sites: calls, functions passed as values, methods of types named, macro identifiers.
        let mut sites: Vec<Vec<Site>> = (0..n).map(|_| vec![]).collect();
        // Functions named from code outside any function (a `static`'s value): may be reached.
        let mut named_outside: Vec<bool> = vec![false; n];
        // Calls from code outside any function (a lazy `static`'s initializer): callers too.
        let mut outside_callers: Vec<Vec<Caller>> = vec![vec![]; n];
        for (file, facts) in self.facts.iter().enumerate() {
            let mut add = |region: RegionId, v: &Val, span: Span| {
                let owner = fn_of_region[file].get(region).copied().flatten();
                let empty = HashSet::new();
                let ments = owner.map_or(&empty, |p| &mentions[p]);
                let mut precise = vec![];
                let mut values = vec![];
                let mut strong = vec![];
                let mut weak = vec![];
                let mut heads: HashSet<Span> = HashSet::new();
                v.walk(&mut |x| match x {
                    Val::Call { func, .. } => {
                        if let Val::Path { path, span } = &**func {
                            heads.insert(*span);
                            let found = self.resolve_path(file, path);
                            if found.is_empty() {
                                // `use` items are read file-wide: `use diesel::update;` in a test
                                // module must not hide the file's own `update(..)`. Reach kept.
                                strong.extend(self.same_file_fn(file, path));
                            }
                            precise.extend(found);
                        }
                    }
                    Val::Path { path, span } => {
                        // A local variable or parameter (`start.elapsed()`), not a function.
                        let local = path.len() == 1
                            && (facts.binding(&path[0], region).is_some()
                                || facts
                                    .enclosing_fn(region)
                                    .is_some_and(|f| f.params.iter().any(|p| p.name == path[0])));
                        if !heads.contains(span) && !local {
                            values.extend(self.resolve_path(file, path));
                        }
                    }
                    Val::Method { recv, name, .. } => {
                        let (t, s, w) = self.resolve_method(
                            file,
                            region,
                            recv,
                            name,
                            ments,
                            &file_mentions[file],
                        );
                        precise.extend(t);
                        strong.extend(s);
                        weak.extend(w);
                    }
                    _ => {}
                });
                match owner {
                    Some(p) => {
                        for (targets, weak, precise, value) in [
                            (precise, false, true, false),
                            (values, false, true, true),
                            (strong, false, false, false),
                            (weak, true, false, false),
                        ] {
                            if !targets.is_empty() {
                                sites[p].push(Site {
                                    span,
                                    targets,
                                    weak,
                                    precise,
                                    value,
                                    by_type: false,
                                    region,
                                });
                            }
                        }
                    }
                    None => {
                        for &t in precise.iter().chain(&strong) {
                            outside_callers[t].push(Caller {
                                unit: file,
                                region,
                                span,
                                value: false,
                                by_type: false,
                            });
                        }
                        for t in precise.into_iter().chain(values).chain(strong).chain(weak) {
                            named_outside[t] = true;
                        }
                    }
                }
            };
            for c in &facts.calls {
                add(c.region, &c.val, c.val.span());
            }
            for l in &facts.lets {
                add(l.region, &l.init, l.init.span());
            }
            for a in &facts.assigns {
                add(a.region, &a.value, a.value.span());
            }
            for m in &facts.macros {
                for a in &m.args {
                    if let crate::facts::MacroArg::Expr(v)
                    | crate::facts::MacroArg::Field { value: v, .. } = a
                    {
                        add(m.region, v, m.span);
                    }
                }
            }
            for c in &facts.consts {
                let mut targets = vec![];
                c.value.walk(&mut |x| {
                    if let Val::Path { path, .. } = x {
                        targets.extend(self.resolve_path(file, path));
                    }
                });
                for t in targets {
                    named_outside[t] = true;
                }
            }
            // Identifiers inside macros whose arguments are not expressions.
            let from = self.krate(file);
            let mut idents = facts.macro_idents.iter().peekable();
            if idents.peek().is_some() {
                for name in idents {
                    for r in self.project.fn_index.named(name) {
                        if self.krate(r.file) == from
                            && let Some(&t) = self.position.get(r)
                        {
                            // No region is kept for these: the function may be reached.
                            named_outside[t] = true;
                        }
                    }
                }
            }
        }
        // `type Alias = Target<..>;` anywhere in the workspace: naming the alias names the target.
        let mut aliases: HashMap<&str, Vec<&str>> = HashMap::new();
        for facts in &self.facts {
            for (alias, target) in &facts.type_aliases {
                aliases.entry(alias).or_default().push(target);
            }
        }
        let methods_named = |seg: &str| -> Vec<usize> {
            let mut out: Vec<usize> = self.methods_of.get(seg).cloned().unwrap_or_default();
            for t in aliases.get(seg).into_iter().flatten() {
                out.extend(self.methods_of.get(*t).into_iter().flatten());
            }
            out
        };
        // A type named in a function reaches that type's methods (trait impls, framework
        // handlers on `impl` blocks), through its type aliases too; so does a type named as a
        // generic argument (`launch::<Postgres>(..)`: the generic function calls its trait
        // methods). By span, so a command arm that names it keeps it.
        for (file, facts) in self.facts.iter().enumerate() {
            let mut named: Vec<(RegionId, Span, Vec<usize>)> = vec![];
            for c in &facts.calls {
                c.val.walk(&mut |x| {
                    if let Val::Path { path, span } | Val::Struct { path, span, .. } = x {
                        for seg in path {
                            named.push((c.region, *span, methods_named(seg)));
                        }
                    }
                });
            }
            for a in &facts.type_args {
                named.push((a.region, a.span, methods_named(&a.name)));
            }
            for (region, span, ms) in named {
                let Some(p) = fn_of_region[file].get(region).copied().flatten() else {
                    continue;
                };
                if ms.is_empty() {
                    continue;
                }
                {
                    let from = self.krate(file);
                    let targets: Vec<usize> = ms
                        .iter()
                        .copied()
                        .filter(|&m| self.can_name(from, self.krate(self.fns[m].file)))
                        .filter(|&m| !self.procs.apart(project, file, self.fns[m].file))
                        .collect();
                    if !targets.is_empty() {
                        sites[p].push(Site {
                            span,
                            targets,
                            weak: false,
                            precise: false,
                            value: true,
                            by_type: true,
                            region,
                        });
                    }
                }
            }
        }

        // Where the logger is installed: calls that install it, and calls of functions that do.
        let mut logger_spans: Vec<Vec<Span>> = vec![vec![]; n];
        for (file, facts) in self.facts.iter().enumerate() {
            for c in &facts.calls {
                if let Some(p) = fn_of_region[file].get(c.region).copied().flatten()
                    && startup::installs_logger(project, facts, &c.val)
                {
                    logger_spans[p].push(c.val.span());
                }
            }
        }
        let mut installs: Vec<bool> = logger_spans.iter().map(|s| !s.is_empty()).collect();
        loop {
            let mut changed = false;
            for p in 0..n {
                for s in sites[p].iter().filter(|s| !s.weak) {
                    if s.targets.iter().any(|&t| installs[t] && t != p) {
                        if !logger_spans[p].contains(&s.span) {
                            logger_spans[p].push(s.span);
                        }
                        if !installs[p] {
                            installs[p] = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let logger_reads: HashSet<String> = (0..n)
            .filter(|&p| installs[p])
            .flat_map(|p| mentions[p].iter().cloned())
            .collect();

        // What serves: a catalogued serve call, a `loop` nothing breaks, a serving attribute.
        let mut serve_spans: Vec<Vec<Span>> = vec![vec![]; n];
        // Functions that serve by more than waiting for a signal.
        let mut serves_itself: Vec<bool> = vec![false; n];
        let handed_off = |facts: &FileFacts, region: RegionId| {
            facts
                .ancestors(region)
                .take_while(|(_, r)| !matches!(r.kind, RegionKind::Fn(_)))
                .any(|(_, r)| r.arg_of.is_some())
        };
        for (file, facts) in self.facts.iter().enumerate() {
            for c in &facts.calls {
                let Some(p) = fn_of_region[file].get(c.region).copied().flatten() else {
                    continue;
                };
                let mut hit: Option<bool> = None;
                c.val.walk(&mut |x| match (hit, self.serve_call(file, x)) {
                    (_, Some(false)) => hit = Some(false),
                    (None, Some(true)) => hit = Some(true),
                    _ => {}
                });
                let Some(waits) = hit else {
                    continue;
                };
                // A server on a Unix socket or the loopback address serves this machine only (a
                // user's local daemon): it does not make its process a service.
                if local::serves_locally(facts, c.region, &c.val) {
                    continue;
                }
                // A wait for a signal in a spawned task listens for the shutdown of a process
                // that something else keeps running.
                if waits && handed_off(facts, c.region) {
                    continue;
                }
                serve_spans[p].push(c.val.span());
                serves_itself[p] |= !waits;
            }
            for &lp in &facts.endless_loops {
                // A loop in a task or closure handed to a call (`tokio::spawn(async { loop .. })`)
                // runs beside the code that started it: it does not keep a command running.
                let handed_off = handed_off(facts, lp);
                // A loop a `return` leaves waits until something holds (a lock, a reply, a
                // login) and then returns: a step of a command, not a process that keeps running.
                // A `main`'s own loop is still the process's.
                let returns = facts.loops.iter().any(|l| l.region == lp && l.exits)
                    && facts.enclosing_fn(lp).is_some_and(|f| f.name != "main");
                if handed_off || returns {
                    continue;
                }
                if let Some(p) = fn_of_region[file].get(lp).copied().flatten() {
                    serve_spans[p].push(facts.regions[lp].span);
                    serves_itself[p] = true;
                }
            }
        }
        for (i, r) in self.fns.iter().enumerate() {
            if self.serve_attr(*r) {
                let f = &self.facts[r.file].fns[r.idx];
                serve_spans[i].push(f.span);
                serves_itself[i] = true;
            }
        }
        // Whether each function serves, through calls the syntax names (`serves`), and through
        // any call at all, same-named methods included (`may_serve`). A call from a task handed
        // to `spawn` passes on serving only when its target serves by more than waiting for a
        // signal (a shutdown listener's `ctrl_c().await` does not keep the spawner running).
        let reach_serve = |follow: &dyn Fn(&Site) -> bool| {
            let mut callers: Vec<Vec<(usize, bool)>> = vec![vec![]; n];
            for (p, ss) in sites.iter().enumerate() {
                let facts = self.facts[self.fns[p].file];
                for s in ss.iter().filter(|s| follow(s)) {
                    let spawned = handed_off(facts, s.region);
                    for &t in &s.targets {
                        callers[t].push((p, spawned));
                    }
                }
            }
            let spread = |mut serves: Vec<bool>, gate: Option<&[bool]>| {
                let mut queue: VecDeque<usize> = (0..n).filter(|&i| serves[i]).collect();
                while let Some(t) = queue.pop_front() {
                    for &(c, spawned) in &callers[t] {
                        if spawned && gate.is_some_and(|g| !g[t]) {
                            continue;
                        }
                        if !serves[c] {
                            serves[c] = true;
                            queue.push_back(c);
                        }
                    }
                }
                serves
            };
            let really = spread(serves_itself.clone(), None);
            let seeds: Vec<bool> = serve_spans
                .iter()
                .zip(&really)
                .map(|(s, r)| *r || !s.is_empty())
                .collect();
            spread(seeds, Some(&really))
        };
        let serves = reach_serve(&|s: &Site| s.precise);
        let may_serve = reach_serve(&|_: &Site| true);

        // Command-line matches: arms that do not serve, beside one that does, are one-shot.
        let cli_types: HashSet<&str> = self
            .facts
            .iter()
            .flat_map(|f| f.cli_types.iter().map(String::as_str))
            .collect();
        let mut one_shot_arms: Vec<Vec<Span>> = vec![vec![]; n];
        for (file, facts) in self.facts.iter().enumerate() {
            for m in &facts.matches {
                let Some(p) = fn_of_region[file].get(m.region).copied().flatten() else {
                    continue;
                };
                let kind = cli_match(facts, m, &cli_types);
                if kind == CliMatch::No {
                    continue;
                }
                let within =
                    |outer: Span, inner: Span| outer.start <= inner.start && inner.end <= outer.end;
                let arm_serves: Vec<bool> = m
                    .arms
                    .iter()
                    .map(|a| {
                        serve_spans[p].iter().any(|s| within(a.body, *s))
                            || sites[p].iter().any(|s| {
                                s.precise
                                    && within(a.body, s.span)
                                    && s.targets.iter().any(|&t| serves[t])
                            })
                    })
                    .collect();
                // Beside an arm that serves, the others are commands. On a command line this
                // function parsed itself, every named command that does not serve is one.
                let parsed = kind == CliMatch::Parsed;
                if parsed || arm_serves.iter().any(|s| *s) {
                    for (a, s) in m.arms.iter().zip(&arm_serves) {
                        let stays = *s || (parsed && catch_all(&a.pat));
                        if !stays {
                            one_shot_arms[p].push(a.body);
                        }
                    }
                }
            }
        }

        // `if name == "command" { .. }` after this function parsed its command line: a command.
        for (file, facts) in self.facts.iter().enumerate() {
            for si in &facts.string_ifs {
                let Some(p) = fn_of_region[file].get(si.region).copied().flatten() else {
                    continue;
                };
                let Some(f) = facts.enclosing_fn(si.region) else {
                    continue;
                };
                let parsed_here = facts
                    .calls_within(f.body)
                    .any(|c| parses_cli(&c.val, &cli_types));
                let within =
                    |outer: Span, inner: Span| outer.start <= inner.start && inner.end <= outer.end;
                let serves_here = serve_spans[p].iter().any(|s| within(si.then_span, *s))
                    || sites[p].iter().any(|s| {
                        s.precise
                            && within(si.then_span, s.span)
                            && s.targets.iter().any(|&t| serves[t])
                    });
                if parsed_here && !serves_here {
                    one_shot_arms[p].push(si.then_span);
                }
            }
        }

        // Entry points and seeds.
        let mut bits: Vec<u8> = vec![0; n];
        let mut via: Vec<Option<usize>> = vec![None; n];
        let mut queue: VecDeque<usize> = VecDeque::new();
        let mut active = false;
        let test_fn = |r: FnRef| {
            let f = &self.facts[r.file].fns[r.idx];
            f.is_test
                || self.facts[r.file].in_test(f.body)
                || project.units[r.file].role != FileRole::Service
        };
        let entry = |r: FnRef| {
            let f = &self.facts[r.file].fns[r.idx];
            project.units[r.file].bin.is_some()
                && f.path.len() == 1
                && f.name == "main"
                && !f.is_method
                || self.serve_attr(r)
                || self.library_main(r.file, f)
        };
        // Something serves: a server, a consumer, a scheduler or an endless loop, or an entry
        // point that waits for a signal.
        let any_serve = serves_itself.iter().any(|s| *s)
            || self
                .fns
                .iter()
                .enumerate()
                .any(|(i, r)| may_serve[i] && !test_fn(*r) && entry(*r));
        // For each function and role, the executables whose entry points reach it with that role:
        // a call only passes a role on into a crate that one of those executables links (a sync
        // server's `main` does not reach the desktop client's methods through a shared crate).
        let mut masks: Vec<[u64; ROLE_BITS.len()]> = vec![[0; ROLE_BITS.len()]; n];
        for (i, r) in self.fns.iter().enumerate() {
            let seed = if test_fn(*r) {
                TEST
            } else if entry(*r) {
                active = true;
                if may_serve[i] || !any_serve {
                    // Serving through a call only a name links, or no serve call anywhere (the
                    // server starts where the graph cannot see): kept as server.
                    SERVER
                } else {
                    ONE_SHOT
                }
            } else {
                0
            };
            if seed != 0 {
                bits[i] |= seed;
                // A `main` runs in its own crate's executables; tests link everything.
                masks[i][slot(seed)] |= if seed == TEST {
                    process::ALL_EXES
                } else {
                    self.procs.own_exes(self.krate(r.file))
                };
                if seed == SERVER {
                    via[i] = Some(i);
                }
                queue.push_back(i);
            }
        }
        // Methods of a framework's command trait (`impl Task for UserCreate`): run by hand.
        let command_impl: Vec<bool> = self.fns.iter().map(|r| self.command_impl(*r)).collect();
        let propagate = |bits: &mut Vec<u8>,
                         masks: &mut Vec<[u64; ROLE_BITS.len()]>,
                         via: &mut Vec<Option<usize>>,
                         queue: &mut VecDeque<usize>,
                         only_unreached: bool| {
            while let Some(p) = queue.pop_front() {
                let facts = self.facts[self.fns[p].file];
                let from = masks[p];
                for s in &sites[p] {
                    let in_command = one_shot_arms[p]
                        .iter()
                        .any(|a| a.start <= s.span.start && s.span.end <= a.end);
                    let debug = facts.in_debug_only(s.span);
                    // What each role of the caller becomes at the callee.
                    let becomes = |rb: u8| {
                        let mut sb = rb;
                        if sb == SERVER && in_command {
                            sb = ONE_SHOT;
                        }
                        if debug && sb & (SERVER | ONE_SHOT | MAYBE_SERVER) != 0 {
                            sb = DEBUG;
                        }
                        if s.weak {
                            // A name alone: what a server reaches this way may be server code.
                            sb = if sb & (SERVER | MAYBE_SERVER) != 0 {
                                MAYBE_SERVER
                            } else {
                                0
                            };
                        }
                        sb
                    };
                    for &t in &s.targets {
                        if only_unreached && bits[t] & !MAYBE_SERVER != 0 {
                            continue;
                        }
                        let linking = self.procs.exes_linking(self.krate(self.fns[t].file));
                        let mut changed = false;
                        for (k, &rb) in ROLE_BITS.iter().enumerate() {
                            let exes = from[k] & linking;
                            if exes == 0 {
                                continue;
                            }
                            let mut tb = becomes(rb);
                            if command_impl[t] && tb & (SERVER | MAYBE_SERVER) != 0 {
                                tb = ONE_SHOT;
                            }
                            if tb == 0 {
                                continue;
                            }
                            let m = &mut masks[t][slot(tb)];
                            if *m | exes != *m {
                                *m |= exes;
                                bits[t] |= tb;
                                changed = true;
                                if via[t].is_none() && tb == SERVER {
                                    via[t] = via[p];
                                }
                            }
                        }
                        if changed {
                            queue.push_back(t);
                        }
                    }
                }
            }
        };
        propagate(&mut bits, &mut masks, &mut via, &mut queue, false);
        // What no known path reaches but something names where the graph cannot follow (a
        // `static`'s value, a macro's tokens, a registering attribute) may be server code.
        for (i, named) in named_outside.iter().enumerate() {
            let f = &self.facts[self.fns[i].file].fns[self.fns[i].idx];
            let registered = f.attrs.iter().any(|a| {
                let name = a.path.join("::");
                !INERT_ATTRS.contains(&name.as_str())
                    && !a
                        .path
                        .last()
                        .is_some_and(|l| INERT_ATTRS.contains(&l.as_str()))
            });
            // A trait method may be called through a generic (`launch::<Postgres>()`), which the
            // graph does not follow.
            let r = self.fns[i];
            let trait_method = f.is_method
                && self.facts[r.file].impls.iter().any(|im| {
                    im.trait_path.is_some()
                        && im.span.start <= f.span.start
                        && f.span.end <= im.span.end
                });
            if (*named || registered || trait_method) && bits[i] == 0 {
                bits[i] = if command_impl[i] {
                    ONE_SHOT
                } else {
                    MAYBE_SERVER
                };
                masks[i][slot(bits[i])] = process::ALL_EXES;
                queue.push_back(i);
            }
        }
        propagate(&mut bits, &mut masks, &mut via, &mut queue, true);
        // Only keep `via` for server reach (the note names the serving entry).
        for i in 0..n {
            if bits[i] & SERVER == 0 {
                via[i] = None;
            }
        }

        // A library crate that no binary of the workspace can name is judged as before.
        let mut bin_crates: Vec<usize> = project
            .units
            .iter()
            .filter(|u| u.bin.is_some())
            .map(|u| u.krate)
            .collect();
        bin_crates.sort_unstable();
        bin_crates.dedup();
        let outside_crate: Vec<bool> = (0..project.crates.len())
            .map(|k| !bin_crates.iter().any(|&b| self.can_name(b, k)))
            .collect();
        let outside: Vec<bool> = self
            .fns
            .iter()
            .map(|r| outside_crate[self.krate(r.file)])
            .collect();

        // A function that names a type and calls one of its methods (`Builder::default()
        // ..build()`) calls that method: naming the type does not also hand it to a framework.
        let mut callers: Vec<Vec<Caller>> = outside_callers;
        for (p, ss) in sites.iter().enumerate() {
            let called: HashSet<usize> = ss
                .iter()
                .filter(|s| !s.weak && !s.value)
                .flat_map(|s| s.targets.iter().copied())
                .collect();
            for s in ss.iter().filter(|s| !s.weak) {
                for &t in &s.targets {
                    // A method naming its own type (`Ok(Config { .. })` in `Config::load`)
                    // does not call the type's methods.
                    let same_type = self.impl_ty[p].is_some() && self.impl_ty[p] == self.impl_ty[t];
                    if s.by_type && (called.contains(&t) || same_type || t == p) {
                        continue;
                    }
                    callers[t].push(Caller {
                        unit: self.fns[p].file,
                        region: s.region,
                        span: s.span,
                        value: s.value,
                        by_type: s.by_type,
                    });
                }
            }
        }
        Roles {
            active,
            fns: self.fns,
            position: self.position,
            bits,
            outside,
            one_shot_arms,
            unit_of_file,
            via,
            logger_spans,
            logger_reads,
            callers,
            command_impl,
        }
    }
}
