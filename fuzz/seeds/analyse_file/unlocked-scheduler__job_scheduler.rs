// The original job_scheduler crate.
extern crate job_scheduler;
use job_scheduler::{Job, JobScheduler};
use std::time::Duration;

pub fn run() {
    let mut sched = JobScheduler::new();
    sched.add(Job::new("1/10 * * * * *".parse().unwrap(), || { //~ unlocked-scheduler
        expire_trials();
    }));
    loop {
        sched.tick();
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn expire_trials() {}
