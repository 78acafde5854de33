//! Discovery: which workspaces the given paths belong to, their crates, dependencies and
//! features, and every file's role.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Service,
    Test,
    Bench,
    Example,
    Build,
}

#[derive(Clone, Debug, Default)]
pub struct Dependency {
    /// The package name on crates.io (`tokio-cron-scheduler`).
    pub package: String,
    pub features: BTreeSet<String>,
    pub default_features: bool,
    /// Only a dev- or build-dependency.
    pub dev_only: bool,
    /// Behind a feature (`optional = true`): the crate may be built without it.
    pub optional: bool,
}

#[derive(Clone, Debug)]
pub struct CrateInfo {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Option<PathBuf>,
    /// Dependencies by library name (`tokio_cron_scheduler`), renames applied.
    pub deps: BTreeMap<String, Dependency>,
    /// `[[bin]]` names and paths (relative to `dir`), plus `src/main.rs` and `src/bin/*`.
    pub bins: Vec<(String, PathBuf)>,
    /// A file outside any crate, analysed on its own with the dependencies its `use` items name.
    pub loose: bool,
    /// The manifest could not be read; dependencies are unknown.
    pub manifest_error: Option<ManifestError>,
    /// The manifest was read, but a value of the wrong type in it was skipped.
    pub manifest_type_error: Option<ManifestError>,
}

#[derive(Clone, Debug)]
pub struct ManifestError {
    pub message: String,
    pub span: Option<std::ops::Range<usize>>,
    /// What scalelint did instead of reading what it could not.
    pub assumed: String,
}

impl CrateInfo {
    pub fn depends_on(&self, lib: &str) -> bool {
        self.deps.get(lib).is_some_and(|d| !d.dev_only)
    }

    /// A dependency the crate always builds with: not dev-only, not behind a feature.
    pub fn always_depends_on(&self, lib: &str) -> bool {
        self.deps
            .get(lib)
            .is_some_and(|d| !d.dev_only && !d.optional)
    }

    pub fn features_of(&self, lib: &str) -> Option<&BTreeSet<String>> {
        self.deps.get(lib).map(|d| &d.features)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtraKind {
    /// A TOML file other than `Cargo.toml` and scalelint's own (service configuration).
    Toml,
    /// `.env`, `.env.production`, `*.env`.
    Env,
    Dockerfile,
    Yaml,
    Shell,
    /// A database's or pooler's settings: `postgresql.conf`, `my.cnf`, `pgbouncer.ini`.
    Conf,
    /// HCL: Nomad job files (`*.nomad`, `*.nomad.hcl`, `*.hcl`) and Terraform (`*.tf`).
    Hcl,
}

#[derive(Clone, Debug)]
pub struct SourceEntry {
    pub path: PathBuf,
    pub krate: usize,
    pub role: Role,
    /// Module path within the crate.
    pub module: Vec<String>,
    /// The binary this file is the root of, or lives under (`src/bin/worker.rs` → `worker`).
    pub bin: Option<String>,
    /// Named (directly or through a folder) on the command line: its findings are reported.
    pub reported: bool,
}

#[derive(Clone, Debug)]
pub struct ExtraEntry {
    pub path: PathBuf,
    pub kind: ExtraKind,
    pub reported: bool,
}

/// One unit of analysis: a cargo workspace (or a lone package, or a loose file).
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The folder holding the root manifest; for a loose file, its folder.
    pub root: PathBuf,
    pub loose: bool,
    pub crates: Vec<CrateInfo>,
    pub sources: Vec<SourceEntry>,
    pub extras: Vec<ExtraEntry>,
    /// Workspace members that are named in the manifest but missing on disk.
    pub missing_members: Vec<String>,
    /// What discovery assumed about the workspace, for the run's notes (members found as path
    /// dependencies, a `[workspace]` key that looks like a misspelt `members`).
    pub assumed: Vec<String>,
}

#[derive(Debug)]
pub struct DiscoverError(pub String);

/// Folders never descended into.
pub fn skip_dir(name: &str) -> bool {
    name == "target"
        || name == "node_modules"
        || name == "vendor"
        || (name.starts_with('.') && name != ".")
}

pub fn extra_kind(path: &Path) -> Option<ExtraKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower == "cargo.toml"
        || lower == "cargo.lock"
        || lower == "scalelint.toml"
        || lower == ".scalelint.toml"
    {
        return None;
    }
    if lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile") {
        return Some(ExtraKind::Dockerfile);
    }
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return Some(ExtraKind::Env);
    }
    if lower == "rust-toolchain.toml"
        || lower == "rustfmt.toml"
        || lower == ".rustfmt.toml"
        || lower == "clippy.toml"
        || lower == "deny.toml"
        || lower == "taplo.toml"
        || lower == "typos.toml"
        || lower == "cross.toml"
    {
        return None;
    }
    if (lower.contains("postgres") && lower.ends_with(".conf"))
        || lower.ends_with(".cnf")
        || (lower.starts_with("pgbouncer") && (lower.ends_with(".ini") || lower.ends_with(".conf")))
    {
        return Some(ExtraKind::Conf);
    }
    match path.extension()?.to_str()? {
        "toml" => Some(ExtraKind::Toml),
        "yaml" | "yml" => Some(ExtraKind::Yaml),
        "sh" => Some(ExtraKind::Shell),
        "nomad" | "hcl" | "tf" => Some(ExtraKind::Hcl),
        _ => None,
    }
}

