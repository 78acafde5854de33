//! `--add-allow`: writes a `// scalelint: allow(rule) TODO: ..` comment for every current
//! finding of a Rust file (ruff's `--add-noqa`), so a team can adopt scalelint on an existing
//! service and fill in the reasons.
//!
//! Each comment goes on a line of its own above the finding's line (above the first line of a
//! method chain the finding is in), indented like it (it then covers the statement starting
//! there, see [`crate::suppress`]); when that line starts inside
//! a multi-line string or block comment, or with a closing bracket, it goes at the end of the
//! line instead. The edited texts are analysed again before anything is written: a file whose
//! result would not parse is left as it is, and findings the comments do not silence are told.
//! Files are written with the writer `--fix` uses ([`crate::fix::write_atomic`]).

use crate::engine::{self, Options, Report, RunError};
use crate::fix::{FileChange, Refusal, apply_edits, is_crlf, syntax_error};
use crate::rules;
use crate::source::Span;
use crate::suppress::REASON_PLACEHOLDER;
use std::collections::{BTreeMap, BTreeSet};

pub struct Added {
    pub changes: Vec<FileChange>,
    /// Comments written, and the findings they are for.
    pub comments: usize,
    pub findings: usize,
    pub refused: Vec<Refusal>,
    /// The analysis of the edited texts: what the comments did not silence.
    pub report: Report,
}

/// Findings that an allow comment cannot or should not silence.
fn allowable(rule: &str) -> bool {
    ![
        rules::PARSE_ERROR.id,
        rules::UNUSED_ALLOW.id,
        rules::ALLOW_WITHOUT_REASON.id,
    ]
    .contains(&rule)
}

/// Where the allow comment for a finding on 1-based `line` goes: (offset, the indent of a line of
/// its own, or None at the end of the line). `inside` tells whether an offset is inside a string
/// literal or block comment.
fn place(
    text: &str,
    inside: &dyn Fn(usize) -> bool,
    starts: &[usize],
    line: usize,
) -> Option<(usize, Option<String>)> {
    // A line continuing a method chain (`.max_connections(50)`): the chain's first line,
    // so the comment sits above the statement rather than inside it.
    let mut line = line;
    while line > 1 {
        let s = starts[line - 1];
        let rest = text[s..].trim_start_matches([' ', '\t']);
        if inside(s) || !rest.starts_with('.') || rest.starts_with("..") {
            break;
        }
        line -= 1;
    }
    let start = starts[line - 1];
    let end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    let indent_of = |at: usize| {
        let rest = &text[at..];
        let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        rest[..blank].to_string()
    };
    let closes = text[start..end].trim_start().starts_with(['}', ')', ']']);
    Some(if !inside(start) && !closes {
        (start, Some(indent_of(start)))
    } else if !inside(end) {
        (end, None)
    } else {
        // The line ends inside a literal: above the nearest line that starts in code.
        let &above = starts[..line - 1].iter().rev().find(|&&s| !inside(s))?;
        (above, Some(indent_of(above)))
    })
}

/// The comment allowing `rules`, inserted at `at` (see [`place`]).
fn comment_at(at: usize, indent: Option<&str>, rules: &[&str], nl: &str) -> (Span, String) {
    let comment = format!(
        "// scalelint: allow({}) {REASON_PLACEHOLDER}",
        rules.join(", ")
    );
    let text = match indent {
        Some(indent) => format!("{indent}{comment}{nl}"),
        None => format!(" {comment}"),
    };
    (Span::new(at, at), text)
}

/// The edit that allows `rule` for a finding starting at byte `offset` of `text`, placed as
/// `--add-allow` places it (the language server's "allow this rule here" action).
pub fn allow_edit(text: &str, offset: usize, rule: &str) -> Option<(Span, String)> {
    let opaque = crate::suppress::literal_and_block_comment_ranges(text);
    let inside = |pos: usize| opaque.iter().any(|&(s, e)| s < pos && pos < e);
    let starts = crate::source::line_starts(text);
    let line = starts.partition_point(|&s| s <= offset.min(text.len()));
    let nl = if is_crlf(text) { "\r\n" } else { "\n" };
    let (at, indent) = place(text, &inside, &starts, line.max(1))?;
    Some(comment_at(at, indent.as_deref(), &[rule], nl))
}

/// Whether an allow comment can silence findings of `rule`.
pub fn can_allow(rule: &str) -> bool {
    allowable(rule)
}

pub fn compute(opts: &Options) -> Result<Added, RunError> {
    let report = engine::run(opts)?;
    // File → line → rules.
    let mut wanted: BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>> = BTreeMap::new();
    let mut findings = 0;
    for d in &report.diagnostics {
        let file = &report.files[d.file];
        if !allowable(&d.rule) || file.path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        findings += 1;
        let line = file.line_col(d.span.start).line;
        wanted
            .entry(d.file)
            .or_default()
            .entry(line)
            .or_default()
            .insert(d.rule.to_string());
    }
    let mut changes = vec![];
    let mut refused = vec![];
    let mut comments = 0;
    let mut overlay = opts.overlay.clone();
    for (file, lines) in wanted {
        let f = &report.files[file];
        let text = &f.text;
        let opaque = crate::suppress::literal_and_block_comment_ranges(text);
        let inside = |pos: usize| opaque.iter().any(|&(s, e)| s < pos && pos < e);
        let nl = if is_crlf(text) { "\r\n" } else { "\n" };
        let starts = crate::source::line_starts(text);
        // Where each comment goes (position, on a line of its own: its indent) → its rules.
        let mut places: BTreeMap<(usize, Option<String>), BTreeSet<String>> = BTreeMap::new();
        for (line, rules) in lines {
            let Some(place) = place(text, &inside, &starts, line) else {
                continue;
            };
            places.entry(place).or_default().extend(rules);
        }
        let written = places.len();
        let edits: Vec<(Span, String)> = places
            .into_iter()
            .map(|((at, indent), rules)| {
                let list: Vec<&str> = rules.iter().map(String::as_str).collect();
                comment_at(at, indent.as_deref(), &list, nl)
            })
            .collect();
        let fixed = apply_edits(text, &edits);
        if let Some(reason) = syntax_error(&f.path, &fixed) {
            refused.push(Refusal {
                path: f.path.clone(),
                display: f.display.clone(),
                reason,
            });
            continue;
        }
        comments += written;
        overlay.insert(f.path.clone(), fixed.clone());
        changes.push(FileChange {
            path: f.path.clone(),
            display: f.display.clone(),
            original: text.clone(),
            fixed,
        });
    }
    let report = engine::run(&Options {
        overlay,
        ..opts.clone()
    })?;
    Ok(Added {
        changes,
        comments,
        findings,
        refused,
        report,
    })
}
