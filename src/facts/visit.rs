//! The one syntax-tree pass per file that produces its `FileFacts`.

use super::spans;
use super::*;
use crate::source::OffsetMap;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::{BTreeSet, HashMap};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// How deep an expression is summarised into a `Val`; deeper parts become `Val::Other`.
const MAX_VAL_DEPTH: usize = 48;

/// Extracts the facts of a parsed file. `module` is the file's module path in its crate.
pub fn extract(file: &syn::File, offsets: &OffsetMap, module: Path) -> FileFacts {
    spans::reset();
    let mut uses = UseCollector::default();
    uses.visit_file(file);
    let mut v = Visitor {
        offsets,
        aliases: uses.aliases,
        crate_refs: uses.crate_refs,
        facts: FileFacts {
            module: module.clone(),
            globs: uses.globs,
            ..FileFacts::default()
        },
        module,
        impl_ty: None,
        region: 0,
        body_regions: HashMap::new(),
        pending_arg_of: None,
        loops: vec![],
        broken: BTreeSet::new(),
        test_impl: false,
        macro_idents: BTreeSet::new(),
    };
    let whole = Span::new(
        offsets.offset(proc_macro2::LineColumn { line: 1, column: 0 }),
        usize::MAX,
    );
    v.facts.regions.push(Region {
        kind: RegionKind::File,
        parent: None,
        span: whole,
        in_test: false,
        arg_of: None,
    });
    v.facts.file_attrs = file.attrs.iter().map(|a| v.attr_fact(a)).collect();
    v.visit_file(file);
    spans::reset();
    let mut facts = v.facts;
    facts.crate_refs = v.crate_refs.into_iter().collect();
    facts.macro_idents = v.macro_idents.into_iter().collect();
    facts.index_regions();
    facts.shrink_to_fit();
    facts
}

/// Collects `use` items first, so paths used before their `use` still resolve.
#[derive(Default)]
struct UseCollector {
    aliases: HashMap<String, Path>,
    globs: Vec<Path>,
    crate_refs: BTreeSet<String>,
}

impl UseCollector {
    fn add(&mut self, tree: &syn::UseTree, prefix: &mut Path) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        self.aliases.insert(last.clone(), prefix.clone());
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(name.clone());
                    self.aliases.insert(name, full);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                let name = r.ident.to_string();
                if name != "self" {
                    full.push(name);
                }
                self.aliases.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Glob(_) => self.globs.push(prefix.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.add(t, prefix)),
        }
    }
}

impl<'ast> Visit<'ast> for UseCollector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if let Some(first) = first_use_segment(&u.tree) {
            self.crate_refs.insert(first);
        }
        self.add(&u.tree, &mut vec![]);
    }
}

fn first_use_segment(tree: &syn::UseTree) -> Option<String> {
    match tree {
        syn::UseTree::Path(p) => Some(p.ident.to_string()),
        syn::UseTree::Name(n) => Some(n.ident.to_string()),
        syn::UseTree::Rename(r) => Some(r.ident.to_string()),
        _ => None,
    }
}

struct Visitor<'a> {
    offsets: &'a OffsetMap<'a>,
    aliases: HashMap<String, Path>,
    crate_refs: BTreeSet<String>,
    facts: FileFacts,
    module: Path,
    impl_ty: Option<String>,
    region: RegionId,
    /// Closure and async-block spans → their regions, so a `Val` can point at a body.
    body_regions: HashMap<(usize, usize), RegionId>,
    pending_arg_of: Option<ArgOf>,
    /// Enclosing loops (region, label), innermost last; `None` where a closure, async block or
    /// function body starts (a `break` does not cross it).
    loops: Vec<Option<(RegionId, Option<String>)>>,
    /// Loops some `break` leaves.
    broken: BTreeSet<RegionId>,
    /// Inside an `impl` block under `#[cfg(test)]`.
    test_impl: bool,
    macro_idents: BTreeSet<String>,
}

/// Whether code under the `cfg` predicate `meta` is compiled only when `flag` (`test`,
/// `debug_assertions`) is set: `test`, `all(test, ..)`, `any(test, test)`; not `not(test)`,
/// `any(test, feature = "x")` or `feature = "integration-tests"`.
pub fn cfg_requires(meta: &syn::Meta, flag: &str) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident(flag),
        syn::Meta::List(l) => {
            let Ok(args) =
                l.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            else {
                return false;
            };
            if l.path.is_ident("all") {
                args.iter().any(|m| cfg_requires(m, flag))
            } else if l.path.is_ident("any") {
                !args.is_empty() && args.iter().all(|m| cfg_requires(m, flag))
            } else {
                false
            }
        }
        syn::Meta::NameValue(_) => false,
    }
}

/// The cargo features a `#[cfg(..)]` attribute requires: `feature = "x"`, or each of
/// `all(feature = "x", ..)`; none under `any` or `not`.
fn cfg_features(attr: &syn::Attribute) -> Vec<String> {
    fn of(meta: &syn::Meta, out: &mut Vec<String>) {
        match meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("feature") => {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                {
                    out.push(s.value());
                }
            }
            syn::Meta::List(l) if l.path.is_ident("all") => {
                if let Ok(args) =
                    l.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                {
                    for m in &args {
                        of(m, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = vec![];
    if attr.path().is_ident("cfg")
        && let syn::Meta::List(l) = &attr.meta
        && let Ok(m) = syn::parse2::<syn::Meta>(l.tokens.clone())
    {
        of(&m, &mut out);
    }
    out
}

/// Whether the attribute is `#[cfg(..)]` with a predicate that requires `flag`.
fn attr_cfg_requires(attr: &syn::Attribute, flag: &str) -> bool {
    if !attr.path().is_ident("cfg") {
        return false;
    }
    match &attr.meta {
        syn::Meta::List(l) => {
            syn::parse2::<syn::Meta>(l.tokens.clone()).is_ok_and(|m| cfg_requires(&m, flag))
        }
        _ => false,
    }
}

/// `cfg!(debug_assertions)` (`Some(true)`) or `!cfg!(debug_assertions)` (`Some(false)`).
fn debug_cfg_macro(e: &syn::Expr) -> Option<bool> {
    match e {
        syn::Expr::Macro(m) if m.mac.path.is_ident("cfg") => {
            let meta = syn::parse2::<syn::Meta>(m.mac.tokens.clone()).ok()?;
            cfg_requires(&meta, "debug_assertions").then_some(true)
        }
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            debug_cfg_macro(&u.expr).map(|b| !b)
        }
        syn::Expr::Paren(p) => debug_cfg_macro(&p.expr),
        _ => None,
    }
}

/// Types a derive makes into a command-line parser.
const CLI_DERIVES: &[&str] = &[
    "Parser",
    "Subcommand",
    "Args",
    "StructOpt",
    "FromArgs",
    "Clap",
];

fn derives_cli(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths.iter().any(|p| {
                        p.segments
                            .last()
                            .is_some_and(|s| CLI_DERIVES.iter().any(|d| s.ident == d))
                    })
                })
    })
}

