// apalis-cron with a handler that takes a Postgres advisory lock before it works.
use apalis::prelude::*;
use apalis_cron::{CronStream, Schedule};
use std::str::FromStr;

#[derive(Default, Debug, Clone)]
struct Rollup;

async fn nightly_rollup(_job: Rollup, pool: Data<sqlx::PgPool>) {
    let mut tx = pool.begin().await.unwrap();
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(99)").fetch_one(&mut *tx).await.unwrap();
    if locked {
        let _ = sqlx::query("INSERT INTO rollups SELECT now()").execute(&mut *tx).await;
    }
    tx.commit().await.unwrap();
}

pub async fn run_locked(pool: sqlx::PgPool) {
    let schedule = Schedule::from_str("0 0 2 * * *").unwrap();
    let worker = WorkerBuilder::new("rollup")
        .data(pool)
        .backend(CronStream::new(schedule))
        .build_fn(nightly_rollup);
    Monitor::new().register(worker).run().await.unwrap();
}
