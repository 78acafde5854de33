//! The command line, run as a user runs it: the real binaries on real files.

use assert_cmd::Command;
use std::path::Path;

fn scalelint() -> Command {
    let mut cmd = Command::cargo_bin("scalelint").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS");
    cmd
}

fn stdout_of(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A one-crate project in a temp folder.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\naxum = \"0.8\"\n";
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const POOL_50: &str = "pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n";
const POOL_40: &str = "pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(40).connect(url).await;\n}\n";

#[test]
fn exit_codes_follow_findings() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let (code, _, _) = stdout_of(scalelint().arg(dir.path()));
    assert_eq!(code, 1, "findings exit 1");
    let (code, _, _) = stdout_of(scalelint().arg(dir.path()).arg("--exit-zero"));
    assert_eq!(code, 0, "--exit-zero");
    let clean = project(&[("src/lib.rs", "pub fn f() {}\n")]);
    let (code, out, _) = stdout_of(scalelint().arg(clean.path()));
    assert_eq!(code, 0, "no findings exit 0: {out}");
}

#[test]
fn a_missing_path_is_a_one_line_error() {
    let (code, out, err) = stdout_of(scalelint().arg("no/such/place"));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no/such/place"), "{err}");
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = project(&[
        ("src/lib.rs", POOL_50),
        ("scalelint.toml", "instances = 2\nbogus-key = 1\n"),
    ]);
    let (code, _, err) = stdout_of(scalelint().arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scalelint.toml:2:"), "{err}");
    assert!(err.contains("bogus-key"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let dir = project(&[
        ("src/lib.rs", POOL_50),
        ("scalelint.toml", "instances = \"four\"\n"),
    ]);
    let (code, _, err) = stdout_of(scalelint().arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scalelint.toml:1:"), "{err}");

    let dir = project(&[
        ("src/lib.rs", POOL_50),
        (
            "scalelint.toml",
            "[rules.no-such-rule]\nlevel = \"allow\"\n",
        ),
    ]);
    let (code, _, err) = stdout_of(scalelint().arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-rule"), "{err}");
}

#[test]
fn shared_paths_take_directories_or_setting_names() {
    for (bad, says) in [
        ("shared-paths = [\"/mnt/*\"]\n", "is a glob"),
        ("shared-paths = [\"\"]\n", "is empty"),
        ("shared-paths = [\" /mnt/efs\"]\n", "has spaces around it"),
        ("shared-paths = \"/mnt/efs\"\n", "scalelint.toml:1:"),
    ] {
        let dir = project(&[("src/lib.rs", POOL_50), ("scalelint.toml", bad)]);
        let (code, _, err) = stdout_of(scalelint().arg(dir.path()));
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains(says), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let dir = project(&[
        ("src/lib.rs", POOL_50),
        (
            "scalelint.toml",
            "shared-paths = [\"/mnt/efs/uploads\", \"storage.upload_dir\"]\n",
        ),
    ]);
    let (code, _, err) = stdout_of(scalelint().arg(dir.path()));
    assert_ne!(code, 2, "{err}");
}

#[test]
fn the_config_file_sets_the_budget_and_the_command_line_wins() {
    // 40 connections: over (100 − 10) ÷ 4 = 22, within (100 − 10) ÷ 2 = 45.
    let dir = project(&[("src/lib.rs", POOL_40)]);
    assert_eq!(stdout_of(scalelint().arg(dir.path())).0, 1);
    assert_eq!(
        stdout_of(scalelint().arg(dir.path()).args(["--instances", "2"])).0,
        0
    );
    assert_eq!(
        stdout_of(
            scalelint()
                .arg(dir.path())
                .args(["--db-max-connections", "400"])
        )
        .0,
        0
    );

    let dir = project(&[
        ("src/lib.rs", POOL_40),
        ("scalelint.toml", "instances = 2\n"),
    ]);
    assert_eq!(stdout_of(scalelint().arg(dir.path())).0, 0);
    assert_eq!(
        stdout_of(scalelint().arg(dir.path()).args(["--instances", "8"])).0,
        1
    );

    let dir = project(&[("src/lib.rs", POOL_40)]);
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    let manifest = manifest.replace(
        "[dependencies]",
        "[package.metadata.scalelint]\ninstances = 2\n\n[dependencies]",
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    assert_eq!(
        stdout_of(scalelint().arg(dir.path())).0,
        0,
        "[package.metadata.scalelint]"
    );
}

#[test]
fn rule_levels_from_config() {
    let dir = project(&[
        ("src/lib.rs", POOL_50),
        (
            "scalelint.toml",
            "[rules.oversized-pool]\nlevel = \"allow\"\n",
        ),
    ]);
    assert_eq!(stdout_of(scalelint().arg(dir.path())).0, 0);
    let dir = project(&[
        ("src/lib.rs", POOL_50),
        (
            "scalelint.toml",
            "[rules.oversized-pool]\nlevel = \"deny\"\n",
        ),
    ]);
    let (code, out, _) = stdout_of(scalelint().arg(dir.path()).args(["--format", "json"]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let (_, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "json"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "oversized-pool");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "src/lib.rs");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 66);
    assert_eq!(d["end_column"], 68);
    assert!(d["message"].as_str().unwrap().contains("50 connections"));
    assert!(
        d["notes"][0]
            .as_str()
            .unwrap()
            .contains("4 instances × 50 connections = 200")
    );
    assert_eq!(d["fix"]["applicability"], "machine");
    assert_eq!(d["fix"]["edits"][0]["replacement"], "22");
    assert_eq!(d["fix"]["edits"][0]["path"], "src/lib.rs");
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["findings"], 1);
    assert_eq!(v["summary"]["parse_errors"], 0);
}

#[test]
fn short_and_human_formats() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let (_, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(
        out,
        "src/lib.rs:2:66: oversized-pool: sqlx pool of 50 connections per instance exceeds its share of the database (22)\n"
    );
    let (_, out, err) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--color", "never"]),
    );
    assert!(out.contains("warning[oversized-pool]"), "{out}");
    assert!(out.contains("┌─ src/lib.rs:2:66"), "{out}");
    assert!(
        out.contains("= note: 4 instances × 50 connections"),
        "{out}"
    );
    assert!(err.contains("1 finding in 1 file checked"), "{err}");
    let (_, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--color", "always"]),
    );
    assert!(out.contains("\u{1b}["), "colors when asked");
}

#[test]
fn cargo_subcommand_behaves_like_the_binary() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let direct = scalelint()
        .current_dir(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let cargo = Command::cargo_bin("cargo-scalelint")
        .unwrap()
        .current_dir(dir.path())
        .args(["scalelint", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(direct.stdout, cargo.stdout);
    assert_eq!(direct.status.code(), cargo.status.code());
    let plain = Command::cargo_bin("cargo-scalelint")
        .unwrap()
        .current_dir(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        direct.stdout, plain.stdout,
        "usable without the leading word too"
    );
}

#[test]
fn suppressions_silence_and_stale_ones_are_reported() {
    let text = "pub async fn connect(url: &str) {\n    // scalelint: allow(oversized-pool) the reports database allows 500\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n";
    let dir = project(&[("src/lib.rs", text)]);
    assert_eq!(stdout_of(scalelint().arg(dir.path())).0, 0);

    let text = "pub fn f() {} // scalelint: allow(oversized-pool) nothing here\n// scalelint: allow(no-such-rule)\npub fn g() {}\n";
    let dir = project(&[("src/lib.rs", text)]);
    let (code, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("src/lib.rs:1:35: unused-allow: `allow(oversized-pool)` silences nothing"),
        "{out}"
    );
    assert!(
        out.contains(
            "src/lib.rs:2:21: unused-allow: `allow(no-such-rule)` names no scalelint rule"
        ),
        "{out}"
    );
}

#[test]
fn bad_files_become_parse_errors_and_the_run_goes_on() {
    let dir = project(&[("src/lib.rs", POOL_50), ("src/broken.rs", "fn broken( {\n")]);
    std::fs::write(dir.path().join("src/latin1.rs"), b"// caf\xe9\nfn f() {}\n").unwrap();
    let deep = format!(
        "fn f() {{ let _ = {}1{}; }}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    std::fs::write(dir.path().join("src/deep.rs"), deep).unwrap();
    let (code, out, err) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("src/broken.rs:1:"), "{out}");
    assert!(
        out.contains("src/latin1.rs:1:1: parse-error: not UTF-8"),
        "{out}"
    );
    assert!(
        out.contains("src/deep.rs:1:1: parse-error: nesting deeper than"),
        "{out}"
    );
    assert!(
        out.contains("src/lib.rs:2:66: oversized-pool"),
        "the other files are still checked: {out}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_malformed_manifest_is_reported_and_its_files_still_checked() {
    let dir = project(&[(
        "src/lib.rs",
        &format!("use sqlx::postgres::PgPoolOptions;\n{POOL_50}"),
    )]);
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"svc\nversion = 1\n",
    )
    .unwrap();
    let (code, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(code, 1);
    assert!(out.contains("Cargo.toml:2:"), "{out}");
    assert!(
        out.contains("parse-error: cannot read the manifest"),
        "{out}"
    );
    assert!(out.contains("src/lib.rs:3:66: oversized-pool"), "{out}");
}

#[test]
fn explain_rules_and_init() {
    let (code, out, _) = stdout_of(scalelint().args(["explain", "oversized-pool"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("# oversized-pool"), "{out}");
    let (code, _, err) = stdout_of(scalelint().args(["explain", "nope"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule `nope`"));

    let (code, out, _) = stdout_of(scalelint().arg("rules"));
    assert_eq!(code, 0);
    for id in [
        "oversized-pool",
        "host-sized-pool",
        "parse-error",
        "unused-allow",
    ] {
        assert!(out.lines().any(|l| l.starts_with(id)), "{id} listed: {out}");
    }

    let dir = project(&[("src/lib.rs", POOL_40)]);
    let (code, _, _) = stdout_of(scalelint().current_dir(dir.path()).arg("init"));
    assert_eq!(code, 0);
    assert!(dir.path().join("scalelint.toml").is_file());
    let (code, _, err) = stdout_of(scalelint().current_dir(dir.path()).arg("init"));
    assert_eq!(code, 2, "does not overwrite: {err}");
    // The file it writes is valid and holds the defaults.
    let (code, _, err) = stdout_of(scalelint().current_dir(dir.path()).arg("."));
    assert_eq!(code, 1, "{err}");
}

#[test]
fn unknown_rule_in_select_is_a_usage_error() {
    let (code, _, err) = stdout_of(scalelint().args(["fixtures", "--select", "no-such-rule"]));
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rule"));
}

#[test]
fn stdin_is_checked_as_the_named_file() {
    let dir = project(&[("src/lib.rs", "pub fn f() {}\n")]);
    let (code, out, err) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["-", "--stdin-filename", "src/lib.rs", "--format", "short"])
            .write_stdin(POOL_50),
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("src/lib.rs:2:66: oversized-pool"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        "pub fn f() {}\n",
        "nothing written"
    );
}

#[test]
fn notes_quote_the_stdin_text_not_the_file_on_disk() {
    // The file on disk is the fixture; stdin is the same code four lines lower (an editor's
    // unsaved buffer). Every `path:line` a note quotes must count in the text that was checked.
    let fixture = "fixtures/projects/mig_generic_migrator";
    let dir = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "src/main.rs"] {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(format!("{fixture}/{f}"), &to).unwrap();
    }
    let disk = std::fs::read_to_string(dir.path().join("src/main.rs")).unwrap();
    let (_, from_disk, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--select", "unlocked-migration"]),
    );
    let (_, from_stdin, err) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args([
                "-",
                "--stdin-filename",
                "src/main.rs",
                "--select",
                "unlocked-migration",
            ])
            .write_stdin(format!("\n\n\n\n{disk}")),
    );
    let disk_line = from_disk
        .lines()
        .find_map(|l| l.split("`converge` (src/main.rs:").nth(1))
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no place in the note: {from_disk}"));
    assert!(
        from_stdin.contains(&format!("`converge` (src/main.rs:{})", disk_line + 4)),
        "{from_stdin}{err}"
    );
}

#[test]
fn output_is_identical_run_to_run_and_across_thread_counts() {
    let run = |jobs: &str| {
        scalelint()
            .args(["fixtures", "--format", "json", "--jobs", jobs])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("2"));
}

#[test]
fn tests_and_examples_are_out_of_scope() {
    let dir = project(&[
        ("src/lib.rs", "pub fn f() {}\n"),
        ("tests/it.rs", POOL_50),
        ("examples/demo.rs", POOL_50),
        ("benches/b.rs", POOL_50),
        (
            "src/inner.rs",
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50); }\n}\n",
        ),
    ]);
    let (code, out, _) = stdout_of(scalelint().arg(dir.path()).args(["--format", "short"]));
    assert_eq!(code, 0, "{out}");
    assert!(Path::new(&dir.path().join("tests/it.rs")).is_file());
}

#[test]
fn each_file_is_reported_once_and_only_under_the_paths_given() {
    // A virtual workspace: its root folder holds a compose file but no crate.
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"api\", \"jobs\"]\n"),
        (
            "docker-compose.yml",
            "services:\n  api:\n    environment:\n      RUST_LOG: debug\n",
        ),
        (
            "api/Cargo.toml",
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\naxum = \"0.8\"\n",
        ),
        ("api/src/main.rs", POOL_50),
        (
            "jobs/Cargo.toml",
            "[package]\nname = \"jobs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\n",
        ),
        ("jobs/src/lib.rs", POOL_40),
    ];
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let findings = |args: &[&str]| {
        let (_, out, err) = stdout_of(scalelint().args(args).args(["--format", "json"]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        let mut paths: Vec<String> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let path = d["path"].as_str().unwrap();
                path.rsplit_once(".tmp")
                    .map_or(path, |(_, p)| p)
                    .to_string()
            })
            .collect();
        paths.sort();
        (v["summary"]["files"].as_u64().unwrap(), paths)
    };
    let root = dir.path().to_str().unwrap();
    let (files, all) = findings(&[root]);
    assert_eq!(files, 3, "{all:?}");
    assert_eq!(
        all.iter()
            .filter(|p| p.ends_with("docker-compose.yml"))
            .count(),
        1,
        "{all:?}"
    );
    assert!(
        all.iter().any(|p| p.ends_with("api/src/main.rs")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|p| p.ends_with("jobs/src/lib.rs")),
        "{all:?}"
    );

    // One member: the other member and the root are read for context, not reported.
    let api = dir.path().join("api");
    let (files, some) = findings(&[api.to_str().unwrap()]);
    assert_eq!(files, 1, "{some:?}");
    assert!(
        some.iter().all(|p| p.ends_with("api/src/main.rs")),
        "{some:?}"
    );
    assert!(!some.is_empty());

    // One file, and a manifest (its workspace analysed, nothing of it reported).
    let lib = dir.path().join("jobs/src/lib.rs");
    let manifest = dir.path().join("Cargo.toml");
    let (files, some) = findings(&[lib.to_str().unwrap(), manifest.to_str().unwrap()]);
    assert_eq!(files, 1, "{some:?}");
    assert!(
        some.iter().all(|p| p.ends_with("jobs/src/lib.rs")),
        "{some:?}"
    );
}

/// A job whose every write is idempotent is a note by default; a configured level still wins.
#[test]
fn idempotent_jobs_are_notes_unless_a_level_is_set() {
    let job = "pub fn start(pool: sqlx::PgPool) {\n    tokio::spawn(async move {\n        loop {\n            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;\n            let _ = sqlx::query(\"INSERT INTO seen (id) SELECT id FROM events ON CONFLICT DO NOTHING\").execute(&pool).await;\n        }\n    });\n}\n";
    let dir = project(&[("src/lib.rs", job)]);
    let severities = |dir: &tempfile::TempDir| {
        let (_, out, err) = stdout_of(scalelint().current_dir(dir.path()).args([
            "--format",
            "json",
            "--select",
            "unlocked-scheduler",
            ".",
        ]));
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["severity"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(severities(&dir), ["note"]);
    std::fs::write(
        dir.path().join("scalelint.toml"),
        "[rules.unlocked-scheduler]\nlevel = \"warn\"\n",
    )
    .unwrap();
    assert_eq!(severities(&dir), ["warning"]);
}

/// An allow on a line of its own covers the whole statement below it (a builder chain over
/// several lines, a match arm, a struct field); of an item only its header; after code, only its
/// line; across a blank line, nothing.
#[test]
fn an_allow_covers_the_statement_below_it() {
    let text = r#"pub async fn a(url: &str) {
    // scalelint: allow(oversized-pool) the reports database allows 500
    // (stacked comments are skipped)
    let _ = sqlx::postgres::PgPoolOptions::new()
        .min_connections(1)
        .max_connections(50)
        .connect(url)
        .await;
    match url {
        // scalelint: allow(oversized-pool) one arm
        "x" => {
            let _ = sqlx::postgres::PgPoolOptions::new()
                .max_connections(51)
                .connect(url)
                .await;
        }
        _ => {}
    }
}

pub async fn b(url: &str) {
    let _ = sqlx::postgres::PgPoolOptions::new() // scalelint: allow(oversized-pool)
        .max_connections(52)
        .connect(url)
        .await;
}

// scalelint: allow(oversized-pool) only the header of an item
pub async fn c(url: &str) {
    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(53).connect(url).await;
}

pub async fn d(url: &str) {
    // scalelint: allow(oversized-pool) separated by a blank line

    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(54).connect(url).await;
}
"#;
    let dir = project(&[("src/lib.rs", text)]);
    let (code, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("src/")).collect();
    assert_eq!(
        lines,
        [
            "src/lib.rs:22:70: unused-allow: `allow(oversized-pool)` silences nothing",
            "src/lib.rs:23:26: oversized-pool: sqlx pool of 52 connections per instance exceeds its share of the database (22)",
            "src/lib.rs:28:21: unused-allow: `allow(oversized-pool)` silences nothing",
            "src/lib.rs:30:66: oversized-pool: sqlx pool of 53 connections per instance exceeds its share of the database (22)",
            "src/lib.rs:34:25: unused-allow: `allow(oversized-pool)` silences nothing",
            "src/lib.rs:36:66: oversized-pool: sqlx pool of 54 connections per instance exceeds its share of the database (22)",
        ],
        "{out}"
    );
}

/// `unused-allow` is reported whenever it is selected; an allow naming a rule that did not run
/// (not selected, ignored, or turned off in the configuration) is not counted as unused.
#[test]
fn unused_allow_follows_what_ran() {
    let text = "pub fn f() {} // scalelint: allow(oversized-pool) nothing here\npub fn g() {} // scalelint: allow(log-payload) nothing here\n";
    let dir = project(&[("src/lib.rs", text)]);
    let unused = |args: &[&str]| -> Vec<String> {
        let (_, out, err) = stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args(["--format", "short"])
                .args(args),
        );
        assert!(!err.contains("error"), "{err}");
        out.lines()
            .filter(|l| l.contains(": unused-allow: "))
            .map(|l| l.split(": ").last().unwrap().to_string())
            .collect()
    };
    let both = [
        "`allow(oversized-pool)` silences nothing",
        "`allow(log-payload)` silences nothing",
    ];
    assert_eq!(unused(&[]), both);
    assert_eq!(
        unused(&["--ignore", "oversized-pool"]),
        both[1..],
        "an ignored rule did not run"
    );
    assert_eq!(
        unused(&["--select", "oversized-pool"]),
        Vec::<String>::new(),
        "unused-allow not selected"
    );
    assert_eq!(
        unused(&["--select", "oversized-pool,unused-allow"]),
        both[..1],
        "selected with the one rule that ran"
    );
    assert_eq!(unused(&["--ignore", "unused-allow"]), Vec::<String>::new());
    std::fs::write(
        dir.path().join("scalelint.toml"),
        "[rules.log-payload]\nlevel = \"allow\"\n",
    )
    .unwrap();
    assert_eq!(unused(&[]), both[..1], "turned off in the configuration");
}

#[test]
fn require_reason_reports_allows_without_one() {
    let text = "pub async fn connect(url: &str) {\n    // scalelint: allow(oversized-pool)\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n    // scalelint: allow(oversized-pool) TODO: say why this is safe\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n    // scalelint: allow(oversized-pool) the reports database allows 500\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n";
    let dir = project(&[("src/lib.rs", text)]);
    let run = || {
        stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args(["--format", "short"]),
        )
    };
    assert_eq!(run().0, 0, "no reason needed by default");
    std::fs::write(dir.path().join("scalelint.toml"), "require-reason = true\n").unwrap();
    let (code, out, _) = run();
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("src/")).collect();
    assert_eq!(
        lines,
        [
            "src/lib.rs:2:8: allow-without-reason: allow comment gives no reason",
            "src/lib.rs:4:8: allow-without-reason: allow comment still has the placeholder reason `--add-allow` wrote",
        ],
        "{out}"
    );
}

/// `--add-allow` silences every finding with a comment and a placeholder reason, keeps the file
/// parsing (never inside a multi-line string), and a second run finds nothing to add.
#[test]
fn add_allow_silences_every_finding_and_keeps_files_parsing() {
    let text = r#"pub async fn a(url: &str) {
    let _ = sqlx::postgres::PgPoolOptions::new()
        .max_connections(50)
        .connect(url)
        .await;
    let s = "a string
over two lines"; let _ = sqlx::postgres::PgPoolOptions::new().max_connections(51).connect(url).await;
    let t = r"a raw string
over two lines
"; let _ = sqlx::postgres::PgPoolOptions::new().max_connections(52).connect(url).await;
    if s.is_empty() && t.is_empty() {
        let _ = sqlx::postgres::PgPoolOptions::new().max_connections(53).connect(url).await;
    }
}
"#;
    let dir = project(&[("src/lib.rs", text), ("src/main.rs", POOL_50)]);
    let lib = dir.path().join("src/lib.rs");
    let (code, _, _) = stdout_of(scalelint().current_dir(dir.path()));
    assert_eq!(code, 1);
    let (code, out, err) = stdout_of(scalelint().current_dir(dir.path()).arg("--add-allow"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("added 5 allow comments for 5 findings in 2 files"),
        "{err}"
    );
    let fixed = std::fs::read_to_string(&lib).unwrap();
    assert!(syn::parse_file(&fixed).is_ok(), "{fixed}");
    assert!(
        fixed.contains("a string\nover two lines\"; let _ ="),
        "strings untouched: {fixed}"
    );
    assert!(
        fixed.contains(
            "    // scalelint: allow(oversized-pool) TODO: say why this is safe\n    let _ = sqlx::postgres::PgPoolOptions::new()\n        .max_connections(50)"
        ),
        "{fixed}"
    );
    let (code, out, _) = stdout_of(scalelint().current_dir(dir.path()));
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = stdout_of(scalelint().current_dir(dir.path()).arg("--add-allow"));
    assert_eq!(code, 0);
    assert!(err.contains("added 0 allow comments"), "{err}");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), fixed);
    // With reasons required, each placeholder is a finding until it is filled in.
    std::fs::write(dir.path().join("scalelint.toml"), "require-reason = true\n").unwrap();
    let (code, out, _) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--format", "short"]),
    );
    assert_eq!(code, 1);
    assert_eq!(out.matches("allow-without-reason").count(), 5, "{out}");
}

