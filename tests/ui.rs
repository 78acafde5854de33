//! The fixture harness: runs the real binary over `fixtures/` and checks that its findings are
//! exactly the `//~ rule-id` annotations the fixtures carry (`#~` in TOML, YAML, .env,
//! Dockerfiles and shell scripts). `//~^ rule-id` expects the finding one line above,
//! `//~^^` two lines above. A missing finding and an extra finding both fail. A severity in
//! parentheses after the rule id (`//~ unlocked-scheduler (note)`) expects the finding at that
//! severity; without one, any severity matches.
//!
//! A project may keep its expectations in a side file instead, `<project>.expect` beside it,
//! one `path:line: rule-id` a line (paths relative to the project, `(note)` allowed after the
//! id): the sample service the README runs does, so its source shows no markers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

type Expectations = BTreeMap<(String, usize, String), usize>;
/// Findings whose severity an annotation names: `(path, line, rule)` → `note` / `warning`.
type Severities = BTreeMap<(String, usize, String), String>;

thread_local! {
    static SEVERITIES: std::cell::RefCell<Severities> = const { std::cell::RefCell::new(Severities::new()) };
}

fn annotations(path: &Path, text: &str, display: &str, out: &mut Expectations) {
    let marker = if path.extension().is_some_and(|e| e == "rs") {
        "//~"
    } else {
        "#~"
    };
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            let carets = after.chars().take_while(|c| *c == '^').count();
            let body = after[carets..].trim_start();
            let rule: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                !rule.is_empty(),
                "{display}:{}: an annotation without a rule id",
                i + 1
            );
            let line_no = i + 1 - carets;
            *out.entry((display.to_string(), line_no, rule.clone()))
                .or_default() += 1;
            rest = &after[carets..];
            rest = &rest[rest.find(&rule).unwrap() + rule.len()..];
            let sev = rest.trim_start();
            for level in ["note", "warning", "error"] {
                if sev.starts_with(&format!("({level})")) {
                    SEVERITIES.with(|s| {
                        s.borrow_mut().insert(
                            (display.to_string(), line_no, rule.clone()),
                            level.to_string(),
                        )
                    });
                }
            }
        }
    }
}

/// The files that hold what scalelint is expected to produce, not input: `.fixed.rs` results,
/// `.fixed.diff` project results, `.out` rendered reports and `.expect` side files.
fn is_expected_output(name: &str) -> bool {
    name.ends_with(".fixed.rs")
        || name.ends_with(".fixed.diff")
        || name.ends_with(".out")
        || name.ends_with(".expect")
}

