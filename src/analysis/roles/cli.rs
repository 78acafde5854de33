//! Command-line `match`es: which arms choose a command, and whether the function parsed its
//! command line itself.

use crate::facts::{FileFacts, Val};
use std::collections::HashSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CliMatch {
    No,
    /// Its arms name variants of a command-line type (`Command::Migrate`): perhaps a value the
    /// program built itself, so only an arm that serves beside it makes the others commands.
    ByType,
    /// It matches on what a parser returned in this function (`Cli::parse().command`, clap's
    /// `matches.subcommand()`, `std::env::args()`, or string commands after `get_matches()`).
    Parsed,
}

/// `_`, `None` or a plain binding: the arm for "no command", which goes on to serve.
pub(super) fn catch_all(pat: &str) -> bool {
    let p = pat.trim();
    p == "_"
        || p == "None"
        || (!p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && p.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
}

/// Which command-line calls show that a function parsed its command line.
pub(super) fn parses_cli(v: &Val, cli_types: &HashSet<&str>) -> bool {
    let mut hit = false;
    v.walk(&mut |x| match x {
        Val::Method { name, .. } => {
            hit |= matches!(
                name.as_str(),
                "subcommand" | "subcommand_name" | "remove_subcommand" | "get_matches"
            );
        }
        Val::Call { func, .. } => {
            if let Val::Path { path, .. } = &**func {
                let last = path.last().map(String::as_str).unwrap_or("");
                hit |= matches!(last, "args" | "args_os") && path.iter().any(|s| s == "env");
                hit |= path.len() >= 2
                    && cli_types.contains(path[path.len() - 2].as_str())
                    && matches!(
                        last,
                        "parse" | "try_parse" | "parse_from" | "from_args" | "from_env"
                    );
            }
        }
        _ => {}
    });
    hit
}

/// Whether a `match` chooses among command-line commands, and how sure that is.
pub(super) fn cli_match(
    facts: &FileFacts,
    m: &crate::facts::MatchFact,
    cli_types: &HashSet<&str>,
) -> CliMatch {
    // What the scrutinee was computed from, following `let` bindings of this function.
    let mut seen = 0;
    let mut vals = vec![&m.scrutinee];
    while let Some(v) = vals.pop() {
        seen += 1;
        if seen > 8 {
            break;
        }
        if parses_cli(v, cli_types) {
            return CliMatch::Parsed;
        }
        let mut roots = vec![];
        v.walk(&mut |x| {
            if let Val::Path { path, .. } = x
                && path.len() == 1
            {
                roots.push(path[0].clone());
            }
        });
        for r in roots {
            if let Some(b) = facts.binding(&r, m.region) {
                vals.push(&b.init);
            }
        }
    }
    // String commands (`"reset" => ..`) in a function that parsed its command line.
    let string_arms = m
        .arms
        .iter()
        .filter(|a| {
            a.pat.trim_start().starts_with('"') || a.pat.contains("(\"") || a.pat.contains("( \"")
        })
        .count();
    if string_arms > 0
        && let Some(f) = facts.enclosing_fn(m.region)
        && facts
            .calls_within(f.body)
            .any(|c| parses_cli(&c.val, cli_types))
    {
        return CliMatch::Parsed;
    }
    let names_cli_type = m.arms.iter().any(|a| {
        let toks: Vec<&str> = a.pat.split_whitespace().collect();
        toks.windows(2)
            .any(|w| w[1] == "::" && cli_types.contains(w[0]))
    });
    if names_cli_type {
        CliMatch::ByType
    } else {
        CliMatch::No
    }
}
