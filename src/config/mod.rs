//! `scalelint.toml` (or `.scalelint.toml`, or `[workspace.metadata.scalelint]` /
//! `[package.metadata.scalelint]` in `Cargo.toml`): read strictly, errors point into the file.
//!
//! In a monorepo, a `scalelint.toml` below the workspace root (a member crate's, or a folder of
//! services') applies to the files under it, on top of the workspace's: the nearest one wins for
//! what it sets. `[[overrides]] paths = [..]` does the same for the paths its globs match.
//! Only the numbers (`instances`, `[database]`) and `[rules]` levels vary by path.

mod scopes;
mod show;

pub use scopes::Scope;
pub use show::show;

use crate::source::line_starts;
use scopes::{check_rules, nested_files, override_scopes};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_INSTANCES: u64 = 4;
pub const DEFAULT_MAX_CONNECTIONS: u64 = 100;
pub const DEFAULT_RESERVED: u64 = 10;
/// 64 MiB: generated files of tens of megabytes are still checked; `/dev/zero` behind a link is not.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
    Allow,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseConfig {
    pub max_connections: Option<u64>,
    pub reserved_connections: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    pub level: Level,
}

/// `[[overrides]]`: settings for the paths its globs match (relative to its file's folder).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideConfig {
    pub paths: Vec<String>,
    pub instances: Option<u64>,
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub instances: Option<u64>,
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub lock_functions: Vec<String>,
    #[serde(default)]
    pub leader_functions: Vec<String>,
    pub service: Option<bool>,
    #[serde(default)]
    pub single_instance: Vec<String>,
    #[serde(default)]
    pub shared_paths: Vec<String>,
    pub max_file_size: Option<u64>,
    pub catalog: Option<toml::Table>,
    pub require_reason: Option<bool>,
    #[serde(default)]
    pub overrides: Vec<OverrideConfig>,
}

/// Settings from the command line; they win over the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub instances: Option<u64>,
    pub max_connections: Option<u64>,
    pub reserved_connections: Option<u64>,
}

/// The settings in force for one workspace.
#[derive(Clone, Debug)]
pub struct Config {
    pub source: Option<PathBuf>,
    pub instances: u64,
    /// Where `instances` was set (`--instances`, `scalelint.toml, \`instances\``), when not
    /// the default: deploy files do not override it then.
    pub instances_set: Option<String>,
    pub max_connections: u64,
    /// As `instances_set`, for `max_connections`.
    pub max_connections_set: Option<String>,
    /// As `instances_set`, for `reserved_connections`.
    pub reserved_connections_set: Option<String>,
    pub reserved_connections: u64,
    pub levels: BTreeMap<String, Level>,
    pub exclude: globset::GlobSet,
    pub exclude_patterns: Vec<String>,
    pub lock_functions: Vec<String>,
    /// Functions that say whether this instance is the leader (`cluster::is_leader`): a job that
    /// checks one runs on one instance.
    pub leader_functions: Vec<String>,
    pub service: Option<bool>,
    pub single_instance: Vec<String>,
    /// Directories every instance shares (a network volume), as a path prefix (`/mnt/uploads`)
    /// or the name of the setting that holds one (`upload_dir`, `storage.path`):
    /// `local-file-storage` stays silent for files written there.
    pub shared_paths: Vec<String>,
    /// Files larger than this many bytes are not read (a `parse-error` says so).
    pub max_file_size: u64,
    pub catalog: Option<toml::Table>,
    /// Every allow comment must give a reason (`allow-without-reason` reports those that do not).
    pub require_reason: bool,
    /// Nested configuration files and `[[overrides]]`, outermost first: a later one wins.
    pub scopes: Vec<Scope>,
    /// Where each setting that is not a default came from, by its key (`instances`,
    /// `database.max-connections`, `rules.oversized-pool`, `exclude`).
    pub origins: BTreeMap<String, String>,
    cli: Overrides,
}

