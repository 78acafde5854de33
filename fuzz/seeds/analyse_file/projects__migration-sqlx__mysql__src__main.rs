use sqlx::mysql::MySqlPool;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = MySqlPool::connect(&std::env::var("DATABASE_URL")?).await?;
    // MySQL: sqlx takes GET_LOCK around the run.
    MIGRATOR.run(&pool).await?;
    Ok(())
}