fn collect_idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

fn is_test_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path
        .segments
        .last()
        .is_some_and(|s| s.ident == "test" || s.ident == "bench" || s.ident == "rstest")
    {
        return true;
    }
    // The predicate is parsed: `cfg(feature = "integration-tests")` is a feature, not a test.
    attr_cfg_requires(attr, "test")
}

fn tokens_text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

impl<'a> Visitor<'a> {
    fn span(&self, s: proc_macro2::Span) -> Span {
        self.offsets.span(s)
    }

    fn push_region(&mut self, kind: RegionKind, span: Span, test: bool) -> RegionId {
        let parent = self.region;
        let in_test = test || self.facts.regions[parent].in_test;
        let arg_of = match kind {
            RegionKind::Closure | RegionKind::AsyncBlock => self.pending_arg_of.take(),
            _ => None,
        };
        self.facts.regions.push(Region {
            kind,
            parent: Some(parent),
            span,
            in_test,
            arg_of,
        });
        let id = self.facts.regions.len() - 1;
        self.region = id;
        id
    }

    fn pop_region(&mut self, id: RegionId) {
        self.region = self.facts.regions[id].parent.unwrap_or(0);
    }

    fn resolve(&mut self, segments: &[String]) -> Path {
        let Some(first) = segments.first() else {
            return vec![];
        };
        // An alias (`use a::b as c`) stands for its path; that path may itself be relative.
        let expanded: Path = match self.aliases.get(first) {
            Some(p) if !matches!(first.as_str(), "crate" | "self" | "super") => {
                p.iter().chain(&segments[1..]).cloned().collect()
            }
            _ => segments.to_vec(),
        };
        let out = self.anchor(expanded);
        if segments.len() > 1
            && first != "Self"
            && let Some(root) = out.first()
        {
            self.crate_refs.insert(root.clone());
        }
        out
    }

    /// Resolves leading `crate`, `self` and `super` segments against this file's module:
    /// `super::super::x` in `crate::a::b` is `crate::x`.
    fn anchor(&self, segments: Path) -> Path {
        let here = || -> Path {
            std::iter::once("crate".to_string())
                .chain(self.module.iter().cloned())
                .collect()
        };
        let mut base: Option<Path> = None;
        let mut taken = 0;
        for (i, seg) in segments.iter().enumerate() {
            match seg.as_str() {
                "crate" if i == 0 => base = Some(vec!["crate".into()]),
                "self" if i == 0 => base = Some(here()),
                "super" => {
                    let b = base.get_or_insert_with(here);
                    if b.len() > 1 {
                        b.pop();
                    }
                }
                _ => break,
            }
            taken = i + 1;
        }
        match base {
            Some(mut b) => {
                b.extend(segments.into_iter().skip(taken));
                b
            }
            None => segments,
        }
    }

    fn resolve_path(&mut self, path: &syn::Path) -> Path {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let mut p = self.resolve(&segs);
        if segs.first().is_some_and(|s| s == "Self")
            && let Some(ty) = &self.impl_ty
        {
            p[0] = ty.clone();
        }
        p
    }

    fn attr_fact(&mut self, attr: &syn::Attribute) -> AttrFact {
        let path = self.resolve_path(attr.path());
        let args = match &attr.meta {
            syn::Meta::List(l) => l.tokens.to_string(),
            syn::Meta::NameValue(nv) => tokens_text(&nv.value),
            syn::Meta::Path(_) => String::new(),
        };
        AttrFact {
            path,
            span: self.span(attr.span()),
            args,
        }
    }

