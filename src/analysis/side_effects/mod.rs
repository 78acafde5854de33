//! "Reaches a shared side effect" (`rules/catalog/side-effects.toml`): a SQL write, mail, a queue
//! publish, an outbound HTTP write. A timer loop that reaches one is a job; one that only
//! refreshes per-instance state is not.

mod builder;
mod sql;

pub use builder::idempotent_builder;
pub use sql::{idempotent_sql, is_idempotent_write, is_renewal};

use builder::*;

use super::matchers::{code_strings, match_patterns, sql_write};
use crate::diagnostic::FileId;
use crate::facts::{RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

#[derive(Clone, Debug)]
pub struct Effect {
    /// `SQL write`, `mail sending`, ...
    pub name: String,
    /// `database write`, `mail`, `queue publish`, `HTTP write`.
    pub kind: String,
    pub evidence: String,
    pub file: FileId,
    pub span: Span,
    /// The called function through which the region reaches it.
    pub via: Option<String>,
}

impl Effect {
    /// What the effect does, as a verb phrase: `writes to the database`.
    pub fn verb(&self) -> &'static str {
        match self.kind.as_str() {
            "database write" => "writes to the database",
            "mail" => "sends mail",
            "queue publish" => "publishes to a queue",
            "HTTP write" => "sends outbound HTTP writes",
            _ => "has a shared side effect",
        }
    }
}

/// The functions that reach a side effect, computed once per run. A get-or-create function
/// (`get_or_create_dek`, `find_or_create_user`) is never one: its write runs once per key,
/// whichever instance comes first (the others find the row), so a job that calls it does not
/// repeat that write.
pub fn effect_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    project.reach_except(
        "side-effect",
        |u, f| direct_effect(project, u, f.body).is_some(),
        |_, f| get_or_create(&f.name),
    )
}

/// `get_or_create_dek`, `find_or_create`, `get_or_insert_with`, `first_or_create`.
fn get_or_create(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["get_or_", "find_or_", "first_or_", "fetch_or_", "load_or_"]
        .iter()
        .any(|p| n.starts_with(p) && (n.contains("create") || n.contains("insert")))
}

/// Whether a database write in `region` goes to a node-local database: code of a SQLite backend
/// (a `sqlite` module or file, a `SqliteScheduler` impl). A SQLite file belongs to one process's
/// node; another instance has its own, so the write is per-instance work, not a shared effect.
pub fn node_local_db(unit: &Unit, region: RegionId) -> bool {
    let sqlite = |s: &str| s.to_ascii_lowercase().contains("sqlite");
    unit.path
        .file_stem()
        .is_some_and(|s| sqlite(&s.to_string_lossy()))
        || unit.facts.module.iter().any(|m| sqlite(m))
        || unit
            .facts
            .enclosing_fn(region)
            .is_some_and(|f| f.path.iter().any(|s| sqlite(s)))
}

/// A side effect in the region itself (not through calls).
pub fn direct_effect(project: &Project, unit: &Unit, region: RegionId) -> Option<Effect> {
    let facts = &unit.facts;
    let make = |name: &str, kind: &str, evidence: String, span: Span| Effect {
        name: name.to_string(),
        kind: kind.to_string(),
        evidence,
        file: unit.id,
        span,
        via: None,
    };
    let local_db = node_local_db(unit, region);
    for e in &project.catalog.side_effect {
        if e.sql_writes.is_empty() || (local_db && e.kind == "database write") {
            continue;
        }
        for (text, span) in code_strings(project, unit, region) {
            if let Some(stmt) = sql_write(text, &e.sql_writes)
                && !is_renewal(text, &e.renewal_columns)
            {
                return Some(make(&e.name, &e.kind, format!("`{stmt}`"), span));
            }
        }
    }
    for call in facts.calls_within(region) {
        for e in &project.catalog.side_effect {
            if local_db && e.kind == "database write" {
                continue;
            }
            if let Some((evidence, span)) = match_patterns(facts, &call.val, e.patterns()) {
                return Some(make(&e.name, &e.kind, evidence, span));
            }
        }
    }
    None
}

