// The same jobs, each guarded by a cross-process lock.
use sqlx::postgres::{PgAdvisoryLock, PgPool};
use sqlx::Either;
use tokio_cron_scheduler::{Job, JobScheduler};

pub async fn start_guarded(pool: PgPool) -> anyhow::Result<()> {
    let sched = JobScheduler::new().await?;

    // Directly: a transaction-scoped advisory lock in the job's SQL.
    let p = pool.clone();
    sched
        .add(Job::new_async("0 */5 * * * *", move |_id, _l| {
            let p = p.clone();
            Box::pin(async move {
                let mut tx = p.begin().await.unwrap();
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(42)")
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
                if locked {
                    let _ = sqlx::query("DELETE FROM sessions WHERE expires_at < now()").execute(&mut *tx).await;
                }
                let _ = tx.commit().await;
            })
        })?)
        .await?;

    // Through sqlx's PgAdvisoryLock.
    let p = pool.clone();
    sched
        .add(Job::new_async("0 0 * * * *", move |_id, _l| {
            let p = p.clone();
            Box::pin(async move {
                let lock = PgAdvisoryLock::new("jobs:invoices");
                if let Ok(Either::Left(guard)) = lock.try_acquire(p.acquire().await.unwrap()).await {
                    let _ = guard.release_now().await;
                }
            })
        })?)
        .await?;

    // Through a helper in another module.
    let p = pool.clone();
    sched
        .add(Job::new_async("0 0 4 * * *", move |_id, _l| {
            let p = p.clone();
            Box::pin(async move {
                leader::run_exclusive(&p, 7, purge_old_rows).await;
            })
        })?)
        .await?;

    sched.start().await?;
    Ok(())
}

async fn purge_old_rows() {}

mod leader {
    use sqlx::PgPool;

    pub async fn run_exclusive<F, Fut>(pool: &PgPool, key: i64, job: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut conn = pool.acquire().await.unwrap();
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        if got {
            job().await;
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut *conn).await;
        }
    }
}
