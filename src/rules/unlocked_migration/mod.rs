//! `unlocked-migration`: schema migrations that every instance applies at startup with nothing
//! serialising them — from code (diesel_migrations, refinery, sea-orm-migration, sqlx with
//! locking off, ...) or from every replica's entrypoint, init container or start command.

use super::{Rule, RuleMeta};
use crate::analysis::call_graph::FnRef;
use crate::analysis::locks;
use crate::catalog::{MigrationRunner, RunnerLocks, segments};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, FnFact, RegionId, RegionKind, Val, ends_with};
use crate::project::{Extra, Project, Unit};
use crate::source::Span;
use crate::workspace::ExtraKind;
use std::collections::BTreeSet;

pub struct UnlockedMigration;

static META: RuleMeta = RuleMeta {
    id: "unlocked-migration",
    family: "migrations",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "migrations applied at startup by every instance with no cross-instance lock",
    doc: include_str!("../../rules/docs/unlocked-migration.md"),
};

/// The key the suggested advisory lock uses (any constant shared by all instances works).
const LOCK_KEY: &str = "72707369";

/// One call that applies migrations.
struct Run<'c> {
    runner: &'c MigrationRunner,
    /// The applying call: from the applying method's name to the end of the call.
    span: Span,
    region: RegionId,
    /// `set_locking(false)` / `locking: false` when that is why it does not lock.
    locking_off: Option<Span>,
    /// How the call is written, for the snippet: receiver and applying method or path.
    recv: String,
    method: String,
    arg: String,
    /// The whole applying expression (`embedded::migrations::runner().run_async(&mut client)`),
    /// its receiver and its first argument, to quote the source in the snippet.
    call: Span,
    recv_span: Option<Span>,
    arg_span: Option<Span>,
}

impl Rule for UnlockedMigration {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Deploy files are read whatever this says; Rust files matter only with a runner library.
    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        // A runner of no library (the project's own, recognised by its shape) is wanted in
        // any crate.
        let crates = if catalog.migration_runner.iter().any(|e| e.crates.is_empty()) {
            vec![]
        } else {
            catalog
                .migration_runner
                .iter()
                .flat_map(|e| e.crates.clone())
                .collect()
        };
        let words = [
            "migrat",
            "Migrat",
            "embed_migrations",
            "runner",
            "CREATE TABLE",
            "create table",
            "Table::create",
        ]
        .map(String::from)
        .to_vec();
        super::Interest {
            crates,
            services_only: false,
            words,
            workspace_wide: true,
            ..Default::default()
        }
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !unit.is_service_source()
            || single_instance(project, unit)
            || migrate_bin(project, unit)
            || test_support_crate(project, unit)
            || (unit.bin.is_some() && !project.is_service_crate(unit))
        {
            // Tests, one-replica deployments, migrate binaries, test support, and command-line
            // tools (a binary of a crate that is not a service runs once per invocation).
            return;
        }
        let unit_idx = project.unit_index(unit);
        for run in find_runs(project, unit) {
            if !project.runs_on_replicas(unit, run.region, run.span) {
                continue;
            }
            if on_silent_backend(project, unit, &run) {
                // A SQLite file is per-instance state: not a shared schema (see the rule's page).
                continue;
            }
            if run.runner.locks == RunnerLocks::ByBackend
                && run.locking_off.is_none()
                && locks_on_backend(project, unit, &run)
            {
                continue;
            }
            let mut visited = BTreeSet::new();
            if protected(project, unit_idx, run.span, run.region, 0, &mut visited).is_some() {
                continue;
            }
            out.push(diagnostic(project, unit, &run));
        }
        hand_rolled::check(project, unit, out);
    }

    fn check_project(&self, project: &Project, out: &mut Vec<Diagnostic>) {
        deploy::check(project, out);
    }
}

/// A `.lock()` call before the run in the same function: a process-local mutex, not a guard.
fn local_mutex_before(unit: &Unit, run: &Run) -> Option<Span> {
    let scope = enclosing_fn_region(&unit.facts, run.region)?;
    unit.facts
        .calls_within(scope)
        .filter(|c| c.val.span().end <= run.span.start)
        .find_map(|c| {
            c.val.chain().1.into_iter().find_map(|l| match l {
                Val::Method {
                    name,
                    name_span,
                    span,
                    ..
                } if name == "lock" => Some(Span::new(name_span.start, span.end)),
                _ => None,
            })
        })
}

/// A call before the run in the same function of a path whose last segment names a lock
/// (`dist_lock::lock(..)`, `acquire_migration_lock(..)`): a candidate for `lock-functions`.
fn lock_candidate_before(unit: &Unit, run: &Run) -> Option<(String, Span)> {
    let scope = enclosing_fn_region(&unit.facts, run.region)?;
    unit.facts
        .calls_within(scope)
        .filter(|c| c.val.span().end <= run.span.start)
        .find_map(|c| match c.val.chain().0 {
            Val::Call { func, span, .. } => match &**func {
                Val::Path { path, .. }
                    if path.last().is_some_and(|l| {
                        let l = l.to_ascii_lowercase();
                        l.contains("lock") && !l.contains("unlock") && !l.contains("block")
                    }) =>
                {
                    Some((path.join("::"), *span))
                }
                _ => None,
            },
            _ => None,
        })
}

fn diagnostic(project: &Project, unit: &Unit, run: &Run) -> Diagnostic {
    let lib = &run.runner.library;
    let message = if run.locking_off.is_some() {
        format!(
            "{lib} migrations run with locking turned off: every instance applies them at startup, at the same time"
        )
    } else {
        format!(
            "{lib} applies migrations at startup on every instance, with no lock between instances"
        )
    };
    let mut d = Diagnostic::new(META.id, unit.id, run.span, message);
    if let Some(off) = run.locking_off {
        d = d.label(unit.id, off, "locking is switched off here");
    }
    let fn_name = unit
        .facts
        .enclosing_fn(run.region)
        .map_or("this file".to_string(), |f| {
            format!("`{}` ({})", f.name, place(project, unit, f.ident_span))
        });
    d = d
        .note(run.runner.why.clone())
        .note(format!(
            "during a rolling deploy or a scale-out, {} instances start together and race to apply the same migration: \
             duplicate-object errors, half-applied schema, crash loops",
            project.config.instances
        ))
        .note(format!(
            "looked for a cross-instance lock taken before the run in {fn_name} and in every caller on the way to it \
             ({}): none found",
            locks::LOOKED_FOR_HELD
        ));
    if let Some((name, span)) = lock_candidate_before(unit, run) {
        d = d
            .label(unit.id, span, "a lock helper scalelint could not follow to a cross-process primitive")
            .note(format!(
                "`{name}` is called before the run, but scalelint did not see it reach a cross-process lock; \
                 if it is one (built on a database, Redis, etcd or NATS), declare it in scalelint.toml: \
                 `lock-functions = [\"{name}\"]`"
            ));
    }
    if let Some(mutex) = local_mutex_before(unit, run) {
        d = d
            .label(unit.id, mutex, "this lock is process-local")
            .note("a std/tokio/parking_lot `Mutex` serialises threads of one process, not instances: each replica has its own");
    }
    d = d
.help(
            "run migrations once per deploy instead: a `migrate` subcommand or binary run as a Kubernetes Job, \
             a Helm pre-install/pre-upgrade hook or a pipeline step (not in each replica's entrypoint or init container)",
        )
        .fix(Fix::manual(snippet(project, unit, run)));
    d
}

/// `src/db/mod.rs:518`: where a span of the unit is, relative to the project's root.
fn place(project: &Project, unit: &Unit, span: Span) -> String {
    let path = unit.path.strip_prefix(&project.root).unwrap_or(&unit.path);
    let line = std::fs::read_to_string(&unit.path)
        .ok()
        .and_then(|t| t.get(..span.start).map(|b| b.matches('\n').count() + 1));
    match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    }
}

