// Spawned timer loops with shared side effects: jobs that every instance runs.
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tokio::time::{interval, sleep};

pub fn start(pool: sqlx::PgPool, mailer: AsyncSmtpTransport<Tokio1Executor>) {
    // An interval loop that deletes rows.
    let p = pool.clone();
    tokio::spawn(async move { //~ unlocked-scheduler
        let mut every_hour = interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let _ = sqlx::query("DELETE FROM sessions WHERE expires_at < now()").execute(&p).await;
        }
    });

    // A sleep loop that sends mail through a helper.
    tokio::spawn(async move { //~ unlocked-scheduler
        loop {
            send_low_stock_alert(&mailer).await;
            sleep(Duration::from_secs(600)).await;
        }
    });

    // A spawned function whose body is the loop.
    tokio::spawn(expire_invitations(pool.clone())); //~ unlocked-scheduler

    // A thread with thread::sleep.
    let p = pool.clone();
    std::thread::spawn(move || loop { //~ unlocked-scheduler
        let rt = tokio::runtime::Handle::current();
        let _ = rt.block_on(sqlx::query("UPDATE accounts SET locked = false WHERE unlock_at < now()").execute(&p));
        std::thread::sleep(Duration::from_secs(60));
    });
}

async fn send_low_stock_alert(mailer: &AsyncSmtpTransport<Tokio1Executor>) {
    let email = Message::builder().to("ops@example.com".parse().unwrap()).body(String::new()).unwrap();
    let _ = mailer.send(email).await;
}

async fn expire_invitations(pool: sqlx::PgPool) {
    let mut ticker = tokio::time::interval(Duration::from_secs(300));
    loop {
        ticker.tick().await;
        let _ = sqlx::query!("UPDATE invitations SET expired = true WHERE created < now() - interval '7 days'")
            .execute(&pool)
            .await;
    }
}

// An interval inside `tokio::select!`, with a shutdown arm.
pub fn start_select(pool: sqlx::PgPool, mut shutdown: tokio::sync::broadcast::Receiver<()>) {
    tokio::spawn(async move { //~ unlocked-scheduler
        let mut iv = tokio::time::interval(Duration::from_secs(900));
        loop {
            tokio::select! {
                _ = iv.tick() => {
                    let _ = sqlx::query("DELETE FROM password_resets WHERE created < now() - interval '1 hour'").execute(&pool).await;
                }
                _ = shutdown.recv() => break,
            }
        }
    });
}
