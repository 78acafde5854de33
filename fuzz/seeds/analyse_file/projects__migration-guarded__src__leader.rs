/// Holds the deployment's leader lease (a Kubernetes Lease) until the guard drops.
pub fn hold(name: &str) -> Result<leader_lease::Guard, leader_lease::Error> {
    leader_lease::Lease::new(name).acquire()
}