fn lib_name(package: &str) -> String {
    package.replace('-', "_")
}

fn read_deps(
    table: &toml::Table,
    ws_deps: Option<&toml::Table>,
    deps: &mut BTreeMap<String, Dependency>,
) {
    for (section, dev_only) in [
        ("dependencies", false),
        ("dev-dependencies", true),
        ("build-dependencies", true),
    ] {
        let Some(toml::Value::Table(t)) = table.get(section) else {
            continue;
        };
        for (key, spec) in t {
            let mut dep = Dependency {
                package: key.clone(),
                default_features: true,
                dev_only,
                ..Default::default()
            };
            let add_spec = |spec: &toml::Value, dep: &mut Dependency| {
                if let toml::Value::Table(s) = spec {
                    if let Some(toml::Value::String(p)) = s.get("package") {
                        dep.package = p.clone();
                    }
                    if let Some(toml::Value::Array(f)) = s.get("features") {
                        dep.features
                            .extend(f.iter().filter_map(|v| v.as_str().map(str::to_string)));
                    }
                    if let Some(toml::Value::Boolean(false)) = s.get("default-features") {
                        dep.default_features = false;
                    }
                    if let Some(toml::Value::Boolean(true)) = s.get("optional") {
                        dep.optional = true;
                    }
                }
            };
            if let toml::Value::Table(s) = spec
                && s.get("workspace").and_then(|v| v.as_bool()) == Some(true)
                && let Some(ws) = ws_deps.and_then(|w| w.get(key))
            {
                add_spec(ws, &mut dep);
            }
            add_spec(spec, &mut dep);
            let lib = lib_name(key);
            match deps.get_mut(&lib) {
                Some(existing) => {
                    existing.features.extend(dep.features);
                    existing.dev_only &= dep.dev_only;
                    existing.optional &= dep.optional;
                }
                None => {
                    deps.insert(lib, dep);
                }
            }
        }
    }
}

fn read_manifest(path: &Path) -> Result<toml::Table, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        message: format!("cannot read the manifest: {e}"),
        span: None,
        assumed: UNREAD.to_string(),
    })?;
    toml::from_str::<toml::Table>(&text).map_err(|e| ManifestError {
        message: format!("cannot read the manifest: {}", e.message().trim()),
        span: e.span(),
        assumed: UNREAD.to_string(),
    })
}

const UNREAD: &str = "its crate was analysed without knowing its dependencies";

