// sea-orm-migration under an advisory lock held by one connection of the pool.
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr, TransactionTrait};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = Database::connect(url).await?;
    let lock = db.begin().await?;
    lock.execute_unprepared("SELECT pg_advisory_xact_lock(72707369)").await?;
    Migrator::up(&db, None).await?;
    lock.commit().await?;
    Ok(db)
}

/// Read-only calls are not runs.
pub async fn pending(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.len())
}
