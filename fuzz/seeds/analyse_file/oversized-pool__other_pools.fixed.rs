use sea_orm::{ConnectOptions, Database};

pub async fn sea_orm_connect(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(22) //~ oversized-pool
        .min_connections(5)
        .sqlx_logging(false);
    Database::connect(opt).await
}

pub async fn bb8_pool(manager: bb8_postgres::PostgresConnectionManager<tokio_postgres::NoTls>) {
    let _pool = bb8::Pool::builder().max_size(22).build(manager).await; //~ oversized-pool
}

pub fn r2d2_pool(manager: diesel::r2d2::ConnectionManager<diesel::PgConnection>) {
    let _pool = diesel::r2d2::Pool::builder().max_size(22).build(manager); //~ oversized-pool
}

pub async fn mobc_unlimited(manager: mobc_postgres::PgConnectionManager<tokio_postgres::NoTls>) {
    let _pool = mobc::Pool::builder().max_open(22).build(manager); //~ oversized-pool
}

pub fn deadpool_sized(mgr: deadpool_postgres::Manager) -> deadpool_postgres::Pool {
    deadpool_postgres::Pool::builder(mgr).max_size(22).build().unwrap() //~ oversized-pool
}
