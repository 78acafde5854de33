// The same run, holding a Postgres advisory lock on the connection for its whole length.
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub fn run_migrations(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query("SELECT pg_advisory_lock(72707369)").execute(&mut conn)?;
    let applied = conn.run_pending_migrations(MIGRATIONS).map(|_| ());
    diesel::sql_query("SELECT pg_advisory_unlock(72707369)").execute(&mut conn)?;
    applied
}

/// A caller that takes the lock before calling the function that migrates.
pub fn start(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query("SELECT pg_advisory_lock(72707369)").execute(&mut conn)?;
    apply(&mut conn)?;
    diesel::sql_query("SELECT pg_advisory_unlock(72707369)").execute(&mut conn)?;
    Ok(())
}

fn apply(conn: &mut PgConnection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.run_pending_migrations(MIGRATIONS)?;
    Ok(())
}

/// A harness wrapper that delegates to the connection is not a run of its own.
pub struct Wrapper<'a> {
    conn: &'a mut PgConnection,
}

impl MigrationHarness<diesel::pg::Pg> for Wrapper<'_> {
    fn run_migration(
        &mut self,
        migration: &dyn diesel::migration::Migration<diesel::pg::Pg>,
    ) -> diesel::migration::Result<diesel::migration::MigrationVersion<'static>> {
        self.conn.run_migration(migration)
    }

    fn revert_migration(
        &mut self,
        migration: &dyn diesel::migration::Migration<diesel::pg::Pg>,
    ) -> diesel::migration::Result<diesel::migration::MigrationVersion<'static>> {
        self.conn.revert_migration(migration)
    }

    fn applied_migrations(
        &mut self,
    ) -> diesel::migration::Result<Vec<diesel::migration::MigrationVersion<'static>>> {
        self.conn.applied_migrations()
    }
}
