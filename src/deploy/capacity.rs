//! `scalelint capacity`: every connection pool of the checked workspaces with its size, the
//! instances it runs as and the database it counts against, summed per database against
//! `max_connections − reserved`; with `--instances 1,2,4,8`, at which count each runs out.

use super::Budget;
use crate::analysis::pool_sites::{Size, config_sizes, pool_sites};
use crate::project::{Project, Unit};
use crate::workspace::ExtraKind;
use serde::Serialize;

/// One pool.
#[derive(Clone, Debug, Serialize)]
pub struct Pool {
    /// The binary (or crate) that builds it.
    pub service: String,
    pub file: String,
    pub line: usize,
    pub library: String,
    /// Connections per instance, when a number is known.
    pub size: Option<u64>,
    pub size_from: String,
    pub instances: u64,
    pub instances_from: String,
    /// `size × instances`.
    pub connections: Option<u64>,
}

/// The pools that count against one database.
#[derive(Clone, Debug, Serialize)]
pub struct Database {
    /// What the pools' URLs have in common: `env DATABASE_URL`, or the one pool's place when
    /// it cannot be told (then it is judged alone).
    pub key: String,
    pub max_connections: u64,
    pub max_connections_from: String,
    pub reserved: u64,
    /// `max_connections − reserved`.
    pub available: u64,
    /// A pooler in front, a rollout's surge.
    pub notes: Vec<String>,
    pub pools: Vec<Pool>,
    /// The connections of the pools whose size is known, at their instance counts.
    pub total: u64,
    pub fits: bool,
    /// With `--instances`: the total at each count.
    pub scale: Vec<Step>,
    /// The first count of `--instances` at which the total exceeds what is available.
    pub runs_out_at: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub instances: u64,
    pub total: u64,
    pub fits: bool,
}

/// The database a pool's URL names: an environment variable or a literal URL read in the
/// function that builds the pool.
fn database_key(unit: &Unit, span: crate::source::Span) -> Option<String> {
    let facts = &unit.facts;
    let call = facts.calls.iter().find(|c| c.val.span().contains(span))?;
    let f = facts.enclosing_fn(call.region)?;
    let mut env = None;
    for s in facts.strings_within(f.body) {
        let v = s.value.as_str();
        if let Some((scheme, rest)) = v.split_once("://")
            && matches!(scheme, "postgres" | "postgresql" | "mysql" | "mariadb")
        {
            // `postgres://user:pw@host:5432/db` → `postgres://host/db`.
            let rest = rest.rsplit('@').next().unwrap_or(rest);
            let host = rest.split(['/', '?', ':']).next().unwrap_or("");
            let db = rest
                .split('/')
                .nth(1)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("");
            return Some(format!("{scheme}://{host}/{db}"));
        }
        let upper = v
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if env.is_none()
            && upper
            && v.len() > 2
            && (v.contains("DATABASE")
                || v.ends_with("_URL")
                || v.contains("DSN")
                || v.starts_with("DB_")
                || v.starts_with("PG"))
        {
            env = Some(format!("env {v}"));
        }
    }
    env
}

fn line_of(path: &std::path::Path, offset: usize) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t[..offset.min(t.len())].matches('\n').count() + 1)
}

/// A pool with the database key its URL gives and the numbers it is judged by.
#[derive(Clone, Debug)]
pub struct Entry {
    pub pool: Pool,
    pub key: Option<String>,
    pub budget: Budget,
}

/// What one workspace's deploy files say, a line each: `Deployment api: 6 instances (…)`.
pub fn deploy_lines(project: &Project) -> Vec<String> {
    let d = project.deployment();
    let mut out: Vec<String> = d
        .units
        .iter()
        .map(|u| format!("{}: {} instances ({})", u.name, u.instances, u.source))
        .collect();
    out.extend(
        d.limits
            .iter()
            .map(|l| format!("max_connections {} ({})", l.max_connections, l.source)),
    );
    out.extend(d.poolers.iter().map(|p| {
        let mcc = p
            .max_client_conn
            .as_ref()
            .map_or("max_client_conn not set".to_string(), |(n, s)| {
                format!("max_client_conn {n} ({s})")
            });
        format!("PgBouncer ({}): {mcc}", p.source)
    }));
    out
}

