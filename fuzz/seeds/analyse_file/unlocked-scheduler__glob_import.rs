// A glob import of the scheduler crate.
use tokio_cron_scheduler::*;

pub async fn start_glob() -> Result<(), JobSchedulerError> {
    let sched = JobScheduler::new().await?;
    sched.add(Job::new_async("0 0 * * * *", |_, _| Box::pin(async { send_digest().await }))?).await?; //~ unlocked-scheduler
    sched.start().await
}

async fn send_digest() {}