    fn val(&mut self, e: &syn::Expr, depth: usize) -> Val {
        let span = self.span(spans::expr(e));
        if depth > MAX_VAL_DEPTH {
            return Val::Other { span };
        }
        let d = depth + 1;
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Int(i) => match i.base10_parse::<u128>() {
                    Ok(value) => Val::Int {
                        value,
                        suffix: i.suffix().to_string(),
                        span,
                    },
                    Err(_) => Val::Other { span },
                },
                syn::Lit::Str(s) => Val::Str {
                    value: s.value(),
                    span,
                },
                syn::Lit::Bool(b) => Val::Bool {
                    value: b.value,
                    span,
                },
                _ => Val::Other { span },
            },
            syn::Expr::Path(p) => Val::Path {
                path: self.resolve_path(&p.path),
                span,
            },
            syn::Expr::Field(f) => match &f.member {
                syn::Member::Named(n) => Val::Field {
                    base: Box::new(self.val(&f.base, d)),
                    name: n.to_string(),
                    span,
                },
                syn::Member::Unnamed(i) => Val::Field {
                    base: Box::new(self.val(&f.base, d)),
                    name: i.index.to_string(),
                    span,
                },
            },
            syn::Expr::Call(c) => Val::Call {
                func: Box::new(self.val(&c.func, d)),
                args: c.args.iter().map(|a| self.val(a, d)).collect(),
                span,
            },
            syn::Expr::MethodCall(m) => Val::Method {
                recv: Box::new(self.val(&m.receiver, d)),
                name: m.method.to_string(),
                name_span: self.span(m.method.span()),
                args: m.args.iter().map(|a| self.val(a, d)).collect(),
                span,
            },
            syn::Expr::Macro(m) => Val::Macro {
                path: self.resolve_path(&m.mac.path),
                span,
            },
            syn::Expr::Struct(s) => Val::Struct {
                path: self.resolve_path(&s.path),
                fields: s
                    .fields
                    .iter()
                    .filter_map(|f| match &f.member {
                        syn::Member::Named(n) => Some((n.to_string(), self.val(&f.expr, d))),
                        syn::Member::Unnamed(_) => None,
                    })
                    .collect(),
                rest: s.rest.as_ref().map(|r| Box::new(self.val(r, d))),
                span,
            },
            syn::Expr::Closure(_) | syn::Expr::Async(_) => {
                match self.body_regions.get(&(span.start, span.end)) {
                    Some(&region) => {
                        let tail = match e {
                            syn::Expr::Closure(c) => Some(self.val(&c.body, d)),
                            syn::Expr::Async(a) => match a.block.stmts.last() {
                                Some(syn::Stmt::Expr(t, None)) if a.block.stmts.len() == 1 => {
                                    Some(self.val(t, d))
                                }
                                _ => None,
                            },
                            _ => None,
                        };
                        Val::Body {
                            region,
                            tail: tail.map(Box::new),
                            span,
                        }
                    }
                    None => Val::Other { span },
                }
            }
            // Wrappers that do not change what a value is for our purposes.
            syn::Expr::Await(a) => self.val(&a.base, depth),
            syn::Expr::Try(t) => self.val(&t.expr, depth),
            syn::Expr::Paren(p) => self.val(&p.expr, depth),
            syn::Expr::Group(g) => self.val(&g.expr, depth),
            syn::Expr::Reference(r) => self.val(&r.expr, depth),
            // `&mut *conn`: the connection itself.
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.val(&u.expr, depth),
            syn::Expr::Cast(c) => self.val(&c.expr, depth),
            syn::Expr::Tuple(t) if !t.elems.is_empty() => Val::Tuple {
                elems: t.elems.iter().map(|e| self.val(e, d)).collect(),
                span,
            },
            syn::Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                syn::Stmt::Expr(e, None) => self.val(e, depth),
                _ => Val::Other { span },
            },
            _ => Val::Other { span },
        }
    }

    /// Unwraps `.await`, `?` and parentheses around a call.
    fn peel(e: &syn::Expr) -> &syn::Expr {
        match e {
            syn::Expr::Await(a) => Self::peel(&a.base),
            syn::Expr::Try(t) => Self::peel(&t.expr),
            syn::Expr::Paren(p) => Self::peel(&p.expr),
            _ => e,
        }
    }

    /// Visits an outermost call expression: records it once as a whole chain and visits
    /// what its parts contain (arguments, the chain's root), without recording inner links.
    /// Records an `.await` and the method or function it awaits.
    fn record_await(&mut self, a: &syn::ExprAwait) {
        let callee = match &*a.base {
            syn::Expr::MethodCall(m) => Some(m.method.to_string()),
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            },
            _ => None,
        };
        self.facts.awaits.push(AwaitFact {
            region: self.region,
            span: self.span(a.span()),
            callee,
        });
    }

    fn visit_chain(&mut self, e: &syn::Expr) {
        // The awaits inside the chain (`client.send().await?.json().await`): the chain is
        // walked below without `visit_expr` on its receivers.
        let mut cur = e;
        loop {
            match cur {
                syn::Expr::Await(a) => {
                    self.record_await(a);
                    cur = &a.base;
                }
                syn::Expr::Try(t) => cur = &t.expr,
                syn::Expr::Paren(p) => cur = &p.expr,
                syn::Expr::MethodCall(m) => cur = &m.receiver,
                _ => break,
            }
        }
        let mut links: Vec<&syn::ExprMethodCall> = vec![];
        let mut root = e;
        loop {
            match Self::peel(root) {
                syn::Expr::MethodCall(m) => {
                    links.push(m);
                    root = &m.receiver;
                }
                other => {
                    root = other;
                    break;
                }
            }
        }
        match root {
            syn::Expr::Call(c) => {
                self.visit_expr(&c.func);
                let callee = match &*c.func {
                    syn::Expr::Path(p) => Some(self.resolve_path(&p.path)),
                    _ => None,
                };
                let call_span = self.span(spans::call(c));
                for arg in &c.args {
                    self.pending_arg_of = callee.clone().map(|callee| ArgOf {
                        callee,
                        method: false,
                        call_span,
                    });
                    self.visit_expr(arg);
                    self.pending_arg_of = None;
                }
            }
            other => self.visit_expr(other),
        }
        for m in links.iter().rev() {
            let call_span = self.span(spans::method_call(m));
            for arg in &m.args {
                self.pending_arg_of = Some(ArgOf {
                    callee: vec![m.method.to_string()],
                    method: true,
                    call_span,
                });
                self.visit_expr(arg);
                self.pending_arg_of = None;
            }
        }
        let val = self.val(e, 0);
        self.facts.calls.push(CallFact {
            val,
            region: self.region,
        });
    }

    fn visit_macro_call(&mut self, mac: &syn::Macro) {
        let path = self.resolve_path(&mac.path);
        let name_span = self.span(
            mac.path
                .segments
                .last()
                .map_or(mac.path.span(), |s| s.ident.span()),
        );
        let span = self.span(mac.span());
        let pieces = split_commas(mac.tokens.clone());
        let mut args = vec![];
        let mut parsed = true;
        let mut exprs = vec![];
        for piece in pieces {
            match parse_macro_arg(&piece) {
                Some(arg) => {
                    exprs.push(arg.1.clone());
                    args.push(arg);
                }
                None => {
                    parsed = false;
                    break;
                }
            }
        }
        let region = self.region;
        if parsed {
            for e in &exprs {
                self.visit_expr(e);
            }
            let args = args
                .into_iter()
                .map(|(kind, e, span)| {
                    let value = self.val(&e, 0);
                    match kind {
                        ArgKind::Expr => MacroArg::Expr(value),
                        ArgKind::Field { name, sigil } => MacroArg::Field {
                            name,
                            sigil,
                            value,
                            span: self.span(span),
                        },
                    }
                })
                .collect();
            self.facts.macros.push(MacroFact {
                path,
                name_span,
                span,
                args,
                parsed: true,
                region,
            });
        } else {
            // Not an expression list (`select!`, `json!`, DSLs): still look inside its blocks,
            // and at `select!` arms' futures (`_ = interval.tick() => ..`).
            for e in select_arm_exprs(mac.tokens.clone()) {
                self.visit_expr(&e);
            }
            for block in brace_blocks(mac.tokens.clone()) {
                for stmt in &block {
                    self.visit_stmt(stmt);
                }
            }
            collect_idents(mac.tokens.clone(), &mut self.macro_idents);
            let args = vec![MacroArg::Unparsed { span }];
            self.facts.macros.push(MacroFact {
                path,
                name_span,
                span,
                args,
                parsed: false,
                region,
            });
        }
    }

    /// A `macro_rules!` definition: each expansion read as code (items, else statements, else
    /// the blocks in it), its metavariables as plain names, at the definition's place.
    fn visit_macro_rules(&mut self, mac: &syn::Macro) {
        let path = self.resolve_path(&mac.path);
        let name_span = self.span(
            mac.path
                .segments
                .last()
                .map_or(mac.path.span(), |s| s.ident.span()),
        );
        let span = self.span(mac.span());
        for (written, exp) in super::macro_body::expansions(mac.tokens.clone()) {
            // Items (functions, `impl` blocks) are code of the crate; statements run where the
            // macro is invoked, so only the blocks that parse as written are read, as before.
            let items = syn::parse2::<syn::File>(exp)
                .ok()
                .filter(|f| !f.items.is_empty());
            match items {
                Some(file) => {
                    for item in &file.items {
                        self.visit_item(item);
                    }
                }
                None => {
                    for block in brace_blocks(written) {
                        for stmt in &block {
                            self.visit_stmt(stmt);
                        }
                    }
                }
            }
        }
        self.facts.macros.push(MacroFact {
            path,
            name_span,
            span,
            args: vec![MacroArg::Unparsed { span }],
            parsed: false,
            region: self.region,
        });
    }

    /// A `const`/`static` item: its value, and the text of the string literals it holds
    /// (`"SELECT pg_advisory_lock(1)"`, or the pieces of a `concat!`), recorded from `first` on.
    fn record_const(&mut self, ident: &syn::Ident, expr: &syn::Expr, first: usize) {
        let value = self.val(expr, 0);
        let pieces: Vec<&str> = self.facts.strings[first..]
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        let text = (!pieces.is_empty()).then(|| pieces.concat());
        self.facts.consts.push(ConstFact {
            name: ident.to_string(),
            value,
            text,
            span: self.span(ident.span()),
        });
    }

    /// Macro statements of a block that a later `return`, `break` or `exit(..)` of the same
    /// block follows: they run at most once per pass through the enclosing loop. Those before
    /// a process exit are also kept apart (a CLI's `--help`, a fatal startup error).
    fn note_exits(&mut self, block: &syn::Block) {
        let is_process_exit = |s: &syn::Stmt| match s {
            syn::Stmt::Expr(syn::Expr::Call(c), _) => match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().is_some_and(|l| l.ident == "exit"),
                _ => false,
            },
            _ => false,
        };
        let exits = |s: &syn::Stmt| {
            is_process_exit(s)
                || matches!(
                    s,
                    syn::Stmt::Expr(syn::Expr::Return(_) | syn::Expr::Break(_), _)
                )
        };
        let is_continue = |s: &syn::Stmt| matches!(s, syn::Stmt::Expr(syn::Expr::Continue(_), _));
        if let Some(last_continue) = block.stmts.iter().rposition(is_continue) {
            let cont = self.span(block.stmts[last_continue].span());
            for stmt in &block.stmts[..last_continue] {
                let mac = match stmt {
                    syn::Stmt::Macro(m) => &m.mac,
                    syn::Stmt::Expr(syn::Expr::Macro(m), _) => &m.mac,
                    _ => continue,
                };
                let span = self.span(mac.span());
                self.facts.continue_macros.push((span, cont));
            }
        }
        let Some(last_exit) = block.stmts.iter().rposition(exits) else {
            return;
        };
        let last_process_exit = block.stmts.iter().rposition(is_process_exit);
        for (i, stmt) in block.stmts[..last_exit].iter().enumerate() {
            let mac = match stmt {
                syn::Stmt::Macro(m) => &m.mac,
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => &m.mac,
                _ => continue,
            };
            let span = self.span(mac.span());
            self.facts.exit_macros.push(span);
            if last_process_exit.is_some_and(|p| i < p) {
                self.facts.process_exit_macros.push(span);
            }
        }
    }

    fn record_fn(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        block: &syn::Block,
        span: Span,
    ) {
        let is_test = self.test_impl || attrs.iter().any(is_test_attr);
        if attrs
            .iter()
            .any(|a| attr_cfg_requires(a, "debug_assertions"))
        {
            self.facts.debug_spans.push(span);
        }
        let name = sig.ident.to_string();
        let mut path = self.module.clone();
        if let Some(ty) = &self.impl_ty {
            path.push(ty.clone());
        }
        path.push(name.clone());
        let attr_facts: Vec<AttrFact> = attrs.iter().map(|a| self.attr_fact(a)).collect();
        let mut params = vec![];
        let mut has_self = false;
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => has_self = true,
                syn::FnArg::Typed(t) => params.push(Param {
                    name: pat_name(&t.pat).unwrap_or_else(|| "_".into()),
                    ty: tokens_text(&t.ty),
                    span: self.span(t.span()),
                }),
            }
        }
        // `<M: MigratorTrait>` and `where M: MigratorTrait`: each type parameter's trait bounds.
        let mut bounds: Vec<(String, Vec<String>)> = vec![];
        let trait_names = |b: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>| {
            b.iter()
                .filter_map(|b| match b {
                    syn::TypeParamBound::Trait(t) => {
                        t.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        for g in sig.generics.type_params() {
            bounds.push((g.ident.to_string(), trait_names(&g.bounds)));
        }
        if let Some(w) = &sig.generics.where_clause {
            for p in &w.predicates {
                if let syn::WherePredicate::Type(t) = p
                    && let syn::Type::Path(tp) = &t.bounded_ty
                    && let Some(id) = tp.path.get_ident()
                {
                    bounds.push((id.to_string(), trait_names(&t.bounds)));
                }
            }
        }
        let idx = self.facts.fns.len();
        self.facts.fns.push(FnFact {
            name,
            path,
            span,
            ident_span: self.span(sig.ident.span()),
            body: 0,
            is_test,
            is_method: self.impl_ty.is_some(),
            attrs: attr_facts,
            params,
            has_self,
            tail: None,
            bounds,
        });
        let region = self.push_region(RegionKind::Fn(idx), self.span(spans::block(block)), is_test);
        self.facts.fns[idx].body = region;
        self.note_exits(block);
        self.loops.push(None);
        for stmt in &block.stmts {
            self.visit_stmt(stmt);
        }
        self.loops.pop();
        if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
            let v = self.val(tail, 0);
            self.facts.fns[idx].tail = Some(v);
        }
        self.pop_region(region);
    }
}

/// `name == "lit"` (either side, through `.as_str()`, `&`, `*`): the variable's name.
fn string_compare(cond: &syn::Expr) -> Option<String> {
    let syn::Expr::Binary(b) = cond else {
        return None;
    };
    if !matches!(b.op, syn::BinOp::Eq(_)) {
        return None;
    }
    fn var(e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            syn::Expr::MethodCall(m) if m.args.is_empty() => var(&m.receiver),
            syn::Expr::Reference(r) => var(&r.expr),
            syn::Expr::Unary(u) => var(&u.expr),
            syn::Expr::Paren(p) => var(&p.expr),
            _ => None,
        }
    }
    let is_str = |e: &syn::Expr| {
        matches!(
            e,
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(_),
                ..
            })
        )
    };
    if is_str(&b.right) {
        var(&b.left)
    } else if is_str(&b.left) {
        var(&b.right)
    } else {
        None
    }
}

