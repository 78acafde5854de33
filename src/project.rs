//! What rules see: one workspace's files with their facts, crates, config and catalog.

use crate::analysis::call_graph::{FnIndex, FnRef, Reach};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::diagnostic::FileId;
use crate::facts::{FileFacts, FnFact, RegionId};
use crate::workspace::{CrateInfo, ExtraKind, Role};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A Rust source file with its facts.
pub struct Unit {
    /// The file's id in the run's file table.
    pub id: FileId,
    pub path: PathBuf,
    pub krate: usize,
    pub role: Role,
    pub bin: Option<String>,
    pub reported: bool,
    pub facts: FileFacts,
    /// The text analysed when it is not the file on disk (stdin, an editor's unsaved buffer).
    pub text_given: Option<std::sync::Arc<str>>,
}

impl Unit {
    /// The text the facts were read from: the given text, else the file read again (the engine
    /// keeps no text; a rule that needs a span's words reads them here, never from the path).
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.text_given {
            Some(t) => Some(std::borrow::Cow::Borrowed(t)),
            None => std::fs::read_to_string(&self.path)
                .ok()
                .map(std::borrow::Cow::Owned),
        }
    }

    /// Service code: not a test, bench, example or build script.
    pub fn is_service_source(&self) -> bool {
        self.role == Role::Service
    }

    /// Whether a fact in `region` is service code (not in a test module or test function).
    pub fn is_service_region(&self, region: RegionId) -> bool {
        self.is_service_source() && !self.facts.in_test(region)
    }
}

/// A config or deploy file (`config/default.toml`, `.env`, `Dockerfile`, Kubernetes YAML).
pub struct Extra {
    pub id: FileId,
    pub path: PathBuf,
    pub kind: ExtraKind,
    pub reported: bool,
    pub text: String,
}

/// A call that may reach a function: where it is.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Index in [`Project::units`].
    pub unit: usize,
    pub span: crate::source::Span,
    pub region: RegionId,
}

pub struct Project {
    pub root: PathBuf,
    pub loose: bool,
    pub crates: Vec<CrateInfo>,
    pub units: Vec<Unit>,
    pub extras: Vec<Extra>,
    pub config: Config,
    pub catalog: Arc<Catalog>,
    pub fn_index: FnIndex,
    reach_cache: Mutex<HashMap<&'static str, Arc<Reach>>>,
    /// See [`Project::fn_flag`].
    fn_flags: Mutex<HashMap<(&'static str, FnRef), bool>>,
    /// See [`Project::has_service`]; asked by every log rule for every file.
    has_service: bool,
    callers: std::sync::OnceLock<HashMap<FnRef, Vec<Caller>>>,
    roles: std::sync::OnceLock<crate::analysis::roles::Roles>,
    one_time: std::sync::OnceLock<crate::analysis::one_time::OneTime>,
    /// The text of every string `const`/`static` of the workspace, by name.
    const_texts: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    /// See [`Project::deployment`].
    deployment: std::sync::OnceLock<crate::deploy::Deployment>,
    /// The settings of the units that a nested `scalelint.toml` or an `[[overrides]]` entry
    /// applies to, one per distinct set of scopes; see [`Project::config_of`].
    scoped: Vec<Config>,
    /// By unit file id, its index in `scoped` (units no scope applies to are not listed).
    unit_scoped: HashMap<FileId, usize>,
}

impl Project {
    /// `src/db/mod.rs:518`: where a span of `unit` is, relative to the project's root.
    pub fn place(&self, unit: &Unit, span: crate::source::Span) -> String {
        let path = unit.path.strip_prefix(&self.root).unwrap_or(&unit.path);
        let line = unit
            .text()
            .and_then(|t| t.get(..span.start).map(|b| b.matches('\n').count() + 1));
        match line {
            Some(l) => format!("{}:{l}", path.display()),
            None => path.display().to_string(),
        }
    }

