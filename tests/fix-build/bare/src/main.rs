//! A service whose crate lacks what some fixes need: no `log` dependency, and
//! tracing-subscriber without its `json` feature. Each fix must either add what it needs or
//! offer no edit. tests/fix-build.sh checks that it compiles before and after
//! `scalelint --fix --unsafe-fixes`.
use std::time::Duration;
use tracing::info;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{fmt, EnvFilter};

/// `.json()` on these needs the `json` feature.
pub fn init_tracing() {
    tracing_subscriber::registry()
        .with(EnvFilter::from_default_env())
        .with(fmt::layer().pretty())
        .init();
}

pub fn init_builder() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::from_default_env())
        .init();
}

pub fn init_default() {
    tracing_subscriber::fmt::init();
}

/// The format is the operator's choice: no fix rewrites a branch.
pub enum LogFormat {
    Pretty,
    Compact,
}

pub fn init_chosen(format: LogFormat) {
    match format {
        LogFormat::Pretty => tracing_subscriber::fmt().pretty().init(),
        LogFormat::Compact => tracing_subscriber::fmt().compact().init(),
    }
}

pub struct Job {
    pub id: i64,
}

/// Prints whose rewrite would not compile or would lose a value.
pub async fn run(jobs: Vec<Job>) -> usize {
    for job in &jobs {
        info!(id = job.id, "job done");
    }
    println!();
    let count = dbg!(jobs.len());
    let ids: Vec<i64> = jobs.iter().map(|j| dbg!(j.id)).collect();
    println!("ran {} jobs", ids.len());
    count
}

#[tokio::main]
async fn main() {
    // One installer would do; each is called so that each is code the service runs.
    init_tracing();
    init_builder();
    init_default();
    init_chosen(match std::env::var("LOG_FORMAT").as_deref() {
        Ok("compact") => LogFormat::Compact,
        _ => LogFormat::Pretty,
    });
    loop {
        run(vec![Job { id: 1 }]).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
