use tokio_cron_scheduler::{Job, JobScheduler};

/// Started only by the worker binary, which runs as one replica (`single-instance`).
pub async fn start_worker_jobs(pool: sqlx::PgPool) {
    let sched = JobScheduler::new().await.unwrap();
    sched
        .add(
            Job::new_async("0 0 6 * * *", move |_, _| {
                let p = pool.clone();
                Box::pin(async move {
                    let _ = sqlx::query("UPDATE invoices SET state = 'due' WHERE due_at < now()").execute(&p).await;
                })
            })
            .unwrap(),
        )
        .await
        .unwrap();
    sched.start().await.unwrap();
}