fn label_of(label: &Option<syn::Label>) -> Option<String> {
    label.as_ref().map(|l| l.name.ident.to_string())
}

fn struct_pattern(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Struct(_) => true,
        syn::Pat::Type(t) => struct_pattern(&t.pat),
        syn::Pat::Reference(r) => struct_pattern(&r.pat),
        _ => false,
    }
}

fn pat_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::TupleStruct(t) => t.elems.first().and_then(pat_name),
        syn::Pat::Struct(s) => s.fields.first().and_then(|f| pat_name(&f.pat)),
        syn::Pat::Type(t) => pat_name(&t.pat),
        syn::Pat::Reference(r) => pat_name(&r.pat),
        _ => None,
    }
}

enum ArgKind {
    Expr,
    Field {
        name: Option<String>,
        sigil: Option<char>,
    },
}

fn split_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut pieces = vec![];
    let mut cur = vec![];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => pieces.push(std::mem::take(&mut cur)),
            _ => cur.push(tt),
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

fn punct(tt: Option<&TokenTree>) -> Option<(char, proc_macro2::Spacing)> {
    match tt {
        Some(TokenTree::Punct(p)) => Some((p.as_char(), p.spacing())),
        _ => None,
    }
}

/// Reads one comma-separated argument of a `log`/`tracing`/format macro.
fn parse_macro_arg(piece: &[TokenTree]) -> Option<(ArgKind, syn::Expr, proc_macro2::Span)> {
    let span = piece
        .first()
        .map(|f| {
            f.span()
                .join(piece.last().unwrap().span())
                .unwrap_or(f.span())
        })
        .unwrap_or_else(proc_macro2::Span::call_site);
    let parse = |tts: &[TokenTree]| syn::parse2::<syn::Expr>(tts.iter().cloned().collect()).ok();
    let sigil = |tts: &[TokenTree]| match punct(tts.first()) {
        Some(('?', _)) => Some('?'),
        Some(('%', _)) => Some('%'),
        _ => None,
    };
    if let Some(s) = sigil(piece) {
        return Some((
            ArgKind::Field {
                name: None,
                sigil: Some(s),
            },
            parse(&piece[1..])?,
            span,
        ));
    }
    // `name = value`, `a.b = value`, `"quoted" = value`, `target: expr`.
    let mut i = 0;
    while i < piece.len() {
        match &piece[i] {
            TokenTree::Ident(_) | TokenTree::Literal(_)
                if i == 0
                    || punct(piece.get(i - 1)) == Some(('.', proc_macro2::Spacing::Alone)) =>
            {
                i += 1
            }
            TokenTree::Punct(p) if p.as_char() == '.' && i > 0 => i += 1,
            _ => break,
        }
    }
    if i > 0 && i < piece.len() {
        let name: String = piece[..i].iter().map(|t| t.to_string()).collect::<String>();
        let name = name.trim_matches('"').to_string();
        match (punct(piece.get(i)), punct(piece.get(i + 1))) {
            (Some(('=', proc_macro2::Spacing::Alone)), _) => {
                let rest = &piece[i + 1..];
                let s = sigil(rest);
                let rest = if s.is_some() { &rest[1..] } else { rest };
                return Some((
                    ArgKind::Field {
                        name: Some(name),
                        sigil: s,
                    },
                    parse(rest)?,
                    span,
                ));
            }
            (Some((':', proc_macro2::Spacing::Alone)), _) if i == 1 => {
                return Some((
                    ArgKind::Field {
                        name: Some(name),
                        sigil: None,
                    },
                    parse(&piece[i + 1..])?,
                    span,
                ));
            }
            _ => {}
        }
    }
    Some((ArgKind::Expr, parse(piece)?, span))
}