/// A manifest that is valid TOML but gives a value scalelint reads a type it cannot use.
fn manifest_type_error(path: &Path) -> Option<ManifestError> {
    crate::manifest::type_error(&std::fs::read_to_string(path).ok()?)
}

fn load_crate(dir: &Path, ws_deps: Option<&toml::Table>) -> CrateInfo {
    let manifest = dir.join("Cargo.toml");
    let mut info = CrateInfo {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dir: dir.to_path_buf(),
        manifest: Some(manifest.clone()),
        deps: BTreeMap::new(),
        bins: vec![],
        loose: false,
        manifest_error: None,
        manifest_type_error: None,
    };
    let table = match read_manifest(&manifest) {
        Ok(t) => t,
        Err(e) => {
            info.manifest_error = Some(e);
            return info;
        }
    };
    info.manifest_type_error = manifest_type_error(&manifest);
    if let Some(name) = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
    {
        info.name = name.to_string();
    }
    read_deps(&table, ws_deps, &mut info.deps);
    if let Some(toml::Value::Table(targets)) = table.get("target") {
        for spec in targets.values().filter_map(|v| v.as_table()) {
            read_deps(spec, ws_deps, &mut info.deps);
        }
    }
    if let Some(toml::Value::Array(bins)) = table.get("bin") {
        for bin in bins.iter().filter_map(|b| b.as_table()) {
            let Some(name) = bin.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let path = bin
                .get("path")
                .and_then(|p| p.as_str())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(format!("src/bin/{name}.rs")));
            info.bins.push((name.to_string(), path));
        }
    }
    if dir.join("src/main.rs").is_file()
        && !info.bins.iter().any(|(_, p)| p == Path::new("src/main.rs"))
    {
        info.bins
            .push((info.name.clone(), PathBuf::from("src/main.rs")));
    }
    info
}

fn is_package_manifest(path: &Path) -> bool {
    read_manifest(path).map_or(true, |t| t.contains_key("package"))
}

/// Whether a file belongs to the package rooted at `pkg`: it is one of its targets' sources.
fn in_package_targets(pkg: &Path, file: &Path, bins: &[(String, PathBuf)]) -> bool {
    let Ok(rel) = file.strip_prefix(pkg) else {
        return false;
    };
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    matches!(first, "src" | "tests" | "benches" | "examples")
        || rel == Path::new("build.rs")
        || bins.iter().any(|(_, p)| {
            rel.starts_with(p.parent().unwrap_or(Path::new("")))
                && rel.extension().is_some_and(|e| e == "rs")
                && p.parent().is_some_and(|d| d != Path::new(""))
        })
}

fn member_patterns(ws: &toml::Table, key: &str) -> Vec<String> {
    ws.get(key)
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The workspace root of the package at `pkg`: the nearest manifest above with `[workspace]`
/// whose members include it; otherwise the package itself.
fn workspace_root(pkg: &Path) -> (PathBuf, Option<toml::Table>) {
    for dir in pkg.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let Ok(table) = read_manifest(&manifest) else {
            continue;
        };
        let Some(toml::Value::Table(ws)) = table.get("workspace") else {
            continue;
        };
        if dir == pkg {
            return (dir.to_path_buf(), Some(ws.clone()));
        }
        let rel = pkg.strip_prefix(dir).unwrap_or(pkg);
        let matches = |patterns: Vec<String>| {
            patterns.iter().any(|p| {
                globset::Glob::new(p.trim_end_matches('/'))
                    .is_ok_and(|g| g.compile_matcher().is_match(rel))
            })
        };
        if matches(member_patterns(ws, "members")) && !matches(member_patterns(ws, "exclude")) {
            return (dir.to_path_buf(), Some(ws.clone()));
        }
        // A path dependency of a member, inside the workspace's folder, is a member too.
        if !matches(member_patterns(ws, "exclude"))
            && path_dep_members(dir, ws, &ws_listed(dir, ws))
                .iter()
                .any(|d| d == pkg)
        {
            return (dir.to_path_buf(), Some(ws.clone()));
        }
    }
    (pkg.to_path_buf(), None)
}

