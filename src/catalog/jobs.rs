//! Catalogue entries of work that runs on its own: migration runners and their deploy files
//! (`rules/catalog/migrations.toml`), schedulers, spawns, timers and job switches
//! (`rules/catalog/schedulers.toml`).

use serde::Deserialize;

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
    /// Words one of which a file that applies migrations with it contains, beyond those its
    /// shapes name (see `prefilter_words`): files with none are not parsed for this rule.
    #[serde(default)]
    pub(crate) words: Vec<String>,
    /// A hand-rolled runner's schema changes: SQL (matched in lower case, whitespace runs as one
    /// space) and sea-query builder calls (path suffixes, `Table::create`).
    #[serde(default)]
    pub(crate) ddl: Vec<String>,
    #[serde(default)]
    pub(crate) ddl_builders: Vec<String>,
    /// Words of a table name that records the schema's state (`schema_version`, `__migrations`).
    #[serde(default)]
    pub(crate) version_tables: Vec<String>,
    /// Prefixes of table names that are not such tables (`information_schema`).
    #[serde(default)]
    pub(crate) not_version_tables: Vec<String>,
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

impl MigrationRunner {
    /// The words the prefilter looks for: `words`, the applying methods and functions, each
    /// chain root's name (a macro's, or the type or module a call is on: `Migrator` of
    /// `Migrator::new`), the traits whose implementations apply, and schema changes (`ddl` as
    /// written and in upper case, `ddl-builders`). A `[catalog]` entry is thereby seen by the
    /// rule without a word list of its own.
    pub(crate) fn prefilter_words(&self) -> Vec<String> {
        let last = |p: &str| crate::catalog::segments(p).last().map(|s| s.to_string());
        let root_word = |root: &str| {
            let segs = crate::catalog::segments(root);
            let word = match segs.as_slice() {
                [.., m] if m.ends_with('!') => m.trim_end_matches('!'),
                [.., ty, _] => ty,
                [one] => one,
                [] => "",
            };
            (!word.is_empty()).then(|| word.to_string())
        };
        let mut words: Vec<String> = self.words.clone();
        words.extend(self.methods.iter().cloned());
        words.extend(self.functions.iter().filter_map(|f| last(f)));
        words.extend(self.chains.iter().filter_map(|c| root_word(&c.root)));
        words.extend(self.trait_impls.iter().cloned());
        for d in &self.ddl {
            words.push(d.clone());
            words.push(d.to_ascii_uppercase());
        }
        words.extend(self.ddl_builders.iter().cloned());
        words.retain(|w| !w.is_empty());
        words.sort();
        words.dedup();
        words
    }
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
