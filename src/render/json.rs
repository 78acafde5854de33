//! The versioned JSON report scripts and CI read. Field names are a stable interface.

use crate::engine::Report;
use serde_json::{Value, json};

pub const VERSION: u32 = 1;

pub fn to_value(report: &Report) -> Value {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let (start, end) = super::range(report, d.file, d.span);
            let labels: Vec<Value> = d
                .labels
                .iter()
                .map(|l| {
                    let (s, e) = super::range(report, l.file, l.span);
                    json!({
                        "path": report.files[l.file].display, "line": s.line, "column": s.column,
                        "end_line": e.line, "end_column": e.column, "message": l.message,
                    })
                })
                .collect();
            let fix = d.fix.as_ref().map(|f| {
                let edits: Vec<Value> = f
                    .edits
                    .iter()
                    .map(|e| {
                        let (s, en) = super::range(report, e.file, e.span);
                        json!({
                            "path": report.files[e.file].display, "line": s.line, "column": s.column,
                            "end_line": en.line, "end_column": en.column, "replacement": e.replacement,
                        })
                    })
                    .collect();
                json!({ "applicability": f.applicability.as_str(), "description": f.description, "edits": edits })
            });
            json!({
                "rule": &*d.rule,
                "severity": d.severity.as_str(),
                "path": report.files[d.file].display,
                "line": start.line, "column": start.column,
                "end_line": end.line, "end_column": end.column,
                "message": d.message,
                "labels": labels,
                "notes": d.notes,
                "help": d.help,
                "fix": fix,
            })
        })
        .collect();
    json!({
        "version": VERSION,
        "diagnostics": diagnostics,
        "summary": {
            "files": report.summary.files,
            "findings": report.summary.findings,
            "parse_errors": report.summary.parse_errors,
        },
    })
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    s.push('\n');
    s
}