/// The workspace's members: those its manifest lists (`members`, the root package), and, as
/// cargo makes them, the path dependencies of members that lie inside the workspace's folder.
fn ws_members(root: &Path, ws: &toml::Table) -> (Vec<PathBuf>, Vec<String>) {
    let (listed, missing) = ws_listed_with_missing(root, ws);
    let mut dirs: BTreeSet<PathBuf> = listed.into_iter().collect();
    dirs.extend(path_dep_members(
        root,
        ws,
        &dirs.iter().cloned().collect::<Vec<_>>(),
    ));
    (dirs.into_iter().collect(), missing)
}

fn ws_listed(root: &Path, ws: &toml::Table) -> Vec<PathBuf> {
    ws_listed_with_missing(root, ws).0
}

/// Path dependencies (any dependency table, target-specific ones too) of `members`, and of
/// theirs, that lie inside `root` and are not excluded: members the manifest does not list.
fn path_dep_members(root: &Path, ws: &toml::Table, members: &[PathBuf]) -> Vec<PathBuf> {
    let excluded: Vec<globset::GlobMatcher> = member_patterns(ws, "exclude")
        .iter()
        .filter_map(|p| {
            globset::Glob::new(p.trim_end_matches('/'))
                .ok()
                .map(|g| g.compile_matcher())
        })
        .collect();
    let mut seen: BTreeSet<PathBuf> = members.iter().cloned().collect();
    let mut todo: Vec<PathBuf> = members.to_vec();
    let mut out = vec![];
    while let Some(dir) = todo.pop() {
        let Ok(table) = read_manifest(&dir.join("Cargo.toml")) else {
            continue;
        };
        let mut tables: Vec<&toml::Table> = vec![];
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(t) = table.get(key).and_then(|t| t.as_table()) {
                tables.push(t);
            }
            if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
                for cfg in targets.values() {
                    if let Some(t) = cfg.get(key).and_then(|t| t.as_table()) {
                        tables.push(t);
                    }
                }
            }
        }
        for dep in tables.iter().flat_map(|t| t.values()) {
            let Some(path) = dep.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let dep_dir = normalize(&dir.join(path));
            let Ok(rel) = dep_dir.strip_prefix(root) else {
                continue;
            };
            if rel.as_os_str().is_empty()
                || excluded.iter().any(|m| m.is_match(rel))
                || !dep_dir.join("Cargo.toml").is_file()
                || !seen.insert(dep_dir.clone())
            {
                continue;
            }
            out.push(dep_dir.clone());
            todo.push(dep_dir);
        }
    }
    out.sort();
    out
}

/// What discovery assumed about a workspace's members, for the run's notes.
fn assumed_members(root: &Path, ws: &toml::Table) -> Vec<String> {
    let mut out = vec![];
    let listed = ws_listed(root, ws);
    let deps = path_dep_members(root, ws, &listed);
    let shown: Vec<String> = deps
        .iter()
        .map(|d| slash_path(d.strip_prefix(root).unwrap_or(d)))
        .collect();
    // A key of `[workspace]` cargo does not know, spelt close to `members` (`memebers`).
    let known = [
        "members",
        "exclude",
        "default-members",
        "resolver",
        "package",
        "dependencies",
        "lints",
        "metadata",
    ];
    for key in ws.keys().filter(|k| !known.contains(&k.as_str())) {
        if close_to(key, "members") {
            out.push(format!(
                "`[workspace]` has `{key}`, not `members` (a misspelling?): cargo ignores it; the members read are the root package and the path dependencies inside the workspace{}",
                if shown.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", shown.join(", "))
                }
            ));
            return out;
        }
    }
    if !shown.is_empty() {
        out.push(format!(
            "read {} as workspace member(s): path dependencies inside the workspace's folder, which cargo makes members though `members` does not list them",
            shown.join(", ")
        ));
    }
    out
}

