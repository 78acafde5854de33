//! GitHub Actions workflow commands: one `::error|warning|notice file=..,line=..::..` a finding.
//!
//! Escaping follows the runner (actions/runner `src/Runner.Common/ActionCommand.cs`, and
//! actions/toolkit `packages/core/src/command.ts` `escapeData`/`escapeProperty`): in the message `%` → `%25` (first), `\r` → `%0D`, `\n` → `%0A`; in
//! property values also `:` → `%3A` and `,` → `%2C`. The runner drops `col`/`endColumn` when
//! `line != endLine`, so they are left out then. It shows only 10 annotations of each level per
//! step: errors come first, and the full list goes to `$GITHUB_STEP_SUMMARY`.

use super::RepoPaths;
use crate::diagnostic::Severity;
use crate::engine::Report;
use std::fmt::Write;

/// Annotations of one level the runner shows per step.
pub const SHOWN_PER_LEVEL: usize = 10;

pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// The report's findings, most important first (stable within a level).
fn by_importance(report: &Report) -> Vec<usize> {
    let mut order: Vec<usize> = (0..report.diagnostics.len()).collect();
    order.sort_by_key(|&i| report.diagnostics[i].severity);
    order
}

pub fn render(report: &Report) -> String {
    let paths = RepoPaths::discover();
    let mut out = String::new();
    for i in by_importance(report) {
        let d = &report.diagnostics[i];
        let (start, end) = super::range(report, d.file, d.span);
        let path = paths.of(report, d.file);
        let mut props = format!("file={},line={}", escape_property(&path), start.line);
        if start.line == end.line {
            let _ = write!(
                props,
                ",endLine={},col={},endColumn={}",
                end.line, start.column, end.column
            );
        } else {
            let _ = write!(props, ",endLine={}", end.line);
        }
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("scalelint({})", d.rule))
        );
        let mut message = format!("{path}:{}:{}: {}", start.line, start.column, d.message);
        for note in &d.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {help}");
        }
        if let Some(fix) = &d.fix {
            let _ = write!(message, "\nfix: {}", fix.description);
        }
        let _ = writeln!(
            out,
            "::{} {props}::{}",
            level(d.severity),
            escape_data(&message)
        );
    }
    let hidden: usize = [Severity::Error, Severity::Warning, Severity::Note]
        .iter()
        .map(|s| {
            let n = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == *s)
                .count();
            n.saturating_sub(SHOWN_PER_LEVEL)
        })
        .sum();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "::notice title=scalelint::{}",
            escape_data(&format!(
                "{} findings in all; GitHub shows {SHOWN_PER_LEVEL} annotations of each level, \
                 so {hidden} {} only in the job summary and the log",
                report.diagnostics.len(),
                if hidden == 1 { "is" } else { "are" }
            ))
        );
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// A Markdown table of every finding, for `$GITHUB_STEP_SUMMARY`.
pub fn summary_markdown(report: &Report) -> String {
    let paths = RepoPaths::discover();
    let s = report.summary;
    let mut out = format!(
        "## scalelint\n\n{} finding{} in {} file{} checked\n\n",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    if report.diagnostics.is_empty() {
        return out;
    }
    out.push_str("| level | rule | location | message |\n|---|---|---|---|\n");
    for i in by_importance(report) {
        let d = &report.diagnostics[i];
        let (start, _) = super::range(report, d.file, d.span);
        let _ = writeln!(
            out,
            "| {} | `{}` | `{}:{}:{}` | {} |",
            level(d.severity),
            d.rule,
            cell(&paths.of(report, d.file)),
            start.line,
            start.column,
            cell(&d.message)
        );
    }
    out.push('\n');
    out
}
