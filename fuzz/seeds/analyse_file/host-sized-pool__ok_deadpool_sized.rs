use deadpool_postgres::{Config, PoolConfig, Runtime};
use tokio_postgres::NoTls;

pub fn pool_sized(url: &str) -> deadpool_postgres::Pool {
    let mut cfg = Config::new();
    cfg.url = Some(url.to_string());
    cfg.pool = Some(PoolConfig::new(16));
    cfg.create_pool(Some(Runtime::Tokio1), NoTls).unwrap()
}

pub fn pool_literal() -> deadpool_postgres::Pool {
    let cfg = Config { pool: Some(PoolConfig { max_size: 12, ..Default::default() }), ..Default::default() };
    cfg.create_pool(Some(Runtime::Tokio1), NoTls).unwrap()
}

pub fn pool_builder_sized(mgr: deadpool_postgres::Manager) -> deadpool_postgres::Pool {
    deadpool_postgres::Pool::builder(mgr).max_size(16).build().unwrap()
}

/// bb8's default is a fixed 10, not host-sized.
pub async fn bb8_default(manager: bb8_postgres::PostgresConnectionManager<NoTls>) {
    let _pool = bb8::Pool::builder().build(manager).await;
}
