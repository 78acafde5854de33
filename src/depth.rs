//! How deep syn (and the visitors after it) may recurse on a text, estimated before parsing.
//!
//! syn parses prefix operators (`!`, `-`, `*`, `&`), closures (`|| ..`), `return ..`,
//! assignments (`x = x = ..`), generic types (`Vec<Vec<..>>`), reference types and patterns,
//! `fn() -> fn() -> ..` and `impl Fn() -> ..` by recursion, without any bracket; long binary,
//! call, method and field chains build a tree as deep as the chain, which the visitors and
//! `Drop` walk recursively. So the bracket depth alone does not bound the stack a file needs.
//!
//! [`estimate`] is a lexical over-approximation of the depth of the tree: within one bracket
//! level every token counts one level, a bracketed group counts one level more than where it
//! opens, and only what certainly ends an expression starts again at the level of the enclosing
//! bracket: a `;`, a `,` outside closure parameters and angle brackets, and a `}` followed by
//! the start of another item or statement. Strings, characters and comments count as one token
//! or nothing. Ordinary code stays in the tens; a generated table with a million entries too,
//! as its entries are separated by commas.

use crate::lex::{
    block_comment_end, ident_end, line_comment_end, prefixed_literal_end, quote_end, string_end,
};

/// Stack a thread needs per level of [`estimate`]. Measured on a debug build (where the
/// visitors are not optimised): at most 3.2 KiB per level (reference types, `& & .. u8`),
/// 2.0 KiB for `!`, 2.5 KiB for `return`, 2.5 KiB per `Vec<`. Twice that and some.
pub const STACK_PER_LEVEL: usize = 8 * 1024 * ASAN_FACTOR;
/// Stack for everything that does not depend on the depth.
pub const STACK_BASE: usize = 16 * 1024 * 1024;
/// Files estimated deeper than this are a `parse-error` without being parsed; the stack they
/// would need ([`stack_for`]) is at most 528 MiB (address space reserved, touched only as used).
pub const MAX_LEVELS: usize = 65_536 / ASAN_FACTOR;

/// The fuzzers' builds (`cfg(fuzzing)`) run under AddressSanitizer, whose frames are several
/// times larger (65,000 `&` in a type overflowed 528 MiB there): a quarter of the levels, four
/// times the stack per level, the same 528 MiB.
#[cfg(fuzzing)]
const ASAN_FACTOR: usize = 4;
#[cfg(not(fuzzing))]
const ASAN_FACTOR: usize = 1;

/// The stack to give a thread that parses and visits a text of this estimated depth.
pub fn stack_for(levels: usize) -> usize {
    STACK_BASE + levels.min(MAX_LEVELS) * STACK_PER_LEVEL
}

struct Frame {
    base: usize,
    cur: usize,
    /// Inside `|..|` closure parameters (a `,` does not end anything there).
    in_params: bool,
    /// `<` minus `>` since the last reset (a `,` inside angle brackets does not either).
    angles: isize,
}