/// The source text of a span of the unit, when the file can be read again (not for stdin).
fn source_text(unit: &Unit, span: Span) -> Option<String> {
    let text = std::fs::read_to_string(&unit.path).ok()?;
    let t = text.get(span.start..span.end)?;
    (!t.is_empty()).then(|| t.to_string())
}

/// The source text of an argument with the `&` / `&mut` written before it (facts see through them).
fn arg_source(unit: &Unit, span: Span) -> Option<String> {
    let text = std::fs::read_to_string(&unit.path).ok()?;
    let arg = text.get(span.start..span.end)?;
    let before = text.get(..span.start)?.trim_end();
    let prefix = if before.ends_with("&mut") {
        "&mut "
    } else if before.ends_with('&') {
        "&"
    } else {
        ""
    };
    Some(format!("{prefix}{arg}"))
}

/// Whether `name` is a parameter of the enclosing function whose type is a reference.
fn is_ref_param(unit: &Unit, region: RegionId, name: &str) -> bool {
    unit.facts.enclosing_fn(region).is_some_and(|f| {
        f.params
            .iter()
            .any(|p| p.name == name && p.ty.starts_with('&'))
    })
}

/// The fix: both ways out, for the library in use.
fn snippet(project: &Project, unit: &Unit, run: &Run) -> String {
    let mysql = backends_near(project, unit, run.region) == ["mysql"];
    let (lock, unlock) = if mysql {
        (
            "SELECT GET_LOCK('migrations', -1)".to_string(),
            "SELECT RELEASE_LOCK('migrations')".to_string(),
        )
    } else {
        (
            format!("SELECT pg_advisory_lock({LOCK_KEY})"),
            format!("SELECT pg_advisory_unlock({LOCK_KEY})"),
        )
    };
    let once = match run.runner.cli.first() {
        Some(cli) => format!(
            "(a) run migrations once per deploy: `{cli}` (or your binary's `migrate` subcommand) as a Kubernetes Job \
             or Helm pre-upgrade hook, and remove this call from startup; or\n"
        ),
        None => "(a) run migrations once per deploy: a `migrate` subcommand run as a Kubernetes Job or Helm \
                 pre-upgrade hook, and remove this call from startup; or\n"
            .to_string(),
    };
    let call = source_text(unit, run.call).unwrap_or_else(|| {
        if run.recv.is_empty() {
            format!("{}({})", run.method, run.arg)
        } else {
            format!("{}.{}({})", run.recv, run.method, run.arg)
        }
    });
    let call = call.split_whitespace().collect::<Vec<_>>().join(" ");
    let recv = run
        .recv_span
        .and_then(|s| source_text(unit, s))
        .unwrap_or_else(|| run.recv.clone());
    let arg = run
        .arg_span
        .and_then(|s| arg_source(unit, s))
        .unwrap_or_else(|| run.arg.clone());
    let code = match run.runner.library.as_str() {
        "sqlx" => "(b) remove the `set_locking(false)` / `locking: false` so sqlx takes its own advisory lock \
                   (Postgres, MySQL); if it is off because the database has no advisory locks (CockroachDB), take (a):\n\n    \
                   let migrator = sqlx::migrate!();\n    migrator.run(&pool).await?;"
            .to_string(),
        "diesel_migrations" | "diesel-async" | "fang" => {
            // The connection the run uses: the receiver, or fang's argument.
            let conn_src = if run.runner.library == "fang" { arg.clone() } else { recv.clone() };
            let conn_src = if conn_src.is_empty() { "conn".to_string() } else { conn_src };
            let bare = conn_src.trim_start_matches("&mut ").trim_start_matches('&').trim();
            let conn_arg = if conn_src.starts_with("&mut ") || is_ref_param(unit, run.region, bare) {
                bare.to_string()
            } else {
                format!("&mut {bare}")
            };
            if run.runner.library == "diesel-async" {
                format!(
                    "(b) hold a session-level advisory lock around the run, on a connection of its own kept open:\n\n    \
                     use diesel_async::{{AsyncConnection, AsyncPgConnection, RunQueryDsl}};\n    \
                     let mut lock_conn = AsyncPgConnection::establish(&database_url).await?;\n    \
                     diesel::sql_query(\"{lock}\").execute(&mut lock_conn).await?;\n    \
                     let applied = {call};\n    \
                     diesel::sql_query(\"{unlock}\").execute(&mut lock_conn).await?;\n    \
                     applied?;"
                )
            } else {
                format!(
                    "(b) hold a session-level advisory lock on the same connection around the run:\n\n    \
                     use diesel::RunQueryDsl;\n    \
                     diesel::sql_query(\"{lock}\").execute({conn_arg})?;\n    \
                     let applied = {call};\n    \
                     diesel::sql_query(\"{unlock}\").execute({conn_arg})?;\n    \
                     applied?;"
                )
            }
        }
        "refinery" | "tokio-postgres-migration" => {
            let client = arg.trim_start_matches("&mut ").trim();
            let client = if client.is_empty() { "client" } else { client };
            let aw = if run.method.contains("async") || run.runner.library != "refinery" {
                ".await"
            } else {
                ""
            };
            let call = if run.arg_span.is_some() {
                call.clone()
            } else {
                format!("migrations::runner().{}(&mut {client})", run.method)
            };
            format!(
                "(b) hold a session-level advisory lock on the same connection around the run:\n\n    \
                 {client}.batch_execute(\"{lock}\"){aw}?;\n    \
                 let report = {call}{aw};\n    \
                 {client}.batch_execute(\"{unlock}\"){aw}?;\n    \
                 report?;"
            )
        }
        "sea-orm-migration" => {
            let xact = if mysql {
                "SELECT GET_LOCK('migrations', -1)".to_string()
            } else {
                format!("SELECT pg_advisory_xact_lock({LOCK_KEY})")
            };
            let db = if arg.is_empty() { "&db".to_string() } else { arg.clone() };
            let steps = if matches!(run.method.as_str(), "up" | "down") { ", None" } else { "" };
            format!(
                "(b) hold an advisory lock on one connection of the pool for the whole run (committing releases it):\n\n    \
                 use sea_orm::{{ConnectionTrait, DatabaseConnection, TransactionTrait}};\n    \
                 let db: &DatabaseConnection = {db};\n    \
                 let lock = db.begin().await?;\n    \
                 lock.execute_unprepared(\"{xact}\").await?;\n    \
                 {}::{}(db{steps}).await?;\n    \
                 lock.commit().await?;",
                if run.recv.is_empty() { "Migrator" } else { &run.recv },
                run.method
            )
        }
        _ => format!(
            "(b) hold a session-level advisory lock on one connection kept open around the run:\n\n    \
             -- before: {lock}\n    \
             {call}\n    \
             -- after: {unlock}"
        ),
    };
    format!("{once}{code}")
}

// ---------------------------------------------------------------------------------------------
// Finding the calls that apply migrations.
// ---------------------------------------------------------------------------------------------

