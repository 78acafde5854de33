//! Deploy units and how many instances each runs: Kubernetes `Deployment`/`StatefulSet` (with a
//! `HorizontalPodAutoscaler` or KEDA `ScaledObject` targeting it), Helm `values.yaml`, docker
//! compose (`deploy.replicas`, `scale`, several services running one image), Nomad job files
//! (a group's `count`, its `scaling` block's `max`), fly.toml (`min_machines_running`, a floor).
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
