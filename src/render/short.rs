//! `path:line:col: rule-id: message`, one finding a line.

use crate::engine::Report;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let (start, _) = super::range(report, d.file, d.span);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}: {}",
            report.files[d.file].display, start.line, start.column, d.rule, d.message
        );
    }
    out
}
