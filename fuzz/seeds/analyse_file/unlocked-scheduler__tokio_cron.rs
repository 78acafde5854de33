// tokio-cron-scheduler jobs with no cross-process lock: every instance fires them.
use sqlx::PgPool;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_cron_scheduler::Job as CronJob;

pub async fn start(pool: PgPool) -> anyhow::Result<()> {
    let sched = JobScheduler::new().await?;

    let p = pool.clone();
    sched
        .add(Job::new_async("0 */5 * * * *", move |_id, _l| { //~ unlocked-scheduler
            let p = p.clone();
            Box::pin(async move {
                let _ = sqlx::query("DELETE FROM sessions WHERE expires_at < now()").execute(&p).await;
            })
        })?)
        .await?;

    // A renamed import is the same crate.
    sched.add(CronJob::new("0 0 3 * * *", |_id, _l| nightly_report())?).await?; //~ unlocked-scheduler

    // A synchronous job passed by name.
    sched.add(Job::new_repeated(std::time::Duration::from_secs(60), |_, _| tick_counter())?).await?; //~ unlocked-scheduler

    sched.start().await?;
    Ok(())
}

fn nightly_report() {
    println!("report");
}

fn tick_counter() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn schedules() {
        let sched = JobScheduler::new().await.unwrap();
        sched.add(Job::new("* * * * * *", |_, _| {}).unwrap()).await.unwrap();
    }
}
