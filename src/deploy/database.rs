//! The database's connection limit as the repository ships it: `max_connections` in a
//! `postgresql.conf` or `my.cnf`, in a compose service's `command` (`postgres -c
//! max_connections=400`), in a CloudNativePG `Cluster` or Zalando `postgresql` manifest, in a
//! Terraform or CloudFormation RDS parameter group; and a
//! PgBouncer in front (`pgbouncer.ini`), which changes what the service's pools count against.

use super::yaml::{self, Node};
use super::{Source, default_limit};
use crate::project::Extra;
use crate::workspace::ExtraKind;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Limit {
    pub max_connections: u64,
    pub source: Source,
}

#[derive(Clone, Debug)]
pub struct Pooler {
    pub max_client_conn: Option<(u64, Source)>,
    pub default_pool_size: Option<(u64, Source)>,
    pub source: Source,
}

/// `key = value` / `key=value` lines of a conf or ini file (comments dropped).
fn conf_value(text: &str, keys: &[&str]) -> Option<(u64, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.split(['#', ';']).next()?.trim();
        let (k, v) = l.split_once('=')?;
        let k = k.trim().to_ascii_lowercase();
        if !keys.contains(&k.as_str()) {
            return None;
        }
        let v = v.trim().trim_matches(['\'', '"']);
        Some((v.parse().ok()?, i + 1))
    })
}

/// `-c max_connections=400`, `--max_connections=400`, `--max-connections 400` in a command line.
fn command_limit(words: &[String]) -> Option<u64> {
    words.iter().enumerate().find_map(|(i, w)| {
        let w = w.trim_start_matches('-');
        let w = w.strip_prefix("c ").unwrap_or(w);
        let (k, v) = match w.split_once('=') {
            Some((k, v)) => (k, v.to_string()),
            None => (w, words.get(i + 1)?.clone()),
        };
        matches!(k, "max_connections" | "max-connections").then(|| v.parse().ok())?
    })
}

