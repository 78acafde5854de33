//! "Reaches a shared side effect" (`rules/catalog/side-effects.toml`): a SQL write, mail, a queue
//! publish, an outbound HTTP write. A timer loop that reaches one is a job; one that only
//! refreshes per-instance state is not.

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

/// Whether a SQL text is one `UPDATE` that sets only lease or heartbeat columns (`columns`) of
/// rows picked by id: `UPDATE jobs SET updated_at = $1 WHERE id IN (..)`.
pub fn is_renewal(text: &str, columns: &[String]) -> bool {
    if columns.is_empty() {
        return false;
    }
    let lower = text
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = lower.trim_end_matches(';').trim();
    if !lower.starts_with("update ") || lower.matches("update ").count() != 1 {
        return false;
    }
    let Some(set) = lower.find(" set ") else {
        return false;
    };
    let Some(wh) = lower[set..].find(" where ").map(|i| i + set) else {
        return false;
    };
    let (assignments, filter) = (&lower[set + 5..wh], &lower[wh + 7..]);
    // Top-level commas separate the assignments.
    let parts = split_top_level(assignments);
    let only_lease = parts.iter().all(|p| {
        let col = p.split('=').next().unwrap_or("").trim();
        let col = col.rsplit('.').next().unwrap_or(col).trim_matches('"');
        !col.is_empty() && columns.iter().any(|w| col.contains(w.as_str()))
    });
    let by_id = [
        "id in (",
        "id = any(",
        "id = any (",
        "id = $",
        "id = ?",
        "id=$",
        "id=?",
    ]
    .iter()
    .any(|k| filter.contains(k));
    only_lease && by_id
}

/// Whether a SQL text writes only idempotently: `INSERT .. ON CONFLICT DO NOTHING / DO UPDATE`,
/// `INSERT IGNORE`, `INSERT OR IGNORE`, `.. ON DUPLICATE KEY UPDATE`: running it again changes
/// nothing the first run did not.
pub fn is_idempotent_write(text: &str) -> bool {
    let lower = normalized(text);
    let inserts = lower.matches("insert ").count();
    let writes_otherwise = ["update ", "delete ", "truncate ", "merge "]
        .iter()
        .any(|w| {
            lower.starts_with(w)
                || lower.contains(&format!("; {w}"))
                || lower.contains(&format!(") {w}"))
        });
    if inserts == 0 || writes_otherwise {
        return false;
    }
    is_upsert(&lower)
}

fn normalized(text: &str) -> String {
    text.to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_upsert(lower: &str) -> bool {
    lower.contains("on conflict")
        || lower.contains("insert ignore")
        || lower.contains("insert or ignore")
        || lower.contains("on duplicate key update")
}

/// How a SQL text's writes repeat without harm, when every statement in it does: an upsert, a
/// `DELETE .. WHERE` (a second run finds the rows gone), or a conditional `UPDATE` whose `WHERE`
/// tests a column it sets (`SET status = 'pending' WHERE status = 'running' AND ..`: a second run
/// matches nothing). `None` when one statement writes unconditionally.
pub fn idempotent_sql(text: &str) -> Option<&'static str> {
    let lower = normalized(text);
    let mut kind = None;
    for stmt in lower.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let stmt_kind = if stmt.contains("insert ") {
            is_upsert(stmt).then_some("an upsert")?
        } else if let Some(i) = word_at(stmt, "update ") {
            conditional_update(stmt, i).then_some("a conditional UPDATE")?
        } else if word_at(stmt, "delete ").is_some() {
            stmt.contains(" where ")
                .then_some("a DELETE with a WHERE")?
        } else if ["truncate ", "merge "]
            .iter()
            .any(|w| word_at(stmt, w).is_some())
        {
            return None;
        } else {
            continue;
        };
        kind.get_or_insert(stmt_kind);
    }
    kind
}

