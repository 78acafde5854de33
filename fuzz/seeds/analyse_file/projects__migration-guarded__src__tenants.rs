use diesel::PgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const TENANT_MIGRATIONS: EmbeddedMigrations = embed_migrations!("tenant-migrations");

/// `leader::hold` is named in `lock-functions`.
pub fn migrate_tenants(conn: &mut PgConnection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _lease = leader::hold("tenant-migrations")?;
    conn.run_pending_migrations(TENANT_MIGRATIONS)?;
    Ok(())
}

use crate::leader;
