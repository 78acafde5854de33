//! `// scalelint: allow(rule-id, other-id) reason` comments. One after code silences findings on
//! its own line; one on a line of its own silences findings on every line of the statement or
//! expression starting on the next line (of an item such as `fn`, its header only). One that
//! silences nothing is itself reported.

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
        let mut reason = String::new();
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
            reason = text[close + 1..c.end].trim().to_string();
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
        let last_line = if alone {
            match statement_below(text, line_end) {
                Some(end) => text[..end].matches('\n').count() + 1,
                None => line,
            }
        } else {
            line
        };
        out.push(AllowComment {
            rules,
            line,
            last_line: last_line.max(line),
            alone,
            reason,
            span,
            marker: Span::new(at, c.end),
            problem,
        });
    }
    out
}

/// Where the statement or expression starting on the line after `newline` (the end of an allow
/// comment's line) ends: just past its `;`, its `,` (a field, an argument, a match arm), the `}`
/// closing its last block, or, for an item (`fn`, `impl`, `struct`, ..), the `{` opening its
/// body. Comment lines between are skipped (allows may be stacked); a blank line or a closing
/// bracket first means nothing starts there (`None`). Read with the lexical scanner, so it
/// works on files that do not parse.
fn statement_below(text: &str, newline: usize) -> Option<usize> {
    use crate::lex;
    let b = text.as_bytes();
    let mut i = newline + 1;
    // The first code: past whitespace and comments, but not past a blank line.
    loop {
        let line_end = lex::line_comment_end(b, i.min(b.len()));
        let line = &text[i.min(b.len())..line_end];
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() {
            return None;
        }
        if trimmed.starts_with("//") {
            i = line_end + 1;
            continue;
        }
        i += line.len() - trimmed.len();
        break;
    }
    if i >= b.len() {
        return None;
    }
    let start = i;
    let item = starts_item(text, start);
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => i = lex::line_comment_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = lex::block_comment_end(b, i),
            b'"' => i = lex::string_end(b, i + 1),
            b'\'' => i = lex::quote_end(b, i),
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let end = lex::ident_end(b, i);
                i = lex::prefixed_literal_end(b, &b[i..end], end).unwrap_or(end);
            }
            b'{' if depth == 0 && item => return Some(i + 1),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                if depth == 0 {
                    // It closes the enclosing block: the statement ended before it.
                    return (i > start).then_some(i);
                }
                depth -= 1;
                i += 1;
                if depth == 0 && b[i - 1] == b'}' && !continues(text, i) {
                    return Some(i);
                }
            }
            b';' | b',' if depth == 0 => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(b.len())
}

/// Whether the code after a block that closed at depth 0 (at `i`) carries the same expression
/// on (`.await`, `?`, `else`, an operator, `;`), rather than starting the next statement.
fn continues(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    let mut j = i;
    loop {
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'/') {
            j = crate::lex::line_comment_end(b, j);
        } else if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'*') {
            j = crate::lex::block_comment_end(b, j);
        } else {
            break;
        }
    }
    let Some(&c) = b.get(j) else {
        return false;
    };
    if b".?;,+-*/%&|^<>=!)]".contains(&c) {
        return true;
    }
    let word = &b[j..crate::lex::ident_end(b, j)];
    matches!(word, b"else" | b"as")
}

/// Whether the code at `start` is an item with a body (`pub async fn`, `impl`, `mod`, `struct`,
/// `macro_rules!`, ..), after its attributes and modifiers.
fn starts_item(text: &str, start: usize) -> bool {
    use crate::lex;
    let b = text.as_bytes();
    let mut i = start;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return false;
        }
        if b[i] == b'#' {
            // An attribute: `#[..]` or `#![..]`.
            let mut j = i + 1;
            if b.get(j) == Some(&b'!') {
                j += 1;
            }
            if b.get(j) != Some(&b'[') {
                return false;
            }
            let mut depth = 0usize;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = lex::string_end(b, j + 1);
                        continue;
                    }
                    b'[' | b'(' | b'{' => depth += 1,
                    b']' | b')' | b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j;
            continue;
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            i = lex::line_comment_end(b, i);
            continue;
        }
        if b[i] == b'"' {
            // The ABI of `extern "C" fn`.
            i = lex::string_end(b, i + 1);
            continue;
        }
        if b[i] == b'(' {
            // `pub(crate)`.
            while i < b.len() && b[i] != b')' {
                i += 1;
            }
            i += 1;
            continue;
        }
        if !(b[i].is_ascii_alphabetic() || b[i] == b'_') {
            return false;
        }
        let end = lex::ident_end(b, i);
        match &b[i..end] {
            b"pub" | b"async" | b"unsafe" | b"const" | b"extern" | b"default" | b"safe" => {
                i = end;
            }
            b"fn" | b"impl" | b"mod" | b"trait" | b"struct" | b"enum" | b"union"
            | b"macro_rules" => return true,
            _ => return false,
        }
    }
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

