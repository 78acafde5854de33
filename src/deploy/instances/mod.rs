//! Deploy units and how many instances each runs: Kubernetes `Deployment`/`StatefulSet` (with a
//! `HorizontalPodAutoscaler` or KEDA `ScaledObject` targeting it), Helm `values.yaml`, docker
//! compose (`deploy.replicas`, `scale`, several services running one image), Nomad job files
//! (a group's `count`, its `scaling` block's `max`), fly.toml (`min_machines_running`, a floor), ECS services in Terraform
//! (`desired_count`, an autoscaling target's `max_capacity`) and CloudFormation (`DesiredCount`,
//! a `ScalableTarget`'s `MaxCapacity`).
//! Only counts the
//! files state count: compose's and Kubernetes' implicit one replica says nothing about
//! production.

use super::hcl::{self, Block};
use super::yaml::{self, Node};
use super::{Source, norm};
use crate::project::Extra;
use crate::workspace::ExtraKind;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct DeployUnit {
    /// `Deployment api`, `compose service worker`.
    pub name: String,
    pub instances: u64,
    pub source: Source,
    /// A rolling update's surge, for the note.
    pub surge: Option<String>,
    /// Names it runs under, normalised: its own, its containers', the image's last path
    /// segment, the programs its command and args name.
    pub names: Vec<String>,
}

