//! docker compose files: `deploy.replicas`, `scale`, several services running one image, and
//! the `.env` compose substitutes.

use super::{DeployUnit, push_names};
use crate::deploy::yaml::{self, Node};
use crate::deploy::{Source, norm};
use crate::project::Extra;
use crate::workspace::ExtraKind;
use std::path::Path;

/// The variables compose substitutes: the shell's are unknown here; a `.env` beside the file.
pub(super) fn compose_env<'a>(
    extra: &Extra,
    files: &'a [&'a Extra],
) -> impl Fn(&str) -> Option<String> + 'a {
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

pub(super) fn compose(
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
