//! Kubernetes manifests (a Deployment or StatefulSet, the HPA or KEDA ScaledObject that targets
//! it) and Helm charts' `values.yaml`.

use super::{DeployUnit, image_name, push_names};
use crate::deploy::yaml::{self, Node};
use crate::deploy::{Source, norm};
use crate::project::Extra;
use std::path::Path;

pub(super) fn kubernetes(
    docs: &[Node],
    src: &dyn Fn(usize, &str) -> Source,
    out: &mut Vec<DeployUnit>,
) {
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

/// A chart's `values.yaml`: `replicaCount`, `autoscaling.maxReplicas` when autoscaling is on by
/// default, at the top or under one key per component (`api: {replicaCount: 3}`).
pub(super) fn helm_values(
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
