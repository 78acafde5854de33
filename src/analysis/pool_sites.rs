//! Where a file opens connection pools and how big each may grow, shared by the pool rules.

use crate::analysis::values::{Written, resolve_int};
use crate::catalog::PoolEntry;
use crate::facts::{CallFact, FileFacts, RegionId, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;

pub enum Size {
    /// Set in code to a number we found where it is written.
    Written {
        setter: String,
        arg: Span,
        written: Written,
    },
    /// Set in code to something we cannot follow (a runtime value): not judged.
    Unknown,
    /// Left to the library's default.
    Default,
}

pub struct PoolSite<'a> {
    pub entry: &'a PoolEntry,
    /// The call that creates the pool or its builder.
    pub span: Span,
    pub size: Size,
}

fn path_matches(path: &[String], pattern: &str, entry: &PoolEntry, facts: &FileFacts) -> bool {
    let suffix: Vec<&str> = pattern.split("::").collect();
    if !ends_with(path, &suffix) {
        return false;
    }
    if path.iter().any(|seg| entry.crates.iter().any(|c| c == seg)) {
        return true;
    }
    // `use bb8::*;` then `Pool::builder()`: the glob names the crate.
    path.len() == suffix.len()
        && facts
            .globs
            .iter()
            .any(|g| g.iter().any(|seg| entry.crates.iter().any(|c| c == seg)))
}

fn root_call_path(val: &Val) -> Option<&Vec<String>> {
    val.chain().0.call_path()
}

/// The size a builder chain (and, through its variable, later calls on it) sets.
fn builder_size(project: &Project, unit_idx: usize, entry: &PoolEntry, call: &CallFact) -> Size {
    let unit = &project.units[unit_idx];
    let (_, links) = call.val.chain();
    if let Some(size) = size_in_links(project, unit_idx, entry, &links, call.region) {
        return size;
    }
    // `let mut opt = ConnectOptions::new(url); opt.max_connections(50);`
    let facts = &unit.facts;
    let binding = facts
        .lets
        .iter()
        .find(|l| l.init.span().contains(call.val.span()));
    if let Some(binding) = binding {
        let scope = facts.region(binding.region);
        for other in facts
            .calls
            .iter()
            .filter(|c| scope.span.contains(c.val.span()))
        {
            let (root, links) = other.val.chain();
            if matches!(root, Val::Path { path, .. } if path.len() == 1 && path[0] == binding.name)
                && let Some(size) = size_in_links(project, unit_idx, entry, &links, other.region)
            {
                return size;
            }
        }
    }
    Size::Default
}

fn size_in_links(
    project: &Project,
    unit_idx: usize,
    entry: &PoolEntry,
    links: &[&Val],
    region: RegionId,
) -> Option<Size> {
    let facts = &project.units[unit_idx].facts;
    for link in links.iter().rev() {
        let Val::Method { name, args, .. } = link else {
            continue;
        };
        if entry.size_methods.contains(name) {
            let arg = args.first()?;
            return Some(judge(project, unit_idx, name, arg, region));
        }
        // `.config(PoolConfig::new(16))`, `.config(PoolConfig { max_size: 16, .. })`
        for arg in args.iter() {
            if let Some(size) = size_value(project, unit_idx, entry, arg, region, facts) {
                return Some(size);
            }
        }
    }
    None
}

fn judge(project: &Project, unit_idx: usize, setter: &str, arg: &Val, region: RegionId) -> Size {
    match resolve_int(project, unit_idx, arg, region) {
        Some(written) => Size::Written {
            setter: setter.to_string(),
            arg: arg.span(),
            written,
        },
        None => Size::Unknown,
    }
}

/// A value that carries a pool size: `PoolConfig::new(n)`, `PoolConfig { max_size: n, .. }`,
/// `Some(..)` of one, or `None` / `PoolConfig::default()` (the default).
fn size_value(
    project: &Project,
    unit_idx: usize,
    entry: &PoolEntry,
    val: &Val,
    region: RegionId,
    facts: &FileFacts,
) -> Option<Size> {
    match val {
        Val::Call { func, args, .. } => {
            let Val::Path { path, .. } = &**func else {
                return None;
            };
            if path.last().is_some_and(|l| l == "Some") && args.len() == 1 {
                return size_value(project, unit_idx, entry, &args[0], region, facts);
            }
            let ctor = entry.size_constructors.iter().find(|c| {
                path_matches(path, c, entry, facts)
                    || ends_with(path, &c.split("::").collect::<Vec<_>>())
            })?;
            if ctor.ends_with("::default") {
                return Some(Size::Default);
            }
            let arg = args.first()?;
            Some(judge(project, unit_idx, ctor, arg, region))
        }
        Val::Struct { fields, path, .. } => {
            if let Some((name, v)) = fields.iter().find(|(n, _)| entry.size_fields.contains(n)) {
                return Some(judge(project, unit_idx, name, v, region));
            }
            if path.last().is_some_and(|l| l == "PoolConfig") {
                return Some(Size::Default);
            }
            None
        }
        Val::Path { path, .. } if path.len() == 1 && path[0] == "None" => Some(Size::Default),
        Val::Path { path, .. } if path.len() == 1 => {
            let b = facts.binding(&path[0], region)?;
            size_value(project, unit_idx, entry, &b.init.clone(), b.region, facts)
        }
        _ => None,
    }
}

