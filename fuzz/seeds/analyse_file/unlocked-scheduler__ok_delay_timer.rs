// A delay_timer task that takes a Postgres advisory lock before it works.
use delay_timer::prelude::*;

pub fn build_locked(delay_timer: &DelayTimer, pool: sqlx::PgPool) -> anyhow::Result<()> {
    let task = TaskBuilder::default()
        .set_frequency_repeated_by_cron_str("0 */10 * * * *")
        .set_task_id(2)
        .spawn_async_routine(move || {
            let pool = pool.clone();
            async move {
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(11)").fetch_one(&pool).await.unwrap_or(false);
                if got {
                    let _ = sqlx::query("UPDATE rates SET stale = false").execute(&pool).await;
                }
            }
        })?;
    delay_timer.add_task(task)?;
    Ok(())
}
