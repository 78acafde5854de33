// A tokio Mutex keeps two runs apart inside one process only: every instance still runs the job.
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

pub async fn start_mutexed(pool: sqlx::PgPool) -> anyhow::Result<()> {
    let sched = JobScheduler::new().await?;
    let running = Arc::new(Mutex::new(()));
    sched
        .add(Job::new_async("0 * * * * *", move |_, _| { //~ unlocked-scheduler
            let running = running.clone();
            let pool = pool.clone();
            Box::pin(async move {
                let _guard = running.lock().await;
                let _ = sqlx::query("UPDATE invoices SET sent = true WHERE due < now()").execute(&pool).await;
            })
        })?)
        .await?;
    sched.start().await?;
    Ok(())
}
