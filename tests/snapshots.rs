//! What users see, pinned: for every fixture, the human report exactly as a terminal shows it
//! (`scalelint --color never PATH`, standard output and standard error through one pipe, as
//! they interleave on a terminal) is kept beside it: `fixtures/<rule>/name.rs` →
//! `fixtures/<rule>/name.out`, and `fixtures/projects/name/` → `fixtures/projects/name.out`.
//! Messages, notes, labels, help, fix text and snippets are all in it, so none of them can
//! change unnoticed. `SCALELINT_BLESS=1 cargo test --test snapshots` rewrites the files after
//! you have checked the change (CONTRIBUTING.md).

mod common;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each fixture with the file its snapshot lives in: every loose `.rs` under `fixtures/<rule>/`
/// (not the `.fixed.rs` results), and every crate under `fixtures/projects/`.
fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let mut out = vec![];
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if dir.ends_with("projects") {
                if path.is_dir() {
                    out.push((path.clone(), dir.join(format!("{name}.out"))));
                }
            } else if name.ends_with(".rs") && !name.ends_with(".fixed.rs") {
                out.push((path.clone(), path.with_extension("out")));
            }
        }
    }
    out
}

/// What a terminal shows for `scalelint --color never <path>` run from the repository root.
fn terminal_output(path: &Path) -> String {
    let rel = path.strip_prefix(root()).unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scalelint"));
    cmd.current_dir(root())
        .arg(rel)
        .args(["--color", "never"])
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer);
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // closes this process's copies of the pipe's write end
    let mut bytes = vec![];
    reader.read_to_end(&mut bytes).unwrap();
    let status = child.wait().unwrap();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{}: scalelint failed ({status}):\n{}",
        rel.display(),
        String::from_utf8_lossy(&bytes)
    );
    String::from_utf8(bytes).unwrap()
}

#[test]
fn every_fixture_renders_as_its_snapshot() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 50, "the fixtures are found");
    let outputs: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = fixtures
            .chunks(fixtures.len().div_ceil(4))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(f, _)| terminal_output(f))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut problems = vec![];
    for ((_, snapshot), got) in fixtures.iter().zip(&outputs) {
        common::check_snapshot(snapshot, Some(got), &mut problems);
    }
    // A snapshot whose fixture is gone.
    let wanted: Vec<&PathBuf> = fixtures.iter().map(|(_, s)| s).collect();
    for dir in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "out") && !wanted.contains(&&path) {
                common::check_snapshot(&path, None, &mut problems);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The JSON report is an interface scripts read (README, "JSON output"): its field names,
/// their order and its layout are pinned on the sample service, byte for byte.
#[test]
fn the_json_report_keeps_its_shape() {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .current_dir(root())
        .args(["fixtures/projects/sample-service", "--format", "json"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let got = String::from_utf8(out.stdout).unwrap();
    let mut problems = vec![];
    let snapshot = root().join("tests/snapshots/sample-service.json");
    common::check_snapshot(&snapshot, Some(&got), &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
