// rucron with the default `()` locker: no exclusion between instances.
use rucron::{execute, EmptyTask, Scheduler};
use std::error::Error;

async fn send_newsletter() -> Result<(), Box<dyn Error>> {
    Ok(())
}

pub async fn run() {
    let sch = Scheduler::<EmptyTask, ()>::new(1, 10);
    let sch = sch.every(1).day().at(9, 0, 0).todo(execute(send_newsletter)).await; //~ unlocked-scheduler
    sch.start().await;
}
