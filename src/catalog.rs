//! The knowledge scalelint has of the ecosystem, as data: `rules/catalog/*.toml`,
//! compiled in, plus the `[catalog]` additions of the user's config.
//!
//! Every field of an entry is `pub(crate)` and the module denies dead code, so a field that is
//! parsed and never read does not compile (the crate's public API would otherwise hide it from
//! rustc's dead-code analysis); `fields_are_crate_visible` below keeps it that way, and
//! `deny_unknown_fields` rejects a key the structs do not have.
#![deny(dead_code)]

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
    (
        "entry-points.toml",
        include_str!("../rules/catalog/entry-points.toml"),
    ),
    ("state.toml", include_str!("../rules/catalog/state.toml")),
];

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

/// A logging macro family (`tracing`, `log`): which macros are events and at what level.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogFamily {
    pub(crate) name: String,
    /// The crates (path roots) whose macros these are.
    pub(crate) crates: Vec<String>,
    /// Macros that are events at the level of their name (`info!`).
    pub(crate) event_macros: Vec<String>,
    /// Macros whose first argument is the level (`event!(Level::INFO, ..)`).
    #[serde(default)]
    pub(crate) leveled_macros: Vec<String>,
    /// How level constants are spelled: "upper" (`Level::INFO`) or "camel" (`Level::Info`).
    pub(crate) level_case: String,
    pub(crate) source: String,
}

/// Macros that print to stdout/stderr.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrintMacros {
    pub(crate) names: Vec<String>,
    #[serde(default)]
    pub(crate) stderr: Vec<String>,
    /// Macros that return their argument (`dbg!`).
    #[serde(default)]
    pub(crate) value_macros: Vec<String>,
}

/// Methods whose closure runs once per item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LoopAdaptors {
    /// Methods that exist only on iterators and streams.
    #[serde(default)]
    pub(crate) always: Vec<String>,
    /// Methods that count only on a chain that starts from an iterator or a stream.
    #[serde(default)]
    pub(crate) when_iterating: Vec<String>,
    /// Methods that make a chain an iterator (`iter`, `into_iter`).
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    /// Calls that make a chain a stream (`stream::iter`).
    #[serde(default)]
    pub(crate) source_calls: Vec<String>,
    /// A loop body that calls these waits between rounds: it is periodic, not per item.
    #[serde(default)]
    pub(crate) periodic_methods: Vec<String>,
    #[serde(default)]
    pub(crate) periodic_calls: Vec<String>,
    /// Methods that wait for the next message of a channel, stream or socket
    /// (`rx.recv().await`): a loop that calls one is paced by its messages.
    #[serde(default)]
    pub(crate) receives: Vec<String>,
}

/// What a whole request, body, payload or header map looks like.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PayloadShapes {
    /// Extractor and request types (`Json`, `web::Json`, `HeaderMap`).
    #[serde(default)]
    pub(crate) extractor_types: Vec<String>,
    /// Variable names that hold a whole payload.
    #[serde(default)]
    pub(crate) names: Vec<String>,
    /// Methods returning a whole part of a request (`req.headers()`).
    #[serde(default)]
    pub(crate) methods: Vec<String>,
}

/// A call that installs a logger or subscriber.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogInstaller {
    pub(crate) name: String,
    pub(crate) crates: Vec<String>,
    /// Builder starts whose chain decides the format (`tracing_subscriber::fmt`).
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    /// One-call installers with the human format (`fmt::init`, `env_logger::init`).
    #[serde(default)]
    pub(crate) inits: Vec<String>,
    /// Layers of a registry (`fmt::layer`).
    #[serde(default)]
    pub(crate) layer_calls: Vec<String>,
    /// Chain methods that make it structured (`json`).
    #[serde(default)]
    pub(crate) structured_methods: Vec<String>,
    /// Chain methods that choose a human format (`pretty`, `compact`).
    #[serde(default)]
    pub(crate) human_methods: Vec<String>,
    /// The Cargo feature the structured format needs.
    #[serde(default)]
    pub(crate) json_feature: Option<String>,
    /// The dependency name that carries the feature.
    pub(crate) library: String,
}

/// Crates whose use means logs already leave the process structured.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StructuredLogs {
    pub(crate) crates: Vec<String>,
}

