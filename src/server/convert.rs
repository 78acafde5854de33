//! Between scalelint's findings (byte spans, paths) and the protocol's (line and column in the
//! encoding agreed at `initialize`, `file:` URIs).

use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::Report;
use crate::source::Span;
use lsp_types as lsp;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How columns are counted: UTF-16 code units (the protocol's default) or UTF-8 bytes (when
/// the client offers it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf16,
    Utf8,
}

/// A text's line starts, for offset → position.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            starts: crate::source::line_starts(text),
        }
    }

    pub fn position(&self, offset: usize, enc: Encoding) -> lsp::Position {
        let offset = offset.min(self.text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let before = self.text.get(start..offset).unwrap_or("");
        let character = match enc {
            Encoding::Utf16 => before.encode_utf16().count(),
            Encoding::Utf8 => before.len(),
        };
        lsp::Position::new(line as u32, character as u32)
    }

    pub fn range(&self, span: Span, enc: Encoding) -> lsp::Range {
        lsp::Range::new(self.position(span.start, enc), self.position(span.end, enc))
    }
}

/// The path a `file:` URI names (percent-decoded); None for other schemes.
pub fn uri_to_path(uri: &lsp::Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s
        .strip_prefix("file://")
        .or_else(|| s.strip_prefix("FILE://"))?;
    // The authority (empty or `localhost`) ends at the path's first slash.
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let bytes = percent_decode(path)?;
    let decoded = String::from_utf8(bytes).ok()?;
    #[cfg(windows)]
    let decoded = decoded
        .strip_prefix('/')
        .filter(|p| p.as_bytes().get(1) == Some(&b':'))
        .map(str::to_string)
        .unwrap_or(decoded);
    Some(PathBuf::from(decoded))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A `file:` URI for an absolute path, reserved characters percent-encoded.
pub fn path_to_uri(path: &Path) -> lsp::Uri {
    let text = crate::workspace::slash_path(path);
    let mut s = String::from("file://");
    if !text.starts_with('/') {
        s.push('/');
    }
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(byte as char)
            }
            b':' if cfg!(windows) => s.push(':'),
            _ => s.push_str(&format!("%{byte:02X}")),
        }
    }
    lsp::Uri::from_str(&s).unwrap_or_else(|_| lsp::Uri::from_str("file:///").expect("a URI"))
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// The finding as the protocol shows it: the message, then its notes, help and (for a fix a
/// person applies) the fix, as the CLI prints them under it; its labels as related places.
pub fn diagnostic(
    report: &Report,
    d: &Diagnostic,
    lines: &Lines,
    enc: Encoding,
    uri_of: &dyn Fn(&Path) -> lsp::Uri,
) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    if let Some(f) = &d.fix {
        message.push_str(&format!(
            "\nfix ({}): {}",
            f.applicability.human_label(),
            f.description
        ));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            let f = report.files.get(l.file)?;
            let range = if l.file == d.file {
                lines.range(l.span, enc)
            } else {
                Lines::new(&f.text).range(l.span, enc)
            };
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri_of(&f.path), range),
                message: l.message.clone(),
            })
        })
        .collect();
    let href = crate::render::sarif::help_uri(&d.rule).and_then(|h| lsp::Uri::from_str(&h).ok());
    lsp::Diagnostic {
        range: lines.range(d.span, enc),
        severity: Some(severity(d.severity)),
        code: Some(lsp::NumberOrString::String(d.rule.to_string())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("scalelint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (&*d.rule == crate::rules::UNUSED_ALLOW.id)
            .then(|| vec![lsp::DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a\nλ𝄞x\n";
        let l = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(l.position(x, Encoding::Utf16), lsp::Position::new(1, 3));
        assert_eq!(l.position(x, Encoding::Utf8), lsp::Position::new(1, 6));
        assert_eq!(
            l.position(text.len(), Encoding::Utf16),
            lsp::Position::new(2, 0)
        );
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü#x.rs");
        let uri = path_to_uri(p);
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC%23x.rs");
        assert_eq!(uri_to_path(&uri).unwrap(), p);
        let vscode = lsp::Uri::from_str("file://localhost/tmp/x.rs").unwrap();
        assert_eq!(uri_to_path(&vscode).unwrap(), Path::new("/tmp/x.rs"));
        let other = lsp::Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&other), None);
    }
}
