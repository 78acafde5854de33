//! What the `state` rules share: where a replica builds something that keeps state in its own
//! memory (`rules/catalog/state.toml`), and whether that place runs on every replica.

use crate::analysis::matchers::path_of_crate;
use crate::catalog::StateEntry;
use crate::facts::{FileFacts, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

/// One construction of a catalogued thing: `MemoryStore::default()`, `RateLimiter::keyed(q)`.
pub struct StateSite<'a> {
    pub entry: &'a StateEntry,
    /// The whole call (or struct literal).
    pub span: Span,
    pub region: RegionId,
    /// The value, to read its arguments.
    pub val: &'a Val,
    /// How it was written: `tower_sessions::MemoryStore::default`.
    pub path: String,
}

/// The catalogue entries of `kind` (and `rule`, when not empty).
pub fn entries<'a>(project: &'a Project, rule: &str, kind: &str) -> Vec<&'a StateEntry> {
    project
        .catalog
        .state
        .iter()
        .filter(|e| e.kind == kind && (rule.is_empty() || e.rule == rule))
        .collect()
}

/// Whether the resolved `path` is one of the entry's calls, of one of its crates.
fn matches(unit: &Unit, entry: &StateEntry, path: &[String]) -> bool {
    entry
        .calls
        .iter()
        .any(|c| path_of_crate(&unit.facts, path, c, &entry.crates))
}

/// Every construction in the unit of an entry of the given rule and kinds.
pub fn sites<'a>(
    project: &'a Project,
    unit: &'a Unit,
    rule: &str,
    kinds: &[&str],
) -> Vec<StateSite<'a>> {
    let wanted: Vec<&StateEntry> = kinds
        .iter()
        .flat_map(|k| entries(project, rule, k))
        .filter(|e| project.uses_any(unit, &e.crates))
        .collect();
    let mut out: Vec<StateSite<'a>> = vec![];
    if wanted.is_empty() {
        return out;
    }
    for call in &unit.facts.calls {
        call.val.walk(&mut |v| {
            let (path, span) = match v {
                Val::Call { func, span, .. } => match &**func {
                    Val::Path { path, .. } => (path, *span),
                    _ => return,
                },
                Val::Struct { path, span, .. } => (path, *span),
                _ => return,
            };
            if let Some(entry) = wanted.iter().find(|e| matches(unit, e, path))
                && !out.iter().any(|s| s.span == span)
            {
                out.push(StateSite {
                    entry,
                    span,
                    region: call.region,
                    val: v,
                    path: path.join("::"),
                });
            }
        });
    }
    out.sort_by_key(|s| s.span.start);
    out
}

/// What files a `state` rule needs: service crates that depend on a library of the catalogue
/// entries `keep` selects, files naming one of `words`, followed across the workspace.
pub fn interest(
    catalog: &crate::catalog::Catalog,
    keep: impl Fn(&StateEntry) -> bool,
    words: &[&str],
) -> crate::rules::Interest {
    crate::rules::Interest {
        services_only: true,
        crates: catalog
            .state
            .iter()
            .filter(|e| keep(e))
            .flat_map(|e| e.crates.iter().cloned())
            .collect(),
        words: words.iter().map(|w| w.to_string()).collect(),
        workspace_wide: true,
        ..crate::rules::Interest::default()
    }
}

/// Whether the `state` rules check this file: service code of a service crate, in a workspace
/// not declared single-instance.
pub fn checked(project: &Project, unit: &Unit) -> bool {
    unit.is_service_source() && project.is_service_crate(unit) && !single_instance(project, unit)
}

/// Whether `name` (a crate or binary) is declared `single-instance`.
pub fn single_instance(project: &Project, unit: &Unit) -> bool {
    let norm = |s: &str| s.replace('-', "_");
    let krate = norm(&project.crate_of(unit).name);
    project
        .config
        .single_instance
        .iter()
        .any(|n| norm(n) == krate || unit.bin.as_deref().is_some_and(|b| norm(b) == norm(n)))
}

/// Identifier parts that say a branch is for development or tests only.
const DEV_WORDS: &[&str] = &[
    "dev",
    "debug",
    "development",
    "local",
    "test",
    "testing",
    "insecure",
    "demo",
];

/// Whether the site is chosen only in a development branch: the `then` block of an `if` whose
/// condition names development (`if config.dev_mode { MemoryStore::default() } else { .. }`).
pub fn in_dev_branch(facts: &FileFacts, span: Span) -> bool {
    facts.gate_words.iter().any(|g| {
        let gate = facts.gates[g.gate];
        gate.body.contains(span)
            && g.words.iter().any(|w| {
                w.to_ascii_lowercase()
                    .split('_')
                    .any(|p| DEV_WORDS.contains(&p))
            })
    })
}