/// Where default log filters are written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogFilter {
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    /// The `or` of an environment lookup (`unwrap_or_else`).
    #[serde(default)]
    pub(crate) fallbacks: Vec<String>,
    /// Environment lookups whose fallback is a default filter.
    #[serde(default)]
    pub(crate) env_lookups: Vec<String>,
    /// Environment variables that hold a filter (`RUST_LOG`).
    #[serde(default)]
    pub(crate) env_vars: Vec<String>,
    /// Types whose constants are levels (`Level`, `LevelFilter`).
    #[serde(default)]
    pub(crate) level_types: Vec<String>,
    /// Levels that are too verbose for a default (`debug`, `trace`).
    #[serde(default)]
    pub(crate) verbose: Vec<String>,
}

/// A database layer that can log every statement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqlLogging {
    pub(crate) library: String,
    pub(crate) crates: Vec<String>,
    /// Calls that start an options value (`ConnectOptions::new`).
    #[serde(default)]
    pub(crate) options: Vec<String>,
    /// Calls that connect with default options when given a URL (`Database::connect`).
    #[serde(default)]
    pub(crate) connects: Vec<String>,
    /// The on/off method (`sqlx_logging`).
    #[serde(default)]
    pub(crate) switch: Option<String>,
    /// The method that sets the statement level (`sqlx_logging_level`, `log_statements`).
    pub(crate) level_method: String,
    /// Statements are logged at `default_level` when nothing is set.
    pub(crate) logs_by_default: bool,
    pub(crate) default_level: String,
    pub(crate) source: String,
}

/// A call shape that starts at `root` (a call path suffix, or a macro path ending in `!`) and
/// applies migrations with one of `methods`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChainShape {
    pub(crate) root: String,
    pub(crate) methods: Vec<String>,
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
    pub(crate) library: String,
    pub(crate) crates: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    #[serde(default)]
    pub(crate) functions: Vec<String>,
    #[serde(default)]
    pub(crate) chains: Vec<ChainShape>,
    #[serde(default)]
    pub(crate) trait_impls: Vec<String>,
    #[serde(default)]
    pub(crate) trait_fns: Vec<String>,
    #[serde(default)]
    pub(crate) macro_markers: Vec<String>,
    pub(crate) locks: RunnerLocks,
    #[serde(default)]
    pub(crate) lock_backends: Vec<String>,
    #[serde(default)]
    pub(crate) silent_backends: Vec<String>,
    #[serde(default)]
    pub(crate) locking_off_methods: Vec<String>,
    #[serde(default)]
    pub(crate) locking_off_fields: Vec<String>,
    /// Why it does not lock, for the note.
    pub(crate) why: String,
    /// Commands of its CLI that apply the same migrations.
    #[serde(default)]
    pub(crate) cli: Vec<String>,
    /// Why the CLI does not lock either, when that differs from `why`.
    #[serde(default)]
    pub(crate) cli_note: Option<String>,
    pub(crate) source: String,
}

/// How deploy files are read for migrations run in every replica.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MigrationDeploy {
    #[serde(default)]
    pub(crate) migrate_words: Vec<String>,
    #[serde(default)]
    pub(crate) entrypoint_scripts: Vec<String>,
    #[serde(default)]
    pub(crate) replica_kinds: Vec<String>,
    #[serde(default)]
    pub(crate) hook_annotations: Vec<String>,
}

/// An in-process scheduler crate and how it creates jobs (`rules/catalog/schedulers.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchedulerEntry {
    pub(crate) library: String,
    /// Library names (`use` roots); the crate must depend on one of them.
    pub(crate) crates: Vec<String>,
    /// Calls that create a job, as path suffixes: `Job::new_async`.
    #[serde(default)]
    pub(crate) job_calls: Vec<String>,
    /// Method chains that create a job, `first..last`: `every..run`.
    #[serde(default)]
    pub(crate) job_chains: Vec<String>,
    /// The argument of a job call that holds the schedule.
    #[serde(default)]
    pub(crate) schedule_arg: Option<usize>,
    /// Chain methods whose argument is the schedule.
    #[serde(default)]
    pub(crate) schedule_methods: Vec<String>,
    /// Calls that build the scheduler value.
    #[serde(default)]
    pub(crate) constructors: Vec<String>,
    /// Methods a loop calls to run the due jobs (`tick`, `run_pending`).
    #[serde(default)]
    pub(crate) drive_methods: Vec<String>,
    /// Paths under which another crate re-exports this one (`apalis::cron` for apalis-cron):
    /// a call through them is the library's.
    #[serde(default)]
    pub(crate) reexports: Vec<String>,
    pub(crate) source: String,
}

