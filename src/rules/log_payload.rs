//! `log-payload`: an info-or-above event that formats a whole request, body, payload or
//! header map with Debug or Display. Its size grows with the traffic and it carries
//! whatever the client sent, secrets included.

use super::{Rule, RuleMeta};
use crate::analysis::log_macros::{Level, PlaceholderArg, events, format_parts, placeholders};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, FnFact, LetFact, MacroArg, RegionId, RegionKind, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct LogPayload;

static META: RuleMeta = RuleMeta {
    id: "log-payload",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "an event that logs a whole request, body, payload or header map",
    doc: include_str!("../../rules/docs/log-payload.md"),
};

/// Why a value is a whole payload: its name, its extractor type, or a method returning one.
struct Whole {
    shown: String,
    why: String,
    /// The type inside the extractor (`NewOrder` in `Json<NewOrder>`), to suggest fields.
    inner_ty: Option<String>,
    span: Span,
}

fn base_type(ty: &str) -> (String, Option<String>) {
    let t: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t
        .trim_start_matches('&')
        .trim_start_matches("mut")
        .to_string();
    let (base, rest) = t.split_once('<').unwrap_or((&t, ""));
    let inner = rest
        .trim_end_matches('>')
        .rsplit("::")
        .next()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(str::to_string);
    (base.to_string(), inner)
}

/// Where an event is: its region and span, to find the bindings in scope.
#[derive(Clone, Copy)]
struct At<'a> {
    facts: &'a FileFacts,
    region: RegionId,
    span: Span,
    how: &'static str,
}

/// The last `let` of `name` in scope at `at` (before it, not the `let` whose initializer holds
/// the event).
fn local_binding<'a>(at: &At<'a>, name: &str) -> Option<&'a LetFact> {
    let facts = at.facts;
    for (id, _) in facts.ancestors(at.region) {
        if let Some(l) = facts.lets.iter().rev().find(|l| {
            l.region == id
                && l.name == name
                && l.span.start < at.span.start
                && !l.span.contains(at.span)
        }) {
            return Some(l);
        }
        if matches!(facts.regions[id].kind, RegionKind::Fn(_)) {
            break;
        }
    }
    None
}

/// Whether a value is named like a response (`res`, `resp`, `response`, `upstream_response`):
/// its body is what another service answered, not what a client sent.
fn named_like_response(v: &Val) -> bool {
    let Val::Path { path, .. } = v else {
        return false;
    };
    let Some(n) = path.last() else { return false };
    let n = n.to_ascii_lowercase();
    ["res", "resp", "response"].contains(&n.as_str())
        || n.ends_with("_res")
        || n.ends_with("_resp")
        || n.ends_with("_response")
}

/// Whether the workspace implements `Display` for `ty`: its author chose what it prints.
fn own_display(project: &Project, ty: &str) -> bool {
    project.units.iter().any(|u| {
        u.facts.impls.iter().any(|i| {
            i.self_ty.split('<').next().map(str::trim) == Some(ty)
                && i.trait_path
                    .as_ref()
                    .and_then(|p| p.last())
                    .is_some_and(|t| t == "Display")
        })
    })
}

/// Whether an initializer is a whole payload moved or decoded (`payload`, `payload.clone()`,
/// `serde_json::from_str(&payload)?`, `req.headers().clone()`), and from what. A part of one
/// (`headers.get("user-agent")`, `form.account_id`) is not.
fn made_from_whole(
    project: &Project,
    f: Option<&FnFact>,
    init: &Val,
    depth: usize,
) -> Option<String> {
    let shapes = &project.catalog.payload;
    if depth > 4 {
        return None;
    }
    match init {
        Val::Path { path, .. } if path.len() == 1 => {
            let n = &path[0];
            let param_is_extractor = f
                .and_then(|f| f.params.iter().find(|p| &p.name == n))
                .is_some_and(|p| is_extractor(project, &base_type(&p.ty).0));
            (param_is_extractor || shapes.iter().any(|s| s.names.contains(n))).then(|| n.clone())
        }
        // Decoded: `serde_json::from_str(&payload)`, `deserialize_payload::<Event>(payload)`.
        // Any other call makes something else from it (a response from a request).
        Val::Call { args, .. }
            if init.call_path().and_then(|p| p.last()).is_some_and(|n| {
                let n = n.to_ascii_lowercase();
                [
                    "deserialize",
                    "from_str",
                    "from_slice",
                    "from_value",
                    "from_reader",
                    "from_utf8",
                    "from_bytes",
                    "decode",
                    "parse",
                ]
                .iter()
                .any(|d| n.contains(d))
            }) =>
        {
            args.iter()
                .find_map(|a| made_from_whole(project, f, a, depth + 1))
        }
        Val::Method {
            recv, name, args, ..
        } => {
            if args.is_empty()
                && shapes.iter().any(|s| s.methods.contains(name))
                && !named_like_response(recv)
            {
                return Some(format!("..{name}()"));
            }
            if [
                "clone",
                "to_owned",
                "into_inner",
                "as_ref",
                "unwrap",
                "expect",
                "borrow",
                "context",
                "with_context",
                "map_err",
                "ok_or",
                "ok_or_else",
                "into",
            ]
            .contains(&name.as_str())
            {
                return made_from_whole(project, f, recv, depth + 1);
            }
            None
        }
        _ => None,
    }
}

