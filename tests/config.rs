//! Configuration for a monorepo, through the real binary: nested `scalelint.toml` files,
//! `[[overrides]]`, `scalelint config` and one-line errors for malformed values.

use assert_cmd::Command;

const MONOREPO: &str = "fixtures/projects/monorepo";

fn scalelint() -> Command {
    let mut cmd = Command::cargo_bin("scalelint").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The fixture monorepo copied to a temp folder, with `edits` written over it.
fn monorepo_with(edits: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(MONOREPO);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = dir.path().join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    for (path, text) in edits {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

#[test]
fn each_service_is_judged_by_its_own_instance_count() {
    // The same 30-connection pool: within orders' (100 − 10) ÷ 2 = 45, over billing's ÷ 8 = 11.
    let (code, out, err) = run(scalelint().args([MONOREPO, "--format", "json"]));
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            format!("{MONOREPO}/services/billing/src/main.rs"),
            // The workspace's [[overrides]] makes billing's pools errors.
            "error".to_string()
        )],
        "{out}"
    );
    let notes = v["diagnostics"][0]["notes"].to_string();
    assert!(
        notes.contains(
            "8 instances (fixtures/projects/monorepo/services/billing/scalelint.toml, `instances`)"
        ),
        "{notes}"
    );

    // Without billing's own file, the workspace's 4 instances apply: (100 − 10) ÷ 4 = 22 < 30.
    let dir = monorepo_with(&[]);
    std::fs::remove_file(dir.path().join("services/billing/scalelint.toml")).unwrap();
    let (_, out, _) = run(scalelint().arg(dir.path()).args(["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1, "{out}");
    assert!(
        v["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(22)"),
        "{out}"
    );

    // The command line wins over every file.
    let (code, _, _) = run(scalelint().args([MONOREPO, "--instances", "1"]));
    assert_eq!(code, 0);
}

#[test]
fn overrides_set_levels_and_numbers_per_path() {
    let dir = monorepo_with(&[(
        "scalelint.toml",
        "instances = 4\n\n[[overrides]]\npaths = [\"services/orders/**\"]\ninstances = 16\n\n\
         [[overrides]]\npaths = [\"services/billing\"]\nrules.oversized-pool.level = \"allow\"\n",
    )]);
    std::fs::remove_file(dir.path().join("services/orders/scalelint.toml")).unwrap();
    let (code, out, err) = run(scalelint().arg(dir.path()).args(["--format", "json"]));
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 1, "{out}");
    assert!(paths[0].ends_with("services/orders/src/main.rs"), "{out}");
    assert!(out.contains("[[overrides]] 1, `instances`"), "{out}");

    // A rule off for the workspace but on for one path still runs there.
    let dir = monorepo_with(&[(
        "scalelint.toml",
        "[rules.oversized-pool]\nlevel = \"allow\"\n\n[[overrides]]\npaths = [\"services/billing/src/*.rs\"]\n\
         rules.oversized-pool.level = \"warn\"\n",
    )]);
    let (code, out, _) = run(scalelint().arg(dir.path()).args(["--format", "json"]));
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["diagnostics"][0]["severity"], "warning", "{out}");
}

#[test]
fn config_shows_the_settings_and_where_each_came_from() {
    let (code, out, err) = run(scalelint().args([
        "config",
        "fixtures/projects/monorepo/services/billing/src/main.rs",
    ]));
    assert_eq!(code, 0, "{err}");
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("instances ="),
        "instances = 8 # fixtures/projects/monorepo/services/billing/scalelint.toml"
    );
    assert_eq!(
        line("max-connections ="),
        "max-connections = 100 # fixtures/projects/monorepo/scalelint.toml"
    );
    assert_eq!(
        line("oversized-pool ="),
        "oversized-pool = \"deny\" # fixtures/projects/monorepo/scalelint.toml, [[overrides]] 1"
    );
    assert_eq!(
        line("log-payload ="),
        "log-payload = \"warn\" # default (warning)"
    );
    assert!(
        out.contains("# Read: fixtures/projects/monorepo/scalelint.toml, fixtures/projects/monorepo/services/billing/scalelint.toml"),
        "{out}"
    );

    let (_, out, _) =
        run(scalelint().args(["config", "fixtures/projects/monorepo/services/orders"]));
    assert!(out.contains("instances = 2"), "{out}");
    assert!(out.contains("oversized-pool = \"warn\""), "{out}");
}

#[test]
fn malformed_nested_settings_are_one_line_errors_naming_file_and_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "services/billing/scalelint.toml",
            "instances = \"eight\"\n",
            &["services/billing/scalelint.toml:1:", "eight"],
        ),
        (
            "services/billing/scalelint.toml",
            "instances = 0\n",
            &[
                "services/billing/scalelint.toml",
                "`instances` must be at least 1",
            ],
        ),
        (
            "services/billing/scalelint.toml",
            "exclude = [\"src/gen/**\"]\n",
            &[
                "services/billing/scalelint.toml",
                "`exclude` applies to the whole workspace",
            ],
        ),
        (
            "services/billing/scalelint.toml",
            "shared-paths = [\"/srv/uploads\"]\n",
            &[
                "services/billing/scalelint.toml",
                "`shared-paths` applies to the whole workspace",
            ],
        ),
        (
            "services/billing/scalelint.toml",
            "[rules.oversized-pol]\nlevel = \"deny\"\n",
            &[
                "services/billing/scalelint.toml",
                "unknown rule `oversized-pol`",
                "oversized-pool",
            ],
        ),
        (
            "services/billing/scalelint.toml",
            "[database]\nreserved-connections = 100\n",
            &[
                "services/billing/scalelint.toml",
                "`reserved-connections` (100)",
            ],
        ),
        (
            "scalelint.toml",
            "[[overrides]]\npaths = [\"services/[billing\"]\ninstances = 2\n",
            &["scalelint.toml: [[overrides]] 1: `paths` pattern `services/[billing`"],
        ),
        (
            "scalelint.toml",
            "[[overrides]]\npaths = []\ninstances = 2\n",
            &["scalelint.toml: [[overrides]] 1: `paths` is empty"],
        ),
        (
            "scalelint.toml",
            "[[overrides]]\npaths = [\"services/orders\"]\nexclude = []\n",
            &["scalelint.toml:3:", "exclude"],
        ),
    ];
    for (file, text, wanted) in cases {
        let dir = monorepo_with(&[(file, text)]);
        for args in [vec![], vec!["config".to_string()]] {
            let (code, out, err) = run(scalelint().args(&args).arg(dir.path()));
            assert_eq!(code, 2, "{file}: {text}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            for w in *wanted {
                assert!(err.contains(w), "{w:?} not in {err}");
            }
        }
    }
}