fn find_runs<'p>(project: &'p Project, unit: &Unit) -> Vec<Run<'p>> {
    let catalog = &project.catalog;
    let mut out = vec![];
    for call in &unit.facts.calls {
        let (root, links) = resolved_chain(project, unit, &call.val, call.region, 0);
        'runners: for runner in &catalog.migration_runner {
            let uses = project.uses_any(unit, &runner.crates);
            // Chains: a known root, then an applying method.
            if uses {
                for shape in &runner.chains {
                    if !root_matches(&root, &shape.root) {
                        continue;
                    }
                    if let Some(link) = links
                        .iter()
                        .find(|l| l.name.is_some_and(|n| shape.methods.iter().any(|m| m == n)))
                    {
                        let locking_off = locking_off(
                            project,
                            unit,
                            runner,
                            &call.val,
                            &root,
                            &links,
                            call.region,
                        );
                        out.push(Run {
                            runner,
                            span: link.span,
                            region: call.region,
                            locking_off,
                            recv: recv_text(&call.val),
                            method: link.name.unwrap_or("run").to_string(),
                            arg: link.arg.clone(),
                            call: Span::new(chain_root_span(&call.val).start, link.span.end),
                            recv_span: recv_span(&call.val),
                            arg_span: link.arg_span,
                        });
                        break 'runners;
                    }
                }
            }
            // Methods on any receiver (diesel's MigrationHarness).
            if uses && !runner.methods.is_empty() {
                let in_call = call_links(&call.val);
                if let Some(link) = in_call.iter().find(|l| {
                    l.name.is_some_and(|n| {
                        runner.methods.iter().any(|m| m == n)
                            && !delegating(unit, call.region, n)
                            && !user_method(project, n)
                    })
                }) {
                    out.push(Run {
                        runner,
                        span: link.span,
                        region: call.region,
                        locking_off: None,
                        recv: recv_text(&call.val),
                        method: link.name.unwrap_or("run").to_string(),
                        arg: link.arg.clone(),
                        call: Span::new(chain_root_span(&call.val).start, link.span.end),
                        recv_span: recv_span(&call.val),
                        arg_span: link.arg_span,
                    });
                    break 'runners;
                }
            }
            // Free functions.
            let Some(path) = chain_root_path(&call.val) else {
                continue;
            };
            if uses
                && runner
                    .functions
                    .iter()
                    .any(|f| ends_with(path, &segments(f)))
            {
                out.push(Run {
                    runner,
                    span: chain_root_span(&call.val),
                    region: call.region,
                    locking_off: None,
                    recv: String::new(),
                    method: path.last().cloned().unwrap_or_default(),
                    arg: first_arg_text(&call.val),
                    call: chain_root_span(&call.val),
                    recv_span: None,
                    arg_span: call.val.chain().0.args().first().map(Val::span),
                });
                break 'runners;
            }
            // Associated functions of a type implementing the runner's trait (sea-orm's
            // `Migrator::up`); the type may live in another crate of the workspace.
            if path.len() >= 2
                && runner.trait_fns.iter().any(|f| f == &path[path.len() - 1])
                && (implements(project, unit, runner, &path[path.len() - 2])
                    || bound_by(unit, call.region, runner, &path[path.len() - 2]))
            {
                out.push(Run {
                    runner,
                    span: chain_root_span(&call.val),
                    region: call.region,
                    locking_off: None,
                    recv: path[path.len() - 2].clone(),
                    method: path[path.len() - 1].clone(),
                    arg: String::new(),
                    call: chain_root_span(&call.val),
                    recv_span: None,
                    arg_span: call.val.chain().0.args().first().map(Val::span),
                });
                break 'runners;
            }
        }
    }
    // Invocations of the user's own `macro_rules!` that apply migrations.
    for m in &unit.facts.macros {
        let Some(name) = m.path.last() else { continue };
        if name == "macro_rules" {
            continue;
        }
        for runner in &catalog.migration_runner {
            if runner.macro_markers.is_empty() {
                continue;
            }
            let defined = project.units.iter().any(|u| {
                u.facts.macro_defs.iter().any(|d| {
                    &d.name == name && runner.macro_markers.iter().any(|k| d.body.contains(k))
                })
            });
            if defined {
                out.push(Run {
                    runner,
                    span: m.span,
                    region: m.region,
                    locking_off: None,
                    recv: String::new(),
                    method: if runner.library == "refinery" {
                        "run_async".into()
                    } else {
                        "run_pending_migrations".into()
                    },
                    arg: String::new(),
                    call: m.span,
                    recv_span: None,
                    arg_span: None,
                });
                break;
            }
        }
    }
    out
}

/// A method of a chain: its name, the span from its name to the end of the call, its first argument.
struct Link<'v> {
    name: Option<&'v str>,
    span: Span,
    arg: String,
    arg_span: Option<Span>,
}

fn call_links(val: &Val) -> Vec<Link<'_>> {
    let (_, links) = val.chain();
    links
        .into_iter()
        .filter_map(|l| match l {
            Val::Method {
                name,
                name_span,
                span,
                args,
                ..
            } => Some(Link {
                name: Some(name.as_str()),
                span: Span::new(name_span.start, span.end),
                arg: args.first().map(val_text).unwrap_or_default(),
                arg_span: args.first().map(Val::span),
            }),
            _ => None,
        })
        .collect()
}

/// A chain with its root followed through `let` bindings and statics:
/// `let m = sqlx::migrate!(); m.run(&pool)` gives the root `sqlx::migrate!` and links `[run]`.
fn resolved_chain<'v>(
    project: &'v Project,
    unit: &'v Unit,
    val: &'v Val,
    region: RegionId,
    depth: usize,
) -> (Val, Vec<Link<'v>>) {
    let (root, _) = val.chain();
    let links = call_links(val);
    if depth < 4
        && let Val::Path { path, .. } = root
        && let Some(name) = path.last()
    {
        if path.len() == 1
            && let Some(l) = unit.facts.binding(name, region)
        {
            let (r, mut inner) = resolved_chain(project, unit, &l.init, l.region, depth + 1);
            inner.extend(links);
            return (r, inner);
        }
        if name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && let Some(c) = unit
                .facts
                .consts
                .iter()
                .find(|c| &c.name == name)
                .or_else(|| {
                    project
                        .units
                        .iter()
                        .filter(|u| u.krate == unit.krate)
                        .flat_map(|u| u.facts.consts.iter())
                        .find(|c| &c.name == name)
                })
        {
            let (r, mut inner) = resolved_chain(project, unit, &c.value, 0, depth + 1);
            inner.extend(links);
            return (r, inner);
        }
    }
    (root.clone(), links)
}

/// `sqlx::migrate!` matches a macro root; `Migrator::new` a call root's path suffix.
fn root_matches(root: &Val, pattern: &str) -> bool {
    if let Val::Struct { path, rest, .. } = root {
        // `Migrator { locking: false, ..sqlx::migrate!() }`
        let ty = segments(pattern);
        return (ty.len() == 2 && path.last().is_some_and(|l| l == ty[0]))
            || rest.as_ref().is_some_and(|r| root_matches(r, pattern));
    }
    match (root, pattern.strip_suffix('!')) {
        (Val::Macro { path, .. }, Some(mac)) => {
            let segs = segments(mac);
            // `migrate!` alone only when it is not someone else's macro: the path must be sqlx's or bare.
            ends_with(path, &segs) && (segs.len() > 1 || path.len() == 1)
        }
        (Val::Call { func, .. }, None) => match &**func {
            Val::Path { path, .. } => ends_with(path, &segments(pattern)),
            _ => false,
        },
        _ => false,
    }
}

fn chain_root_path(val: &Val) -> Option<&Vec<String>> {
    val.chain().0.call_path()
}

fn chain_root_span(val: &Val) -> Span {
    val.chain().0.span()
}

fn first_arg_text(val: &Val) -> String {
    val.chain()
        .0
        .args()
        .first()
        .map(val_text)
        .unwrap_or_default()
}

/// A short rendering of a value for snippets: paths and fields as written, the rest elided.
fn val_text(val: &Val) -> String {
    match val {
        Val::Path { path, .. } => path
            .iter()
            .filter(|s| *s != "crate")
            .cloned()
            .collect::<Vec<_>>()
            .join("::"),
        Val::Field { base, name, .. } => format!("{}.{name}", val_text(base)),
        Val::Str { value, .. } => format!("{value:?}"),
        Val::Call { .. } | Val::Method { .. } => match val.call_path() {
            Some(p) => format!("{}()", p.last().cloned().unwrap_or_default()),
            None => match val {
                Val::Method { name, recv, .. } => format!("{}.{name}()", val_text(recv)),
                _ => "..".into(),
            },
        },
        _ => "..".into(),
    }
}