/// A side effect the region reaches, itself or through the workspace functions it calls.
pub fn reaches_effect(project: &Project, unit_idx: usize, region: RegionId) -> Option<Effect> {
    let unit = &project.units[unit_idx];
    if let Some(e) = direct_effect(project, unit, region) {
        return Some(e);
    }
    let reach = effect_reach(project);
    let callees = project.callees_in_region(unit_idx, region);
    let f = callees.iter().find(|f| reach.contains(**f))?;
    let fact = project.fn_fact(*f);
    let via = fact.path.join("::");
    // Follow the chain of calls down to the function that holds the effect.
    let mut cur = *f;
    for _ in 0..16 {
        let cur_fact = project.fn_fact(cur);
        if let Some(mut e) = direct_effect(project, &project.units[cur.file], cur_fact.body) {
            e.via = Some(via);
            return Some(e);
        }
        let next = project
            .callees_in_region(cur.file, cur_fact.body)
            .into_iter()
            .find(|g| reach.contains(*g) && *g != cur);
        match next {
            Some(g) => cur = g,
            None => break,
        }
    }
    Some(Effect {
        name: "a shared side effect".into(),
        kind: String::new(),
        evidence: format!("`{via}`"),
        file: project.units[f.file].id,
        span: fact.ident_span,
        via: Some(via),
    })
}

/// Every place in the region that has a side effect: direct ones (a SQL write, a mail send) and
/// calls of workspace functions that reach one.
pub fn effect_sites(project: &Project, unit_idx: usize, region: RegionId) -> Vec<Effect> {
    let unit = &project.units[unit_idx];
    let facts = &unit.facts;
    let mut out = vec![];
    let local_db = node_local_db(unit, region);
    for e in &project.catalog.side_effect {
        if e.sql_writes.is_empty() || (local_db && e.kind == "database write") {
            continue;
        }
        for (text, span) in code_strings(project, unit, region) {
            if let Some(stmt) = sql_write(text, &e.sql_writes)
                && !is_renewal(text, &e.renewal_columns)
            {
                out.push(Effect {
                    name: e.name.clone(),
                    kind: e.kind.clone(),
                    evidence: format!("`{stmt}`"),
                    file: unit.id,
                    span,
                    via: None,
                });
            }
        }
    }
    let reach = effect_reach(project);
    let all = project.facts();
    for call in facts.calls_within(region) {
        for e in &project.catalog.side_effect {
            if local_db && e.kind == "database write" {
                continue;
            }
            if let Some((evidence, span)) = match_patterns(facts, &call.val, e.patterns()) {
                out.push(Effect {
                    name: e.name.clone(),
                    kind: e.kind.clone(),
                    evidence,
                    file: unit.id,
                    span,
                    via: None,
                });
            }
        }
        call.val.walk(&mut |v| {
            if !matches!(v, Val::Call { .. } | Val::Method { .. }) {
                return;
            }
            // Only this node's own callee: nested calls are visited on their own.
            let own = match v {
                Val::Call { func, .. } => match &**func {
                    Val::Path { path, .. } => project.fn_index.resolve_path(&all, unit_idx, path),
                    _ => vec![],
                },
                Val::Method { name, .. } => project.fn_index.callees_of_val(
                    &all,
                    unit_idx,
                    &Val::Method {
                        recv: Box::new(Val::Other { span: v.span() }),
                        name: name.clone(),
                        name_span: v.span(),
                        args: vec![],
                        span: v.span(),
                    },
                ),
                _ => vec![],
            };
            if let Some(f) = own.into_iter().find(|f| reach.contains(*f)) {
                let via = project.fn_fact(f).path.join("::");
                out.push(Effect {
                    name: "a shared side effect".into(),
                    kind: String::new(),
                    evidence: format!("`{via}`"),
                    file: unit.id,
                    span: v.span(),
                    via: Some(via),
                });
            }
        });
    }
    out
}