/// Functions and methods that start a task or thread.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SpawnEntry {
    #[serde(default)]
    pub(crate) paths: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    pub(crate) source: String,
}

/// Timer calls that pace a loop.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TimerEntry {
    #[serde(default)]
    pub(crate) sleeps: Vec<String>,
    #[serde(default)]
    pub(crate) intervals: Vec<String>,
    #[serde(default)]
    pub(crate) tick_methods: Vec<String>,
    pub(crate) source: String,
}

/// Methods that run a callback on a timer (actix `run_interval`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TimerCallbackEntry {
    pub(crate) crates: Vec<String>,
    pub(crate) methods: Vec<String>,
    #[serde(default)]
    pub(crate) schedule_arg: Option<usize>,
    pub(crate) source: String,
}

/// A configuration switch about the scheduled jobs (`disable_scheduled_tasks`, `enable_cron`):
/// an `if` on one around the jobs' start is how operators run them on one instance. A switch's
/// name holds a word of `subjects` and a word of `switches`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobSwitchEntry {
    pub(crate) subjects: Vec<String>,
    pub(crate) switches: Vec<String>,
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

/// Types of a request guard only an administrator passes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperatorGuard {
    pub(crate) types: Vec<String>,
    pub(crate) source: String,
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
    pub(crate) name: String,
    /// Whether it excludes other processes (a Postgres advisory lock) or only other tasks of one
    /// process (a `tokio::sync::Mutex`).
    pub(crate) cross_process: bool,
    /// A row claim (`FOR UPDATE SKIP LOCKED`): it guards only what takes it, not the whole job.
    #[serde(default)]
    pub(crate) claim_only: bool,
    /// It counts only where it is held around the guarded site (a migration run after the
    /// project's `dist_lock::lock(..)`, a job inside a lock helper's closure), not because some
    /// function a job calls takes it for its own work.
    #[serde(default)]
    pub(crate) held_only: bool,
    /// Case-insensitive substrings of SQL text.
    #[serde(default)]
    pub(crate) sql: Vec<String>,
    /// Groups of case-insensitive substrings that must all appear in one text, in this order
    /// (`update`, `set`, `now() +`, `where`, `now()`: a lease row claimed until a later time).
    #[serde(default)]
    pub(crate) sql_all: Vec<Vec<String>>,
    /// The SQL guards only inside a transaction (`FOR UPDATE SKIP LOCKED`): it counts when its
    /// statement also writes, or when the function that runs it opens a transaction.
    #[serde(default)]
    pub(crate) needs_transaction: bool,
    /// Methods that open a transaction (`pool.begin()`), for `needs-transaction`.
    #[serde(default)]
    pub(crate) transaction_methods: Vec<String>,
    /// The literal `"NX"` of a raw Redis `SET`.
    #[serde(default)]
    pub(crate) redis_nx_literal: bool,
    /// Case-insensitive substrings of SQL text that release the lock (`pg_advisory_unlock`).
    #[serde(default)]
    pub(crate) release_sql: Vec<String>,
    /// Methods that release it early (sqlx `PgAdvisoryLockGuard::release_now`).
    #[serde(default)]
    pub(crate) release_methods: Vec<String>,
    /// Type names (with `type-crates`) that name the lock in notes: `tokio::sync::Mutex`.
    #[serde(default)]
    pub(crate) types: Vec<String>,
    #[serde(default)]
    pub(crate) type_crates: Vec<String>,
    /// The file must name one of these crates (empty: any file).
    #[serde(default)]
    pub(crate) crates: Vec<String>,
    /// Calls, as path suffixes.
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    /// Calls match by suffix alone (`user::Entity::insert`), not only from the crate's root.
    #[serde(default)]
    pub(crate) calls_any_root: bool,
    /// Values (paths that are not called), as path suffixes.
    #[serde(default)]
    pub(crate) paths: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    /// The argument count of `methods` (absent: any).
    #[serde(default)]
    pub(crate) method_args: Option<usize>,
    pub(crate) source: String,
}

