//! Hand-rolled startup runners: the project's own function that reads the schema version (a
//! counter row, a `schema_version` table) and applies the DDL steps that follow it.

use super::*;
use crate::analysis::matchers::code_strings;

/// The catalogue's entries for runners of the project's own (no library).
fn runners(project: &Project) -> impl Iterator<Item = &MigrationRunner> {
    project
        .catalog
        .migration_runner
        .iter()
        .filter(|r| r.crates.is_empty())
}

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
        runners(project).any(|r| r.ddl.iter().any(|d| t.contains(&squash(d))))
    }) || unit.facts.calls_within(body).any(|c| {
        let mut hit = false;
        c.val.walk(&mut |v| {
            if let Val::Call { func, .. } = v
                && let Val::Path { path, .. } = &**func
            {
                hit |= runners(project)
                    .flat_map(|r| &r.ddl_builders)
                    .any(|b| ends_with(path, &segments(b)));
            }
        });
        hit
    })
}

/// A table that records the schema's state: `database_versions`, `schema_version`,
/// `__migrations`, `metadata` (not `releases`, whose `version` is a crate's).
fn schema_table(project: &Project, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    runners(project).any(|r| {
        r.version_tables.iter().any(|w| n.contains(w.as_str()))
            && !r
                .not_version_tables
                .iter()
                .any(|p| n.starts_with(p.as_str()))
    })
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
            && (head.contains("version") || head.contains("migration") || head.contains("counter"))
            && schema_table(project, table)
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
                    if path.first().is_some_and(|p| schema_table(project, p)));
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
    let at = project.place(target_unit, target.ident_span);
    let caller = unit
        .facts
        .enclosing_fn(region)
        .map_or("this file".to_string(), |f| {
            format!("`{}` ({})", f.name, project.place(unit, f.ident_span))
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
            format!("diesel::sql_query(\"SELECT pg_advisory_lock({LOCK_KEY})\").execute(conn)?;"),
            format!("diesel::sql_query(\"SELECT pg_advisory_unlock({LOCK_KEY})\").execute(conn)?;"),
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
