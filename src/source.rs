//! Source text with a line index: byte offsets <-> 1-based line and column.

use std::path::PathBuf;

/// A byte range in one file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Line and column, both 1-based; the column counts characters, as rustc does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to users (relative to the current directory when possible).
    pub display: String,
    pub path: PathBuf,
    /// The text. The engine keeps a file (read again) only when a finding points into it.
    pub text: String,
    line_starts: Vec<usize>,
    len: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, text: String) -> SourceFile {
        let line_starts = line_starts(&text);
        let len = text.len();
        SourceFile {
            display,
            path,
            text,
            line_starts,
            len,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let mut column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        if line == 0 && offset >= 3 && self.text.starts_with('\u{feff}') {
            // A byte-order mark is not a column.
            column -= 1;
        }
        LineCol {
            line: line + 1,
            column: column + 1,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).copied().unwrap_or(self.len);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(self.len)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
    starts
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

/// Converts proc-macro2 positions (1-based line, 0-based char column) of one parsed text
/// into byte offsets of that text.
/// Characters between two checkpoints of [`OffsetMap`].
const CHECKPOINT: usize = 64;

pub struct OffsetMap<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Per line, where its checkpoints start in `checkpoints`.
    line_checkpoints: Vec<usize>,
    /// The byte offset (within its line) of every `CHECKPOINT`th character of each line, so a
    /// column becomes a byte offset in constant time even on a megabyte-long line.
    checkpoints: Vec<u32>,
    /// Added to every offset: the parsed text may be a suffix of the file (a byte-order mark removed).
    base: usize,
}

impl<'a> OffsetMap<'a> {
    pub fn new(text: &'a str, base: usize) -> OffsetMap<'a> {
        let line_starts = line_starts(text);
        let mut line_checkpoints = Vec::with_capacity(line_starts.len());
        let mut checkpoints = vec![];
        for (i, &start) in line_starts.iter().enumerate() {
            let end = line_starts.get(i + 1).copied().unwrap_or(text.len());
            line_checkpoints.push(checkpoints.len());
            for (n, (at, _)) in text[start..end].char_indices().enumerate() {
                if n % CHECKPOINT == 0 {
                    checkpoints.push(u32::try_from(at).unwrap_or(u32::MAX));
                }
            }
        }
        OffsetMap {
            text,
            line_starts,
            line_checkpoints,
            checkpoints,
            base,
        }
    }

    pub fn offset(&self, lc: proc_macro2::LineColumn) -> usize {
        let Some(&start) = self.line_starts.get(lc.line.wrapping_sub(1)) else {
            return self.base + self.text.len();
        };
        let line = &self.text[start..];
        let line_no = lc.line - 1;
        let first = self.line_checkpoints[line_no];
        let last = self
            .line_checkpoints
            .get(line_no + 1)
            .copied()
            .unwrap_or(self.checkpoints.len());
        // The last checkpoint at or before the column (none on an empty line), then walk.
        let (from, n) = if last > first {
            let idx = (first + lc.column / CHECKPOINT).min(last - 1);
            (
                self.checkpoints[idx] as usize,
                lc.column - (idx - first) * CHECKPOINT,
            )
        } else {
            (0, lc.column)
        };
        let within = line[from..]
            .char_indices()
            .nth(n)
            .map_or(line.len(), |(i, _)| from + i);
        self.base + start + within
    }

    pub fn span(&self, span: proc_macro2::Span) -> Span {
        Span::new(self.offset(span.start()), self.offset(span.end()))
    }
}
