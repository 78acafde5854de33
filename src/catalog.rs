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
    (
        "schedulers.toml",
        include_str!("../rules/catalog/schedulers.toml"),
    ),
    ("locks.toml", include_str!("../rules/catalog/locks.toml")),
    (
        "side-effects.toml",
        include_str!("../rules/catalog/side-effects.toml"),
    ),
    (
        "logging.toml",
        include_str!("../rules/catalog/logging.toml"),
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

/// A logging macro family (`tracing`, `log`): which macros are events and at what level.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogFamily {
    pub name: String,
    /// The crates (path roots) whose macros these are.
    pub crates: Vec<String>,
    /// Macros that are events at the level of their name (`info!`).
    pub event_macros: Vec<String>,
    /// Macros whose first argument is the level (`event!(Level::INFO, ..)`).
    #[serde(default)]
    pub leveled_macros: Vec<String>,
    /// How level constants are spelled: "upper" (`Level::INFO`) or "camel" (`Level::Info`).
    pub level_case: String,
    pub source: String,
}

/// Macros that print to stdout/stderr.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrintMacros {
    pub names: Vec<String>,
    #[serde(default)]
    pub stderr: Vec<String>,
    /// Macros that return their argument (`dbg!`).
    #[serde(default)]
    pub value_macros: Vec<String>,
}

/// Methods whose closure runs once per item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LoopAdaptors {
    /// Methods that exist only on iterators and streams.
    #[serde(default)]
    pub always: Vec<String>,
    /// Methods that count only on a chain that starts from an iterator or a stream.
    #[serde(default)]
    pub when_iterating: Vec<String>,
    /// Methods that make a chain an iterator (`iter`, `into_iter`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Calls that make a chain a stream (`stream::iter`).
    #[serde(default)]
    pub source_calls: Vec<String>,
    /// A loop body that calls these waits between rounds: it is periodic, not per item.
    #[serde(default)]
    pub periodic_methods: Vec<String>,
    #[serde(default)]
    pub periodic_calls: Vec<String>,
    /// Methods that wait for the next message of a channel, stream or socket
    /// (`rx.recv().await`): a loop that calls one is paced by its messages.
    #[serde(default)]
    pub receives: Vec<String>,
}

/// What a whole request, body, payload or header map looks like.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PayloadShapes {
    /// Extractor and request types (`Json`, `web::Json`, `HeaderMap`).
    #[serde(default)]
    pub extractor_types: Vec<String>,
    /// Variable names that hold a whole payload.
    #[serde(default)]
    pub names: Vec<String>,
    /// Methods returning a whole part of a request (`req.headers()`).
    #[serde(default)]
    pub methods: Vec<String>,
}

/// A call that installs a logger or subscriber.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogInstaller {
    pub name: String,
    pub crates: Vec<String>,
    /// Builder starts whose chain decides the format (`tracing_subscriber::fmt`).
    #[serde(default)]
    pub calls: Vec<String>,
    /// One-call installers with the human format (`fmt::init`, `env_logger::init`).
    #[serde(default)]
    pub inits: Vec<String>,
    /// Layers of a registry (`fmt::layer`).
    #[serde(default)]
    pub layer_calls: Vec<String>,
    /// Chain methods that make it structured (`json`).
    #[serde(default)]
    pub structured_methods: Vec<String>,
    /// Chain methods that choose a human format (`pretty`, `compact`).
    #[serde(default)]
    pub human_methods: Vec<String>,
    /// The Cargo feature the structured format needs.
    #[serde(default)]
    pub json_feature: Option<String>,
    /// The dependency name that carries the feature.
    pub library: String,
}

/// Crates whose use means logs already leave the process structured.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StructuredLogs {
    pub crates: Vec<String>,
}

/// Where default log filters are written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogFilter {
    #[serde(default)]
    pub calls: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    /// The `or` of an environment lookup (`unwrap_or_else`).
    #[serde(default)]
    pub fallbacks: Vec<String>,
    /// Environment lookups whose fallback is a default filter.
    #[serde(default)]
    pub env_lookups: Vec<String>,
    /// Environment variables that hold a filter (`RUST_LOG`).
    #[serde(default)]
    pub env_vars: Vec<String>,
    /// Types whose constants are levels (`Level`, `LevelFilter`).
    #[serde(default)]
    pub level_types: Vec<String>,
    /// Levels that are too verbose for a default (`debug`, `trace`).
    #[serde(default)]
    pub verbose: Vec<String>,
}

/// A database layer that can log every statement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqlLogging {
    pub library: String,
    pub crates: Vec<String>,
    /// Calls that start an options value (`ConnectOptions::new`).
    #[serde(default)]
    pub options: Vec<String>,
    /// Calls that connect with default options when given a URL (`Database::connect`).
    #[serde(default)]
    pub connects: Vec<String>,
    /// The on/off method (`sqlx_logging`).
    #[serde(default)]
    pub switch: Option<String>,
    /// The method that sets the statement level (`sqlx_logging_level`, `log_statements`).
    pub level_method: String,
    /// Statements are logged at `default_level` when nothing is set.
    pub logs_by_default: bool,
    pub default_level: String,
    pub source: String,
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

