//! Following a value to where it is written: a literal, a local, a `const` or `static`,
//! a function's result (serde `default = "fn"`), or the default of an environment variable.

use crate::diagnostic::FileId;
use crate::facts::{RegionId, Val, ends_with};
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
            // `std::cmp::max(settings.pool_size, 2)`: a floor; the size is the larger value.
            if name == "max"
                && args.len() == 2
                && (path.len() == 1 || ends_with(path, &["cmp", "max"]))
            {
                let a = resolve(project, unit, &args[0], region, d);
                let b = resolve(project, unit, &args[1], region, d);
                return match (a, b) {
                    (Some(a), Some(b)) => Some(if b.value > a.value { b } else { a }),
                    (a, b) => a.or(b).filter(|w| !w.via.is_empty() || w.field.is_some()),
                };
            }
            if !args.is_empty() {
                return resolve_helper_default(project, unit, path, args, region, d);
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

/// A call to the project's own helper that falls back to one of its parameters
/// (`fn env<T: FromStr>(name: &str, default: T) -> T { var(name)...unwrap_or(default) }`):
/// the number is the argument passed for that parameter, where the call is written.
fn resolve_helper_default(
    project: &Project,
    unit: usize,
    path: &[String],
    args: &[Val],
    region: RegionId,
    depth: usize,
) -> Option<Written> {
    let facts = project.facts();
    for r in project.fn_index.resolve_path(&facts, unit, path) {
        let f = project.fn_fact(r);
        let Some(tail) = &f.tail else { continue };
        let mut param = None;
        tail.walk(&mut |v| {
            if let Val::Method { name, args: m, .. } = v
                && DEFAULTING.contains(&name.as_str())
                && let Some(Val::Path { path: p, .. }) = m.first()
                && p.len() == 1
            {
                param = f.params.iter().position(|x| x.name == p[0]).or(param);
            }
        });
        let Some(i) = param else { continue };
        // A method's `self` is not among the call's arguments.
        let Some(arg) = args.get(i) else { continue };
        let mut w = resolve(project, unit, arg, region, depth)?;
        let var = args
            .iter()
            .find_map(|a| a.as_str())
            .map(|v| format!(" for `{v}`"))
            .unwrap_or_default();
        w.via.insert(
            0,
            format!(
                "the default argument of the project's helper `{}`{var}",
                f.name
            ),
        );
        return Some(w);
    }
    None
}

/// The value given to field `field` in a struct literal of the workspace
/// (`DbConfig { max_pool_size: env("APP_MAX_POOL_SIZE", 90u32) }`), when it resolves to a number.
fn resolve_field_literal(project: &Project, field: &str, depth: usize) -> Option<Written> {
    for (u, unit) in project.units.iter().enumerate() {
        let facts = &unit.facts;
        let mut found: Option<Written> = None;
        let mut look = |v: &Val, region: RegionId| {
            if found.is_some() {
                return;
            }
            v.walk(&mut |x| {
                if found.is_none()
                    && let Val::Struct { path, fields, .. } = x
                    && let Some((_, value)) = fields.iter().find(|(n, _)| n == field)
                    && let Some(mut w) = resolve(project, u, value, region, depth)
                {
                    let ty = path.last().map_or("", String::as_str);
                    w.via.insert(0, format!("the field `{ty}::{field}`"));
                    found = Some(w);
                }
            });
        };
        for f in &facts.fns {
            if let Some(t) = &f.tail {
                look(t, f.body);
            }
        }
        for l in &facts.lets {
            look(&l.init, l.region);
        }
        for c in &facts.calls {
            look(&c.val, c.region);
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A struct field with `#[serde(default = "fn")]`: the number that function returns.
fn resolve_field_default(project: &Project, field: &str, depth: usize) -> Option<Written> {
    if let Some(w) = resolve_serde_default(project, field, depth) {
        return Some(w);
    }
    resolve_field_literal(project, field, depth)
}

fn resolve_serde_default(project: &Project, field: &str, depth: usize) -> Option<Written> {
    for unit in &project.units {
        for s in &unit.facts.structs {
            for f in s.fields.iter().filter(|f| f.name == field) {
                let u = project.unit_index(unit);
                if let Some(v) = &f.attr_default
                    && let Some(mut w) = resolve(project, u, v, 0, depth)
                {
                    w.via.insert(
                        0,
                        format!("the `#[default(..)]` of `{}::{}`", s.name, field),
                    );
                    w.field = Some(field.to_string());
                    return Some(w);
                }
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
