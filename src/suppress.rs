//! `// scalelint: allow(rule-id, other-id) reason` comments: they silence findings on their
//! own line or the line below; one that silences nothing is itself reported.

use crate::diagnostic::{Diagnostic, Edit, FileId, Fix};
use crate::facts::AllowComment;
use crate::source::{SourceFile, Span};

const MARKER: &str = "scalelint: allow(";

/// Finds the allow comments of a file's text (in `//` comments only).
pub fn allow_comments(text: &str) -> Vec<AllowComment> {
    let mut out = vec![];
    if !text.contains(MARKER) {
        return out;
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(slashes) = line.find("//") else {
            continue;
        };
        let Some(at) = line[slashes..].find(MARKER).map(|p| p + slashes) else {
            continue;
        };
        let open = at + MARKER.len();
        let Some(close) = line[open..].find(')').map(|p| p + open) else {
            continue;
        };
        let mut rules = vec![];
        let mut pos = open;
        for part in line[open..close].split(',') {
            let name = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !name.is_empty() {
                rules.push((
                    name.to_string(),
                    Span::new(start + pos + lead, start + pos + lead + name.len()),
                ));
            }
            pos += part.len() + 1;
        }
        // What removing the comment takes: the whole line when it holds only the comment,
        // otherwise the comment and the blanks before it.
        let span = if line[..slashes].trim().is_empty() {
            Span::new(start, offset)
        } else {
            let code_end = line[..slashes].trim_end().len();
            Span::new(
                start + code_end,
                start + line.trim_end_matches(['\n', '\r']).len(),
            )
        };
        out.push(AllowComment {
            rules,
            line: i + 1,
            span,
        });
    }
    out
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
