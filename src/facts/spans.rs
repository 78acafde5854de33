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

#[cfg(debug_assertions)]
fn checked(fast: Span, node: &impl syn::spanned::Spanned) -> Span {
    let slow = node.span();
    debug_assert_eq!(
        (fast.start(), fast.end()),
        (slow.start(), slow.end()),
        "span of a node from its end tokens"
    );
    fast
}

#[cfg(not(debug_assertions))]
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

/// Any expression: the common kinds from their end tokens (recursing only down the first and
/// last operands), the rest by `Spanned::span`.
pub fn expr(e: &syn::Expr) -> Span {
    match fast_expr(e) {
        Some(fast) => checked(fast, e),
        None => syn::spanned::Spanned::span(e),
    }
}

pub fn call(c: &syn::ExprCall) -> Span {
    if !c.attrs.is_empty() {
        return syn::spanned::Spanned::span(c);
    }
    checked(join(expr(&c.func), c.paren_token.span.join()), c)
}

pub fn method_call(m: &syn::ExprMethodCall) -> Span {
    if !m.attrs.is_empty() {
        return syn::spanned::Spanned::span(m);
    }
    checked(join(expr(&m.receiver), m.paren_token.span.join()), m)
}

fn path_first(path: &syn::Path) -> Option<Span> {
    match &path.leading_colon {
        Some(colons) => Some(colons.spans[0]),
        None => path.segments.first().map(|s| s.ident.span()),
    }
}

fn fast_expr(e: &syn::Expr) -> Option<Span> {
    use syn::Expr as E;
    let span = match e {
        E::Call(c) if c.attrs.is_empty() => join(expr(&c.func), c.paren_token.span.join()),
        E::MethodCall(m) if m.attrs.is_empty() => {
            join(expr(&m.receiver), m.paren_token.span.join())
        }
        E::Field(f) if f.attrs.is_empty() => {
            let member = match &f.member {
                syn::Member::Named(n) => n.span(),
                syn::Member::Unnamed(i) => i.span,
            };
            join(expr(&f.base), member)
        }
        E::Await(a) if a.attrs.is_empty() => join(expr(&a.base), a.await_token.span),
        E::Try(t) if t.attrs.is_empty() => join(expr(&t.expr), t.question_token.spans[0]),
        E::Paren(p) if p.attrs.is_empty() => p.paren_token.span.join(),
        E::Tuple(t) if t.attrs.is_empty() => t.paren_token.span.join(),
        E::Array(a) if a.attrs.is_empty() => a.bracket_token.span.join(),
        E::Block(b) if b.attrs.is_empty() && b.label.is_none() => b.block.brace_token.span.join(),
        E::Lit(l) if l.attrs.is_empty() => l.lit.span(),
        E::Path(p) if p.attrs.is_empty() && p.qself.is_none() => {
            let last = p.path.segments.last()?;
            if !matches!(last.arguments, syn::PathArguments::None) {
                return None;
            }
            join(path_first(&p.path)?, last.ident.span())
        }
        E::Macro(m) if m.attrs.is_empty() => {
            let last = match &m.mac.delimiter {
                syn::MacroDelimiter::Paren(d) => d.span.join(),
                syn::MacroDelimiter::Brace(d) => d.span.join(),
                syn::MacroDelimiter::Bracket(d) => d.span.join(),
            };
            join(path_first(&m.mac.path)?, last)
        }
        E::Struct(s) if s.attrs.is_empty() && s.qself.is_none() => {
            join(path_first(&s.path)?, s.brace_token.span.join())
        }
        E::Reference(r) if r.attrs.is_empty() => join(r.and_token.spans[0], expr(&r.expr)),
        E::Async(a) if a.attrs.is_empty() => {
            join(a.async_token.span, a.block.brace_token.span.join())
        }
        E::Closure(c) if c.attrs.is_empty() && c.lifetimes.is_none() => {
            let first = c
                .constness
                .map(|t| t.span)
                .or(c.movability.map(|t| t.span))
                .or(c.asyncness.map(|t| t.span))
                .or(c.capture.map(|t| t.span))
                .unwrap_or(c.or1_token.spans[0]);
            join(first, expr(&c.body))
        }
        _ => return None,
    };
    Some(span)
}
