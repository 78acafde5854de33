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
    for e in &project.catalog.side_effect {
        if e.sql_writes.is_empty() {
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
    let reach = project.reach("side-effect", |u, f| {
        direct_effect(project, u, f.body).is_some()
    });
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
    for e in &project.catalog.side_effect {
        if e.sql_writes.is_empty() {
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
    let reach = project.reach("side-effect", |u, f| {
        direct_effect(project, u, f.body).is_some()
    });
    let all = project.facts();
    for call in facts.calls_within(region) {
        for e in &project.catalog.side_effect {
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
    let mut depth = 0i32;
    let mut parts = vec![];
    let mut start = 0;
    for (i, c) in assignments.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&assignments[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&assignments[start..]);
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
    let lower = text
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
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
    lower.contains("on conflict")
        || lower.contains("insert ignore")
        || lower.contains("insert or ignore")
        || lower.contains("on duplicate key update")
}

/// The effects the regions reach, through the functions they call (bounded), when every one of
/// them is an idempotent SQL write; `None` when there is none or one that is not.
pub fn only_idempotent_writes(project: &Project, regions: &[(usize, RegionId)]) -> Option<Effect> {
    let reach = project.reach("side-effect", |u, f| {
        direct_effect(project, u, f.body).is_some()
    });
    let mut todo: Vec<(usize, RegionId, usize)> = regions.iter().map(|&(u, r)| (u, r, 0)).collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut first = None;
    while let Some((u, region, depth)) = todo.pop() {
        let unit = &project.units[u];
        for e in &project.catalog.side_effect {
            if e.sql_writes.is_empty() {
                continue;
            }
            for (text, span) in code_strings(project, unit, region) {
                if let Some(stmt) = sql_write(text, &e.sql_writes)
                    && !is_renewal(text, &e.renewal_columns)
                {
                    if !is_idempotent_write(text) {
                        return None;
                    }
                    first.get_or_insert(Effect {
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
        for call in unit.facts.calls_within(region) {
            for e in &project.catalog.side_effect {
                if match_patterns(&unit.facts, &call.val, e.patterns()).is_some() {
                    return None;
                }
            }
        }
        if depth >= 6 {
            continue;
        }
        for f in project.callees_in_region(u, region) {
            if reach.contains(f) && seen.insert(f) {
                todo.push((f.file, project.fn_fact(f).body, depth + 1));
            }
        }
    }
    first
}
