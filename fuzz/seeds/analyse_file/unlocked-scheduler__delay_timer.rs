// delay_timer tasks.
use delay_timer::prelude::*;

pub fn build(delay_timer: &DelayTimer) -> anyhow::Result<()> {
    let task = TaskBuilder::default()
        .set_frequency_repeated_by_cron_str("0 */10 * * * *")
        .set_task_id(1)
        .spawn_async_routine(|| async { refresh_exchange_rates().await })?; //~ unlocked-scheduler
    delay_timer.add_task(task)?;
    Ok(())
}

async fn refresh_exchange_rates() {}
