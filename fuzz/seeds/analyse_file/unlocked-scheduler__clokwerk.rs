// clokwerk, async and sync, driven by a run_pending loop (part of the same finding, not another).
use clokwerk::{AsyncScheduler, Scheduler, TimeUnits};
use std::time::Duration;

pub async fn setup(pool: sqlx::PgPool) {
    let mut scheduler = AsyncScheduler::new();
    let p = pool.clone();
    scheduler.every(10.minutes()).run(move || { //~ unlocked-scheduler
        let p = p.clone();
        async move {
            let _ = sqlx::query("UPDATE posts SET hot_rank = 0 WHERE published < now() - interval '7 days'")
                .execute(&p)
                .await;
        }
    });
    tokio::spawn(async move {
        loop {
            scheduler.run_pending().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
}

pub fn setup_sync() {
    let mut s = Scheduler::new();
    s.every(1.day()).at("3:20 am").run(|| cleanup_uploads()); //~ unlocked-scheduler
    let _handle = s.watch_thread(Duration::from_millis(100));
}

fn cleanup_uploads() {}

// A row claim guards its own statement, not the job's other writes.
pub async fn setup_claims(pool: sqlx::PgPool) {
    let mut scheduler = AsyncScheduler::new();
    let p = pool.clone();
    scheduler.every(5.minutes()).run(move || { //~ unlocked-scheduler
        let p = p.clone();
        async move {
            refresh_ranks(&p).await;
            publish_due_posts(&p).await;
        }
    });
}

async fn refresh_ranks(pool: &sqlx::PgPool) {
    let _ = sqlx::query(
        "WITH batch AS (SELECT id FROM posts LIMIT 100 FOR UPDATE SKIP LOCKED) UPDATE posts p SET rank = 0 FROM batch WHERE p.id = batch.id",
    )
    .execute(pool)
    .await;
}

async fn publish_due_posts(pool: &sqlx::PgPool) {
    let _ = sqlx::query("UPDATE posts SET published = true WHERE publish_at <= now()").execute(pool).await;
}
