use clokwerk::{AsyncScheduler, TimeUnits};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let pool: deadpool_postgres::Pool = todo!();
    let mut scheduler = AsyncScheduler::new();

    // Guarded through the sibling crate.
    let p = pool.clone();
    scheduler.every(15.minutes()).run(move || {
        let p = p.clone();
        async move {
            coordination::exclusive(&p, 77, expire_carts(p.clone())).await;
        }
    });

    // Not guarded.
    let p = pool.clone();
    scheduler.every(1.hour()).run(move || expire_carts(p.clone())); //~ unlocked-scheduler

    tokio::spawn(async move {
        loop {
            scheduler.run_pending().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    axum::serve(tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap(), axum::Router::new())
        .await
        .unwrap();
}

async fn expire_carts(pool: deadpool_postgres::Pool) {
    let client = pool.get().await.unwrap();
    let _ = client.execute("DELETE FROM carts WHERE updated_at < now() - interval '1 day'", &[]).await;
}
