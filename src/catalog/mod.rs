//! The knowledge scalelint has of the ecosystem, as data: `rules/catalog/*.toml`,
//! compiled in, plus the `[catalog]` additions of the user's config.
//!
//! Every field of an entry is `pub(crate)` and the module denies dead code, so a field that is
//! parsed and never read does not compile (the crate's public API would otherwise hide it from
//! rustc's dead-code analysis); `fields_are_crate_visible` below keeps it that way, and
//! `deny_unknown_fields` rejects a key the structs do not have.
#![deny(dead_code)]

mod jobs;
mod locks;
mod logging;
mod services;

pub use jobs::*;
pub use locks::*;
pub use logging::*;
pub use services::*;

use serde::Deserialize;

/// The catalog files, in load order. Each is a TOML document whose top-level arrays are
/// sections (`[[pool]]`, `[[framework]]`, ...); the same section in several files is concatenated.
pub const FILES: &[(&str, &str)] = &[
    ("pools.toml", include_str!("../../rules/catalog/pools.toml")),
    (
        "frameworks.toml",
        include_str!("../../rules/catalog/frameworks.toml"),
    ),
    (
        "migrations.toml",
        include_str!("../../rules/catalog/migrations.toml"),
    ),
    (
        "schedulers.toml",
        include_str!("../../rules/catalog/schedulers.toml"),
    ),
    ("locks.toml", include_str!("../../rules/catalog/locks.toml")),
    (
        "side-effects.toml",
        include_str!("../../rules/catalog/side-effects.toml"),
    ),
    (
        "logging.toml",
        include_str!("../../rules/catalog/logging.toml"),
    ),
    (
        "entry-points.toml",
        include_str!("../../rules/catalog/entry-points.toml"),
    ),
    ("state.toml", include_str!("../../rules/catalog/state.toml")),
];

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
    pub(crate) statement_executor: Vec<StatementExecutor>,
    #[serde(default)]
    pub(crate) side_effect: Vec<SideEffectEntry>,
    #[serde(default)]
    pub(crate) state: Vec<StateEntry>,
    #[serde(default)]
    pub(crate) debug_switch: Vec<DebugSwitch>,
    #[serde(default)]
    pub(crate) test_feature: Vec<TestFeature>,
    #[serde(default)]
    pub(crate) test_support: Vec<TestSupport>,
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
                self.statement_executor
                    .iter()
                    .map(|e| ("statement-executor", &unnamed, &e.source)),
            )
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
                self.test_support
                    .iter()
                    .map(|e| ("test-support", &unnamed, &e.source)),
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
        let files = [
            include_str!("mod.rs"),
            include_str!("jobs.rs"),
            include_str!("locks.rs"),
            include_str!("logging.rs"),
            include_str!("services.rs"),
        ];
        let mut checked = 0;
        let mut problems = vec![];
        let parsed: Vec<syn::File> = files.iter().map(|f| syn::parse_file(f).unwrap()).collect();
        for item in parsed.iter().flat_map(|f| &f.items) {
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