fn recv_span(val: &Val) -> Option<Span> {
    match val.chain().0 {
        v @ (Val::Path { .. } | Val::Field { .. }) => Some(v.span()),
        _ => None,
    }
}

fn recv_text(val: &Val) -> String {
    match val.chain().0 {
        Val::Path { .. } | Val::Field { .. } => val_text(val.chain().0),
        _ => String::new(),
    }
}

/// `set_locking(false)` in the chain, on the bound variable, or `locking: false` in a literal.
fn locking_off(
    project: &Project,
    unit: &Unit,
    runner: &MigrationRunner,
    call: &Val,
    root: &Val,
    links: &[Link],
    region: RegionId,
) -> Option<Span> {
    let _ = (project, root);
    if runner.locking_off_methods.is_empty() && runner.locking_off_fields.is_empty() {
        return None;
    }
    let off_method = |v: &Val| -> Option<Span> {
        match v {
            Val::Method {
                name,
                name_span,
                args,
                span,
                ..
            } if runner.locking_off_methods.iter().any(|m| m == name)
                && matches!(args.first(), Some(Val::Bool { value: false, .. })) =>
            {
                Some(Span::new(name_span.start, span.end))
            }
            _ => None,
        }
    };
    // In the chain itself.
    for l in links {
        if l.name
            .is_some_and(|n| runner.locking_off_methods.iter().any(|m| m == n))
            && l.arg == "false"
        {
            return Some(l.span);
        }
    }
    let mut found = None;
    call.walk(&mut |v| {
        if found.is_none() {
            found = off_method(v);
        }
    });
    if found.is_some() {
        return found;
    }
    // On the variable: `m.set_locking(false)` elsewhere in the function, or a literal field.
    let scope = enclosing_fn_region(&unit.facts, region).unwrap_or(0);
    let var = match call.chain().0 {
        Val::Path { path, .. } => path.last().cloned(),
        _ => None,
    };
    for c in unit.facts.calls_within(scope) {
        let (r, ls) = c.val.chain();
        let same_var = matches!(r, Val::Path { path, .. } if path.last() == var.as_ref());
        if same_var && let Some(s) = ls.iter().find_map(|l| off_method(l)) {
            return Some(s);
        }
    }
    let lit_off = |v: &Val| -> Option<Span> {
        if let Val::Struct { fields, .. } = v {
            for (name, value) in fields {
                if runner.locking_off_fields.iter().any(|f| f == name)
                    && let Val::Bool { value: false, span } = value
                {
                    return Some(*span);
                }
            }
        }
        None
    };
    let mut found = None;
    for l in unit
        .facts
        .lets
        .iter()
        .filter(|l| unit.facts.is_within(l.region, scope))
    {
        l.init.walk(&mut |v| {
            if found.is_none() {
                found = lit_off(v);
            }
        });
    }
    for c in &unit.facts.consts {
        c.value.walk(&mut |v| {
            if found.is_none() {
                found = lit_off(v);
            }
        });
    }
    found
}

/// `fn run_migration(&self, m) { self.conn.run_migration(m) }` inside a harness implementation.
fn delegating(unit: &Unit, region: RegionId, method: &str) -> bool {
    unit.facts
        .enclosing_fn(region)
        .is_some_and(|f| f.is_method && f.name == method)
}

/// The workspace defines its own method of that name (outside a harness implementation).
fn user_method(project: &Project, name: &str) -> bool {
    project.units.iter().any(|u| {
        u.facts.fns.iter().any(|f| {
            f.is_method
                && f.name == name
                && !u.facts.impls.iter().any(|i| {
                    i.span.contains(f.span)
                        && i.trait_path.as_ref().is_some_and(|t| {
                            t.last().is_some_and(|s| s.ends_with("MigrationHarness"))
                        })
                })
        })
    })
}

/// Whether `ty` implements one of the runner's traits somewhere in the workspace.
fn implements(project: &Project, unit: &Unit, runner: &MigrationRunner, ty: &str) -> bool {
    if runner.trait_impls.is_empty() {
        return false;
    }
    let found = project.units.iter().any(|u| {
        u.facts.impls.iter().any(|i| {
            i.self_ty == ty
                && i.trait_path.as_ref().is_some_and(|t| {
                    t.last()
                        .is_some_and(|s| runner.trait_impls.iter().any(|x| x == s))
                })
        })
    });
    found || (ty == "Migrator" && project.uses_any(unit, &runner.crates))
}

/// Whether `ty` is a type parameter of the enclosing function bound by one of the runner's
/// traits: `async fn converge<M: MigratorTrait>(db) { M::up(db, None).await }`.
fn bound_by(unit: &Unit, region: RegionId, runner: &MigrationRunner, ty: &str) -> bool {
    !runner.trait_impls.is_empty()
        && unit.facts.ancestors(region).any(|(_, r)| match r.kind {
            RegionKind::Fn(i) => unit.facts.fns[i].bounds.iter().any(|(name, traits)| {
                name == ty && traits.iter().any(|t| runner.trait_impls.contains(t))
            }),
            _ => false,
        })
}

fn enclosing_fn_region(facts: &FileFacts, region: RegionId) -> Option<RegionId> {
    facts.ancestors(region).find_map(|(id, r)| match r.kind {
        RegionKind::Fn(_) => Some(id),
        _ => None,
    })
}

