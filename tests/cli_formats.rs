//! The formats other programs read, checked through the real binary and the real consumers:
//! GitHub workflow commands, SARIF against the official schema, rustc JSON through
//! `cargo_metadata`'s `Diagnostic`, baselines, and `cargo scalelint`.

mod common;
use assert_cmd::Command;
use common::copy_dir;
use scalelint::diagnostic::{Diagnostic, Severity};
use scalelint::engine::{Report, Summary};
use scalelint::source::{SourceFile, Span};
use serde_json::Value;
use std::path::PathBuf;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scalelint() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelint"));
    cmd.env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// A crate in a folder whose name needs escaping, inside a fake repository root.
fn awkward_repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let name = "my svc, v2: x";
    let krate = dir.path().join(name);
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         sqlx = { version = \"0.8\", features = [\"postgres\"] }\ntokio = \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        krate.join("src/main.rs"),
        "use sqlx::postgres::PgPoolOptions;\n\n#[tokio::main]\nasync fn main() {\n    \
         let _pool = PgPoolOptions::new().max_connections(40).connect(\"postgres://\").await;\n}\n",
    )
    .unwrap();
    (dir, name.to_string())
}

#[test]
fn github_escapes_paths_and_uses_repo_relative_paths() {
    let (dir, name) = awkward_repo();
    let out = stdout_of(
        scalelint()
            .current_dir(dir.path().join(&name).join("src"))
            .args(["..", "--format", "github"]),
    );
    let line = out
        .lines()
        .find(|l| l.contains("oversized-pool"))
        .unwrap_or_else(|| panic!("no annotation in:\n{out}"));
    assert!(
        line.starts_with(
            "::warning file=my svc%2C v2%3A x/src/main.rs,line=5,endLine=5,col=54,endColumn=56,\
             title=scalelint(oversized-pool)::my svc, v2: x/src/main.rs:5:54: "
        ),
        "{line}"
    );
    assert_eq!(out.lines().count(), 1, "one line per finding:\n{out}");
}

#[test]
fn github_format_is_the_default_under_github_actions() {
    let (dir, name) = awkward_repo();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = scalelint()
        .current_dir(dir.path())
        .arg(&name)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("::warning file="));
    assert!(String::from_utf8_lossy(&out.stderr).contains("using --format github"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n## scalelint"),
        "appended:\n{md}"
    );
    assert!(
        md.contains("| warning | `oversized-pool` | `my svc, v2: x/src/main.rs:5:54` |"),
        "{md}"
    );
}

/// A report made by hand, for what the rules cannot produce on demand.
fn synthetic_report(message: &str, span: Span, severity: Severity) -> Report {
    let text = "fn main() {\n    let a = 1;\n    let b = 2;\n}\n".to_string();
    let path = std::env::current_dir().unwrap().join("synthetic.rs");
    let mut d = Diagnostic::new("oversized-pool", 0, span, message);
    d.severity = severity;
    Report {
        files: vec![SourceFile::new(path, "synthetic.rs".into(), text)],
        diagnostics: vec![d],
        summary: Summary {
            files: 1,
            crates: 1,
            findings: 1,
            parse_errors: 0,
        },
        notes: vec![],
        capacity: vec![],
        deploy: vec![],
    }
}

#[test]
fn github_escapes_messages_and_drops_columns_on_multiline_spans() {
    let report = synthetic_report(
        "50% of\r\nthe pool: a, b",
        Span::new(16, 41),
        Severity::Error,
    );
    let out = scalelint::render::github::render(&report);
    let path = scalelint::render::RepoPaths::discover().of(&report, 0);
    assert_eq!(
        out,
        format!(
            "::error file={},line=2,endLine=3,title=scalelint(oversized-pool)::{path}:2:5: \
             50%25 of%0D%0Athe pool: a, b\n",
            path.replace(':', "%3A").replace(',', "%2C")
        )
    );
    assert_eq!(
        scalelint::render::github::escape_property("a%b:c,d\ne"),
        "a%25b%3Ac%2Cd%0Ae"
    );
}

