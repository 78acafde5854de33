//! Spans of large syntax nodes, read from the tokens at their two ends.
//!
//! `syn::spanned::Spanned::span` prints the whole node back to tokens to find its first and
//! last token: for a function, a module or a loop that costs as much as the node is long, and
//! it is paid again at every level of nesting (14% of a whole run's time on the benchmark
//! corpus). These functions give the same span from the end tokens alone; debug
//! builds (the test suite) check every one against `Spanned::span`.

use proc_macro2::Span;

fn join(first: Span, last: Span) -> Span {
    // As `Spanned::span` joins them.
    first.join(last).unwrap_or(first)
}

// Not under the fuzzers (`cfg(fuzzing)`, which build with debug assertions): syn's own span
// takes time quadratic in a chain's length, and their inputs are such chains.
#[cfg(all(debug_assertions, not(fuzzing)))]
fn checked(fast: Span, node: &impl syn::spanned::Spanned) -> Span {
    let slow = node.span();
    debug_assert_eq!(
        (fast.start(), fast.end()),
        (slow.start(), slow.end()),
        "span of a node from its end tokens"
    );
    fast
}

#[cfg(not(all(debug_assertions, not(fuzzing))))]
fn checked(fast: Span, _node: &impl syn::spanned::Spanned) -> Span {
    fast
}

/// The first outer attribute's `#`: outer attributes are printed first.
fn outer_attr(attrs: &[syn::Attribute]) -> Option<Span> {
    attrs
        .iter()
        .find(|a| matches!(a.style, syn::AttrStyle::Outer))
        .map(|a| a.pound_token.spans[0])
}

fn visibility(vis: &syn::Visibility) -> Option<Span> {
    match vis {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        syn::Visibility::Inherited => None,
    }
}

