// sea-orm-migration's MigratorTrait takes no lock.
use sea_orm::{Database, DatabaseConnection, DbErr};
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
    Migrator::up(&db, None).await?; //~ unlocked-migration
    Ok(db)
}

pub async fn reset_demo(db: &DatabaseConnection) {
    Migrator::fresh(db).await.unwrap(); //~ unlocked-migration
}
