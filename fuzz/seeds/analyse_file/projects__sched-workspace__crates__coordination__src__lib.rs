//! Cross-instance coordination for the workspace's jobs.
use std::future::Future;

/// Runs `job` only where the advisory lock `key` is won.
pub async fn exclusive<Fut: Future<Output = ()>>(pool: &deadpool_postgres::Pool, key: i64, job: Fut) {
    let client = pool.get().await.unwrap();
    let row = client.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).await.unwrap();
    if row.get::<_, bool>(0) {
        job.await;
        let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&key]).await;
    }
}
