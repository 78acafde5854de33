// `--fix --unsafe-fixes` sizes a deadpool builder explicitly with the per-instance budget,
// (100 − 10) ÷ 4 = 22. The fix is `maybe`: it changes how many connections the pool opens, so
// plain `--fix` leaves it. `fix_unsafe_builder.fixed.rs` is the expected result.
use deadpool_postgres::{Manager, Pool};

pub fn pool(mgr: Manager) -> Pool {
    Pool::builder(mgr).build().unwrap() //~ host-sized-pool
}

pub fn pool_with_timeouts(mgr: Manager) -> Pool {
    Pool::builder(mgr) //~ host-sized-pool
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .unwrap()
}
