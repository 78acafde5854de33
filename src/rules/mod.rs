//! The rule registry. Each rule lives in its own file with its id, family, level and check.

mod embedded_database;
mod ephemeral_signing_key;
mod host_sized_pool;
mod in_memory_flow_state;
mod in_memory_session_store;
mod in_process_queue;
mod in_process_rate_limit;
mod instrument_all_args;
mod local_cache_invalidation;
mod local_fanout;
mod local_file_storage;
mod log_in_loop;
mod log_payload;
mod oversized_pool;
mod per_worker_state;
mod print_in_service;
mod sql_statement_logging;
mod unlocked_migration;
mod unlocked_scheduler;
mod unstructured_logs;
mod verbose_default_level;

use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::{Project, Unit};

pub struct RuleMeta {
    /// The stable, kebab-case id users write in config, suppressions and baselines.
    pub id: &'static str,
    pub family: &'static str,
    pub default_severity: Severity,
    /// The kind of fix its findings carry (the best it offers).
    pub fix: Applicability,
    pub summary: &'static str,
    /// The rule's page (`rules/docs/<id>.md`).
    pub doc: &'static str,
}

/// Which files a rule can report on, so files no rule needs are never parsed.
#[derive(Clone, Debug, Default)]
pub struct Interest {
    /// The crate must depend on one of these libraries; empty: any crate.
    pub crates: Vec<String>,
    /// Only crates that are services (a framework dependency or `service = true`).
    pub services_only: bool,
    /// Only workspaces that hold a service crate (see `Project::has_service`).
    pub service_workspaces_only: bool,
    /// The file's text must contain one of these words; empty: every file of the crate.
    pub words: Vec<String>,
    /// The rule follows calls and values across the whole workspace: once one file is
    /// wanted, every file of the workspace is parsed.
    pub workspace_wide: bool,
}

impl Interest {
    /// Every file of every crate: the safe default for a rule that says nothing.
    pub fn everything() -> Interest {
        Interest {
            workspace_wide: true,
            ..Interest::default()
        }
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// What files the rule needs; see `Interest`.
    fn interest(&self, _catalog: &crate::catalog::Catalog) -> Interest {
        Interest::everything()
    }

    /// Checks one reported Rust file.
    fn check_unit(&self, _project: &Project, _unit: &Unit, _out: &mut Vec<Diagnostic>) {}

    /// Checks what is not one Rust file: config and deploy files.
    fn check_project(&self, _project: &Project, _out: &mut Vec<Diagnostic>) {}
}

/// Findings the engine itself makes; listed so `explain` and `rules` know them.
pub static PARSE_ERROR: RuleMeta = RuleMeta {
    id: "parse-error",
    family: "engine",
    default_severity: Severity::Warning,
    fix: Applicability::Manual,
    summary: "a file that could not be read or parsed, so it was not checked",
    doc: include_str!("../../rules/docs/parse-error.md"),
};

pub static UNUSED_ALLOW: RuleMeta = RuleMeta {
    id: "unused-allow",
    family: "engine",
    default_severity: Severity::Warning,
    fix: Applicability::Machine,
    summary: "a `scalelint: allow(..)` comment that silences nothing, or names no rule",
    doc: include_str!("../../rules/docs/unused-allow.md"),
};

pub static ALLOW_WITHOUT_REASON: RuleMeta = RuleMeta {
    id: "allow-without-reason",
    family: "engine",
    default_severity: Severity::Warning,
    fix: Applicability::Manual,
    summary: "a `scalelint: allow(..)` comment that gives no reason, when reasons are required",
    doc: include_str!("../../rules/docs/allow-without-reason.md"),
};

/// Every hazard rule, in the order `scalelint rules` lists them.
pub fn all() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(unlocked_scheduler::UnlockedScheduler),
        Box::new(unlocked_migration::UnlockedMigration),
        Box::new(oversized_pool::OversizedPool),
        Box::new(host_sized_pool::HostSizedPool),
        Box::new(print_in_service::PrintInService),
        Box::new(log_in_loop::LogInLoop),
        Box::new(log_payload::LogPayload),
        Box::new(instrument_all_args::InstrumentAllArgs),
        Box::new(verbose_default_level::VerboseDefaultLevel),
        Box::new(unstructured_logs::UnstructuredLogs),
        Box::new(sql_statement_logging::SqlStatementLogging),
        Box::new(in_memory_session_store::InMemorySessionStore),
        Box::new(ephemeral_signing_key::EphemeralSigningKey),
        Box::new(in_process_rate_limit::InProcessRateLimit),
        Box::new(per_worker_state::PerWorkerState),
        Box::new(local_fanout::LocalFanout),
        Box::new(in_memory_flow_state::InMemoryFlowState),
        Box::new(in_process_queue::InProcessQueue),
        Box::new(local_file_storage::LocalFileStorage),
        Box::new(local_cache_invalidation::LocalCacheInvalidation),
        Box::new(embedded_database::EmbeddedDatabase),
    ]
}

