//! Catalogue entries of services: state kept in one process, connection pools, frameworks and
//! the calls that start serving, and the roles code can have (debug switches, test features).

use serde::Deserialize;

/// Something that keeps state in one process, or feeds it (`rules/catalog/state.toml`): which
/// rule of the `state` family reports it, how it is written, and what to use instead.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StateEntry {
    /// The rule that reports it; empty for a fact other entries use (`random`, `key-sink`).
    #[serde(default)]
    pub(crate) rule: String,
    pub(crate) library: String,
    /// Library names (`use` roots) any of which the crate must depend on.
    pub(crate) crates: Vec<String>,
    /// Calls (and struct literals) that build it, as path suffixes: `MemoryStore::default`.
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    /// Method names that are it (randomness: `.fill_bytes(..)`).
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    /// How it is judged: `store` (state wherever it is built), `keyed` (a limiter keyed by
    /// client), `global` (one limiter for the process: reported where it is built once per
    /// process), `key` (a signing key from fresh randomness), `key-sink` (what turns bytes into a
    /// signing key), `random` (fresh randomness), `trait` (a store interface a type implements).
    pub(crate) kind: String,
    /// What it is, for the message.
    #[serde(default)]
    pub(crate) what: String,
    /// The concrete replacement, for the fix.
    #[serde(default)]
    pub(crate) fix: String,
    /// Where this was checked.
    pub(crate) source: String,
}

/// A connection-pool library and how its size is written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolEntry {
    pub(crate) library: String,
    /// Library names (`use` roots) any of which the crate must depend on.
    pub(crate) crates: Vec<String>,
    /// Crates that re-export the library (`diesel::r2d2`, `diesel_async::pooled_connection::bb8`).
    #[serde(default)]
    pub(crate) via: Vec<String>,
    /// Calls that start a pool builder, as path suffixes: `PgPoolOptions::new`.
    #[serde(default)]
    pub(crate) builders: Vec<String>,
    /// Calls that open a pool at the default size without a builder: `PgPool::connect`.
    #[serde(default)]
    pub(crate) default_connects: Vec<String>,
    /// Builder methods that set the maximum: `max_connections`.
    #[serde(default)]
    pub(crate) size_methods: Vec<String>,
    /// Calls that build a size value: `PoolConfig::new(n)`.
    #[serde(default)]
    pub(crate) size_constructors: Vec<String>,
    /// Struct-literal fields that hold the size: `PoolConfig { max_size: n, .. }`.
    #[serde(default)]
    pub(crate) size_fields: Vec<String>,
    /// Methods that create a pool from a config value (`cfg.create_pool(..)`) and types of that config.
    #[serde(default)]
    pub(crate) config_creates: Vec<String>,
    #[serde(default)]
    pub(crate) config_types: Vec<String>,
    /// The field of the config that holds the pool settings (`pool` in deadpool's `Config`).
    #[serde(default)]
    pub(crate) config_pool_field: Option<String>,
    /// The maximum when nothing sets it; absent when it grows with the host.
    pub(crate) default_size: Option<u64>,
    #[serde(default)]
    pub(crate) grows_with_host: bool,
    /// How the default is computed, for the note.
    #[serde(default)]
    pub(crate) default_note: String,
    /// A size of 0 means "no limit" (mobc's `max_open(0)`).
    #[serde(default)]
    pub(crate) zero_is_unlimited: bool,
    /// Where this was checked.
    pub(crate) source: String,
}

/// Names under which services keep pool sizes in config files and the environment.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolKeys {
    /// Keys of TOML config files (`max_connections`, or dotted `pool.max_size`).
    #[serde(default)]
    pub(crate) config_keys: Vec<String>,
    /// Environment variables (`DATABASE_MAX_CONNECTIONS`); matched by suffix, case-insensitively.
    #[serde(default)]
    pub(crate) env_suffixes: Vec<String>,
}

/// A crate whose presence makes a crate a service (a server or worker framework).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrameworkEntry {
    pub(crate) name: String,
    pub(crate) crates: Vec<String>,
}

/// A call that starts serving or consuming (`rules/catalog/entry-points.toml`): the code path a
/// replica runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeEntry {
    pub(crate) framework: String,
    pub(crate) crates: Vec<String>,
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    #[serde(default)]
    pub(crate) attributes: Vec<String>,
    /// It waits (for a signal) rather than serving: in a task handed to `spawn` it is a shutdown
    /// listener, not what keeps the process running.
    #[serde(default)]
    pub(crate) waits: bool,
    pub(crate) source: String,
}

/// A framework trait whose implementations are commands an operator runs by hand
/// (`rules/catalog/entry-points.toml`): loco's `Task`, run with `cargo loco task NAME`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CommandTrait {
    pub(crate) framework: String,
    pub(crate) crates: Vec<String>,
    /// Trait names (the last segment of the `impl` path).
    pub(crate) traits: Vec<String>,
    pub(crate) source: String,
}

/// A debugging switch: an `if` on a flag whose name holds one of `words`, or a level check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DebugSwitch {
    pub(crate) words: Vec<String>,
    #[serde(default)]
    pub(crate) level_checks: Vec<String>,
    #[serde(default)]
    pub(crate) levels: Vec<String>,
    pub(crate) source: String,
}

/// A cargo feature that turns on test support, by its name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TestFeature {
    pub(crate) names: Vec<String>,
    pub(crate) source: String,
}

/// Crates whose dependents exist for tests (`rules/catalog/entry-points.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TestSupport {
    pub(crate) crates: Vec<String>,
    pub(crate) source: String,
}

/// Types of a request guard only an administrator passes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperatorGuard {
    pub(crate) types: Vec<String>,
    pub(crate) source: String,
}
