//! GitLab Code Quality (`artifacts: reports: codequality`): a JSON array of Code Climate issues
//! with the fields GitLab reads — `description`, `check_name`, `fingerprint`, `severity` and
//! `location.path` / `location.lines.begin` (<https://docs.gitlab.com/ci/testing/code_quality/>,
//! "Code Quality report format"). Paths are relative to the repository root, as GitLab needs to
//! place them on the merge request's diff. GitLab tells findings apart by their fingerprint:
//! it is SARIF's `scalelint/v2` (rule, path, the finding's lines without whitespace, and the
//! occurrence among identical ones), so findings keep theirs when code moves.

use super::RepoPaths;
use crate::diagnostic::Severity;
use crate::engine::Report;
use serde::Serialize;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's severities are `info`, `minor`, `major`, `critical` and `blocker`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

pub fn render(report: &Report) -> String {
    let paths = RepoPaths::discover();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let issues: Vec<Issue> = report
        .diagnostics
        .iter()
        .map(|d| {
            let (start, end) = super::range(report, d.file, d.span);
            let path = paths.of(report, d.file);
            let v1 = crate::baseline::fingerprint(
                &d.rule,
                &path,
                &crate::baseline::normalised_lines(report, d),
            );
            let n = seen.entry(v1.clone()).or_default();
            *n += 1;
            let mut description = format!("{}: {}", d.rule, d.message);
            if let Some(fix) = &d.fix {
                description.push_str(&format!(" (fix: {})", fix.description));
            }
            Issue {
                kind: "issue",
                check_name: &d.rule,
                description,
                categories: ["Performance"],
                severity: severity(d.severity),
                fingerprint: format!("{v1}:{n}"),
                location: Location {
                    path,
                    lines: Lines {
                        begin: start.line,
                        end: end.line.max(start.line),
                    },
                },
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_default();
    s.push('\n');
    s
}
