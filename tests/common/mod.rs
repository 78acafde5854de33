//! Helpers shared by the integration tests.
// Each test binary compiles this module and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Copies a folder tree (fixtures into a temporary folder the test may change).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every `.rs` file under `dir`.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `SCALELINT_BLESS=1`: snapshot tests write what they got instead of failing.
pub fn blessing() -> bool {
    std::env::var_os("SCALELINT_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `got` with the snapshot file `path` (missing: empty); when blessing, writes `got`
/// there instead (or removes the file when `got` is `None`). Mismatches go to `problems`.
pub fn check_snapshot(path: &Path, got: Option<&str>, problems: &mut Vec<String>) {
    let want = std::fs::read_to_string(path).ok();
    if want.as_deref() == got {
        return;
    }
    let shown = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    if blessing() {
        match got {
            Some(text) => std::fs::write(path, text).unwrap(),
            None => std::fs::remove_file(path).unwrap(),
        }
        return;
    }
    problems.push(match (want, got) {
        (None, _) => format!("{shown}: missing (run with SCALELINT_BLESS=1 to write it)"),
        (Some(_), None) => format!("{shown}: stale, nothing produces it any more"),
        (Some(want), Some(got)) => format!(
            "{shown}: differs (SCALELINT_BLESS=1 rewrites it after you check the change)\n{}",
            line_diff(&want, got)
        ),
    });
}

/// What changed from the snapshot to what the run gave, as a unified diff.
fn line_diff(want: &str, got: &str) -> String {
    similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .header("snapshot", "got")
        .to_string()
}
