use deadpool_postgres::{Config, ManagerConfig, PoolConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

pub fn pool_from_config() -> deadpool_postgres::Pool {
    let mut cfg = Config::new();
    cfg.dbname = Some("app".to_string());
    cfg.manager = Some(ManagerConfig { recycling_method: RecyclingMethod::Fast });
    cfg.create_pool(Some(Runtime::Tokio1), NoTls).unwrap() //~ host-sized-pool
}

pub fn pool_sized(url: &str) -> deadpool_postgres::Pool {
    let mut cfg = Config::new();
    cfg.url = Some(url.to_string());
    cfg.pool = Some(PoolConfig::new(16));
    cfg.create_pool(Some(Runtime::Tokio1), NoTls).unwrap()
}

pub fn pool_builder(mgr: deadpool_postgres::Manager) -> deadpool_postgres::Pool {
    deadpool_postgres::Pool::builder(mgr).build().unwrap() //~ host-sized-pool
}

pub fn pool_builder_sized(mgr: deadpool_postgres::Manager) -> deadpool_postgres::Pool {
    deadpool_postgres::Pool::builder(mgr).max_size(16).build().unwrap()
}
