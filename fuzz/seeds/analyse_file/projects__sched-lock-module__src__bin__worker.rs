use tokio_cron_scheduler::{Job, JobScheduler};

#[tokio::main]
async fn main() {
    let pool = sqlx::PgPool::connect("postgres://localhost/app").await.unwrap();
    sched_lock_module::worker_jobs::start_worker_jobs(pool.clone()).await;
    // A job in the single-instance binary itself.
    let sched = JobScheduler::new().await.unwrap();
    sched
        .add(Job::new("0 0 0 * * *", |_, _| println!("midnight")).unwrap())
        .await
        .unwrap();
    sched.start().await.unwrap();
}