/// A shared side effect (`rules/catalog/side-effects.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SideEffectEntry {
    pub(crate) name: String,
    pub(crate) kind: String,
    /// SQL statements that write, matched as words in string literals.
    #[serde(default)]
    pub(crate) sql_writes: Vec<String>,
    /// Column words of a lease or heartbeat (`updated_at`, `heartbeat`): an `UPDATE` that sets
    /// only such columns of rows picked by id (`WHERE id IN (..)`) renews what this instance
    /// already owns, which is per-instance work, not a shared side effect.
    #[serde(default)]
    pub(crate) renewal_columns: Vec<String>,
    /// The file must name one of these crates (empty: any file).
    #[serde(default)]
    pub(crate) crates: Vec<String>,
    /// Calls, as path suffixes.
    #[serde(default)]
    pub(crate) calls: Vec<String>,
    /// Calls match by suffix alone (`user::Entity::insert`), not only from the crate's root.
    #[serde(default)]
    pub(crate) calls_any_root: bool,
    /// Values (paths that are not called), as path suffixes.
    #[serde(default)]
    pub(crate) paths: Vec<String>,
    #[serde(default)]
    pub(crate) methods: Vec<String>,
    /// The argument count of `methods` (absent: any).
    #[serde(default)]
    pub(crate) method_args: Option<usize>,
    pub(crate) source: String,
}

