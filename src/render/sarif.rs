//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! Columns count Unicode code points (`columnKind: unicodeCodePoints`), end columns are
//! exclusive, as SARIF's regions are. `insertedContent` is an `artifactContent` object
//! (`{ "text": .. }`), not a string.
//!
//! The structs below are the parts of SARIF's object model scalelint writes, named as the
//! specification names them and written out by serde. Fields are declared in alphabetical order,
//! the order the report had when it was built as a sorted JSON map, so the output did not change.

use super::RepoPaths;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::engine::Report;
use crate::rules::{self, RuleMeta};
use crate::source::LineCol;
use serde::Serialize;

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

fn region(start: LineCol, end: LineCol) -> Region {
    Region {
        end_column: end.column,
        end_line: end.line,
        start_column: start.column,
        start_line: start.line,
    }
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

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    tool: Tool,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<ReportingDescriptor>,
    semantic_version: &'static str,
    version: &'static str,
}

/// A rule, as `tool.driver.rules` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    default_configuration: Configuration,
    full_description: Message,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    id: &'static str,
    name: &'static str,
    properties: Properties,
    short_description: Message,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: [&'static str; 2],
}

#[derive(Serialize)]
struct Help {
    markdown: String,
    text: String,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

impl Message {
    fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    level: &'static str,
    locations: [Location; 1],
    message: Message,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation<'a>>,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

/// `scalelint/v1` (kept unchanged, so existing alerts stay matched) hashes the rule, the path
/// and the finding's lines: identical lines of one file share it. `scalelint/v2` is the same
/// with `:` and the finding's occurrence among those sharing it (1, 2, .. in report order),
/// as code scanning's `primaryLocationLineHash` does, so such findings stay apart.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "scalelint/v1")]
    v1: String,
    #[serde(rename = "scalelint/v2")]
    v2: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation<'a> {
    id: usize,
    message: MessageRef<'a>,
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
struct MessageRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

/// 1-based lines and columns (Unicode code points), end column exclusive.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    end_column: usize,
    end_line: usize,
    start_column: usize,
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    artifact_changes: Vec<ArtifactChange<'a>>,
    description: MessageRef<'a>,
}

#[derive(Serialize)]
struct ArtifactChange<'a> {
    #[serde(rename = "artifactLocation")]
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: MessageRef<'a>,
}

/// The repository (`repository` in Cargo.toml): the tool's home page.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// A rule's page in the repository (`rules/docs/<id>.md` on the default branch).
pub fn help_uri(id: &str) -> Option<String> {
    (!REPOSITORY.is_empty()).then(|| format!("{REPOSITORY}/blob/main/rules/docs/{id}.md"))
}

fn rule(meta: &'static RuleMeta) -> ReportingDescriptor {
    let has_page = meta.doc.lines().filter(|l| !l.trim().is_empty()).count() > 1;
    let markdown = if has_page {
        meta.doc.to_string()
    } else {
        format!("# {}\n\n{}\n", meta.id, meta.summary)
    };
    ReportingDescriptor {
        default_configuration: Configuration {
            level: level(meta.default_severity),
        },
        full_description: Message::new(full_description(meta)),
        help: Help {
            text: markdown.clone(),
            markdown,
        },
        help_uri: help_uri(meta.id),
        id: meta.id,
        name: meta.id,
        properties: Properties {
            tags: ["scalability", meta.family],
        },
        short_description: Message::new(meta.summary),
    }
}

/// The fix's edits grouped by file, files in the order their first edit comes.
fn fixes<'a>(report: &'a Report, paths: &RepoPaths, fix: &'a Fix) -> Vec<SarifFix<'a>> {
    if fix.edits.is_empty() {
        return vec![];
    }
    let mut changes: Vec<(usize, Vec<Replacement<'a>>)> = vec![];
    for e in &fix.edits {
        let (s, en) = super::range(report, e.file, e.span);
        let replacement = Replacement {
            deleted_region: region(s, en),
            inserted_content: MessageRef {
                text: &e.replacement,
            },
        };
        match changes.iter_mut().find(|(f, _)| *f == e.file) {
            Some((_, r)) => r.push(replacement),
            None => changes.push((e.file, vec![replacement])),
        }
    }
    vec![SarifFix {
        artifact_changes: changes
            .into_iter()
            .map(|(f, replacements)| ArtifactChange {
                artifact_location: ArtifactLocation {
                    uri: uri(&paths.of(report, f)),
                },
                replacements,
            })
            .collect(),
        description: MessageRef {
            text: &fix.description,
        },
    }]
}

fn result<'a>(
    report: &'a Report,
    paths: &RepoPaths,
    metas: &[&'static RuleMeta],
    d: &'a Diagnostic,
    seen: &mut std::collections::HashMap<String, usize>,
) -> SarifResult<'a> {
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
    let related_locations = d
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (s, e) = super::range(report, l.file, l.span);
            RelatedLocation {
                id: i,
                message: MessageRef { text: &l.message },
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri(&paths.of(report, l.file)),
                    },
                    region: region(s, e),
                },
            }
        })
        .collect();
    SarifResult {
        fixes: d
            .fix
            .as_ref()
            .map_or_else(Vec::new, |f| fixes(report, paths, f)),
        level: level(d.severity),
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&path) },
                region: region(start, end),
            },
        }],
        message: Message::new(text),
        partial_fingerprints: {
            let v1 = crate::baseline::fingerprint(&d.rule, &path, &normalised);
            let n = seen.entry(v1.clone()).or_default();
            *n += 1;
            Fingerprints {
                v2: format!("{v1}:{n}"),
                v1,
            }
        },
        related_locations,
        rule_id: &d.rule,
        rule_index: metas.iter().position(|m| m.id == &*d.rule),
    }
}

pub fn render(report: &Report) -> String {
    let paths = RepoPaths::discover();
    let metas = rules::all_meta();
    let information_uri = REPOSITORY;
    let mut seen = std::collections::HashMap::new();
    let log = Log {
        schema: SCHEMA,
        runs: [Run {
            column_kind: "unicodeCodePoints",
            results: report
                .diagnostics
                .iter()
                .map(|d| result(report, &paths, &metas, d, &mut seen))
                .collect(),
            tool: Tool {
                driver: Driver {
                    information_uri,
                    name: "scalelint",
                    rules: metas.iter().map(|m| rule(m)).collect(),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