impl DeployUnit {
    /// Whether this unit runs the binary (or workspace) called `name` (normalised).
    pub fn runs(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// `ghcr.io/org/my-api:1.2@sha256:..` → `my-api`.
fn image_name(image: &str) -> Option<String> {
    let image = image.split('@').next()?;
    let last = image.rsplit('/').next()?;
    let name = last.split(':').next()?;
    (!name.is_empty() && !name.contains('{') && !name.contains('$')).then(|| norm(name))
}

/// The programs a command line names: `/usr/local/bin/api serve` → `api`, `serve`.
fn program_names(words: &[String]) -> Vec<String> {
    words
        .iter()
        .take(3)
        .filter(|w| !w.starts_with('-') && !w.contains('='))
        .filter_map(|w| w.rsplit('/').next())
        .filter(|w| !w.is_empty())
        .map(norm)
        .collect()
}

fn push_names(names: &mut Vec<String>, c: &Node) {
    if let Some(n) = c.get("name").and_then(Node::str) {
        names.push(norm(n));
    }
    if let Some(i) = c.get("image").and_then(Node::str).and_then(image_name) {
        names.push(i);
    }
    for key in ["command", "args", "entrypoint"] {
        if let Some(v) = c.get(key) {
            names.extend(program_names(&v.words()));
        }
    }
}

pub fn read(rel: &Path, extra: &Extra, files: &[&Extra], out: &mut Vec<DeployUnit>) {
    if extra.kind == ExtraKind::Hcl {
        let root = hcl::parse(&extra.text);
        let src = |line: usize, what: &str| Source {
            file: rel.to_path_buf(),
            line,
            what: what.to_string(),
        };
        nomad(&root, &src, out);
        terraform_ecs(&root, &src, out);
        return;
    }
    let file_name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if extra.kind == ExtraKind::Toml && file_name.starts_with("fly") {
        fly(rel, &extra.text, out);
        return;
    }
    if extra.kind != ExtraKind::Yaml {
        return;
    }
    let Some(docs) = yaml::parse(&extra.text) else {
        return;
    };
    let src = |line: usize, what: &str| Source {
        file: rel.to_path_buf(),
        line,
        what: what.to_string(),
    };
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if docs.iter().any(|d| d.get("services").is_some())
        && (name.contains("compose") || docs.iter().any(|d| d.get("version").is_some()))
    {
        for d in &docs {
            compose(d, extra, files, &src, out);
        }
        return;
    }
    if name.starts_with("values") {
        for d in &docs {
            helm_values(rel, extra, d, files, &src, out);
        }
        return;
    }
    kubernetes(&docs, &src, out);
    for d in &docs {
        cloudformation_ecs(d, &src, out);
    }
}

fn kubernetes(docs: &[Node], src: &dyn Fn(usize, &str) -> Source, out: &mut Vec<DeployUnit>) {
    let kind_of = |d: &Node| d.get("kind").and_then(Node::str).unwrap_or("").to_string();
    for d in docs {
        let kind = kind_of(d);
        if !matches!(kind.as_str(), "Deployment" | "StatefulSet") {
            continue;
        }
        let Some(name) = d.at(&["metadata", "name"]).and_then(Node::str) else {
            continue;
        };
        let mut names = vec![norm(name)];
        for c in d
            .at(&["spec", "template", "spec", "containers"])
            .map(Node::items)
            .unwrap_or_default()
        {
            push_names(&mut names, c);
        }
        let recreate = d
            .at(&["spec", "strategy", "type"])
            .and_then(Node::str)
            .is_some_and(|t| t == "Recreate");
        let surge = (kind == "Deployment" && !recreate).then(|| {
            let s = d
                .at(&["spec", "strategy", "rollingUpdate", "maxSurge"])
                .and_then(Node::str)
                .unwrap_or("25%");
            format!("a rolling update of {name} starts up to maxSurge ({s}) extra pods while old ones still hold their connections")
        });
        // An autoscaler targeting it: its maximum is the worst case.
        let scaler = docs.iter().find_map(|h| {
            let k = kind_of(h);
            let target = h
                .at(&["spec", "scaleTargetRef", "name"])
                .and_then(Node::str)?;
            if target != name {
                return None;
            }
            let (key, what) = match k.as_str() {
                "HorizontalPodAutoscaler" => ("maxReplicas", "HPA maxReplicas"),
                "ScaledObject" => ("maxReplicaCount", "KEDA maxReplicaCount"),
                _ => return None,
            };
            let m = h.at(&["spec", key])?;
            let what = match d.at(&["spec", "replicas"]).and_then(Node::u64) {
                Some(r) => format!("{what}, the worst case; {kind} {name} spec.replicas is {r}"),
                None => format!("{what}, the worst case"),
            };
            Some((m.u64()?, src(m.line, &what)))
        });
        let (instances, source) = match scaler {
            Some(s) => s,
            None => {
                let Some(r) = d.at(&["spec", "replicas"]) else {
                    continue;
                };
                let Some(n) = r.u64() else { continue };
                (n, src(r.line, &format!("{kind} {name} spec.replicas")))
            }
        };
        out.push(DeployUnit {
            name: format!("{kind} {name}"),
            instances,
            source,
            surge,
            names,
        });
    }
}

/// The variables compose substitutes: the shell's are unknown here; a `.env` beside the file.
fn compose_env<'a>(extra: &Extra, files: &'a [&'a Extra]) -> impl Fn(&str) -> Option<String> + 'a {
    let dir = extra.path.parent().map(Path::to_path_buf);
    move |name: &str| {
        let env = files.iter().find(|f| {
            f.kind == ExtraKind::Env
                && f.path.parent() == dir.as_deref()
                && f.path.file_name().is_some_and(|n| n == ".env")
        })?;
        env.text.lines().find_map(|l| {
            let (k, v) = l
                .trim()
                .strip_prefix("export ")
                .unwrap_or(l.trim())
                .split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches(['"', '\'']).to_string())
        })
    }
}

fn compose(
    doc: &Node,
    extra: &Extra,
    files: &[&Extra],
    src: &dyn Fn(usize, &str) -> Source,
    out: &mut Vec<DeployUnit>,
) {
    let env = compose_env(extra, files);
    let count = |n: &Node| {
        n.str()
            .and_then(|s| yaml::substitute(s, &env))
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    let Some(services) = doc.get("services") else {
        return;
    };
    // Services running one image: blue/green side by side, or `<<: *app` copies.
    let mut by_image: Vec<(String, Vec<(&str, &Node)>)> = vec![];
    for (name, s) in services.entries() {
        let mut names = vec![norm(name)];
        push_names(&mut names, s);
        if let Some(c) = s.get("container_name").and_then(Node::str) {
            names.push(norm(c));
        }
        let explicit = s
            .at(&["deploy", "replicas"])
            .map(|r| (r, "deploy.replicas"))
            .or_else(|| s.get("scale").map(|r| (r, "scale")));
        if let Some((r, key)) = explicit
            && let Some(n) = count(r)
        {
            out.push(DeployUnit {
                name: format!("compose service {name}"),
                instances: n,
                source: src(r.line, &format!("compose service {name} {key}")),
                surge: None,
                names: names.clone(),
            });
            continue;
        }
        if let Some(image) = s
            .get("image")
            .and_then(Node::str)
            .and_then(|i| yaml::substitute(i, &env))
        {
            match by_image.iter_mut().find(|(i, _)| *i == image) {
                Some((_, v)) => v.push((name, s)),
                None => by_image.push((image, vec![(name, s)])),
            }
        }
    }
    for (image, services) in by_image {
        if services.len() < 2 {
            continue;
        }
        let mut names = vec![];
        for (name, s) in &services {
            names.push(norm(name));
            push_names(&mut names, s);
        }
        names.sort();
        names.dedup();
        let list: Vec<&str> = services.iter().map(|(n, _)| *n).collect();
        out.push(DeployUnit {
            name: format!("compose services {}", list.join(", ")),
            instances: services.len() as u64,
            source: src(
                services[0].1.line,
                &format!(
                    "{} compose services run {image}: {}",
                    services.len(),
                    list.join(", ")
                ),
            ),
            surge: None,
            names,
        });
    }
}

/// A chart's `values.yaml`: `replicaCount`, `autoscaling.maxReplicas` when autoscaling is on by
/// default, at the top or under one key per component (`api: {replicaCount: 3}`).
fn helm_values(
    rel: &Path,
    extra: &Extra,
    doc: &Node,
    files: &[&Extra],
    src: &dyn Fn(usize, &str) -> Source,
    out: &mut Vec<DeployUnit>,
) {
    let dir = extra.path.parent();
    let chart = files.iter().find_map(|f| {
        let name = f.path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name != "chart.yaml" || f.path.parent() != dir {
            return None;
        }
        yaml::parse(&f.text)?.first()?.get("name")?.str().map(norm)
    });
    let mut one = |component: Option<&str>, v: &Node| {
        let replicas = v.get("replicaCount");
        let scaling = v.get("autoscaling");
        let enabled = scaling
            .and_then(|a| a.get("enabled"))
            .and_then(Node::str)
            .is_some_and(|e| e == "true");
        let max = scaling
            .and_then(|a| a.get("maxReplicas"))
            .filter(|m| m.u64().is_some());
        let prefix = component.map_or(String::new(), |c| format!("{c}."));
        let (n, source) = match (enabled, max, replicas.and_then(|r| r.u64().map(|n| (n, r)))) {
            (true, Some(m), _) => (
                m.u64().unwrap_or(1),
                src(
                    m.line,
                    &format!("Helm values {prefix}autoscaling.maxReplicas"),
                ),
            ),
            (_, _, Some((n, r))) => (n, src(r.line, &format!("Helm values {prefix}replicaCount"))),
            _ => return,
        };
        let mut names = vec![];
        if let Some(c) = component {
            names.push(norm(c));
        }
        if let Some(c) = &chart {
            names.push(c.clone());
            if let Some(comp) = component {
                names.push(format!("{c}-{}", norm(comp)));
            }
        }
        if let Some(i) = v
            .at(&["image", "repository"])
            .and_then(Node::str)
            .and_then(image_name)
        {
            names.push(i);
        }
        let surge = (!enabled)
            .then(|| max.and_then(Node::u64))
            .flatten()
            .map(|m| {
                format!(
                    "with autoscaling enabled the chart goes up to {m} ({}:{})",
                    rel.display(),
                    max.map_or(0, |m| m.line)
                )
            });
        out.push(DeployUnit {
            name: match (&chart, component) {
                (Some(c), Some(comp)) => format!("Helm chart {c}, {comp}"),
                (Some(c), None) => format!("Helm chart {c}"),
                (None, Some(comp)) => format!("Helm values {comp}"),
                (None, None) => format!("Helm values {}", rel.display()),
            },
            instances: n,
            source,
            surge,
            names,
        });
    };
    one(None, doc);
    for (k, v) in doc.entries() {
        if v.get("replicaCount").is_some() || v.at(&["autoscaling", "maxReplicas"]).is_some() {
            one(Some(k), v);
        }
    }
}

/// Nomad job files: each `job { group "x" { count = N } }`, a `scaling` block's `max` being the
/// worst case. Only literal counts are read (a `count` of `var.n` reads as nothing), and a group
/// that states no count is skipped like a Deployment without `replicas`. The group runs under
/// its job's, its own and its tasks' names, and the programs its tasks' `config` names
/// (`command`, `args`, the image's last path segment).
fn nomad(root: &Block, src: &dyn Fn(usize, &str) -> Source, out: &mut Vec<DeployUnit>) {
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

/// The 1-based line of `key` inside the `[header]` (or `[[header]]`) table of a TOML text.
fn toml_line(text: &str, header: &str, key: &str) -> usize {
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            let h = t.trim_matches(['[', ']']).trim();
            inside = h == header;
        } else if inside
            && t.split(['=', ' '])
                .next()
                .is_some_and(|k| k.trim_matches('"') == key)
        {
            return i + 1;
        }
    }
    1
}

/// fly.toml: how many Machines run is set by `fly scale count`, which the file does not hold, so
/// the only count it can state is a floor: `[http_service]` (or `[[services]]`)
/// `min_machines_running`. A floor of 2 or more is read as the instances, and the note says it
/// is a floor; a floor of 0 or 1 says nothing (fly starts two Machines per process group by
/// default, and scaling to more is not in the file). `[processes]` names the programs the
/// Machines run; `[[vm]]` sizes them and counts nothing.
fn fly(rel: &Path, text: &str, out: &mut Vec<DeployUnit>) {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return;
    };
    let app = doc.get("app").and_then(|a| a.as_str()).unwrap_or("");
    let processes = doc.get("processes").and_then(|p| p.as_table());
    let mut services: Vec<(&toml::Table, &str)> = vec![];
    if let Some(h) = doc.get("http_service").and_then(|h| h.as_table()) {
        services.push((h, "http_service"));
    }
    for s in doc
        .get("services")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_table())
    {
        services.push((s, "services"));
    }
    for (svc, header) in services {
        let Some(min) = svc
            .get("min_machines_running")
            .and_then(|m| m.as_integer())
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m >= 2)
        else {
            continue;
        };
        // The process groups this service runs on: `processes = ["web"]`, `app` by default.
        let groups: Vec<String> = svc
            .get("processes")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_else(|| vec!["app".to_string()]);
        let mut names = vec![norm(app)];
        if let Some(i) = doc
            .get("build")
            .and_then(|b| b.get("image"))
            .and_then(|i| i.as_str())
            .and_then(image_name)
        {
            names.push(i);
        }
        for g in &groups {
            if let Some(cmd) = processes.and_then(|p| p.get(g)).and_then(|c| c.as_str()) {
                let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
                names.extend(program_names(&words));
            }
        }
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        let line = toml_line(text, header, "min_machines_running");
        out.push(DeployUnit {
            name: format!("fly app {app} ({})", groups.join(", ")),
            instances: min,
            source: Source {
                file: rel.to_path_buf(),
                line,
                what: format!(
                    "fly.toml [{header}] min_machines_running, a floor: the Machine count is set by `fly scale count` and the file does not state it"
                ),
            },
            surge: None,
            names,
        });
    }
}

