//! rustc's `--error-format=json` diagnostics, one object a line: what rust-analyzer's
//! `check.overrideCommand` reads (it takes bare rustc diagnostics as well as cargo messages),
//! so editors show findings and quick fixes. Fixes become `help` children whose spans carry
//! `suggested_replacement` and `suggestion_applicability`, as rustc's suggestions do.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::Report;
use crate::source::Span;
use serde_json::{Value, json};
use std::fmt::Write;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn span(
    report: &Report,
    file: usize,
    span: Span,
    primary: bool,
    label: Option<&str>,
    suggestion: Option<(&str, Applicability)>,
) -> Value {
    let f = &report.files[file];
    let (start, end) = super::range(report, file, span);
    let text: Vec<Value> = (start.line..=end.line)
        .map(|l| {
            let line = f.line_text(l);
            let from = if l == start.line { start.column } else { 1 };
            let to = if l == end.line {
                end.column
            } else {
                line.chars().count() + 1
            };
            json!({ "text": line, "highlight_start": from, "highlight_end": to })
        })
        .collect();
    json!({
        "file_name": f.display,
        "byte_start": span.start,
        "byte_end": span.end,
        "line_start": start.line,
        "line_end": end.line,
        "column_start": start.column,
        "column_end": end.column,
        "is_primary": primary,
        "text": text,
        "label": label,
        "suggested_replacement": suggestion.map(|s| s.0),
        "suggestion_applicability": suggestion.map(|s| s.1.rustc_name()),
        "expansion": null,
    })
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({
        "message": message, "code": null, "level": level,
        "spans": spans, "children": [], "rendered": null,
    })
}

pub fn render(report: &Report) -> String {
    let rendered = super::human::render_each(report, false);
    let mut out = String::new();
    for (d, rendered) in report.diagnostics.iter().zip(rendered) {
        let mut spans = vec![span(report, d.file, d.span, true, None, None)];
        for l in &d.labels {
            spans.push(span(report, l.file, l.span, false, Some(&l.message), None));
        }
        let mut children: Vec<Value> = d.notes.iter().map(|n| child("note", n, vec![])).collect();
        if let Some(help) = &d.help {
            children.push(child("help", help, vec![]));
        }
        if let Some(fix) = &d.fix {
            let edits = fix
                .edits
                .iter()
                .map(|e| {
                    let suggestion = Some((e.replacement.as_str(), fix.applicability));
                    span(report, e.file, e.span, true, None, suggestion)
                })
                .collect();
            children.push(child("help", &fix.description, edits));
        }
        let value = json!({
            "$message_type": "diagnostic",
            "message": d.message,
            "code": { "code": &*d.rule, "explanation": null },
            "level": level(d.severity),
            "spans": spans,
            "children": children,
            "rendered": rendered,
        });
        let _ = writeln!(out, "{value}");
    }
    out
}
