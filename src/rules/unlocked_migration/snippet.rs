//! The fix's snippet: both ways out (a lock held around the run, or a migrate step before the
//! rollout), for the library in use.

use super::*;

/// The fix: both ways out, for the library in use.
pub(super) fn snippet(project: &Project, unit: &Unit, run: &Run) -> String {
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