impl Frame {
    fn new(base: usize) -> Frame {
        Frame {
            base,
            cur: base,
            in_params: false,
            angles: 0,
        }
    }
    fn reset(&mut self) {
        self.cur = self.base;
        self.in_params = false;
        self.angles = 0;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// Start of a group, an operator: a `|` here opens closure parameters.
    Operator,
    /// An identifier, literal or closed group: a `|` here is a binary operator.
    Operand,
    /// A keyword after which a `|` opens closure parameters (`move`, `return`, ...).
    Keyword,
}

/// The estimated maximum depth of `text` (see the module comment). Linear in the text.
pub fn estimate(text: &str) -> usize {
    let b = text.as_bytes();
    let mut stack = vec![Frame::new(0)];
    let mut max = 0usize;
    let mut prev = Prev::Operator;
    let mut close_brace_pending = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i = line_comment_end(b, i);
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(b, i);
            continue;
        }
        let top = stack
            .last_mut()
            .expect("the outermost frame is never popped");
        // A `}` ends a statement or item unless an operator continues the expression.
        if close_brace_pending {
            close_brace_pending = false;
            let continues = match c {
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let end = ident_end(b, i);
                    matches!(&b[i..end], b"else" | b"as")
                }
                b'#' | b'}' | b';' => false,
                _ => c < 0x80,
            };
            if !continues {
                top.reset();
            }
        }
        let token = |top: &mut Frame, max: &mut usize| {
            top.cur += 1;
            *max = (*max).max(top.cur);
        };
        match c {
            b'(' | b'[' | b'{' => {
                token(top, &mut max);
                let base = top.cur;
                stack.push(Frame::new(base));
                prev = Prev::Operator;
                i += 1;
            }
            b')' | b']' | b'}' => {
                if stack.len() > 1 {
                    stack.pop();
                }
                prev = Prev::Operand;
                close_brace_pending = c == b'}';
                i += 1;
            }
            b';' => {
                top.reset();
                prev = Prev::Operator;
                i += 1;
            }
            b',' => {
                if !top.in_params && top.angles <= 0 {
                    top.reset();
                }
                prev = Prev::Operator;
                i += 1;
            }
            b'"' => {
                i = string_end(b, i + 1);
                token(top, &mut max);
                prev = Prev::Operand;
            }
            b'\'' => {
                i = quote_end(b, i);
                token(top, &mut max);
                prev = Prev::Operand;
            }
            b'0'..=b'9' => {
                i = ident_end(b, i);
                token(top, &mut max);
                prev = Prev::Operand;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = ident_end(b, i);
                let word = &b[i..end];
                i = prefixed_literal_end(b, word, end).unwrap_or(end);
                token(top, &mut max);
                prev = if matches!(
                    word,
                    b"move" | b"return" | b"in" | b"break" | b"yield" | b"async" | b"static"
                ) {
                    Prev::Keyword
                } else {
                    Prev::Operand
                };
            }
            b'|' => {
                token(top, &mut max);
                if top.in_params {
                    top.in_params = false;
                    prev = Prev::Operator;
                } else if prev != Prev::Operand && b.get(i + 1) != Some(&b'|') {
                    top.in_params = true;
                    prev = Prev::Operator;
                } else {
                    prev = Prev::Operator;
                }
                i += if b.get(i + 1) == Some(&b'|') && !top.in_params {
                    // `||`: no parameters, or a logical or; counts as two tokens.
                    token(top, &mut max);
                    2
                } else {
                    1
                };
            }
            _ => {
                if c == b'<' {
                    top.angles += 1;
                } else if c == b'>' && i > 0 && b[i - 1] != b'-' && b[i - 1] != b'=' {
                    top.angles -= 1;
                }
                token(top, &mut max);
                prev = Prev::Operator;
                // Skip a whole UTF-8 character (non-ASCII counts as one token).
                i += 1;
                while i < b.len() && (b[i] & 0xC0) == 0x80 {
                    i += 1;
                }
            }
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn ordinary_code_is_shallow() {
        let table = format!("static T: [u32; 100000] = [{}];", "1 | 2, ".repeat(100_000));
        assert!(estimate(&table) < 10, "{}", estimate(&table));
        let items = "fn a() { if x { y(); } else { z() } }\n".repeat(10_000);
        assert!(estimate(&items) < 20, "{}", estimate(&items));
        let text = format!("fn f() {{ let s = \"{}\"; }}", "!".repeat(100_000));
        assert!(estimate(&text) < 10);
        let comment = format!(
            "// {}\n/* {} */ fn f() {{}}",
            "&".repeat(1000),
            "-".repeat(1000)
        );
        assert!(estimate(&comment) < 10);
    }

    #[test]
    fn runs_without_brackets_are_deep() {
        for text in [
            format!("fn f() {{ let _ = {}x; }}", "!".repeat(1000)),
            format!("fn f() {{ let _ = {}0; }}", "|a, b| ".repeat(1000)),
            format!(
                "type T = {}u8{};",
                "HashMap<K, ".repeat(1000),
                ">".repeat(1000)
            ),
            format!("fn f() {{ {}; }}", "return ".repeat(1000)),
            format!("fn f() {{ let _ = {}; }}", "{a} + ".repeat(1000)),
            format!("fn f() {{ {} }}", "if a {} else ".repeat(1000)),
            format!("fn f() {{ y{}; }}", "()".repeat(1000)),
        ] {
            assert!(
                estimate(&text) >= 1000,
                "{} for {}",
                estimate(&text),
                &text[..40]
            );
        }
    }
}