/// Whether two words differ by at most two edits (insertions, deletions, substitutions, or one
/// swap of neighbours).
fn close_to(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.to_ascii_lowercase().chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()] <= 2
}

fn ws_listed_with_missing(root: &Path, ws: &toml::Table) -> (Vec<PathBuf>, Vec<String>) {
    let mut dirs = BTreeSet::new();
    let mut missing = vec![];
    if root.join("Cargo.toml").is_file() && is_package_manifest(&root.join("Cargo.toml")) {
        dirs.insert(root.to_path_buf());
    }
    let excluded: Vec<globset::GlobMatcher> = member_patterns(ws, "exclude")
        .iter()
        .filter_map(|p| {
            globset::Glob::new(p.trim_end_matches('/'))
                .ok()
                .map(|g| g.compile_matcher())
        })
        .collect();
    for pattern in member_patterns(ws, "members") {
        let pattern = pattern.trim_end_matches('/');
        if !pattern.contains(['*', '?', '[']) {
            let dir = root.join(pattern);
            if dir.join("Cargo.toml").is_file() {
                dirs.insert(dir);
            } else {
                missing.push(pattern.to_string());
            }
            continue;
        }
        let Ok(glob) = globset::Glob::new(pattern) else {
            continue;
        };
        let matcher = glob.compile_matcher();
        let depth = pattern.matches('/').count() + 1;
        for entry in walkdir::WalkDir::new(root)
            .min_depth(1)
            .max_depth(if pattern.contains("**") { 8 } else { depth })
            .into_iter()
            .filter_entry(|e| {
                !e.file_type().is_dir() || !skip_dir(&e.file_name().to_string_lossy())
            })
            .flatten()
        {
            if !entry.file_type().is_dir() {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if matcher.is_match(rel)
                && !excluded.iter().any(|m| m.is_match(rel))
                && entry.path().join("Cargo.toml").is_file()
            {
                dirs.insert(entry.path().to_path_buf());
            }
        }
    }
    (dirs.into_iter().collect(), missing)
}

fn module_path(rel: &Path) -> (Vec<String>, Option<String>) {
    let parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if parts.first().map(String::as_str) != Some("src") {
        return (vec![], None);
    }
    let mut parts = parts[1..].to_vec();
    let mut bin = None;
    if parts.first().map(String::as_str) == Some("bin") && parts.len() >= 2 {
        bin = Some(parts[1].trim_end_matches(".rs").to_string());
        parts = parts[2..].to_vec();
        if parts.is_empty() {
            return (vec![], bin);
        }
    }
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_string();
    }
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    (parts, bin)
}

/// A crate that only supports tests (`testutils`, `test-helpers`, `e2e-tests`): its code is test code.
fn is_test_support_crate(name: &str) -> bool {
    name.split(['-', '_'])
        .any(|w| w.starts_with("test") || w == "e2e" || w == "fixtures" || w == "mocks")
}

fn role_of(rel: &Path) -> Role {
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    match first {
        "tests" => Role::Test,
        "benches" => Role::Bench,
        "examples" => Role::Example,
        "build.rs" => Role::Build,
        _ => {
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let in_tests_dir = rel.components().any(|c| c.as_os_str() == "tests");
            if name == "tests.rs"
                || name.ends_with("_tests.rs")
                || name.ends_with("_test.rs")
                || in_tests_dir
            {
                Role::Test
            } else {
                Role::Service
            }
        }
    }
}

/// Walks `dir` for files of one package (or of a virtual workspace root): `.rs` files in its
/// target folders and the config and deploy files the rules read. Stops at nested packages.
fn walk_package(
    dir: &Path,
    crate_info: Option<&CrateInfo>,
    mut found: impl FnMut(PathBuf, Option<ExtraKind>),
) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !skip_dir(&name) && !e.path().join("Cargo.toml").is_file()
        });
    for entry in walker.flatten() {
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.into_path();
        if path.extension().is_some_and(|e| e == "rs") {
            if crate_info.is_some_and(|c| in_package_targets(dir, &path, &c.bins)) {
                found(path, None);
            }
        } else if let Some(kind) = extra_kind(&path) {
            found(path, Some(kind));
        }
    }
}

