// sqlx locks on Postgres and MySQL, unless locking is switched off.
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_locking(false);
    migrator.run(pool).await //~ unlocked-migration
}

pub async fn migrate_literal(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let migrator = Migrator {
        locking: false,
        ..sqlx::migrate!("./migrations")
    };
    migrator.run(pool).await //~ unlocked-migration
}

pub async fn migrate_from_dir(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = Migrator::new(std::path::Path::new("./migrations")).await?;
    migrator.set_locking(false).run(pool).await //~ unlocked-migration
}
