//! CockroachDB has no advisory locks, so locking was switched off.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_locking(false);
    migrator.run(pool).await //~ unlocked-migration
}