/// `cfg.create_pool(..)` on a library config value: the size is `cfg.pool`, set by assignment
/// or in the struct literal; absent means the library's default.
fn config_size(
    project: &Project,
    unit_idx: usize,
    entry: &PoolEntry,
    recv: &Val,
    region: RegionId,
) -> Option<Size> {
    let facts = &project.units[unit_idx].facts;
    let field = entry.config_pool_field.as_deref()?;
    let is_config_ctor = |v: &Val| match v {
        Val::Struct { path, .. } => entry
            .config_types
            .iter()
            .any(|t| path_matches(path, t, entry, facts)),
        other => root_call_path(other).is_some_and(|p| {
            entry.config_types.iter().any(|t| {
                let last = p.len().saturating_sub(1);
                path_matches(&p[..last], t, entry, facts)
            })
        }),
    };
    let (var, init, scope) = match recv {
        Val::Path { path, .. } if path.len() == 1 => {
            let b = facts.binding(&path[0], region)?;
            (Some(path[0].clone()), b.init.clone(), b.region)
        }
        other => (None, other.clone(), region),
    };
    if !is_config_ctor(&init) {
        return None;
    }
    if let Val::Struct { fields, .. } = &init
        && let Some((_, v)) = fields.iter().find(|(n, _)| n == field)
    {
        return Some(
            size_value(project, unit_idx, entry, v, scope, facts).unwrap_or(Size::Unknown),
        );
    }
    if let Some(var) = var {
        let scope_span = facts.region(scope).span;
        for a in facts
            .assigns
            .iter()
            .filter(|a| scope_span.contains(a.value.span()))
        {
            if let Val::Field { base, name, .. } = &a.target
                && name == field
                && matches!(&**base, Val::Path { path, .. } if path.len() == 1 && path[0] == var)
            {
                return Some(
                    size_value(project, unit_idx, entry, &a.value, a.region, facts)
                        .unwrap_or(Size::Unknown),
                );
            }
        }
    }
    Some(Size::Default)
}

/// Every pool a service file opens, with its size.
pub fn pool_sites<'a>(project: &'a Project, unit: &Unit) -> Vec<PoolSite<'a>> {
    let unit_idx = project.unit_index(unit);
    let facts = &unit.facts;
    let mut sites = vec![];
    for entry in project
        .catalog
        .pool
        .iter()
        .filter(|e| project.uses_any(unit, &e.crates) || project.uses_any(unit, &e.via))
    {
        for call in facts
            .calls
            .iter()
            .filter(|c| project.runs_on_replicas(unit, c.region, c.val.span()))
        {
            let (root, links) = call.val.chain();
            if let Some(path) = root.call_path() {
                if entry
                    .builders
                    .iter()
                    .any(|b| path_matches(path, b, entry, facts))
                {
                    let size = builder_size(project, unit_idx, entry, call);
                    sites.push(PoolSite {
                        entry,
                        span: root.span(),
                        size,
                    });
                    continue;
                }
                if entry
                    .default_connects
                    .iter()
                    .any(|b| path_matches(path, b, entry, facts))
                    && !root
                        .args()
                        .iter()
                        .any(|a| is_builder_value(project, unit_idx, a, call.region))
                {
                    sites.push(PoolSite {
                        entry,
                        span: root.span(),
                        size: Size::Default,
                    });
                    continue;
                }
            }
            for (i, link) in links.iter().enumerate() {
                let Val::Method { name, .. } = link else {
                    continue;
                };
                if !entry.config_creates.contains(name) {
                    continue;
                }
                let recv = if i == 0 { root } else { links[i - 1] };
                if let Some(size) = config_size(project, unit_idx, entry, recv, call.region) {
                    sites.push(PoolSite {
                        entry,
                        span: link.span(),
                        size,
                    });
                }
            }
        }
    }
    sites.sort_by_key(|s| s.span);
    sites.dedup_by_key(|s| s.span);
    sites
}