    pub fn new(
        root: PathBuf,
        loose: bool,
        crates: Vec<CrateInfo>,
        units: Vec<Unit>,
        extras: Vec<Extra>,
        config: Config,
        catalog: Arc<Catalog>,
    ) -> Project {
        let facts: Vec<&FileFacts> = units.iter().map(|u| &u.facts).collect();
        let file_crates = units
            .iter()
            .map(|u| {
                crates
                    .get(u.krate)
                    .map_or(String::new(), |c| c.name.replace('-', "_"))
            })
            .collect();
        let fn_index = FnIndex::build_with_crates(&facts, file_crates);
        let mut scoped = vec![];
        let mut seen: HashMap<Vec<usize>, usize> = HashMap::new();
        let unit_scoped = units
            .iter()
            .filter_map(|u| {
                let scopes = config.scopes_at(&u.path);
                if scopes.is_empty() {
                    return None;
                }
                let i = *seen.entry(scopes).or_insert_with_key(|scopes| {
                    scoped.push(config.with_scopes(scopes));
                    scoped.len() - 1
                });
                Some((u.id, i))
            })
            .collect();
        let mut project = Project {
            root,
            loose,
            crates,
            units,
            extras,
            config,
            catalog,
            fn_index,
            reach_cache: Mutex::new(HashMap::new()),
            fn_flags: Mutex::new(HashMap::new()),
            has_service: false,
            callers: std::sync::OnceLock::new(),
            roles: std::sync::OnceLock::new(),
            one_time: std::sync::OnceLock::new(),
            const_texts: std::sync::OnceLock::new(),
            deployment: std::sync::OnceLock::new(),
            scoped,
            unit_scoped,
        };
        project.has_service = project.find_service();
        project
    }

    /// The settings in force for a unit's file: the workspace's, with the nested
    /// `scalelint.toml` files and `[[overrides]]` that apply to it (its instances, its database).
    pub fn config_of(&self, unit: &Unit) -> &Config {
        self.unit_scoped
            .get(&unit.id)
            .map_or(&self.config, |&i| &self.scoped[i])
    }

    /// What every replica runs: the roles of the workspace's functions, computed on first use.
    pub fn roles(&self) -> &crate::analysis::roles::Roles {
        self.roles
            .get_or_init(|| crate::analysis::roles::Roles::build(self))
    }

    /// Whether the code at `span` (in `region` of `unit`) runs on every replica: server code,
    /// not a one-shot command, a test helper, a debug-only branch or unreached code.
    pub fn runs_on_replicas(
        &self,
        unit: &Unit,
        region: RegionId,
        span: crate::source::Span,
    ) -> bool {
        self.roles().runs_on_replicas(self, unit, region, span)
            && self.one_time().covers(self, unit, region).is_none()
    }

    /// Code that runs once per deployment or operator command: a migration's steps, a job only
    /// a command enqueues (see `analysis::one_time`), computed on first use.
    pub fn one_time(&self) -> &crate::analysis::one_time::OneTime {
        self.one_time
            .get_or_init(|| crate::analysis::one_time::OneTime::build(self))
    }

    /// Whether a deploy file is what ships: not a CI, test, e2e, federation or development
    /// setup (`tests/`, `e2e/`, `dev/`, `federation/`, `docker-compose.dev.yml`, `dev.env`), nor
    /// a compose file that builds the service from the checkout without naming an image.
    pub fn ships(&self, extra: &Extra) -> bool {
        !dev_file(&self.root, &extra.path) && !crate::deploy::dev::builds_from_checkout(extra)
    }

    pub(crate) fn deployment_cell(&self) -> &std::sync::OnceLock<crate::deploy::Deployment> {
        &self.deployment
    }

    /// The workspace's struct of this name (the first found; names are not resolved by path).
    pub fn struct_named(&self, name: &str) -> Option<&crate::facts::StructFact> {
        self.units
            .iter()
            .flat_map(|u| u.facts.structs.iter())
            .find(|s| s.name == name)
    }

    pub fn facts(&self) -> Vec<&FileFacts> {
        self.units.iter().map(|u| &u.facts).collect()
    }

    pub fn crate_of(&self, unit: &Unit) -> &CrateInfo {
        &self.crates[unit.krate]
    }

