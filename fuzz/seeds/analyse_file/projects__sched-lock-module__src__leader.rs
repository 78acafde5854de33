use sqlx::PgPool;
use std::future::Future;

/// Runs `job` only in the instance that wins the advisory lock `key`.
pub async fn run_exclusive<F, Fut>(pool: &PgPool, key: i64, job: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut conn = pool.acquire().await.unwrap();
    if try_lock(&mut conn, key).await {
        job().await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut *conn).await;
    }
}

pub async fn nightly(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    if try_lock(&mut conn, 2002).await {
        let _ = sqlx::query("DELETE FROM audit_log WHERE at < now() - interval '90 days'").execute(&mut *conn).await;
    }
}

async fn try_lock(conn: &mut sqlx::PgConnection, key: i64) -> bool {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(conn)
        .await
        .unwrap_or(false)
}
