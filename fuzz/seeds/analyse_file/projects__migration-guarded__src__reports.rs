use diesel::PgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const REPORT_MIGRATIONS: EmbeddedMigrations = embed_migrations!("report-migrations");

/// Called from `main` after the lock was released: every instance runs this unguarded.
pub fn setup(conn: &mut PgConnection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.run_pending_migrations(REPORT_MIGRATIONS)?; //~ unlocked-migration
    Ok(())
}
