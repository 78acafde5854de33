//! `scalelint.toml` (or `.scalelint.toml`, or `[workspace.metadata.scalelint]` /
//! `[package.metadata.scalelint]` in `Cargo.toml`): read strictly, errors point into the file.

use crate::source::line_starts;
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

    pub fn level(&self, rule: &str) -> Option<Level> {
        self.levels.get(rule).copied()
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
        for id in file.rules.keys() {
            if !known_rules.is_empty() && !known_rules.contains(&id.as_str()) {
                return Err(ConfigError(format!(
                    "{at}: unknown rule `{id}` in [rules]{} (see `scalelint rules`)",
                    crate::rules::did_you_mean(id)
                )));
            }
        }
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &file.exclude {
            let glob = globset::Glob::new(pattern)
                .map_err(|e| ConfigError(format!("{at}: exclude pattern `{pattern}`: {e}")))?;
            builder.add(glob);
        }
        let exclude = builder
            .build()
            .map_err(|e| ConfigError(format!("{at}: exclude: {e}")))?;
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
        Ok(config)
    }

    /// Finds and reads the configuration of the workspace rooted at `root`. `explicit` is `--config`.
    pub fn load(
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

# Additions to the knowledge catalog, in the shape of rules/catalog/*.toml.
# [[catalog.framework]]
# name = "my-framework"
# crates = ["my_framework"]
"#;
