//! Claims checked by their caller: `if !mark_notified(org, stage).await { continue; }` where the
//! called function's only writes are conditional updates (`UPDATE .. SET stage = $2 WHERE org = $1
//! AND stage < $2`, sea-orm `update_many().col_expr(stage, ..).filter(stage.lt(..))`, diesel
//! `update(t.filter(stage.lt(..))).set(stage.eq(..))`). Only the instance whose update changed
//! the row sees success, so what the `if` lets through runs once, however many instances try.

use super::locks::LockHit;
use crate::facts::{RegionId, Val};
use crate::project::{Project, Unit};

/// Words of an `if` condition that test whether the call failed, not whether it claimed
/// (`if let Err(e) = update(..)`, `if update(..).is_ok()`).
const ERROR_TESTS: &[&str] = &["Err", "Ok", "is_err", "is_ok"];

/// The first claim the region's `if` conditions test: a call, in the condition, of a workspace
/// function whose writes (through what it calls) are all conditional updates.
pub fn checked_claim(project: &Project, unit: &Unit, region: RegionId) -> Option<LockHit> {
    let facts = &unit.facts;
    let within = facts.region(region).span;
    let ui = project.unit_index(unit);
    let files = project.facts();
    // Only a function that reaches a write can claim (the set is computed once per run).
    let writes = super::side_effects::effect_reach(project);
    for (gi, gate) in facts.gates.iter().enumerate() {
        if !within.contains(gate.cond) {
            continue;
        }
        let tests_error = facts
            .gate_words
            .iter()
            .filter(|w| w.gate == gi)
            .any(|w| w.words.iter().any(|x| ERROR_TESTS.contains(&x.as_str())));
        if tests_error {
            continue;
        }
        // `let won = update(..).execute(..).await?; if won.rows_affected() == 0 { return .. }`:
        // the claim and its test in one function.
        let words: Vec<&str> = facts
            .gate_words
            .iter()
            .filter(|w| w.gate == gi)
            .flat_map(|w| w.words.iter().map(String::as_str))
            .collect();
        if words.contains(&"rows_affected")
            && let Some(evidence) = facts
                .lets
                .iter()
                .filter(|l| within.contains(l.span) && l.span.end <= gate.cond.start)
                .filter(|l| words.contains(&l.name.as_str()))
                .find_map(|l| conditional_update_in(project, unit, region, &l.init))
        {
            return Some(LockHit {
                name: format!(
                    "a claim checked by rows affected (a conditional update, {evidence}, and an `if` on how many rows it changed)"
                ),
                evidence,
                file: unit.id,
                span: gate.cond,
                via: None,
                claim_only: false,
            });
        }
        for call in facts.calls_within(region) {
            if !gate.cond.contains(call.val.span())
                || !matches!(call.val, Val::Call { .. } | Val::Method { .. })
            {
                continue;
            }
            for f in project.fn_index.callees_of_val(&files, ui, &call.val) {
                if !writes.contains(f)
                    || !project.fn_flag("claim", f, || claim_fn(project, f).is_some())
                {
                    continue;
                }
                let evidence = claim_fn(project, f).unwrap_or_default();
                let name = project.fn_fact(f).path.join("::");
                return Some(LockHit {
                    name: format!(
                        "a claim checked by its caller (`{name}` makes a conditional update, {evidence}, and the `if` runs the work only where it succeeded)"
                    ),
                    evidence: format!("`{name}(..)`"),
                    file: unit.id,
                    span: call.val.span(),
                    via: None,
                    claim_only: false,
                });
            }
        }
    }
    None
}

/// The first write of a function whose writes (through what it calls) are all conditional
/// updates, as evidence; `None` when it is no such function.
fn claim_fn(project: &Project, f: crate::analysis::call_graph::FnRef) -> Option<String> {
    let body = project.fn_fact(f).body;
    let writes = super::side_effects::only_idempotent_writes(project, &[(f.file, body)])?;
    writes
        .iter()
        .all(|(_, how)| how.starts_with("a conditional"))
        .then(|| writes[0].0.evidence.clone())
}

/// The conditional update a value makes (SQL in its strings, or a query-builder chain), as
/// evidence.
fn conditional_update_in(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    init: &Val,
) -> Option<String> {
    let span = init.span();
    let sql = super::matchers::code_strings(project, unit, region)
        .into_iter()
        .filter(|(_, s)| span.contains(*s))
        .find(|(text, _)| {
            super::side_effects::idempotent_sql(text)
                .is_some_and(|how| how.starts_with("a conditional"))
        })
        .map(|(text, _)| {
            format!(
                "`{}`",
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        });
    sql.or_else(|| {
        let renewal: Vec<String> = project
            .catalog
            .side_effect
            .iter()
            .flat_map(|e| e.renewal_columns.iter().cloned())
            .collect();
        super::side_effects::idempotent_builder(init, &renewal)
            .is_some_and(|how| how.starts_with("a conditional"))
            .then(|| "a query-builder update".to_string())
    })
}