/// The byte ranges of the string and character literals and block comments of Rust source
/// text: a line break inside one is part of it, so nothing may be inserted there.
pub fn literal_and_block_comment_ranges(text: &str) -> Vec<(usize, usize)> {
    use crate::lex;
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => i = lex::line_comment_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = lex::block_comment_end(b, i);
                out.push((start, i));
            }
            b'"' => {
                i = lex::string_end(b, i + 1);
                out.push((start, i));
            }
            b'\'' => i = lex::quote_end(b, i),
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let end = lex::ident_end(b, i);
                match lex::prefixed_literal_end(b, &b[i..end], end) {
                    Some(e) => {
                        out.push((start, e));
                        i = e;
                    }
                    None => i = end,
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The comments of Rust source text, found by skipping string, byte-string, raw-string and
/// character literals (with the scanner the depth estimate uses).
fn comments(text: &str) -> Vec<Comment> {
    use crate::lex;
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let mut end = lex::line_comment_end(b, i);
                if b[end - 1] == b'\r' {
                    end -= 1;
                }
                out.push(Comment {
                    start: i,
                    end,
                    block: false,
                });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = lex::block_comment_end(b, i);
                out.push(Comment {
                    start: i,
                    end,
                    block: true,
                });
                i = end;
            }
            b'"' => i = lex::string_end(b, i + 1),
            b'\'' => i = lex::quote_end(b, i),
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let end = lex::ident_end(b, i);
                i = lex::prefixed_literal_end(b, &b[i..end], end).unwrap_or(end);
            }
            _ => i += 1,
        }
    }
    out
}

/// What the engine knows when it weighs allow comments.
pub struct Judge<'a> {
    /// The id names a rule (any rule, selected or not).
    pub known: &'a dyn Fn(&str) -> bool,
    /// The rule ran in this invocation (selected, not ignored, not turned off): an allow naming
    /// one that did not is never counted as unused.
    pub ran: &'a dyn Fn(&str) -> bool,
    /// `require-reason = true`: an allow without a reason is reported.
    pub require_reason: bool,
}

/// The reason `--add-allow` writes; with `require-reason = true` it counts as no reason.
pub const REASON_PLACEHOLDER: &str = "TODO: say why this is safe";

/// Drops findings an allow comment covers and reports the allows that covered nothing
/// (`unused-allow`) and, when reasons are required, those that give none
/// (`allow-without-reason`).
pub fn apply(
    file: FileId,
    source: &SourceFile,
    allows: &[AllowComment],
    judge: &Judge,
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
            if line < a.line || line > a.last_line {
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
                    "write it as `// scalelint: allow(rule-id) reason` at the end of the \
                     finding's line or on a line of its own above its statement",
                )),
            );
        } else if judge.require_reason && (a.reason.is_empty() || a.reason == REASON_PLACEHOLDER) {
            let what = if a.reason.is_empty() {
                "gives no reason"
            } else {
                "still has the placeholder reason `--add-allow` wrote"
            };
            unused.push(
                Diagnostic::new(
                    crate::rules::ALLOW_WITHOUT_REASON.id,
                    file,
                    a.marker,
                    format!("allow comment {what}"),
                )
                .note(
                    "`require-reason = true` in scalelint.toml: every suppression says why the \
                     finding does not apply"
                        .to_string(),
                )
                .fix(Fix::manual(
                    "write the reason after `)`: what makes this safe with several instances",
                )),
            );
        }
    }
    for (i, a) in allows.iter().enumerate() {
        for (j, (rule, span)) in a.rules.iter().enumerate() {
            if used[i][j] || ((judge.known)(rule) && !(judge.ran)(rule)) {
                continue;
            }
            let whole_comment = a.rules.len() == 1;
            let (message, note) = if (judge.known)(rule) {
                let place = if a.last_line == a.line + 1 {
                    format!(
                        "on this line or in the statement below it (line {}; of an item, only \
                         its header counts)",
                        a.last_line
                    )
                } else if a.last_line > a.line {
                    format!(
                        "on this line or in the statement below it (lines {}–{})",
                        a.line + 1,
                        a.last_line
                    )
                } else if a.alone {
                    "on this line, and no statement starts on the next line".to_string()
                } else {
                    "on this line".to_string()
                };
                (
                    format!("`allow({rule})` silences nothing"),
                    format!("no `{rule}` finding is {place}"),
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
