//! `// scalelint: allow(rule-id, other-id) reason` comments: they silence findings on their
//! own line or the line below; one that silences nothing is itself reported.

use crate::diagnostic::{Diagnostic, Edit, FileId, Fix};
use crate::facts::AllowComment;
use crate::source::{SourceFile, Span};

const MARKER: &str = "scalelint: allow(";

/// Finds the allow comments of a file's text: `//` comments only, never text inside a string
/// literal or a block comment. A comment that looks like an allow but is not one
/// (`scalelint:allow(x)`, `allow()`, an unclosed `allow(x`, a `/* .. */` comment) is kept with
/// its problem, to be reported instead of silently doing nothing.
pub fn allow_comments(text: &str) -> Vec<AllowComment> {
    let mut out = vec![];
    if !text.contains("scalelint") {
        return out;
    }
    for c in comments(text) {
        let body = &text[c.start..c.end];
        let Some(at) = find_marker(body) else {
            continue;
        };
        let at = c.start + at;
        let line = text[..c.start].matches('\n').count() + 1;
        let line_start = text[..c.start].rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[c.end..].find('\n').map_or(text.len(), |p| c.end + p);
        let problem = if c.block {
            Some("a block comment does not suppress; write it as a `//` comment".to_string())
        } else if !text[at..].starts_with(MARKER) {
            Some(format!(
                "it must be written exactly `{MARKER}rule-id)`, with one space after the colon"
            ))
        } else {
            match text[at + MARKER.len()..c.end].find(')') {
                None => Some("the list of rules is not closed with `)`".to_string()),
                Some(p)
                    if text[at + MARKER.len()..at + MARKER.len() + p]
                        .trim()
                        .is_empty() =>
                {
                    Some("it names no rule".to_string())
                }
                Some(_) => None,
            }
        };
        let mut rules = vec![];
        if problem.is_none() {
            let open = at + MARKER.len();
            let close = open + text[open..c.end].find(')').unwrap_or(0);
            let mut pos = open;
            for part in text[open..close].split(',') {
                let name = part.trim();
                let lead = part.len() - part.trim_start().len();
                if !name.is_empty() {
                    rules.push((
                        name.to_string(),
                        Span::new(pos + lead, pos + lead + name.len()),
                    ));
                }
                pos += part.len() + 1;
            }
        }
        // What removing the comment takes: the whole line when it holds only the comment,
        // otherwise the comment and the blanks before it.
        let alone =
            text[line_start..c.start].trim().is_empty() && text[c.end..line_end].trim().is_empty();
        let span = if alone {
            Span::new(line_start, (line_end + 1).min(text.len()))
        } else {
            let code_end = line_start + text[line_start..c.start].trim_end().len();
            Span::new(code_end, c.end)
        };
        out.push(AllowComment {
            rules,
            line,
            span,
            marker: Span::new(at, c.end),
            problem,
        });
    }
    out
}

/// Where a comment's text mentions `scalelint` `:` `allow`, however spaced.
fn find_marker(body: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = body[from..].find("scalelint") {
        let at = from + p;
        let rest = body[at + "scalelint".len()..].trim_start();
        if let Some(rest) = rest.strip_prefix(':')
            && rest.trim_start().starts_with("allow")
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

struct Comment {
    start: usize,
    /// Exclusive; a line comment ends before its newline (and a `\r` before it).
    end: usize,
    block: bool,
}

/// The comments of Rust source text, found by skipping string, byte-string, raw-string and
/// character literals. Unterminated literals and comments run to the end of the text.
fn comments(text: &str) -> Vec<Comment> {
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |p| i + p);
                let end = if end > i && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                out.push(Comment {
                    start: i,
                    end,
                    block: false,
                });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(Comment {
                    start,
                    end: i.min(b.len()),
                    block: true,
                });
            }
            b'"' => i = skip_string(b, i + 1),
            b'r' | b'b' | b'c' if !ident_before(b, i) => i = skip_prefixed(b, i),
            b'\'' => i = skip_char(b, i),
            _ => i += 1,
        }
    }
    out
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// After an opening `"`: past the closing one, escapes skipped.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `r".."`, `r#".."#`, `b".."`, `br#".."#`, `c".."`, `b'x'`; anything else is an identifier.
fn skip_prefixed(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    if b[i] != b'r' && b.get(j) == Some(&b'r') {
        j += 1;
    }
    let raw = b[i] == b'r' || b[j - 1] == b'r';
    if !raw {
        return match b.get(j) {
            Some(b'"') => skip_string(b, j + 1),
            Some(b'\'') if b[i] == b'b' => skip_char(b, j),
            _ => i + 1,
        };
    }
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    if b.get(j + hashes) != Some(&b'"') {
        return i + 1;
    }
    let mut k = j + hashes + 1;
    while k < b.len() {
        if b[k] == b'"'
            && b[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return k + 1 + hashes;
        }
        k += 1;
    }
    b.len()
}

