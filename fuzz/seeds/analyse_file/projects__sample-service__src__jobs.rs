use sqlx::PgPool;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

/// Every morning, remind customers of unpaid orders.
pub async fn start(pool: PgPool) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    scheduler
        .add(Job::new_async("0 0 8 * * *", move |_id, _lock| { //~ unlocked-scheduler
            let pool = pool.clone();
            Box::pin(async move {
                send_payment_reminders(&pool).await;
            })
        })?)
        .await?;
    scheduler.start().await?;
    Ok(scheduler)
}

async fn send_payment_reminders(pool: &PgPool) {
    let overdue: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM orders WHERE paid = false")
        .fetch_all(pool)
        .await
        .unwrap_or_default();
    for (id, email) in overdue {
        tracing::info!("sending reminder for order {id} to {email}");
        let _ = sqlx::query("INSERT INTO reminders (order_id) VALUES ($1)").bind(id).execute(pool).await;
    }
}
