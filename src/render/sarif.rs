//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! Columns count Unicode code points (`columnKind: unicodeCodePoints`), end columns are
//! exclusive, as SARIF's regions are. `insertedContent` is an `artifactContent` object
//! (`{ "text": .. }`), not a string.

use super::RepoPaths;
use crate::diagnostic::Severity;
use crate::engine::Report;
use crate::rules::{self, RuleMeta};
use crate::source::LineCol;
use serde_json::{Value, json};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A relative path as a URI reference: `/` kept, everything outside RFC 3986's unreserved set
/// percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(start: LineCol, end: LineCol) -> Value {
    json!({
        "startLine": start.line, "startColumn": start.column,
        "endLine": end.line, "endColumn": end.column,
    })
}

/// The first paragraph of a rule's "What it finds" section (else of its page, after the
/// heading and the bold key line), or its summary.
fn full_description(meta: &RuleMeta) -> String {
    let section = meta
        .doc
        .find("## What it finds")
        .map_or(meta.doc, |at| &meta.doc[at..]);
    section
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#') && !p.starts_with("**"))
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| meta.summary.to_string())
}

fn rule(meta: &RuleMeta) -> Value {
    let has_page = meta.doc.lines().filter(|l| !l.trim().is_empty()).count() > 1;
    let markdown = if has_page {
        meta.doc.to_string()
    } else {
        format!("# {}\n\n{}\n", meta.id, meta.summary)
    };
    json!({
        "id": meta.id,
        "name": meta.id,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": full_description(meta) },
        "help": { "text": markdown, "markdown": markdown },
        "defaultConfiguration": { "level": level(meta.default_severity) },
        "properties": { "tags": ["scalability", meta.family] },
    })
}

pub fn to_value(report: &Report) -> Value {
    let paths = RepoPaths::discover();
    let metas = rules::all_meta();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let (start, end) = super::range(report, d.file, d.span);
            let path = paths.of(report, d.file);
            let mut text = d.message.clone();
            for note in &d.notes {
                text.push_str(&format!("\nnote: {note}"));
            }
            if let Some(help) = &d.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            if let Some(fix) = &d.fix {
                text.push_str(&format!("\nfix: {}", fix.description));
            }
            let normalised = crate::baseline::normalised_lines(report, d);
            let mut result = json!({
                "ruleId": &*d.rule,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&path) },
                        "region": region(start, end),
                    }
                }],
                "partialFingerprints": {
                    "scalelint/v1": crate::baseline::fingerprint(&d.rule, &path, &normalised),
                },
            });
            if let Some(i) = metas.iter().position(|m| m.id == &*d.rule) {
                result["ruleIndex"] = json!(i);
            }
            if !d.labels.is_empty() {
                let related: Vec<Value> = d
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let (s, e) = super::range(report, l.file, l.span);
                        json!({
                            "id": i,
                            "message": { "text": l.message },
                            "physicalLocation": {
                                "artifactLocation": { "uri": uri(&paths.of(report, l.file)) },
                                "region": region(s, e),
                            }
                        })
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            if let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
                let mut changes: Vec<(usize, Vec<Value>)> = vec![];
                for e in &fix.edits {
                    let (s, en) = super::range(report, e.file, e.span);
                    let replacement = json!({
                        "deletedRegion": region(s, en),
                        "insertedContent": { "text": e.replacement },
                    });
                    match changes.iter_mut().find(|(f, _)| *f == e.file) {
                        Some((_, r)) => r.push(replacement),
                        None => changes.push((e.file, vec![replacement])),
                    }
                }
                let changes: Vec<Value> = changes
                    .into_iter()
                    .map(|(f, replacements)| {
                        json!({
                            "artifactLocation": { "uri": uri(&paths.of(report, f)) },
                            "replacements": replacements,
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": { "text": fix.description },
                    "artifactChanges": changes,
                }]);
            }
            result
        })
        .collect();
    let information_uri = match env!("CARGO_PKG_REPOSITORY") {
        "" => "https://docs.rs/scalelint",
        repo => repo,
    };
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "scalelint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": information_uri,
                    "rules": metas.iter().map(|m| rule(m)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    s.push('\n');
    s
}
