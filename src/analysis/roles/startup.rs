//! Where the process installs its logger: a print before that point on the startup path is how a
//! service must report (a configuration error), not a log line that bypasses the pipeline.

use crate::analysis::matchers::{file_names_any, path_of_crate};
use crate::facts::{FileFacts, Val};
use crate::project::Project;

/// Crates whose builders install a logger with a method at the end of the chain
/// (`tracing_subscriber::registry()..init()`, `fern::Dispatch::new()..apply()`).
const INSTALLING_CRATES: &[&str] = &[
    "tracing_subscriber",
    "env_logger",
    "pretty_env_logger",
    "simple_logger",
    "fern",
    "log4rs",
    "flexi_logger",
    "slog_scope",
    "slog_stdlog",
];

/// Methods that end such a chain by installing it as the process's logger.
const INSTALL_METHODS: &[&str] = &["init", "try_init", "apply", "start", "set_global_default"];

/// Calls that install a logger or subscriber whatever crate builds it.
const INSTALL_CALLS: &[&str] = &[
    "set_global_default",
    "set_logger",
    "set_boxed_logger",
    "init_config",
    "init_file",
];

/// Whether the call `v` (anywhere in its chain) installs the process's logger.
pub(super) fn installs_logger(project: &Project, facts: &FileFacts, v: &Val) -> bool {
    let crates: Vec<String> = INSTALLING_CRATES.iter().map(|c| c.to_string()).collect();
    let mut hit = false;
    v.walk(&mut |x| match x {
        Val::Call { func, .. } => {
            if let Val::Path { path, .. } = &**func {
                let last = path.last().map_or("", String::as_str);
                hit |= INSTALL_CALLS.contains(&last) && path.len() >= 2;
                hit |= project.catalog.log_installer.iter().any(|inst| {
                    inst.inits
                        .iter()
                        .any(|i| path_of_crate(facts, path, i, &inst.crates))
                });
            }
        }
        Val::Method { name, .. } => {
            hit |= INSTALL_METHODS.contains(&name.as_str()) && file_names_any(facts, &crates);
        }
        _ => {}
    });
    hit
}