/// The pools of one workspace, each with the numbers it is judged by.
pub fn pools(project: &Project) -> Vec<Entry> {
    let mut out = vec![];
    for unit in &project.units {
        if !unit.reported || !unit.is_service_source() {
            continue;
        }
        let sites = pool_sites(project, unit);
        if sites.is_empty() {
            continue;
        }
        let budget = project.budget_for(Some(unit));
        let rel = |p: &std::path::Path| crate::engine::display_path(p);
        for site in sites {
            let here = format!(
                "{}:{}",
                rel(&unit.path),
                line_of(&unit.path, site.span.start)
            );
            // A config file's value wins over the serde default written in code.
            let from_file = match &site.size {
                Size::Written { written, .. } => written.field.as_deref().and_then(|field| {
                    project
                        .extras
                        .iter()
                        .filter(|e| {
                            matches!(e.kind, ExtraKind::Toml | ExtraKind::Env) && project.ships(e)
                        })
                        .find_map(|e| {
                            let size =
                                config_sizes(project, e.kind, &e.text)
                                    .into_iter()
                                    .find(|s| {
                                        s.key
                                            .to_ascii_lowercase()
                                            .ends_with(&field.to_ascii_lowercase())
                                    })?;
                            let line = e.text[..size.span.start.min(e.text.len())]
                                .matches('\n')
                                .count()
                                + 1;
                            Some((
                                u64::try_from(size.value).ok(),
                                format!("{}:{line}, `{}`", rel(&e.path), size.key),
                            ))
                        })
                }),
                _ => None,
            };
            let (size, size_from) = match &site.size {
                _ if from_file.is_some() => from_file.expect("checked"),
                Size::Written { written, .. } => {
                    let path = project
                        .units
                        .iter()
                        .map(|u| (u.id, &u.path))
                        .chain(project.extras.iter().map(|e| (e.id, &e.path)))
                        .find(|(id, _)| *id == written.file)
                        .map(|(_, p)| p.clone());
                    let at = path.map_or(String::new(), |p| {
                        format!("{}:{}", rel(&p), line_of(&p, written.span.start))
                    });
                    (
                        u64::try_from(written.value).ok(),
                        format!("{at}{}", written.via_text()),
                    )
                }
                Size::Default if site.entry.grows_with_host => (
                    None,
                    "the library's default, which grows with the host's CPU count".to_string(),
                ),
                Size::Default => match site.entry.default_size {
                    Some(d) => (Some(d), "the library's default".to_string()),
                    None => (None, "the library's default (unknown)".to_string()),
                },
                Size::Unknown => (None, "set at run time".to_string()),
            };
            let service = unit
                .bin
                .clone()
                .unwrap_or_else(|| project.crate_of(unit).name.clone());
            // Pools of one workspace may share a database; those of two workspaces cannot be told to.
            let key = database_key(unit, site.span)
                .map(|k| format!("{k} in {}", crate::engine::display_path(&project.root)));
            out.push(Entry {
                pool: Pool {
                    service,
                    file: here,
                    line: line_of(&unit.path, site.span.start),
                    library: site.entry.library.clone(),
                    size,
                    size_from,
                    instances: budget.instances,
                    instances_from: budget.instances_from.clone(),
                    connections: size.map(|s| s.saturating_mul(budget.instances)),
                },
                key,
                budget: budget.clone(),
            });
        }
    }
    out
}

/// The pools grouped by database, with totals (at each count of `scale`, when given).
pub fn report(entries: Vec<Entry>, scale: &[u64]) -> Vec<Database> {
    let mut dbs: Vec<Database> = vec![];
    for Entry { pool, key, budget } in entries {
        let key = key.unwrap_or_else(|| {
            format!(
                "unknown database of the pool at {} (judged alone)",
                pool.file
            )
        });
        let db = match dbs.iter_mut().position(|d| d.key == key) {
            Some(i) => &mut dbs[i],
            None => {
                let mut notes = vec![];
                notes.extend(budget.pooler.clone());
                dbs.push(Database {
                    key,
                    max_connections: budget.max_connections,
                    max_connections_from: budget.max_connections_from.clone(),
                    reserved: budget.reserved,
                    available: budget.available(),
                    notes,
                    pools: vec![],
                    total: 0,
                    fits: true,
                    scale: vec![],
                    runs_out_at: None,
                });
                dbs.last_mut().expect("pushed")
            }
        };
        if let Some(s) = &budget.surge
            && !db.notes.contains(s)
        {
            db.notes.push(s.clone());
        }
        db.pools.push(pool);
    }
    for db in &mut dbs {
        db.total = db.pools.iter().filter_map(|p| p.connections).sum();
        db.fits = db.total <= db.available;
        db.scale = scale
            .iter()
            .map(|&n| {
                let total: u64 = db
                    .pools
                    .iter()
                    .filter_map(|p| p.size)
                    .map(|s| s.saturating_mul(n))
                    .sum();
                Step {
                    instances: n,
                    total,
                    fits: total <= db.available,
                }
            })
            .collect();
        db.runs_out_at = db.scale.iter().find(|s| !s.fits).map(|s| s.instances);
    }
    dbs
}