#[test]
fn github_prints_errors_first_and_notes_when_annotations_are_hidden() {
    let mut report = synthetic_report("a warning", Span::new(0, 2), Severity::Warning);
    let mut error = report.diagnostics[0].clone();
    error.severity = Severity::Error;
    error.message = "an error".into();
    for _ in 0..11 {
        report.diagnostics.push(report.diagnostics[0].clone());
    }
    report.diagnostics.push(error);
    let out = scalelint::render::github::render(&report);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("::error "), "{out}");
    assert!(lines[1].starts_with("::warning "), "{out}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("::notice title=scalelint::"),
        "{out}"
    );
    assert_eq!(lines.len(), 14);
    assert!(
        out.ends_with("so 2 are only in the job summary and the log\n"),
        "{out}"
    );
    // One hidden annotation: singular.
    report.diagnostics.pop();
    report.diagnostics.pop();
    let out = scalelint::render::github::render(&report);
    assert!(
        out.ends_with("11 findings in all; GitHub shows 10 annotations of each level, so 1 is only in the job summary and the log\n"),
        "{out}"
    );
}

/// The SARIF 2.1.0 schema vendored under `tests/schemas/` (where it comes from, its licence and
/// how it differs from the OASIS errata: `tests/schemas/README.md`).
fn sarif_schema() -> Value {
    let path = manifest_dir().join("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every `region` object anywhere in `value`.
fn regions<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "region" || key == "deletedRegion" {
                    out.push(v);
                }
                regions(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| regions(v, out)),
        _ => {}
    }
}

fn assert_valid_sarif(sarif: &Value) {
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    // The OASIS errata's `anyOf` on regions, which the vendored copy lacks.
    let mut found = vec![];
    regions(sarif, &mut found);
    for region in found {
        assert!(
            region["startLine"].is_u64(),
            "a region without startLine: {region}"
        );
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let out = stdout_of(scalelint().current_dir(manifest_dir()).args([
        "fixtures/projects/sample-service",
        "--format",
        "sarif",
    ]));
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&sarif);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "oversized-pool"));
    for rule in rules {
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        assert!(rule["fullDescription"]["text"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("fixtures/projects/sample-service/"),
            "repository-relative: {uri}"
        );
        let v1 = r["partialFingerprints"]["scalelint/v1"].as_str().unwrap();
        let v2 = r["partialFingerprints"]["scalelint/v2"].as_str().unwrap();
        assert!(v2.starts_with(&format!("{v1}:")), "{v1} {v2}");
    }
    // Every rule links to its page, and the page is in this repository where the link says.
    let repository = env!("CARGO_PKG_REPOSITORY");
    assert!(
        repository.starts_with("https://github.com/"),
        "{repository}"
    );
    assert_eq!(run["tool"]["driver"]["informationUri"], repository);
    for rule in rules {
        let uri = rule["helpUri"].as_str().unwrap();
        let page = uri
            .strip_prefix(&format!("{repository}/blob/main/"))
            .unwrap_or_else(|| panic!("{uri}"));
        assert!(manifest_dir().join(page).is_file(), "{uri}: no {page}");
        assert_eq!(
            page,
            format!("rules/docs/{}.md", rule["id"].as_str().unwrap())
        );
    }
    // The README's install snippets name the same repository.
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    assert!(
        readme.contains(repository),
        "README does not name {repository}"
    );
    let fix = results
        .iter()
        .find_map(|r| r["fixes"].as_array())
        .expect("a finding with a machine fix");
    let replacement = &fix[0]["artifactChanges"][0]["replacements"][0];
    assert!(replacement["insertedContent"]["text"].is_string());
    assert!(replacement["deletedRegion"]["startLine"].is_u64());
}

