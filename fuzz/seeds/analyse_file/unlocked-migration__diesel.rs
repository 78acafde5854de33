// diesel_migrations applies embedded migrations with no lock between instances.
use diesel::pg::PgConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::Mutex;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

static MIGRATION_LOCK: Mutex<()> = Mutex::new(());

pub fn run_migrations(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = PgConnection::establish(url)?;
    conn.run_pending_migrations(MIGRATIONS)?; //~ unlocked-migration
    Ok(())
}

/// A process-local mutex does not stop another instance.
pub fn run_migrations_mutex(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _guard = MIGRATION_LOCK.lock().unwrap();
    let mut conn = PgConnection::establish(url)?;
    conn.run_pending_migrations(MIGRATIONS) //~ unlocked-migration
        .expect("migrations");
    Ok(())
}

pub fn rollback(conn: &mut PgConnection) {
    conn.revert_last_migration(MIGRATIONS).unwrap(); //~ unlocked-migration
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_fresh_database() {
        let mut conn = PgConnection::establish("postgres://localhost/test").unwrap();
        conn.run_pending_migrations(MIGRATIONS).unwrap();
    }
}
