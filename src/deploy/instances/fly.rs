//! fly.toml: `min_machines_running` as a floor on the instances.

use super::{DeployUnit, image_name, program_names};
use crate::deploy::{Source, norm};
use std::path::Path;

/// The 1-based line of `key` inside the `[header]` table of a TOML text, or inside the `nth`
/// (0-based) `[[header]]` table of an array of tables.
pub(super) fn toml_line(text: &str, header: &str, nth: usize, key: &str) -> usize {
    let mut inside = false;
    let mut seen = 0;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            let h = t.trim_matches(['[', ']']).trim();
            inside = h == header && seen == nth;
            if h == header {
                seen += 1;
            }
        } else if inside
            && t.split(['=', ' '])
                .next()
                .is_some_and(|k| k.trim_matches('"') == key)
        {
            return i + 1;
        }
    }
    1
}

/// fly.toml: how many Machines run is set by `fly scale count`, which the file does not hold, so
/// the only count it can state is a floor: `[http_service]` (or `[[services]]`)
/// `min_machines_running`. A floor of 2 or more is read as the instances, and the note says it
/// is a floor; a floor of 0 or 1 says nothing (fly starts two Machines per process group by
/// default, and scaling to more is not in the file). `[processes]` names the programs the
/// Machines run; `[[vm]]` sizes them and counts nothing.
pub(super) fn fly(rel: &Path, text: &str, out: &mut Vec<DeployUnit>) {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return;
    };
    let app = doc.get("app").and_then(|a| a.as_str()).unwrap_or("");
    let processes = doc.get("processes").and_then(|p| p.as_table());
    // Each service with its table's header as written and its place among the `[[services]]`.
    let mut services: Vec<(&toml::Table, &str, usize)> = vec![];
    if let Some(h) = doc.get("http_service").and_then(|h| h.as_table()) {
        services.push((h, "http_service", 0));
    }
    for (nth, s) in doc
        .get("services")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_table())
        .enumerate()
    {
        services.push((s, "services", nth));
    }
    for (svc, header, nth) in services {
        let Some(min) = svc
            .get("min_machines_running")
            .and_then(|m| m.as_integer())
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m >= 2)
        else {
            continue;
        };
        // The process groups this service runs on: `processes = ["web"]`, `app` by default.
        let groups: Vec<String> = svc
            .get("processes")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_else(|| vec!["app".to_string()]);
        let mut names = vec![norm(app)];
        if let Some(i) = doc
            .get("build")
            .and_then(|b| b.get("image"))
            .and_then(|i| i.as_str())
            .and_then(image_name)
        {
            names.push(i);
        }
        for g in &groups {
            if let Some(cmd) = processes.and_then(|p| p.get(g)).and_then(|c| c.as_str()) {
                let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
                names.extend(program_names(&words));
            }
        }
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        let line = toml_line(text, header, nth, "min_machines_running");
        let table = if header == "services" {
            "[[services]]"
        } else {
            "[http_service]"
        };
        out.push(DeployUnit {
            name: format!("fly app {app} ({})", groups.join(", ")),
            instances: min,
            source: Source {
                file: rel.to_path_buf(),
                line,
                what: format!(
                    "fly.toml {table} min_machines_running, a floor: the Machine count is set by `fly scale count` and the file does not state it"
                ),
            },
            surge: None,
            names,
        });
    }
}