#[test]
fn sarif_escapes_uris_and_stays_valid() {
    let (dir, name) = awkward_repo();
    let out =
        stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args([name.as_str(), "--format", "sarif"]),
        );
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "my%20svc%2C%20v2%3A%20x/src/main.rs"
    );
}

#[test]
fn one_run_writes_the_main_format_and_a_sarif_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("out.txt");
    let sarif = dir.path().join("out.sarif");
    let out = scalelint()
        .current_dir(manifest_dir())
        .args(["fixtures/projects/sample-service", "--format", "github"])
        .arg("--output-file")
        .arg(&main)
        .arg("--sarif-file")
        .arg(&sarif)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the report went to --output-file");
    assert!(
        std::fs::read_to_string(&main)
            .unwrap()
            .starts_with("::warning file=")
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_valid_sarif(&sarif);
}

fn without_message_type(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("$message_type");
    }
    v
}

#[test]
fn rustc_json_is_what_cargo_metadata_reads() {
    let out = stdout_of(scalelint().current_dir(manifest_dir()).args([
        "fixtures/projects/sample-service",
        "--format",
        "rustc-json",
    ]));
    assert!(out.lines().count() >= 2, "{out}");
    let mut suggestions = 0;
    for line in out.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["$message_type"], "diagnostic");
        let parsed: cargo_metadata::diagnostic::Diagnostic =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // Strict: every field we print is one rustc prints, with the same meaning.
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            without_message_type(value),
            "round trip"
        );
        let code = parsed.code.as_ref().unwrap();
        assert!(scalelint::rules::meta(&code.code).is_some());
        assert!(parsed.rendered.as_deref().unwrap().contains(&code.code));
        let primary = parsed.spans.iter().find(|s| s.is_primary).unwrap();
        assert!(
            primary
                .file_name
                .starts_with("fixtures/projects/sample-service/")
        );
        for child in &parsed.children {
            for s in &child.spans {
                if s.suggested_replacement.is_some() {
                    suggestions += 1;
                    // `--fix` fixes are MachineApplicable, `--unsafe-fixes` ones MaybeIncorrect.
                    assert!(
                        matches!(
                            s.suggestion_applicability,
                            Some(
                                cargo_metadata::diagnostic::Applicability::MachineApplicable
                                    | cargo_metadata::diagnostic::Applicability::MaybeIncorrect
                            )
                        ),
                        "{:?}",
                        s.suggestion_applicability
                    );
                }
            }
        }
    }
    assert!(
        suggestions > 0,
        "the sample's fixes are offered as suggestions"
    );
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("svc");
    copy_dir(
        &manifest_dir().join("fixtures/projects/sample-service"),
        &svc,
    );
    let baseline = svc.join("scalelint-baseline.json");

    let out = scalelint()
        .args(["--select", "oversized-pool"])
        .current_dir(&svc)
        .args(["--write-baseline", "scalelint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 2 findings"));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    assert_eq!(written["findings"][1]["path"], "src/db.rs");

    // Today's findings are all listed: nothing to report, from any folder.
    let out = scalelint()
        .args(["--select", "oversized-pool"])
        .current_dir(dir.path())
        .args(["svc", "--format", "short", "--baseline"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());

    // Move and reformat the baselined pool, add a new one, fix the config's.
    let db = svc.join("src/db.rs");
    let text = std::fs::read_to_string(&db).unwrap();
    let text = format!(
        "\n\n{}\npub async fn more(url: &str) -> sqlx::Result<PgPool> {{\n    \
         PgPoolOptions::new().max_connections(60).connect(url).await\n}}\n",
        text.replace("max_connections(40)", "max_connections( 40 )")
            // The new pool is opened on the serving path (unreached code runs on no replica).
            .replace(
                "pub async fn connect_reports(url: &str) -> sqlx::Result<PgPool> {",
                "pub async fn connect_reports(url: &str) -> sqlx::Result<PgPool> {\n    more(url).await?;",
            )
    );
    std::fs::write(&db, text).unwrap();
    let config = svc.join("config/default.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        // Within the budget of 15 the sample's deploy/orders.yaml gives (6 instances).
        text.replace("max_connections = 50", "max_connections = 10"),
    )
    .unwrap();

    let out = scalelint()
        .args(["--select", "oversized-pool"])
        .current_dir(&svc)
        .args(["--format", "short", "--baseline", "scalelint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "only the new finding:\n{stdout}");
    assert!(
        stdout.contains("src/db.rs:") && stdout.contains("60 connections"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "1 baseline entry no longer occurs (oversized-pool at config/default.toml:7)"
        ),
        "{stderr}"
    );

    // A copy of the baselined line is a new finding: the baseline counts one.
    let line = std::fs::read_to_string(&db)
        .unwrap()
        .lines()
        .find(|l| l.contains("( 40 )"))
        .unwrap()
        .to_string();
    // Called on the serving path, from `more`.
    let mut text = std::fs::read_to_string(&db).unwrap().replace(
        "pub async fn more(url: &str) -> sqlx::Result<PgPool> {",
        "pub async fn more(url: &str) -> sqlx::Result<PgPool> {\n    copy(url).await?;",
    );
    text.push_str(&format!(
        "\npub async fn copy(url: &str) -> sqlx::Result<PgPool> {{\n{line}\n}}\n"
    ));
    std::fs::write(&db, text).unwrap();
    let out = stdout_of(scalelint().current_dir(&svc).args([
        "--format",
        "short",
        "--baseline",
        "scalelint-baseline.json",
    ]));
    assert_eq!(
        out.lines().filter(|l| l.contains("40 connections")).count(),
        1,
        "{out}"
    );

    // A broken baseline is a usage error.
    std::fs::write(&baseline, "{}").unwrap();
    let out = scalelint()
        .args(["--select", "oversized-pool"])
        .current_dir(&svc)
        .args(["--baseline", "scalelint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `cargo scalelint` through cargo itself: cargo finds `cargo-scalelint` on PATH and runs it as
/// `cargo-scalelint scalelint ARGS`.
fn cargo_with_scalelint_on_path() -> std::process::Command {
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_cargo-scalelint"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()));
    cmd.env("PATH", path)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CARGO_TARGET_DIR");
    cmd
}

#[test]
fn cargo_scalelint_checks_the_workspace_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("svc");
    copy_dir(
        &manifest_dir().join("fixtures/projects/sample-service"),
        &svc,
    );
    let out = cargo_with_scalelint_on_path()
        .current_dir(svc.join("src"))
        .args(["scalelint", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("config/default.toml:7:19: oversized-pool")
            && stdout.contains("src/db.rs:16:42: oversized-pool"),
        "the whole workspace, paths from its root:\n{stdout}"
    );

    // Given paths are the user's, relative to where they are.
    let out = cargo_with_scalelint_on_path()
        .current_dir(svc.join("src"))
        .args([
            "scalelint",
            "db.rs",
            "--format",
            "short",
            "--select",
            "oversized-pool",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        vec![
            "db.rs:16:42: oversized-pool: sqlx pool of 40 connections per instance exceeds its share of the database (15)"
        ]
    );

    let help = cargo_with_scalelint_on_path()
        .args(["help", "scalelint"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("Usage: scalelint"),
        "{help:?}"
    );
}

/// Baselines and code hosts store fingerprints: the value for a given finding never changes.
/// (rule, path relative to the baseline's folder or the repository root, and the finding's
/// source lines without whitespace, hashed with 64-bit FNV-1a.)
#[test]
fn fingerprints_keep_their_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         sqlx = { version = \"0.8\", features = [\"postgres\"] }\ntokio = \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "#[tokio::main]\nasync fn main() {\n    let _pool = sqlx::postgres::PgPoolOptions::new()\n        \
         .max_connections(40)\n        .connect(\"postgres://\")\n        .await;\n}\n",
    )
    .unwrap();
    // FNV-1a of "oversized-pool\0src/main.rs\0.max_connections(40)", checked by hand.
    const PINNED: &str = "46cf50a3877ef6a5";
    let out = scalelint()
        .current_dir(dir.path())
        .args(["--write-baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    let entry = &baseline["findings"][0];
    assert_eq!(entry["rule"], "oversized-pool");
    assert_eq!(entry["path"], "src/main.rs");
    assert_eq!(entry["line"], 4);
    assert_eq!(entry["fingerprint"], PINNED);
    let sarif: Value = serde_json::from_str(&stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "sarif"]),
    ))
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"]["scalelint/v1"],
        PINNED
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"]["scalelint/v2"],
        format!("{PINNED}:1")
    );
}

/// Identical lines in one file share `scalelint/v1`; `scalelint/v2` tells them apart by their
/// occurrence, so code scanning keeps one alert each.
#[test]
fn identical_findings_get_distinct_occurrence_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         sqlx = { version = \"0.8\", features = [\"postgres\"] }\ntokio = \"1\"\n",
    )
    .unwrap();
    let pool = "    let _p = sqlx::postgres::PgPoolOptions::new().max_connections(40).connect(\"postgres://\").await;\n";
    std::fs::write(
        dir.path().join("src/main.rs"),
        format!("#[tokio::main]\nasync fn main() {{\n{pool}{pool}{pool}}}\n"),
    )
    .unwrap();
    let sarif: Value = serde_json::from_str(&stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "sarif"]),
    ))
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let v1: Vec<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["scalelint/v1"].as_str().unwrap())
        .collect();
    let v2: Vec<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["scalelint/v2"].as_str().unwrap())
        .collect();
    assert!(v1.iter().all(|f| *f == v1[0]), "{v1:?}");
    assert_eq!(
        v2,
        [1, 2, 3].map(|n| format!("{}:{n}", v1[0])),
        "one occurrence each"
    );
}

