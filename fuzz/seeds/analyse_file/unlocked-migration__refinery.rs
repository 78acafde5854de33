// refinery's runner takes no lock.
mod embedded {
    refinery::embed_migrations!("migrations");
}

pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), refinery::Error> {
    embedded::migrations::runner().run_async(client).await?; //~ unlocked-migration
    Ok(())
}

pub fn migrate_sync(conn: &mut postgres::Client) -> Result<(), refinery::Error> {
    let runner = embedded::migrations::runner().set_grouped(true);
    runner.run(conn)?; //~ unlocked-migration
    Ok(())
}
