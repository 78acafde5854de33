//! Bytes in as `scalelint.toml` (and as `[package.metadata.scalelint]` of a `Cargo.toml`):
//! `Config::load` returns Ok or Err, never panics; a `[catalog]` table goes through
//! `Catalog::with_additions`; a configuration that loads is then used for a whole run over a
//! small service whose code has a hazard for every rule, with every format rendered.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use scalelint::catalog::Catalog;
use scalelint::config::{Config, Overrides};
use scalelint::engine::{self, Options};
use std::path::PathBuf;
use std::sync::OnceLock;

const SERVICE: &str = r#"
use axum::{routing::get, Router};
use sqlx::postgres::PgPoolOptions;
use tokio_cron_scheduler::{Job, JobScheduler};

pub async fn pool() -> sqlx::PgPool {
    PgPoolOptions::new().max_connections(50).connect("postgres://db").await.unwrap()
}

pub async fn host_pool() {
    let _ = PgPoolOptions::new().max_connections(num_cpus::get() as u32 * 4);
}

pub async fn jobs() {
    let sched = JobScheduler::new().await.unwrap();
    sched.add(Job::new_async("0 * * * * *", |_, _| Box::pin(async { send_report().await })).unwrap()).await.unwrap();
    sched.start().await.unwrap();
}

async fn send_report() {}

pub async fn migrate(pool: &sqlx::PgPool) {
    sqlx::migrate!().run(pool).await.unwrap();
}

pub fn app() -> Router {
    println!("starting");
    Router::new().route("/", get(|| async { "ok" }))
}
"#;

struct Fixture {
    /// A crate configured by `scalelint.toml`.
    file_root: PathBuf,
    /// A crate configured by `[package.metadata.scalelint]` in its manifest.
    meta_root: PathBuf,
    known: Vec<&'static str>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        file_root: common::make_crate("config", SERVICE),
        meta_root: common::make_crate("config-meta", ""),
        known: scalelint::rules::all_meta().iter().map(|m| m.id).collect(),
    })
}

fn check(config: &Config) {
    let _ = (config.per_instance_budget(), config.available());
    for id in &fx().known {
        let _ = config.level(id);
    }
    if let Some(table) = &config.catalog
        && let Ok(catalog) = Catalog::with_additions(Some(table))
    {
        let _ = catalog.service_crates().count();
        let _ = catalog.config_keys().count();
        let _ = catalog.env_suffixes().count();
    }
}

fn fx() -> &'static Fixture {
    fixture()
}

fuzz_target!(|data: &[u8]| {
    let fx = fx();
    let overrides = Overrides::default();

    std::fs::write(fx.file_root.join("scalelint.toml"), data).expect("write scalelint.toml");
    let loaded = Config::load(Some(&fx.file_root), None, &overrides, &fx.known);
    // `--config PATH` reads the same file by another road.
    let explicit = Config::load(
        None,
        Some(&fx.file_root.join("scalelint.toml")),
        &overrides,
        &fx.known,
    );
    assert_eq!(
        loaded.is_ok(),
        explicit.is_ok(),
        "--config and discovery disagree"
    );

    let mut manifest = common::MANIFEST.as_bytes().to_vec();
    manifest.extend_from_slice(b"\n[package.metadata.scalelint]\n");
    manifest.extend_from_slice(data);
    std::fs::write(fx.meta_root.join("Cargo.toml"), &manifest).expect("write Cargo.toml");
    if let Ok(config) = Config::load(Some(&fx.meta_root), None, &overrides, &fx.known) {
        check(&config);
    }
    // The same manifest through discovery: a malformed one is a diagnostic, not a failure.
    let opts = Options {
        paths: vec![fx.meta_root.clone()],
        jobs: Some(1),
        ..Options::default()
    };
    if let Ok(report) = engine::run(&opts) {
        common::render_all(&report);
    }

    match loaded {
        Ok(config) => {
            check(&config);
            // The configuration in force for a whole run: levels, excludes, lock functions,
            // single-instance binaries and catalog additions all reach the rules.
            let opts = Options {
                paths: vec![fx.file_root.clone()],
                jobs: Some(1),
                no_prefilter: true,
                ..Options::default()
            };
            match engine::run(&opts) {
                Ok(report) => common::render_all(&report),
                Err(e) => {
                    // Only a `[catalog]` the catalog's types reject may stop a run that loaded.
                    assert!(
                        e.0.contains("[catalog]"),
                        "a configuration that loads made the run fail: {}",
                        e.0
                    );
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
