//! `local-file-storage`: an upload handler (axum `Multipart`, actix-multipart `MultipartForm` /
//! `TempFile`, rocket `TempFile`) that keeps the uploaded file on the instance's own disk. The
//! next request for it reaches another instance, which has no such file.

use super::{Rule, RuleMeta};
use crate::analysis::matchers::path_of_crate;
use crate::analysis::process_maps::request_handler;
use crate::analysis::state_sites::{checked, entries, in_dev_branch, instances_text};
use crate::catalog::StateEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, FnFact, RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct LocalFileStorage;

static META: RuleMeta = RuleMeta {
    id: "local-file-storage",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "an upload handler writes the file to the instance's own disk: other instances do not have it",
    doc: include_str!("../../rules/docs/local-file-storage.md"),
};

const SINGLE_HELP: &str = "if the directory is a volume every instance mounts, name it in `shared-paths` (scalelint.toml); \
     if the service runs as exactly one instance, name it in `single-instance`";

/// What marks a scratch file: a temporary directory or file the request consumes.
const SCRATCH: &[&str] = &[
    "temp_dir",
    "tempfile",
    "tempdir",
    "NamedTempFile",
    "TempDir",
    "tempfile_in",
];

/// The upload extractor a handler takes, as written: `Multipart`, `MultipartForm<Upload>`,
/// `TempFile<'_>`, or a form whose struct has a `TempFile` field.
fn upload_param<'a>(
    project: &'a Project,
    unit: &Unit,
    f: &FnFact,
) -> Option<(&'a StateEntry, String)> {
    let extractors: Vec<&StateEntry> = entries(project, META.id, "upload")
        .into_iter()
        .filter(|e| project.uses_any(unit, &e.crates))
        .collect();
    for p in &f.params {
        let words: Vec<&str> =
            p.ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
        for e in &extractors {
            if e.calls.iter().any(|c| words.contains(&c.as_str())) {
                return Some((e, p.ty.replace(' ', "")));
            }
            // A form struct with a file field: `Form<Upload<'_>>` with `file: TempFile<'r>`.
            for w in &words {
                if let Some(s) = project.struct_named(w)
                    && s.fields.iter().any(|fd| {
                        e.calls.iter().any(|c| {
                            fd.ty
                                .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                                .any(|t| t == c)
                        })
                    })
                {
                    return Some((e, p.ty.replace(' ', "")));
                }
            }
        }
    }
    None
}

/// A write to the local disk in the handler: `(what, span, the value naming the path)`.
struct Write<'a> {
    what: String,
    span: Span,
    region: RegionId,
    args: Vec<&'a Val>,
}

fn disk_writes<'a>(project: &Project, unit: &'a Unit, f: &FnFact) -> Vec<Write<'a>> {
    let facts = &unit.facts;
    let writers: Vec<&StateEntry> = entries(project, META.id, "file-write");
    let mut out = vec![];
    for call in facts.calls_within(f.body) {
        call.val.walk(&mut |v| match v {
            Val::Call { func, args, span } => {
                let Val::Path { path, .. } = &**func else {
                    return;
                };
                if let Some(c) = writers.iter().find_map(|e| {
                    e.calls
                        .iter()
                        .find(|c| path_of_crate(facts, path, c, &e.crates))
                }) {
                    out.push(Write {
                        what: c.clone(),
                        span: *span,
                        region: call.region,
                        args: args.iter().collect(),
                    });
                }
            }
            Val::Method {
                name, args, span, ..
            } => {
                if let Some(e) = writers
                    .iter()
                    .find(|e| e.methods.contains(name) && project.uses_any(unit, &e.crates))
                {
                    out.push(Write {
                        what: format!(".{name}(..) ({})", e.library),
                        span: *span,
                        region: call.region,
                        args: args.iter().collect(),
                    });
                }
            }
            _ => {}
        });
    }
    out
}

/// Every name and string a value is built from, following local bindings a few steps.
fn words_of(facts: &FileFacts, region: RegionId, val: &Val, depth: usize, out: &mut Vec<String>) {
    if depth > 3 {
        return;
    }
    val.walk(&mut |v| match v {
        Val::Str { value, .. } => {
            out.push(value.clone());
            // Names a format string captures: `format!("{dir}/{name}")`.
            for part in value.split('{').skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    let path = Val::Path {
                        path: vec![name],
                        span: val.span(),
                    };
                    words_of(facts, region, &path, depth + 1, out);
                }
            }
        }
        Val::Macro { span, .. } => {
            if let Some(m) = facts.macros.iter().find(|m| m.span == *span) {
                for a in &m.args {
                    match a {
                        crate::facts::MacroArg::Expr(v)
                        | crate::facts::MacroArg::Field { value: v, .. } => {
                            words_of(facts, region, v, depth + 1, out)
                        }
                        crate::facts::MacroArg::Unparsed { .. } => {}
                    }
                }
            }
        }
        Val::Field { name, .. } => out.push(name.clone()),
        Val::Method { name, .. } => out.push(name.clone()),
        Val::Path { path, .. } => {
            out.extend(path.iter().cloned());
            if path.len() == 1
                && let Some(l) = facts.binding(&path[0], region)
            {
                words_of(facts, l.region, &l.init, depth + 1, out);
            }
        }
        _ => {}
    });
}

