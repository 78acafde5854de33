//! Run once per deploy (a Kubernetes Job): the recommended shape.
use diesel::{Connection, PgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = PgConnection::establish(&std::env::var("DATABASE_URL")?)?;
    conn.run_pending_migrations(MIGRATIONS)?;
    Ok(())
}