/// Where a statement word starts: at the beginning or after `(`/`)`/a space.
fn word_at(stmt: &str, word: &str) -> Option<usize> {
    stmt.match_indices(word)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || matches!(stmt.as_bytes()[i - 1], b' ' | b'(' | b')'))
}

/// `UPDATE t SET a = .., b = .. WHERE ..` where some `WHERE` of the statement (its own or a CTE's)
/// compares one of the columns it sets.
fn conditional_update(stmt: &str, at: usize) -> bool {
    let rest = &stmt[at..];
    let Some(set) = rest.find(" set ") else {
        return false;
    };
    let after = &rest[set + 5..];
    let end = [" where ", " from ", " returning "]
        .iter()
        .filter_map(|k| after.find(k))
        .min()
        .unwrap_or(after.len());
    let columns = split_top_level(&after[..end])
        .into_iter()
        .filter_map(|a| {
            let col = a.split('=').next()?.trim();
            let col = col
                .rsplit('.')
                .next()
                .unwrap_or(col)
                .trim_matches('"')
                .trim_matches('`');
            (!col.is_empty()).then(|| col.to_string())
        })
        .collect::<Vec<_>>();
    let filters: Vec<&str> = stmt.split(" where ").skip(1).collect();
    columns
        .iter()
        .any(|c| filters.iter().any(|f| compares(f, c)))
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut depth = 0i32;
    let mut parts = vec![];
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Whether `filter` compares `column` (`status = $2`, `t.status <> 'done'`, `status in (..)`).
fn compares(filter: &str, column: &str) -> bool {
    filter.match_indices(column).any(|(i, _)| {
        let before = filter[..i].chars().next_back();
        let boundary = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == '_'));
        let after = filter[i + column.len()..]
            .trim_start()
            .trim_start_matches('"');
        boundary
            && ["=", "!=", "<>", "<", ">", "in ", "in(", "is ", "not "]
                .iter()
                .any(|op| after.starts_with(op))
    })
}

