//! Deploy units and how many instances each runs: Kubernetes `Deployment`/`StatefulSet` (with a
//! `HorizontalPodAutoscaler` or KEDA `ScaledObject` targeting it), Helm `values.yaml`, docker
//! compose (`deploy.replicas`, `scale`, several services running one image), Nomad job files
//! (a group's `count`, its `scaling` block's `max`), fly.toml (`min_machines_running`, a floor), ECS services in Terraform
//! (`desired_count`, an autoscaling target's `max_capacity`) and CloudFormation (`DesiredCount`,
//! a `ScalableTarget`'s `MaxCapacity`).
//! Only counts the
//! files state count: compose's and Kubernetes' implicit one replica says nothing about
//! production.

mod compose;
mod ecs;
mod fly;
mod kubernetes;
mod nomad;

use compose::compose;
use ecs::{cloudformation_ecs, terraform_ecs};
use fly::fly;
use kubernetes::{helm_values, kubernetes};
use nomad::nomad;

use super::hcl;
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
        // The Terraform module this file belongs to: the `.tf` files of its directory, where its
        // variables are declared (often in variables.tf).
        let module: Vec<(std::path::PathBuf, hcl::Block)> =
            std::iter::once((rel.to_path_buf(), root.clone()))
                .chain(
                    files
                        .iter()
                        .filter(|f| {
                            !std::ptr::eq(**f, extra)
                                && f.kind == ExtraKind::Hcl
                                && f.path.parent() == extra.path.parent()
                                && f.path.extension().is_some_and(|e| e == "tf")
                        })
                        .map(|f| {
                            (
                                std::path::PathBuf::from(crate::engine::display_path(&f.path)),
                                hcl::parse(&f.text),
                            )
                        }),
                )
                .collect();
        terraform_ecs(&root, &module, &src, out);
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
