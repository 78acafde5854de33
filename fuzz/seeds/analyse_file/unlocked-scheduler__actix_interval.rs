// actix actors with `run_interval`: a callback that writes is a job; a heartbeat is not.
use actix::prelude::*;
use std::time::Duration;

pub struct Reaper {
    pub pool: sqlx::PgPool,
}

impl Actor for Reaper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(Duration::from_secs(60), |act, _ctx| { //~ unlocked-scheduler
            let pool = act.pool.clone();
            actix::spawn(async move {
                let _ = sqlx::query("DELETE FROM uploads WHERE orphaned = true").execute(&pool).await;
            });
        });
    }
}