/// A workspace found by [`discover`], loaded (its crates and files listed) by [`Discovery::load`]
/// when its turn comes, so the files of only a few workspaces are listed at a time.
#[derive(Clone, Debug)]
pub enum Pending {
    /// A cargo workspace or lone package, with its `[workspace]` table if it has one.
    Cargo {
        root: PathBuf,
        table: Option<toml::Table>,
    },
    /// A Rust file that belongs to no crate.
    LooseSource(PathBuf),
    /// A config or deploy file that belongs to no crate.
    LooseExtra(PathBuf, ExtraKind),
}

/// The paths given to check: a file is reported when it is one of them or under one of them.
#[derive(Debug, Default)]
struct Inputs {
    files: BTreeSet<PathBuf>,
    folders: Vec<PathBuf>,
}

impl Inputs {
    /// Whether the walk of the inputs reaches `path`: it is an input, or under an input folder
    /// and below it in no folder the walk skips.
    fn reach(&self, path: &Path) -> bool {
        self.files.contains(path)
            || self.folders.iter().any(|dir| {
                path.strip_prefix(dir).is_ok_and(|rel| {
                    let mut folders = rel.iter();
                    folders.next_back();
                    !folders.any(|name| skip_dir(&name.to_string_lossy()))
                })
            })
    }
}

/// What [`discover`] found: the workspaces to analyse, in order.
#[derive(Debug, Default)]
pub struct Discovery {
    pub pending: Vec<Pending>,
    inputs: Inputs,
    /// Remarks about what was skipped (unreadable folders, dangling links).
    pub notes: Vec<String>,
    /// Manifests that are no package's own (virtual workspace roots) with a value of a type
    /// scalelint cannot use (`members = "x"`); packages' own manifests are reported with their
    /// crate.
    pub manifest_errors: Vec<(PathBuf, ManifestError)>,
}

/// The nearest package at or above each folder of the current walk: walks are depth-first,
/// so remembering the folders above the current one answers nearly every question.
#[derive(Default)]
struct PackageOf {
    chain: Vec<(PathBuf, Option<PathBuf>)>,
}

impl PackageOf {
    fn get(&mut self, dir: &Path) -> Option<PathBuf> {
        while let Some((top, _)) = self.chain.last() {
            if dir.starts_with(top) {
                break;
            }
            self.chain.pop();
        }
        if let Some((top, pkg)) = self.chain.last()
            && top == dir
        {
            return pkg.clone();
        }
        let manifest = dir.join("Cargo.toml");
        let pkg = if manifest.is_file() && is_package_manifest(&manifest) {
            Some(dir.to_path_buf())
        } else {
            match dir.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => self.get(parent),
                _ => None,
            }
        };
        self.chain.push((dir.to_path_buf(), pkg.clone()));
        pkg
    }
}

