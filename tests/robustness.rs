//! Odd and hostile input: every case has a defined outcome, no panic, and valid output.

use assert_cmd::Command;
use std::path::Path;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("scalelint")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

fn json_in(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = run_in(dir, &all);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", run.stdout))
}

fn crate_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = \"0.8\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    dir
}

const POOL: &str = "pub async fn c(u: &str) { let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(u).await; }\n";

fn rules_at(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn empty_bom_and_crlf_files() {
    let dir = crate_dir();
    std::fs::write(dir.path().join("src/empty.rs"), "").unwrap();
    std::fs::write(dir.path().join("src/bom.rs"), format!("\u{feff}{POOL}")).unwrap();
    std::fs::write(
        dir.path().join("src/crlf.rs"),
        format!("// first\r\n{}", POOL.replace('\n', "\r\n")),
    )
    .unwrap();
    let v = json_in(dir.path(), &["."]);
    let found = rules_at(&v);
    // Column 82 is where `50` starts in POOL; the BOM is not a column, CRLF does not shift lines.
    assert!(
        found.contains(&("src/bom.rs".into(), "oversized-pool".into(), 1, 88)),
        "{found:?}"
    );
    assert!(
        found.contains(&("src/crlf.rs".into(), "oversized-pool".into(), 2, 88)),
        "{found:?}"
    );
    assert_eq!(
        found.len(),
        2,
        "the empty file is checked and clean: {found:?}"
    );
    assert_eq!(v["summary"]["files"], 3);
}

#[test]
fn binary_file_and_folder_named_like_rust() {
    let dir = crate_dir();
    std::fs::write(
        dir.path().join("src/blob.rs"),
        [0u8, 159, 146, 150, 0, 1, 2, 255],
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src/x.rs")).unwrap();
    std::fs::write(dir.path().join("src/x.rs/inner.rs"), POOL).unwrap();
    let v = json_in(dir.path(), &["."]);
    let found = rules_at(&v);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "src/blob.rs" && f.1 == "parse-error"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.0 == "src/x.rs/inner.rs" && f.1 == "oversized-pool"),
        "{found:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    let dir = crate_dir();
    std::fs::write(dir.path().join("src/lib.rs"), POOL).unwrap();
    std::os::unix::fs::symlink(dir.path().join("src"), dir.path().join("src/loop")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("src/nowhere.rs"),
        dir.path().join("src/dangling.rs"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("src/self.rs"),
        dir.path().join("src/self.rs"),
    )
    .unwrap();
    let run = run_in(dir.path(), &[".", "--format", "short"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        1,
        "only the real file's finding: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("dangling.rs: a link to nothing"),
        "{}",
        run.stderr
    );
    // A loop named on the command line is a one-line error.
    let run = run_in(dir.path(), &["src/self.rs"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders() {
    use std::os::unix::fs::PermissionsExt;
    let dir = crate_dir();
    std::fs::write(dir.path().join("src/lib.rs"), POOL).unwrap();
    std::fs::write(dir.path().join("src/secret.rs"), POOL).unwrap();
    std::fs::set_permissions(
        dir.path().join("src/secret.rs"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let readable = std::fs::read(dir.path().join("src/secret.rs")).is_ok(); // root reads anything
    let run = run_in(dir.path(), &[".", "--format", "short"]);
    assert_eq!(run.code, 1);
    if !readable {
        assert!(
            run.stdout
                .contains("src/secret.rs:1:1: parse-error: cannot read: permission denied"),
            "{}",
            run.stdout
        );
    }
    std::fs::set_permissions(
        dir.path().join("src/secret.rs"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
}

#[test]
fn awkward_paths_stay_valid_in_every_format() {
    let dir = crate_dir();
    for name in ["with space.rs", "comma,colon:name.rs", "ünïcødé.rs"] {
        std::fs::write(dir.path().join("src").join(name), POOL).unwrap();
    }
    let v = json_in(dir.path(), &["."]);
    let paths: Vec<String> = rules_at(&v).into_iter().map(|f| f.0).collect();
    assert_eq!(
        paths,
        [
            "src/comma,colon:name.rs",
            "src/with space.rs",
            "src/ünïcødé.rs"
        ]
    );
    let short = run_in(dir.path(), &[".", "--format", "short"]);
    assert_eq!(short.stdout.lines().count(), 3);
    let human = run_in(dir.path(), &[".", "--color", "never"]);
    assert!(
        human.stdout.contains("src/ünïcødé.rs:1:88"),
        "{}",
        human.stdout
    );
}

#[test]
fn huge_and_long_line_files() {
    let dir = crate_dir();
    // A 20 MB generated file and a file that is one 5 MB line.
    let mut big = String::with_capacity(21 << 20);
    let mut i = 0;
    while big.len() < 20 << 20 {
        big.push_str(&format!("pub const C{i}: u64 = {i};\n"));
        i += 1;
    }
    big.push_str(POOL);
    std::fs::write(dir.path().join("src/big.rs"), &big).unwrap();
    let mut line = String::from("pub static S: &[u32] = &[");
    while line.len() < 5 << 20 {
        line.push_str("1,");
    }
    line.push_str("];");
    std::fs::write(dir.path().join("src/line.rs"), &line).unwrap();
    let v = json_in(dir.path(), &["."]);
    let found = rules_at(&v);
    assert_eq!(
        found,
        [(
            "src/big.rs".into(),
            "oversized-pool".into(),
            i as u64 + 1,
            88
        )]
    );
}

#[test]
fn loose_files_without_any_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("loose.rs"), POOL).unwrap();
    let run = run_in(dir.path(), &["loose.rs", "--format", "short"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("loose.rs:1:88: oversized-pool"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("belong to no crate"), "{}", run.stderr);
}

#[test]
fn a_missing_workspace_member_is_noted_and_the_rest_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"api\", \"gone\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("api/src")).unwrap();
    std::fs::write(
        dir.path().join("api/Cargo.toml"),
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\n\n[dependencies]\nsqlx = \"0.8\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("api/src/lib.rs"), POOL).unwrap();
    let run = run_in(dir.path(), &[".", "--format", "short"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("api/src/lib.rs:1:88: oversized-pool"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("workspace member `gone` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn nothing_is_written_to_the_project() {
    let dir = crate_dir();
    std::fs::write(dir.path().join("src/lib.rs"), POOL).unwrap();
    let before = snapshot(dir.path());
    for format in ["human", "short", "json"] {
        run_in(dir.path(), &[".", "--format", format]);
    }
    assert_eq!(before, snapshot(dir.path()));
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    for entry in walkdir(dir) {
        out.push((
            entry.display().to_string(),
            std::fs::read(&entry).unwrap_or_default(),
        ));
    }
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Found on real code (nix, ring): `use super::super::super::x` once aborted the run.
#[test]
fn deep_relative_imports() {
    let dir = crate_dir();
    std::fs::create_dir_all(dir.path().join("src/a/b")).unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub mod a;\npub fn helper() {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/a/mod.rs"), "pub mod b;\n").unwrap();
    std::fs::write(
        dir.path().join("src/a/b/mod.rs"),
        format!(
            "use super::super::super::super::helper;\nuse self::super::super::helper as h2;\npub fn f() {{ helper(); h2(); super::super::helper(); }}\n{POOL}"
        ),
    )
    .unwrap();
    let v = json_in(dir.path(), &["."]);
    assert_eq!(
        rules_at(&v),
        [("src/a/b/mod.rs".into(), "oversized-pool".into(), 4, 88)]
    );
}
