use crate::settings::Database;
use sqlx::postgres::{PgPool, PgPoolOptions};

pub async fn connect(cfg: &Database) -> sqlx::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .connect(&cfg.url)
        .await?;
    // sqlx's migrator takes a Postgres advisory lock, so this is safe on every instance.
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// A second pool for reports, sized for one instance.
pub async fn connect_reports(url: &str) -> sqlx::Result<PgPool> {
    PgPoolOptions::new().max_connections(40).connect(url).await //~ oversized-pool
}