/// At a `'`: past a character literal (`'x'`, `'\n'`, `'\u{..}'`), or one byte for a lifetime.
fn skip_char(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        let close = b[i + 2..].iter().take(12).position(|&c| c == b'\'');
        return close.map_or(i + 1, |p| i + 2 + p + 1);
    }
    // One character (up to four UTF-8 bytes), then the closing quote.
    let len = match b.get(i + 1) {
        Some(&c) if c < 0x80 => 1,
        Some(&c) if c >= 0xf0 => 4,
        Some(&c) if c >= 0xe0 => 3,
        Some(_) => 2,
        None => return b.len(),
    };
    if b.get(i + 1 + len) == Some(&b'\'') {
        i + 2 + len
    } else {
        i + 1
    }
}

/// Drops findings an allow comment covers and reports the allows that covered nothing.
pub fn apply(
    file: FileId,
    source: &SourceFile,
    allows: &[AllowComment],
    known: &dyn Fn(&str) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut used = vec![vec![false; 0]; allows.len()];
    for (i, a) in allows.iter().enumerate() {
        used[i] = vec![false; a.rules.len()];
    }
    diagnostics.retain(|d| {
        if d.file != file {
            return true;
        }
        let line = source.line_col(d.span.start).line;
        let mut silenced = false;
        for (i, a) in allows.iter().enumerate() {
            if a.line != line && a.line + 1 != line {
                continue;
            }
            for (j, (rule, _)) in a.rules.iter().enumerate() {
                if **rule == *d.rule {
                    used[i][j] = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    let mut unused = vec![];
    for a in allows {
        if let Some(problem) = &a.problem {
            unused.push(
                Diagnostic::new(
                    crate::rules::UNUSED_ALLOW.id,
                    file,
                    a.marker,
                    "malformed allow comment: it silences nothing".to_string(),
                )
                .note(problem.clone())
                .fix(Fix::manual(
                    "write it as `// scalelint: allow(rule-id) reason` on the line of the \
                     finding or the line above",
                )),
            );
        }
    }
    for (i, a) in allows.iter().enumerate() {
        for (j, (rule, span)) in a.rules.iter().enumerate() {
            if used[i][j] {
                continue;
            }
            let whole_comment = a.rules.len() == 1;
            let (message, note) = if known(rule) {
                (
                    format!("`allow({rule})` silences nothing"),
                    "no `".to_string() + rule + "` finding is on this line or the next",
                )
            } else {
                (
                    format!("`allow({rule})` names no scalelint rule"),
                    "`scalelint rules` lists the rule ids".to_string(),
                )
            };
            let fix = if whole_comment {
                Fix::machine(
                    "remove the comment",
                    vec![Edit {
                        file,
                        span: a.span,
                        replacement: String::new(),
                    }],
                )
            } else {
                Fix::manual(format!("remove `{rule}` from the list"))
            };
            let d = Diagnostic::new(crate::rules::UNUSED_ALLOW.id, file, *span, message)
                .note(note)
                .fix(fix);
            unused.push(d);
        }
    }
    unused
}