fn whole_payload(project: &Project, f: Option<&FnFact>, at: &At, v: &Val) -> Option<Whole> {
    let shapes = &project.catalog.payload;
    match v {
        Val::Path { path, span } if path.len() == 1 => {
            let name = &path[0];
            let binding_arm = |a: &&crate::facts::ArmFact| {
                a.body.contains(at.span)
                    && a.pat
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|t| t == name)
            };
            let arm = at
                .facts
                .matches
                .iter()
                .filter(|m| {
                    m.arms.iter().any(|a| {
                        a.body.contains(at.span)
                            && a.pat
                                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                                .any(|t| t == name)
                    })
                })
                .max_by_key(|m| m.span.start);
            let local = local_binding(at, name);
            if let Some(m) = arm
                && local.is_none_or(|l| l.span.start < m.span.start)
            {
                // `Ok(headers) => ..`: the name holds what the matched value gave; it is a
                // payload when that value is one decoded (`match from_str(&payload)`), and
                // `Err(e)` binds the error.
                if m.arms
                    .iter()
                    .filter(binding_arm)
                    .any(|a| a.pat.trim_start().starts_with("Err"))
                {
                    return None;
                }
                return made_from_whole(project, f, &m.scrutinee, 0).map(|src| Whole {
                    shown: name.clone(),
                    why: format!("matched out of `{src}`"),
                    inner_ty: None,
                    span: *span,
                });
            }
            if let Some(l) = local {
                // `let Req { streaming_id, .. } = request`: one field, named for what it is.
                if l.field_of_init {
                    return shapes
                        .iter()
                        .any(|s| s.names.contains(name))
                        .then(|| Whole {
                            shown: name.clone(),
                            why: "a payload field taken out of a struct".to_string(),
                            inner_ty: None,
                            span: *span,
                        });
                }
                // A local: what it holds comes from its initializer, not from its name. It is a
                // payload when it is made from one (`let payload = deserialize(&payload)?`).
                let from = made_from_whole(project, f, &l.init, 0);
                return from.map(|src| Whole {
                    shown: name.clone(),
                    why: format!("made from `{src}`"),
                    inner_ty: None,
                    span: *span,
                });
            }
            if let Some(p) = f.and_then(|f| f.params.iter().find(|p| &p.name == name)) {
                let (base, _) = base_type(&p.ty);
                let last = base.rsplit("::").next().unwrap_or(&base).to_string();
                if at.how == "Display" && own_display(project, &last) {
                    // `impl Display for CompleteUploadRequest` prints what its author chose.
                    return None;
                }
                let (base, inner) = base_type(&p.ty);
                let is_extractor = is_extractor(project, &base);
                // `Json(Req { id, .. })` binds a field of the payload, not the payload.
                let destructured = inner.as_deref().is_some_and(|t| {
                    project
                        .units
                        .iter()
                        .flat_map(|u| u.facts.structs.iter())
                        .any(|s| s.name == t && s.fields.iter().any(|f| &f.name == name))
                });
                if is_extractor && !destructured {
                    return Some(Whole {
                        shown: name.clone(),
                        why: format!("bound from the `{base}` extractor"),
                        inner_ty: inner,
                        span: *span,
                    });
                }
            }
            if shapes.iter().any(|s| s.names.contains(name)) {
                return Some(Whole {
                    shown: name.clone(),
                    why: "named like a whole request or body".into(),
                    inner_ty: None,
                    span: *span,
                });
            }
            None
        }
        Val::Method {
            recv,
            name,
            args,
            span,
            ..
        } if args.is_empty()
            && shapes.iter().any(|s| s.methods.contains(name))
            && !named_like_response(recv) =>
        {
            let base = match &**recv {
                Val::Path { path, .. } => path.join("::"),
                _ => "..".into(),
            };
            Some(Whole {
                shown: format!("{base}.{name}()"),
                why: format!("every {} of the request", name.trim_end_matches('s')),
                inner_ty: None,
                span: *span,
            })
        }
        _ => None,
    }
}

fn is_extractor(project: &Project, base: &str) -> bool {
    project.catalog.payload.iter().any(|s| {
        s.extractor_types
            .iter()
            .any(|t| base == t || base.ends_with(&format!("::{t}")))
    })
}

/// Field names worth logging from a struct: identifiers first, never likely secrets.
fn identifying_fields(project: &Project, ty: &str) -> Vec<String> {
    let Some(s) = project.struct_named(ty) else {
        return vec![];
    };
    let safe: Vec<&str> = s
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !crate::analysis::log_macros::names_a_secret(n))
        .collect();
    let ids: Vec<String> = safe
        .iter()
        .filter(|n| **n == "id" || n.ends_with("_id"))
        .map(|n| n.to_string())
        .collect();
    if !ids.is_empty() {
        return ids.into_iter().take(2).collect();
    }
    safe.into_iter().take(1).map(str::to_string).collect()
}