/// Whether an argument is (a variable bound to) a pool builder: `Database::connect(opt)`.
fn is_builder_value(project: &Project, unit_idx: usize, val: &Val, region: RegionId) -> bool {
    let facts = &project.units[unit_idx].facts;
    let val = match val {
        Val::Path { path, .. } if path.len() == 1 => match facts.binding(&path[0], region) {
            Some(b) => b.init.clone(),
            None => return false,
        },
        other => other.clone(),
    };
    let Some(path) = root_call_path(&val) else {
        return false;
    };
    project
        .catalog
        .pool
        .iter()
        .any(|e| e.builders.iter().any(|b| path_matches(path, b, e, facts)))
}

/// A pool size set in a config or environment file: `[database] max_connections = 50`.
pub struct ConfigSize {
    pub key: String,
    pub value: u128,
    /// The number's span (inside quotes when it is quoted).
    pub span: Span,
}

/// Words in a key path that say it is about the database pool, and words that say it is not.
const DB_WORDS: &[&str] = &[
    "database",
    "db",
    "pg",
    "postgres",
    "postgresql",
    "mysql",
    "sql",
    "pool",
    "sqlx",
    "diesel",
];
const NOT_DB_WORDS: &[&str] = &[
    "redis", "cache", "http", "server", "web", "grpc", "smtp", "amqp", "kafka", "nats", "ws",
];

fn is_db_key(words: &[String]) -> bool {
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    has(DB_WORDS) && !has(NOT_DB_WORDS)
}

/// Pool sizes in a TOML config file (keys matched by suffix, under a database-looking path)
/// or in a `.env` file (variables matched by suffix).
pub fn config_sizes(
    project: &Project,
    kind: crate::workspace::ExtraKind,
    text: &str,
) -> Vec<ConfigSize> {
    use crate::workspace::ExtraKind;
    let mut out = vec![];
    let mut table: Vec<String> = vec![];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if kind == ExtraKind::Toml && trimmed.starts_with('[') {
            let inner = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("");
            table = inner
                .split('.')
                .map(|s| s.trim().trim_matches('"').to_string())
                .collect();
            continue;
        }
        let Some(eq) = line.find('=') else { continue };
        let raw_key = line[..eq].trim().trim_start_matches("export ").trim();
        let value_part = &line[eq + 1..];
        let value_text = value_part.split('#').next().unwrap_or("").trim();
        let unquoted = value_text.trim_matches(|c| c == '"' || c == '\'');
        let Ok(value) = unquoted.parse::<u128>() else {
            continue;
        };
        let lead = value_part.find(unquoted).unwrap_or(0);
        let span_start = start + eq + 1 + lead;
        let span = Span::new(span_start, span_start + unquoted.len());
        let (key, words, matched) = match kind {
            ExtraKind::Env => {
                let upper = raw_key.to_ascii_uppercase();
                let words: Vec<String> = upper
                    .to_ascii_lowercase()
                    .split('_')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                let matched = project
                    .catalog
                    .env_suffixes()
                    .any(|s| upper.ends_with(&s.to_ascii_uppercase()));
                (raw_key.to_string(), words, matched)
            }
            _ => {
                let mut full = table.clone();
                full.extend(
                    raw_key
                        .split('.')
                        .map(|s| s.trim().trim_matches('"').to_string()),
                );
                let joined = full.join(".");
                let matched = project.catalog.config_keys().any(|k| {
                    let k: Vec<&str> = k.split('.').collect();
                    ends_with(&full, &k)
                });
                let words: Vec<String> = full
                    .iter()
                    .flat_map(|s| {
                        s.to_ascii_lowercase()
                            .split(['_', '-'])
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                    .collect();
                (joined, words, matched)
            }
        };
        if matched && is_db_key(&words) {
            out.push(ConfigSize { key, value, span });
        }
    }
    out
}

/// The pool rules need a crate that depends on a pool library and a file that names a pool type;
/// sizes are followed across the workspace.
pub fn interest(catalog: &crate::catalog::Catalog) -> crate::rules::Interest {
    let mut crates = vec![];
    let mut words = vec!["max_connections".to_string()];
    for e in &catalog.pool {
        crates.extend(e.crates.iter().chain(&e.via).cloned());
        for pattern in e
            .builders
            .iter()
            .chain(&e.default_connects)
            .chain(&e.size_constructors)
        {
            words.extend(pattern.split("::").next().map(str::to_string));
        }
        words.extend(e.config_creates.iter().cloned());
    }
    crates.sort();
    crates.dedup();
    words.sort();
    words.dedup();
    crate::rules::Interest {
        crates,
        services_only: false,
        words,
        workspace_wide: true,
        ..Default::default()
    }
}
