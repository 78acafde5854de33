//! The fix harness: every fixture `name.rs` with a `name.fixed.rs` beside it is copied to a
//! temporary folder and fixed with the real binary (`--fix`, plus `--unsafe-fixes` when the
//! name contains `unsafe`). The result must equal `name.fixed.rs` byte for byte, still parse,
//! and a second run must change nothing. A fixture inside a crate under `fixtures/projects/`
//! is fixed together with its whole crate (without the `.fixed.rs` files).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixed_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" {
                fixed_files(&path, out);
            }
        } else if name.ends_with(".fixed.rs") {
            out.push(path);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            if name != "target" {
                copy_dir(&path, &to.join(name));
            }
        } else if !name.to_string_lossy().ends_with(".fixed.rs") {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn scalelint(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run scalelint")
}

#[test]
fn fixing_each_fixture_gives_its_fixed_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("fixtures");
    let mut expected_files = vec![];
    fixed_files(&fixtures, &mut expected_files);
    assert!(
        !expected_files.is_empty(),
        "the fixtures carry `.fixed.rs` files"
    );
    let mut problems = vec![];
    for expected_path in expected_files {
        let name = expected_path.file_name().unwrap().to_string_lossy();
        let source_name = name.replace(".fixed.rs", ".rs");
        let source = expected_path.with_file_name(&source_name);
        let shown = source.strip_prefix(root).unwrap().display().to_string();
        assert!(source.is_file(), "{shown}: missing beside its .fixed.rs");

        let tmp = tempfile::tempdir().unwrap();
        // A fixture inside a crate is fixed with its crate, so facts from other files count.
        let project = source
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&fixtures) && *d != fixtures)
            .find(|d| d.join("Cargo.toml").is_file());
        let (target, copy) = match project {
            Some(p) => {
                let copy = tmp.path().join(p.file_name().unwrap());
                copy_dir(p, &copy);
                (copy.join(source.strip_prefix(p).unwrap()), copy)
            }
            None => {
                let copy = tmp.path().join(&source_name);
                std::fs::copy(&source, &copy).unwrap();
                (copy, tmp.path().join(&source_name))
            }
        };
        let copy_arg = copy.to_string_lossy().to_string();
        let mut args = vec!["--fix", "--quiet", "--exit-zero", "--format", "short"];
        if source_name.contains("unsafe") {
            args.push("--unsafe-fixes");
        }
        args.push(&copy_arg);
        let out = scalelint(tmp.path(), &args);
        if !out.status.success() {
            problems.push(format!(
                "{shown}: --fix failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let got = std::fs::read(&target).unwrap();
        let want = std::fs::read(&expected_path).unwrap();
        if got != want {
            problems.push(format!(
                "{shown}: the fixed text differs from {name}:\n--- got\n{}\n--- want\n{}",
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            ));
            continue;
        }
        let text = String::from_utf8(got).unwrap();
        if let Err(e) = syn::parse_file(&text) {
            problems.push(format!("{shown}: the fixed text does not parse: {e}"));
            continue;
        }
        // A second run has nothing left to change.
        let mut again = vec!["--diff", "--quiet"];
        if source_name.contains("unsafe") {
            again.push("--unsafe-fixes");
        }
        again.push(&copy_arg);
        let second = scalelint(tmp.path(), &again);
        if second.status.code() != Some(0) || !second.stdout.is_empty() {
            problems.push(format!(
                "{shown}: a second run would still change:\n{}",
                String::from_utf8_lossy(&second.stdout)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
