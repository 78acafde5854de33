// job_scheduler_ng on its own thread, as vaultwarden does: the jobs are the finding, the tick loop is not.
use std::thread;
use std::time::Duration;

pub fn schedule_jobs(pool: DbPool) {
    thread::Builder::new()
        .name("job-scheduler".to_owned())
        .spawn(move || {
            use job_scheduler_ng::{Job, JobScheduler};
            let mut sched = JobScheduler::new();
            sched.add(Job::new("0 5 * * * *".parse().unwrap(), || { //~ unlocked-scheduler
                purge_sends(pool.clone());
            }));
            loop {
                sched.tick();
                thread::sleep(Duration::from_millis(30_000));
            }
        })
        .expect("scheduler thread");
}

fn purge_sends(_pool: DbPool) {}

#[derive(Clone)]
pub struct DbPool;
