//! Query-builder writes (diesel, sea-orm) that repeat without harm: a filtered delete, a
//! conditional or lease update, an insert on conflict, a hand-rolled upsert by key, and an update
//! helper judged by its caller's literal.

use super::*;

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
pub(super) fn keyed_upsert(facts: &crate::facts::FileFacts, span: Span) -> Option<&'static str> {
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
pub(super) fn update_by_caller_data(
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
pub(super) fn snake(name: &str) -> String {
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
