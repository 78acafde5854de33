//! Code that runs only when someone chooses it: an `if` on a debugging switch (a flag, field or
//! configuration key whose name says debug, verbose, print or trace, or a level check such as
//! `log_enabled!(Level::Debug)`) runs only when an operator turns debugging on; a request handler
//! that only an administrator's credential passes runs when an operator acts. The words are in
//! `rules/catalog/entry-points.toml`.

use crate::facts::{RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

/// Whether an identifier's parts (split at `_`) hold a debugging word.
fn switch_name(project: &Project, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    project
        .catalog
        .debug_switch
        .iter()
        .any(|e| lower.split('_').any(|p| e.words.iter().any(|w| w == p)))
}

/// The flag a condition tests: the last name before any call with arguments, getters without
/// arguments passed through (`cfg.common.print_key_sql`, `self.config.verbose()`,
/// `config::get_config().common.print_key_event`), `None` for a comparison.
fn flag_of(cond: &str) -> Option<String> {
    let c = cond.trim().trim_start_matches(['*', '&']).trim();
    if c.contains("==") || c.contains("!=") || c.contains('<') || c.contains('>') {
        return None;
    }
    let c = c.replace("()", "");
    let head = c.split('(').next()?.trim_end_matches(['.', ':']);
    let last = head.rsplit(['.', ':']).next()?.trim();
    (!last.is_empty() && last.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
        .then(|| last.to_string())
}

/// The condition (as written, in backquotes) of an `if` around `span` in `region` that is a debugging switch:
/// its flag's name says so, or it is a level check for debug or trace, or it tests a field of a
/// tuple struct (`self.0`) that is built from a variable whose name says so
/// (`BetterLogging(extra_debug)`).
pub fn debug_switch(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    span: Span,
) -> Option<String> {
    let facts = &unit.facts;
    let mut text: Option<String> = None;
    for g in &facts.gate_words {
        let Some(gate) = facts.gates.get(g.gate) else {
            continue;
        };
        if !gate.body.contains(span) || gate.cond.contains(span) {
            continue;
        }
        let level_check = project.catalog.debug_switch.iter().any(|e| {
            g.words.iter().any(|w| e.level_checks.contains(w))
                && g.words.iter().any(|w| e.levels.contains(w))
        });
        let named = g.words.iter().any(|w| switch_name(project, w));
        let tuple_field = g.words.iter().any(|w| w == "self")
            && g.words
                .iter()
                .any(|w| w.chars().all(|c| c.is_ascii_digit()));
        if !level_check && !named && !tuple_field {
            continue;
        }
        let t = text.get_or_insert_with(|| unit.text().map(|t| t.into_owned()).unwrap_or_default());
        let Some(cond) = t.get(gate.cond.start..gate.cond.end).map(str::trim) else {
            continue;
        };
        // `!verbose` runs when the switch is off; `a || b` whenever either holds.
        if cond.starts_with('!') || cond.contains("||") || cond.starts_with("let ") {
            continue;
        }
        if level_check {
            return Some(format!("`{cond}`"));
        }
        for part in cond.split("&&") {
            let Some(flag) = flag_of(part) else { continue };
            if switch_name(project, &flag) {
                return Some(format!("`{cond}`"));
            }
            if flag.chars().all(|c| c.is_ascii_digit())
                && part.trim().starts_with("self.")
                && let Some(name) = tuple_built_from(project, unit, region, &flag)
            {
                return Some(format!("`{cond}` (built from `{name}`)"));
            }
        }
    }
    None
}

/// The variable a tuple struct's field `index` is built from, when every construction of the
/// enclosing impl's type in its crate passes one whose name says debug
/// (`BetterLogging(extra_debug)`).
fn tuple_built_from(
    project: &Project,
    unit: &Unit,
    region: RegionId,
    index: &str,
) -> Option<String> {
    let f = unit.facts.enclosing_fn(region)?;
    if !f.is_method || f.path.len() < 2 {
        return None;
    }
    let ty = &f.path[f.path.len() - 2];
    let i: usize = index.parse().ok()?;
    let mut found: Option<String> = None;
    let mut other = false;
    for u in project.units.iter().filter(|u| u.krate == unit.krate) {
        for c in &u.facts.calls {
            c.val.walk(&mut |x| {
                if let Val::Call { func, args, .. } = x
                    && let Val::Path { path, .. } = &**func
                    && path.last() == Some(ty)
                {
                    match args.get(i) {
                        Some(Val::Path { path: a, .. })
                            if a.len() == 1 && switch_name(project, &a[0]) =>
                        {
                            found.get_or_insert_with(|| a[0].clone());
                        }
                        _ => other = true,
                    }
                }
            });
        }
    }
    if other { None } else { found }
}

/// Whether function `f` is a request handler only an administrator passes: a parameter's type
/// is a catalogued operator guard (`_token: AdminToken`).
pub fn operator_guarded(project: &Project, f: &crate::facts::FnFact) -> bool {
    f.params.iter().any(|p| {
        let ty: String = p.ty.chars().filter(|c| !c.is_whitespace()).collect();
        let last = ty
            .trim_start_matches('&')
            .rsplit("::")
            .next()
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        project
            .catalog
            .operator_guard
            .iter()
            .any(|e| e.types.iter().any(|t| t == last))
    })
}

#[cfg(test)]
mod tests {
    use super::flag_of;

    #[test]
    fn flags() {
        let f = |c: &str| flag_of(c);
        assert_eq!(
            f("cfg.common.print_key_sql").as_deref(),
            Some("print_key_sql")
        );
        assert_eq!(f("self.config.verbose()").as_deref(), Some("verbose"));
        assert_eq!(
            f("config::get_config().common.print_key_event").as_deref(),
            Some("print_key_event")
        );
        assert_eq!(f("trace_id.is_some()").as_deref(), Some("is_some"));
        assert_eq!(f("is_verbose(&cfg)").as_deref(), Some("is_verbose"));
        assert_eq!(f("self.0").as_deref(), Some("0"));
        assert_eq!(f("level == Level::Debug"), None);
    }
}