/// Finds the workspaces the given paths belong to (see [`Discovery::load`] for their files).
pub fn discover(inputs: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut found = Discovery::default();
    let mut roots: BTreeMap<PathBuf, Option<toml::Table>> = BTreeMap::new();
    let mut loose: BTreeSet<PathBuf> = BTreeSet::new();
    let mut loose_extra: Vec<(PathBuf, ExtraKind)> = vec![];
    let mut package_of = PackageOf::default();
    // Per package: its binaries (for its target folders) and its workspace root.
    type Bins = Vec<(String, PathBuf)>;
    let mut packages: BTreeMap<PathBuf, (Bins, PathBuf, Option<toml::Table>)> = BTreeMap::new();

    let mut classify = |path: PathBuf, extra: Option<ExtraKind>| {
        let parent = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let owned = package_of.get(&parent).is_some_and(|dir| {
            let (bins, root, table) = packages.entry(dir.clone()).or_insert_with(|| {
                let (root, table) = workspace_root(&dir);
                (load_crate(&dir, None).bins, root, table)
            });
            let owned = extra.is_some() || in_package_targets(&dir, &path, bins);
            if owned && !roots.contains_key(root) {
                roots.insert(root.clone(), table.clone());
            }
            owned
        });
        match extra {
            _ if owned => {}
            None => {
                loose.insert(path);
            }
            Some(kind) => loose_extra.push((path, kind)),
        }
    };

    let mut manifests: Vec<PathBuf> = vec![];
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| DiscoverError(format!("{}: {}", input.display(), io_reason(&e))))?;
        let input = std::path::absolute(input)
            .map_err(|e| DiscoverError(format!("{}: {e}", input.display())))?;
        let input = normalize(&input);
        if meta.is_file() {
            if input.extension().is_some_and(|e| e == "rs") {
                found.inputs.files.insert(input.clone());
                classify(input, None);
            } else if input.file_name().is_some_and(|n| n == "Cargo.toml") {
                manifests.push(input.parent().unwrap().to_path_buf());
            } else if let Some(kind) = extra_kind(&input) {
                found.inputs.files.insert(input.clone());
                classify(input, Some(kind));
            }
            continue;
        }
        // A folder: every Rust, config and deploy file under it.
        found.inputs.folders.push(input.clone());
        let walker = walkdir::WalkDir::new(&input)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !skip_dir(&e.file_name().to_string_lossy())
            });
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let at = e
                        .path()
                        .map_or_else(|| input.display().to_string(), |p| p.display().to_string());
                    let why = e.io_error().map_or_else(|| e.to_string(), io_reason);
                    found.notes.push(format!("skipped {at}: {why}"));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.into_path();
            if path.extension().is_some_and(|e| e == "rs") {
                if entry_is_file(&path) {
                    classify(path, None);
                } else if !path.is_dir() {
                    found.notes.push(format!(
                        "skipped {}: a link to nothing, or not a regular file",
                        path.display()
                    ));
                }
            } else if let Some(kind) = extra_kind(&path)
                && entry_is_file(&path)
            {
                classify(path, Some(kind));
            }
        }
    }
    for dir in manifests {
        let (root, ws) = workspace_root(&dir);
        roots.entry(root).or_insert(ws);
    }
    let mut above: BTreeSet<PathBuf> = BTreeSet::new();
    let dirs = packages.keys().cloned().chain(
        loose
            .iter()
            .chain(loose_extra.iter().map(|(p, _)| p))
            .filter_map(|p| p.parent().map(Path::to_path_buf)),
    );
    for dir in dirs {
        for d in dir.ancestors() {
            let m = d.join("Cargo.toml");
            if above.insert(m.clone())
                && m.is_file()
                && !is_package_manifest(&m)
                && let Some(e) = manifest_type_error(&m)
            {
                found.manifest_errors.push((m, e));
            }
        }
    }

    found.pending = roots
        .into_iter()
        .map(|(root, table)| Pending::Cargo { root, table })
        .chain(loose.into_iter().map(Pending::LooseSource))
        .chain(
            loose_extra
                .into_iter()
                .map(|(path, kind)| Pending::LooseExtra(path, kind)),
        )
        .collect();
    Ok(found)
}

impl Pending {
    /// The workspace's folder; for a loose file, the folder holding it.
    pub fn folder(&self) -> &Path {
        match self {
            Pending::Cargo { root, .. } => root,
            Pending::LooseSource(path) | Pending::LooseExtra(path, _) => {
                path.parent().unwrap_or(Path::new("."))
            }
        }
    }
}

