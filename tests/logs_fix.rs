//! The log rules' fixes applied with `--fix --unsafe-fixes`: the result parses, the machine
//! fixes clear their findings, and a second run changes nothing.

mod common;
use common::{copy_dir, rust_files};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOG_RULES: &str = "print-in-service,log-in-loop,log-payload,instrument-all-args,verbose-default-level,unstructured-logs,sql-statement-logging";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .args(["--select", LOG_RULES])
        .current_dir(dir)
        .output()
        .expect("run scalelint")
}

#[test]
fn log_fixes_parse_and_settle() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    copy_dir(
        &root().join("fixtures/projects/sample-service"),
        &work.join("sample-service"),
    );
    copy_dir(
        &root().join("fixtures/projects/log-deploy"),
        &work.join("log-deploy"),
    );
    for rule in [
        "print-in-service",
        "log-in-loop",
        "instrument-all-args",
        "verbose-default-level",
        "unstructured-logs",
        "sql-statement-logging",
    ] {
        copy_dir(&root().join("fixtures").join(rule), &work.join(rule));
    }
    let out = run(work, &["--fix", "--unsafe-fixes", "--exit-zero", "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut files = vec![];
    rust_files(work, &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    let loops = std::fs::read_to_string(work.join("log-in-loop/loops.rs")).unwrap();
    assert!(loops.contains("tracing::debug!(\"processing order {}\", order.id);"));
    let main = std::fs::read_to_string(work.join("sample-service/src/main.rs")).unwrap();
    // The sample service does not enable tracing-subscriber's `json` feature: `.json()` would
    // not compile there, so no edit adds it.
    assert!(!main.contains(".json()"));
    assert!(main.contains("EnvFilter::new(\"info\")"));
    let docker = std::fs::read_to_string(work.join("sample-service/Dockerfile")).unwrap();
    assert!(docker.contains("ENV RUST_LOG=info"));

    let again = run(work, &["--diff", "--unsafe-fixes", "."]);
    assert!(
        again.stdout.is_empty(),
        "a second run changes nothing:\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
