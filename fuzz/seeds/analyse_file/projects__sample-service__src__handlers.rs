use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use sqlx::PgPool;

#[derive(Debug, Deserialize)]
pub struct NewOrder {
    pub customer: String,
    pub card_number: String,
    pub items: Vec<String>,
}

pub async fn create_order(State(pool): State<PgPool>, Json(payload): Json<NewOrder>) -> Json<i64> {
    tracing::info!("new order: {:?}", payload);
    println!("creating order for {}", payload.customer);
    let id: (i64,) = sqlx::query_as("INSERT INTO orders (customer) VALUES ($1) RETURNING id")
        .bind(&payload.customer)
        .fetch_one(&pool)
        .await
        .unwrap();
    Json(id.0)
}
