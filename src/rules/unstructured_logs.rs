//! `unstructured-logs`: a service installs a human-format subscriber or logger and no
//! structured one. Lines from N instances interleave in one store and cannot be queried by field.

use super::{Rule, RuleMeta};
use crate::catalog::{LogInstaller, segments};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::facts::{FileFacts, Val, ends_with};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct UnstructuredLogs;

static META: RuleMeta = RuleMeta {
    id: "unstructured-logs",
    family: "logs",
    default_severity: Severity::Note,
    fix: crate::diagnostic::Applicability::Machine,
    summary: "a service that logs in a human format only, which a log store cannot query by field",
    doc: include_str!("../../rules/docs/unstructured-logs.md"),
};

/// Every chain of `v` that is not itself the receiver of a method: `v`, the arguments of its
/// links, the arguments of its root call, recursively.
fn each_chain<'a>(v: &'a Val, f: &mut dyn FnMut(&'a Val)) {
    f(v);
    let (root, links) = v.chain();
    for l in links {
        for a in l.args() {
            each_chain(a, f);
        }
    }
    match root {
        Val::Call { args, .. } => args.iter().for_each(|a| each_chain(a, f)),
        Val::Field { base, .. } => each_chain(base, f),
        Val::Body {
            tail: Some(tail), ..
        } => each_chain(tail, f),
        _ => {}
    }
}

enum Kind {
    /// A builder or layer whose chain picks the format.
    Chain,
    /// One call that installs the human format.
    Init,
}

fn installer_of<'c>(
    project: &'c Project,
    unit: &Unit,
    root: &Val,
) -> Option<(&'c LogInstaller, Kind, bool)> {
    let path = root.call_path()?;
    for inst in &project.catalog.log_installer {
        let named = inst.crates.contains(&path[0])
            || inst.crates.iter().any(|c| project.uses_crate(unit, c));
        if !named {
            continue;
        }
        let m = |list: &[String]| list.iter().any(|s| ends_with(path, &segments(s)));
        if m(&inst.calls) {
            return Some((inst, Kind::Chain, false));
        }
        if m(&inst.layer_calls) {
            return Some((inst, Kind::Chain, true));
        }
        if m(&inst.inits) {
            return Some((inst, Kind::Init, false));
        }
    }
    None
}

/// Whether the installer at `span` is one of several the code picks from at run time: another
/// installer in the same function, with a branch (a `match` arm, an `if`'s block) holding one
/// of the two and not the other (`match format { Json => .., Pretty => .. }`, `if .. else`).
fn chosen_at_run_time(facts: &FileFacts, span: Span, others: impl Iterator<Item = Span>) -> bool {
    let fn_of = |s: Span| {
        facts
            .fns
            .iter()
            .filter(|f| f.span.contains(s))
            .min_by_key(|f| f.span.end - f.span.start)
            .map(|f| f.span)
    };
    let Some(home) = fn_of(span) else {
        return false;
    };
    let branches: Vec<Span> = facts
        .arms
        .iter()
        .map(|a| a.body)
        .chain(facts.gates.iter().map(|g| g.body))
        .filter(|b| home.contains(*b))
        .collect();
    others
        .filter(|o| *o != span && fn_of(*o) == Some(home))
        .any(|o| branches.iter().any(|b| b.contains(span) != b.contains(o)))
}

/// Whether a chain's links make it structured: `.json()` on the chain, or a JSON format passed
/// to it (`.event_format(fmt::format().json())`, `.fmt_fields(JsonFields::new())`).
fn is_structured(
    inst: &LogInstaller,
    links: &[&Val],
    facts: &FileFacts,
    region: crate::facts::RegionId,
) -> bool {
    let json = |n: &str| inst.structured_methods.iter().any(|s| s == n);
    links.iter().any(|l| {
        l.method_name().is_some_and(json)
            || l.args().iter().any(|a| {
                // A local passed in (`let fmt = fmt::format().json(); .event_format(fmt)`).
                let a = match a {
                    Val::Path { path, .. } if path.len() == 1 => {
                        facts.binding(&path[0], region).map_or(a, |l| &l.init)
                    }
                    _ => a,
                };
                let mut hit = false;
                a.walk(&mut |x| match x {
                    Val::Method { name, .. } if json(name) => hit = true,
                    Val::Path { path, .. } if path.last().is_some_and(|p| p == "JsonFields") => {
                        hit = true
                    }
                    _ => {
                        if x.call_path()
                            .and_then(|p| p.iter().rev().nth(1))
                            .is_some_and(|p| p == "JsonFields")
                        {
                            hit = true;
                        }
                    }
                });
                hit
            })
    })
}

/// Whether the unit switches some subscriber to JSON: `.json()` on an installer chain, or on
/// a variable bound to one (`let layer = fmt::layer(); .. layer.json()`).
fn unit_has_structured(project: &Project, unit: &Unit) -> bool {
    let facts: &FileFacts = &unit.facts;
    facts.calls.iter().any(|c| {
        let mut hit = false;
        each_chain(&c.val, &mut |v| {
            let (root, links) = v.chain();
            let root = match root {
                Val::Path { path, .. } if path.len() == 1 => facts
                    .binding(&path[0], c.region)
                    .map(|l| l.init.chain().0)
                    .unwrap_or(root),
                _ => root,
            };
            if let Some((inst, _, _)) = installer_of(project, unit, root)
                && is_structured(inst, &links, facts, c.region)
            {
                hit = true;
            }
        });
        hit
    })
}

