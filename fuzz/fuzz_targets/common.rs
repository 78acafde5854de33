//! A small crate on disk whose manifest depends on every stack the rules know, so all rules run.

use std::path::PathBuf;

pub const MANIFEST: &str = r#"[package]
name = "fuzzed-service"
version = "0.1.0"
edition = "2021"

[dependencies]
axum = "0.8"
actix-web = "4"
sqlx = { version = "0.8", features = ["postgres", "runtime-tokio"] }
diesel = { version = "2", features = ["postgres"] }
diesel_migrations = "2"
diesel-async = "0.5"
deadpool-postgres = "0.14"
bb8 = "0.9"
r2d2 = "0.8"
redis = "0.27"
sea-orm = "1"
sea-orm-migration = "1"
refinery = "0.8"
tokio = { version = "1", features = ["full"] }
tokio-cron-scheduler = "0.13"
apalis = "0.6"
apalis-cron = "0.6"
clokwerk = "0.4"
job_scheduler = "1"
tracing = "0.1"
reqwest = "0.12"
"#;

/// Creates `<tmp>/scalelint-fuzz-<name>-<pid>/` with `Cargo.toml` and `src/lib.rs`.
pub fn make_crate(name: &str, lib: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("scalelint-fuzz-{name}-{}", std::process::id()));
    std::fs::create_dir_all(root.join("src")).expect("create the fixture crate");
    std::fs::write(root.join("Cargo.toml"), MANIFEST).expect("write Cargo.toml");
    std::fs::write(root.join("src/lib.rs"), lib).expect("write src/lib.rs");
    root
}

/// Every output format, as the CLI renders them; the JSON ones must stay JSON.
pub fn render_all(report: &scalelint::engine::Report) {
    use scalelint::render;
    let _ = render::human::render(report, false);
    let _ = render::human::render(report, true);
    let _ = render::human::summary_line(report);
    let _ = render::short::render(report);
    let json = render::json::render(report);
    serde_json::from_str::<serde_json::Value>(&json).expect("--format json is not JSON");
    let github = render::github::render(report);
    for line in github.lines() {
        assert!(
            line.starts_with("::"),
            "--format github: a line that is no workflow command: {line:?}"
        );
    }
    let _ = render::github::summary_markdown(report);
    let sarif = render::sarif::render(report);
    serde_json::from_str::<serde_json::Value>(&sarif).expect("--format sarif is not JSON");
    let rustc = render::rustc_json::render(report);
    for line in rustc.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .expect("--format rustc-json: a line is not JSON");
    }
}
