//! `instrument-all-args`: `#[instrument]` without `skip(..)`/`skip_all` on a function that
//! takes arguments: each call records every argument, most of them with Debug.

use super::{Rule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct InstrumentAllArgs;

static META: RuleMeta = RuleMeta {
    id: "instrument-all-args",
    family: "logs",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Maybe,
    summary: "#[instrument] recording every argument of the function with Debug",
    doc: include_str!("../../rules/docs/instrument-all-args.md"),
};

/// Types tracing records as values rather than with Debug (tracing-attributes
/// `RecordType::TYPES_FOR_VALUE`): cheap, fixed-size fields.
const VALUE_TYPES: &[&str] = &[
    "bool",
    "str",
    "u8",
    "i8",
    "u16",
    "i16",
    "u32",
    "i32",
    "u64",
    "i64",
    "u128",
    "i128",
    "f32",
    "f64",
    "usize",
    "isize",
    "String",
    "NonZeroU8",
    "NonZeroI8",
    "NonZeroU16",
    "NonZeroI16",
    "NonZeroU32",
    "NonZeroI32",
    "NonZeroU64",
    "NonZeroI64",
    "NonZeroUsize",
    "NonZeroIsize",
    "Uuid",
];

fn is_value_type(ty: &str) -> bool {
    let t: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t
        .trim_start_matches('&')
        .trim_start_matches("'static")
        .trim_start_matches("mut");
    let last = t.rsplit("::").next().unwrap_or(t);
    VALUE_TYPES.contains(&last)
}

fn has_word_call(args: &str, word: &str) -> bool {
    let compact: String = args.chars().filter(|c| !c.is_whitespace()).collect();
    compact.match_indices(word).any(|(i, _)| {
        let before_ok = i == 0
            || !compact[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &compact[i + word.len()..];
        before_ok && (after.is_empty() || after.starts_with('(') || after.starts_with(','))
    })
}

impl Rule for InstrumentAllArgs {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        super::log_interest(&["instrument"], false)
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !project.has_service() {
            return;
        }
        for f in &unit.facts.fns {
            if f.is_test || !project.runs_on_replicas(unit, f.body, f.span) {
                continue;
            }
            let Some(attr) = f.attrs.iter().find(|a| {
                a.path.last().is_some_and(|n| n == "instrument")
                    && match a.path.first().map(String::as_str) {
                        Some("tracing") | Some("tracing_attributes") => true,
                        Some("instrument") => project.uses_crate(unit, "tracing"),
                        _ => false,
                    }
            }) else {
                continue;
            };
            let args = attr.args.as_str();
            if has_word_call(args, "skip_all") || has_word_call(args, "skip") {
                continue;
            }
            let compact: String = args.chars().filter(|c| !c.is_whitespace()).collect();
            let lower = compact.to_ascii_lowercase();
            if ["debug", "trace"].iter().any(|l| {
                lower.contains(&format!("level=\"{l}\""))
                    || lower.contains(&format!("level=level::{l}"))
                    || lower.contains(&format!("level=tracing::level::{l}"))
            }) {
                // A debug/trace span records nothing at the usual info filter.
                continue;
            }
            let derived = request_derived_types(project);
            let mut payloads: Vec<(String, String, String)> = f
                .params
                .iter()
                .filter(|p| p.name != "_")
                .filter_map(|p| {
                    payload_kind(project, &derived, &p.name, &p.ty)
                        .map(|why| (p.name.clone(), p.ty.replace(' ', ""), why))
                })
                .collect();
            if f.has_self
                && let Some(self_ty) = impl_type(f)
                && let Some(why) = payload_kind(project, &derived, "self", self_ty)
            {
                payloads.push(("self".into(), self_ty.to_string(), why));
            }
            if payloads.is_empty() {
                // Ids, names, enums, short lists of values, small config values: what one
                // wants in a span. Unknown types stay quiet unless their name or origin says
                // request, body or payload.
                continue;
            }
            let fields_hint = fields_hint(project, f);
            let edit = if args.trim().is_empty() {
                // `#[instrument]` → `#[instrument(skip_all)]`
                Edit {
                    file: unit.id,
                    span: Span::new(attr.span.end - 1, attr.span.end - 1),
                    replacement: "(skip_all)".into(),
                }
            } else {
                // `#[instrument(err)]` → `#[instrument(err, skip_all)]`, before the closing `)]`.
                let sep = if compact.ends_with(',') { "" } else { ", " };
                Edit {
                    file: unit.id,
                    span: Span::new(attr.span.end - 2, attr.span.end - 2),
                    replacement: format!("{sep}skip_all"),
                }
            };
            out.push(
                Diagnostic::new(
                    META.id,
                    unit.id,
                    attr.span,
                    format!(
                        "`#[instrument]` on `{}` records {} with Debug on every call",
                        f.name,
                        payloads
                            .iter()
                            .map(|(n, _, _)| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .label(unit.id, f.ident_span, "each call opens a span with every argument as a field")
                .note(format!(
                    "recorded with Debug: {}",
                    payloads
                        .iter()
                        .map(|(n, t, why)| format!("`{n}: {t}` ({why})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .note("the span's fields are written with every event inside it and exported with the span, on every instance: a payload's size follows the traffic and it carries whatever the client sent; ids, names, enums and small values are not reported")
                .help(match &fields_hint {
                    Some(h) => format!("record only what identifies the call: `#[instrument(skip_all, {h})]`"),
                    None => "record only what identifies the call: `#[instrument(skip_all, fields(..))]` with the ids worth keeping".to_string(),
                })
                .fix(Fix::maybe(
                    match &fields_hint {
                        Some(h) => format!("add `skip_all` (then name the fields worth keeping, e.g. `{h}`)"),
                        None => "add `skip_all` (then name the fields worth keeping with `fields(..)`)".to_string(),
                    },
                    vec![edit],
                )),
            );
        }
    }
}

/// The type a method's `self` is: the impl type in the function's path.
fn impl_type(f: &crate::facts::FnFact) -> Option<&str> {
    (f.path.len() >= 2).then(|| f.path[f.path.len() - 2].as_str())
}

/// Types the workspace receives as a request body: the inner type of an extractor parameter
/// anywhere in the workspace (`NewOrder` in `Json<NewOrder>`).
fn request_derived_types(project: &Project) -> Vec<String> {
    let shapes = &project.catalog.payload;
    let mut out: Vec<String> = vec![];
    for u in &project.units {
        for f in &u.facts.fns {
            for p in &f.params {
                let t: String = p.ty.chars().filter(|c| !c.is_whitespace()).collect();
                let (base, args) = split_generic(strip_ref(&t));
                let is_extractor = shapes.iter().any(|s| {
                    s.extractor_types
                        .iter()
                        .any(|x| base == *x || base.ends_with(&format!("::{x}")))
                });
                if is_extractor && let Some(inner) = args.first() {
                    let (ib, _) = split_generic(strip_ref(inner));
                    let last = ib.rsplit("::").next().unwrap_or(ib);
                    if !last.is_empty() && !is_value_type(last) && !out.iter().any(|o| o == last) {
                        out.push(last.to_string());
                    }
                }
            }
        }
    }
    out
}

fn strip_ref(t: &str) -> &str {
    let mut t = t.trim();
    loop {
        let before = t;
        t = t.trim_start_matches('&');
        if let Some(rest) = t.strip_prefix('\'') {
            // a lifetime: `'a`, `'static`
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            t = &rest[end..];
        }
        t = t
            .strip_prefix("mut")
            .filter(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            .unwrap_or(t);
        t = t
            .strip_prefix("dyn")
            .filter(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            .unwrap_or(t);
        t = t
            .strip_prefix("impl")
            .filter(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            .unwrap_or(t);
        if t == before {
            return t;
        }
    }
}

/// `Vec<Foo>` → (`Vec`, [`Foo`]); `HashMap<K,V>` → (`HashMap`, [`K`, `V`]); lifetimes dropped.
fn split_generic(t: &str) -> (&str, Vec<&str>) {
    let Some(open) = t.find('<') else {
        return (t, vec![]);
    };
    let base = &t[..open];
    let inner = t[open + 1..].strip_suffix('>').unwrap_or(&t[open + 1..]);
    (
        base,
        split_top(inner, ',')
            .into_iter()
            .filter(|a| !a.starts_with('\'') && !a.is_empty())
            .collect(),
    )
}

/// Split at `sep` outside `<..>`, `(..)` and `[..]`.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = vec![];
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

const WRAPPERS: &[&str] = &["Option", "Box", "Arc", "Rc", "Cow", "Mutex", "RwLock"];
const LISTS: &[&str] = &[
    "Vec",
    "VecDeque",
    "HashSet",
    "BTreeSet",
    "IndexSet",
    "SmallVec",
    "LinkedList",
];
const MAPS: &[&str] = &["HashMap", "BTreeMap", "IndexMap", "DashMap"];
const BYTES: &[&str] = &["Bytes", "BytesMut"];
const PAYLOAD_SUFFIXES: &[&str] = &["Request", "Req", "Body", "Payload", "Multipart"];

/// Why an argument of this type is a payload, if it is one: an extractor, bytes, a
/// collection of records, a request-derived type, or a type or name that says request, body
/// or payload. None for values, ids, enums, short lists of values and unknown types.
fn payload_kind(project: &Project, derived: &[String], name: &str, ty: &str) -> Option<String> {
    let compact: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    match classify(project, derived, &compact, 0) {
        Class::Payload(why) => Some(why),
        Class::Value => None,
        // The signature gives the type: an argument named `req` of a type the code does not
        // show to be a request (`req: TimedAnnotationDelete`) is judged by its type.
        Class::Unknown => {
            let _ = name;
            None
        }
    }
}

enum Class {
    Value,
    Payload(String),
    Unknown,
}

fn classify(project: &Project, derived: &[String], ty: &str, depth: usize) -> Class {
    if depth > 8 {
        return Class::Unknown;
    }
    let t = strip_ref(ty);
    if let Some(inner) = t.strip_prefix('[') {
        // A slice or an array: a collection.
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        let elem = split_top(inner, ';')[0];
        return collection(project, derived, elem, depth);
    }
    if let Some(inner) = t.strip_prefix('(') {
        let inner = inner.strip_suffix(')').unwrap_or(inner);
        for e in split_top(inner, ',') {
            if e.is_empty() {
                continue;
            }
            if let Class::Payload(w) = classify(project, derived, e, depth + 1) {
                return Class::Payload(w);
            }
        }
        return Class::Value;
    }
    if is_value_type(t) {
        return Class::Value;
    }
    let (base, args) = split_generic(t);
    let last = base.rsplit("::").next().unwrap_or(base);
    if WRAPPERS.contains(&last) {
        return match args.first() {
            Some(a) => classify(project, derived, a, depth + 1),
            None => Class::Unknown,
        };
    }
    if BYTES.contains(&last) {
        return Class::Payload("bytes".into());
    }
    if LISTS.contains(&last) {
        return match args.first() {
            Some(a) => collection(project, derived, a, depth),
            None => Class::Unknown,
        };
    }
    if MAPS.contains(&last) {
        for a in &args {
            if let Class::Payload(_) | Class::Unknown = collection(project, derived, a, depth) {
                return Class::Payload("a map of records".into());
            }
        }
        return Class::Value;
    }
    let shapes = &project.catalog.payload;
    if shapes.iter().any(|s| {
        s.extractor_types
            .iter()
            .any(|x| base == *x || base.ends_with(&format!("::{x}")) || last == *x)
    }) {
        return Class::Payload(format!(
            "the `{last}` extractor: the request as the client sent it"
        ));
    }
    let derived_ty = derived.iter().any(|d| d == last);
    let named = PAYLOAD_SUFFIXES.iter().any(|s| last.ends_with(s));
    if (derived_ty || named) && small_struct(project, derived, last, depth) {
        // A request made of ids, names and short lists (`{ annotation_ids: Vec<String> }`) is
        // what identifies the call.
        return Class::Value;
    }
    if derived_ty {
        return Class::Payload(format!(
            "`{last}` is received whole as a request body elsewhere"
        ));
    }
    if named {
        return Class::Payload(format!("`{last}` is named like a request or body"));
    }
    Class::Unknown
}

/// Words of field names that hold secrets.
const SECRET_WORDS: &[&str] = &[
    "password", "secret", "token", "card", "cvv", "ssn", "key", "auth", "cookie",
];

/// Whether the workspace defines `ty` as a struct whose fields are all values, ids, enums the
/// code does not show to be payloads, or short lists of values, none named like a secret.
fn small_struct(project: &Project, derived: &[String], ty: &str, depth: usize) -> bool {
    let Some(s) = project
        .units
        .iter()
        .flat_map(|u| u.facts.structs.iter())
        .find(|s| s.name == ty)
    else {
        return false;
    };
    !s.fields.is_empty()
        && s.fields.iter().all(|f| {
            let lower = f.name.to_ascii_lowercase();
            let compact: String = f.ty.chars().filter(|c| !c.is_whitespace()).collect();
            !SECRET_WORDS.iter().any(|w| lower.contains(w))
                && matches!(
                    classify(project, derived, &compact, depth + 4),
                    Class::Value | Class::Unknown
                )
        })
}

/// A collection of `elem`: bytes for `u8`, a short list for values (ids, names), records
/// otherwise.
fn collection(project: &Project, derived: &[String], elem: &str, depth: usize) -> Class {
    let e = strip_ref(elem);
    if e == "u8" {
        return Class::Payload("bytes".into());
    }
    match classify(project, derived, e, depth + 1) {
        Class::Value => Class::Value,
        Class::Payload(w) => Class::Payload(format!("a collection: {w}")),
        Class::Unknown => Class::Payload(format!(
            "a collection of `{e}` records, as many as the caller passes"
        )),
    }
}

/// `fields(..)` naming only what exists: id-like parameters, or the id fields of a parameter
/// whose struct the workspace defines.
fn fields_hint(project: &Project, f: &crate::facts::FnFact) -> Option<String> {
    let ids: Vec<String> = f
        .params
        .iter()
        .filter(|p| (p.name == "id" || p.name.ends_with("_id")) && is_value_type(&p.ty))
        .map(|p| format!("{0} = %{0}", p.name))
        .collect();
    if !ids.is_empty() {
        return Some(format!("fields({})", ids.join(", ")));
    }
    for p in &f.params {
        let compact: String = p.ty.chars().filter(|c| !c.is_whitespace()).collect();
        let (base, args) = split_generic(strip_ref(&compact));
        let ty = match args.first() {
            Some(inner)
                if !base.is_empty()
                    && base.chars().next().is_some_and(char::is_uppercase)
                    && args.len() == 1 =>
            {
                split_generic(strip_ref(inner)).0
            }
            _ => base,
        };
        let ty = ty.rsplit("::").next().unwrap_or(ty);
        let Some(s) = project
            .units
            .iter()
            .flat_map(|u| u.facts.structs.iter())
            .find(|s| s.name == ty)
        else {
            continue;
        };
        if let Some(field) = s
            .fields
            .iter()
            .find(|x| (x.name == "id" || x.name.ends_with("_id")) && is_value_type(&x.ty))
        {
            return Some(format!("fields({0} = %{1}.{0})", field.name, p.name));
        }
    }
    None
}
