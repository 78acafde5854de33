//! `--fix`, `--unsafe-fixes` and `--diff` through the real binary, on temporary copies.

mod common;
use common::{copy_dir, rust_files};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run scalelint")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temporary folder holding a copy of one fixture file under `name`.
fn copy_of(rel: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::copy(fixture(rel), &path).unwrap();
    (tmp, path)
}

#[test]
fn diff_prints_the_change_writes_nothing_and_exits_1() {
    let (tmp, path) = copy_of("fixtures/oversized-pool/sqlx.rs", "sqlx.rs");
    let before = std::fs::read(&path).unwrap();
    let out = run(tmp.path(), &["--diff", "sqlx.rs"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let diff = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        diff.starts_with("--- a/sqlx.rs\n+++ b/sqlx.rs\n@@ -1,"),
        "{diff}"
    );
    assert!(diff.contains("\n-const MAX_CONNS: u32 = 40;\n+const MAX_CONNS: u32 = 22;\n"));
    assert!(diff.contains("\n-        .max_connections(50) //~ oversized-pool\n"));
    assert!(diff.contains("\n+        .max_connections(22) //~ oversized-pool\n"));
    assert!(stderr(&out).contains("would fix 3 findings in 1 file"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "--diff writes nothing"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

    // Nothing to change: no diff, exit 0.
    let (tmp, _) = copy_of("fixtures/oversized-pool/ok_sqlx_in_budget.rs", "ok.rs");
    let out = run(tmp.path(), &["--diff", "ok.rs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn maybe_fixes_need_unsafe_fixes() {
    let (tmp, path) = copy_of(
        "fixtures/host-sized-pool/fix_unsafe_builder.rs",
        "builder.rs",
    );
    let before = std::fs::read_to_string(&path).unwrap();

    let out = run(tmp.path(), &["--fix", "builder.rs"]);
    assert_eq!(out.status.code(), Some(1), "the findings remain");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(
        stderr(&out).contains("2 remain (2 unsafe fixes not requested)\nhint: add --unsafe-fixes"),
        "{}",
        stderr(&out)
    );

    let out = run(tmp.path(), &["--unsafe-fixes", "builder.rs"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--unsafe-fixes alone is a usage error"
    );

    let out = run(tmp.path(), &["--fix", "--unsafe-fixes", "builder.rs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("Pool::builder(mgr).max_size(22).build().unwrap()"));
    assert!(
        stderr(&out).contains(
            "applied 2 unsafe fixes (they change behaviour; review them): host-sized-pool ×2"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_code_after_fixing_reflects_what_remains() {
    // One builder gets a maybe fix, the config-created pool only a manual snippet.
    let (tmp, path) = copy_of("fixtures/host-sized-pool/deadpool.rs", "deadpool.rs");
    let out = run(
        tmp.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--format",
            "short",
            "deadpool.rs",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains(".max_size(22).build()")
    );
    let report = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(
        report.starts_with("deadpool.rs:8:5: host-sized-pool:"),
        "{report}"
    );
    assert!(stderr(&out).contains("fixed 1 finding in 1 file; 1 remains (1 manual fix)"));
    let out = run(tmp.path(), &["--fix", "--exit-zero", "deadpool.rs"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_crlf_file_stays_crlf() {
    let tmp = tempfile::tempdir().unwrap();
    let crlf = |s: String| s.replace('\n', "\r\n");
    let source = std::fs::read_to_string(fixture("fixtures/oversized-pool/sqlx.rs")).unwrap();
    let expected =
        std::fs::read_to_string(fixture("fixtures/oversized-pool/sqlx.fixed.rs")).unwrap();
    let path = tmp.path().join("sqlx.rs");
    std::fs::write(&path, crlf(source)).unwrap();
    let out = run(tmp.path(), &["--fix", "sqlx.rs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), crlf(expected));
}

#[test]
fn fixes_reach_toml_config_files_and_a_second_run_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("sample-service");
    copy_dir(&fixture("fixtures/projects/sample-service"), &project);
    let config = project.join("config/default.toml");
    let before = std::fs::read_to_string(&config).unwrap();

    // The pool family only: the sample service has hazards of every family.
    let out = run(&project, &["--fix", "--select", "oversized-pool"]);
    assert!(
        stderr(&out).contains("fixed 2 findings in 2 files"),
        "{}",
        stderr(&out)
    );
    let after = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        after,
        before.replace(
            "max_connections = 50 # per instance",
            // The sample service's deploy/orders.yaml autoscales to 6: (100 − 10) ÷ 6 = 15.
            "max_connections = 15 # per instance"
        ),
        "only the value changes; comments and the other keys are kept"
    );
    assert!(
        after.contains("max_connections = 2048"),
        "the server's key is not a pool"
    );
    let db = std::fs::read_to_string(project.join("src/db.rs")).unwrap();
    assert!(db.contains("max_connections(15)"));

    let mut files = vec![];
    rust_files(&project, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    let leftovers: Vec<_> = std::fs::read_dir(project.join("config"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file is left: {leftovers:?}"
    );

    let again = run(&project, &["--diff", "--select", "oversized-pool"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_fix_that_would_not_parse_is_refused_and_reported() {
    // A user's catalog entry with a mistyped size method: its fix would insert `.max size(22)`.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("scalelint.toml"),
        r#"[[catalog.pool]]
library = "warehouse-pool"
crates = ["warehouse_pool"]
builders = ["Pool::builder"]
size-methods = ["max size"]
default-size = 100
default-note = "warehouse-pool opens 100 connections unless told otherwise"
source = "internal"
"#,
    )
    .unwrap();
    let text =
        "use warehouse_pool::Pool;\n\npub fn pool() -> Pool {\n    Pool::builder().build()\n}\n";
    let path = tmp.path().join("pool.rs");
    std::fs::write(&path, text).unwrap();
    let out = run(tmp.path(), &["--fix", "--unsafe-fixes", "pool.rs"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "error: pool.rs: its fixes were not applied because the result would not parse"
        ),
        "{err}"
    );
    assert!(err.contains("1 remains (1 would not parse)"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn permissions_are_kept_and_files_without_edits_are_not_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let fixed = tmp.path().join("sqlx.rs");
    let clean = tmp.path().join("ok.rs");
    std::fs::copy(fixture("fixtures/oversized-pool/sqlx.rs"), &fixed).unwrap();
    std::fs::copy(
        fixture("fixtures/oversized-pool/ok_sqlx_in_budget.rs"),
        &clean,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fixed, std::fs::Permissions::from_mode(0o754)).unwrap();
    }
    let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for f in [&fixed, &clean] {
        std::fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }
    let out = run(tmp.path(), &["--fix", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&fixed).unwrap(),
        std::fs::read(fixture("fixtures/oversized-pool/sqlx.fixed.rs")).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&fixed).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o754);
    }
    assert_ne!(
        std::fs::metadata(&fixed).unwrap().modified().unwrap(),
        long_ago
    );
    assert_eq!(
        std::fs::metadata(&clean).unwrap().modified().unwrap(),
        long_ago,
        "a file without edits is not rewritten"
    );
}

#[test]
fn fix_does_not_take_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &["--fix", "-", "--stdin-filename", "src/main.rs"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fixes_reach_env_files_and_keep_their_crlf() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("sample-service");
    copy_dir(&fixture("fixtures/projects/sample-service"), &project);
    let env = project.join(".env");
    std::fs::write(
        &env,
        "DATABASE_URL=postgres://orders@db/orders\r\nDATABASE_MAX_CONNECTIONS=60 # per pod\r\n",
    )
    .unwrap();
    // Only the pool rules: the sample service's other findings carry manual fixes.
    let out = run(
        &project,
        &["--fix", "--select", "oversized-pool,host-sized-pool"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        "DATABASE_URL=postgres://orders@db/orders\r\nDATABASE_MAX_CONNECTIONS=15 # per pod\r\n"
    );
}
