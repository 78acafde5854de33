//! Exemptions: single-instance config, dedicated migrate binaries and subcommands.

use super::*;

pub(super) fn single_instance(project: &Project, unit: &Unit) -> bool {
    let krate = &project.crate_of(unit).name;
    project
        .config
        .single_instance
        .iter()
        .any(|s| s == krate || unit.bin.as_deref() == Some(s.as_str()))
}

/// A crate that exists for tests: it depends on a crate of the catalogue's `test-support`
/// (`testcontainers`), or the workspace crates that use it all do so as a dev-dependency.
pub(super) fn test_support_crate(project: &Project, unit: &Unit) -> bool {
    let krate = project.crate_of(unit);
    if krate.loose {
        return false;
    }
    if (project.catalog.test_support.iter())
        .flat_map(|t| &t.crates)
        .any(|c| krate.depends_on(c))
    {
        return true;
    }
    let lib = krate.name.replace('-', "_");
    // A crate's dev-dependency on itself (`loco-rs = { path = ".", features = ["testing"] }`,
    // to turn on a feature in its own tests) says nothing about who uses it.
    let users: Vec<bool> = project
        .crates
        .iter()
        .filter(|c| c.dir != krate.dir)
        .filter_map(|c| c.deps.get(&lib).map(|d| d.dev_only))
        .collect();
    !users.is_empty() && users.iter().all(|dev| *dev)
}

pub(super) fn has_migrate_word(project: &Project, text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    project
        .catalog
        .migration_deploy
        .migrate_words
        .iter()
        .any(|w| lower.contains(w.as_str()))
}

/// `src/bin/migrate.rs`, a `[[bin]] name = "migrate"`, or a crate that only migrates.
pub(super) fn migrate_bin(project: &Project, unit: &Unit) -> bool {
    unit.bin
        .as_deref()
        .is_some_and(|b| has_migrate_word(project, b))
}

/// The site lies in a `match` arm for a migrate subcommand (`Command::Migrate => ..`).
/// Also an arm of the same command enum as a migrate arm (`RunDbCommand::Down(steps)` beside
/// `RunDbCommand::Migrate`): that `match` dispatches database commands an operator runs.
pub(super) fn in_migrate_arm(project: &Project, unit: &Unit, span: Span) -> bool {
    fn enum_of(pat: &str) -> Option<String> {
        let pat: String = pat.chars().filter(|c| !c.is_whitespace()).collect();
        let head = pat.split(['(', '{', '|']).next()?;
        head.rsplit_once("::")
            .map(|(e, _)| e.to_string())
            .filter(|e| !e.is_empty())
    }
    unit.facts.arms.iter().any(|a| {
        a.body.contains(span)
            && (has_migrate_word(project, &a.pat)
                || enum_of(&a.pat).is_some_and(|e| {
                    unit.facts.arms.iter().any(|o| {
                        enum_of(&o.pat).as_deref() == Some(e.as_str())
                            && has_migrate_word(project, &o.pat)
                    })
                }))
    })
}
