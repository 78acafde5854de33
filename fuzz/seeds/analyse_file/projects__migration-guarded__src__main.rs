mod db;
mod leader;
mod locks;
mod reports;
mod tenants;

use diesel::{Connection, PgConnection};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = std::env::var("DATABASE_URL")?;
    let mut conn = PgConnection::establish(&url)?;
    let lock = locks::acquire(&mut conn)?;
    db::migrate(&mut conn)?;
    locks::release(&mut conn, lock)?;
    tenants::migrate_tenants(&mut conn)?;
    reports::setup(&mut conn)?;
    let app = axum::Router::new();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
