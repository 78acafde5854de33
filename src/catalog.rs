//! The knowledge scalelint has of the ecosystem, as data: `rules/catalog/*.toml`,
//! compiled in, plus the `[catalog]` additions of the user's config.

use serde::Deserialize;

/// The catalog files, in load order. Each is a TOML document whose top-level arrays are
/// sections (`[[pool]]`, `[[framework]]`, ...); the same section in several files is concatenated.
pub const FILES: &[(&str, &str)] = &[
    ("pools.toml", include_str!("../rules/catalog/pools.toml")),
    (
        "frameworks.toml",
        include_str!("../rules/catalog/frameworks.toml"),
    ),
    (
        "migrations.toml",
        include_str!("../rules/catalog/migrations.toml"),
    ),
];

/// A connection-pool library and how its size is written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolEntry {
    pub library: String,
    /// Library names (`use` roots) any of which the crate must depend on.
    pub crates: Vec<String>,
    /// Crates that re-export the library (`diesel::r2d2`, `diesel_async::pooled_connection::bb8`).
    #[serde(default)]
    pub via: Vec<String>,
    /// Calls that start a pool builder, as path suffixes: `PgPoolOptions::new`.
    #[serde(default)]
    pub builders: Vec<String>,
    /// Calls that open a pool at the default size without a builder: `PgPool::connect`.
    #[serde(default)]
    pub default_connects: Vec<String>,
    /// Builder methods that set the maximum: `max_connections`.
    #[serde(default)]
    pub size_methods: Vec<String>,
    /// Builder methods that finish the pool (`connect`, `build`); a chain without one is not a pool yet.
    #[serde(default)]
    pub finish_methods: Vec<String>,
    /// Calls that build a size value: `PoolConfig::new(n)`.
    #[serde(default)]
    pub size_constructors: Vec<String>,
    /// Struct-literal fields that hold the size: `PoolConfig { max_size: n, .. }`.
    #[serde(default)]
    pub size_fields: Vec<String>,
    /// Methods that create a pool from a config value (`cfg.create_pool(..)`) and types of that config.
    #[serde(default)]
    pub config_creates: Vec<String>,
    #[serde(default)]
    pub config_types: Vec<String>,
    /// The field of the config that holds the pool settings (`pool` in deadpool's `Config`).
    #[serde(default)]
    pub config_pool_field: Option<String>,
    /// The maximum when nothing sets it; absent when it grows with the host.
    pub default_size: Option<u64>,
    #[serde(default)]
    pub grows_with_host: bool,
    /// How the default is computed, for the note.
    #[serde(default)]
    pub default_note: String,
    /// A size of 0 means "no limit" (mobc's `max_open(0)`).
    #[serde(default)]
    pub zero_is_unlimited: bool,
    /// Where this was checked.
    pub source: String,
}

/// Names under which services keep pool sizes in config files and the environment.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolKeys {
    /// Keys of TOML config files (`max_connections`, or dotted `pool.max_size`).
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Environment variables (`DATABASE_MAX_CONNECTIONS`); matched by suffix, case-insensitively.
    #[serde(default)]
    pub env_suffixes: Vec<String>,
}

/// A crate whose presence makes a crate a service (a server or worker framework).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrameworkEntry {
    pub name: String,
    pub crates: Vec<String>,
    #[serde(default)]
    pub kind: String,
}

/// A call shape that starts at `root` (a call path suffix, or a macro path ending in `!`) and
/// applies migrations with one of `methods`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChainShape {
    pub root: String,
    pub methods: Vec<String>,
}

/// Whether a migration runner serialises instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerLocks {
    /// Takes no lock.
    Never,
    /// Locks on some backends while its locking switch is on (sqlx).
    ByBackend,
}

/// A library that applies schema migrations from code (see `rules/catalog/migrations.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MigrationRunner {
    pub library: String,
    pub crates: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    #[serde(default)]
    pub chains: Vec<ChainShape>,
    #[serde(default)]
    pub trait_impls: Vec<String>,
    #[serde(default)]
    pub trait_fns: Vec<String>,
    #[serde(default)]
    pub macro_markers: Vec<String>,
    pub locks: RunnerLocks,
    #[serde(default)]
    pub lock_backends: Vec<String>,
    #[serde(default)]
    pub silent_backends: Vec<String>,
    #[serde(default)]
    pub locking_off_methods: Vec<String>,
    #[serde(default)]
    pub locking_off_fields: Vec<String>,
    /// Why it does not lock, for the note.
    pub why: String,
    /// Commands of its CLI that apply the same migrations.
    #[serde(default)]
    pub cli: Vec<String>,
    /// Why the CLI does not lock either, when that differs from `why`.
    #[serde(default)]
    pub cli_note: Option<String>,
    pub source: String,
}

/// How deploy files are read for migrations run in every replica.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MigrationDeploy {
    #[serde(default)]
    pub migrate_words: Vec<String>,
    #[serde(default)]
    pub entrypoint_scripts: Vec<String>,
    #[serde(default)]
    pub replica_kinds: Vec<String>,
    #[serde(default)]
    pub hook_annotations: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Catalog {
    #[serde(default)]
    pub migration_runner: Vec<MigrationRunner>,
    #[serde(default)]
    pub migration_deploy: MigrationDeploy,
    #[serde(default)]
    pub pool: Vec<PoolEntry>,
    #[serde(default)]
    pub pool_keys: Vec<PoolKeys>,
    #[serde(default)]
    pub framework: Vec<FrameworkEntry>,
}

impl Catalog {
    /// The built-in catalog. Its files are part of the binary and tested, so a failure here is a bug.
    pub fn builtin() -> Catalog {
        let mut merged = toml::Table::new();
        for (name, text) in FILES {
            let table: toml::Table =
                toml::from_str(text).unwrap_or_else(|e| panic!("rules/catalog/{name}: {e}"));
            merge(&mut merged, table);
        }
        Catalog::deserialize(toml::Value::Table(merged))
            .unwrap_or_else(|e| panic!("rules/catalog: {e}"))
    }

    /// The built-in catalog with the user's `[catalog]` additions.
    pub fn with_additions(additions: Option<&toml::Table>) -> Result<Catalog, String> {
        let mut merged = toml::Table::new();
        for (_, text) in FILES {
            merge(
                &mut merged,
                toml::from_str(text).map_err(|e| e.to_string())?,
            );
        }
        if let Some(extra) = additions {
            merge(&mut merged, extra.clone());
        }
        Catalog::deserialize(toml::Value::Table(merged))
            .map_err(|e| format!("[catalog]: {}", e.message()))
    }

    pub fn service_crates(&self) -> impl Iterator<Item = &str> {
        self.framework
            .iter()
            .flat_map(|f| f.crates.iter().map(String::as_str))
    }

    pub fn config_keys(&self) -> impl Iterator<Item = &str> {
        self.pool_keys
            .iter()
            .flat_map(|k| k.config_keys.iter().map(String::as_str))
    }

    pub fn env_suffixes(&self) -> impl Iterator<Item = &str> {
        self.pool_keys
            .iter()
            .flat_map(|k| k.env_suffixes.iter().map(String::as_str))
    }
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Array(a)), toml::Value::Array(b)) => a.extend(b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Splits a catalog path pattern (`PgPoolOptions::new`) into segments.
pub fn segments(pattern: &str) -> Vec<&str> {
    pattern.split("::").collect()
}
