//! `log-in-loop`: an event at info level or above inside a loop body or a per-item closure.
//! Its volume grows with the data, and N instances multiply it again.

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Level, enclosing_loop, events};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::project::{Project, Unit};

pub struct LogInLoop;

static META: RuleMeta = RuleMeta {
    id: "log-in-loop",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "an info/warn/error event inside a loop: log volume grows with the data",
    doc: include_str!("../../rules/docs/log-in-loop.md"),
};

impl Rule for LogInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(super::LOG_EVENT_WORDS, false)
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        for ev in events(project, unit) {
            if ev.level < Level::Info {
                continue;
            }
            let Some(lp) = enclosing_loop(project, &unit.facts, ev.mac.region) else {
                continue;
            };
            if unit.facts.exit_macros.contains(&ev.mac.span) {
                // Followed by `return`/`break`: it runs once, as the loop ends.
                continue;
            }
            if lp.periodic {
                // One event per tick of a timer or per retry: bounded by time, not by data.
                continue;
            }
            let shown = ev.shown();
            let (span, replacement) = ev.relevel_edit(Level::Debug);
            let what = if ev.level_arg.is_some() {
                format!("lower the event's level to `{replacement}`")
            } else {
                format!("rename the macro to `{replacement}!` (debug level)")
            };
            out.push(
                Diagnostic::new(
                    META.id,
                    unit.id,
                    ev.mac.span,
                    format!(
                        "`{shown}` inside a {}: one {} line per item, multiplied by every instance",
                        lp.what,
                        ev.level.name()
                    ),
                )
                .label(unit.id, lp.span, format!("the {} runs once per item", lp.what))
                .note("log volume grows with the data each instance handles; at N instances the log store receives N times that")
                .help(format!(
                    "count inside the loop and log one summary after it, e.g. `{}::{}!(processed = n, failed = f, \"batch done\")`",
                    ev.family.name,
                    ev.level.name()
                ))
                .fix({
                    let edits = vec![Edit {
                        file: unit.id,
                        span,
                        replacement,
                    }];
                    if ev.level == Level::Info {
                        Fix::machine(what, edits)
                    } else {
                        // Hiding warnings and errors at debug is a choice, not a safe rewrite.
                        Fix::maybe(
                            format!("{what}; a {} lowered to debug is hidden at the default level, so prefer a summary after the loop", ev.level.name()),
                            edits,
                        )
                    }
                }),
            );
        }
    }
}
