//! The user's `[catalog]` additions reach the rules: the prefilter, which skips files that name
//! nothing a rule looks for, takes its words from the catalogue, so an entry for a library
//! scalelint does not ship is seen like a built-in one.

use assert_cmd::Command;

fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("scalelint")
        .unwrap()
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A service whose only migration call is to `schemata`, a library no built-in entry names; its
/// text holds none of the built-in runners' words (no `migrat`, `runner` or DDL).
fn service(catalog: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nschemata = \"1\"\naxum = \"0.8\"\ntokio = \"1\"\n",
        ),
        (
            "src/main.rs",
            "#[tokio::main]\nasync fn main() {\n    schemata::Schemata::open(\"postgres://db/app\").apply_all().await.unwrap();\n    serve().await;\n}\n\nasync fn serve() {}\n",
        ),
        ("scalelint.toml", catalog),
    ];
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const SCHEMATA: &str = r#"[[catalog.migration-runner]]
library = "schemata"
crates = ["schemata"]
chains = [{ root = "Schemata::open", methods = ["apply_all"] }]
locks = "never"
why = "schemata applies what is missing without a lock"
source = "the team's own library"
"#;

#[test]
fn a_user_migration_runner_with_a_new_crate_reaches_the_rule() {
    let dir = service(SCHEMATA);
    let args = ["--format", "short", "--select", "unlocked-migration", "."];
    let (code, out) = run(dir.path(), &args);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("src/main.rs:3:") && out.contains("unlocked-migration"),
        "{out}"
    );
    // The same as when every file is parsed: the prefilter skipped nothing the rule needed.
    let mut all = args.to_vec();
    all.insert(0, "--no-prefilter");
    assert_eq!(run(dir.path(), &all), (code, out));
}

#[test]
fn without_the_entry_the_call_is_nothing() {
    let dir = service("");
    let (code, out) = run(
        dir.path(),
        &[
            "--no-prefilter",
            "--format",
            "short",
            "--select",
            "unlocked-migration",
            ".",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
}
