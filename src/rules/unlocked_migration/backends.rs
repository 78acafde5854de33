//! Backends: SQLite is per-instance state, not this rule's concern.

use super::*;

pub(super) const BACKENDS: &[(&str, &[&str])] = &[
    ("sqlite", &["sqlite"]),
    ("postgres", &["postgres", "pg"]),
    ("mysql", &["mysql", "maria"]),
];

pub(super) fn backend_of_word(word: &str) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    BACKENDS
        .iter()
        .find(|(_, keys)| {
            keys.iter().any(|k| {
                if *k == "pg" {
                    w.starts_with("pg") && w.len() > 2
                } else {
                    w.contains(k)
                }
            })
        })
        .map(|(b, _)| *b)
}

/// Backends the function around `region` names (connection and pool types, constructors),
/// or else those the crate's database features enable.
pub(super) fn backends_near(project: &Project, unit: &Unit, region: RegionId) -> Vec<&'static str> {
    let mut found: BTreeSet<&'static str> = BTreeSet::new();
    if let Some(f) = enclosing_fn_idx(&unit.facts, region).map(|i| &unit.facts.fns[i]) {
        for p in &f.params {
            for w in p.ty.split(|c: char| !c.is_alphanumeric() && c != '_') {
                found.extend(backend_of_word(w));
            }
        }
        for c in unit.facts.calls_within(f.body) {
            c.val.walk(&mut |v| {
                if let Val::Path { path, .. } = v {
                    for s in path.iter().take(path.len().saturating_sub(0)) {
                        if s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                            || s == "sqlite"
                            || s == "pg"
                            || s == "postgres"
                            || s == "mysql"
                        {
                            found.extend(backend_of_word(s));
                        }
                    }
                }
            });
        }
    }
    if found.is_empty() {
        let krate = project.crate_of(unit);
        for lib in ["sqlx", "diesel", "diesel_async", "sea_orm", "refinery"] {
            if let Some(features) = krate.features_of(lib) {
                for f in features {
                    found.extend(backend_of_word(f));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Whether every backend the run may use is one its runner lists as `silent-backends` (SQLite:
/// a file per instance, not a shared schema).
pub(super) fn on_silent_backend(project: &Project, unit: &Unit, run: &Run) -> bool {
    let backends = backends_near(project, unit, run.region);
    !backends.is_empty()
        && (backends.iter()).all(|b| run.runner.silent_backends.iter().any(|s| s == b))
}

/// Whether a `by-backend` runner locks for this run: it may use one of its `lock-backends`, or
/// its backend is unknown.
pub(super) fn locks_on_backend(project: &Project, unit: &Unit, run: &Run) -> bool {
    let backends = backends_near(project, unit, run.region);
    backends.is_empty()
        || (backends.iter()).any(|b| run.runner.lock_backends.iter().any(|l| l == b))
}
