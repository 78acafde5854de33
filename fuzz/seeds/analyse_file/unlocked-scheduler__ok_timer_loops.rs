// Timer loops that only refresh per-instance state, and one that takes a lock: all silent.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub fn start_refreshers(pool: sqlx::PgPool, cache: Arc<RwLock<HashMap<i64, String>>>) {
    // Reads into an in-memory cache.
    let p = pool.clone();
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(30));
        loop {
            iv.tick().await;
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM feature_flags")
                .fetch_all(&p)
                .await
                .unwrap_or_default();
            let mut map = cache.write().unwrap();
            map.clear();
            for (id, name) in rows {
                map.insert(id, name);
            }
        }
    });

    // Metrics and keep-alive.
    tokio::spawn(async move {
        loop {
            metrics::gauge!("pool_size").set(1.0);
            tracing::info!("update hot ranks: still alive");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });

    // A cleanup loop under a transaction-scoped advisory lock.
    let p = pool.clone();
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(3600));
        loop {
            iv.tick().await;
            let mut tx = p.begin().await.unwrap();
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(5)").fetch_one(&mut *tx).await.unwrap();
            if got {
                let _ = sqlx::query("DELETE FROM sessions WHERE expires_at < now()").execute(&mut *tx).await;
            }
            let _ = tx.commit().await;
        }
    });

    // A one-off spawned write with no timer is not a job.
    let p = pool.clone();
    tokio::spawn(async move {
        let _ = sqlx::query("INSERT INTO boots (at) VALUES (now())").execute(&p).await;
    });
}

// A retry loop with backoff is not a periodic job.
pub fn deliver(pool: sqlx::PgPool, activity: String) {
    tokio::spawn(async move {
        let mut attempts = 0u32;
        while let Err(_e) = post_activity(&activity).await {
            attempts += 1;
            tokio::time::sleep(Duration::from_secs(2u64.pow(attempts.min(6)))).await;
        }
        let _ = sqlx::query("UPDATE activities SET delivered = true WHERE id = $1").bind(&activity).execute(&pool).await;
    });
}

async fn post_activity(_a: &str) -> Result<(), ()> {
    Ok(())
}
