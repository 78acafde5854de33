//! Keeps the README true: its rule table equals `scalelint rules`, its opening sample is real
//! output, and it documents every option `--help` lists.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn rule_table_matches_scalelint_rules() {
    let readme = readme();
    let start = readme
        .find("<!-- rules-table")
        .expect("rules table start marker");
    let end = readme
        .find("<!-- end rules-table -->")
        .expect("rules table end marker");
    let rows: Vec<Vec<String>> = readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect();
    let listing = run(&["rules"]);
    let mut expected = vec![];
    for line in listing.lines().skip(1) {
        let mut parts = line.split_whitespace();
        let (id, family, level, fix) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let summary = line[line.find(fix).unwrap() + fix.len()..].trim();
        expected.push(vec![
            id.to_string(),
            family.to_string(),
            level.to_string(),
            fix.to_string(),
            summary.to_string(),
        ]);
    }
    assert_eq!(
        rows, expected,
        "README rules table differs from `scalelint rules`"
    );
}

#[test]
fn every_option_is_documented() {
    let readme = readme();
    let help = run(&["--help"]);
    for word in help.split_whitespace() {
        let option = word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
        if option.starts_with("--") && option.len() > 2 && !matches!(option, "--help" | "--version")
        {
            let option = option.split('=').next().unwrap().split('<').next().unwrap();
            assert!(readme.contains(option), "README does not document {option}");
        }
    }
}

/// The README's opening sample is what the quick start's command prints for the sample
/// service, and that service's source carries no test markers (its expectations are in
/// `fixtures/projects/sample-service.expect`).
#[test]
fn the_opening_sample_is_real_output_without_test_markers() {
    let readme = readme();
    let start = readme.find("```text\n").unwrap() + "```text\n".len();
    let sample = &readme[start..start + readme[start..].find("```").unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["fixtures/projects/sample-service", "--color", "never"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let trimmed: String = out
        .lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect();
    let sample: String = sample
        .lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect();
    assert!(
        trimmed.contains(&sample),
        "the README's sample is not in the output:\n{sample}\n---\n{out}"
    );
    for marker in ["//~", "#~"] {
        assert!(!out.contains(marker), "a test marker in the output:\n{out}");
    }
}
