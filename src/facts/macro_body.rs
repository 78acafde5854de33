//! The bodies of a `macro_rules!` definition as code: each rule's expansion with its
//! metavariables read as plain names (`$name` → `__mv_name`, `$crate` → `crate`) and each
//! repetition `$( .. )*` read once. The functions and `impl` blocks a macro generates are then
//! facts like any others, at the place of the definition, with the spans of the definition's own
//! tokens: a `println!` inside a generated `fn from_env()` belongs to `ConfigBuilder::from_env`,
//! which the crate calls by that name. An expansion that is statements runs where the macro is
//! invoked, and rules judge it there (the invocation stands for it).

use proc_macro2::{Delimiter, Group, Ident, Spacing, TokenStream, TokenTree};

/// The prefix a metavariable's name gets, so no generated name meets a real one.
pub const METAVAR_PREFIX: &str = "__mv_";

/// The expansions (right-hand sides) of a `macro_rules!` body: as written, and with the
/// metavariables read as names.
pub fn expansions(tokens: TokenStream) -> Vec<(TokenStream, TokenStream)> {
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = vec![];
    let mut i = 0;
    while i + 2 < toks.len() {
        // `(matcher) => { expansion }`
        if let (TokenTree::Punct(eq), TokenTree::Punct(gt), TokenTree::Group(g)) =
            (&toks[i], &toks[i + 1], &toks[i + 2])
            && eq.as_char() == '='
            && eq.spacing() == Spacing::Joint
            && gt.as_char() == '>'
        {
            let written: TokenStream = TokenTree::Group(g.clone()).into();
            out.push((written, detemplate(g.stream())));
            i += 3;
            continue;
        }
        i += 1;
    }
    out
}

/// `tokens` with `$name` read as the name `__mv_name`, `$crate` as `crate`, and each
/// repetition `$( .. ) sep? op` as its contents once.
pub fn detemplate(tokens: TokenStream) -> TokenStream {
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            TokenTree::Punct(p) if p.as_char() == '$' => match toks.get(i + 1) {
                Some(TokenTree::Ident(id)) => {
                    let name = id.to_string();
                    let text = if name == "crate" {
                        name
                    } else {
                        format!("{METAVAR_PREFIX}{name}")
                    };
                    out.push(TokenTree::Ident(Ident::new(&text, id.span())));
                    i += 2;
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    out.extend(detemplate(g.stream()));
                    i += 2;
                    // The repetition operator, after an optional separator.
                    let op = |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if matches!(p.as_char(), '*' | '+' | '?'));
                    if op(toks.get(i)) {
                        i += 1;
                    } else if op(toks.get(i + 1)) {
                        i += 2;
                    }
                }
                _ => {
                    out.push(toks[i].clone());
                    i += 1;
                }
            },
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), detemplate(g.stream()));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
                i += 1;
            }
            t => {
                out.push(t.clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let ts: TokenStream = s.parse().unwrap();
        expansions(ts)
            .into_iter()
            .map(|(_, t)| t.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn metavariables_and_repetitions() {
        assert_eq!(
            text("($($n:ident),*) => { fn f() { $( println!(\"{}\", $n); )* $crate::g() } };"),
            "fn f () { println ! (\"{}\" , __mv_n) ; crate :: g () }"
        );
        assert_eq!(
            text("(@a $x:expr) => { $x }; ($($x:expr),+ $(,)?) => { [$($x),+] }"),
            "__mv_x | [__mv_x]"
        );
    }
}
