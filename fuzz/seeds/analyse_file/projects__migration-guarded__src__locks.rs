use diesel::{PgConnection, QueryResult, RunQueryDsl};

pub struct MigrationLock;

pub fn acquire(conn: &mut PgConnection) -> QueryResult<MigrationLock> {
    diesel::sql_query("SELECT pg_advisory_lock(72707369)").execute(conn)?;
    Ok(MigrationLock)
}

pub fn release(conn: &mut PgConnection, _lock: MigrationLock) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock(72707369)").execute(conn)?;
    Ok(())
}
