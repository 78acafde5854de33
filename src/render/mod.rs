//! Output formats, one file each.

pub mod human;
pub mod json;
pub mod short;

use crate::engine::Report;
use crate::source::{LineCol, Span};

/// 1-based start and end of a span in a file of the report.
pub fn range(report: &Report, file: usize, span: Span) -> (LineCol, LineCol) {
    let f = &report.files[file];
    (f.line_col(span.start), f.line_col(span.end))
}
