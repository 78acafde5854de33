//! What the repository's deploy files say about scale: how many instances each deploy unit runs
//! (Kubernetes, Helm values, docker compose, Nomad) and how many connections the database allows
//! (a shipped `postgresql.conf`/`my.cnf`, a compose `command`, a CloudNativePG or Zalando
//! manifest, a PgBouncer in front). Every number keeps the file and line it was read from.

pub mod capacity;
pub mod database;
pub mod dev;
pub mod hcl;
pub mod instances;
pub mod versions;
pub mod yaml;

use crate::config::{DEFAULT_INSTANCES, DEFAULT_MAX_CONNECTIONS};
use crate::project::{Extra, Project, Unit};
use std::path::{Path, PathBuf};

/// Where a number was read: `deploy/api.yaml:7, HPA maxReplicas`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub file: PathBuf,
    pub line: usize,
    pub what: String,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}, {}", self.file.display(), self.line, self.what)
    }
}

/// What the deploy files of one workspace say.
#[derive(Debug, Default)]
pub struct Deployment {
    pub units: Vec<instances::DeployUnit>,
    pub limits: Vec<database::Limit>,
    pub poolers: Vec<database::Pooler>,
}

impl Deployment {
    pub fn read(project: &Project) -> Deployment {
        let files: Vec<&Extra> = project.extras.iter().filter(|e| project.ships(e)).collect();
        // Shown as the findings' paths are: relative to where scalelint runs.
        let rel = |p: &Path| -> PathBuf { PathBuf::from(crate::engine::display_path(p)) };
        let mut d = Deployment::default();
        for e in &files {
            instances::read(&rel(&e.path), e, &files, &mut d.units);
            database::read(&rel(&e.path), e, &files, &mut d.limits, &mut d.poolers);
        }
        // A compose file and its override say the same thing twice.
        d.poolers.dedup_by(|a, b| {
            a.max_client_conn.as_ref().map(|m| m.0) == b.max_client_conn.as_ref().map(|m| m.0)
                && a.default_pool_size.as_ref().map(|m| m.0)
                    == b.default_pool_size.as_ref().map(|m| m.0)
        });
        d
    }
}

/// The numbers one pool is judged by, each with where it came from.
#[derive(Clone, Debug)]
pub struct Budget {
    pub instances: u64,
    pub instances_from: String,
    /// A rolling update's surge, said in the note (not counted).
    pub surge: Option<String>,
    pub max_connections: u64,
    pub max_connections_from: String,
    pub reserved: u64,
    pub reserved_from: String,
    /// A connection pooler in front of the database, said in the note.
    pub pooler: Option<String>,
}

impl Budget {
    pub fn per_instance(&self) -> u64 {
        self.available() / self.instances.max(1)
    }

    /// The connections the database leaves for the service's instances.
    pub fn available(&self) -> u64 {
        self.max_connections.saturating_sub(self.reserved)
    }

    /// `6 instances (deploy/api.yaml:7, HPA maxReplicas); max_connections 30 (…); 10 kept for
    /// operators (default)`, with a rollout's surge and a pooler in front when there are.
    pub fn sources_note(&self) -> String {
        let mut s = format!(
            "where the numbers come from: {} instances ({}); max_connections {} ({}); {} kept for operators ({})",
            self.instances,
            self.instances_from,
            self.max_connections,
            self.max_connections_from,
            self.reserved,
            self.reserved_from,
        );
        if let Some(surge) = &self.surge {
            s.push_str("; ");
            s.push_str(surge);
        }
        if let Some(p) = &self.pooler {
            s.push_str("; ");
            s.push_str(p);
        }
        s
    }
}

fn norm(s: &str) -> String {
    s.to_ascii_lowercase().replace('_', "-")
}

impl Project {
    /// What the deploy files say, read on first use.
    pub fn deployment(&self) -> &Deployment {
        self.deployment_cell()
            .get_or_init(|| Deployment::read(self))
    }

    /// The names a deploy unit may run this workspace under: its crates' and the root folder's.
    fn workspace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.crates.iter().map(|c| norm(&c.name)).collect();
        if let Some(n) = self.root.file_name() {
            names.push(norm(&n.to_string_lossy()));
        }
        names
    }

    /// The instance count for a file's code: CLI flag > scalelint.toml > the deploy unit that
    /// runs its binary > the largest count of the deploy units that run this workspace's
    /// binaries > the default.
    pub fn instances_for(&self, unit: Option<&Unit>) -> (u64, String, Option<String>) {
        let config = unit.map_or(&self.config, |u| self.config_of(u));
        if let Some(from) = &config.instances_set {
            return (config.instances, from.clone(), None);
        }
        let d = self.deployment();
        let bin = unit.and_then(|u| u.bin.as_deref()).map(norm);
        if let Some(bin) = &bin {
            let mine: Vec<&instances::DeployUnit> =
                d.units.iter().filter(|u| u.runs(bin)).collect();
            if let Some(u) = mine.iter().max_by_key(|u| u.instances) {
                return (u.instances, u.source.to_string(), u.surge.clone());
            }
        }
        let mut bins: Vec<String> = self
            .units
            .iter()
            .filter_map(|u| u.bin.as_deref().map(norm))
            .collect();
        bins.extend(self.workspace_names());
        bins.sort();
        bins.dedup();
        let runs_ours = d
            .units
            .iter()
            .filter(|u| bins.iter().any(|b| u.runs(b)))
            .max_by_key(|u| u.instances);
        if let Some(u) = runs_ours {
            return (
                u.instances,
                format!(
                    "{}; the most any deploy unit of this workspace runs",
                    u.source
                ),
                u.surge.clone(),
            );
        }
        (
            DEFAULT_INSTANCES,
            "default; no deployment found — set instances in scalelint.toml".to_string(),
            None,
        )
    }

    /// The numbers a pool in `unit` (or a config file, for `None`) is judged by.
    pub fn budget_for(&self, unit: Option<&Unit>) -> Budget {
        let config = unit.map_or(&self.config, |u| self.config_of(u));
        let (instances, instances_from, surge) = self.instances_for(unit);
        let d = self.deployment();
        let (max_connections, max_connections_from, pooler) =
            if let Some(from) = &config.max_connections_set {
                (config.max_connections, from.clone(), None)
            } else {
                database::limit_of(d)
            };
        Budget {
            instances,
            instances_from,
            surge,
            max_connections,
            max_connections_from,
            reserved: config.reserved_connections,
            reserved_from: config
                .reserved_connections_set
                .clone()
                .unwrap_or_else(|| "default".to_string()),
            pooler,
        }
    }
}

/// The default limit, said as such.
pub(crate) fn default_limit() -> (u64, String) {
    (
        DEFAULT_MAX_CONNECTIONS,
        "default; no database settings found".to_string(),
    )
}