/// The futures of `select!`-style arms, `pattern = future (, if cond)? => handler`: the
/// expression between a lone `=` and the `=>` that follows it.
fn select_arm_exprs(tokens: TokenStream) -> Vec<syn::Expr> {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < tts.len() {
        let lone_eq = matches!(&tts[i], TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone)
            && !matches!(i.checked_sub(1).map(|j| &tts[j]), Some(TokenTree::Punct(p)) if p.spacing() == proc_macro2::Spacing::Joint);
        if !lone_eq {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut found = false;
        while end + 1 < tts.len() {
            if matches!(&tts[end], TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Joint)
                && matches!(&tts[end + 1], TokenTree::Punct(p) if p.as_char() == '>')
            {
                found = true;
                break;
            }
            end += 1;
        }
        if !found {
            break;
        }
        // `fut, if cond`: the future is before the top-level comma.
        let piece: Vec<TokenTree> = tts[start..end]
            .iter()
            .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
            .cloned()
            .collect();
        if let Ok(e) = syn::parse2::<syn::Expr>(piece.into_iter().collect()) {
            out.push(e);
        }
        i = end + 2;
    }
    out
}

/// The statements of every `{ .. }` group in a macro's tokens that parses as a block body.
fn brace_blocks(tokens: TokenStream) -> Vec<Vec<syn::Stmt>> {
    let mut out = vec![];
    for tt in tokens {
        if let TokenTree::Group(g) = tt {
            if g.delimiter() == Delimiter::Brace
                && let Ok(stmts) = syn::Block::parse_within.parse2(g.stream())
            {
                out.push(stmts);
                continue;
            }
            out.extend(brace_blocks(g.stream()));
        }
    }
    out
}

fn serde_default(attrs: &[syn::Attribute]) -> Option<Path> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let Ok(list) =
            attr.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        for meta in list {
            match meta {
                syn::Meta::Path(p) if p.is_ident("default") => return Some(vec![]),
                syn::Meta::NameValue(nv) if nv.path.is_ident("default") => {
                    if let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = &nv.value
                    {
                        return Some(s.value().split("::").map(str::to_string).collect());
                    }
                }
                _ => {}
            }
        }
    }
    None
}

