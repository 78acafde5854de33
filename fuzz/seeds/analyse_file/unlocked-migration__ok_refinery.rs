// refinery's runner inside a session-level advisory lock on the same client.
mod embedded {
    refinery::embed_migrations!("migrations");
}

pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
    client.batch_execute("SELECT pg_advisory_lock(72707369)").await?;
    let report = embedded::migrations::runner().run_async(client).await;
    client.batch_execute("SELECT pg_advisory_unlock(72707369)").await?;
    report?;
    Ok(())
}

/// A helper that holds the lock around whatever it is given.
async fn with_migration_lock<F, Fut>(client: &tokio_postgres::Client, f: F) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    client.batch_execute("SELECT pg_try_advisory_lock(72707369)").await?;
    let result = f().await;
    client.batch_execute("SELECT pg_advisory_unlock(72707369)").await?;
    result
}

pub async fn migrate_with_helper(
    lock_client: &tokio_postgres::Client,
    client: &mut tokio_postgres::Client,
) -> Result<(), Box<dyn std::error::Error>> {
    with_migration_lock(lock_client, || async move {
        embedded::migrations::runner().run_async(client).await?;
        Ok(())
    })
    .await
}