/// A configuration error: where it is and what is wrong, as one line.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    pub fn defaults() -> Config {
        Config::from_file(FileConfig::default(), None, &Overrides::default(), &[])
            .expect("defaults are valid")
    }

    pub fn per_instance_budget(&self) -> u64 {
        self.max_connections
            .saturating_sub(self.reserved_connections)
            / self.instances.max(1)
    }

    /// The connections the database leaves for the service's instances.
    pub fn available(&self) -> u64 {
        self.max_connections
            .saturating_sub(self.reserved_connections)
    }

    /// The workspace's level of `rule`. `Allow` only when it is off everywhere: a rule the
    /// workspace turns off but a nested file or override turns on still runs (its findings
    /// take their level from [`Config::level_at`]).
    pub fn level(&self, rule: &str) -> Option<Level> {
        let level = self.levels.get(rule).copied();
        let on_somewhere = || {
            self.scopes
                .iter()
                .any(|s| s.levels.get(rule).is_some_and(|l| *l != Level::Allow))
        };
        if level == Some(Level::Allow) && on_somewhere() {
            return None;
        }
        level
    }

    fn from_file(
        file: FileConfig,
        source: Option<PathBuf>,
        overrides: &Overrides,
        known_rules: &[&str],
    ) -> Result<Config, ConfigError> {
        let at = source
            .as_ref()
            .map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
        // Said in notes: relative to where scalelint runs, as the findings' paths are.
        let shown = source.as_ref().map_or_else(String::new, |p| {
            let cwd = std::env::current_dir().unwrap_or_default();
            p.strip_prefix(&cwd).unwrap_or(p).display().to_string()
        });
        check_rules(&file.rules, &at, known_rules)?;
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &file.exclude {
            let glob = globset::Glob::new(pattern)
                .map_err(|e| ConfigError(format!("{at}: exclude pattern `{pattern}`: {e}")))?;
            builder.add(glob);
        }
        let exclude = builder
            .build()
            .map_err(|e| ConfigError(format!("{at}: exclude: {e}")))?;
        let mut origins = BTreeMap::new();
        let mut note = |key: &str, set: bool| {
            if set {
                origins.insert(key.to_string(), shown.clone());
            }
        };
        note("instances", file.instances.is_some());
        note(
            "database.max-connections",
            file.database.max_connections.is_some(),
        );
        note(
            "database.reserved-connections",
            file.database.reserved_connections.is_some(),
        );
        for id in file.rules.keys() {
            note(&format!("rules.{id}"), true);
        }
        note("exclude", !file.exclude.is_empty());
        note("lock-functions", !file.lock_functions.is_empty());
        note("leader-functions", !file.leader_functions.is_empty());
        note("single-instance", !file.single_instance.is_empty());
        note("service", file.service.is_some());
        note("max-file-size", file.max_file_size.is_some());
        note("catalog", file.catalog.is_some());
        note("require-reason", file.require_reason.is_some());
        for (key, flag, set) in [
            ("instances", "--instances", overrides.instances.is_some()),
            (
                "database.max-connections",
                "--db-max-connections",
                overrides.max_connections.is_some(),
            ),
            (
                "database.reserved-connections",
                "--reserved-connections",
                overrides.reserved_connections.is_some(),
            ),
        ] {
            if set {
                origins.insert(key.to_string(), flag.to_string());
            }
        }
        let base = source
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let scopes = override_scopes(&file.overrides, &base, &shown, &at, known_rules)?;
        let origin = |cli: Option<u64>, file: Option<u64>, flag: &str, key: &str| {
            if cli.is_some() {
                Some(format!("--{flag}"))
            } else {
                file.map(|_| format!("{shown}, `{key}`"))
            }
        };
        let config = Config {
            source,
            instances: overrides
                .instances
                .or(file.instances)
                .unwrap_or(DEFAULT_INSTANCES),
            instances_set: origin(
                overrides.instances,
                file.instances,
                "instances",
                "instances",
            ),
            max_connections_set: origin(
                overrides.max_connections,
                file.database.max_connections,
                "db-max-connections",
                "[database] max-connections",
            ),
            reserved_connections_set: origin(
                overrides.reserved_connections,
                file.database.reserved_connections,
                "reserved-connections",
                "[database] reserved-connections",
            ),
            max_connections: overrides
                .max_connections
                .or(file.database.max_connections)
                .unwrap_or(DEFAULT_MAX_CONNECTIONS),
            reserved_connections: overrides
                .reserved_connections
                .or(file.database.reserved_connections)
                .unwrap_or(DEFAULT_RESERVED),
            levels: file.rules.into_iter().map(|(k, v)| (k, v.level)).collect(),
            exclude,
            exclude_patterns: file.exclude,
            lock_functions: file.lock_functions,
            leader_functions: file.leader_functions,
            service: file.service,
            single_instance: file.single_instance,
            shared_paths: file.shared_paths,
            max_file_size: file.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            catalog: file.catalog,
            require_reason: file.require_reason.unwrap_or(false),
            scopes: vec![],
            origins,
            cli: overrides.clone(),
        };
        for p in &config.shared_paths {
            let problem = if p.trim().is_empty() {
                Some("is empty")
            } else if p.trim() != p {
                Some("has spaces around it")
            } else if p.contains(['*', '?', '[', ']', '{', '}']) {
                Some("is a glob; globs are not supported")
            } else if p.contains(['\n', '\r', '\t']) {
                Some("holds a control character")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(ConfigError(format!(
                    "{at}: shared-paths: `{p}` {problem}: write a directory every instance mounts (`/mnt/uploads`) or the setting that holds one (`upload_dir`, `storage.path`)"
                )));
            }
        }
        if config.instances == 0 {
            return Err(ConfigError(format!("{at}: instances must be at least 1")));
        }
        if config.reserved_connections >= config.max_connections {
            return Err(ConfigError(format!(
                "{at}: reserved-connections ({}) must be below max-connections ({})",
                config.reserved_connections, config.max_connections
            )));
        }
        let mut config = config;
        for scope in scopes {
            config.add_scope(scope)?;
        }
        Ok(config)
    }

    /// Adds a nested file's or an override's settings, checked against the workspace's.
    fn add_scope(&mut self, scope: Scope) -> Result<(), ConfigError> {
        if scope.instances == Some(0) {
            return Err(ConfigError(format!(
                "{}: `instances` must be at least 1",
                scope.label
            )));
        }
        let max = scope.max_connections.unwrap_or(self.max_connections);
        let reserved = scope
            .reserved_connections
            .unwrap_or(self.reserved_connections);
        if reserved >= max {
            return Err(ConfigError(format!(
                "{}: `reserved-connections` ({reserved}) must be below `max-connections` ({max})",
                scope.label
            )));
        }
        self.scopes.push(scope);
        Ok(())
    }

    /// The indexes of the scopes that apply to `path` (absolute), outermost first.
    pub fn scopes_at(&self, path: &Path) -> Vec<usize> {
        (0..self.scopes.len())
            .filter(|&i| self.scopes[i].matches(path))
            .collect()
    }

    /// The settings in force for `path`: the workspace's, then each scope that applies to it
    /// (the command line still wins). `None` when no scope applies: the workspace's own.
    pub fn at(&self, path: &Path) -> Option<Config> {
        let scopes = self.scopes_at(path);
        (!scopes.is_empty()).then(|| self.with_scopes(&scopes))
    }

    /// The settings with the given scopes applied, in order.
    pub fn with_scopes(&self, scopes: &[usize]) -> Config {
        let mut c = Config {
            scopes: vec![],
            ..self.clone()
        };
        for scope in scopes.iter().map(|&i| &self.scopes[i]) {
            let said = |key: &str| format!("{}, `{key}`", scope.label);
            if let Some(n) = scope.instances.filter(|_| self.cli.instances.is_none()) {
                c.instances = n;
                c.instances_set = Some(said("instances"));
                c.origins.insert("instances".into(), scope.label.clone());
            }
            if let Some(n) = scope
                .max_connections
                .filter(|_| self.cli.max_connections.is_none())
            {
                c.max_connections = n;
                c.max_connections_set = Some(said("[database] max-connections"));
                c.origins
                    .insert("database.max-connections".into(), scope.label.clone());
            }
            if let Some(n) = scope
                .reserved_connections
                .filter(|_| self.cli.reserved_connections.is_none())
            {
                c.reserved_connections = n;
                c.reserved_connections_set = Some(said("[database] reserved-connections"));
                c.origins
                    .insert("database.reserved-connections".into(), scope.label.clone());
            }
            for (id, level) in &scope.levels {
                c.levels.insert(id.clone(), *level);
                c.origins.insert(format!("rules.{id}"), scope.label.clone());
            }
        }
        c
    }

    /// The level of `rule` for a finding in `path`: the nearest scope that sets it, else the
    /// workspace's.
    pub fn level_at(&self, rule: &str, path: &Path) -> Option<Level> {
        self.scopes
            .iter()
            .rev()
            .filter(|s| s.matches(path))
            .find_map(|s| s.levels.get(rule).copied())
            .or_else(|| self.levels.get(rule).copied())
    }

    /// Finds and reads the configuration of the workspace rooted at `root`. `explicit` is `--config`.
    /// With no `--config`, the `scalelint.toml` files below `root` apply to the files under them.
    pub fn load(
        root: Option<&Path>,
        explicit: Option<&Path>,
        overrides: &Overrides,
        known_rules: &[&str],
    ) -> Result<Config, ConfigError> {
        let mut config = Self::load_root(root, explicit, overrides, known_rules)?;
        if explicit.is_none()
            && let Some(root) = root
        {
            for file in nested_files(root) {
                config.add_nested(root, &file, known_rules)?;
            }
        }
        Ok(config)
    }

    /// A nested `scalelint.toml`: its numbers and levels, then its `[[overrides]]`.
    fn add_nested(
        &mut self,
        root: &Path,
        path: &Path,
        known_rules: &[&str],
    ) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "{}: cannot read configuration: {e}",
                path.display()
            ))
        })?;
        let file: FileConfig = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        // Said in notes as the workspace's file is: relative to where scalelint runs.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = path
            .strip_prefix(&cwd)
            .unwrap_or(path)
            .display()
            .to_string();
        let workspace = self.source.as_ref().map_or_else(
            || root.join("scalelint.toml").display().to_string(),
            |p| p.display().to_string(),
        );
        let workspace_only = [
            ("exclude", !file.exclude.is_empty()),
            ("lock-functions", !file.lock_functions.is_empty()),
            ("leader-functions", !file.leader_functions.is_empty()),
            ("single-instance", !file.single_instance.is_empty()),
            ("service", file.service.is_some()),
            ("max-file-size", file.max_file_size.is_some()),
            ("catalog", file.catalog.is_some()),
            ("require-reason", file.require_reason.is_some()),
            ("shared-paths", !file.shared_paths.is_empty()),
        ];
        if let Some((key, _)) = workspace_only.iter().find(|(_, set)| *set) {
            return Err(ConfigError(format!(
                "{}: `{key}` applies to the whole workspace: set it in {workspace} (a nested \
                 scalelint.toml sets instances, [database] and [rules] for the files under it)",
                path.display()
            )));
        }
        check_rules(&file.rules, &path.display().to_string(), known_rules)?;
        let base = path.parent().unwrap_or(root).to_path_buf();
        self.add_scope(Scope {
            base: base.clone(),
            globs: None,
            label: shown.clone(),
            file: Some(path.to_path_buf()),
            instances: file.instances,
            max_connections: file.database.max_connections,
            reserved_connections: file.database.reserved_connections,
            levels: file.rules.into_iter().map(|(k, v)| (k, v.level)).collect(),
        })?;
        let at = path.display().to_string();
        for scope in override_scopes(&file.overrides, &base, &shown, &at, known_rules)? {
            self.add_scope(scope)?;
        }
        Ok(())
    }

    fn load_root(
        root: Option<&Path>,
        explicit: Option<&Path>,
        overrides: &Overrides,
        known_rules: &[&str],
    ) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Self::load_file(path, overrides, known_rules);
        }
        if let Some(root) = root {
            for name in ["scalelint.toml", ".scalelint.toml"] {
                let path = root.join(name);
                if path.is_file() {
                    return Self::load_file(&path, overrides, known_rules);
                }
            }
            let manifest = root.join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest)
                && let Some((file, _)) = metadata_table(&manifest, &text)?
            {
                return Self::from_file(file, Some(manifest), overrides, known_rules);
            }
        }
        Self::from_file(FileConfig::default(), None, overrides, known_rules)
    }

    fn load_file(
        path: &Path,
        overrides: &Overrides,
        known_rules: &[&str],
    ) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "{}: cannot read configuration: {e}",
                path.display()
            ))
        })?;
        let file: FileConfig = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        Self::from_file(file, Some(path.to_path_buf()), overrides, known_rules)
    }
}