/// The writes the regions reach, through the functions they call (bounded), each with how it
/// repeats without harm, when every one of them is idempotent (`idempotent_sql`,
/// `idempotent_builder`); `None` when there is none, one that is not, another kind of side effect
/// (mail, a publish, an HTTP write), or a chain of calls too deep to follow.
pub fn only_idempotent_writes(
    project: &Project,
    regions: &[(usize, RegionId)],
) -> Option<Vec<(Effect, &'static str)>> {
    let reach = effect_reach(project);
    let renewal: Vec<String> = project
        .catalog
        .side_effect
        .iter()
        .flat_map(|e| e.renewal_columns.iter().cloned())
        .collect();
    type Todo = (usize, RegionId, usize, Option<(usize, RegionId)>);
    let mut todo: Vec<Todo> = regions.iter().map(|&(u, r)| (u, r, 0, None)).collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut found: Vec<(Effect, &'static str)> = vec![];
    while let Some((u, region, depth, caller)) = todo.pop() {
        let unit = &project.units[u];
        let local_db = node_local_db(unit, region);
        for e in &project.catalog.side_effect {
            if e.sql_writes.is_empty() || (local_db && e.kind == "database write") {
                continue;
            }
            for (text, span) in code_strings(project, unit, region) {
                if let Some(stmt) = sql_write(text, &e.sql_writes)
                    && !is_renewal(text, &e.renewal_columns)
                {
                    let how = idempotent_sql(text)?;
                    found.push((
                        Effect {
                            name: e.name.clone(),
                            kind: e.kind.clone(),
                            evidence: format!("`{stmt}`"),
                            file: unit.id,
                            span,
                            via: None,
                        },
                        how,
                    ));
                }
            }
        }
        for call in unit.facts.calls_within(region) {
            for e in &project.catalog.side_effect {
                if local_db && e.kind == "database write" {
                    continue;
                }
                if let Some((evidence, span)) = match_patterns(&unit.facts, &call.val, e.patterns())
                {
                    if e.kind != "database write" {
                        return None;
                    }
                    let how = idempotent_builder(&call.val, &renewal)
                        .or_else(|| keyed_upsert(&unit.facts, call.val.span()))
                        .or_else(|| {
                            let (cu, cr) = caller?;
                            update_by_caller_data(project, u, region, cu, cr, &renewal)
                        })?;
                    found.push((
                        Effect {
                            name: e.name.clone(),
                            kind: e.kind.clone(),
                            evidence,
                            file: unit.id,
                            span,
                            via: None,
                        },
                        how,
                    ));
                }
            }
        }
        // Every callee is followed, not only those the call graph says reach an effect: a method
        // call it leaves unresolved (a name many types define) may still be the file's own.
        for f in callees_preferring_own(project, u, region) {
            // A get-or-create helper's write runs once per key (see `effect_reach`).
            if get_or_create(&project.fn_fact(f).name) {
                continue;
            }
            if seen.insert(f) {
                if depth >= 8 {
                    if reach.contains(f) {
                        return None;
                    }
                    continue;
                }
                todo.push((
                    f.file,
                    project.fn_fact(f).body,
                    depth + 1,
                    Some((u, region)),
                ));
            }
        }
    }
    found.sort_by_key(|(e, _)| (e.file, e.span.start));
    found.dedup_by_key(|(e, _)| (e.file, e.span.start));
    (!found.is_empty()).then_some(found)
}

/// The functions a region calls, where a method call whose name a function of the same file
/// defines (`send.delete(conn)` in the file of `impl Send { fn delete }`) is taken to be that one
/// rather than every method of that name in the workspace.
fn callees_preferring_own(
    project: &Project,
    u: usize,
    region: RegionId,
) -> Vec<crate::analysis::call_graph::FnRef> {
    let all = project.facts();
    let mut out = vec![];
    for call in project.units[u].facts.calls_within(region) {
        call.val.walk(&mut |v| match v {
            Val::Call { func, .. } => {
                if let Val::Path { path, .. } = &**func {
                    out.extend(project.fn_index.resolve_path(&all, u, path));
                }
            }
            Val::Method { name, args, .. } => {
                // A method of another type with the same name takes other arguments
                // (`mutex.lock()` is not `Issue::lock(&self, client, reason)`).
                let arity = |f: &crate::analysis::call_graph::FnRef| {
                    project.fn_fact(*f).params.len() == args.len()
                };
                let cands = project.fn_index.callees_of_val(
                    &all,
                    u,
                    &Val::Method {
                        recv: Box::new(Val::Other { span: v.span() }),
                        name: name.clone(),
                        name_span: v.span(),
                        args: vec![],
                        span: v.span(),
                    },
                );
                let cands: Vec<_> = cands.into_iter().filter(arity).collect();
                let own: Vec<_> = project
                    .fn_index
                    .methods_in_file(&all, u, name)
                    .into_iter()
                    .filter(arity)
                    .collect();
                out.extend(if own.is_empty() { cands } else { own });
            }
            _ => {}
        });
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::builder::snake;
    use super::get_or_create;

    #[test]
    fn names() {
        assert_eq!(snake("UpdatedAt"), "updated_at");
        assert_eq!(snake("Status"), "status");
        assert!(get_or_create("get_or_create_dek"));
        assert!(get_or_create("find_or_create_user"));
        assert!(get_or_create("get_or_insert_with"));
        assert!(!get_or_create("get_or_default"));
        assert!(!get_or_create("create_user"));
    }
}