/// Whether a shared-paths entry covers a word of the path: a prefix of a literal path, or the
/// name of the setting (its last segment) that holds the directory.
fn shared(entries: &[String], words: &[String]) -> Option<String> {
    entries.iter().find_map(|e| {
        let key = e.rsplit('.').next().unwrap_or(e);
        words
            .iter()
            .any(|w| {
                (e.contains('/') && w.starts_with(e.as_str()))
                    || (!e.contains('/') && (w == key || w == e))
            })
            .then(|| e.clone())
    })
}

impl Rule for LocalFileStorage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id && e.kind == "upload",
            &["Multipart", "TempFile"],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        for f in &facts.fns {
            if f.is_test || facts.in_test(f.body) || !request_handler(f) {
                continue;
            }
            let Some((extractor, param_ty)) = upload_param(project, unit, f) else {
                continue;
            };
            let writes = disk_writes(project, unit, f);
            // A file the request removes again is scratch space.
            let removes = facts.calls_within(f.body).any(|c| {
                let mut hit = false;
                c.val.walk(&mut |v| {
                    if v.call_path()
                        .and_then(|p| p.last())
                        .is_some_and(|l| l == "remove_file" || l == "remove_dir_all")
                    {
                        hit = true;
                    }
                });
                hit
            });
            if removes {
                continue;
            }
            for w in &writes {
                if !project.runs_on_replicas(unit, w.region, w.span) || in_dev_branch(facts, w.span)
                {
                    continue;
                }
                let mut words = vec![];
                for a in &w.args {
                    words_of(facts, w.region, a, 0, &mut words);
                }
                if words.iter().any(|x| {
                    SCRATCH.contains(&x.as_str()) || x.starts_with("/tmp") || x.starts_with("/dev/")
                }) {
                    continue;
                }
                if shared(&project.config.shared_paths, &words).is_some() {
                    continue;
                }
                let served = project.units.iter().find_map(|u| {
                    let e = entries(project, META.id, "serve-dir");
                    u.facts.calls.iter().find_map(|c| {
                        let mut hit = None;
                        c.val.walk(&mut |v| {
                            if hit.is_none()
                                && let Some(p) = v.call_path()
                                && e.iter().any(|e| {
                                    e.calls
                                        .iter()
                                        .any(|cl| path_of_crate(&u.facts, p, cl, &e.crates))
                                })
                            {
                                hit =
                                    Some((u, v.span(), p[p.len().saturating_sub(2)..].join("::")));
                            }
                        });
                        hit
                    })
                });
                let mut d = Diagnostic::new(
                    META.id,
                    unit.id,
                    w.span,
                    format!(
                        "the upload handler `{}` writes the file to this instance's disk: requests for it that reach another instance find nothing",
                        f.name
                    ),
                );
                if let Some(why) = project.roles().describe(project, unit, w.region) {
                    d = d.note(why);
                }
                d = d.note(format!(
                    "seen: `{}` takes `{param_ty}` ({}) and calls `{}` in the same function; the path is not under a temporary directory, not removed in the request, and not in `shared-paths`",
                    f.name, extractor.what, w.what
                ));
                if let Some((u, span, what)) = &served {
                    d = d.label(u.id, *span, format!("`{what}` serves a local directory: a file uploaded to one instance is missing on the others"));
                }
                d = d.note(format!(
                    "at {}: the upload reaches instance A and lands on A's disk; without sticky sessions a later download reaches A 1 time in N, the others answer 404, and a restart of a container without a volume loses the file",
                    instances_text(project, unit)
                ));
                out.push(d.help(SINGLE_HELP).fix(Fix::manual(extractor.fix.clone())));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shared;

    #[test]
    fn shared_paths() {
        let e = vec!["/mnt/uploads".to_string(), "storage.upload_dir".to_string()];
        assert!(shared(&e, &["/mnt/uploads/a.png".into()]).is_some());
        assert!(shared(&e, &["upload_dir".into()]).is_some());
        assert!(shared(&e, &["/var/data".into(), "dir".into()]).is_none());
    }
}