/// `[workspace.metadata.scalelint]` or `[package.metadata.scalelint]` of a manifest.
fn metadata_table(manifest: &Path, text: &str) -> Result<Option<(FileConfig, ())>, ConfigError> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Ok(None);
    };
    for section in ["workspace", "package"] {
        let table = doc
            .get(section)
            .and_then(|s| s.get("metadata"))
            .and_then(|m| m.get("scalelint"));
        if let Some(table) = table {
            let file = FileConfig::deserialize(table.clone()).map_err(|e| {
                ConfigError(format!(
                    "{}: [{section}.metadata.scalelint]: {}",
                    manifest.display(),
                    e.message()
                ))
            })?;
            return Ok(Some((file, ())));
        }
    }
    Ok(None)
}

/// `path:line:col: message` for a TOML error.
pub fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let starts = line_starts(text);
            let line = starts.partition_point(|&s| s <= span.start);
            let col = text[starts[line - 1]..span.start.min(text.len())]
                .chars()
                .count()
                + 1;
            let key = text.get(span.clone()).unwrap_or("").trim();
            let key = if key.is_empty() || key.len() > 40 {
                String::new()
            } else {
                format!(" (at `{key}`)")
            };
            ConfigError(format!(
                "{}:{line}:{col}: invalid configuration: {message}{key}",
                path.display()
            ))
        }
        None => ConfigError(format!(
            "{}: invalid configuration: {message}",
            path.display()
        )),
    }
}

