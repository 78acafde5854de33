//! Catalogue entries of logging (`rules/catalog/logging.toml`): event macros, prints, loops,
//! payloads, installers, filters and SQL statement logging.

use serde::Deserialize;

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
    /// The log target statements are written under (`sqlx::query`): a filter directive that
    /// sets it below the statement level silences them.
    #[serde(default)]
    pub(crate) target: Option<String>,
}
