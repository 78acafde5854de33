// A rucron job whose body takes a Redis SET NX lease itself.
use redis::{AsyncCommands, ExistenceCheck, SetExpiry, SetOptions};
use rucron::{execute, EmptyTask, Scheduler};
use std::error::Error;

async fn send_digest() -> Result<(), Box<dyn Error>> {
    let client = redis::Client::open("redis://127.0.0.1/")?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let opts = SetOptions::default()
        .conditional_set(ExistenceCheck::NX)
        .with_expiration(SetExpiry::PX(60_000));
    let got: Option<String> = con.set_options("lock:digest", "me", opts).await?;
    if got.is_some() {
        // send it
    }
    Ok(())
}

pub async fn run_leased() {
    let sch = Scheduler::<EmptyTask, ()>::new(1, 10);
    let sch = sch.every(1).day().todo(execute(send_digest)).await;
    sch.start().await;
}