impl<'ast, 'a> Visit<'ast> for Visitor<'a> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let test = m.attrs.iter().any(is_test_attr);
        if m.attrs
            .iter()
            .any(|a| attr_cfg_requires(a, "debug_assertions"))
        {
            self.facts.debug_spans.push(self.span(spans::item_mod(m)));
        }
        let name = m.ident.to_string();
        let features: Vec<String> = m.attrs.iter().flat_map(cfg_features).collect();
        if !features.is_empty() {
            let mut path = self.module.clone();
            path.push(name.clone());
            self.facts.feature_mods.push(FeatureMod { path, features });
        }
        let region = self.push_region(
            RegionKind::Mod(name.clone()),
            self.span(spans::item_mod(m)),
            test,
        );
        self.module.push(name);
        visit::visit_item_mod(self, m);
        self.module.pop();
        self.pop_region(region);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let self_ty = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let trait_path = i.trait_.as_ref().map(|(_, p, _)| self.resolve_path(p));
        if let Some(ty) = &self_ty {
            self.facts.impls.push(ImplFact {
                self_ty: ty.clone(),
                trait_path,
                span: self.span(spans::item_impl(i)),
                keyword: self.span(i.impl_token.span),
            });
        }
        if i.attrs
            .iter()
            .any(|a| attr_cfg_requires(a, "debug_assertions"))
        {
            self.facts.debug_spans.push(self.span(spans::item_impl(i)));
        }
        let saved = std::mem::replace(&mut self.impl_ty, self_ty);
        let saved_test = self.test_impl;
        self.test_impl |= i.attrs.iter().any(is_test_attr);
        visit::visit_item_impl(self, i);
        self.test_impl = saved_test;
        self.impl_ty = saved;
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let saved = self.impl_ty.replace(t.ident.to_string());
        visit::visit_item_trait(self, t);
        self.impl_ty = saved;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let saved = self.impl_ty.take();
        self.record_fn(&f.attrs, &f.sig, &f.block, self.span(spans::item_fn(f)));
        self.impl_ty = saved;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let span = self.span(spans::impl_item_fn(f));
        self.record_fn(&f.attrs, &f.sig, &f.block, span);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            let span = self.span(spans::trait_item_fn(f, block));
            self.record_fn(&f.attrs, &f.sig, block, span);
        }
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        let first = self.facts.strings.len();
        visit::visit_item_const(self, c);
        self.record_const(&c.ident, &c.expr, first);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        let first = self.facts.strings.len();
        visit::visit_impl_item_const(self, c);
        self.record_const(&c.ident, &c.expr, first);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        let first = self.facts.strings.len();
        visit::visit_item_static(self, s);
        self.record_const(&s.ident, &s.expr, first);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let fields = s
            .fields
            .iter()
            .filter_map(|f| {
                // smart-default's `#[default(30)]` on a field: its value.
                let attr_default = f
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("default"))
                    .find_map(|a| a.parse_args::<syn::Expr>().ok())
                    .map(|e| self.val(&e, 0));
                Some(FieldDef {
                    name: f.ident.as_ref()?.to_string(),
                    ty: tokens_text(&f.ty),
                    attr_default,
                    serde_default: serde_default(&f.attrs),
                    span: self.span(f.span()),
                })
            })
            .collect();
        self.facts.structs.push(StructFact {
            name: s.ident.to_string(),
            fields,
            span: self.span(s.ident.span()),
        });
        if derives_cli(&s.attrs) {
            self.facts.cli_types.push(s.ident.to_string());
        }
        visit::visit_item_struct(self, s);
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        if derives_cli(&e.attrs) {
            self.facts.cli_types.push(e.ident.to_string());
        }
        visit::visit_item_enum(self, e);
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        if let syn::Type::Path(p) = &*t.ty
            && let Some(last) = p.path.segments.last()
        {
            self.facts
                .type_aliases
                .push((t.ident.to_string(), last.ident.to_string()));
        }
        visit::visit_item_type(self, t);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let span = self.span(p.span());
        for seg in &p.path.segments {
            if let syn::PathArguments::AngleBracketed(a) = &seg.arguments {
                for arg in &a.args {
                    if let syn::GenericArgument::Type(ty) = arg {
                        let mut names = BTreeSet::new();
                        collect_type_names(ty, &mut names);
                        for name in names {
                            self.facts.type_args.push(TypeArg {
                                name,
                                region: self.region,
                                span,
                            });
                        }
                    }
                }
            }
        }
        visit::visit_expr_path(self, p);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if let syn::Expr::Await(a) = e {
            self.record_await(a);
        }
        match e {
            syn::Expr::Call(_) | syn::Expr::MethodCall(_) => self.visit_chain(e),
            syn::Expr::Closure(c) => {
                let span = self.span(spans::expr(e));
                let region = self.push_region(RegionKind::Closure, span, false);
                self.body_regions.insert((span.start, span.end), region);
                self.loops.push(None);
                self.visit_expr(&c.body);
                self.loops.pop();
                self.pop_region(region);
            }
            syn::Expr::Async(a) => {
                let span = self.span(spans::async_block(a));
                let region = self.push_region(RegionKind::AsyncBlock, span, false);
                self.body_regions.insert((span.start, span.end), region);
                self.note_exits(&a.block);
                self.loops.push(None);
                visit::visit_block(self, &a.block);
                self.loops.pop();
                self.pop_region(region);
            }
            syn::Expr::ForLoop(f) => {
                self.pending_arg_of = None;
                self.visit_expr(&f.expr);
                let region = self.push_region(
                    RegionKind::Loop(LoopKind::For),
                    self.span(spans::for_loop(f)),
                    false,
                );
                let iter = self.val(&f.expr, 0);
                self.facts.loops.push(LoopFact {
                    region,
                    bound: for_bound(&f.expr),
                    exits: leaves(&f.body),
                    iter: Some(iter),
                });
                self.note_exits(&f.body);
                self.loops.push(Some((region, label_of(&f.label))));
                visit::visit_block(self, &f.body);
                self.loops.pop();
                self.pop_region(region);
            }
            syn::Expr::While(w) => {
                self.pending_arg_of = None;
                let region = self.push_region(
                    RegionKind::Loop(LoopKind::While),
                    self.span(spans::while_loop(w)),
                    false,
                );
                self.facts.loops.push(LoopFact {
                    region,
                    bound: while_bound(&w.cond),
                    exits: leaves(&w.body),
                    iter: None,
                });
                self.visit_expr(&w.cond);
                self.note_exits(&w.body);
                self.loops.push(Some((region, label_of(&w.label))));
                visit::visit_block(self, &w.body);
                self.loops.pop();
                self.pop_region(region);
            }
            syn::Expr::Loop(l) => {
                self.pending_arg_of = None;
                let region = self.push_region(
                    RegionKind::Loop(LoopKind::Loop),
                    self.span(spans::plain_loop(l)),
                    false,
                );
                self.facts.loops.push(LoopFact {
                    region,
                    bound: LoopBound::Open,
                    exits: leaves(&l.body),
                    iter: None,
                });
                self.note_exits(&l.body);
                self.loops.push(Some((region, label_of(&l.label))));
                visit::visit_block(self, &l.body);
                self.loops.pop();
                if !self.broken.contains(&region) {
                    self.facts.endless_loops.push(region);
                }
                self.pop_region(region);
            }
            syn::Expr::Break(b) => {
                self.pending_arg_of = None;
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                let target = self
                    .loops
                    .iter()
                    .rev()
                    .map_while(|l| l.as_ref())
                    .find(|(_, l)| label.is_none() || *l == label)
                    .map(|(r, _)| *r);
                if let Some(r) = target {
                    self.broken.insert(r);
                }
                visit::visit_expr(self, e)
            }
            syn::Expr::Match(m) => {
                self.pending_arg_of = None;
                // `match dequeue(..).await { Ok(Some(job)) => work(job), .. }`.
                self.facts.gates.push(Gate {
                    cond: self.span(spans::expr(&m.expr)),
                    body: self.span(m.brace_token.span.join()),
                    every: None,
                });
                let scrutinee = self.val(&m.expr, 0);
                let arms = m
                    .arms
                    .iter()
                    .map(|a| ArmFact {
                        pat: tokens_text(&a.pat),
                        body: self.span(spans::expr(&a.body)),
                    })
                    .collect();
                self.facts.matches.push(MatchFact {
                    scrutinee,
                    arms,
                    span: self.span(spans::expr(e)),
                    region: self.region,
                });
                visit::visit_expr(self, e)
            }
            syn::Expr::If(i) => {
                self.pending_arg_of = None;
                // `if claim(..).await? { work }`: the work runs only when the condition holds.
                self.facts.gates.push(Gate {
                    cond: self.span(spans::expr(&i.cond)),
                    body: self.span(spans::block(&i.then_branch)),
                    every: sampling_divisor(&i.cond),
                });
                let words: Vec<String> = tokens_text(&i.cond)
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                self.facts.gate_words.push(GateWords {
                    gate: self.facts.gates.len() - 1,
                    words,
                });
                match debug_cfg_macro(&i.cond) {
                    Some(true) => {
                        let s = self.span(spans::block(&i.then_branch));
                        self.facts.debug_spans.push(s);
                    }
                    Some(false) => {
                        if let Some((_, els)) = &i.else_branch {
                            let s = self.span(spans::expr(els));
                            self.facts.debug_spans.push(s);
                        }
                    }
                    None => {}
                }
                if let Some(var) = string_compare(&i.cond) {
                    let then_span = self.span(spans::block(&i.then_branch));
                    self.facts.string_ifs.push(StringIf {
                        var,
                        then_span,
                        region: self.region,
                    });
                }
                visit::visit_expr(self, e)
            }
            syn::Expr::Macro(m) => {
                self.pending_arg_of = None;
                self.visit_macro_call(&m.mac);
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Mul(_)) => {
                let (base, factor) = match (int_lit(&b.left), int_lit(&b.right)) {
                    (None, Some(n)) => (Some(&*b.left), n),
                    (Some(n), None) => (Some(&*b.right), n),
                    _ => (None, 0),
                };
                if let Some(base) = base {
                    let base = self.val(base, 0);
                    let span = self.span(spans::expr(e));
                    self.facts.scaled.push(ScaledFact {
                        base,
                        factor,
                        span,
                        region: self.region,
                    });
                }
                visit::visit_expr(self, e);
            }
            syn::Expr::Assign(a) => {
                self.pending_arg_of = None;
                visit::visit_expr_assign(self, a);
                let target = self.val(&a.left, 0);
                let value = self.val(&a.right, 0);
                self.facts.assigns.push(AssignFact {
                    target,
                    value,
                    region: self.region,
                });
            }
            syn::Expr::Path(p) => {
                if p.path.segments.len() > 1 {
                    self.resolve_path(&p.path);
                }
                self.visit_expr_path(p);
            }
            // `Box::pin(async move { .. })` and friends keep the closure's `arg_of` through wrappers.
            syn::Expr::Paren(_) | syn::Expr::Reference(_) | syn::Expr::Group(_) => {
                visit::visit_expr(self, e)
            }
            // `tokio::spawn({ let m = m.clone(); async move { .. } })`: the block's value is the
            // argument, so its tail keeps the `arg_of`; its statements do not.
            syn::Expr::Block(b)
                if b.label.is_none()
                    && self.pending_arg_of.is_some()
                    && matches!(b.block.stmts.last(), Some(syn::Stmt::Expr(_, None))) =>
            {
                let pending = self.pending_arg_of.take();
                self.note_exits(&b.block);
                let n = b.block.stmts.len();
                for (i, st) in b.block.stmts.iter().enumerate() {
                    if i + 1 == n {
                        self.pending_arg_of = pending.clone();
                    }
                    self.visit_stmt(st);
                    self.pending_arg_of = None;
                }
            }
            _ => {
                self.pending_arg_of = None;
                visit::visit_expr(self, e)
            }
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        if m.attrs
            .iter()
            .any(|a| attr_cfg_requires(a, "debug_assertions"))
        {
            let s = self.span(m.mac.span());
            self.facts.debug_spans.push(s);
        }
        self.visit_macro_call(&m.mac);
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if let Some(name) = &m.ident
            && m.mac.path.is_ident("macro_rules")
        {
            let body: String = m
                .mac
                .tokens
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            // A `macro_rules!` body may call functions by name (`$name::handle_input(..)`).
            collect_idents(m.mac.tokens.clone(), &mut self.macro_idents);
            self.facts.macro_defs.push(MacroDefFact {
                name: name.to_string(),
                body,
                span: self.span(name.span()),
            });
            self.visit_macro_rules(&m.mac);
            return;
        }
        self.visit_macro_call(&m.mac);
    }

    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        self.facts.arms.push(ArmFact {
            pat: tokens_text(&a.pat),
            body: self.span(a.body.span()),
        });
        visit::visit_arm(self, a);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if l.attrs
            .iter()
            .any(|a| attr_cfg_requires(a, "debug_assertions"))
        {
            let s = self.span(l.span());
            self.facts.debug_spans.push(s);
        }
        visit::visit_local(self, l);
        if let (Some(name), Some(init)) = (pat_name(&l.pat), &l.init) {
            let init = self.val(&init.expr, 0);
            self.facts.lets.push(LetFact {
                name,
                field_of_init: struct_pattern(&l.pat),
                init,
                region: self.region,
                span: self.span(l.span()),
            });
        }
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let span = self.span(s.span());
        self.facts.strings.push(StrFact {
            value: s.value(),
            span,
            region: self.region,
        });
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.note_exits(b);
        visit::visit_block(self, b);
    }
}