    /// Whether the unit's crate can name the library (depends on it, or, for a loose file, uses it).
    pub fn uses_crate(&self, unit: &Unit, lib: &str) -> bool {
        let krate = self.crate_of(unit);
        if krate.loose || krate.manifest_error.is_some() {
            return unit.facts.crate_refs.iter().any(|c| c == lib);
        }
        krate.depends_on(lib)
    }

    pub fn uses_any(&self, unit: &Unit, libs: &[String]) -> bool {
        libs.iter().any(|l| self.uses_crate(unit, l))
    }

    /// Whether the unit's crate is a service: it depends on a server or worker framework,
    /// or the config says so.
    pub fn is_service_crate(&self, unit: &Unit) -> bool {
        if let Some(service) = self.config.service {
            return service;
        }
        self.service_framework(unit).is_some()
    }

    /// The framework (its catalogue name) and the crate of it that make the unit's crate a
    /// service, whatever the config says.
    pub fn service_framework(&self, unit: &Unit) -> Option<(&str, &str)> {
        // A framework behind an optional feature (a library's `nats` storage) does not make a service.
        let krate = self.crate_of(unit);
        self.catalog.framework.iter().find_map(|f| {
            let c = f.crates.iter().find(|c| {
                if krate.loose || krate.manifest_error.is_some() {
                    self.uses_crate(unit, c)
                } else {
                    krate.always_depends_on(c)
                }
            })?;
            Some((f.name.as_str(), c.as_str()))
        })
    }

    /// Whether the workspace holds a service: the log rules are about what a service's
    /// instances write, so a workspace of libraries only is not their concern.
    pub fn has_service(&self) -> bool {
        self.has_service
    }

    fn find_service(&self) -> bool {
        if let Some(service) = self.config.service {
            return service;
        }
        self.crates.iter().any(|k| {
            self.catalog
                .service_crates()
                .any(|c| k.always_depends_on(c))
        }) || self.units.iter().any(|u| self.is_service_crate(u))
    }

    /// The calls that may call `target` (resolved as [`FnIndex::callees_of_val`] does), in
    /// file and call order. Built once, on first use, from every call of the workspace.
    pub fn callers_of(&self, target: FnRef) -> &[Caller] {
        let index = self.callers.get_or_init(|| {
            let facts = self.facts();
            let mut index: HashMap<FnRef, Vec<Caller>> = HashMap::new();
            for (unit, u) in self.units.iter().enumerate() {
                for call in &u.facts.calls {
                    let mut callees = self.fn_index.callees_of_val(&facts, unit, &call.val);
                    callees.sort_unstable();
                    callees.dedup();
                    for callee in callees {
                        index.entry(callee).or_default().push(Caller {
                            unit,
                            span: call.val.span(),
                            region: call.region,
                        });
                    }
                }
            }
            index
        });
        index.get(&target).map_or(&[], Vec::as_slice)
    }

    /// The text of the string constant `name` as `unit` sees it: its own file's first, else
    /// the workspace's when only one text goes by that name.
    pub fn const_text<'a>(&'a self, unit: &'a Unit, name: &str) -> Option<&'a str> {
        if let Some(c) = unit.facts.consts.iter().find(|c| c.name == name) {
            return c.text.as_deref();
        }
        let index = self.const_texts.get_or_init(|| {
            let mut index: HashMap<String, Vec<String>> = HashMap::new();
            for u in &self.units {
                for c in &u.facts.consts {
                    if let Some(t) = &c.text {
                        let texts = index.entry(c.name.clone()).or_default();
                        if !texts.contains(t) {
                            texts.push(t.clone());
                        }
                    }
                }
            }
            index
        });
        match index.get(name).map(Vec::as_slice) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    pub fn fn_fact(&self, r: FnRef) -> &FnFact {
        &self.units[r.file].facts.fns[r.idx]
    }

    /// The set of functions that reach something, computed once per key and run.
    pub fn reach(&self, key: &'static str, direct: impl Fn(&Unit, &FnFact) -> bool) -> Arc<Reach> {
        self.reach_except(key, direct, |_, _| false)
    }

    /// The same, where a `blocked` function is never reached and passes nothing to its callers.
    pub fn reach_except(
        &self,
        key: &'static str,
        direct: impl Fn(&Unit, &FnFact) -> bool,
        blocked: impl Fn(&Unit, &FnFact) -> bool,
    ) -> Arc<Reach> {
        if let Some(r) = self
            .reach_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return r.clone();
        }
        let reach = Arc::new(self.fn_index.fixpoint_except(
            |r| direct(&self.units[r.file], self.fn_fact(r)),
            |r| blocked(&self.units[r.file], self.fn_fact(r)),
        ));
        self.reach_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, reach.clone());
        reach
    }