fn signature(sig: &syn::Signature) -> Span {
    sig.constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(sig.unsafety.map(|t| t.span))
        .or(sig.abi.as_ref().map(|a| a.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

pub fn block(b: &syn::Block) -> Span {
    checked(b.brace_token.span.join(), b)
}

pub fn item_fn(f: &syn::ItemFn) -> Span {
    let first = outer_attr(&f.attrs)
        .or_else(|| visibility(&f.vis))
        .unwrap_or_else(|| signature(&f.sig));
    checked(join(first, f.block.brace_token.span.join()), f)
}

pub fn impl_item_fn(f: &syn::ImplItemFn) -> Span {
    let first = outer_attr(&f.attrs)
        .or_else(|| visibility(&f.vis))
        .or(f.defaultness.map(|t| t.span))
        .unwrap_or_else(|| signature(&f.sig));
    checked(join(first, f.block.brace_token.span.join()), f)
}

/// A trait method with a default body.
pub fn trait_item_fn(f: &syn::TraitItemFn, body: &syn::Block) -> Span {
    let first = outer_attr(&f.attrs).unwrap_or_else(|| signature(&f.sig));
    checked(join(first, body.brace_token.span.join()), f)
}

pub fn item_mod(m: &syn::ItemMod) -> Span {
    let first = outer_attr(&m.attrs)
        .or_else(|| visibility(&m.vis))
        .or(m.unsafety.map(|t| t.span))
        .unwrap_or(m.mod_token.span);
    let last = match (&m.content, &m.semi) {
        (Some((brace, _)), _) => brace.span.join(),
        (None, Some(semi)) => semi.spans[0],
        // Printed with a default `;`, whose span is nowhere: leave it to syn.
        (None, None) => return syn::spanned::Spanned::span(m),
    };
    checked(join(first, last), m)
}

pub fn item_impl(i: &syn::ItemImpl) -> Span {
    let first = outer_attr(&i.attrs)
        .or(i.defaultness.map(|t| t.span))
        .or(i.unsafety.map(|t| t.span))
        .unwrap_or(i.impl_token.span);
    checked(join(first, i.brace_token.span.join()), i)
}

/// A loop: outer attributes, a label, its keyword, ..., its body.
fn labelled_loop(
    attrs: &[syn::Attribute],
    label: &Option<syn::Label>,
    keyword: Span,
    body: &syn::Block,
) -> Span {
    let first = outer_attr(attrs)
        .or_else(|| label.as_ref().map(|l| l.name.apostrophe))
        .unwrap_or(keyword);
    join(first, body.brace_token.span.join())
}

pub fn for_loop(e: &syn::ExprForLoop) -> Span {
    checked(
        labelled_loop(&e.attrs, &e.label, e.for_token.span, &e.body),
        e,
    )
}

pub fn while_loop(e: &syn::ExprWhile) -> Span {
    checked(
        labelled_loop(&e.attrs, &e.label, e.while_token.span, &e.body),
        e,
    )
}

pub fn plain_loop(e: &syn::ExprLoop) -> Span {
    checked(
        labelled_loop(&e.attrs, &e.label, e.loop_token.span, &e.body),
        e,
    )
}

pub fn async_block(e: &syn::ExprAsync) -> Span {
    let first = outer_attr(&e.attrs).unwrap_or(e.async_token.span);
    checked(join(first, e.block.brace_token.span.join()), e)
}

/// Any expression: the common kinds from their end tokens, the rest by `Spanned::span`.
pub fn expr(e: &syn::Expr) -> Span {
    match (first(e), last(e)) {
        (Some(a), Some(b)) => checked(join(a, b), e),
        _ => syn::spanned::Spanned::span(e),
    }
}

pub fn call(c: &syn::ExprCall) -> Span {
    if !c.attrs.is_empty() {
        return syn::spanned::Spanned::span(c);
    }
    match first(&c.func) {
        Some(a) => checked(join(a, c.paren_token.span.join()), c),
        None => syn::spanned::Spanned::span(c),
    }
}

pub fn method_call(m: &syn::ExprMethodCall) -> Span {
    if !m.attrs.is_empty() {
        return syn::spanned::Spanned::span(m);
    }
    match first(&m.receiver) {
        Some(a) => checked(join(a, m.paren_token.span.join()), m),
        None => syn::spanned::Spanned::span(m),
    }
}

/// Forgets the ends found so far: called before and after each file (the cache is keyed by
/// node address, valid only while one syntax tree lives).
pub fn reset() {
    ENDS.with(|c| {
        let mut c = c.borrow_mut();
        c[0].clear();
        c[1].clear();
        c[0].shrink_to(1024);
        c[1].shrink_to(1024);
    });
}

/// A position, to tell nodes apart.
type At = (usize, usize);

fn at(s: Span) -> At {
    let l = s.start();
    (l.line, l.column)
}

thread_local! {
    /// Per end (0: first token, 1: last token), the span found for a node, by its address.
    /// A chain `y()()()..` (or `x = x = ..`, `|| || ..`) shares its first (or last) token
    /// among all its levels: found once by descending, then remembered for every node on the
    /// way, so spanning every level costs linear time, not quadratic. An entry also holds the
    /// position of the node's own token (its `(`, `.`, `=`, operator): the visitor parses
    /// macro arguments into short-lived trees whose addresses are reused, and an entry whose
    /// own token differs belongs to a node that is gone.
    static ENDS: std::cell::RefCell<[std::collections::HashMap<usize, (At, Span)>; 2]> =
        Default::default();
}

enum Step<'a> {
    Token(Span),
    /// The operand that holds the end, and a token of the node's own.
    Down(&'a syn::Expr, Span),
    Unknown,
}

fn first(e: &syn::Expr) -> Option<Span> {
    end(e, 0, first_step)
}

fn last(e: &syn::Expr) -> Option<Span> {
    end(e, 1, last_step)
}

/// Descends from `e` along the operand that holds its `which` end, without recursion, until
/// a token (or a remembered node); a kind not known here gives `None` (the caller asks syn).
fn end<'a>(e: &'a syn::Expr, which: usize, step: fn(&'a syn::Expr) -> Step<'a>) -> Option<Span> {
    let key = |e: &syn::Expr| e as *const syn::Expr as usize;
    let mut path = vec![];
    let mut cur = e;
    let found = loop {
        match step(cur) {
            Step::Token(s) => break Some(s),
            Step::Down(next, own) => {
                let own = at(own);
                let known = ENDS.with(|c| c.borrow()[which].get(&key(cur)).copied());
                if let Some((o, s)) = known
                    && o == own
                {
                    break Some(s);
                }
                path.push((key(cur), own));
                cur = next;
            }
            Step::Unknown => break None,
        }
    };
    let span = found?;
    if !path.is_empty() {
        ENDS.with(|c| {
            let map = &mut c.borrow_mut()[which];
            for (k, own) in path {
                map.insert(k, (own, span));
            }
        });
    }
    Some(span)
}

fn path_first(path: &syn::Path) -> Option<Span> {
    match &path.leading_colon {
        Some(colons) => Some(colons.spans[0]),
        None => path.segments.first().map(|s| s.ident.span()),
    }
}

fn delimiter(d: &syn::MacroDelimiter) -> Span {
    match d {
        syn::MacroDelimiter::Paren(d) => d.span.join(),
        syn::MacroDelimiter::Brace(d) => d.span.join(),
        syn::MacroDelimiter::Bracket(d) => d.span.join(),
    }
}

/// Where the first token of `e` is: a token of its own, or the first token of an operand.
/// Expressions with outer attributes are left to syn (attributes are printed first).
fn first_step(e: &syn::Expr) -> Step<'_> {
    use Step::{Down, Token, Unknown};
    use syn::Expr as E;
    match e {
        E::Call(c) if c.attrs.is_empty() => Down(&c.func, c.paren_token.span.open()),
        E::MethodCall(m) if m.attrs.is_empty() => Down(&m.receiver, m.dot_token.spans[0]),
        E::Field(f) if f.attrs.is_empty() => Down(&f.base, f.dot_token.spans[0]),
        E::Await(a) if a.attrs.is_empty() => Down(&a.base, a.await_token.span),
        E::Try(t) if t.attrs.is_empty() => Down(&t.expr, t.question_token.spans[0]),
        E::Index(i) if i.attrs.is_empty() => Down(&i.expr, i.bracket_token.span.open()),
        E::Assign(a) if a.attrs.is_empty() => Down(&a.left, a.eq_token.spans[0]),
        E::Binary(b) if b.attrs.is_empty() => Down(&b.left, op_span(&b.op)),
        E::Cast(c) if c.attrs.is_empty() => Down(&c.expr, c.as_token.span),
        E::Paren(p) if p.attrs.is_empty() => Token(p.paren_token.span.open()),
        E::Tuple(t) if t.attrs.is_empty() => Token(t.paren_token.span.open()),
        E::Array(a) if a.attrs.is_empty() => Token(a.bracket_token.span.open()),
        E::Block(b) if b.attrs.is_empty() && b.label.is_none() => {
            Token(b.block.brace_token.span.open())
        }
        E::Lit(l) if l.attrs.is_empty() => Token(l.lit.span()),
        E::Path(p) if p.attrs.is_empty() && p.qself.is_none() => {
            path_first(&p.path).map_or(Unknown, Token)
        }
        E::Macro(m) if m.attrs.is_empty() => path_first(&m.mac.path).map_or(Unknown, Token),
        E::Struct(s) if s.attrs.is_empty() && s.qself.is_none() => {
            path_first(&s.path).map_or(Unknown, Token)
        }
        E::Reference(r) if r.attrs.is_empty() => Token(r.and_token.spans[0]),
        E::Unary(u) if u.attrs.is_empty() => Token(match u.op {
            syn::UnOp::Deref(t) => t.spans[0],
            syn::UnOp::Not(t) => t.spans[0],
            syn::UnOp::Neg(t) => t.spans[0],
            _ => return Unknown,
        }),
        E::Async(a) if a.attrs.is_empty() => Token(a.async_token.span),
        E::Closure(c) if c.attrs.is_empty() && c.lifetimes.is_none() => Token(
            c.constness
                .map(|t| t.span)
                .or(c.movability.map(|t| t.span))
                .or(c.asyncness.map(|t| t.span))
                .or(c.capture.map(|t| t.span))
                .unwrap_or(c.or1_token.spans[0]),
        ),
        E::Return(r) if r.attrs.is_empty() => Token(r.return_token.span),
        _ => Unknown,
    }
}

/// Where the last token of `e` is: a token of its own, or the last token of an operand.
fn last_step(e: &syn::Expr) -> Step<'_> {
    use Step::{Down, Token, Unknown};
    use syn::Expr as E;
    match e {
        E::Call(c) if c.attrs.is_empty() => Token(c.paren_token.span.close()),
        E::MethodCall(m) if m.attrs.is_empty() => Token(m.paren_token.span.close()),
        E::Field(f) if f.attrs.is_empty() => Token(match &f.member {
            syn::Member::Named(n) => n.span(),
            syn::Member::Unnamed(i) => i.span,
        }),
        E::Await(a) if a.attrs.is_empty() => Token(a.await_token.span),
        E::Try(t) if t.attrs.is_empty() => Token(t.question_token.spans[0]),
        E::Index(i) if i.attrs.is_empty() => Token(i.bracket_token.span.close()),
        E::Assign(a) if a.attrs.is_empty() => Down(&a.right, a.eq_token.spans[0]),
        E::Binary(b) if b.attrs.is_empty() => Down(&b.right, op_span(&b.op)),
        E::Paren(p) if p.attrs.is_empty() => Token(p.paren_token.span.close()),
        E::Tuple(t) if t.attrs.is_empty() => Token(t.paren_token.span.close()),
        E::Array(a) if a.attrs.is_empty() => Token(a.bracket_token.span.close()),
        E::Block(b) if b.attrs.is_empty() && b.label.is_none() => {
            Token(b.block.brace_token.span.close())
        }
        E::Lit(l) if l.attrs.is_empty() => Token(l.lit.span()),
        E::Path(p) if p.attrs.is_empty() && p.qself.is_none() => match p.path.segments.last() {
            Some(last) if matches!(last.arguments, syn::PathArguments::None) => {
                Token(last.ident.span())
            }
            _ => Unknown,
        },
        E::Macro(m) if m.attrs.is_empty() => Token(delimiter(&m.mac.delimiter)),
        E::Struct(s) if s.attrs.is_empty() && s.qself.is_none() => {
            Token(s.brace_token.span.close())
        }
        E::Reference(r) if r.attrs.is_empty() => Down(&r.expr, r.and_token.spans[0]),
        E::Unary(u) if u.attrs.is_empty() => Down(&u.expr, syn::spanned::Spanned::span(&u.op)),
        E::Async(a) if a.attrs.is_empty() => Token(a.block.brace_token.span.close()),
        E::Closure(c) if c.attrs.is_empty() && c.lifetimes.is_none() => {
            Down(&c.body, c.or1_token.spans[0])
        }
        E::Return(r) if r.attrs.is_empty() => match &r.expr {
            Some(e) => Down(e, r.return_token.span),
            None => Token(r.return_token.span),
        },
        _ => Unknown,
    }
}

fn op_span(op: &syn::BinOp) -> Span {
    syn::spanned::Spanned::span(op)
}
