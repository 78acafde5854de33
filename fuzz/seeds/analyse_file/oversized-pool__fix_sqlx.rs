// `--fix` sets each pool to the per-instance budget, (100 − 10) ÷ 4 = 22, where its size is
// written: the call's argument, a `const` two pools share (one edit fixes both findings), a
// suffixed literal, a string default of an environment variable. `fix_sqlx.fixed.rs` is the
// expected result.
use sqlx::postgres::PgPoolOptions;

const POOL_SIZE: u32 = 64;

pub async fn primary(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(POOL_SIZE).connect(url).await //~ oversized-pool
}

pub async fn replica(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new()
        .max_connections(POOL_SIZE) //~ oversized-pool
        .connect(url)
        .await
}

pub async fn reports(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(50_u32).connect(url).await //~ oversized-pool
}

pub async fn from_env(url: &str) -> sqlx::Result<sqlx::PgPool> {
    let size: u32 = std::env::var("DB_POOL")
        .unwrap_or_else(|_| "40".to_string())
        .parse()
        .unwrap();
    PgPoolOptions::new().max_connections(size).connect(url).await //~ oversized-pool
}

/// Within the budget: left as it is.
pub async fn small(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(8).connect(url).await
}
