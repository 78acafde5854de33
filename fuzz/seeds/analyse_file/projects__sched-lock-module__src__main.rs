mod coord;
mod jobs;
mod leader;

#[tokio::main]
async fn main() {
    let pool = sqlx::PgPool::connect("postgres://localhost/app").await.unwrap();
    let etcd = etcd_client::Client::connect(["localhost:2379"], None).await.unwrap();
    let _sched = jobs::start(pool.clone(), etcd).await;
    let app = axum::Router::new();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