/// Libraries through which code reaches a database: a crate without any cannot write to one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseDriver {
    pub(crate) crates: Vec<String>,
    pub(crate) source: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Catalog {
    #[serde(default)]
    pub(crate) database_driver: Vec<DatabaseDriver>,
    #[serde(default)]
    pub(crate) migration_runner: Vec<MigrationRunner>,
    #[serde(default)]
    pub(crate) migration_deploy: MigrationDeploy,
    #[serde(default)]
    pub(crate) pool: Vec<PoolEntry>,
    #[serde(default)]
    pub(crate) pool_keys: Vec<PoolKeys>,
    #[serde(default)]
    pub(crate) framework: Vec<FrameworkEntry>,
    #[serde(default)]
    pub(crate) serve: Vec<ServeEntry>,
    #[serde(default)]
    pub(crate) command_trait: Vec<CommandTrait>,
    #[serde(default)]
    pub(crate) log_family: Vec<LogFamily>,
    #[serde(default)]
    pub(crate) print_macros: Vec<PrintMacros>,
    #[serde(default)]
    pub(crate) loop_adaptors: Vec<LoopAdaptors>,
    #[serde(default)]
    pub(crate) payload: Vec<PayloadShapes>,
    #[serde(default)]
    pub(crate) log_installer: Vec<LogInstaller>,
    #[serde(default)]
    pub(crate) structured_logs: Vec<StructuredLogs>,
    #[serde(default)]
    pub(crate) log_filter: Vec<LogFilter>,
    #[serde(default)]
    pub(crate) sql_logging: Vec<SqlLogging>,
    #[serde(default)]
    pub(crate) scheduler: Vec<SchedulerEntry>,
    #[serde(default)]
    pub(crate) spawn: Vec<SpawnEntry>,
    #[serde(default)]
    pub(crate) timer: Vec<TimerEntry>,
    #[serde(default)]
    pub(crate) timer_callback: Vec<TimerCallbackEntry>,
    #[serde(default)]
    pub(crate) job_switch: Vec<JobSwitchEntry>,
    #[serde(default)]
    pub(crate) lock: Vec<LockEntry>,
    #[serde(default)]
    pub(crate) side_effect: Vec<SideEffectEntry>,
    #[serde(default)]
    pub(crate) state: Vec<StateEntry>,
    #[serde(default)]
    pub(crate) debug_switch: Vec<DebugSwitch>,
    #[serde(default)]
    pub(crate) test_feature: Vec<TestFeature>,
    #[serde(default)]
    pub(crate) operator_guard: Vec<OperatorGuard>,
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
        let catalog = Catalog::deserialize(toml::Value::Table(merged))
            .unwrap_or_else(|e| panic!("rules/catalog: {e}"));
        catalog
            .check_sources()
            .unwrap_or_else(|e| panic!("rules/catalog: {e}"));
        catalog
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
        let catalog = Catalog::deserialize(toml::Value::Table(merged))
            .map_err(|e| format!("[catalog]: {}", e.message()))?;
        catalog
            .check_sources()
            .map_err(|e| format!("[catalog]: {e}"))?;
        Ok(catalog)
    }

    /// Every fact says where it was checked: an entry whose `source` is empty is an error.
    fn check_sources(&self) -> Result<(), String> {
        let unnamed = String::new();
        let entries = (self.pool.iter().map(|e| ("pool", &e.library, &e.source)))
            .chain(
                self.log_family
                    .iter()
                    .map(|e| ("log-family", &e.name, &e.source)),
            )
            .chain(
                self.sql_logging
                    .iter()
                    .map(|e| ("sql-logging", &e.library, &e.source)),
            )
            .chain(
                self.migration_runner
                    .iter()
                    .map(|e| ("migration-runner", &e.library, &e.source)),
            )
            .chain(
                self.scheduler
                    .iter()
                    .map(|e| ("scheduler", &e.library, &e.source)),
            )
            .chain(self.lock.iter().map(|e| ("lock", &e.name, &e.source)))
            .chain(
                self.command_trait
                    .iter()
                    .map(|e| ("command-trait", &e.framework, &e.source)),
            )
            .chain(
                self.side_effect
                    .iter()
                    .map(|e| ("side-effect", &e.name, &e.source)),
            )
            .chain(self.spawn.iter().map(|e| ("spawn", &unnamed, &e.source)))
            .chain(self.timer.iter().map(|e| ("timer", &unnamed, &e.source)))
            .chain(
                self.timer_callback
                    .iter()
                    .map(|e| ("timer-callback", &unnamed, &e.source)),
            )
            .chain(
                self.job_switch
                    .iter()
                    .map(|e| ("job-switch", &unnamed, &e.source)),
            )
            .chain(
                self.database_driver
                    .iter()
                    .map(|e| ("database-driver", &unnamed, &e.source)),
            )
            .chain(
                self.serve
                    .iter()
                    .map(|e| ("serve", &e.framework, &e.source)),
            )
            .chain(self.state.iter().map(|e| ("state", &e.library, &e.source)))
            .chain(
                self.debug_switch
                    .iter()
                    .map(|e| ("debug-switch", &unnamed, &e.source)),
            )
            .chain(
                self.test_feature
                    .iter()
                    .map(|e| ("test-feature", &unnamed, &e.source)),
            )
            .chain(
                self.operator_guard
                    .iter()
                    .map(|e| ("operator-guard", &unnamed, &e.source)),
            );
        for (section, name, source) in entries {
            if source.trim().is_empty() {
                let which = if name.is_empty() {
                    String::new()
                } else {
                    format!(" `{name}`")
                };
                return Err(format!(
                    "[[{section}]]{which}: `source` is empty; say where the fact was checked"
                ));
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    /// Every field of a catalogue struct is `pub(crate)`: rustc's dead-code analysis, which this
    /// module denies, skips `pub` fields of a library's public types, so a `pub` field could be
    /// parsed and never read without anyone noticing.
    #[test]
    fn fields_are_crate_visible() {
        let file = syn::parse_file(include_str!("catalog.rs")).unwrap();
        let mut checked = 0;
        let mut problems = vec![];
        for item in &file.items {
            let syn::Item::Struct(s) = item else {
                continue;
            };
            let derives_deserialize = s.attrs.iter().any(|a| {
                a.path().is_ident("derive") && quote::quote!(#a).to_string().contains("Deserialize")
            });
            if !derives_deserialize {
                continue;
            }
            for field in &s.fields {
                checked += 1;
                let crate_only = matches!(&field.vis, syn::Visibility::Restricted(r)
                    if r.in_token.is_none() && r.path.is_ident("crate"));
                if !crate_only {
                    let name = field.ident.as_ref().map(|i| i.to_string());
                    problems.push(format!("{}::{}", s.ident, name.unwrap_or_default()));
                }
            }
        }
        assert!(
            checked > 100,
            "the catalogue structs are found ({checked} fields)"
        );
        assert!(
            problems.is_empty(),
            "make these fields pub(crate) so an unread one fails to compile: {}",
            problems.join(", ")
        );
    }

    #[test]
    fn every_fact_names_its_source() {
        let mut additions = toml::Table::new();
        additions.insert(
            "database-driver".into(),
            toml::Value::Array(vec![toml::Value::Table(
                toml::from_str("crates = [\"mydb\"]\nsource = \" \"").unwrap(),
            )]),
        );
        let err = super::Catalog::with_additions(Some(&additions)).unwrap_err();
        assert_eq!(
            err,
            "[catalog]: [[database-driver]]: `source` is empty; say where the fact was checked"
        );
        super::Catalog::builtin();
    }
}
