//! ECS services, in Terraform (`aws_ecs_service`, `aws_appautoscaling_target`) and in
//! CloudFormation (`AWS::ECS::Service`, a `ScalableTarget`).

use super::{DeployUnit, image_name, program_names};
use crate::deploy::hcl::{self, Block};
use crate::deploy::yaml::{self, Node};
use crate::deploy::{Source, norm};

/// Terraform `resource "aws_ecs_service"` with a literal `desired_count`; an
/// `aws_appautoscaling_target` whose `resource_id` names the service gives the worst case
/// (`max_capacity`). Matched by the resource's label, its `name`, and the container names,
/// images and commands of the `aws_ecs_task_definition` it references. A count written as
/// `var.NAME` reads as the literal `default` of `variable "NAME"` in `module` (the `.tf` files of
/// the same directory, with their paths as shown), pointed at where that default is written, and
/// the note says a `.tfvars` file or `-var` may set another; any other expression reads as nothing.
pub(super) fn terraform_ecs(
    root: &Block,
    module: &[(std::path::PathBuf, Block)],
    src: &dyn Fn(usize, &str) -> Source,
    out: &mut Vec<DeployUnit>,
) {
    let resources: Vec<&Block> = root.children("resource").collect();
    let of_type = |ty: &'static str| {
        resources
            .iter()
            .copied()
            .filter(move |r| r.labels.first().is_some_and(|l| l == ty))
    };
    // A literal count where it is written, or a variable's literal default with the line of its
    // `default` in the file that declares it.
    let count = |a: &hcl::Attr| -> Option<(u64, Source)> {
        if let Some(n) = a.u64() {
            return Some((n, src(a.line, "")));
        }
        let var = a.raw.trim().strip_prefix("var.")?;
        if !var
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        module.iter().find_map(|(file, b)| {
            let d = b
                .children("variable")
                .find(|v| v.labels.first().is_some_and(|l| l == var))?
                .attr("default")?;
            Some((
                d.u64()?,
                Source {
                    file: file.clone(),
                    line: d.line,
                    what: format!(
                        " (the default of variable {var}; a .tfvars file or -var may set another)"
                    ),
                },
            ))
        })
    };
    let with = |(n, at): (u64, Source), what: String| {
        let what = format!("{what}{}", at.what);
        (n, Source { what, ..at })
    };
    for svc in of_type("aws_ecs_service") {
        let label = svc.labels.get(1).map(String::as_str).unwrap_or("");
        let name = svc.attr("name").and_then(|n| n.str()).unwrap_or(label);
        let desired = svc.attr("desired_count").and_then(count);
        let scaler = of_type("aws_appautoscaling_target").find_map(|t| {
            let id = t.attr("resource_id")?;
            let names_it = id.raw.contains(&format!("aws_ecs_service.{label}."))
                || id.str().is_some_and(|s| s.ends_with(&format!("/{name}")));
            if !names_it {
                return None;
            }
            count(t.attr("max_capacity")?)
        });
        let (instances, source) = match (scaler, desired) {
            (Some(m), d) => {
                let what = match d {
                    Some((d, at)) => format!(
                        "aws_appautoscaling_target max_capacity for ECS service {name}, the worst case; its desired_count is {d}{}",
                        at.what
                    ),
                    None => format!(
                        "aws_appautoscaling_target max_capacity for ECS service {name}, the worst case"
                    ),
                };
                with(m, what)
            }
            (None, Some(d)) => with(d, format!("ECS service {name} desired_count")),
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
pub(super) fn container_names(raw: &str) -> Vec<String> {
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
pub(super) fn cloudformation_ecs(
    doc: &Node,
    src: &dyn Fn(usize, &str) -> Source,
    out: &mut Vec<DeployUnit>,
) {
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
pub(super) fn node_text(n: &Node) -> String {
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
