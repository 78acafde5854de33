// sqlx's Migrator takes pg_advisory_lock (Postgres) / GET_LOCK (MySQL) by default: safe.
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

static MIGRATOR: Migrator = sqlx::migrate!();

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("./migrations").run(pool).await
}

pub async fn migrate_static(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

pub async fn migrate_locked_explicitly(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = Migrator::new(std::path::Path::new("./migrations")).await?;
    migrator.set_locking(true);
    migrator.run(pool).await
}

/// A SQLite file is per-instance state: not this rule's concern, even with locking off.
pub async fn migrate_local_cache(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!("./cache-migrations");
    migrator.set_locking(false);
    migrator.run(pool).await
}