pub fn read(
    rel: &Path,
    extra: &Extra,
    _files: &[&Extra],
    limits: &mut Vec<Limit>,
    poolers: &mut Vec<Pooler>,
) {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let src = |line: usize, what: &str| Source {
        file: rel.to_path_buf(),
        line,
        what: what.to_string(),
    };
    if extra.kind == ExtraKind::Conf {
        if name.contains("pgbouncer") {
            let mcc = conf_value(&extra.text, &["max_client_conn"])
                .map(|(n, l)| (n, src(l, "PgBouncer max_client_conn")));
            let dps = conf_value(&extra.text, &["default_pool_size"])
                .map(|(n, l)| (n, src(l, "PgBouncer default_pool_size")));
            poolers.push(Pooler {
                max_client_conn: mcc,
                default_pool_size: dps,
                source: src(1, "PgBouncer"),
            });
        } else if let Some((n, l)) =
            conf_value(&extra.text, &["max_connections", "max-connections"])
        {
            let what = if name.ends_with(".cnf") {
                "MySQL max_connections"
            } else {
                "PostgreSQL max_connections"
            };
            limits.push(Limit {
                max_connections: n,
                source: src(l, what),
            });
        }
        return;
    }
    if extra.kind == ExtraKind::Hcl {
        terraform_parameter_groups(&super::hcl::parse(&extra.text), &src, limits);
        return;
    }
    if extra.kind != ExtraKind::Yaml {
        return;
    }
    let Some(docs) = yaml::parse(&extra.text) else {
        return;
    };
    for d in &docs {
        // CloudNativePG `Cluster`, Zalando `postgresql`.
        let kind = d.get("kind").and_then(Node::str).unwrap_or("");
        if matches!(kind, "Cluster" | "postgresql")
            && let Some(m) = d.at(&["spec", "postgresql", "parameters", "max_connections"])
            && let Some(n) = m.u64()
        {
            let what = if kind == "Cluster" {
                "CloudNativePG parameters.max_connections"
            } else {
                "Zalando postgresql parameters.max_connections"
            };
            limits.push(Limit {
                max_connections: n,
                source: src(m.line, what),
            });
        }
        // CloudFormation `AWS::RDS::DBParameterGroup` / `DBClusterParameterGroup`.
        for (id, r) in d.get("Resources").map(Node::entries).unwrap_or_default() {
            let ty = r.get("Type").and_then(Node::str).unwrap_or("");
            if matches!(
                ty,
                "AWS::RDS::DBParameterGroup" | "AWS::RDS::DBClusterParameterGroup"
            ) && let Some(m) = r.at(&["Properties", "Parameters", "max_connections"])
                && let Some(n) = m.u64()
            {
                limits.push(Limit {
                    max_connections: n,
                    source: src(m.line, &format!("{ty} {id} max_connections")),
                });
            }
        }
        // Compose services: a database's command, a PgBouncer's environment.
        if let Some(services) = d.get("services") {
            for (svc, s) in services.entries() {
                let image = s
                    .get("image")
                    .and_then(Node::str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if let Some(c) = s.get("command")
                    && let Some(n) = command_limit(&command_words(c))
                {
                    limits.push(Limit {
                        max_connections: n,
                        source: src(c.line, &format!("compose service {svc} command")),
                    });
                }
                if image.contains("pgbouncer") {
                    let env = s.get("environment");
                    let var = |keys: &[&str], what: &str| {
                        env.and_then(|e| env_value(e, keys))
                            .map(|(n, l)| (n, src(l, what)))
                    };
                    poolers.push(Pooler {
                        max_client_conn: var(
                            &["MAX_CLIENT_CONN", "PGBOUNCER_MAX_CLIENT_CONN"],
                            "PgBouncer max_client_conn",
                        ),
                        default_pool_size: var(
                            &["DEFAULT_POOL_SIZE", "PGBOUNCER_DEFAULT_POOL_SIZE"],
                            "PgBouncer default_pool_size",
                        ),
                        source: src(s.line, &format!("compose service {svc}")),
                    });
                }
            }
        }
    }
}

/// A compose `command` as words: `postgres -c max_connections=400` or a list.
fn command_words(c: &Node) -> Vec<String> {
    let words = c.words();
    // `-c max_connections=400` as one list item `-c max_connections=400`: split again.
    words
        .iter()
        .flat_map(|w| w.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// `KEY: 5` (a mapping) or `- KEY=5` (a list) in a compose `environment`.
fn env_value(env: &Node, keys: &[&str]) -> Option<(u64, usize)> {
    for (k, v) in env.entries() {
        if keys.contains(&k.as_str()) {
            return Some((v.u64()?, v.line));
        }
    }
    env.items().iter().find_map(|i| {
        let (k, v) = i.str()?.split_once('=')?;
        if keys.contains(&k.trim()) {
            Some((v.trim().parse().ok()?, i.line))
        } else {
            None
        }
    })
}

/// The limit the pools count against and where it came from, with a note on what the deploy
/// files say beyond it. A shipped limit below the default lowers the budget; one above it (a
/// pgtune example for one machine, a pooler that the pools may or may not go through) is said
/// in the note but raises nothing: which database production uses, and how big, the repository
/// does not show, and scalelint.toml can say it.
pub fn limit_of(d: &super::Deployment) -> (u64, String, Option<String>) {
    let mut notes: Vec<String> = vec![];
    if let Some(p) = d.poolers.first() {
        let mcc = p
            .max_client_conn
            .as_ref()
            .map_or(String::new(), |(n, s)| format!(" ({n} at {s})"));
        let server = p
            .default_pool_size
            .as_ref()
            .map_or(String::new(), |(n, s)| {
                format!(", and it holds at most {n} server connections per database and user ({s})")
            });
        notes.push(format!(
            "a PgBouncer is shipped ({}): if the pools connect through it, they count against its max_client_conn{mcc} instead of the database's max_connections{server}; set `[database] max-connections` to the pooler's limit if so",
            p.source
        ));
    }
    let (lower, higher): (Vec<&Limit>, Vec<&Limit>) = d
        .limits
        .iter()
        .partition(|l| l.max_connections <= crate::config::DEFAULT_MAX_CONNECTIONS);
    if !higher.is_empty() {
        let found: Vec<String> = higher
            .iter()
            .map(|l| format!("{} ({})", l.max_connections, l.source))
            .collect();
        notes.push(format!(
            "the deploy files allow more: {}; that may be one machine's tuning rather than production's database, so it is not assumed: set `[database] max-connections` if it is",
            found.join(", ")
        ));
    }
    let mut values: Vec<u64> = lower.iter().map(|l| l.max_connections).collect();
    values.sort();
    values.dedup();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    match values.as_slice() {
        [] => {
            let (n, s) = default_limit();
            (n, s, note)
        }
        [_] => (lower[0].max_connections, lower[0].source.to_string(), note),
        _ => {
            // Several databases or setups disagree: which one a pool uses cannot be told.
            let (n, s) = default_limit();
            let found: Vec<String> = lower
                .iter()
                .map(|l| format!("{} ({})", l.max_connections, l.source))
                .collect();
            (
                n,
                format!(
                    "{s}; the deploy files give several limits and which one the pools use cannot be told: {}",
                    found.join(", ")
                ),
                note,
            )
        }
    }
}

/// Terraform `aws_db_parameter_group` / `aws_rds_cluster_parameter_group` with a
/// `parameter { name = "max_connections" value = N }` whose value is a literal (RDS's default,
/// `{DBInstanceClassMemory/…}`, depends on the instance class and reads as nothing).
fn terraform_parameter_groups(
    root: &super::hcl::Block,
    src: &dyn Fn(usize, &str) -> Source,
    limits: &mut Vec<Limit>,
) {
    for r in root.children("resource") {
        let ty = r.labels.first().map(String::as_str).unwrap_or("");
        if !matches!(
            ty,
            "aws_db_parameter_group" | "aws_rds_cluster_parameter_group"
        ) {
            continue;
        }
        let label = r.labels.get(1).map(String::as_str).unwrap_or("");
        for p in r.children("parameter") {
            if p.attr("name").and_then(|n| n.str()) != Some("max_connections") {
                continue;
            }
            if let Some(v) = p.attr("value")
                && let Some(n) = v.u64()
            {
                limits.push(Limit {
                    max_connections: n,
                    source: src(v.line, &format!("Terraform {ty} {label} max_connections")),
                });
            }
        }
    }
}
