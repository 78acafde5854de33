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
   