/// GitLab Code Quality: GitLab publishes the report's fields as a table, not as a schema file, so
/// this schema is written from that table ("Code Quality report format",
/// <https://docs.gitlab.com/ci/testing/code_quality/>): a JSON array of objects with
/// `description`, `check_name`, `fingerprint`, `severity` (one of info, minor, major, critical,
/// blocker) and `location.path` (relative, no `./`) with `location.lines.begin`. GitLab keys
/// findings by fingerprint, so each must be unique in a report.
#[test]
fn gitlab_code_quality_has_the_fields_gitlab_reads() {
    let schema = serde_json::json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["description", "check_name", "fingerprint", "severity", "location"],
            "properties": {
                "description": {"type": "string", "minLength": 1},
                "check_name": {"type": "string", "minLength": 1},
                "fingerprint": {"type": "string", "minLength": 1},
                "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
                "location": {
                    "type": "object",
                    "required": ["path", "lines"],
                    "properties": {
                        "path": {"type": "string", "pattern": "^[^./][^\\\\]*$"},
                        "lines": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {"begin": {"type": "integer", "minimum": 1}}
                        }
                    }
                }
            }
        }
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (dir, name) = awkward_repo();
    for (cwd, args) in [
        (
            manifest_dir(),
            vec!["fixtures/projects/sample-service", "--format", "gitlab"],
        ),
        (
            dir.path().to_path_buf(),
            vec![name.as_str(), "--format", "gitlab"],
        ),
    ] {
        let out = stdout_of(scalelint().current_dir(&cwd).args(&args));
        let report: Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "invalid report:\n{}", errors.join("\n"));
        let issues = report.as_array().unwrap();
        assert!(!issues.is_empty());
        let mut prints: Vec<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        prints.sort();
        prints.dedup();
        assert_eq!(prints.len(), issues.len(), "unique fingerprints");
        for issue in issues {
            let path = issue["location"]["path"].as_str().unwrap();
            assert!(
                cwd.join(path).is_file(),
                "repository-relative and existing: {path}"
            );
        }
    }
}