/// An in-process scheduler crate and how it creates jobs (`rules/catalog/schedulers.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchedulerEntry {
    pub library: String,
    /// Library names (`use` roots); the crate must depend on one of them.
    pub crates: Vec<String>,
    /// Calls that create a job, as path suffixes: `Job::new_async`.
    #[serde(default)]
    pub job_calls: Vec<String>,
    /// Method chains that create a job, `first..last`: `every..run`.
    #[serde(default)]
    pub job_chains: Vec<String>,
    /// The argument of a job call that holds the schedule.
    #[serde(default)]
    pub schedule_arg: Option<usize>,
    /// Chain methods whose argument is the schedule.
    #[serde(default)]
    pub schedule_methods: Vec<String>,
    /// Calls that build the scheduler value.
    #[serde(default)]
    pub constructors: Vec<String>,
    /// Methods a loop calls to run the due jobs (`tick`, `run_pending`).
    #[serde(default)]
    pub drive_methods: Vec<String>,
    pub source: String,
}

/// Functions and methods that start a task or thread.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SpawnEntry {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub source: String,
}

/// Timer calls that pace a loop.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TimerEntry {
    #[serde(default)]
    pub sleeps: Vec<String>,
    #[serde(default)]
    pub intervals: Vec<String>,
    #[serde(default)]
    pub tick_methods: Vec<String>,
    pub source: String,
}

/// Methods that run a callback on a timer (actix `run_interval`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TimerCallbackEntry {
    pub crates: Vec<String>,
    pub methods: Vec<String>,
    #[serde(default)]
    pub schedule_arg: Option<usize>,
    pub source: String,
}

/// How a catalog entry recognises calls: path suffixes of calls and values, method names.
#[derive(Clone, Copy, Debug)]
pub struct CallPatterns<'a> {
    pub crates: &'a [String],
    pub calls: &'a [String],
    pub calls_any_root: bool,
    pub paths: &'a [String],
    pub methods: &'a [String],
    pub method_args: Option<usize>,
}

macro_rules! call_patterns {
    ($t:ty) => {
        impl $t {
            pub fn patterns(&self) -> CallPatterns<'_> {
                CallPatterns {
                    crates: &self.crates,
                    calls: &self.calls,
                    calls_any_root: self.calls_any_root,
                    paths: &self.paths,
                    methods: &self.methods,
                    method_args: self.method_args,
                }
            }
        }
    };
}
call_patterns!(LockEntry);
call_patterns!(SideEffectEntry);

/// A lock primitive (`rules/catalog/locks.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockEntry {
    pub name: String,
    /// Whether it excludes other processes (a Postgres advisory lock) or only other tasks of one
    /// process (a `tokio::sync::Mutex`).
    pub cross_process: bool,
    /// A row claim (`FOR UPDATE SKIP LOCKED`): it guards only what takes it, not the whole job.
    #[serde(default)]
    pub claim_only: bool,
    /// Case-insensitive substrings of SQL text.
    #[serde(default)]
    pub sql: Vec<String>,
    /// The literal `"NX"` of a raw Redis `SET`.
    #[serde(default)]
    pub redis_nx_literal: bool,
    /// Case-insensitive substrings of SQL text that release the lock (`pg_advisory_unlock`).
    #[serde(default)]
    pub release_sql: Vec<String>,
    /// Methods that release it early (sqlx `PgAdvisoryLockGuard::release_now`).
    #[serde(default)]
    pub release_methods: Vec<String>,
    /// Type names (with `type-crates`) that name the lock in notes: `tokio::sync::Mutex`.
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub type_crates: Vec<String>,
    /// The file must name one of these crates (empty: any file).
    #[serde(default)]
    pub crates: Vec<String>,
    /// Calls, as path suffixes.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Calls match by suffix alone (`user::Entity::insert`), not only from the crate's root.
    #[serde(default)]
    pub calls_any_root: bool,
    /// Values (paths that are not called), as path suffixes.
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    /// The argument count of `methods` (absent: any).
    #[serde(default)]
    pub method_args: Option<usize>,
    pub source: String,
}

/// A shared side effect (`rules/catalog/side-effects.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SideEffectEntry {
    pub name: String,
    pub kind: String,
    /// SQL statements that write, matched as words in string literals.
    #[serde(default)]
    pub sql_writes: Vec<String>,
    /// The file must name one of these crates (empty: any file).
    #[serde(default)]
    pub crates: Vec<String>,
    /// Calls, as path suffixes.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Calls match by suffix alone (`user::Entity::insert`), not only from the crate's root.
    #[serde(default)]
    pub calls_any_root: bool,
    /// Values (paths that are not called), as path suffixes.
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    /// The argument count of `methods` (absent: any).
    #[serde(default)]
    pub method_args: Option<usize>,
    pub source: String,
}

/// Libraries through which code reaches a database: a crate without any cannot write to one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseDriver {
    pub crates: Vec<String>,
    pub source: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Catalog {
    #[serde(default)]
    pub database_driver: Vec<DatabaseDriver>,
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
    #[serde(default)]
    pub log_family: Vec<LogFamily>,
    #[serde(default)]
    pub print_macros: Vec<PrintMacros>,
    #[serde(default)]
    pub loop_adaptors: Vec<LoopAdaptors>,
    #[serde(default)]
    pub payload: Vec<PayloadShapes>,
    #[serde(default)]
    pub log_installer: Vec<LogInstaller>,
    #[serde(default)]
    pub structured_logs: Vec<StructuredLogs>,
    #[serde(default)]
    pub log_filter: Vec<LogFilter>,
    #[serde(default)]
    pub sql_logging: Vec<SqlLogging>,
    #[serde(default)]
    pub scheduler: Vec<SchedulerEntry>,
    #[serde(default)]
    pub spawn: Vec<SpawnEntry>,
    #[serde(default)]
    pub timer: Vec<TimerEntry>,
    #[serde(default)]
    pub timer_callback: Vec<TimerCallbackEntry>,
    #[serde(default)]
    pub lock: Vec<LockEntry>,
    #[serde(default)]
    pub side_effect: Vec<SideEffectEntry>,
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
