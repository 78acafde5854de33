//! Facts: small plain data extracted from one file in one syntax-tree pass.
//! Rules read facts; they never see a syntax tree.

mod macro_body;
mod spans;

pub mod visit;

use crate::source::Span;

pub type RegionId = usize;
pub type FnIdx = usize;

/// A resolved path such as `["tokio_cron_scheduler", "Job", "new_async"]`.
pub type Path = Vec<String>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopKind {
    For,
    While,
    Loop,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionKind {
    File,
    Mod(String),
    Fn(FnIdx),
    Closure,
    AsyncBlock,
    Loop(LoopKind),
}

/// Where a closure or async block was passed: `tokio::spawn(async { .. })` gives the block's
/// region `ArgOf { callee: ["tokio", "spawn"], method: false, .. }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgOf {
    pub callee: Path,
    pub method: bool,
    /// The whole call expression.
    pub call_span: Span,
}

/// How many passes a loop makes, as far as its header shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopBound {
    /// A count written in the header: `0..3`, `1..=5`, `[a, b]`, `while i < 3`.
    Count(u128),
    /// A named constant bounds it: `0..MAX_ATTEMPTS`, `for c in COMPONENTS`, `while n < RETRIES`.
    Const(String),
    /// Over data, or not known from the header (`while let Some(m) = rx.recv().await`).
    Open,
}

/// `base * factor` (or `factor * base`) with an integer literal factor.
#[derive(Clone, Debug)]
pub struct ScaledFact {
    pub base: Val,
    pub factor: u128,
    pub span: Span,
    pub region: RegionId,
}

/// A loop's header, read for its bound, and whether its body can leave it.
#[derive(Clone, Debug)]
pub struct LoopFact {
    pub region: RegionId,
    pub bound: LoopBound,
    /// The body has a `break` or `return` that leaves the loop: it waits until something holds.
    pub exits: bool,
    /// What a `for` loop iterates (`x.chunks(100)`, `&self.updaters`).
    pub iter: Option<Val>,
}

/// An `.await`: the region it is in and the method or function awaited (`send`, `recv`).
#[derive(Clone, Debug)]
pub struct AwaitFact {
    pub region: RegionId,
    pub span: Span,
    pub callee: Option<String>,
}

/// A lexical scope: the file, a module, a function body, a closure, an async block, a loop body.
#[derive(Clone, Debug)]
pub struct Region {
    pub kind: RegionKind,
    pub parent: Option<RegionId>,
    pub span: Span,
    /// Test-only code: `#[cfg(test)]` modules, `#[test]` functions and what they contain.
    pub in_test: bool,
    pub arg_of: Option<ArgOf>,
}

/// A summary of an expression, deep enough for rules to read calls, chains and literals.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// An integer literal; `suffix` is its type suffix (`u32` in `50u32`).
    Int {
        value: u128,
        suffix: String,
        span: Span,
    },
    Str {
        value: String,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    /// A path expression, resolved through the file's `use` items.
    Path {
        path: Path,
        span: Span,
    },
    Field {
        base: Box<Val>,
        name: String,
        span: Span,
    },
    Call {
        func: Box<Val>,
        args: Vec<Val>,
        span: Span,
    },
    Method {
        recv: Box<Val>,
        name: String,
        name_span: Span,
        args: Vec<Val>,
        span: Span,
    },
    Macro {
        path: Path,
        span: Span,
    },
    Struct {
        path: Path,
        fields: Vec<(String, Val)>,
        rest: Option<Box<Val>>,
        span: Span,
    },
    /// A closure or async block; its body is the region, `tail` its value when it is one expression.
    Body {
        region: RegionId,
        tail: Option<Box<Val>>,
        span: Span,
    },
    /// A tuple expression: `(MetaColumn::Status, Value::i64(0))`.
    Tuple {
        elems: Vec<Val>,
        span: Span,
    },
    Other {
        span: Span,
    },
}

impl Val {
    pub fn span(&self) -> Span {
        match self {
            Val::Int { span, .. }
            | Val::Str { span, .. }
            | Val::Bool { span, .. }
            | Val::Path { span, .. }
            | Val::Field { span, .. }
            | Val::Call { span, .. }
            | Val::Method { span, .. }
            | Val::Macro { span, .. }
            | Val::Struct { span, .. }
            | Val::Body { span, .. }
            | Val::Tuple { span, .. }
            | Val::Other { span } => *span,
        }
    }

