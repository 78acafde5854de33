//! Following a value to where it is written: a literal, a local, a `const` or `static`,
//! a function's result (serde `default = "fn"`), or the default of an environment variable.

use crate::diagnostic::FileId;
use crate::facts::{RegionId, Val};
use crate::project::Project;
use crate::source::Span;

/// A number found where it is written in source.
#[derive(Clone, Debug)]
pub struct Written {
    pub value: u128,
    pub file: FileId,
    /// The literal itself (`50`, `50u32` or `"50"`).
    pub span: Span,
    /// Type suffix of an integer literal, or `None` when the number is inside a string literal.
    pub int_suffix: Option<String>,
    /// How the number was reached, for the note: "the constant `MAX_CONNECTIONS`".
    pub via: Vec<String>,
    /// The struct field whose serde default this is: a config file may set it instead.
    pub field: Option<String>,
}

impl Written {
    /// The literal rewritten to hold `value`, in the same form.
    pub fn replacement(&self, value: u64) -> String {
        match &self.int_suffix {
            Some(suffix) => format!("{value}{suffix}"),
            None => format!("\"{value}\""),
        }
    }

    pub fn via_text(&self) -> String {
        if self.via.is_empty() {
            String::new()
        } else {
            format!(" (through {})", self.via.join(", then "))
        }
    }
}

const MAX_DEPTH: usize = 10;

/// Methods through which a number passes unchanged.
const TRANSPARENT: &[&str] = &[
    "parse",
    "into",
    "to_string",
    "to_owned",
    "unwrap",
    "expect",
    "try_into",
    "ok",
    "clone",
    "as_str",
    "trim",
    "unwrap_or_default",
    "context",
    "with_context",
    "map_err",
];
/// Methods whose argument is the default used when the receiver has no value.
const DEFAULTING: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "or",
    "or_else",
    "map_or",
    "map_or_else",
];

/// Finds the number `val` evaluates to, if it is written somewhere in the workspace.
pub fn resolve_int(project: &Project, unit: usize, val: &Val, region: RegionId) -> Option<Written> {
    resolve(project, unit, val, region, 0)
}

fn resolve(
    project: &Project,
    unit: usize,
    val: &Val,
    region: RegionId,
    depth: usize,
) -> Option<Written> {
    if depth > MAX_DEPTH {
        return None;
    }
    let d = depth + 1;
    let file = project.units[unit].id;
    match val {
        Val::Int {
            value,
            suffix,
            span,
        } => Some(Written {
            value: *value,
            file,
            span: *span,
            int_suffix: Some(suffix.clone()),
            via: vec![],
            field: None,
        }),
        Val::Str { value, span } => value.trim().parse::<u128>().ok().map(|value| Written {
            value,
            file,
            span: *span,
            int_suffix: None,
            via: vec![],
            field: None,
        }),
        Val::Method {
            recv, name, args, ..
        } if DEFAULTING.contains(&name.as_str()) => {
            let default = args.first()?;
            let mut w = resolve(project, unit, default, region, d)
                .or_else(|| resolve(project, unit, recv, region, d))?;
            if let Some(var) = env_var_name(recv) {
                w.via.insert(
                    0,
                    format!("the default of the environment variable `{var}`"),
                );
            }
            Some(w)
        }
        Val::Method { recv, name, .. } if TRANSPARENT.contains(&name.as_str()) => {
            resolve(project, unit, recv, region, d)
        }
        Val::Body {
            tail: Some(tail), ..
        } => resolve(project, unit, tail, region, d),
        Val::Call { func, args, .. } => {
            let Val::Path { path, .. } = &**func else {
                return None;
            };
            let name = path.last()?.as_str();
            if matches!(name, "Some" | "Ok" | "from" | "new" | "into") && args.len() == 1 {
                return resolve(project, unit, &args[0], region, d);
            }
            if !args.is_empty() {
                return None;
            }
            let facts = project.facts();
            for r in project.fn_index.resolve_path(&facts, unit, path) {
                let f = project.fn_fact(r);
                if let Some(tail) = &f.tail
                    && let Some(mut w) = resolve(project, r.file, tail, f.body, d)
                {
                    w.via.insert(0, format!("the function `{}`", f.name));
                    return Some(w);
                }
            }
            None
        }
        Val::Path { path, .. } => {
            let name = path.last()?;
            if path.len() == 1
                && let Some(binding) = project.units[unit].facts.binding(name, region)
                && binding.init.span() != val.span()
            {
                return resolve(project, unit, &binding.init.clone(), binding.region, d);
            }
            resolve_const(project, unit, name, d)
        }
        Val::Field { name, .. } => resolve_field_default(project, name, d),
        _ => None,
    }
}

fn resolve_const(project: &Project, unit: usize, name: &str, depth: usize) -> Option<Written> {
    // The same file first, then any file of the workspace.
    let order = std::iter::once(unit).chain((0..project.units.len()).filter(|&u| u != unit));
    for u in order {
        if let Some(c) = project.units[u]
            .facts
            .consts
            .iter()
            .find(|c| c.name == name)
        {
            let mut w = resolve(project, u, &c.value, 0, depth)?;
            w.via.insert(0, format!("the constant `{name}`"));
            return Some(w);
        }
    }
    None
}

/// A struct field with `#[serde(default = "fn")]`: the number that function returns.
fn resolve_field_default(project: &Project, field: &str, depth: usize) -> Option<Written> {
    for unit in &project.units {
        for s in &unit.facts.structs {
            for f in s.fields.iter().filter(|f| f.name == field) {
                let Some(path) = &f.serde_default else {
                    continue;
                };
                let Some(fn_name) = path.last() else { continue };
                let u = project.unit_index(unit);
                let call = Val::Call {
                    func: Box::new(Val::Path {
                        path: vec![fn_name.clone()],
                        span: f.span,
                    }),
                    args: vec![],
                    span: f.span,
                };
                if let Some(mut w) = resolve(project, u, &call, 0, depth) {
                    w.via
                        .insert(0, format!("the serde default of `{}::{}`", s.name, field));
                    w.field = Some(field.to_string());
                    return Some(w);
                }
            }
        }
    }
    None
}

/// The name of the environment variable a chain reads, if it reads one: `env::var("X")`.
pub fn env_var_name(val: &Val) -> Option<String> {
    let mut found = None;
    val.walk(&mut |v| {
        if found.is_some() {
            return;
        }
        if let Some(path) = v.call_path() {
            let last = path.last().map(String::as_str);
            let env_like = path
                .iter()
                .any(|s| s == "env" || s == "dotenv" || s == "dotenvy");
            if matches!(last, Some("var" | "var_os")) && (env_like || path.len() == 1) {
                found = v
                    .args()
                    .first()
                    .and_then(|a| a.as_str())
                    .map(str::to_string);
            }
        }
    });
    found
}
