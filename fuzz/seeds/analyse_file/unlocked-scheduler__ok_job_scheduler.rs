// job_scheduler_ng with a Redis SET NX lease around the body.
use job_scheduler_ng::{Job, JobScheduler};
use std::time::Duration;

pub fn run_leased(client: redis::Client) {
    let mut sched = JobScheduler::new();
    sched.add(Job::new("0 0 * * * *".parse().unwrap(), move || {
        let mut con = client.get_connection().unwrap();
        let got: Option<String> = redis::cmd("SET")
            .arg("lock:rollup")
            .arg("me")
            .arg("NX")
            .arg("PX")
            .arg(55_000)
            .query(&mut con)
            .unwrap();
        if got.is_some() {
            hourly_rollup();
        }
    }));
    loop {
        sched.tick();
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn hourly_rollup() {}
