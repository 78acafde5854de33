//! The type of a method call's receiver, where the syntax shows it: `self` in a method of an
//! `impl`, a local bound by `Type::new(..)` or a struct literal, a parameter's written type, or the
//! receiver built in place (`Type::default().build()`). A method call links to a method of the
//! workspace by this type; by its name alone only when no other method of the workspace has it.

use crate::facts::{FileFacts, RegionId, Val};

/// Associated functions that return their own type (or a `Result` of it, with `?`); a parsed
/// command line (`Cli::parse()`) too.
fn constructor(name: &str) -> bool {
    matches!(
        name,
        "new" | "default" | "from" | "try_new" | "try_from" | "parse" | "try_parse"
    ) || name.starts_with("with_")
        || name.starts_with("from_")
        || name.starts_with("new_")
}

fn is_type_name(seg: &str) -> bool {
    seg.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The type named by a parameter's written type (`&mut Config`, `Arc<State>` is not followed,
/// `web::Data<Pool>` neither): the last segment of its head path, when it is a plain type.
fn written_type(ty: &str) -> Option<String> {
    let mut t = ty.trim();
    loop {
        let before = t;
        t = t.trim_start_matches('&').trim_start();
        if let Some(rest) = t.strip_prefix('\'') {
            t = rest
                .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
                .trim_start();
        }
        if let Some(rest) = t.strip_prefix("mut ") {
            t = rest.trim_start();
        }
        if t == before {
            break;
        }
    }
    if t.starts_with("impl ") || t.starts_with("dyn ") || t.contains('<') {
        return None;
    }
    let last = t.rsplit("::").next()?.trim();
    (is_type_name(last) && last.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| last.to_string())
}

/// The type of `recv` in `region`, when the syntax shows it; `Self` is the enclosing impl's type.
pub fn type_of(facts: &FileFacts, region: RegionId, recv: &Val) -> Option<String> {
    type_at(facts, region, recv, 0)
}

fn type_at(facts: &FileFacts, region: RegionId, recv: &Val, depth: usize) -> Option<String> {
    if depth > 4 {
        return None;
    }
    let self_ty = || {
        facts
            .enclosing_fn(region)
            .filter(|f| f.is_method && f.path.len() >= 2)
            .map(|f| f.path[f.path.len() - 2].clone())
    };
    let ty = match recv {
        Val::Path { path, .. } if path.len() == 1 => {
            let name = &path[0];
            if name == "self" {
                return self_ty();
            }
            if let Some(l) = facts.binding(name, region) {
                return type_at(facts, l.region, &l.init, depth + 1);
            }
            let p = facts
                .enclosing_fn(region)?
                .params
                .iter()
                .find(|p| &p.name == name)?;
            written_type(&p.ty)?
        }
        Val::Call { func, .. } => match &**func {
            Val::Path { path, .. }
                if path.len() >= 2
                    && is_type_name(&path[path.len() - 2])
                    && constructor(&path[path.len() - 1]) =>
            {
                path[path.len() - 2].clone()
            }
            _ => return None,
        },
        Val::Struct { path, .. } => path.last()?.clone(),
        _ => return None,
    };
    if ty == "Self" { self_ty() } else { Some(ty) }
}

#[cfg(test)]
mod tests {
    use super::written_type;

    #[test]
    fn written_types() {
        assert_eq!(written_type("& mut Config").as_deref(), Some("Config"));
        assert_eq!(
            written_type("&'a crate :: db :: Store").as_deref(),
            Some("Store")
        );
        assert_eq!(written_type("Arc < State >"), None);
        assert_eq!(written_type("impl Fn ()"), None);
        assert_eq!(written_type("u32"), None);
    }
}
