//! Matching resolved paths, method calls and string literals against catalog patterns.
//! Shared by the lock, side-effect and scheduler checks.

use crate::catalog::{CallPatterns, segments};
use crate::facts::{FileFacts, MacroArg, RegionId, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;

/// Whether the file names one of the crates: a path starting with it or a glob import from it.
pub fn file_names_any(facts: &FileFacts, crates: &[String]) -> bool {
    crates.iter().any(|c| {
        facts.crate_refs.iter().any(|r| r == c) || facts.globs.iter().any(|g| g.first() == Some(c))
    })
}

/// Whether a resolved `path` is `pattern` (`Job::new_async`) of one of `crates`: the path starts
/// with the crate and ends with the pattern, or is the bare pattern glob-imported from the crate.
pub fn path_of_crate(facts: &FileFacts, path: &[String], pattern: &str, crates: &[String]) -> bool {
    let pat = segments(pattern);
    if !ends_with(path, &pat) {
        return false;
    }
    if crates.is_empty() {
        return true;
    }
    if path.first().is_some_and(|p| crates.contains(p)) {
        return true;
    }
    // `use tokio_cron_scheduler::*;` then `Job::new(..)`, or `use clokwerk::prelude::*`.
    path.len() == pat.len()
        && facts
            .globs
            .iter()
            .any(|g| g.first().is_some_and(|r| crates.contains(r)))
}

/// Whether a resolved path is exactly `full` (`tokio::time::sleep`), glob imports included.
pub fn path_is(facts: &FileFacts, path: &[String], full: &str) -> bool {
    let want = segments(full);
    if path.len() == want.len() && path.iter().zip(&want).all(|(a, b)| a == b) {
        return true;
    }
    // `use tokio::time::*; sleep(..)` or `use tokio::time::*; time::sleep` is not possible, so one case.
    path.len() == 1
        && path[0] == want[want.len() - 1]
        && facts
            .globs
            .iter()
            .any(|g| g.len() == want.len() - 1 && g.iter().zip(&want).all(|(a, b)| a == b))
}

/// The first place in `val` that the patterns match, with a short description of it.
pub fn match_patterns(facts: &FileFacts, val: &Val, p: CallPatterns<'_>) -> Option<(String, Span)> {
    if !p.crates.is_empty() && !file_names_any(facts, p.crates) {
        return None;
    }
    let mut hit = None;
    val.walk(&mut |v| {
        if hit.is_some() {
            return;
        }
        match v {
            Val::Call { func, span, .. } => {
                if let Val::Path { path, .. } = &**func {
                    for c in p.calls {
                        let ok = if p.calls_any_root {
                            path.len() >= segments(c).len() && ends_with(path, &segments(c))
                        } else {
                            path_of_crate(facts, path, c, p.crates)
                        };
                        if ok {
                            hit = Some((format!("`{}(..)`", path.join("::")), *span));
                            return;
                        }
                    }
                }
            }
            Val::Path { path, span } if p.paths.iter().any(|c| ends_with(path, &segments(c))) => {
                hit = Some((format!("`{}`", path.join("::")), *span));
            }
            Val::Method {
                name,
                args,
                name_span,
                span,
                ..
            } if p.methods.iter().any(|m| m == name)
                && p.method_args.is_none_or(|n| n == args.len()) =>
            {
                hit = Some((
                    format!("`.{name}(..)`"),
                    Span::new(name_span.start, span.end),
                ));
            }
            _ => {}
        }
    });
    hit
}

/// Macros whose string arguments are messages, not SQL.
const MESSAGE_MACROS: &[&str] = &[
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "event",
    "log",
    "println",
    "eprintln",
    "print",
    "eprint",
    "format",
    "format_args",
    "panic",
    "write",
    "writeln",
    "anyhow",
    "bail",
    "ensure",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "unreachable",
    "todo",
    "unimplemented",
];

/// The text `region` holds as code: its string literals that are not log or format messages,
/// format strings that are SQL statements (`format!("SELECT pg_advisory_lock({})", KEY)`), and the
/// text of the string constants it names (`sql_query(LOCK_SQL)`, in any module), at the place
/// they are named.
pub fn code_strings<'a>(
    project: &'a Project,
    unit: &'a Unit,
    region: RegionId,
) -> Vec<(&'a str, Span)> {
    let facts = &unit.facts;
    let format_spans: Vec<Span> = facts
        .macros_within(region)
        .filter(|m| {
            m.path
                .last()
                .is_some_and(|n| matches!(n.as_str(), "format" | "format_args"))
        })
        .map(|m| m.span)
        .collect();
    let message_spans: Vec<Span> = facts
        .macros_within(region)
        .filter(|m| {
            m.path
                .last()
                .is_some_and(|n| MESSAGE_MACROS.contains(&n.as_str()))
        })
        .map(|m| m.span)
        .collect();
    let mut out: Vec<(&str, Span)> = facts
        .strings_within(region)
        .filter(|s| {
            !message_spans.iter().any(|m| m.contains(s.span))
                || (format_spans.iter().any(|m| m.contains(s.span)) && is_sql_statement(&s.value))
        })
        .map(|s| (s.value.as_str(), s.span))
        .collect();
    let mut consts = vec![];
    let mut named = |v: &'a Val| {
        if let Val::Path { path, span } = v
            && let Some(name) = path.last()
            && is_const_name(name)
        {
            consts.push((name.as_str(), *span));
        }
    };
    for call in facts.calls_within(region) {
        call.val.walk(&mut named);
    }
    for m in facts.macros_within(region) {
        for a in &m.args {
            match a {
                MacroArg::Expr(v) | MacroArg::Field { value: v, .. } => v.walk(&mut named),
                MacroArg::Unparsed { .. } => {}
            }
        }
    }
    consts.sort_by_key(|(_, s)| (s.start, s.end));
    consts.dedup();
    for (name, span) in consts {
        if let Some(text) = project.const_text(unit, name) {
            out.push((text, span));
        }
    }
    out
}

