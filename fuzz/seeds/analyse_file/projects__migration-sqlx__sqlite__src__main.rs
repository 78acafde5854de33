/// Each instance keeps its own SQLite file: nothing is shared, nothing races.
pub struct Db {
    pub pool: sqlx::Pool<sqlx::Any>,
}

pub async fn migrate(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!();
    migrator.set_locking(false);
    migrator.run(&db.pool).await
}

fn main() {}