impl Rule for UnstructuredLogs {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(
            &[
                "fmt",
                "env_logger",
                "simple_logger",
                "json",
                "Json",
                "subscriber",
            ],
            false,
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        if !project.is_service_crate(unit) || !unit.is_service_source() {
            return;
        }
        type Site<'a> = (Span, String, &'a LogInstaller, Kind, bool, Vec<&'a Val>);
        let mut sites: Vec<Site> = vec![];
        for c in &unit.facts.calls {
            if !project.runs_on_replicas(unit, c.region, c.val.span()) {
                continue;
            }
            each_chain(&c.val, &mut |v| {
                let (root, links) = v.chain();
                let for_tests = links
                    .iter()
                    .any(|l| l.method_name() == Some("with_test_writer"));
                if let Some((inst, kind, layer)) = installer_of(project, unit, root)
                    && !is_structured(inst, &links, &unit.facts, c.region)
                    && !for_tests
                {
                    let path = root.call_path().map(|p| p.as_slice()).unwrap_or_default();
                    let shown = format!("{}()", path[path.len().saturating_sub(2)..].join("::"));
                    sites.push((root.span(), shown, inst, kind, layer, links));
                }
            });
        }
        if sites.is_empty() {
            return;
        }
        // Silent when the crate already logs structured somewhere (by config or environment).
        let krate = unit.krate;
        let structured_crate = project
            .catalog
            .structured_logs
            .iter()
            .flat_map(|s| s.crates.iter())
            .any(|c| project.uses_crate(unit, c));
        if structured_crate
            || project
                .units
                .iter()
                .filter(|u| u.krate == krate)
                .any(|u| unit_has_structured(project, u))
        {
            return;
        }
        let chosen: Vec<bool> = sites
            .iter()
            .map(|site| chosen_at_run_time(&unit.facts, site.0, sites.iter().map(|s| s.0)))
            .collect();
        for ((span, shown, inst, kind, layer, links), chosen) in sites.into_iter().zip(chosen) {
            let what = if layer {
                "a human-format layer"
            } else {
                "a human-format logger"
            };
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                span,
                format!(
                    "`{}` installs {what} and no structured one: lines from N instances cannot be queried by field in a log store",
                    shown
                ),
            )
            .note("a log store (Loki, Elasticsearch, CloudWatch) indexes fields of structured lines; free text from many instances can only be grepped");
            let feature_ok = inst.json_feature.as_ref().is_some_and(|f| {
                project
                    .crate_of(unit)
                    .features_of(&inst.library)
                    .is_some_and(|fs| fs.contains(f))
            });
            // Each template requires the library's JSON feature (without it `.json()` does not
            // exist: E0599) and a subscriber that is the crate's only one: a format chosen at run
            // time (`match format { .. }`) is the operator's choice, and no edit rewrites a branch.
            let fix = match (&kind, inst.json_feature.as_deref()) {
                _ if chosen => {
                    d = d.note("the format is chosen at run time (another subscriber is installed in another branch): a setting chooses, so no edit rewrites a branch");
                    Fix::manual(
                        "offer a JSON format as a choice, and make it the default where the setting's default is written",
                    )
                }
                (Kind::Chain, Some(feature)) => {
                    let human = links.iter().find_map(|l| match l {
                        Val::Method {
                            name, name_span, ..
                        } if inst.human_methods.contains(name) => Some((name.clone(), *name_span)),
                        _ => None,
                    });
                    let other_format = links.iter().any(|l| {
                        l.method_name()
                            .is_some_and(|n| n == "event_format" || n == "fmt_fields")
                    });
                    if other_format {
                        Fix::manual(format!(
                            "use the JSON format in place of the custom one: `.json()` (the `{feature}` feature of {})",
                            inst.library.replace('_', "-")
                        ))
                    } else {
                        let (desc, edit) = match human {
                            Some((name, name_span)) => (
                                format!("replace `.{name}()` with `.json()`"),
                                Edit {
                                    file: unit.id,
                                    span: name_span,
                                    replacement: "json".into(),
                                },
                            ),
                            None => (
                                "add `.json()` to the builder chain".to_string(),
                                Edit {
                                    file: unit.id,
                                    span: Span::new(span.end, span.end),
                                    replacement: ".json()".into(),
                                },
                            ),
                        };
                        if feature_ok {
                            Fix::machine(desc, vec![edit])
                        } else {
                            // Requires: the `json` feature. Without it `.json()` does not
                            // compile (E0599), so no edit is offered; the snippet names it.
                            d = d.note(format!(
                                "`.json()` needs the `{feature}` feature of {}, which this crate does not enable: without it the method does not exist",
                                inst.library.replace('_', "-")
                            ));
                            Fix::manual(format!(
                                "{desc}, after enabling the feature in Cargo.toml:\n    {} = {{ version = \"0.3\", features = [\"{feature}\"] }}",
                                inst.library.replace('_', "-")
                            ))
                        }
                    }
                }
                (Kind::Init, Some(feature)) if !feature_ok => Fix::manual(format!(
                    "install the JSON format: `tracing_subscriber::fmt().json().init()`, after enabling the `{feature}` feature in Cargo.toml:\n    {} = {{ version = \"0.3\", features = [\"{feature}\"] }}",
                    inst.library.replace('_', "-")
                )),
                (Kind::Init, Some(feature)) => Fix::maybe(
                    format!(
                        "install the JSON format: `tracing_subscriber::fmt().json().init()` (the `{feature}` feature)"
                    ),
                    vec![Edit {
                        file: unit.id,
                        span,
                        replacement: "tracing_subscriber::fmt().json().init()".into(),
                    }],
                ),
                (_, None) => Fix::manual(format!(
                    "{} has no JSON output; log through tracing and install\n    tracing_subscriber::fmt().json().with_env_filter(EnvFilter::from_default_env()).init();\n(with tracing-log's LogTracer for `log` records), or use a JSON logger such as json_env_logger",
                    inst.name
                )),
            };
            out.push(d.fix(fix));
        }
    }
}
