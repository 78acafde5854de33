// Migrations behind a `migrate` subcommand, run once per deploy (a Kubernetes Job).
use diesel::pg::PgConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

pub enum Command {
    Migrate,
    Serve,
}

fn migrate(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = PgConnection::establish(url)?;
    conn.run_pending_migrations(MIGRATIONS)?;
    Ok(())
}

pub fn main_with(command: Command, url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match command {
        Command::Migrate => migrate(url),
        Command::Serve => serve(url),
    }
}

pub fn main_with_args(url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => {
            let mut conn = PgConnection::establish(url)?;
            conn.run_pending_migrations(MIGRATIONS)?;
            Ok(())
        }
        _ => serve(url),
    }
}

fn serve(_url: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Ok(())
}