impl Discovery {
    /// Whether `path` (a Rust file) is one of the files to check.
    pub fn checks_source(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "rs") && self.inputs.reach(path)
    }

    /// Lists a found workspace's crates and files.
    pub fn load(&self, pending: &Pending) -> Workspace {
        match pending {
            Pending::Cargo { root, table } => self.load_cargo(root, table.as_ref()),
            Pending::LooseSource(path) => {
                let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                let info = CrateInfo {
                    name: path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    dir: dir.clone(),
                    manifest: None,
                    deps: BTreeMap::new(),
                    bins: vec![],
                    loose: true,
                    manifest_error: None,
                    manifest_type_error: None,
                };
                Workspace {
                    root: dir,
                    loose: true,
                    crates: vec![info],
                    sources: vec![SourceEntry {
                        path: path.clone(),
                        krate: 0,
                        role: Role::Service,
                        module: vec![],
                        bin: None,
                        reported: true,
                    }],
                    extras: vec![],
                    missing_members: vec![],
                    assumed: vec![],
                }
            }
            Pending::LooseExtra(path, kind) => Workspace {
                root: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
                loose: true,
                crates: vec![],
                sources: vec![],
                extras: vec![ExtraEntry {
                    path: path.clone(),
                    kind: *kind,
                    reported: true,
                }],
                missing_members: vec![],
                assumed: vec![],
            },
        }
    }

    fn load_cargo(&self, root: &Path, ws: Option<&toml::Table>) -> Workspace {
        // A file is reported when the walk of the inputs reached it (a regular file).
        let reported = |path: &Path| self.inputs.reach(path) && entry_is_file(path);
        let ws_deps = ws
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.as_table());
        let (member_dirs, missing) = match ws {
            Some(w) => ws_members(root, w),
            None => (vec![root.to_path_buf()], vec![]),
        };
        let assumed = ws.map(|w| assumed_members(root, w)).unwrap_or_default();
        let mut workspace = Workspace {
            root: root.to_path_buf(),
            loose: false,
            crates: vec![],
            sources: vec![],
            extras: vec![],
            missing_members: missing,
            assumed,
        };
        if !member_dirs.iter().any(|d| d == root) {
            // A virtual manifest: its folder still holds deploy and config files, read for
            // context; they are reported as files of no crate.
            walk_package(root, None, |path, kind| {
                if let Some(kind) = kind {
                    workspace.extras.push(ExtraEntry {
                        reported: false,
                        path,
                        kind,
                    });
                }
            });
        }
        for dir in member_dirs {
            let info = load_crate(&dir, ws_deps);
            let krate = workspace.crates.len();
            let bins = info.bins.clone();
            let test_support = is_test_support_crate(&info.name);
            walk_package(&dir, Some(&info), |path, kind| match kind {
                None => {
                    let rel = path.strip_prefix(&dir).unwrap_or(&path).to_path_buf();
                    let (module, mut bin) = module_path(&rel);
                    if bin.is_none() {
                        bin = bins.iter().find(|(_, p)| *p == rel).map(|(n, _)| n.clone());
                    }
                    workspace.sources.push(SourceEntry {
                        role: if test_support {
                            Role::Test
                        } else {
                            role_of(&rel)
                        },
                        module,
                        bin,
                        reported: reported(&path),
                        krate,
                        path,
                    });
                }
                Some(kind) => {
                    workspace.extras.push(ExtraEntry {
                        reported: reported(&path),
                        path,
                        kind,
                    });
                }
            });
            workspace.crates.push(info);
        }
        workspace.sources.sort_by(|a, b| a.path.cmp(&b.path));
        workspace.extras.sort_by(|a, b| a.path.cmp(&b.path));
        workspace
    }
}

fn entry_is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A path as the outputs show it: with `/` between components on every platform. Only the
/// separator is converted (on Windows); a `\\` in a Unix file name is part of the name and kept.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// Removes `.` and `..` components without touching the file system (no symlink resolution).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::close_to;

    #[test]
    fn misspelt_members() {
        assert!(close_to("memebers", "members"));
        assert!(close_to("memvers", "members"));
        assert!(close_to("member", "members"));
        assert!(close_to("Members", "members"));
        assert!(!close_to("exclude", "members"));
        assert!(!close_to("resolver", "members"));
        assert!(!close_to("metadata", "members"));
    }
}