/// `--fail-on` and `--max-warnings` decide which findings fail the run; the findings are
/// reported either way.
#[test]
fn fail_on_and_max_warnings_gate_the_exit_code() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let code = |args: &[&str]| {
        let (code, out, err) = stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args(["--format", "short"])
                .args(args),
        );
        assert!(
            out.contains("oversized-pool"),
            "reported either way: {out}{err}"
        );
        (code, err)
    };
    assert_eq!(
        code(&[]).0,
        1,
        "a warning fails by default (--fail-on note)"
    );
    assert_eq!(code(&["--fail-on", "warning"]).0, 1);
    let (c, err) = code(&["--fail-on", "error"]);
    assert_eq!(c, 0);
    assert!(
        err.contains("findings were reported but do not fail the run: --fail-on error"),
        "{err}"
    );
    assert_eq!(code(&["--max-warnings", "1"]).0, 0, "1 warning, at most 1");
    assert_eq!(code(&["--max-warnings", "0"]).0, 1, "1 warning, at most 0");
    std::fs::write(
        dir.path().join("scalelint.toml"),
        "[rules.oversized-pool]\nlevel = \"deny\"\n",
    )
    .unwrap();
    assert_eq!(code(&["--fail-on", "error"]).0, 1, "an error fails");
    assert_eq!(
        code(&["--max-warnings", "5"]).0,
        1,
        "errors are not warnings"
    );
    let (c, _, err) = stdout_of(scalelint().args(["--fail-on", "fatal"]));
    assert_eq!(c, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A folder with no Rust crate checks nothing: a misconfigured CI step must not stay green.
#[test]
fn a_path_with_no_rust_crate_is_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# not rust\n").unwrap();
    let (code, out, err) = stdout_of(scalelint().arg(dir.path()));
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no Rust crate or readable .rs file"), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    let (code, _, err) = stdout_of(scalelint().arg(dir.path()).arg("--allow-empty"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 files checked"), "{err}");
    // A crate whose files hold nothing to report is fine.
    let clean = project(&[("src/lib.rs", "pub fn f() {}\n")]);
    assert_eq!(stdout_of(scalelint().arg(clean.path())).0, 0);
}

