use crate::{coord, leader};
use sqlx::PgPool;
use tokio_cron_scheduler::{Job, JobScheduler};

pub async fn start(pool: PgPool, etcd: etcd_client::Client) -> JobScheduler {
    let sched = JobScheduler::new().await.unwrap();

    // Guarded: `leader::run_exclusive` takes a Postgres advisory lock (in another module).
    let p = pool.clone();
    sched
        .add(
            Job::new_async("0 */10 * * * *", move |_, _| {
                let p = p.clone();
                Box::pin(async move {
                    leader::run_exclusive(&p, 1001, || purge_expired(p.clone())).await;
                })
            })
            .unwrap(),
        )
        .await
        .unwrap();

    // Guarded two calls down: `leader::nightly` → `leader::try_lock`.
    let p = pool.clone();
    sched
        .add(Job::new_async("0 0 2 * * *", move |_, _| Box::pin(leader::nightly(p.clone()))).unwrap())
        .await
        .unwrap();

    // Guarded by a function the user named in `lock-functions`.
    let e = etcd.clone();
    let p = pool.clone();
    sched
        .add(
            Job::new_async("0 0 * * * *", move |_, _| {
                let e = e.clone();
                let p = p.clone();
                Box::pin(async move {
                    coord::with_lease(e, "jobs:rollup", rollup(p)).await;
                })
            })
            .unwrap(),
        )
        .await
        .unwrap();

    // Not guarded.
    let p = pool.clone();
    sched
        .add(
            Job::new_async("0 30 * * * *", move |_, _| { //~ unlocked-scheduler
                let p = p.clone();
                Box::pin(async move { rollup(p).await })
            })
            .unwrap(),
        )
        .await
        .unwrap();

    sched.start().await.unwrap();
    sched
}

async fn purge_expired(pool: PgPool) {
    let _ = sqlx::query("DELETE FROM sessions WHERE expires_at < now()").execute(&pool).await;
}

async fn rollup(pool: PgPool) {
    let _ = sqlx::query("INSERT INTO hourly SELECT date_trunc('hour', now()), count(*) FROM events").execute(&pool).await;
}
