//! Catalogue entries of what is shared across instances: locks (`rules/catalog/locks.toml`),
//! side effects (`rules/catalog/side-effects.toml`) and database drivers, and how an entry
//! recognises calls.

use serde::Deserialize;

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
    /// SQL that opens a transaction when a string starts with it (`BEGIN`), for
    /// `needs-transaction`; matched case-insensitively.
    #[serde(default)]
    pub(crate) transaction_sql: Vec<String>,
    /// Case-insensitive substrings of SQL text that take the lock for the session (held by the
    /// connection until unlocked), unless the text also holds one of `session-sql-not`: run on
    /// a pool, the unlock or the next check may run on another connection.
    #[serde(default)]
    pub(crate) session_sql: Vec<String>,
    #[serde(default)]
    pub(crate) session_sql_not: Vec<String>,
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

/// Methods that run a statement on the executor they are given (sqlx, diesel) or called on
/// (tokio-postgres, sea-orm) (`rules/catalog/locks.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StatementExecutor {
    pub(crate) methods: Vec<String>,
    pub(crate) source: String,
}

/// Libraries through which code reaches a database: a crate without any cannot write to one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseDriver {
    pub(crate) crates: Vec<String>,
    pub(crate) source: String,
}