/// The text `scalelint init` writes.
pub const INIT_TEMPLATE: &str = r#"# scalelint configuration. Everything here is optional; the values shown are the defaults.
# `scalelint explain <rule-id>` describes each rule and its knobs.

# How many instances of the service run behind the load balancer.
instances = 4

# Paths to skip, as globs relative to this file.
exclude = []

# Functions of yours that take a cross-instance lock (matched by name or path suffix).
lock-functions = []

# Functions of yours that say whether this instance is the leader (a raft, etcd or Kubernetes
# lease election): a job that checks one runs on one instance. Matched like lock-functions.
leader-functions = []

# Binaries or crates deployed as exactly one replica: their jobs and migrations are not reported.
single-instance = []

# Directories every instance shares (a network volume mounted on each), as a path prefix
# ("/mnt/uploads") or the setting that holds one ("upload_dir", "storage.path"): files written
# there are not reported by local-file-storage.
shared-paths = []

# Files larger than this many bytes are reported as a parse-error and not read (64 MiB).
max-file-size = 67108864

# Treat the crate as a service (prints are findings) even without a known framework.
# service = true

# Every `// scalelint: allow(rule) reason` comment must give its reason (allow-without-reason).
require-reason = false

[database]
# The database's max_connections (PostgreSQL's default is 100, MySQL's 151).
max-connections = 100
# Connections kept free for operators, migrations and other clients.
reserved-connections = 10

# Per-rule levels: "deny" (error), "warn" or "allow" (off).
# [rules.oversized-pool]
# level = "deny"

# Settings for some paths only (globs relative to this file): instances, [database], rules.
# A scalelint.toml in a member crate's folder does the same for the files under it.
# [[overrides]]
# paths = ["services/billing"]
# instances = 8
# rules.oversized-pool.level = "deny"

# Additions to the knowledge catalog, in the shape of rules/catalog/*.toml.
# [[catalog.framework]]
# name = "my-framework"
# crates = ["my_framework"]
"#;
