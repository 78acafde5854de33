//! The version of a library the workspace builds with: `Cargo.lock`'s, compared with `semver`.
//! Library defaults change between versions (deadpool's default pool size did in 0.12.3).

use crate::project::Project;
use semver::Version;

/// The locked version of `package` (the highest, when the lock holds several) and the lock's
/// path, or `None` without a lock that names it.
pub fn locked(project: &Project, package: &str) -> Option<(Version, String)> {
    let path = project.root.join("Cargo.lock");
    let text = std::fs::read_to_string(&path).ok()?;
    let lock: toml::Table = toml::from_str(&text).ok()?;
    let version = lock
        .get("package")?
        .as_array()?
        .iter()
        .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(package))
        .filter_map(|p| Version::parse(p.get("version")?.as_str()?).ok())
        .max()?;
    Some((version, crate::engine::display_path(&path)))
}

/// deadpool's default `max_size`: `num_cpus::get_physical() × 4` up to 0.12.2 (physical cores,
/// no cgroup limit), `num_cpus::get() × 2` from 0.12.3 (logical CPUs, capped by a cgroup CPU
/// quota) — deadpool's `src/util.rs`. Returns the note and the connections a 64-core node
/// without a CPU limit gives, for the version in `Cargo.lock`.
pub fn deadpool_default(project: &Project) -> Option<(String, u64)> {
    let (v, lock) = locked(project, "deadpool")?;
    if v >= Version::new(0, 12, 3) {
        Some((
            format!(
                "deadpool {v} ({lock}) defaults max_size to num_cpus::get() × 2: the logical CPUs, capped by a cgroup CPU quota; without a CPU limit, a 64-core node gives 128 connections per instance"
            ),
            128,
        ))
    } else {
        Some((
            format!(
                "deadpool {v} ({lock}) defaults max_size to num_cpus::get_physical() × 4: the host's physical cores, whatever the container's CPU limit; a pod limited to 1 CPU on a 64-core node opens up to 256 connections"
            ),
            256,
        ))
    }
}
