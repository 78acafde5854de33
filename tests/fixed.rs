//! The fix harness: what `--fix --unsafe-fixes` does to each fixture is pinned.
//!
//! - A loose fixture `fixtures/<rule>/name.rs` is copied to a temporary folder and fixed with
//!   the real binary. When anything changed, the result must equal `name.fixed.rs` byte for
//!   byte; when nothing changed, there must be no `name.fixed.rs`. So every fixture with a
//!   machine or maybe fix has its `.fixed.rs`, and the `.out` snapshot beside it says which
//!   of its fixes are machine (`fix (--fix)`) and which maybe (`fix (--fix --unsafe-fixes)`).
//! - A project `fixtures/projects/name/` fixes Rust, TOML, `.env` and deploy files together,
//!   so its result is pinned as the unified diff `--diff --unsafe-fixes` prints, in
//!   `fixtures/projects/name.fixed.diff` (absent when nothing would change).
//!
//! Either way the fixed files must still parse and a second run must change nothing.
//! `SCALELINT_BLESS=1` writes the expected files instead of failing (CONTRIBUTING.md).

mod common;
use common::copy_dir;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scalelint(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run scalelint")
}

/// Sorted entries of a folder.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// A second `--diff --unsafe-fixes` over `path` (run in `dir`) has nothing left to change.
fn settled(dir: &Path, path: &str, shown: &str, problems: &mut Vec<String>) {
    let second = scalelint(dir, &["--diff", "--unsafe-fixes", "--quiet", path]);
    if second.status.code() != Some(0) || !second.stdout.is_empty() {
        problems.push(format!(
            "{shown}: a second run would still change:\n{}",
            String::from_utf8_lossy(&second.stdout)
        ));
    }
}

#[test]
fn fixing_each_fixture_gives_its_fixed_file() {
    let mut problems = vec![];
    let mut fixed = 0;
    for dir in entries(&root().join("fixtures")) {
        if !dir.is_dir() || dir.ends_with("projects") {
            continue;
        }
        let files = entries(&dir);
        for source in &files {
            let name = source.file_name().unwrap().to_string_lossy().to_string();
            if let Some(stem) = name.strip_suffix(".fixed.rs") {
                let fixture = source.with_file_name(format!("{stem}.rs"));
                if !fixture.is_file() {
                    problems.push(format!("{}: no fixture beside it", source.display()));
                }
                continue;
            }
            if !name.ends_with(".rs") {
                continue;
            }
            let shown = source.strip_prefix(root()).unwrap().display().to_string();
            let tmp = tempfile::tempdir().unwrap();
            let copy = tmp.path().join(&name);
            std::fs::copy(source, &copy).unwrap();
            let args = ["--fix", "--unsafe-fixes", "--quiet", "--exit-zero", &name];
            let out = scalelint(tmp.path(), &args);
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                problems.push(format!("{shown}: --fix failed: {err}"));
                continue;
            }
            let before = std::fs::read_to_string(source).unwrap();
            let after = std::fs::read_to_string(&copy).unwrap();
            let expected = source.with_extension("fixed.rs");
            if after == before {
                common::check_snapshot(&expected, None, &mut problems);
                continue;
            }
            fixed += 1;
            common::check_snapshot(&expected, Some(&after), &mut problems);
            if let Err(e) = syn::parse_file(&after) {
                problems.push(format!("{shown}: the fixed text does not parse: {e}"));
            }
            settled(tmp.path(), &name, &shown, &mut problems);
        }
    }
    assert!(fixed > 5, "the fixtures carry fixes");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn fixing_each_project_gives_its_diff() {
    let projects = root().join("fixtures/projects");
    let mut problems = vec![];
    let mut with_diff = 0;
    for project in entries(&projects) {
        let name = project.file_name().unwrap().to_string_lossy().to_string();
        if !project.is_dir() {
            if name.ends_with(".fixed.diff") {
                let stem = name.trim_end_matches(".fixed.diff");
                if !projects.join(stem).is_dir() {
                    problems.push(format!("{name}: no project beside it"));
                }
            }
            continue;
        }
        let rel = format!("fixtures/projects/{name}");
        // What --diff prints from the repository root: `a/fixtures/projects/...` paths.
        let out = scalelint(root(), &["--diff", "--unsafe-fixes", "--quiet", &rel]);
        if !matches!(out.status.code(), Some(0 | 1)) {
            let err = String::from_utf8_lossy(&out.stderr);
            problems.push(format!("{rel}: --diff failed: {err}"));
            continue;
        }
        let diff = String::from_utf8(out.stdout).unwrap();
        let expected = projects.join(format!("{name}.fixed.diff"));
        if diff.is_empty() {
            common::check_snapshot(&expected, None, &mut problems);
            continue;
        }
        with_diff += 1;
        common::check_snapshot(&expected, Some(&diff), &mut problems);
        // Applied for real on a copy: every fixed Rust file parses and nothing is left.
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&project, &tmp.path().join(&name));
        let args = ["--fix", "--unsafe-fixes", "--quiet", "--exit-zero", &name];
        let out = scalelint(tmp.path(), &args);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            problems.push(format!("{rel}: --fix failed: {err}"));
            continue;
        }
        let mut files = vec![];
        common::rust_files(&tmp.path().join(&name), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            if let Err(e) = syn::parse_file(&text) {
                problems.push(format!(
                    "{}: does not parse after --fix: {e}",
                    file.display()
                ));
            }
        }
        settled(tmp.path(), &name, &rel, &mut problems);
    }
    assert!(with_diff > 0, "the projects carry fixes");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