/// How a query-builder write repeats without harm (diesel, sea-orm): a delete narrowed by a
/// filter or a key (`diesel::delete(t.filter(..))`, `Entity::delete_many().filter(..)`,
/// `delete_by_id`, a loaded model's `.delete(db)`), an update that sets a column its filter tests
/// or only lease/timestamp columns (`renewal`), or an insert with `on_conflict`. `None`: not one.
pub fn idempotent_builder(chain: &Val, renewal: &[String]) -> Option<&'static str> {
    let mut names: Vec<(&str, usize)> = vec![];
    let mut filtered: Vec<String> = vec![];
    let mut set_cols: Vec<String> = vec![];
    let last = |v: &Val| match v {
        Val::Path { path, .. } => path.last().map(|s| s.to_ascii_lowercase()),
        _ => None,
    };
    let columns_in = |v: &Val, out: &mut Vec<String>| {
        v.walk(&mut |x| {
            if let Some(c) = last(x) {
                out.push(c);
            }
        })
    };
    chain.walk(&mut |v| match v {
        Val::Call { func, args, .. } => {
            if let Val::Path { path, .. } = &**func
                && let Some(n) = path.last()
            {
                names.push((n.as_str(), usize::MAX));
                if matches!(n.as_str(), "delete" | "update") {
                    for a in args {
                        a.walk(&mut |x| {
                            if let Val::Method { name, args, .. } = x
                                && matches!(name.as_str(), "filter" | "find")
                            {
                                args.iter().for_each(|a| columns_in(a, &mut filtered));
                                filtered.push(String::new());
                            }
                        });
                    }
                }
            }
        }
        Val::Method { name, args, .. } => {
            names.push((name.as_str(), args.len()));
            match name.as_str() {
                "filter" | "filter_by" => {
                    args.iter().for_each(|a| columns_in(a, &mut filtered));
                    filtered.push(String::new());
                }
                "set" => args.iter().for_each(|a| {
                    a.walk(&mut |x| {
                        if let Val::Method { recv, name, .. } = x
                            && name == "eq"
                            && let Some(c) = last(recv)
                        {
                            set_cols.push(c);
                        }
                    })
                }),
                "col_expr" => {
                    if let Some(c) = args.first().and_then(last) {
                        set_cols.push(c);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    });
    let has = |n: &str| names.iter().any(|(m, _)| *m == n);
    if has("on_conflict") || has("on_conflict_do_nothing") || has("insert_or_ignore_into") {
        return Some("an upsert");
    }
    let narrowed = !filtered.is_empty();
    if has("delete_by_id")
        || (has("delete_many") && narrowed)
        || (names
            .iter()
            .any(|(m, a)| *m == "delete" && *a != usize::MAX && *a == 1)
            && !has("delete_many"))
        || (has("delete") && narrowed)
    {
        return Some("a delete narrowed by a filter or a key");
    }
    if (has("update") || has("update_many")) && !set_cols.is_empty() {
        let touches = set_cols
            .iter()
            .all(|c| renewal.iter().any(|w| c.contains(w.as_str())));
        if narrowed && set_cols.iter().any(|c| filtered.contains(c)) {
            return Some("a conditional update");
        }
        if narrowed && touches {
            return Some("an update of timestamp columns of filtered rows");
        }
    }
    None
}

/// A hand-rolled upsert by key: the write sits in an arm of a `match` on a lookup whose `Some`
/// arm updates the row found and whose `None` arm inserts it (`match find_by_key(..).one(db)
/// .await? { Some(m) => { let mut a: ActiveModel = m.into(); ..; a.update(db) } None =>
/// ActiveModel { .. }.insert(db) }`). Run again with the same data, it finds the row and writes
/// the same values.
fn keyed_upsert(facts: &crate::facts::FileFacts, span: Span) -> Option<&'static str> {
    let calls_in = |within: Span, names: &[&str]| {
        facts.calls.iter().any(|c| {
            within.contains(c.val.span()) && {
                let mut hit = false;
                c.val.walk(&mut |v| {
                    if let Val::Method { name, .. } = v
                        && names.contains(&name.as_str())
                    {
                        hit = true;
                    }
                });
                hit
            }
        })
    };
    facts
        .matches
        .iter()
        .filter(|m| m.arms.iter().any(|a| a.body.contains(span)))
        .find_map(|m| {
            let some = m
                .arms
                .iter()
                .find(|a| a.pat.trim_start().starts_with("Some"))?;
            let none = m.arms.iter().find(|a| a.pat.trim() == "None")?;
            (calls_in(some.body, &["update", "save"])
                && calls_in(none.body, &["insert", "save"])
                && (some.body.contains(span) || none.body.contains(span)))
            .then_some("an upsert by key (looked up, then updated or inserted)")
        })
}

/// An update helper that takes its columns as data: `fn set(op: SetOperator)` builds
/// `Entity::update_many()` with a `col_expr` per `op.update` entry and a `filter` per `op.filter`
/// entry. The caller's literal says what it does: `SetOperator { filter: vec![Filter::new(
/// MetaColumn::Status, Equal, running), ..], update: vec![(MetaColumn::Status, pending)] }` sets
/// a column its filter tests (a conditional update: a second run matches nothing), or sets only
/// lease/timestamp columns. The helper must take a parameter of the literal's type, and the
/// columns are the paths of a `..Column` type (`MetaColumn::Status` → `status`).
fn update_by_caller_data(
    project: &Project,
    u: usize,
    region: RegionId,
    caller_unit: usize,
    caller_region: RegionId,
    renewal: &[String],
) -> Option<&'static str> {
    let helper = project.units[u].facts.enclosing_fn(region)?;
    let caller = &project.units[caller_unit].facts;
    let macro_args = |span: Span| -> Vec<&Val> {
        caller
            .macros
            .iter()
            .filter(|m| m.span == span)
            .flat_map(|m| m.args.iter())
            .filter_map(|a| match a {
                crate::facts::MacroArg::Expr(v) => Some(v),
                _ => None,
            })
            .collect()
    };
    let columns = |v: &Val| -> Vec<String> {
        let mut out = vec![];
        let mut visit = |x: &Val| {
            x.walk(&mut |y| {
                if let Val::Path { path, .. } = y
                    && path.len() >= 2
                    && path[path.len() - 2]
                        .to_ascii_lowercase()
                        .ends_with("column")
                {
                    out.push(snake(&path[path.len() - 1]));
                }
            })
        };
        visit(v);
        let mut macros = vec![];
        v.walk(&mut |y| {
            if let Val::Macro { span, .. } = y {
                macros.push(*span);
            }
        });
        for m in macros {
            for a in macro_args(m) {
                visit(a);
            }
        }
        out
    };
    let literals = caller
        .lets
        .iter()
        .filter(|l| caller.is_within(l.region, caller_region))
        .map(|l| &l.init)
        .chain(
            caller
                .calls_within(caller_region)
                .flat_map(|c| c.val.args().iter()),
        );
    for lit in literals {
        let Val::Struct { path, fields, .. } = lit else {
            continue;
        };
        let Some(ty) = path.last() else { continue };
        if !helper.params.iter().any(|p| p.ty.contains(ty.as_str())) {
            continue;
        }
        let field = |names: &[&str]| -> Vec<String> {
            fields
                .iter()
                .filter(|(n, _)| names.contains(&n.as_str()))
                .flat_map(|(_, v)| columns(v))
                .collect()
        };
        let filtered = field(&["filter", "filters", "where", "condition", "conditions"]);
        let set = field(&["update", "updates", "set", "values", "columns"]);
        if set.is_empty() || filtered.is_empty() {
            continue;
        }
        if set.iter().any(|c| filtered.contains(c)) {
            return Some("a conditional update");
        }
        if set
            .iter()
            .all(|c| renewal.iter().any(|w| c.contains(w.as_str())))
        {
            return Some("an update of timestamp columns of filtered rows");
        }
    }
    None
}

/// `UpdatedAt` → `updated_at`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
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
    use super::{get_or_create, idempotent_sql, snake};

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

    #[test]
    fn idempotent_statements() {
        assert_eq!(
            idempotent_sql("DELETE FROM file_list_jobs WHERE status = $1 AND updated_at < $3;"),
            Some("a DELETE with a WHERE")
        );
        assert_eq!(
            idempotent_sql(
                "UPDATE file_list_jobs SET status = $1 WHERE status = $2 AND updated_at < $3;"
            ),
            Some("a conditional UPDATE")
        );
        // A CTE that picks the rows `FOR UPDATE SKIP LOCKED` and resets them in one statement.
        let cte = "WITH timed_out AS (SELECT id FROM scheduled_jobs WHERE status = $2 AND end_time <= $3 \
                   ORDER BY id FOR UPDATE SKIP LOCKED) UPDATE scheduled_jobs AS jobs \
                   SET status = $1, retries = jobs.retries + 1 FROM timed_out WHERE jobs.id = timed_out.id;";
        assert_eq!(idempotent_sql(cte), Some("a conditional UPDATE"));
        assert_eq!(
            idempotent_sql("INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO NOTHING"),
            Some("an upsert")
        );
    }

    #[test]
    fn writes_that_repeat() {
        assert_eq!(
            idempotent_sql("UPDATE plans SET credits = credits + 10"),
            None
        );
        assert_eq!(
            idempotent_sql("UPDATE plans SET credits = 0 WHERE org = $1"),
            None
        );
        assert_eq!(idempotent_sql("DELETE FROM sessions"), None);
        assert_eq!(
            idempotent_sql("INSERT INTO outbox (body) VALUES ($1)"),
            None
        );
        assert_eq!(idempotent_sql("TRUNCATE stats"), None);
        assert_eq!(
            idempotent_sql("DELETE FROM a WHERE x < 1; UPDATE b SET n = n + 1"),
            None
        );
    }
}
