//! Test support behind a cargo feature: a module compiled only under
//! `#[cfg(feature = "testing")]` (a `tests_cfg` or `test_utils` module a crate's tests and its
//! users' tests turn on) is test code for every rule, like `#[cfg(test)]`. A feature is test
//! support when its name says so (`rules/catalog/entry-points.toml`, `[[test-feature]]`) or when
//! only the crate's own dev-dependency on itself turns it on
//! (`[dev-dependencies] app = { path = ".", features = ["testing"] }`).

use crate::catalog::Catalog;
use crate::project::Unit;
use crate::workspace::{CrateInfo, Role};

fn test_feature(catalog: &Catalog, krate: &CrateInfo, feature: &str) -> bool {
    let lower = feature.to_ascii_lowercase();
    // By its whole name: `integration-tests` is a feature that builds real code.
    let named = catalog
        .test_feature
        .iter()
        .any(|e| e.names.contains(&lower));
    let lib = krate.name.replace('-', "_");
    let by_dev_dep = krate
        .deps
        .get(&lib)
        .is_some_and(|d| d.dev_only && d.features.contains(feature));
    named || by_dev_dep
}

/// Marks the files of modules compiled only with a test-support feature as tests.
pub fn mark_test_features(units: &mut [Unit], crates: &[CrateInfo], catalog: &Catalog) {
    let mut test_mods: Vec<(usize, Vec<String>)> = vec![];
    for u in units.iter() {
        let Some(krate) = crates.get(u.krate) else {
            continue;
        };
        for m in &u.facts.feature_mods {
            if m.features.iter().any(|f| test_feature(catalog, krate, f)) {
                test_mods.push((u.krate, m.path.clone()));
            }
        }
    }
    if test_mods.is_empty() {
        return;
    }
    for u in units.iter_mut() {
        if u.role == Role::Service
            && test_mods
                .iter()
                .any(|(k, p)| *k == u.krate && u.facts.module.starts_with(p))
        {
            u.role = Role::Test;
        }
    }
}
