// apalis-cron: every replica's CronStream enqueues every tick.
use apalis::prelude::*;
use apalis_cron::{CronStream, Schedule};
use std::str::FromStr;

#[derive(Default, Debug, Clone)]
struct Reminder;

async fn send_reminder(_job: Reminder) {}

pub async fn run() {
    let schedule = Schedule::from_str("0 0 9 * * *").unwrap();
    let worker = WorkerBuilder::new("morning-reminders")
        .backend(CronStream::new(schedule)) //~ unlocked-scheduler
        .build_fn(send_reminder);
    Monitor::new().register(worker).run().await.unwrap();
}