/// `LOCK_SQL`, `MIGRATION_LOCK_KEY`: the name of a constant by Rust's convention.
fn is_const_name(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether a text starts as a SQL statement (`SELECT ..`, `UPDATE ..`): a format string that
/// builds SQL rather than a message.
pub fn is_sql_statement(text: &str) -> bool {
    let first = text
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "WITH"
            | "MERGE"
            | "TRUNCATE"
            | "LOCK"
            | "CREATE"
            | "ALTER"
            | "DROP"
            | "UPSERT"
            | "REPLACE"
    ) && text.trim().contains(' ')
}

/// The words of a text, upper-cased, with the character before each (for statement starts).
fn words(text: &str) -> Vec<(String, Option<char>)> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut before: Option<char> = None;
    let mut last_sig: Option<char> = None;
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            if cur.is_empty() {
                before = last_sig;
            }
            cur.extend(ch.to_uppercase());
        } else {
            if !cur.is_empty() {
                out.push((std::mem::take(&mut cur), before));
                last_sig = None;
            }
            if !ch.is_whitespace() {
                last_sig = Some(ch);
            }
        }
    }
    if !cur.is_empty() {
        out.push((cur, before));
    }
    out
}

/// The SQL write statement a string holds (`INSERT INTO`, `UPDATE .. SET`, `DELETE FROM`), if
/// one of `statements` starts the text or follows `;`, `(` or `)`.
pub fn sql_write<'a>(text: &str, statements: &'a [String]) -> Option<&'a str> {
    let w = words(text);
    for stmt in statements {
        let want: Vec<String> = stmt.split_whitespace().map(str::to_uppercase).collect();
        for i in 0..w.len() {
            let starts = i == 0 || matches!(w[i].1, Some(';' | '(' | ')'));
            if !starts || i + want.len() > w.len() {
                continue;
            }
            if !want.iter().enumerate().all(|(k, x)| &w[i + k].0 == x) {
                continue;
            }
            // `UPDATE t SET ..`; a lone `UPDATE` in prose is not a statement.
            if want.len() == 1 && want[0] == "UPDATE" && !w[i + 1..].iter().any(|x| x.0 == "SET") {
                continue;
            }
            if want.len() == 1 && i + 1 >= w.len() {
                continue;
            }
            return Some(stmt);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sql_writes_but_not_prose() {
        let s: Vec<String> = ["INSERT INTO", "UPDATE", "DELETE FROM"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            sql_write("DELETE FROM sessions WHERE expires < now()", &s),
            Some("DELETE FROM")
        );
        assert_eq!(
            sql_write("  update orders set paid = true", &s),
            Some("UPDATE")
        );
        assert_eq!(
            sql_write("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", &s),
            Some("INSERT INTO")
        );
        assert_eq!(sql_write("failed to delete from cache", &s), None);
        assert_eq!(sql_write("Update hot ranks", &s), None);
        assert_eq!(sql_write("SELECT id FROM orders", &s), None);
    }
}