/// Usage errors are one line with the hint, not clap's paragraph.
#[test]
fn usage_errors_are_one_line() {
    for (args, want) in [
        (
            &["--instances", "0"][..],
            "error: --instances must be at least 1\n",
        ),
        (&["--jobs", "0"], "error: --jobs must be at least 1\n"),
        (
            &["--formt", "json"],
            "error: unexpected argument '--formt' found; tip: a similar argument exists: '--format' (see --help)\n",
        ),
    ] {
        let (code, out, err) = stdout_of(scalelint().args(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert_eq!(err, want, "{args:?}");
    }
    let (code, out, _) = stdout_of(scalelint().arg("--help"));
    assert_eq!(code, 0);
    assert!(
        out.contains("--fail-on"),
        "help is still the full text: {out}"
    );
}

#[test]
fn unknown_rule_ids_suggest_the_nearest() {
    let (code, _, err) = stdout_of(scalelint().args(["explain", "oversize-pool"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `oversized-pool`?"), "{err}");
    let (_, _, err) = stdout_of(scalelint().args(["explain", "log_in_loop"]));
    assert!(err.contains("did you mean `log-in-loop`?"), "{err}");
    let (_, _, err) = stdout_of(scalelint().args(["explain", "nope"]));
    assert!(!err.contains("did you mean"), "nothing close: {err}");
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let (code, _, err) = stdout_of(
        scalelint()
            .arg(dir.path())
            .args(["--select", "unlocked-schedular"]),
    );
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `unlocked-scheduler`?"), "{err}");
}

#[test]
fn statistics_count_findings_per_rule() {
    let lib = format!("mod other;\npub fn hi() {{ println!(\"hi\"); }}\n{POOL_50}");
    let dir = project(&[("src/lib.rs", lib.as_str()), ("src/other.rs", POOL_40)]);
    let (code, out, _) = stdout_of(scalelint().current_dir(dir.path()).arg("--statistics"));
    assert_eq!(code, 1, "the exit code is a plain run's");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("2  oversized-pool    [*]  a connection pool larger"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("1  print-in-service       println!"),
        "{out}"
    );
    let (_, out, _) =
        stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args(["--statistics", "--format", "json"]),
        );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["rule"], "oversized-pool");
    assert_eq!(v[0]["count"], 2);
    assert_eq!(v[0]["fixable"], 2);
    let (code, _, err) =
        stdout_of(
            scalelint()
                .current_dir(dir.path())
                .args(["--statistics", "--format", "sarif"]),
        );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn stdin_filename_without_dash_is_an_error() {
    let dir = project(&[("src/lib.rs", POOL_50)]);
    let (code, out, err) = stdout_of(
        scalelint()
            .current_dir(dir.path())
            .args(["--stdin-filename", "src/lib.rs"]),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("add `-`"), "{err}");
}
