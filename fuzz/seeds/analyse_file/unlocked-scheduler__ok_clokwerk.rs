// clokwerk jobs guarded by MySQL GET_LOCK and by a FOR UPDATE SKIP LOCKED claim.
use clokwerk::{AsyncScheduler, TimeUnits};

pub async fn setup_locked(pool: sqlx::MySqlPool) {
    let mut scheduler = AsyncScheduler::new();
    let p = pool.clone();
    scheduler.every(1.hour()).run(move || {
        let p = p.clone();
        async move {
            let mut conn = p.acquire().await.unwrap();
            let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK('jobs:digest', 0)")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            if got == Some(1) {
                let _ = sqlx::query("DELETE FROM digests WHERE sent = 1").execute(&mut *conn).await;
                let _ = sqlx::query("SELECT RELEASE_LOCK('jobs:digest')").execute(&mut *conn).await;
            }
        }
    });
    let p = pool.clone();
    scheduler.every(1.minute()).run(move || {
        let p = p.clone();
        async move {
            let _ = sqlx::query("SELECT id FROM outbox ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED")
                .fetch_all(&p)
                .await;
        }
    });
}

// A job whose only write is the claimed statement.
pub async fn setup_claim_only(pool: sqlx::PgPool) {
    let mut scheduler = AsyncScheduler::new();
    let p = pool.clone();
    scheduler.every(5.minutes()).run(move || {
        let p = p.clone();
        async move { claim_and_send(&p).await }
    });
}

async fn claim_and_send(pool: &sqlx::PgPool) {
    let _ = sqlx::query(
        "WITH next AS (SELECT id FROM outbox WHERE sent = false LIMIT 10 FOR UPDATE SKIP LOCKED) UPDATE outbox o SET sent = true FROM next WHERE o.id = next.id",
    )
    .execute(pool)
    .await;
}