    /// The method calls of a chain, innermost first, and the value they start from.
    pub fn chain(&self) -> (&Val, Vec<&Val>) {
        let mut links = vec![];
        let mut cur = self;
        while let Val::Method { recv, .. } = cur {
            links.push(cur);
            cur = recv;
        }
        links.reverse();
        (cur, links)
    }

    pub fn method_name(&self) -> Option<&str> {
        match self {
            Val::Method { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The callee path of a function call.
    pub fn call_path(&self) -> Option<&Path> {
        match self {
            Val::Call { func, .. } => match &**func {
                Val::Path { path, .. } => Some(path),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn args(&self) -> &[Val] {
        match self {
            Val::Call { args, .. } | Val::Method { args, .. } => args,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Every value inside this one, itself included, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Val)) {
        f(self);
        match self {
            Val::Field { base, .. } => base.walk(f),
            Val::Call { func, args, .. } => {
                func.walk(f);
                args.iter().for_each(|a| a.walk(f));
            }
            Val::Method { recv, args, .. } => {
                recv.walk(f);
                args.iter().for_each(|a| a.walk(f));
            }
            Val::Struct { fields, rest, .. } => {
                fields.iter().for_each(|(_, v)| v.walk(f));
                if let Some(r) = rest {
                    r.walk(f);
                }
            }
            Val::Tuple { elems, .. } => elems.iter().for_each(|v| v.walk(f)),
            _ => {}
        }
    }
}

/// An outermost call expression (a function call or a whole method chain).
#[derive(Clone, Debug)]
pub struct CallFact {
    pub val: Val,
    pub region: RegionId,
}

/// How a macro argument was written, for `log`/`tracing` macros and format macros.
#[derive(Clone, Debug)]
pub enum MacroArg {
    /// `expr`, or a format string.
    Expr(Val),
    /// `name = value`, `name = ?value`, `?value`, `%value`, `target: ..`.
    Field {
        name: Option<String>,
        sigil: Option<char>,
        value: Val,
        span: Span,
    },
    Unparsed {
        span: Span,
    },
}

#[derive(Clone, Debug)]
pub struct MacroFact {
    pub path: Path,
    /// The span of the macro's path (`info` in `tracing::info!`), for renaming edits.
    pub name_span: Span,
    pub span: Span,
    pub args: Vec<MacroArg>,
    /// Whether the arguments could be split at top-level commas and parsed.
    pub parsed: bool,
    pub region: RegionId,
}

#[derive(Clone, Debug)]
pub struct StrFact {
    pub value: String,
    pub span: Span,
    pub region: RegionId,
}

#[derive(Clone, Debug)]
pub struct AttrFact {
    pub path: Path,
    pub span: Span,
    /// The tokens inside the attribute's parentheses, as text.
    pub args: String,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// The type as written, tokens joined by spaces.
    pub ty: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FnFact {
    pub name: String,
    /// Module path within the crate, impl type, then the name: `["jobs", "Cleaner", "run"]`.
    pub path: Path,
    pub span: Span,
    pub ident_span: Span,
    pub body: RegionId,
    pub is_test: bool,
    pub is_method: bool,
    pub attrs: Vec<AttrFact>,
    pub params: Vec<Param>,
    pub has_self: bool,
    /// The body's tail expression, when the body is a single expression.
    pub tail: Option<Val>,
    /// Type parameters and the last segments of their trait bounds: `("M", ["MigratorTrait"])`.
    pub bounds: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Debug)]
pub struct LetFact {
    pub name: String,
    /// The name is one field of a struct pattern (`let Req { id, .. } = req`), not the whole
    /// initializer.
    pub field_of_init: bool,
    pub init: Val,
    pub region: RegionId,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct AssignFact {
    pub target: Val,
    pub value: Val,
    pub region: RegionId,
}

#[derive(Clone, Debug)]
pub struct ConstFact {
    pub name: String,
    pub value: Val,
    /// The string literals of the value, joined: the text of `"SELECT .."` or `concat!("a", "b")`.
    pub text: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: String,
    /// smart-default's `#[default(30)]` (or `#[default(expr)]`): the default value written there.
    pub attr_default: Option<Val>,
    /// `#[serde(default = "path")]`: the function's path; `#[serde(default)]`: an empty path.
    pub serde_default: Option<Path>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct StructFact {
    pub name: String,
    pub fields: Vec<FieldDef>,
    pub span: Span,
}

/// A `// scalelint: allow(rule) reason` comment.
#[derive(Clone, Debug)]
pub struct AllowComment {
    pub rules: Vec<(String, Span)>,
    pub line: usize,
    /// The last line it covers: its own line for a comment after code; for a comment on a line
    /// of its own, the last line of the statement or expression starting below it (an item's
    /// header only).
    pub last_line: usize,
    /// On a line of its own (not after code).
    pub alone: bool,
    /// The text after `)`, trimmed; empty when the comment gives no reason.
    pub reason: String,
    /// What removing the comment takes.
    pub span: Span,
    /// From `scalelint` to the comment's end.
    pub marker: Span,
    /// Why a comment that looks like an allow is not one (it then has no rules).
    pub problem: Option<String>,
}

/// `impl Trait for Type` or `impl Type`.
#[derive(Clone, Debug)]
pub struct ImplFact {
    pub self_ty: String,
    pub trait_path: Option<Path>,
    pub span: Span,
    /// The `impl` keyword, where a finding about the whole impl points.
    pub keyword: Span,
}

/// A `match` arm: its pattern as written and the span of its body
/// (`Command::Migrate => db::migrate(&pool).await?` gives `Command :: Migrate`).
#[derive(Clone, Debug)]
pub struct ArmFact {
    pub pat: String,
    pub body: Span,
}

/// An `if` or `match`: the span of its condition (or scrutinee) and of what runs depending on it
/// (the `then` block, the arms).
#[derive(Clone, Copy, Debug)]
pub struct Gate {
    pub cond: Span,
    pub body: Span,
    /// For `if i % 1000 == 0` or `if i.is_multiple_of(1000)`: the literal divisor (the body runs
    /// once every that many passes).
    pub every: Option<u128>,
}

/// The identifiers of an `if` condition (`args.disable_scheduled_tasks` → `args`,
/// `disable_scheduled_tasks`), with the gate they control (its index in `gates`).
#[derive(Clone, Debug)]
pub struct GateWords {
    pub gate: usize,
    pub words: Vec<String>,
}

/// A module compiled only with cargo features (`#[cfg(feature = "testing")] pub mod tests_cfg;`):
/// its path in the crate and the features it requires.
#[derive(Clone, Debug)]
pub struct FeatureMod {
    pub path: Path,
    pub features: Vec<String>,
}

/// A `macro_rules!` definition: its name and its body's tokens as text, whitespace removed.
#[derive(Clone, Debug)]
pub struct MacroDefFact {
    pub name: String,
    pub body: String,
    pub span: Span,
}

/// A `match` expression: what it matches on and its arms (for splitting a CLI's `main` into
/// the commands it runs).
#[derive(Clone, Debug)]
pub struct MatchFact {
    pub scrutinee: Val,
    pub arms: Vec<ArmFact>,
    pub span: Span,
    pub region: RegionId,
}

#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    /// Module path of the file within its crate (`src/jobs/mod.rs` → `["jobs"]`).
    pub module: Path,
    pub regions: Vec<Region>,
    pub calls: Vec<CallFact>,
    pub macros: Vec<MacroFact>,
    pub strings: Vec<StrFact>,
    pub fns: Vec<FnFact>,
    pub lets: Vec<LetFact>,
    pub assigns: Vec<AssignFact>,
    pub consts: Vec<ConstFact>,
    pub structs: Vec<StructFact>,
    pub impls: Vec<ImplFact>,
    /// Inner attributes and item attributes outside functions (`#![..]`).
    pub file_attrs: Vec<AttrFact>,
    /// The first path segments this file names: crates it uses.
    pub crate_refs: Vec<String>,
    /// `use a::b::*` prefixes.
    pub globs: Vec<Path>,
    /// Spans of macro statements followed in their block by `return`, `break` or `exit(..)`.
    pub exit_macros: Vec<Span>,
    /// Every `.await`, in source order.
    pub awaits: Vec<AwaitFact>,
    /// Spans of macro statements followed in their block by a process `exit(..)`.
    pub process_exit_macros: Vec<Span>,
    /// Macro statements followed in their block by `continue`: the macro's span and the
    /// `continue`'s.
    pub continue_macros: Vec<(Span, Span)>,
    /// Products by an integer literal (`cpus * 4`): what is scaled, by how much, where.
    pub scaled: Vec<ScaledFact>,
    /// `for` and `while` loops with what their headers say about their bounds.
    pub loops: Vec<LoopFact>,
    pub arms: Vec<ArmFact>,
    pub macro_defs: Vec<MacroDefFact>,
    pub matches: Vec<MatchFact>,
    pub gates: Vec<Gate>,
    /// Modules compiled only with cargo features.
    pub feature_mods: Vec<FeatureMod>,
    pub gate_words: Vec<GateWords>,
    /// Types deriving a command-line parser (`#[derive(clap::Parser)]`, `Subcommand`, `StructOpt`).
    pub cli_types: Vec<String>,
    /// Code compiled only in debug builds: items under `#[cfg(debug_assertions)]`, the branch of
    /// `if cfg!(debug_assertions)` that a release build skips.
    pub debug_spans: Vec<Span>,
    /// `loop { .. }` regions no `break` leaves: the process runs them until it stops.
    pub endless_loops: Vec<RegionId>,
    /// Identifiers inside macro calls whose arguments are not expressions (they may name functions).
    pub macro_idents: Vec<String>,
    /// `if name == "command" { .. }`: the block that runs for one string command.
    pub string_ifs: Vec<StringIf>,
    /// Types named as generic arguments of expression paths (`launch::<Postgres>(..)`).
    pub type_args: Vec<TypeArg>,
    /// `type Alias = Target<..>;` items: the alias and the last segment of its target's path.
    pub type_aliases: Vec<(String, String)>,
    /// For each region, the last region inside it (see `index_regions`); empty until indexed.
    pub region_ends: Vec<RegionId>,
}

/// A type named as a generic argument in code (`Postgres` in `launch::<Postgres>(..)`).
#[derive(Clone, Debug)]
pub struct TypeArg {
    pub name: String,
    pub region: RegionId,
    pub span: Span,
}

/// An `if` whose condition compares a value to a string literal.
#[derive(Clone, Debug)]
pub struct StringIf {
    /// The variable compared (`name` in `name == "reset"` or `name.as_str() == "reset"`).
    pub var: String,
    pub then_span: Span,
    pub region: RegionId,
}

impl FileFacts {
    /// Gives back the spare capacity of every list: a workspace's facts are all held until its
    /// rules have run, and lists grown by doubling are a third empty on average.
    pub fn shrink_to_fit(&mut self) {
        self.regions.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.macros.shrink_to_fit();
        self.strings.shrink_to_fit();
        self.fns.shrink_to_fit();
        self.lets.shrink_to_fit();
        self.assigns.shrink_to_fit();
        self.consts.shrink_to_fit();
        self.structs.shrink_to_fit();
        self.impls.shrink_to_fit();
        self.file_attrs.shrink_to_fit();
        self.crate_refs.shrink_to_fit();
        self.globs.shrink_to_fit();
        self.exit_macros.shrink_to_fit();
        self.awaits.shrink_to_fit();
        self.process_exit_macros.shrink_to_fit();
        self.continue_macros.shrink_to_fit();
        self.scaled.shrink_to_fit();
        self.loops.shrink_to_fit();
        self.arms.shrink_to_fit();
        self.macro_defs.shrink_to_fit();
        self.matches.shrink_to_fit();
        self.gates.shrink_to_fit();
        self.gate_words.shrink_to_fit();
        self.cli_types.shrink_to_fit();
        self.debug_spans.shrink_to_fit();
        self.endless_loops.shrink_to_fit();
        self.macro_idents.shrink_to_fit();
        self.string_ifs.shrink_to_fit();
        self.type_args.shrink_to_fit();
        self.type_aliases.shrink_to_fit();
        self.region_ends.shrink_to_fit();
    }

    /// What the header of the loop whose body is `region` says about its bound.
    pub fn loop_bound(&self, region: RegionId) -> &LoopBound {
        self.loops
            .iter()
            .find(|l| l.region == region)
            .map_or(&LoopBound::Open, |l| &l.bound)
    }

    /// What the `for` loop whose body is `region` iterates.
    pub fn loop_iter(&self, region: RegionId) -> Option<&Val> {
        self.loops
            .iter()
            .find(|l| l.region == region)
            .and_then(|l| l.iter.as_ref())
    }

    /// Whether the loop whose body is `region` has a `break` or `return` that leaves it.
    pub fn loop_exits(&self, region: RegionId) -> bool {
        self.loops.iter().any(|l| l.region == region && l.exits)
    }

    pub fn region(&self, id: RegionId) -> &Region {
        &self.regions[id]
    }

    /// The region and its ancestors, innermost first.
    pub fn ancestors(&self, id: RegionId) -> impl Iterator<Item = (RegionId, &Region)> {
        let mut next = Some(id);
        std::iter::from_fn(move || {
            let id = next?;
            let r = &self.regions[id];
            next = r.parent;
            Some((id, r))
        })
    }

    pub fn in_test(&self, id: RegionId) -> bool {
        self.regions[id].in_test
    }

    /// Whether `span` lies in code that only debug builds compile or run.
    pub fn in_debug_only(&self, span: Span) -> bool {
        self.debug_spans
            .iter()
            .any(|d| d.start <= span.start && span.end <= d.end)
    }

    /// The function whose body holds this region, if any.
    pub fn enclosing_fn(&self, id: RegionId) -> Option<&FnFact> {
        self.ancestors(id).find_map(|(_, r)| match r.kind {
            RegionKind::Fn(f) => Some(&self.fns[f]),
            _ => None,
        })
    }

    /// Whether `inner` is `outer` or lies inside it.
    pub fn is_within(&self, inner: RegionId, outer: RegionId) -> bool {
        match self.region_ends.get(outer) {
            Some(&end) => outer <= inner && inner <= end,
            None => self.ancestors(inner).any(|(id, _)| id == outer),
        }
    }

    /// Records, for each region, the last region inside it. Regions are numbered as the
    /// extractor enters them (depth first), so a region's descendants are the ids right after
    /// it, and `is_within` is two comparisons instead of a walk up the tree: rules ask it for
    /// every fact of a file, for many regions.
    pub fn index_regions(&mut self) {
        let mut ends: Vec<RegionId> = (0..self.regions.len()).collect();
        for id in (0..self.regions.len()).rev() {
            if let Some(p) = self.regions[id].parent {
                debug_assert!(p < id, "a region's parent is entered before it");
                ends[p] = ends[p].max(ends[id]);
            }
        }
        self.region_ends = ends;
        // Checked in debug builds on files small enough for the quadratic check.
        #[cfg(debug_assertions)]
        for outer in (0..self.regions.len()).filter(|_| self.regions.len() <= 400) {
            for inner in 0..self.regions.len() {
                debug_assert_eq!(
                    self.is_within(inner, outer),
                    self.ancestors(inner).any(|(id, _)| id == outer),
                    "regions are numbered depth first"
                );
            }
        }
    }

    /// Calls whose region lies inside `region`.
    pub fn calls_within(&self, region: RegionId) -> impl Iterator<Item = &CallFact> {
        self.calls
            .iter()
            .filter(move |c| self.is_within(c.region, region))
    }

    pub fn macros_within(&self, region: RegionId) -> impl Iterator<Item = &MacroFact> {
        self.macros
            .iter()
            .filter(move |m| self.is_within(m.region, region))
    }

    pub fn strings_within(&self, region: RegionId) -> impl Iterator<Item = &StrFact> {
        self.strings
            .iter()
            .filter(move |s| self.is_within(s.region, region))
    }

    /// The local binding `name` visible from `region`: the nearest `let` in an enclosing region.
    pub fn binding(&self, name: &str, region: RegionId) -> Option<&LetFact> {
        self.ancestors(region).find_map(|(id, _)| {
            self.lets
                .iter()
                .rev()
                .find(|l| l.region == id && l.name == name)
        })
    }
}

/// Whether `path` ends with the segments of `suffix` (`["PgPoolOptions", "new"]`).
pub fn ends_with(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len()
        && path[path.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a == b)
}
