//! `scalelint config [PATH]`: the effective settings, each with where it came from.

use super::{Config, ConfigError, Level, Overrides};
use std::path::Path;

/// `scalelint config [PATH]`: the settings in force for `path` (a file or folder), one a line,
/// each with where it came from (like `ruff check --show-settings`).
pub fn show(path: &Path, explicit: Option<&Path>) -> Result<String, ConfigError> {
    let known: Vec<&str> = crate::rules::all_meta().iter().map(|m| m.id).collect();
    let abs = std::path::absolute(path)
        .map(|p| crate::workspace::normalize(&p))
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    if !abs.exists() {
        return Err(ConfigError(format!(
            "{}: no such file or folder",
            path.display()
        )));
    }
    let discovery =
        crate::workspace::discover(std::slice::from_ref(&abs)).map_err(|e| ConfigError(e.0))?;
    // The workspace that holds `path`: its root is the longest that `path` is under.
    let root = discovery
        .pending
        .iter()
        .filter_map(|p| match p {
            crate::workspace::Pending::Cargo { root, .. } => Some(root.clone()),
            _ => None,
        })
        .filter(|r| abs.starts_with(r) || r.starts_with(&abs))
        .max_by_key(|r| abs.starts_with(r).then(|| r.components().count()))
        .or_else(|| {
            // Not in a crate: the nearest scalelint.toml above, as for a loose file.
            abs.ancestors()
                .find(|d| d.join("scalelint.toml").is_file() || d.join(".scalelint.toml").is_file())
                .map(Path::to_path_buf)
        });
    let workspace = Config::load(root.as_deref(), explicit, &Overrides::default(), &known)?;
    let config = workspace.at(&abs).unwrap_or_else(|| workspace.clone());
    let cwd = std::env::current_dir().unwrap_or_default();
    let rel = |p: &Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();

    let mut out = String::new();
    out.push_str(&format!("# Settings for {}\n", rel(&abs)));
    if let Some(root) = &root {
        out.push_str(&format!("# Workspace: {}\n", rel(root)));
    }
    let mut files: Vec<String> = workspace.source.iter().map(|p| rel(p)).collect();
    files.extend(
        workspace
            .scopes
            .iter()
            .filter(|s| s.file.is_some() && s.matches(&abs))
            .filter_map(|s| s.file.as_deref().map(rel)),
    );
    out.push_str(&format!(
        "# Read: {}\n",
        if files.is_empty() {
            "no configuration file (defaults)".to_string()
        } else {
            files.join(", ")
        }
    ));
    let from = |key: &str| {
        config
            .origins
            .get(key)
            .map_or_else(|| "default".to_string(), Clone::clone)
    };
    let list = |v: &[String]| {
        let quoted: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut lines: Vec<(String, String)> = vec![];
    let instances_from = if config.origins.contains_key("instances") {
        from("instances")
    } else {
        "default; a deploy file that runs the binary may set it".to_string()
    };
    lines.push((format!("instances = {}", config.instances), instances_from));
    for (key, value) in [
        ("exclude", list(&config.exclude_patterns)),
        ("lock-functions", list(&config.lock_functions)),
        ("leader-functions", list(&config.leader_functions)),
        ("single-instance", list(&config.single_instance)),
        (
            "service",
            config
                .service
                .map_or_else(|| "(from the dependencies)".to_string(), |b| b.to_string()),
        ),
        ("max-file-size", config.max_file_size.to_string()),
        ("require-reason", config.require_reason.to_string()),
        (
            "catalog",
            if config.catalog.is_some() {
                "(additions)".to_string()
            } else {
                "(built in)".to_string()
            },
        ),
    ] {
        lines.push((format!("{key} = {value}"), from(key)));
    }
    lines.push(("[database]".to_string(), String::new()));
    let max_from = if config.origins.contains_key("database.max-connections") {
        from("database.max-connections")
    } else {
        "default; deploy files may set it".to_string()
    };
    lines.push((
        format!("max-connections = {}", config.max_connections),
        max_from,
    ));
    lines.push((
        format!("reserved-connections = {}", config.reserved_connections),
        from("database.reserved-connections"),
    ));
    lines.push(("[rules]".to_string(), String::new()));
    for meta in crate::rules::all_meta() {
        let key = format!("rules.{}", meta.id);
        let line = match config.levels.get(meta.id) {
            Some(level) => (
                format!("{} = {:?}", meta.id, level_name(*level)),
                from(&key),
            ),
            None => (
                format!(
                    "{} = {:?}",
                    meta.id,
                    match meta.default_severity {
                        crate::diagnostic::Severity::Error => "deny",
                        _ => "warn",
                    }
                ),
                format!("default ({})", meta.default_severity.as_str()),
            ),
        };
        lines.push(line);
    }
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (line, origin) in lines {
        if origin.is_empty() {
            out.push_str(&format!("{line}\n"));
        } else {
            out.push_str(&format!("{line:width$}  # {origin}\n"));
        }
    }
    Ok(out)
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Deny => "deny",
        Level::Warn => "warn",
        Level::Allow => "allow",
    }
}
