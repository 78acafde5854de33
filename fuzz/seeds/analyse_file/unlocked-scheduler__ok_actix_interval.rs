// A websocket heartbeat: per-connection state, not a shared job.
use actix::prelude::*;
use std::time::{Duration, Instant};

pub struct WsSession {
    pub hb: Instant,
}

impl Actor for WsSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(Duration::from_secs(5), |act, ctx| {
            if Instant::now().duration_since(act.hb) > Duration::from_secs(10) {
                ctx.stop();
            }
        });
    }
}