impl Rule for LogPayload {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(super::LOG_EVENT_WORDS, true)
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        for ev in events(project, unit) {
            if ev.level < Level::Info {
                continue;
            }
            let f = unit.facts.enclosing_fn(ev.mac.region);
            // (value, how it is formatted)
            let mut formatted: Vec<(&Val, &'static str)> = vec![];
            let mut implicit: Vec<(String, &'static str)> = vec![];
            if let Some((fmt, _, rest)) = format_parts(ev.mac) {
                let positional: Vec<&Val> = rest
                    .iter()
                    .filter_map(|a| match a {
                        MacroArg::Expr(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                for ph in placeholders(fmt) {
                    let how = if ph.debug { "Debug" } else { "Display" };
                    match ph.arg {
                        PlaceholderArg::Index(i) => {
                            if let Some(v) = positional.get(i) {
                                formatted.push((v, how));
                            }
                        }
                        PlaceholderArg::Name(n) => {
                            let named = rest.iter().find_map(|a| match a {
                                MacroArg::Field {
                                    name: Some(name),
                                    value,
                                    ..
                                } if *name == n => Some(value),
                                _ => None,
                            });
                            match named {
                                Some(v) => formatted.push((v, how)),
                                None => implicit.push((n, how)),
                            }
                        }
                    }
                }
            }
            for a in &ev.mac.args {
                if let MacroArg::Field {
                    sigil: Some(s),
                    value,
                    ..
                } = a
                {
                    formatted.push((value, if *s == '?' { "Debug" } else { "Display" }));
                }
            }
            let mut hits: Vec<(Whole, &str)> = formatted
                .into_iter()
                .filter_map(|(v, how)| {
                    let at = At {
                        facts: &unit.facts,
                        region: ev.mac.region,
                        span: ev.mac.span,
                        how,
                    };
                    whole_payload(project, f, &at, v).map(|w| (w, how))
                })
                .collect();
            for (name, how) in implicit {
                let v = Val::Path {
                    path: vec![name],
                    span: ev.mac.span,
                };
                let at = At {
                    facts: &unit.facts,
                    region: ev.mac.region,
                    span: ev.mac.span,
                    how,
                };
                if let Some(w) = whole_payload(project, f, &at, &v) {
                    hits.push((w, how));
                }
            }
            let Some((whole, how)) = hits.into_iter().next() else {
                continue;
            };
            let fields = whole
                .inner_ty
                .as_deref()
                .map(|t| identifying_fields(project, t))
                .unwrap_or_default();
            let fam = ev.family.name.as_str();
            let level = ev.level.name();
            let is_request = matches!(whole.shown.as_str(), "req" | "request");
            let snippet = match (fam, fields.is_empty()) {
                // `log` has no `name = ?value` fields: format the identifying parts.
                ("log", true) if is_request => format!(
                    "log::{level}!(\"{{}} {{}}\", {0}.method(), {0}.uri()); // not the whole `{0}`",
                    whole.shown
                ),
                ("log", true) => format!(
                    "log::{level}!(\"request {{}}\", request_id); // the fields that identify the request, not `{}`",
                    whole.shown
                ),
                ("log", false) => {
                    let shown: Vec<String> = fields.iter().map(|f| format!("{f}={{:?}}")).collect();
                    let args: Vec<String> = fields
                        .iter()
                        .map(|f| format!("{}.{f}", whole.shown))
                        .collect();
                    format!(
                        "log::{level}!(\"{}\", {});",
                        shown.join(" "),
                        args.join(", ")
                    )
                }
                (_, true) if whole.shown.contains("header") => format!(
                    "{fam}::{level}!(user_agent = ?{0}.get(\"user-agent\"), \"..\"); // one header, not all of `{0}`",
                    whole.shown
                ),
                (_, true) if is_request => format!(
                    "{fam}::{level}!(method = %{0}.method(), uri = %{0}.uri(), \"..\"); // not the whole `{0}`",
                    whole.shown
                ),
                (_, true) => format!(
                    "{fam}::{level}!(request_id = %request_id, \"..\"); // the fields that identify the request, not `{}`",
                    whole.shown
                ),
                (_, false) => {
                    let list: Vec<String> = fields
                        .iter()
                        .map(|f| format!("{f} = ?{}.{f}", whole.shown))
                        .collect();
                    format!("{fam}::{level}!({}, \"..\");", list.join(", "))
                }
            };
            out.push(
                Diagnostic::new(
                    META.id,
                    unit.id,
                    ev.mac.span,
                    format!(
                        "`{}` logs the whole of `{}` with {how} at {level} level: every field of every request, secrets included, on every instance",
                        ev.shown(),
                        whole.shown
                    ),
                )
                .label(unit.id, whole.span, format!("`{}` is {}", whole.shown, whole.why))
                .note("a whole payload grows with the traffic and with the client's input; at N instances the log store receives all of it N-fold, and whatever secrets it carries")
                .fix(Fix::manual(snippet)),
            );
        }
    }
}
