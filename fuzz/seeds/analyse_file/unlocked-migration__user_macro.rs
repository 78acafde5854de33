// A service's own macro that embeds and runs refinery migrations.
#[macro_export]
macro_rules! run_migrations {
    ($pool:expr, $folder:literal) => {{
        refinery::embed_migrations!($folder);
        let mut conn = $pool.get().await?;
        migrations::runner().run_async(&mut **conn).await?;
    }};
}

pub async fn start(pool: deadpool_postgres::Pool) -> Result<(), Box<dyn std::error::Error>> {
    run_migrations!(pool, "./migrations"); //~ unlocked-migration
    Ok(())
}
