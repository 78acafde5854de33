//! The parts of a workspace with settings of their own: nested `scalelint.toml` files and
//! `[[overrides]]` entries, found and checked here, applied by [`super::Config::with_scopes`].

use super::{ConfigError, Level, OverrideConfig, RuleConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Settings for part of the workspace: a nested `scalelint.toml` (every file under its folder)
/// or one `[[overrides]]` entry (the files its globs match).
#[derive(Clone, Debug)]
pub struct Scope {
    /// The folder the globs are relative to (the folder of the file that says them).
    pub(super) base: PathBuf,
    /// `None` for a nested configuration file: everything under `base`.
    pub(super) globs: Option<globset::GlobSet>,
    /// `services/billing/scalelint.toml` or `scalelint.toml, [[overrides]] 1`.
    pub label: String,
    /// The file of a nested configuration, for the list of files read.
    pub file: Option<PathBuf>,
    pub(super) instances: Option<u64>,
    pub(super) max_connections: Option<u64>,
    pub(super) reserved_connections: Option<u64>,
    pub(super) levels: BTreeMap<String, Level>,
}

impl Scope {
    pub(super) fn matches(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.base) else {
            return false;
        };
        match &self.globs {
            None => true,
            // `services/billing` matches the files under that folder as well as `services/billing/**`.
            Some(globs) => rel
                .ancestors()
                .any(|a| !a.as_os_str().is_empty() && globs.is_match(a)),
        }
    }
}

pub(super) fn check_rules(
    rules: &BTreeMap<String, RuleConfig>,
    at: &str,
    known_rules: &[&str],
) -> Result<(), ConfigError> {
    for id in rules.keys() {
        if !known_rules.is_empty() && !known_rules.contains(&id.as_str()) {
            return Err(ConfigError(format!(
                "{at}: unknown rule `{id}` in [rules]{} (see `scalelint rules`)",
                crate::rules::did_you_mean(id)
            )));
        }
    }
    Ok(())
}

/// A file's `[[overrides]]` as scopes, their globs relative to `base`.
pub(super) fn override_scopes(
    overrides: &[OverrideConfig],
    base: &Path,
    shown: &str,
    at: &str,
    known_rules: &[&str],
) -> Result<Vec<Scope>, ConfigError> {
    let mut scopes = vec![];
    for (n, o) in overrides.iter().enumerate() {
        let n = n + 1;
        if o.paths.is_empty() {
            return Err(ConfigError(format!(
                "{at}: [[overrides]] {n}: `paths` is empty (globs relative to this file, e.g. \
                 [\"services/billing/**\"])"
            )));
        }
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &o.paths {
            let glob = globset::Glob::new(pattern.trim_end_matches('/')).map_err(|e| {
                ConfigError(format!(
                    "{at}: [[overrides]] {n}: `paths` pattern `{pattern}`: {e}"
                ))
            })?;
            builder.add(glob);
        }
        let globs = builder
            .build()
            .map_err(|e| ConfigError(format!("{at}: [[overrides]] {n}: `paths`: {e}")))?;
        check_rules(&o.rules, &format!("{at}: [[overrides]] {n}"), known_rules)?;
        scopes.push(Scope {
            base: base.to_path_buf(),
            globs: Some(globs),
            label: format!("{shown}, [[overrides]] {n}"),
            file: None,
            instances: o.instances,
            max_connections: o.database.max_connections,
            reserved_connections: o.database.reserved_connections,
            levels: o.rules.iter().map(|(k, v)| (k.clone(), v.level)).collect(),
        });
    }
    Ok(scopes)
}

/// The `scalelint.toml` (or `.scalelint.toml`) files below `root`, outermost first (not the
/// root's own; not in the folders the file walk skips: `target/`, `node_modules/`, hidden ones).
pub(super) fn nested_files(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            !e.file_type().is_dir() || !crate::workspace::skip_dir(&e.file_name().to_string_lossy())
        })
        .filter_map(Result::ok)
        .filter(|e| {
            e.depth() > 1
                && e.file_type().is_file()
                && matches!(
                    e.file_name().to_str(),
                    Some("scalelint.toml" | ".scalelint.toml")
                )
        })
        .map(walkdir::DirEntry::into_path)
        .collect();
    // Outermost first; in one folder `scalelint.toml` wins over `.scalelint.toml`, as at the root.
    found.sort_by_key(|p| {
        (
            p.components().count(),
            p.parent().map(Path::to_path_buf),
            !p.ends_with("scalelint.toml"),
        )
    });
    found.dedup_by(|later, first| later.parent() == first.parent());
    found
}
