//! `in-memory-session-store`: a session store that keeps sessions in one process's memory
//! (tower-sessions or async-session `MemoryStore`, a custom `SessionStore` over a map). Behind a
//! load balancer a user logged in on one instance is a stranger on the next.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{
    checked, configurable_arm, entries, in_dev_branch, instances_text, sites,
};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::project::{Project, Unit};

pub struct InMemorySessionStore;

static META: RuleMeta = RuleMeta {
    id: "in-memory-session-store",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a session store in one process's memory: sessions split across instances",
    doc: include_str!("../../rules/docs/in-memory-session-store.md"),
};

/// Field types that keep records in this process.
const MAP_TYPES: &[&str] = &[
    "HashMap", "DashMap", "BTreeMap", "IndexMap", "LruCache", "Cache",
];
/// Field types that reach storage outside the process (or another store, judged where it is built).
const SHARED_TYPES: &[&str] = &[
    "Pool",
    "Client",
    "Connection",
    "Redis",
    "Database",
    "Db",
    "Sql",
    "Manager",
    "Collection",
    "Store",
    "Dao",
    "Repo",
];

fn type_words(ty: &str) -> Vec<&str> {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn split_note(project: &Project, unit: &Unit) -> String {
    format!(
        "at {}, each instance holds only the sessions created on it: a request the load balancer \
         sends to another instance finds no session (the user is logged out, a cart or a CSRF \
         token is gone), and every restart or deploy drops them all",
        instances_text(project, unit)
    )
}

const SINGLE_HELP: &str = "if this service runs as exactly one instance on purpose, name its crate or binary in \
     `single-instance` (scalelint.toml), or write `// scalelint: allow(in-memory-session-store) <reason>`";

impl Rule for InMemorySessionStore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id || e.kind == "trait",
            &["MemoryStore", "SessionStore", "LocalSessionManager"],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        for site in sites(project, unit, META.id, &["store"]) {
            if !project.runs_on_replicas(unit, site.region, site.span)
                || in_dev_branch(facts, site.span)
                || (site.entry.library == "rmcp" && rmcp_sessions_elsewhere(unit))
            {
                continue;
            }
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                site.span,
                format!(
                    "{}: behind a load balancer a user logged in on one instance is logged out on the next",
                    site.entry.what
                ),
            );
            if let Some(why) = project.roles().describe(project, unit, site.region) {
                d = d.note(why);
            }
            if site.entry.library == "rmcp" {
                d = d.note(format!(
                    "at {}, each instance knows only the MCP sessions initialized on it: a client's next request with its `Mcp-Session-Id` that the load balancer sends to another instance is answered \"session not found\" (404), and the client must start over",
                    instances_text(project, unit)
                ));
            } else {
                d = d.note(split_note(project, unit));
            }
            if let Some(arm) = configurable_arm(facts, site.span) {
                d.severity = Severity::Note;
                d = d.note(format!(
                    "the store is chosen by a setting (the arm `{arm}`): an operator who runs more than one instance must pick a shared backend"
                ));
            }
            out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                "build a store every instance shares:\n{}",
                site.entry.fix
            ))));
        }
        self.custom_stores(project, unit, out);
    }
}

/// Whether the file configures rmcp's streamable HTTP server so that the local session manager
/// keeps nothing that matters: stateless mode (`stateful_mode: false`, later
/// `legacy_session_mode: false`) or a shared `session_store: Some(..)`.
fn rmcp_sessions_elsewhere(unit: &Unit) -> bool {
    use crate::facts::Val;
    let facts = &unit.facts;
    let values = facts
        .calls
        .iter()
        .map(|c| &c.val)
        .chain(facts.lets.iter().map(|l| &l.init))
        .chain(facts.fns.iter().filter_map(|f| f.tail.as_ref()));
    let mut found = false;
    for value in values {
        value.walk(&mut |v| {
            if let Val::Struct { fields, .. } = v {
                for (name, fv) in fields {
                    let stateless = (name == "stateful_mode" || name == "legacy_session_mode")
                        && matches!(fv, Val::Bool { value: false, .. });
                    let shared = name == "session_store"
                        && !matches!(fv, Val::Path { path, .. } if path.last().is_some_and(|l| l == "None"));
                    found = found || stateless || shared;
                }
            }
        });
    }
    // `config.stateful_mode = false;`
    found
        || facts.assigns.iter().any(|a| {
            matches!(&a.target, Val::Field { name, .. } if name == "stateful_mode" || name == "legacy_session_mode")
                && matches!(a.value, Val::Bool { value: false, .. })
        })
}