fn size_text(p: &Pool) -> String {
    match p.size {
        Some(s) => format!("{s} ({})", p.size_from),
        None => format!("? ({})", p.size_from),
    }
}

fn verdict(db: &Database) -> String {
    if db.fits {
        format!(
            "{} of {} — fits, {} to spare",
            db.total,
            db.available,
            db.available - db.total
        )
    } else {
        format!(
            "{} of {} — over by {}",
            db.total,
            db.available,
            db.total - db.available
        )
    }
}

fn unknown_note(db: &Database) -> Option<String> {
    let n = db.pools.iter().filter(|p| p.size.is_none()).count();
    (n > 0).then(|| format!("{n} pool(s) of unknown size are not counted"))
}

/// The report as text for a terminal; `deploy` is what the deploy files say.
pub fn text(dbs: &[Database], deploy: &[String]) -> String {
    let mut out = String::new();
    if !deploy.is_empty() {
        out.push_str("read from the deploy files:\n");
        for l in deploy {
            out.push_str(&format!("  {l}\n"));
        }
        out.push('\n');
    }
    if dbs.is_empty() {
        out.push_str("no connection pools found\n");
        return out;
    }
    for db in dbs {
        out.push_str(&format!(
            "database {}: max_connections {} ({}), {} kept for operators: {} for the pools\n",
            db.key, db.max_connections, db.max_connections_from, db.reserved, db.available
        ));
        for p in &db.pools {
            out.push_str(&format!(
                "  {} {} pool at {}\n    size        {}\n    instances   {} ({})\n    connections {}\n",
                p.service,
                p.library,
                p.file,
                size_text(p),
                p.instances,
                p.instances_from,
                p.connections.map_or("?".to_string(), |c| c.to_string()),
            ));
        }
        out.push_str(&format!("  total: {}\n", verdict(db)));
        for s in &db.scale {
            out.push_str(&format!(
                "  at {:>3} instances: {:>5} of {} {}\n",
                s.instances,
                s.total,
                db.available,
                if s.fits { "fits" } else { "runs out" }
            ));
        }
        if !db.scale.is_empty() {
            out.push_str(&match db.runs_out_at {
                Some(n) => format!("  runs out at {n} instances\n"),
                None => "  fits at every count asked\n".to_string(),
            });
        }
        for n in db.notes.iter().cloned().chain(unknown_note(db)) {
            out.push_str(&format!("  note: {n}\n"));
        }
        out.push('\n');
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The report as Markdown (the GitHub step summary).
pub fn markdown(dbs: &[Database]) -> String {
    let mut out = String::from("## Connection capacity\n\n");
    if dbs.is_empty() {
        out.push_str("No connection pools found.\n");
        return out;
    }
    for db in dbs {
        out.push_str(&format!(
            "### {}\n\nmax_connections {} ({}), {} kept for operators: **{}** for the pools.\n\n",
            md_cell(&db.key),
            db.max_connections,
            md_cell(&db.max_connections_from),
            db.reserved,
            db.available
        ));
        out.push_str(
            "| service | pool | size | instances | connections |\n|---|---|---|---|---|\n",
        );
        for p in &db.pools {
            out.push_str(&format!(
                "| {} | `{}` ({}) | {} | {} ({}) | {} |\n",
                md_cell(&p.service),
                md_cell(&p.file),
                md_cell(&p.library),
                md_cell(&size_text(p)),
                p.instances,
                md_cell(&p.instances_from),
                p.connections.map_or("?".to_string(), |c| c.to_string())
            ));
        }
        out.push_str(&format!(
            "| **total** | | | | **{}** |\n\n",
            md_cell(&verdict(db))
        ));
        if !db.scale.is_empty() {
            out.push_str("| instances | connections | |\n|---|---|---|\n");
            for s in &db.scale {
                out.push_str(&format!(
                    "| {} | {} of {} | {} |\n",
                    s.instances,
                    s.total,
                    db.available,
                    if s.fits { "fits" } else { "**runs out**" }
                ));
            }
            out.push('\n');
        }
        for n in db.notes.iter().cloned().chain(unknown_note(db)) {
            out.push_str(&format!("- {}\n", md_cell(&n)));
        }
        out.push('\n');
    }
    out
}
