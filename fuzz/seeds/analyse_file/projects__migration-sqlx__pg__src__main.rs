mod cockroach;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    // Postgres: sqlx takes pg_advisory_lock around the run.
    sqlx::migrate!("./migrations").run(&pool).await?;
    cockroach::migrate(&pool).await?;
    let app = axum::Router::new();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