/// A constant's name: `MAX_RETRIES`, `Self::ATTEMPTS`.
fn const_name(e: &syn::Expr) -> Option<String> {
    let syn::Expr::Path(p) = e else { return None };
    let last = p.path.segments.last()?.ident.to_string();
    let is_const = last.chars().any(|c| c.is_ascii_uppercase())
        && last
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    is_const.then_some(last)
}

fn int_lit(e: &syn::Expr) -> Option<u128> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        syn::Expr::Paren(p) => int_lit(&p.expr),
        _ => None,
    }
}

/// A literal count or a constant: the bound side of `0..3`, `i < MAX`, `XS.len()`.
fn bound_of(e: &syn::Expr) -> Option<LoopBound> {
    if let Some(n) = int_lit(e) {
        return Some(LoopBound::Count(n));
    }
    if let Some(c) = const_name(e) {
        return Some(LoopBound::Const(c));
    }
    if let syn::Expr::MethodCall(m) = e
        && m.method == "len"
    {
        return const_name(&m.receiver).map(LoopBound::Const);
    }
    None
}

/// The end of a range that counts something configured: `1..=queue.num_workers`.
fn configured_count(e: &syn::Expr) -> Option<LoopBound> {
    match e {
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(LoopBound::Const(n.to_string())),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Paren(p) => configured_count(&p.expr),
        _ => None,
    }
}

