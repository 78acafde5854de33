use sqlx::postgres::PgPoolOptions;

const MAX_CONNS: u32 = 40;

pub async fn connect(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new()
        .max_connections(50) //~ oversized-pool
        .connect(url)
        .await
}

pub async fn connect_const(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(MAX_CONNS).connect(url).await //~ oversized-pool
}

pub async fn connect_env(url: &str) -> sqlx::Result<sqlx::PgPool> {
    let size: u32 = std::env::var("DATABASE_MAX_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    PgPoolOptions::new().max_connections(size).connect(url).await //~ oversized-pool
}

pub async fn connect_in_budget(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(20).connect(url).await
}

pub async fn connect_default(url: &str) -> sqlx::Result<sqlx::PgPool> {
    sqlx::PgPool::connect(url).await
}