/// Terraform `resource "aws_ecs_service"` with a literal `desired_count`; an
/// `aws_appautoscaling_target` whose `resource_id` names the service gives the worst case
/// (`max_capacity`). Matched by the resource's label, its `name`, and the container names,
/// images and commands of the `aws_ecs_task_definition` it references.
fn terraform_ecs(root: &Block, src: &dyn Fn(usize, &str) -> Source, out: &mut Vec<DeployUnit>) {
    let resources: Vec<&Block> = root.children("resource").collect();
    let of_type = |ty: &'static str| {
        resources
            .iter()
            .copied()
            .filter(move |r| r.labels.first().is_some_and(|l| l == ty))
    };
    for svc in of_type("aws_ecs_service") {
        let label = svc.labels.get(1).map(String::as_str).unwrap_or("");
        let name = svc.attr("name").and_then(|n| n.str()).unwrap_or(label);
        let desired = svc
            .attr("desired_count")
            .and_then(|c| Some((c.u64()?, c.line)));
        let scaler = of_type("aws_appautoscaling_target").find_map(|t| {
            let id = t.attr("resource_id")?;
            let names_it = id.raw.contains(&format!("aws_ecs_service.{label}."))
                || id.str().is_some_and(|s| s.ends_with(&format!("/{name}")));
            if !names_it {
                return None;
            }
            let m = t.attr("max_capacity")?;
            Some((m.u64()?, m.line))
        });
        let (instances, source) = match (scaler, desired) {
            (Some((m, line)), d) => {
                let what = match d {
                    Some((d, _)) => format!(
                        "aws_appautoscaling_target max_capacity for ECS service {name}, the worst case; its desired_count is {d}"
                    ),
                    None => format!(
                        "aws_appautoscaling_target max_capacity for ECS service {name}, the worst case"
                    ),
                };
                (m, src(line, &what))
            }
            (None, Some((d, line))) => (d, src(line, &format!("ECS service {name} desired_count"))),
            (None, None) => continue,
        };
        let mut names = vec![norm(label), norm(name)];
        // The task definition it runs: `aws_ecs_task_definition.api.arn`.
        if let Some(td) = svc.attr("task_definition").and_then(|t| {
            let rest = t.raw.split("aws_ecs_task_definition.").nth(1)?;
            rest.split('.').next().map(str::to_string)
        }) && let Some(def) =
            of_type("aws_ecs_task_definition").find(|r| r.labels.get(1).is_some_and(|l| *l == td))
            && let Some(c) = def.attr("container_definitions")
        {
            names.extend(container_names(&c.raw));
        }
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        out.push(DeployUnit {
            name: format!("ECS service {name}"),
            instances,
            source,
            surge: None,
            names,
        });
    }
}

