//! Keeps the README true: its rule table equals `scalelint rules`, and it documents every
//! option `--help` lists.

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
