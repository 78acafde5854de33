//! Nomad job files: a group's literal `count`, its `scaling` block's `max`.

use super::{DeployUnit, image_name, program_names};
use crate::deploy::hcl::Block;
use crate::deploy::{Source, norm};

/// Nomad job files: each `job { group "x" { count = N } }`, a `scaling` block's `max` being the
/// worst case. Only literal counts are read (a `count` of `var.n` reads as nothing), and a group
/// that states no count is skipped like a Deployment without `replicas`. The group runs under
/// its job's, its own and its tasks' names, and the programs its tasks' `config` names
/// (`command`, `args`, the image's last path segment).
pub(super) fn nomad(root: &Block, src: &dyn Fn(usize, &str) -> Source, out: &mut Vec<DeployUnit>) {
    for job in root.children("job") {
        let job_name = job.labels.first().map(String::as_str).unwrap_or("");
        for group in job.children("group") {
            let gname = group.labels.first().map(String::as_str).unwrap_or("");
            let count = group.attr("count").and_then(|c| Some((c.u64()?, c.line)));
            // `enabled = false` turns the policy off for a while: the count stands.
            let max = group
                .child("scaling")
                .filter(|s| s.attr("enabled").is_none_or(|e| e.raw.trim() != "false"))
                .and_then(|s| s.attr("max"))
                .and_then(|m| Some((m.u64()?, m.line)));
            let (instances, source) = match (max, count) {
                (Some((m, line)), count) => {
                    let what = match count {
                        Some((c, _)) => format!(
                            "Nomad job {job_name} group {gname} scaling max, the worst case; its count is {c}"
                        ),
                        None => format!(
                            "Nomad job {job_name} group {gname} scaling max, the worst case"
                        ),
                    };
                    (m, src(line, &what))
                }
                (None, Some((c, line))) => (
                    c,
                    src(line, &format!("Nomad job {job_name} group {gname} count")),
                ),
                (None, None) => continue,
            };
            let mut names = vec![norm(job_name), norm(gname)];
            for task in group.children("task") {
                if let Some(t) = task.labels.first() {
                    names.push(norm(t));
                }
                if let Some(config) = task.child("config") {
                    if let Some(i) = config
                        .attr("image")
                        .and_then(|i| i.str())
                        .and_then(image_name)
                    {
                        names.push(i);
                    }
                    let mut words = vec![];
                    for key in ["command", "entrypoint", "args"] {
                        if let Some(a) = config.attr(key) {
                            words.extend(a.strings().iter().flat_map(|w| {
                                w.split_whitespace().map(str::to_string).collect::<Vec<_>>()
                            }));
                        }
                    }
                    names.extend(program_names(&words));
                }
            }
            names.retain(|n| !n.is_empty());
            names.sort();
            names.dedup();
            // A deployment's canaries run beside the old allocations until promoted.
            let canary = group
                .child("update")
                .or_else(|| job.child("update"))
                .and_then(|u| u.attr("canary"))
                .and_then(|c| c.u64())
                .filter(|c| *c > 0);
            out.push(DeployUnit {
                name: format!("Nomad job {job_name} group {gname}"),
                instances,
                source,
                surge: canary.map(|c| {
                    format!("a deployment of Nomad group {gname} runs {c} {} beside the old allocations until they are promoted", if c == 1 { "canary" } else { "canaries" })
                }),
                names,
            });
        }
    }
}