/// The expectations of a `<project>.expect` side file (see the module comment).
fn side_file_annotations(root: &Path, out: &mut Expectations) -> usize {
    let mut n = 0;
    let projects = root.join("fixtures/projects");
    for entry in std::fs::read_dir(&projects).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "expect") {
            continue;
        }
        let project = path.with_extension("");
        assert!(project.is_dir(), "{}: no project beside it", path.display());
        let prefix = project
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = format!("{}:{}: not `path:line: rule-id`", path.display(), i + 1);
            let (file, rest) = line.split_once(':').expect(&bad);
            let (line_no, rule) = rest.split_once(':').expect(&bad);
            let line_no: usize = line_no.trim().parse().expect(&bad);
            assert!(
                project.join(file).is_file(),
                "{}:{}: no {file} in the project",
                path.display(),
                i + 1
            );
            let display = format!("{prefix}/{file}");
            // The same grammar as inline annotations, on a line of their own.
            let text = format!("//~ {}", rule.trim());
            let mut one = Expectations::new();
            annotations(Path::new("x.rs"), &text, &display, &mut one);
            for ((d, _, r), count) in one {
                *out.entry((d.clone(), line_no, r.clone())).or_default() += count;
                SEVERITIES.with(|s| {
                    let mut s = s.borrow_mut();
                    if let Some(level) = s.remove(&(d.clone(), 1, r.clone())) {
                        s.insert((d, line_no, r), level);
                    }
                });
            }
            n += 1;
        }
    }
    n
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" {
                fixture_files(&path, out);
            }
        } else if !is_expected_output(&name) {
            out.push(path);
        }
    }
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .args(["--format", "json", "--exit-zero", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run scalelint");
    assert!(
        output.status.success(),
        "scalelint failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn found(report: &serde_json::Value) -> Expectations {
    let mut out = Expectations::new();
    for d in report["diagnostics"].as_array().unwrap() {
        // What remains in a `.fixed.rs` result (manual fixes) is not an input's finding;
        // tests/fixed.rs checks those files.
        if is_expected_output(d["path"].as_str().unwrap()) {
            continue;
        }
        let key = (
            d["path"].as_str().unwrap().to_string(),
            d["line"].as_u64().unwrap() as usize,
            d["rule"].as_str().unwrap().to_string(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

#[test]
fn fixtures_report_exactly_their_annotations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    fixture_files(&root.join("fixtures"), &mut files);
    let mut expected = Expectations::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let display = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        annotations(path, &text, &display, &mut expected);
    }
    assert!(
        side_file_annotations(root, &mut expected) > 0,
        "the sample service's side file"
    );
    assert!(expected.len() > 10, "the fixtures carry annotations");
    let actual = found(&run_json(&["fixtures"]));
    let mut problems = vec![];
    for (key, n) in &expected {
        let got = actual.get(key).copied().unwrap_or(0);
        if got < *n {
            problems.push(format!("missing: {}:{}: {}", key.0, key.1, key.2));
        }
    }
    for (key, n) in &actual {
        let want = expected.get(key).copied().unwrap_or(0);
        if *n > want {
            problems.push(format!("unexpected: {}:{}: {}", key.0, key.1, key.2));
        }
    }
    let report = run_json(&["fixtures"]);
    let severities = SEVERITIES.with(|s| s.borrow().clone());
    for d in report["diagnostics"].as_array().unwrap() {
        let key = (
            d["path"].as_str().unwrap().to_string(),
            d["line"].as_u64().unwrap() as usize,
            d["rule"].as_str().unwrap().to_string(),
        );
        if let Some(want) = severities.get(&key)
            && d["severity"].as_str() != Some(want.as_str())
        {
            problems.push(format!(
                "severity: {}:{}: {} is {}, expected {want}",
                key.0, key.1, key.2, d["severity"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "fixture mismatches:\n{}",
        problems.join("\n")
    );
}

/// Each rule has at least one positive fixture and at least one fixture file that stays silent.
#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .arg("rules")
        .output()
        .unwrap();
    let listing = String::from_utf8(list.stdout).unwrap();
    for line in listing.lines().skip(1) {
        let id = line.split_whitespace().next().unwrap();
        if id == "parse-error" || id == "unused-allow" || id == "allow-without-reason" {
            continue;
        }
        let dir = root.join("fixtures").join(id);
        assert!(dir.is_dir(), "fixtures/{id}/ is missing");
        let mut files = vec![];
        fixture_files(&dir, &mut files);
        let texts: Vec<String> = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .collect();
        let marker = |t: &String| t.contains(&format!("~ {id}")) || t.contains(&format!("~^ {id}"));
        assert!(
            texts.iter().any(marker),
            "fixtures/{id}/ has no positive case"
        );
        let negative = files.iter().any(|f| {
            f.file_stem()
                .is_some_and(|s| s.to_string_lossy().starts_with("ok_"))
        });
        assert!(
            negative,
            "fixtures/{id}/ has no negative file (ok_*.rs, which must report nothing)"
        );
    }
}

/// Passing one file reports the same findings for it as passing its whole crate.
#[test]
fn one_file_gives_the_same_verdicts_as_its_crate() {
    let whole = run_json(&["fixtures/projects/sample-service"]);
    let whole_found = found(&whole);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    fixture_files(
        &root.join("fixtures/projects/sample-service/src"),
        &mut files,
    );
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let single = found(&run_json(&[&rel]));
        let from_whole: Expectations = whole_found
            .iter()
            .filter(|(k, _)| k.0 == rel)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        assert_eq!(single, from_whole, "{rel}");
    }
}

/// The prefilter only skips parsing files no rule can report on: the findings are the same.
#[test]
fn the_prefilter_changes_no_finding() {
    let with = run_json(&["fixtures"]);
    let without = run_json(&["fixtures", "--no-prefilter"]);
    assert_eq!(with, without);
}
