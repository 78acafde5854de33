// The safe way to write the same pools: sizes within (100 − 10) ÷ 4 = 22.
use sqlx::postgres::PgPoolOptions;

const MAX_CONNS: u32 = 20;

pub async fn connect(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(MAX_CONNS).connect(url).await
}

pub async fn connect_env(url: &str) -> sqlx::Result<sqlx::PgPool> {
    let size: u32 = std::env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    PgPoolOptions::new().max_connections(size).connect(url).await
}

/// The library default (10) is within budget.
pub async fn connect_default(url: &str) -> sqlx::Result<sqlx::PgPool> {
    sqlx::PgPool::connect(url).await
}

/// A size only known at run time is not judged.
pub async fn connect_runtime(url: &str, size: u32) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(size).connect(url).await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn big_pool_in_tests_is_fine() {
        let _ = sqlx::postgres::PgPoolOptions::new().max_connections(200);
    }
}