fn enclosing_fn_idx(facts: &FileFacts, region: RegionId) -> Option<usize> {
    facts.ancestors(region).find_map(|(_, r)| match r.kind {
        RegionKind::Fn(f) => Some(f),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Backends: SQLite is per-instance state, not this rule's concern.
// ---------------------------------------------------------------------------------------------

const BACKENDS: &[(&str, &[&str])] = &[
    ("sqlite", &["sqlite"]),
    ("postgres", &["postgres", "pg"]),
    ("mysql", &["mysql", "maria"]),
];

fn backend_of_word(word: &str) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    BACKENDS
        .iter()
        .find(|(_, keys)| {
            keys.iter().any(|k| {
                if *k == "pg" {
                    w.starts_with("pg") && w.len() > 2
                } else {
                    w.contains(k)
                }
            })
        })
        .map(|(b, _)| *b)
}

/// Backends the function around `region` names (connection and pool types, constructors),
/// or else those the crate's database features enable.
fn backends_near(project: &Project, unit: &Unit, region: RegionId) -> Vec<&'static str> {
    let mut found: BTreeSet<&'static str> = BTreeSet::new();
    if let Some(f) = enclosing_fn_idx(&unit.facts, region).map(|i| &unit.facts.fns[i]) {
        for p in &f.params {
            for w in p.ty.split(|c: char| !c.is_alphanumeric() && c != '_') {
                found.extend(backend_of_word(w));
            }
        }
        for c in unit.facts.calls_within(f.body) {
            c.val.walk(&mut |v| {
                if let Val::Path { path, .. } = v {
                    for s in path.iter().take(path.len().saturating_sub(0)) {
                        if s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                            || s == "sqlite"
                            || s == "pg"
                            || s == "postgres"
                            || s == "mysql"
                        {
                            found.extend(backend_of_word(s));
                        }
                    }
                }
            });
        }
    }
    if found.is_empty() {
        let krate = project.crate_of(unit);
        for lib in ["sqlx", "diesel", "diesel_async", "sea_orm", "refinery"] {
            if let Some(features) = krate.features_of(lib) {
                for f in features {
                    found.extend(backend_of_word(f));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Whether every backend the run may use is one its runner lists as `silent-backends` (SQLite:
/// a file per instance, not a shared schema).
fn on_silent_backend(project: &Project, unit: &Unit, run: &Run) -> bool {
    let backends = backends_near(project, unit, run.region);
    !backends.is_empty()
        && (backends.iter()).all(|b| run.runner.silent_backends.iter().any(|s| s == b))
}

/// Whether a `by-backend` runner locks for this run: it may use one of its `lock-backends`, or
/// its backend is unknown.
fn locks_on_backend(project: &Project, unit: &Unit, run: &Run) -> bool {
    let backends = backends_near(project, unit, run.region);
    backends.is_empty()
        || (backends.iter()).any(|b| run.runner.lock_backends.iter().any(|l| l == b))
}

// ---------------------------------------------------------------------------------------------
// Exemptions: single-instance config, dedicated migrate binaries and subcommands.
// ---------------------------------------------------------------------------------------------

fn single_instance(project: &Project, unit: &Unit) -> bool {
    let krate = &project.crate_of(unit).name;
    project
        .config
        .single_instance
        .iter()
        .any(|s| s == krate || unit.bin.as_deref() == Some(s.as_str()))
}

/// A crate that exists for tests: it depends on `testcontainers`, or the workspace crates that use
/// it all do so as a dev-dependency.
fn test_support_crate(project: &Project, unit: &Unit) -> bool {
    let krate = project.crate_of(unit);
    if krate.loose {
        return false;
    }
    if krate.depends_on("testcontainers") {
        return true;
    }
    let lib = krate.name.replace('-', "_");
    // A crate's dev-dependency on itself (`loco-rs = { path = ".", features = ["testing"] }`,
    // to turn on a feature in its own tests) says nothing about who uses it.
    let users: Vec<bool> = project
        .crates
        .iter()
        .filter(|c| c.dir != krate.dir)
        .filter_map(|c| c.deps.get(&lib).map(|d| d.dev_only))
        .collect();
    !users.is_empty() && users.iter().all(|dev| *dev)
}

fn has_migrate_word(project: &Project, text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    project
        .catalog
        .migration_deploy
        .migrate_words
        .iter()
        .any(|w| lower.contains(w.as_str()))
}

/// `src/bin/migrate.rs`, a `[[bin]] name = "migrate"`, or a crate that only migrates.
fn migrate_bin(project: &Project, unit: &Unit) -> bool {
    unit.bin
        .as_deref()
        .is_some_and(|b| has_migrate_word(project, b))
}

/// The site lies in a `match` arm for a migrate subcommand (`Command::Migrate => ..`).
/// Also an arm of the same command enum as a migrate arm (`RunDbCommand::Down(steps)` beside
/// `RunDbCommand::Migrate`): that `match` dispatches database commands an operator runs.
fn in_migrate_arm(project: &Project, unit: &Unit, span: Span) -> bool {
    fn enum_of(pat: &str) -> Option<String> {
        let pat: String = pat.chars().filter(|c| !c.is_whitespace()).collect();
        let head = pat.split(['(', '{', '|']).next()?;
        head.rsplit_once("::")
            .map(|(e, _)| e.to_string())
            .filter(|e| !e.is_empty())
    }
    unit.facts.arms.iter().any(|a| {
        a.body.contains(span)
            && (has_migrate_word(project, &a.pat)
                || enum_of(&a.pat).is_some_and(|e| {
                    unit.facts.arms.iter().any(|o| {
                        enum_of(&o.pat).as_deref() == Some(e.as_str())
                            && has_migrate_word(project, &o.pat)
                    })
                }))
    })
}

// ---------------------------------------------------------------------------------------------
// Guard detection: the shared lock primitives (`locks.rs`, `rules/catalog/locks.toml`), with the
// order that a migration needs: the lock is held when the run starts.
// ---------------------------------------------------------------------------------------------

/// Whether a cross-process lock is taken before `site` in its function and still held there, or
/// the site runs inside a closure passed to a lock-taking function.
fn guarded_by_lock(project: &Project, unit_idx: usize, site: Span, region: RegionId) -> bool {
    if locks::in_lock_helper(project, unit_idx, region) {
        return true;
    }
    let Some(scope) = enclosing_fn_region(&project.units[unit_idx].facts, region) else {
        return false;
    };
    // A helper that migrates under its own lock holds nothing once it returns.
    locks::held_at(project, unit_idx, scope, site, |v| {
        val_runs_migrations(project, unit_idx, v)
    })
}

/// Whether a call may invoke a workspace function that applies migrations.
fn val_runs_migrations(project: &Project, unit_idx: usize, val: &Val) -> bool {
    locks::calls_into(project, unit_idx, val, &runs_reach(project))
}

/// The workspace functions that apply migrations through a library's runner, or call one.
fn runs_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
    // Computed only when the reach set is not cached yet.
    let direct: std::cell::OnceCell<BTreeSet<(usize, usize)>> = std::cell::OnceCell::new();
    project.reach("unlocked-migration:runs", |u, f: &FnFact| {
        let direct = direct.get_or_init(|| {
            let mut set = BTreeSet::new();
            for (i, u) in project.units.iter().enumerate() {
                for run in find_runs(project, u) {
                    if let Some(f) = enclosing_fn_idx(&u.facts, run.region) {
                        set.insert((i, f));
                    }
                }
            }
            set
        });
        let i = project.unit_index(u);
        u.facts
            .fns
            .iter()
            .position(|g| std::ptr::eq(g, f))
            .is_some_and(|idx| direct.contains(&(i, idx)))
    })
}

/// Why a site is not a finding: a lock before it, a dedicated migrate binary or subcommand, or
/// every service caller of its function being protected.
fn protected(
    project: &Project,
    unit_idx: usize,
    site: Span,
    region: RegionId,
    depth: usize,
    visited: &mut BTreeSet<FnRef>,
) -> Option<&'static str> {
    let unit = &project.units[unit_idx];
    if single_instance(project, unit) {
        return Some("single-instance");
    }
    if migrate_bin(project, unit) {
        return Some("migrate binary");
    }
    if in_migrate_arm(project, unit, site) {
        return Some("migrate subcommand");
    }
    if guarded_by_lock(project, unit_idx, site, region) {
        return Some("lock");
    }
    if depth >= 8 {
        return None;
    }
    let fn_idx = enclosing_fn_idx(&unit.facts, region)?;
    let target = FnRef {
        file: unit_idx,
        idx: fn_idx,
    };
    if !visited.insert(target) {
        // A cycle adds nothing.
        return Some("cycle");
    }
    let mut callers = vec![];
    let mut test_callers = 0;
    for c in project.callers_of(target) {
        if project.units[c.unit].is_service_region(c.region) {
            callers.push((c.unit, c.span, c.region));
        } else {
            test_callers += 1;
        }
    }
    if callers.is_empty() {
        // Only tests call it: a test helper. No caller at all: an entry point, or called from outside.
        return (test_callers > 0).then_some("test helper");
    }
    let mut why = None;
    for (i, span, r) in callers {
        match protected(project, i, span, r, depth + 1, visited) {
            Some(w) => why = Some(w),
            None => return None,
        }
    }
    why
}

// ---------------------------------------------------------------------------------------------
// Hand-rolled startup runners: the project's own function that reads the schema version (a
// counter row, a `schema_version` table) and applies the DDL steps that follow it.
// ---------------------------------------------------------------------------------------------

mod hand_rolled {
    use super::*;
    use crate::analysis::matchers::code_strings;

    /// SQL that changes the schema.
    const DDL: &[&str] = &[
        "create table",
        "alter table",
        "create index",
        "create unique index",
        "drop table",
        "drop index",
        "add column",
    ];
    /// sea-query schema builders (`Table::create()`, `Index::create()`), as path suffixes.
    const DDL_BUILDERS: &[[&str; 2]] = &[
        ["Table", "create"],
        ["Table", "alter"],
        ["Table", "drop"],
        ["Index", "create"],
        ["Index", "drop"],
    ];

    fn squash(text: &str) -> String {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    }

    /// The body applies DDL itself: SQL text (literals, constants and statics it names, such as
    /// a `static MIGRATIONS: &[&str]` it loops over, or `include_str!`ed files) or a schema builder.
    fn ddl_in(project: &Project, unit: &Unit, body: RegionId) -> bool {
        code_strings(project, unit, body).into_iter().any(|(t, _)| {
            let t = squash(t);
            DDL.iter().any(|d| t.contains(d))
        }) || unit.facts.calls_within(body).any(|c| {
            let mut hit = false;
            c.val.walk(&mut |v| {
                if let Val::Call { func, .. } = v
                    && let Val::Path { path, .. } = &**func
                {
                    hit |= DDL_BUILDERS.iter().any(|b| ends_with(path, b));
                }
            });
            hit
        })
    }

    /// A table that records the schema's state: `database_versions`, `schema_version`,
    /// `__migrations`, `metadata` (not `releases`, whose `version` is a crate's).
    fn schema_table(name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        ["version", "migration", "schema", "metadata"]
            .iter()
            .any(|w| n.contains(w))
            && !n.starts_with("information_schema")
    }

    /// The body reads a schema version or migration counter: `SELECT migration_counter FROM
    /// database_versions`, or `Query::select().from(Metadata::Table).column(Metadata::Version)`.
    fn version_read_in(project: &Project, unit: &Unit, body: RegionId) -> bool {
        let text = code_strings(project, unit, body).into_iter().any(|(t, _)| {
            let t = squash(t);
            let Some((head, rest)) = t.split_once(" from ") else {
                return false;
            };
            let table = rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .next()
                .unwrap_or("");
            head.contains("select ")
                && (head.contains("version")
                    || head.contains("migration")
                    || head.contains("counter"))
                && schema_table(table)
        });
        text || unit.facts.calls_within(body).any(|c| {
            let (mut select, mut version, mut from) = (false, false, false);
            c.val.walk(&mut |v| match v {
                Val::Call { func, .. } => {
                    if let Val::Path { path, .. } = &**func {
                        select |= ends_with(path, &["Query", "select"]);
                    }
                }
                Val::Method { name, args, .. } if name == "from" => {
                    from |= matches!(args.first(), Some(Val::Path { path, .. })
                        if path.first().is_some_and(|p| schema_table(p)));
                }
                Val::Path { path, .. } => {
                    version |= path
                        .last()
                        .is_some_and(|l| l.to_ascii_lowercase().contains("version"));
                }
                _ => {}
            });
            select && version && from
        })
    }

    fn ddl_reach(project: &Project) -> std::sync::Arc<crate::analysis::call_graph::Reach> {
        project.reach("unlocked-migration:ddl", |u, f| ddl_in(project, u, f.body))
    }

    /// A runner: it reaches DDL, and it reads the version itself or through a function that
    /// only reads (one that applies DDL too is the runner, not a reader).
    pub(super) fn is_runner(project: &Project, f: FnRef) -> bool {
        let ddl = ddl_reach(project);
        if !ddl.contains(f) || runs_reach(project).contains(f) {
            // A wrapper around a library's runner (sqlx's `Migrator::run` after a version check)
            // is judged as that library's run.
            return false;
        }
        let unit = &project.units[f.file];
        let body = project.fn_fact(f).body;
        version_read_in(project, unit, body)
            || project
                .callees_in_region(f.file, body)
                .into_iter()
                .filter(|g| *g != f && !ddl.contains(*g))
                .any(|g| version_read_in(project, &project.units[g.file], project.fn_fact(g).body))
    }

    /// Calls of a runner from service code that is not itself part of a runner.
    pub(super) fn check(project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        let Some(runner) = project
            .catalog
            .migration_runner
            .iter()
            .find(|r| r.library == "hand-rolled")
        else {
            return;
        };
        let unit_idx = project.unit_index(unit);
        let facts = project.facts();
        let mut seen = BTreeSet::new();
        for call in &unit.facts.calls {
            if !unit.is_service_region(call.region) {
                continue;
            }
            let Some(caller) = enclosing_fn_idx(&unit.facts, call.region) else {
                continue;
            };
            let caller = FnRef {
                file: unit_idx,
                idx: caller,
            };
            let Some(target) = project
                .fn_index
                .callees_of_val(&facts, unit_idx, &call.val)
                .into_iter()
                .find(|g| *g != caller && is_runner(project, *g))
            else {
                continue;
            };
            if is_runner(project, caller) || !seen.insert(target) {
                continue;
            }
            // The call itself: the callee's path and its arguments.
            let site = runner_call_span(&call.val, project.fn_fact(target).name.as_str())
                .unwrap_or_else(|| call.val.span());
            if !project.runs_on_replicas(unit, call.region, site) {
                continue;
            }
            let target_fact = project.fn_fact(target);
            let target_unit = &project.units[target.file];
            if locks::reaches_lock(project, target.file, target_fact.body).is_locked() {
                continue;
            }
            let mut visited = BTreeSet::new();
            if protected(project, unit_idx, site, call.region, 0, &mut visited).is_some() {
                continue;
            }
            out.push(diagnostic(
                project,
                unit,
                runner,
                site,
                call.region,
                target_unit,
                target_fact,
            ));
        }
    }

    /// The span of the call of `name` inside a chain (`db::run_migrations(..)` in
    /// `db::run_migrations(..).await.context(..)`).
    fn runner_call_span(val: &Val, name: &str) -> Option<Span> {
        let mut found = None;
        val.walk(&mut |v| {
            if found.is_some() {
                return;
            }
            match v {
                Val::Call { func, span, .. } => {
                    if let Val::Path { path, .. } = &**func
                        && path.last().is_some_and(|l| l == name)
                    {
                        found = Some(*span);
                    }
                }
                Val::Method {
                    name: n,
                    name_span,
                    span,
                    ..
                } if n == name => found = Some(Span::new(name_span.start, span.end)),
                _ => {}
            }
        });
        found
    }

    fn diagnostic(
        project: &Project,
        unit: &Unit,
        runner: &MigrationRunner,
        site: Span,
        region: RegionId,
        target_unit: &Unit,
        target: &FnFact,
    ) -> Diagnostic {
        let name = target.path.join("::");
        let at = place(project, target_unit, target.ident_span);
        let caller = unit
            .facts
            .enclosing_fn(region)
            .map_or("this file".to_string(), |f| {
                format!("`{}` ({})", f.name, place(project, unit, f.ident_span))
            });
        let lib = library(project, target_unit);
        let (lock, unlock, how) = match lib {
            "sea-orm" => (
                format!("db.execute_unprepared(\"SELECT pg_advisory_lock({LOCK_KEY})\").await?;"),
                format!("db.execute_unprepared(\"SELECT pg_advisory_unlock({LOCK_KEY})\").await?;"),
                "on a connection of its own kept for the whole run (`db.get_postgres_connection_pool().acquire()`), or `pg_advisory_xact_lock` in one transaction around the read and every step",
            ),
            "sqlx" => (
                format!(
                    "sqlx::query(\"SELECT pg_advisory_lock({LOCK_KEY})\").execute(&mut *conn).await?;"
                ),
                format!(
                    "sqlx::query(\"SELECT pg_advisory_unlock({LOCK_KEY})\").execute(&mut *conn).await?;"
                ),
                "on one connection kept in a binding for the whole run (`let mut conn = pool.acquire().await?`)",
            ),
            "diesel" => (
                format!(
                    "diesel::sql_query(\"SELECT pg_advisory_lock({LOCK_KEY})\").execute(conn)?;"
                ),
                format!(
                    "diesel::sql_query(\"SELECT pg_advisory_unlock({LOCK_KEY})\").execute(conn)?;"
                ),
                "on the connection the runner uses",
            ),
            _ => (
                format!("client.batch_execute(\"SELECT pg_advisory_lock({LOCK_KEY})\").await?;"),
                format!("client.batch_execute(\"SELECT pg_advisory_unlock({LOCK_KEY})\").await?;"),
                "on the client the runner uses (a session lock: the same connection must unlock)",
            ),
        };
        let snippet = format!(
            "(a) run migrations once per deploy: a `migrate` subcommand that calls `{name}`, run as a Kubernetes Job \
             or Helm pre-upgrade hook, and remove this call from startup; or\n\
             (b) hold an advisory lock in `{name}` ({at}) from before it reads the version until after the last step, \
             {how} (MySQL: `SELECT GET_LOCK('migrations', -1)` / `RELEASE_LOCK`):\n\n    \
             {lock}\n    \
             // read the version, apply the steps after it\n    \
             {unlock}"
        );
        Diagnostic::new(
            META.id,
            unit.id,
            site,
            format!("`{name}` applies the project's own migrations at startup on every instance, with no lock between instances"),
        )
        .label(target_unit.id, target.ident_span, "reads the schema version, then applies the DDL steps after it")
        .note(runner.why.clone())
        .note(format!(
            "during a rolling deploy or a scale-out, {} instances start together, read the same version and \
             race to apply the same step: duplicate-object errors, a step applied twice, crash loops",
            project.config.instances
        ))
        .note(format!(
            "looked for a cross-instance lock in `{name}` and the functions it calls, and taken before the call in \
             {caller} and in every caller on the way to it ({}): none found",
            locks::LOOKED_FOR_HELD
        ))
        .help(
            "run migrations once per deploy instead: a `migrate` subcommand or binary run as a Kubernetes Job, \
             a Helm pre-install/pre-upgrade hook or a pipeline step (not in each replica's entrypoint or init container)",
        )
        .fix(Fix::manual(snippet))
    }

    /// The database library the runner's crate uses, for the snippet.
    fn library(project: &Project, unit: &Unit) -> &'static str {
        let krate = project.crate_of(unit);
        if krate.depends_on("sea_orm") {
            "sea-orm"
        } else if krate.depends_on("sqlx") {
            "sqlx"
        } else if krate.depends_on("diesel") || krate.depends_on("diesel_async") {
            "diesel"
        } else {
            "tokio-postgres"
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deploy files: entrypoints, start commands, compose, Kubernetes.
// ---------------------------------------------------------------------------------------------

mod deploy {
    use super::*;

    /// A line of a deploy file that applies migrations.
    struct Hit {
        span: Span,
        command: String,
        /// Where it runs: "an init container of a Deployment".
        place: String,
    }

    fn tokens(line: &str) -> Vec<String> {
        let mut out = vec![];
        for t in line
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
            .filter(|t| !t.is_empty())
        {
            match t.strip_suffix(';') {
                Some(stem) if !stem.is_empty() => {
                    out.push(stem.to_string());
                    out.push(";".to_string());
                }
                _ => out.push(t.to_string()),
            }
        }
        out
    }

    fn is_separator(t: &str) -> bool {
        matches!(t, "&&" | "||" | ";" | "&" | "|") || t.ends_with(';')
    }

    /// The migrate command on a line, if any: a known CLI (`sqlx migrate run`) or one of the
    /// project's binaries with a `migrate` subcommand. Also says whether more commands follow.
    fn migrate_command(project: &Project, line: &str) -> Option<(String, bool)> {
        let toks = tokens(line);
        let lower: Vec<String> = toks.iter().map(|t| t.to_ascii_lowercase()).collect();
        let clis: Vec<Vec<&str>> = project
            .catalog
            .migration_runner
            .iter()
            .flat_map(|r| r.cli.iter().map(|c| c.split_whitespace().collect()))
            .collect();
        let bins: BTreeSet<String> = project
            .crates
            .iter()
            .flat_map(|c| {
                c.bins
                    .iter()
                    .map(|(n, _)| n.clone())
                    .chain(std::iter::once(c.name.clone()))
            })
            .collect();
        for start in 0..lower.len() {
            let mut end = None;
            // Longest CLI phrase first.
            let mut best: Option<usize> = None;
            for cli in &clis {
                let n = cli.len();
                if start + n <= lower.len()
                    && (0..n).all(|k| {
                        let t = lower[start + k].as_str();
                        t == cli[k] || (k == 0 && t.rsplit('/').next() == Some(cli[0]))
                    })
                {
                    let next = lower.get(start + n);
                    let longer_known = next.is_some_and(|nx| {
                        clis.iter()
                            .any(|c| c.len() == n + 1 && c[..n] == cli[..] && c[n] == nx.as_str())
                    });
                    let plain_word_follows = next.is_some_and(|nx| {
                        !nx.starts_with('-') && !is_separator(nx) && !nx.starts_with('$')
                    });
                    // `sea-orm-cli migrate status` is not a run; `sqlx migrate run --source x` is.
                    let accepts = !plain_word_follows || longer_known || n >= 3;
                    if accepts && best.is_none_or(|b| n > b) {
                        best = Some(n);
                    }
                }
            }
            if let Some(n) = best {
                end = Some(start + n);
            }
            // `myservice migrate` / `/usr/local/bin/myservice migrate`.
            if end.is_none()
                && start + 1 < lower.len()
                && lower[start + 1] == "migrate"
                && bins.contains(lower[start].rsplit('/').next().unwrap_or(""))
            {
                end = Some(start + 2);
            }
            if let Some(e) = end {
                let stop = (e..lower.len())
                    .find(|&k| is_separator(&lower[k]))
                    .unwrap_or(lower.len());
                let command = toks[start..stop].join(" ");
                let command = command.trim_end_matches(';').to_string();
                let more = stop < lower.len();
                return Some((command, more));
            }
        }
        None
    }

    fn line_spans(text: &str) -> Vec<(usize, &str)> {
        let mut out = vec![];
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            out.push((at, line.trim_end_matches(['\n', '\r'])));
            at += line.len();
        }
        out
    }

    fn trimmed_span(start: usize, line: &str) -> Span {
        let lead = line.len() - line.trim_start().len();
        Span::new(start + lead, start + line.trim_end().len())
    }

    /// Scripts named by a start command anywhere in the project's deploy files.
    fn referenced_scripts(project: &Project) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in &project.extras {
            if !matches!(e.kind, ExtraKind::Dockerfile | ExtraKind::Yaml) {
                continue;
            }
            for t in tokens(&e.text) {
                if t.ends_with(".sh") {
                    out.insert(t.rsplit('/').next().unwrap_or(&t).to_string());
                }
            }
        }
        out
    }

    pub(super) fn check(project: &Project, out: &mut Vec<Diagnostic>) {
        let scripts = referenced_scripts(project);
        for extra in project
            .extras
            .iter()
            .filter(|e| e.reported && project.ships(e))
        {
            let hits = match extra.kind {
                ExtraKind::Dockerfile => dockerfile(project, &extra.text),
                ExtraKind::Shell => {
                    let name = extra
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    let entry = project
                        .catalog
                        .migration_deploy
                        .entrypoint_scripts
                        .contains(&name);
                    if entry || scripts.contains(&name) {
                        shell(project, &extra.text)
                    } else {
                        vec![]
                    }
                }
                ExtraKind::Yaml => yaml(project, &extra.text),
                _ => vec![],
            };
            for hit in hits {
                out.push(deploy_diagnostic(project, extra, hit));
            }
        }
    }

    fn deploy_diagnostic(project: &Project, extra: &Extra, hit: Hit) -> Diagnostic {
        let lower = hit.command.to_ascii_lowercase();
        let runner = project
            .catalog
            .migration_runner
            .iter()
            .find(|r| r.cli.iter().any(|c| lower.starts_with(c.as_str())));
        let lock_note = match runner {
            Some(r) => r.cli_note.clone().unwrap_or_else(|| r.why.clone()),
            None => format!(
                "`{}` is the service's own migrate subcommand: unless it takes a lock itself, every replica \
                 applies the same pending migrations",
                hit.command
            ),
        };
        Diagnostic::new(
            META.id,
            extra.id,
            hit.span,
            format!(
                "`{}` in {} runs in every replica: they race to apply the same migrations",
                hit.command, hit.place
            ),
        )
        .note(lock_note)
        .note(format!(
            "with {} instances, a rolling deploy or scale-out starts several at once; an init container also runs once per pod",
            project.config.instances
        ))
        .help("run migrations once per deploy, before the new replicas start")
        .fix(Fix::manual(
            format!(
                "move `{}` out of the replica's start command into a one-off step:\n\n    \
                 # Kubernetes: a Job (or a Helm hook) run once per release\n    \
                 apiVersion: batch/v1\n    kind: Job\n    metadata:\n      name: migrate\n      \
                 annotations:\n        \"helm.sh/hook\": pre-install,pre-upgrade\n    \
                 spec:\n      template:\n        spec:\n          restartPolicy: Never\n          \
                 containers:\n            - name: migrate\n              image: <your image>\n              \
                 command: [\"sh\", \"-c\", \"{}\"]\n\n\
                 and start only the server in the replica (`CMD [\"<your binary>\"]`); with docker compose, a one-shot \
                 `migrate` service the app `depends_on` with `condition: service_completed_successfully`",
                hit.command, hit.command
            ),
        ))
    }

    /// `CMD`/`ENTRYPOINT` of the final stage (a `RUN` happens at build time, not at start).
    fn dockerfile(project: &Project, text: &str) -> Vec<Hit> {
        let lines = line_spans(text);
        let mut hits: Vec<Hit> = vec![];
        let mut i = 0;
        while i < lines.len() {
            let (_, line) = lines[i];
            let trimmed = line.trim_start();
            let word = trimmed
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            // The instruction with its continuation lines.
            let mut j = i;
            while j + 1 < lines.len() && lines[j].1.trim_end().ends_with('\\') {
                j += 1;
            }
            if word == "FROM" {
                hits.clear();
            } else if word == "CMD" || word == "ENTRYPOINT" {
                let whole: String = lines[i..=j]
                    .iter()
                    .map(|(_, l)| l.trim_end().trim_end_matches('\\'))
                    .collect::<Vec<_>>()
                    .join(" ");
                if let Some((command, more)) = migrate_command(project, &whole)
                    && more
                {
                    let at = lines[i..=j]
                        .iter()
                        .find(|(_, l)| migrate_command(project, l).is_some())
                        .copied()
                        .unwrap_or(lines[i]);
                    hits.push(Hit {
                        span: trimmed_span(at.0, at.1),
                        command,
                        place: format!("the image's `{word}`"),
                    });
                }
            }
            i = j + 1;
        }
        hits
    }

    fn is_command_line(line: &str) -> bool {
        let t = line.trim();
        !(t.is_empty()
            || t.starts_with('#')
            || matches!(t, "fi" | "done" | "esac" | "}" | "then" | "else" | "do")
            || t.starts_with("set ")
            || t.starts_with("echo "))
    }

    /// An entrypoint script: a migrate command followed by more (the server).
    fn shell(project: &Project, text: &str) -> Vec<Hit> {
        let lines = line_spans(text);
        let mut hits = vec![];
        for (k, (start, line)) in lines.iter().enumerate() {
            let code = strip_comment(line);
            if let Some((command, more)) = migrate_command(project, code) {
                let later = lines[k + 1..].iter().any(|(_, l)| is_command_line(l));
                if more || later {
                    hits.push(Hit {
                        span: trimmed_span(*start, code),
                        command,
                        place: "the container's entrypoint script".into(),
                    });
                }
            }
        }
        hits
    }

    /// Compose services and Kubernetes workloads, line by line, one document at a time.
    fn yaml(project: &Project, text: &str) -> Vec<Hit> {
        let deploy = &project.catalog.migration_deploy;
        let lines = line_spans(text);
        let mut hits = vec![];
        let mut docs: Vec<Vec<(usize, &str)>> = vec![vec![]];
        for l in lines {
            if l.1.trim_end() == "---" {
                docs.push(vec![]);
            } else {
                docs.last_mut().unwrap().push(l);
            }
        }
        for doc in docs {
            let kind = doc.iter().find_map(|(_, l)| {
                l.strip_prefix("kind:")
                    .map(|k| k.trim().trim_matches('"').to_string())
            });
            let hook = doc.iter().any(|(_, l)| {
                let t = l.trim_start().trim_start_matches('"');
                deploy
                    .hook_annotations
                    .iter()
                    .any(|h| t.starts_with(h.as_str()))
            });
            let compose = doc.iter().any(|(_, l)| l.trim_end() == "services:");
            match kind {
                Some(k) if !hook && deploy.replica_kinds.contains(&k) => {
                    let mut init = false;
                    for (start, line) in &doc {
                        let code = strip_comment(line);
                        let t = code.trim();
                        if t.starts_with("initContainers:") {
                            init = true;
                        } else if t.starts_with("containers:") {
                            init = false;
                        }
                        let place = if init {
                            format!("an init container of a {k}")
                        } else {
                            format!("a container of a {k}")
                        };
                        if let Some((command, _)) = migrate_command(project, code) {
                            hits.push(Hit {
                                span: trimmed_span(*start, code),
                                command,
                                place,
                            });
                        } else if let Some(command) = split_subcommand(project, &doc, *start) {
                            hits.push(Hit {
                                span: trimmed_span(*start, code),
                                command,
                                place,
                            });
                        }
                    }
                }
                None if compose => hits.extend(compose_services(project, &doc)),
                _ => {}
            }
        }
        hits
    }

    fn strip_comment(line: &str) -> &str {
        if line.trim_start().starts_with('#') {
            return "";
        }
        line.split(" #").next().unwrap_or(line)
    }

    /// `- migrate` (or `args: ["migrate"]`) at `at`, after a line naming one of the project's
    /// binaries in the same container: `command: ["/app/orders-api"]` then `args: ["migrate"]`.
    fn split_subcommand(project: &Project, doc: &[(usize, &str)], at: usize) -> Option<String> {
        let bins: BTreeSet<String> = project
            .crates
            .iter()
            .flat_map(|c| c.bins.iter().map(|(n, _)| n.clone()))
            .collect();
        let mut bin_seen: Option<String> = None;
        for (start, line) in doc {
            let t = strip_comment(line).trim();
            if t.starts_with("- name:") || t.starts_with("name:") {
                bin_seen = None;
            }
            let toks = tokens(t.trim_start_matches('-'));
            let item = t.trim_start_matches('-').trim().trim_matches(['"', '\'']);
            let args_item = t.starts_with("args:") && toks.get(1).is_some_and(|a| a == "migrate");
            if *start == at {
                return bin_seen
                    .filter(|_| item == "migrate" || args_item)
                    .map(|b| format!("{b} migrate"));
            }
            for tok in &toks {
                if let Some(b) = bins.get(tok.rsplit('/').next().unwrap_or("")) {
                    bin_seen = Some(b.clone());
                }
            }
        }
        None
    }

    /// docker compose: `command:` of a service (one not named for migrating) that migrates first.
    fn compose_services(project: &Project, doc: &[(usize, &str)]) -> Vec<Hit> {
        let mut hits = vec![];
        let mut service: Option<String> = None;
        let mut in_services = false;
        for (start, line) in doc {
            let indent = line.len() - line.trim_start().len();
            let t = line.trim();
            if indent == 0 {
                in_services = t == "services:";
                service = None;
                continue;
            }
            if in_services && indent == 2 && t.ends_with(':') && !t.starts_with('-') {
                service = Some(t.trim_end_matches(':').to_string());
                continue;
            }
            let Some(svc) = &service else { continue };
            if has_migrate_word(project, svc) {
                continue;
            }
            let code = strip_comment(line);
            if let Some((command, more)) = migrate_command(project, code)
                && (more || t.starts_with("command:") || t.starts_with("entrypoint:"))
            {
                hits.push(Hit {
                    span: trimmed_span(*start, code),
                    command,
                    place: format!("the `{svc}` compose service's command"),
                });
            }
        }
        hits
    }
}
