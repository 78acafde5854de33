mod db;
mod handlers;
mod jobs;
mod settings;

use axum::routing::post;
use axum::Router;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .init();
    let settings = settings::load().expect("configuration");
    let pool = db::connect(&settings.database).await.expect("database");
    let _jobs = jobs::start(pool.clone()).await.expect("scheduler");
    let app = Router::new().route("/orders", post(handlers::create_order)).with_state(pool);
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", settings.server.port)).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