impl InMemorySessionStore {
    /// `impl SessionStore for MyStore`: where `MyStore` keeps its records.
    fn custom_stores(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        let facts = &unit.facts;
        for trait_entry in entries(project, "", "trait") {
            if !project.uses_any(unit, &trait_entry.crates) {
                continue;
            }
            for imp in &facts.impls {
                let Some(tp) = &imp.trait_path else { continue };
                if !tp.last().is_some_and(|l| trait_entry.calls.contains(l)) {
                    continue;
                }
                // Only the catalogued traits: the path names one of their crates, or the file does.
                let of_crate = tp.first().is_some_and(|f| trait_entry.crates.contains(f))
                    || facts
                        .crate_refs
                        .iter()
                        .any(|r| trait_entry.crates.contains(r));
                if !of_crate {
                    continue;
                }
                if facts
                    .regions
                    .iter()
                    .any(|r| r.in_test && r.span.contains(imp.span))
                    || facts.in_debug_only(imp.span)
                {
                    continue;
                }
                let ty: String = imp
                    .self_ty
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let def = facts
                    .structs
                    .iter()
                    .find(|s| s.name == ty)
                    .or_else(|| project.struct_named(&ty));
                let fields: Vec<(String, String)> = def
                    .map(|s| {
                        s.fields
                            .iter()
                            .map(|f| (f.name.clone(), f.ty.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let shared = fields.iter().find(|(_, t)| {
                    type_words(t).iter().any(|w| {
                        SHARED_TYPES
                            .iter()
                            .any(|s| w.ends_with(s) || w.starts_with(s))
                    })
                });
                if shared.is_some() {
                    continue;
                }
                let map = fields
                    .iter()
                    .find(|(_, t)| type_words(t).iter().any(|w| MAP_TYPES.contains(w)));
                let (message, severity, reason) = match map {
                    Some((name, t)) => {
                        let t = t.replace(' ', "").replace(',', ", ");
                        (
                            format!(
                                "`{ty}` stores sessions in a map in this process's memory (`{name}: {t}`): behind a load balancer a user logged in on one instance is logged out on the next"
                            ),
                            Severity::Warning,
                            format!(
                                "`{ty}` implements `{}` and keeps its records in the field `{name}`, a map owned by the process; no field reaches a database, Redis or another store",
                                tp.join("::")
                            ),
                        )
                    }
                    None => (
                        format!(
                            "`{ty}` implements `{}`, and where it keeps sessions is not visible",
                            tp.join("::")
                        ),
                        Severity::Note,
                        match def {
                            Some(_) => format!(
                                "no field of `{ty}` is a map, a pool, a client or another store scalelint knows; if it keeps the records in this process, sessions split across instances"
                            ),
                            None => format!(
                                "the definition of `{ty}` was not found in the workspace; if it keeps the records in this process, sessions split across instances"
                            ),
                        },
                    ),
                };
                let span = imp.keyword;
                let mut d = Diagnostic::new(META.id, unit.id, span, message).note(reason);
                d = d.note(split_note(project, unit));
                d.severity = severity;
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
                    "keep the records in storage every instance reads:\n{}",
                    trait_entry.fix
                ))));
            }
        }
    }
}