    /// A property of one function, computed once per key and run (the lock is not held while
    /// `compute` runs, so it may ask for other flags).
    pub fn fn_flag(&self, key: &'static str, f: FnRef, compute: impl FnOnce() -> bool) -> bool {
        let cached = self
            .fn_flags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(key, f))
            .copied();
        if let Some(v) = cached {
            return v;
        }
        let v = compute();
        self.fn_flags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((key, f), v);
        v
    }

    /// Functions of the workspace that calls inside `region` of `unit` may invoke.
    pub fn callees_in_region(&self, unit_idx: usize, region: RegionId) -> Vec<FnRef> {
        let facts = self.facts();
        let unit = &self.units[unit_idx];
        let mut out: Vec<FnRef> = unit
            .facts
            .calls_within(region)
            .flat_map(|c| self.fn_index.callees_of_val(&facts, unit_idx, &c.val))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn unit_index(&self, unit: &Unit) -> usize {
        self.units
            .iter()
            .position(|u| std::ptr::eq(u, unit))
            .unwrap_or(0)
    }
}

/// A deploy file of a CI, test or development setup, by its folders and name.
fn dev_file(root: &std::path::Path, path: &std::path::Path) -> bool {
    // A loose deploy file's root is its own folder: judge its folders as discovered then.
    let rel = path.strip_prefix(root).unwrap_or(path);
    let path = if rel.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        path
    } else {
        rel
    };
    let parent = path.parent().unwrap_or(path);
    let dev_dir = parent.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        matches!(
            c.as_str(),
            ".github"
                | ".circleci"
                | "ci"
                | "test"
                | "tests"
                | "testing"
                | "e2e"
                | "integration-tests"
                | "dev"
                | "development"
                | "local"
                | "federation"
                | "example"
                | "examples"
        ) || c.starts_with(".gitlab-ci")
            || c.starts_with("dev-")
            || c.ends_with("-dev")
            || c.ends_with("_dev")
            || c.ends_with("-test")
            || c.ends_with("-tests")
            || c.ends_with("-e2e")
    });
    if dev_dir {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // Words of the name that start like a development word (`docker-compose.test.yml`,
    // `values_local.yaml`, `compose.development.yml`), so `latest.yaml` or `attestation.yaml`
    // are not test files. `template.yaml` alone is CloudFormation's and
    // SAM's default name for the stack that deploys the service, not a template of one.
    let words: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let stem_is_template = words.first() == Some(&"template") && words.len() <= 2;
    words.iter().any(|w| {
        ["dev", "test", "local", "debug", "example", "sample", "e2e"]
            .iter()
            .any(|d| w.starts_with(d))
            || (w.starts_with("template") && !stem_is_template)
    })
}

#[cfg(test)]
mod dev_file_tests {
    use super::dev_file;
    use std::path::Path;

    fn dev(path: &str) -> bool {
        dev_file(Path::new("/repo"), &Path::new("/repo").join(path))
    }

    #[test]
    fn names_are_judged_by_whole_words() {
        assert!(dev("docker-compose.test.yml"));
        assert!(dev("deploy/values_local.yaml"));
        assert!(dev("deploy/values-template.yaml"));
        assert!(dev("compose.dev.yaml"));
        assert!(dev("docker-compose.development.yml"));
        assert!(dev("values.testing.yaml"));
        assert!(!dev("deploy/latest.yaml"));
        assert!(!dev("k8s/attestation.yaml"));
        assert!(!dev("infra/template.yaml"));
        assert!(!dev("template.json"));
        assert!(dev("tests/deploy.yaml"));
    }
}