/// What a `for` loop's iterated expression says about its bound.
fn for_bound(e: &syn::Expr) -> LoopBound {
    match e {
        syn::Expr::Paren(p) => for_bound(&p.expr),
        syn::Expr::Group(g) => for_bound(&g.expr),
        syn::Expr::Reference(r) => for_bound(&r.expr),
        syn::Expr::Array(a) => LoopBound::Count(a.elems.len() as u128),
        syn::Expr::Range(r) => {
            let start = match &r.start {
                None => Some(0),
                Some(s) => int_lit(s),
            };
            let Some(end) = r.end.as_deref() else {
                return LoopBound::Open;
            };
            let closed = matches!(r.limits, syn::RangeLimits::Closed(_));
            match (start, bound_of(end).or_else(|| configured_count(end))) {
                (Some(s), Some(LoopBound::Count(n))) => {
                    LoopBound::Count(n.saturating_sub(s) + u128::from(closed))
                }
                (_, Some(LoopBound::Const(c))) => LoopBound::Const(c),
                _ => LoopBound::Open,
            }
        }
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "iter" | "into_iter" | "enumerate" | "copied" | "cloned" | "rev" | "step_by"
            ) =>
        {
            for_bound(&m.receiver)
        }
        _ => const_name(e).map_or(LoopBound::Open, LoopBound::Const),
    }
}

/// What a `while` condition says about its bound: a counter compared with a literal or a constant.
fn while_bound(cond: &syn::Expr) -> LoopBound {
    match cond {
        syn::Expr::Paren(p) => while_bound(&p.expr),
        syn::Expr::Binary(b) => match b.op {
            syn::BinOp::And(_) => match while_bound(&b.left) {
                LoopBound::Open => while_bound(&b.right),
                found => found,
            },
            syn::BinOp::Lt(_) | syn::BinOp::Le(_) | syn::BinOp::Gt(_) | syn::BinOp::Ge(_) => {
                bound_of(&b.right)
                    .or_else(|| bound_of(&b.left))
                    .unwrap_or(LoopBound::Open)
            }
            _ => LoopBound::Open,
        },
        _ => LoopBound::Open,
    }
}

/// Whether a loop body has a `break` or `return` that leaves the loop (not one of a nested
/// loop, closure or async block; a labelled `break` is taken to leave).
fn leaves(body: &syn::Block) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            match e {
                syn::Expr::Return(_) | syn::Expr::Break(_) => self.found = true,
                syn::Expr::Closure(_) | syn::Expr::Async(_) => {}
                syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => {
                    // Only labelled breaks and returns leave the outer loop from in here.
                    let mut inner = Inner { found: false };
                    visit::visit_expr(&mut inner, e);
                    self.found |= inner.found;
                }
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.found |= macro_leaves(&m.tokens, true);
        }
    }
    struct Inner {
        found: bool,
    }
    impl<'ast> Visit<'ast> for Inner {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            match e {
                syn::Expr::Return(_) => self.found = true,
                syn::Expr::Break(b) if b.label.is_some() => self.found = true,
                syn::Expr::Closure(_) | syn::Expr::Async(_) => {}
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.found |= macro_leaves(&m.tokens, false);
        }
    }
    let mut f = Finder { found: false };
    visit::visit_block(&mut f, body);
    f.found
}

/// Whether a macro's tokens leave the loop around it: a `return` (the arms of `tokio::select!`
/// are the loop's own code), or, with `bare_break`, a `break` when the tokens hold no loop of
/// their own that it could belong to. Tokens are walked without recursion.
fn macro_leaves(tokens: &proc_macro2::TokenStream, bare_break: bool) -> bool {
    let mut stack: Vec<proc_macro2::token_stream::IntoIter> = vec![tokens.clone().into_iter()];
    let (mut ret, mut brk, mut inner_loop) = (false, false, false);
    while let Some(top) = stack.last_mut() {
        let Some(t) = top.next() else {
            stack.pop();
            continue;
        };
        match t {
            proc_macro2::TokenTree::Ident(i) => match i.to_string().as_str() {
                "return" => ret = true,
                "break" => brk = true,
                "loop" | "while" | "for" => inner_loop = true,
                _ => {}
            },
            proc_macro2::TokenTree::Group(g) => stack.push(g.stream().into_iter()),
            _ => {}
        }
    }
    ret || (bare_break && brk && !inner_loop)
}

/// Type names in a type (`Postgres` and `Arc` in `Arc<Postgres>`).
fn collect_type_names(ty: &syn::Type, out: &mut BTreeSet<String>) {
    struct Names<'o>(&'o mut BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0.insert(s.ident.to_string());
            visit::visit_path_segment(self, s);
        }
    }
    Names(out).visit_type(ty);
}

/// The literal divisor of a sampling condition: `i % 1000 == 0`, `0 == i % 1000`,
/// `i.is_multiple_of(1000)` (parentheses allowed).
fn sampling_divisor(cond: &syn::Expr) -> Option<u128> {
    fn int(e: &syn::Expr) -> Option<u128> {
        match e {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => i.base10_parse().ok(),
            syn::Expr::Paren(p) => int(&p.expr),
            _ => None,
        }
    }
    fn rem(e: &syn::Expr) -> Option<u128> {
        match e {
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Rem(_)) => int(&b.right),
            syn::Expr::Paren(p) => rem(&p.expr),
            _ => None,
        }
    }
    match cond {
        syn::Expr::Paren(p) => sampling_divisor(&p.expr),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
            match (int(&b.left), int(&b.right)) {
                (_, Some(0)) => rem(&b.left),
                (Some(0), _) => rem(&b.right),
                _ => None,
            }
        }
        syn::Expr::MethodCall(m) if m.method == "is_multiple_of" && m.args.len() == 1 => {
            int(&m.args[0])
        }
        _ => None,
    }
}