/// The names in an ECS container definition written as HCL (`jsonencode([{ name = "api", … }])`)
/// or JSON: `name`, `image`'s last segment, the programs `command`/`entryPoint` name.
fn container_names(raw: &str) -> Vec<String> {
    let mut names = vec![];
    for (key, value_start) in ["name", "image", "command", "entryPoint"]
        .iter()
        .flat_map(|k| {
            let quoted = format!("\"{k}\"");
            raw.match_indices(quoted.as_str())
                .map(|(i, m)| (*k, i + m.len()))
                .chain(
                    raw.match_indices(&format!("{k} "))
                        .map(|(i, m)| (*k, i + m.len())),
                )
                .chain(
                    raw.match_indices(&format!("{k}="))
                        .map(|(i, m)| (*k, i + m.len())),
                )
                .collect::<Vec<_>>()
        })
    {
        let rest = raw[value_start..]
            .trim_start()
            .trim_start_matches([':', '='])
            .trim_start();
        let value = if rest.starts_with('[') {
            rest.split(']').next().unwrap_or("")
        } else {
            rest.split([',', '\n', '}']).next().unwrap_or("")
        };
        let strings = hcl::strings_in(value);
        match key {
            "name" => names.extend(strings.first().map(|s| norm(s))),
            "image" => names.extend(strings.first().and_then(|s| image_name(s))),
            _ => {
                let words: Vec<String> = strings
                    .iter()
                    .flat_map(|w| w.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    .collect();
                names.extend(program_names(&words));
            }
        }
    }
    names
}

/// CloudFormation `AWS::ECS::Service` with a literal `DesiredCount`; an
/// `AWS::ApplicationAutoScaling::ScalableTarget` whose `ResourceId` names the service's logical
/// id gives the worst case (`MaxCapacity`). Matched by the logical id, `ServiceName`, and the
/// containers of the task definition it references.
fn cloudformation_ecs(doc: &Node, src: &dyn Fn(usize, &str) -> Source, out: &mut Vec<DeployUnit>) {
    let Some(resources) = doc.get("Resources") else {
        return;
    };
    let type_of = |r: &Node| r.get("Type").and_then(Node::str).unwrap_or("").to_string();
    for (id, svc) in resources.entries() {
        if type_of(svc) != "AWS::ECS::Service" {
            continue;
        }
        let props = svc.get("Properties");
        let name = props
            .and_then(|p| p.get("ServiceName"))
            .and_then(Node::str)
            .unwrap_or(id);
        let desired = props
            .and_then(|p| p.get("DesiredCount"))
            .and_then(|d| Some((d.u64()?, d.line)));
        let scaler = resources.entries().iter().find_map(|(_, t)| {
            if type_of(t) != "AWS::ApplicationAutoScaling::ScalableTarget" {
                return None;
            }
            let p = t.get("Properties")?;
            let rid = p.get("ResourceId")?;
            let text = node_text(rid);
            if !text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == id)
            {
                return None;
            }
            let m = p.get("MaxCapacity")?;
            Some((m.u64()?, m.line))
        });
        let (instances, source) = match (scaler, desired) {
            (Some((m, line)), d) => {
                let what = match d {
                    Some((d, _)) => format!(
                        "ScalableTarget MaxCapacity for ECS service {id}, the worst case; its DesiredCount is {d}"
                    ),
                    None => {
                        format!("ScalableTarget MaxCapacity for ECS service {id}, the worst case")
                    }
                };
                (m, src(line, &what))
            }
            (None, Some((d, line))) => (d, src(line, &format!("ECS service {id} DesiredCount"))),
            (None, None) => continue,
        };
        let mut names = vec![norm(id), norm(name)];
        let td = props.and_then(|p| p.get("TaskDefinition")).map(node_text);
        if let Some(td) = td
            && let Some(def) = resources.get(td.trim().trim_start_matches("Ref "))
        {
            for c in def
                .at(&["Properties", "ContainerDefinitions"])
                .map(Node::items)
                .unwrap_or_default()
            {
                if let Some(n) = c.get("Name").and_then(Node::str) {
                    names.push(norm(n));
                }
                if let Some(i) = c.get("Image").and_then(Node::str).and_then(image_name) {
                    names.push(i);
                }
                for key in ["Command", "EntryPoint"] {
                    if let Some(v) = c.get(key) {
                        names.extend(program_names(&v.words()));
                    }
                }
            }
        }
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        out.push(DeployUnit {
            name: format!("ECS service {id}"),
            instances,
            source,
            surge: None,
            names,
        });
    }
}

/// A node's scalars joined (`!Ref Api`, `{Ref: Api}`, `!Join ['', [service/, !Ref Api]]`).
fn node_text(n: &Node) -> String {
    match &n.kind {
        yaml::Kind::Scalar(s) => s.clone(),
        yaml::Kind::Seq(items) => items.iter().map(node_text).collect::<Vec<_>>().join(" "),
        yaml::Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| format!("{k} {}", node_text(v)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}
