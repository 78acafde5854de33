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
            if f.is_test || !unit.is_service_region(f.body) {
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
            let debug_args: Vec<String> = f
                .params
                .iter()
                .filter(|p| p.name != "_" && !is_value_type(&p.ty))
                .map(|p| format!("`{}: {}`", p.name, p.ty.replace(" ", "")))
                .chain(f.has_self.then(|| "`self`".to_string()))
                .collect();
            if debug_args.is_empty() {
                continue;
            }
            let ids: Vec<&str> = f
                .params
                .iter()
                .map(|p| p.name.as_str())
                .filter(|n| *n == "id" || n.ends_with("_id"))
                .collect();
            let fields_hint = if ids.is_empty() {
                match f
                    .params
                    .iter()
                    .find(|p| p.name != "_" && !is_value_type(&p.ty))
                {
                    Some(p) => format!("fields({0}_id = %{0}.id)", p.name),
                    None => "fields(id = %self.id)".to_string(),
                }
            } else {
                format!(
                    "fields({})",
                    ids.iter()
                        .map(|n| format!("{n} = %{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
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
                        "`#[instrument]` on `{}` records every argument on every call, {} with Debug",
                        f.name,
                        if debug_args.len() == 1 {
                            "one".to_string()
                        } else {
                            format!("{}", debug_args.len())
                        }
                    ),
                )
                .label(unit.id, f.ident_span, "each call opens a span with all of these as fields")
                .note(format!("recorded with Debug: {}", debug_args.join(", ")))
                .note("the span's fields are written with every event inside it, on every instance: large or secret arguments land in the log store each time")
                .help(format!("record only what identifies the call: `#[instrument(skip_all, {fields_hint})]`"))
                .fix(Fix::maybe(
                    format!("add `skip_all` (then name the fields worth keeping, e.g. `{fields_hint}`)"),
                    vec![edit],
                )),
            );
        }
    }
}
