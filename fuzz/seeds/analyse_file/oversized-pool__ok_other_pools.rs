use sea_orm::{ConnectOptions, Database};

pub async fn sea_orm_connect(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(20).min_connections(5).sqlx_logging(false);
    Database::connect(opt).await
}

pub async fn bb8_default(manager: bb8_postgres::PostgresConnectionManager<tokio_postgres::NoTls>) {
    let _pool = bb8::Pool::builder().build(manager).await;
}

pub fn r2d2_sized(manager: diesel::r2d2::ConnectionManager<diesel::PgConnection>) {
    let _pool = diesel::r2d2::Pool::builder().max_size(15).build(manager);
}

pub async fn mobc_sized(manager: mobc_postgres::PgConnectionManager<tokio_postgres::NoTls>) {
    let _pool = mobc::Pool::builder().max_open(12).build(manager);
}

/// A thread pool's max_size is not a connection pool.
pub fn worker_threads() {
    let _pool = rayon::ThreadPoolBuilder::new().num_threads(64).build();
}
