//! A service with every kind of finding that has a machine or maybe fix, written as real
//! services write them. tests/fix-build.sh checks that it compiles before and after
//! `scalelint --fix --unsafe-fixes`. Its crate has every optional piece a fix may need
//! (`log`, tracing-subscriber's `json` feature); `bare` has none.
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::ConnectOptions as _;
use std::time::Duration;
use tracing::{info, instrument, warn, Level};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{fmt, EnvFilter};

const POOL_SIZE: u32 = 64;

// oversized-pool: a shared const, a suffixed literal, an environment variable's default.

pub async fn primary(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(POOL_SIZE).connect(url).await
}

pub async fn replica(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(url)
        .await
}

pub async fn reports(url: &str) -> sqlx::Result<sqlx::PgPool> {
    PgPoolOptions::new().max_connections(50_u32).connect(url).await
}

pub async fn from_env(url: &str) -> sqlx::Result<sqlx::PgPool> {
    let size: u32 = std::env::var("DB_POOL")
        .unwrap_or_else(|_| "40".to_string())
        .parse()
        .unwrap();
    PgPoolOptions::new().max_connections(size).connect(url).await
}

// host-sized-pool: a size from the CPU count, and a deadpool with its CPU-sized default.

pub fn cpu_sized(url: &str) -> sqlx::PgPool {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as u32;
    let mut max = std::env::var("APP_POOL_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0u32);
    if max == 0 {
        max = cpus * 4;
    }
    PgPoolOptions::new()
        .max_connections(max)
        .connect_lazy(url)
        .unwrap()
}

pub struct Conn;
pub struct Mgr;

impl deadpool::managed::Manager for Mgr {
    type Type = Conn;
    type Error = std::io::Error;

    async fn create(&self) -> Result<Conn, std::io::Error> {
        Ok(Conn)
    }

    async fn recycle(
        &self,
        _: &mut Conn,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<std::io::Error> {
        Ok(())
    }
}

pub fn workers() -> deadpool::managed::Pool<Mgr> {
    deadpool::managed::Pool::builder(Mgr).build().unwrap()
}

// sql-statement-logging: every statement at info.

pub async fn sqlx_loud(url: &str) -> sqlx::Result<sqlx::PgPool> {
    let opts: PgConnectOptions = url.parse()?;
    let opts = opts.log_statements(log::LevelFilter::Info);
    sqlx::PgPool::connect_with(opts).await
}

// verbose-default-level: debug and trace as what runs when nothing is configured.

pub fn init_tracing() {
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_default_env().unwrap_or_else(|_| "debug".into()))
        .with(fmt::layer())
        .init();
}

pub fn init_max_level() {
    tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .init();
}

pub fn init_filter_new() {
    let filter = EnvFilter::new("fix_build_service=trace,info");
    tracing_subscriber::fmt().with_env_filter(filter).pretty().init();
}

pub fn init_log_level() {
    log::set_max_level(log::LevelFilter::Debug);
}

pub fn init_default() {
    tracing_subscriber::fmt::init();
}

// instrument-all-args: a payload recorded with Debug on every call.

#[instrument]
pub async fn store(object_id: &str, data: Vec<u8>) -> usize {
    data.len() + object_id.len()
}

// log-in-loop and print-in-service: per-item events and prints in what each request runs.

pub struct Order {
    pub id: i64,
}

pub async fn process(orders: Vec<Order>) -> usize {
    for order in &orders {
        info!("processing order {}", order.id);
    }
    for order in &orders {
        tracing::event!(Level::INFO, id = order.id, "mapped");
    }
    for order in &orders {
        warn!(id = order.id, "order has no address");
    }
    for order in &orders {
        log::info!("order {} stored", order.id);
    }
    println!("processed {} orders", orders.len());
    eprintln!("slow path taken for {}", orders.len());
    let first = orders.first().map(|o| o.id);
    dbg!(first);
    // scalelint: allow(oversized-pool)
    orders.len()
}

#[tokio::main]
async fn main() {
    // One installer would do; each is called so that each is code the service runs.
    init_tracing();
    init_max_level();
    init_filter_new();
    init_log_level();
    init_default();
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    let _pools = (
        primary(&url).await,
        replica(&url).await,
        reports(&url).await,
        from_env(&url).await,
        sqlx_loud(&url).await,
        cpu_sized(&url),
        workers(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Order>>(16);
    tokio::spawn(async move {
        while let Some(batch) = rx.recv().await {
            process(batch).await;
            store("batch", vec![]).await;
        }
    });
    loop {
        let _ = tx.send(vec![Order { id: 1 }]).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
