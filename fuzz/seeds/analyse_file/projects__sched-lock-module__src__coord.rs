use std::future::Future;

/// Runs `job` while holding an etcd lease (what scalelint cannot see; named in `lock-functions`).
pub async fn with_lease(mut client: etcd_client::Client, name: &str, job: impl Future<Output = ()>) {
    let lease = client.lease_grant(60, None).await.unwrap();
    let opts = etcd_client::LockOptions::new().with_lease(lease.id());
    if client.lock(name, Some(opts)).await.is_ok() {
        job.await;
    }
}
