//! The versioned JSON report scripts and CI read. Field names are a stable interface; the
//! structs below are that interface, written out by serde.
//!
//! Fields are declared in alphabetical order because that is the order the report has always
//! had (it was built as a sorted JSON map): the output stays byte for byte the same.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::Report;
use crate::source::Span;
use serde::Serialize;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
    version: u32,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    findings: usize,
    parse_errors: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    column: usize,
    end_column: usize,
    end_line: usize,
    fix: Option<JsonFix<'a>>,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
    line: usize,
    message: &'a str,
    notes: &'a [String],
    path: &'a str,
    rule: &'a str,
    severity: Severity,
}

/// Where a label points, 1-based, end exclusive.
#[derive(Serialize)]
struct JsonLabel<'a> {
    column: usize,
    end_column: usize,
    end_line: usize,
    line: usize,
    message: &'a str,
    path: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: Applicability,
    description: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    column: usize,
    end_column: usize,
    end_line: usize,
    line: usize,
    path: &'a str,
    replacement: &'a str,
}

/// A span's path and 1-based start and end.
fn place(report: &Report, file: usize, span: Span) -> (&str, usize, usize, usize, usize) {
    let (start, end) = super::range(report, file, span);
    let path = report.files[file].display.as_str();
    (path, start.line, start.column, end.line, end.column)
}

fn report_of(report: &Report) -> JsonReport<'_> {
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d| {
            let (path, line, column, end_line, end_column) = place(report, d.file, d.span);
            let labels = d
                .labels
                .iter()
                .map(|l| {
                    let (path, line, column, end_line, end_column) = place(report, l.file, l.span);
                    JsonLabel {
                        column,
                        end_column,
                        end_line,
                        line,
                        message: &l.message,
                        path,
                    }
                })
                .collect();
            let fix = d.fix.as_ref().map(|f| JsonFix {
                applicability: f.applicability,
                description: &f.description,
                edits: f
                    .edits
                    .iter()
                    .map(|e| {
                        let (path, line, column, end_line, end_column) =
                            place(report, e.file, e.span);
                        JsonEdit {
                            column,
                            end_column,
                            end_line,
                            line,
                            path,
                            replacement: &e.replacement,
                        }
                    })
                    .collect(),
            });
            JsonDiagnostic {
                column,
                end_column,
                end_line,
                fix,
                help: d.help.as_deref(),
                labels,
                line,
                message: &d.message,
                notes: &d.notes,
                path,
                rule: &d.rule,
                severity: d.severity,
            }
        })
        .collect();
    JsonReport {
        diagnostics,
        summary: JsonSummary {
            files: report.summary.files,
            findings: report.summary.findings,
            parse_errors: report.summary.parse_errors,
        },
        version: VERSION,
    }
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&report_of(report)).unwrap_or_default();
    s.push('\n');
    s
}
