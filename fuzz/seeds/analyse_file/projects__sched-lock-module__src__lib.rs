//! What the worker binary runs.
pub mod worker_jobs;
