//! `scalelint capacity`, pinned: the text, JSON and Markdown reports over the deploy fixtures
//! and the sample service are kept in `tests/snapshots/capacity.*`.
//! `SCALELINT_BLESS=1 cargo test --test capacity` rewrites them after you have checked the change.

use std::path::Path;
use std::process::Command;

const PATHS: &[&str] = &[
    "fixtures/projects/sample-service",
    "fixtures/projects/deploy-k8s-hpa",
    "fixtures/projects/deploy-compose-blue-green",
    "fixtures/projects/deploy-postgresql-conf",
    "fixtures/projects/deploy-pgbouncer",
    "fixtures/projects/ok-deploy-k8s-single",
];

fn capacity(format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .arg("capacity")
        .args(PATHS)
        .args(["--instances", "1,2,4,8,16", "--format", format])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run scalelint capacity");
    assert!(
        out.status.success(),
        "scalelint capacity failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check(format: &str, ext: &str) {
    let got = capacity(format);
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/capacity.{ext}"));
    if std::env::var_os("SCALELINT_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if got != want {
        let diff = similar::TextDiff::from_lines(&want, &got)
            .unified_diff()
            .header("snapshot", "now")
            .to_string();
        panic!(
            "{} differs from what scalelint capacity prints (SCALELINT_BLESS=1 to accept):\n{diff}",
            path.display()
        );
    }
}

#[test]
fn the_text_report_is_its_snapshot() {
    check("text", "txt");
}

#[test]
fn the_markdown_report_is_its_snapshot() {
    check("markdown", "md");
}

#[test]
fn the_json_report_is_its_snapshot() {
    check("json", "json");
    let v: serde_json::Value = serde_json::from_str(&capacity("json")).unwrap();
    let dbs = v["databases"].as_array().unwrap();
    // The compose fixture: 2 blue/green instances × 20 against (40 − 10): runs out at 2.
    let blue_green = dbs
        .iter()
        .find(|d| d["pools"][0]["service"] == "billing")
        .expect("the compose fixture's database");
    assert_eq!(blue_green["available"], 30);
    assert_eq!(blue_green["total"], 40);
    assert_eq!(blue_green["runs_out_at"], 2);
}

#[test]
fn github_actions_gets_the_markdown_in_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let out = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(["capacity", "fixtures/projects/deploy-k8s-hpa"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## Connection capacity"), "{md}");
    assert!(md.contains("| orders-api |"), "{md}");
}
