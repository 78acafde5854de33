//! rustc's look, through codespan-reporting: `--> path:line:col`, labels, notes, help, fix.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::Report;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Buffer, WriteColor};
use codespan_reporting::term::{self, Config};

pub fn render(report: &Report, color: bool) -> String {
    render_each(report, color).concat()
}

/// Each finding rendered on its own (rustc JSON's `rendered` field).
pub fn render_each(report: &Report, color: bool) -> Vec<String> {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = report
        .files
        .iter()
        .map(|f| files.add(f.display.clone(), f.text.clone()))
        .collect();
    let config = Config::default();
    let mut out = vec![];
    for d in &report.diagnostics {
        let mut buffer = if color {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        let cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
            Severity::Note => CsDiagnostic::note(),
        };
        let mut labels = vec![Label::primary(ids[d.file], d.span.start..d.span.end)];
        for l in &d.labels {
            labels.push(
                Label::secondary(ids[l.file], l.span.start..l.span.end).with_message(&l.message),
            );
        }
        let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        if let Some(fix) = &d.fix {
            // A fix with no edit is a snippet to adapt, whatever its applicability says.
            let kind = match fix.applicability {
                _ if fix.edits.is_empty() => Applicability::Manual.human_label(),
                kind => kind.human_label(),
            };
            notes.push(format!("{kind}: {}", fix.description));
        }
        let cs = cs
            .with_code(&*d.rule)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(notes);
        if term::emit_to_write_style(&mut buffer, &config, &files, &cs).is_err() {
            // A span past the end of its file: still say what was found, plainly.
            let _ = writeln_plain(
                &mut buffer,
                &format!(
                    "{}: {}: {}",
                    report.files[d.file].display, d.rule, d.message
                ),
            );
        }
        out.push(String::from_utf8_lossy(buffer.as_slice()).into_owned());
    }
    out
}

fn writeln_plain(buffer: &mut Buffer, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    buffer.reset()?;
    writeln!(buffer, "{line}")
}

/// The closing line of a human report.
pub fn summary_line(report: &Report) -> String {
    let s = report.summary;
    let fixable = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Machine && !f.edits.is_empty())
        })
        .count();
    let mut line = format!(
        "scalelint: {} finding{} in {} file{} checked",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    if s.parse_errors > 0 {
        line.push_str(&format!(", {} could not be parsed", s.parse_errors));
    }
    if fixable > 0 {
        line.push_str(&format!("; {fixable} fixable with --fix"));
    }
    line
}