/// The pattern of the `match` arm the site is chosen in, when that arm names an in-memory
/// backend among others (`SessionBackend::Memory => MemoryStore::default()`): a setting the
/// operator picks.
pub fn configurable_arm(facts: &FileFacts, span: Span) -> Option<String> {
    facts.matches.iter().find_map(|m| {
        if m.arms.len() < 2 {
            return None;
        }
        let arm = m.arms.iter().find(|a| a.body.contains(span))?;
        let pat = arm.pat.to_ascii_lowercase();
        (pat.contains("memory") || pat.contains("local") || pat.contains("inmem"))
            .then(|| arm.pat.replace(' ', ""))
    })
}

/// Callees whose closure argument runs once per process: lazy statics and one-time cells.
const ONCE_CALLEES: &[&str] = &["get_or_init", "get_or_try_init", "call_once"];
const LAZY_TYPES: &[&str] = &["Lazy", "LazyLock", "LazyCell", "OnceCell", "OnceLock"];
/// Builder methods that attach something to a router or app (built once per process).
const ROUTER_METHODS: &[&str] = &["layer", "route_layer", "wrap", "with", "hoop"];

/// Whether the site builds one value for the whole process: in a lazy static or a module-level
/// initializer, in `main`, or passed straight to a router's `.layer(..)` / `.wrap(..)`.
pub fn once_per_process(unit: &Unit, site: &StateSite<'_>) -> bool {
    let facts = &unit.facts;
    let mut attached = false;
    for call in facts.calls.iter().filter(|c| c.region == site.region) {
        call.val.walk(&mut |v| {
            if let Val::Method { name, args, .. } = v
                && ROUTER_METHODS.contains(&name.as_str())
                && args.iter().any(|a| a.span().contains(site.span))
            {
                attached = true;
            }
        });
    }
    if attached {
        return true;
    }
    for (_, r) in facts.ancestors(site.region) {
        match &r.kind {
            RegionKind::Closure | RegionKind::AsyncBlock => {
                if let Some(arg_of) = &r.arg_of {
                    let last = arg_of.callee.last().map_or("", String::as_str);
                    let lazy = arg_of
                        .callee
                        .iter()
                        .any(|s| LAZY_TYPES.contains(&s.as_str()));
                    if ONCE_CALLEES.contains(&last) || (lazy && last == "new") {
                        return true;
                    }
                }
            }
            RegionKind::Fn(idx) => {
                let f = &facts.fns[*idx];
                return f.name == "main" && !f.is_method;
            }
            RegionKind::Mod(_) | RegionKind::File => return true,
            RegionKind::Loop(_) => return false,
        }
    }
    false
}

/// Whether the site is the fallback of an `Option`/`Result` (`.unwrap_or_else(|| Key::generate())`):
/// used only when the configured value is missing.
pub fn is_fallback(unit: &Unit, site: &StateSite<'_>) -> bool {
    const FALLBACKS: &[&str] = &[
        "unwrap_or",
        "unwrap_or_else",
        "or_else",
        "or",
        "get_or_insert_with",
    ];
    let facts = &unit.facts;
    let in_closure = facts.ancestors(site.region).any(|(_, r)| {
        matches!(r.kind, RegionKind::Closure)
            && r.arg_of.as_ref().is_some_and(|a| {
                a.method
                    && a.callee
                        .last()
                        .is_some_and(|l| FALLBACKS.contains(&l.as_str()))
            })
    });
    if in_closure {
        return true;
    }
    let mut hit = false;
    for call in facts.calls.iter().filter(|c| c.region == site.region) {
        call.val.walk(&mut |v| {
            if let Val::Method { name, args, .. } = v
                && FALLBACKS.contains(&name.as_str())
                && args.iter().any(|a| a.span().contains(site.span))
            {
                hit = true;
            }
        });
    }
    hit
}

/// Whether the site lies inside actix-web's `HttpServer::new(move || ..)` factory, which runs
/// once per worker thread.
pub fn in_actix_factory(unit: &Unit, region: RegionId) -> bool {
    unit.facts.ancestors(region).any(|(_, r)| {
        matches!(r.kind, RegionKind::Closure)
            && r.arg_of
                .as_ref()
                .is_some_and(|a| crate::facts::ends_with(&a.callee, &["HttpServer", "new"]))
    })
}

/// How many instances run `unit`'s code: the per-path configuration, the deploy files or the
/// default, as the pool rules count them ([`Project::instances_for`]).
pub fn instances_of(project: &Project, unit: &Unit) -> u64 {
    project.instances_for(Some(unit)).0.max(1)
}

/// `4 instances (scalelint.toml, `instances`)`: the count for `unit` and where it is from.
pub fn instances_text(project: &Project, unit: &Unit) -> String {
    let (n, from, _) = project.instances_for(Some(unit));
    format!("{n} instances ({from})")
}

/// The first integer literal inside `val`.
pub fn first_int(val: &Val) -> Option<(u128, Span)> {
    let mut hit = None;
    val.walk(&mut |v| {
        if hit.is_none()
            && let Val::Int { value, span, .. } = v
        {
            hit = Some((*value, *span));
        }
    });
    hit
}
