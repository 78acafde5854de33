// diesel-async's harness wraps diesel_migrations: no lock either.
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

pub async fn migrate(conn: AsyncPgConnection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut harness = AsyncMigrationHarness::new(conn);
    harness.run_pending_migrations(MIGRATIONS)?; //~ unlocked-migration
    Ok(())
}
