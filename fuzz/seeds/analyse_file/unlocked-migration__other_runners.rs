// Other runners that take no lock.
use diesel::pg::PgConnection;

pub fn fang_tables(conn: &mut PgConnection) {
    fang::run_migrations_postgres(conn).unwrap(); //~ unlocked-migration
}

pub async fn movine_up(conn: &mut postgres::Client) -> Result<(), movine::errors::Error> {
    let mut movine = movine::Movine::new(conn);
    movine.up() //~ unlocked-migration
}

pub async fn scripts(client: &mut tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    const SCRIPTS_UP: [(&str, &str); 1] = [("0001_create-users", "CREATE TABLE users (id BIGINT)")];
    let migration = tokio_postgres_migration::Migration::new("table_migrations".to_string());
    migration.up(client, &SCRIPTS_UP).await?; //~ unlocked-migration
    Ok(())
}