/// Every rule id with its metadata, the engine's own included.
pub fn all_meta() -> Vec<&'static RuleMeta> {
    let mut metas: Vec<&'static RuleMeta> = all().iter().map(|r| r.meta()).collect();
    metas.push(&PARSE_ERROR);
    metas.push(&UNUSED_ALLOW);
    metas.push(&ALLOW_WITHOUT_REASON);
    metas
}

pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    all_meta().into_iter().find(|m| m.id == id)
}

/// The rule id closest to a mistyped one, when it is close enough to be what was meant.
pub fn nearest(typed: &str) -> Option<&'static str> {
    let typed = typed.trim().to_ascii_lowercase().replace('_', "-");
    all_meta()
        .into_iter()
        .map(|m| (strsim::damerau_levenshtein(&typed, m.id), m.id))
        .filter(|&(d, id)| d <= (id.len() / 3).max(2))
        .min()
        .map(|(_, id)| id)
}

/// `; did you mean `id`?` for a mistyped rule id, or nothing.
pub fn did_you_mean(typed: &str) -> String {
    nearest(typed).map_or(String::new(), |id| format!("; did you mean `{id}`?"))
}

/// The words that can start a `log` or `tracing` event, renamed imports included (their `use`
/// item names the original).
const LOG_EVENT_WORDS: &[&str] = &["info", "warn", "error", "event!", "log!"];

/// What the log rules share: service workspaces, and files that can hold the rule's code.
pub(crate) fn log_interest(words: &[&str], workspace_wide: bool) -> Interest {
    Interest {
        service_workspaces_only: true,
        words: words.iter().map(|w| w.to_string()).collect(),
        workspace_wide,
        ..Interest::default()
    }
}

#[cfg(test)]
mod tests {
    /// Each page (`rules/docs/<id>.md`, shown by `scalelint explain`) opens with its id and a
    /// key line that says what `scalelint rules` says: family, default level and fix kind
    /// (any detail after it in parentheses).
    #[test]
    fn every_page_header_matches_the_rule_metadata() {
        let mut problems = vec![];
        for m in super::all_meta() {
            let mut lines = m.doc.lines();
            let title = lines.next().unwrap_or_default();
            if title != format!("# {}", m.id) {
                problems.push(format!("{}: the page starts with {title:?}", m.id));
            }
            let key = lines.find(|l| !l.trim().is_empty()).unwrap_or_default();
            let want = format!(
                "**Family:** {} · **Default level:** {} · **Fix:** {}",
                m.family,
                m.default_severity.as_str(),
                m.fix
            );
            let detail = key.strip_prefix(&want);
            if !detail.is_some_and(|d| d.is_empty() || (d.starts_with(" (") && d.ends_with(')'))) {
                problems.push(format!("{}: key line {key:?}, expected {want:?}", m.id));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
