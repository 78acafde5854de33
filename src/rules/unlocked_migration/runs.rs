//! Finding the calls that apply migrations.

use super::*;

pub(super) fn find_runs<'p>(project: &'p Project, unit: &Unit) -> Vec<Run<'p>> {
    let catalog = &project.catalog;
    let mut out = vec![];
    for call in &unit.facts.calls {
        let (root, links) = resolved_chain(project, unit, &call.val, call.region, 0);
        'runners: for runner in &catalog.migration_runner {
            let uses = project.uses_any(unit, &runner.crates);
            // Chains: a known root, then an applying method.
            if uses {
                for shape in &runner.chains {
                    if !root_matches(&root, &shape.root) {
                        continue;
                    }
                    if let Some(link) = links
                        .iter()
                        .find(|l| l.name.is_some_and(|n| shape.methods.iter().any(|m| m == n)))
                    {
                        let locking_off = locking_off(
                            project,
                            unit,
                            runner,
                            &call.val,
                            &root,
                            &links,
                            call.region,
                        );
                        out.push(Run {
                            runner,
                            span: link.span,
                            region: call.region,
                            locking_off,
                            recv: recv_text(&call.val),
                            method: link.name.unwrap_or("run").to_string(),
                            arg: link.arg.clone(),
                            call: Span::new(chain_root_span(&call.val).start, link.span.end),
                            recv_span: recv_span(&call.val),
                            arg_span: link.arg_span,
                        });
                        break 'runners;
                    }
                }
            }
            // Methods on any receiver (diesel's MigrationHarness).
            if uses && !runner.methods.is_empty() {
                let in_call = call_links(&call.val);
                if let Some(link) = in_call.iter().find(|l| {
                    l.name.is_some_and(|n| {
                        runner.methods.iter().any(|m| m == n)
                            && !delegating(unit, call.region, n)
                            && !user_method(project, n)
                    })
                }) {
                    out.push(Run {
                        runner,
                        span: link.span,
                        region: call.region,
                        locking_off: None,
                        recv: recv_text(&call.val),
                        method: link.name.unwrap_or("run").to_string(),
                        arg: link.arg.clone(),
                        call: Span::new(chain_root_span(&call.val).start, link.span.end),
                        recv_span: recv_span(&call.val),
                        arg_span: link.arg_span,
                    });
                    break 'runners;
                }
            }
            // Free functions.
            let Some(path) = chain_root_path(&call.val) else {
                continue;
            };
            if uses
                && runner
                    .functions
                    .iter()
                    .any(|f| ends_with(path, &segments(f)))
            {
                out.push(Run {
                    runner,
                    span: chain_root_span(&call.val),
                    region: call.region,
                    locking_off: None,
                    recv: String::new(),
                    method: path.last().cloned().unwrap_or_default(),
                    arg: first_arg_text(&call.val),
                    call: chain_root_span(&call.val),
                    recv_span: None,
                    arg_span: call.val.chain().0.args().first().map(Val::span),
                });
                break 'runners;
            }
            // Associated functions of a type implementing the runner's trait (sea-orm's
            // `Migrator::up`); the type may live in another crate of the workspace.
            if path.len() >= 2
                && runner.trait_fns.iter().any(|f| f == &path[path.len() - 1])
                && (implements(project, unit, runner, &path[path.len() - 2])
                    || bound_by(unit, call.region, runner, &path[path.len() - 2]))
            {
                out.push(Run {
                    runner,
                    span: chain_root_span(&call.val),
                    region: call.region,
                    locking_off: None,
                    recv: path[path.len() - 2].clone(),
                    method: path[path.len() - 1].clone(),
                    arg: String::new(),
                    call: chain_root_span(&call.val),
                    recv_span: None,
                    arg_span: call.val.chain().0.args().first().map(Val::span),
                });
                break 'runners;
            }
        }
    }
    // Invocations of the user's own `macro_rules!` that apply migrations.
    for m in &unit.facts.macros {
        let Some(name) = m.path.last() else { continue };
        if name == "macro_rules" {
            continue;
        }
        for runner in &catalog.migration_runner {
            if runner.macro_markers.is_empty() {
                continue;
            }
            let defined = project.units.iter().any(|u| {
                u.facts.macro_defs.iter().any(|d| {
                    &d.name == name && runner.macro_markers.iter().any(|k| d.body.contains(k))
                })
            });
            if defined {
                out.push(Run {
                    runner,
                    span: m.span,
                    region: m.region,
                    locking_off: None,
                    recv: String::new(),
                    method: if runner.library == "refinery" {
                        "run_async".into()
                    } else {
                        "run_pending_migrations".into()
                    },
                    arg: String::new(),
                    call: m.span,
                    recv_span: None,
                    arg_span: None,
                });
                break;
            }
        }
    }
    out
}

/// A method of a chain: its name, the span from its name to the end of the call, its first argument.
pub(super) struct Link<'v> {
    name: Option<&'v str>,
    span: Span,
    arg: String,
    arg_span: Option<Span>,
}

pub(super) fn call_links(val: &Val) -> Vec<Link<'_>> {
    let (_, links) = val.chain();
    links
        .into_iter()
        .filter_map(|l| match l {
            Val::Method {
                name,
                name_span,
                span,
                args,
                ..
            } => Some(Link {
                name: Some(name.as_str()),
                span: Span::new(name_span.start, span.end),
                arg: args.first().map(val_text).unwrap_or_default(),
                arg_span: args.first().map(Val::span),
            }),
            _ => None,
        })
        .collect()
}

/// A chain with its root followed through `let` bindings and statics:
/// `let m = sqlx::migrate!(); m.run(&pool)` gives the root `sqlx::migrate!` and links `[run]`.
pub(super) fn resolved_chain<'v>(
    project: &'v Project,
    unit: &'v Unit,
    val: &'v Val,
    region: RegionId,
    depth: usize,
) -> (Val, Vec<Link<'v>>) {
    let (root, _) = val.chain();
    let links = call_links(val);
    if depth < 4
        && let Val::Path { path, .. } = root
        && let Some(name) = path.last()
    {
        if path.len() == 1
            && let Some(l) = unit.facts.binding(name, region)
        {
            let (r, mut inner) = resolved_chain(project, unit, &l.init, l.region, depth + 1);
            inner.extend(links);
            return (r, inner);
        }
        if name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && let Some(c) = unit
                .facts
                .consts
                .iter()
                .find(|c| &c.name == name)
                .or_else(|| {
                    project
                        .units
                        .iter()
                        .filter(|u| u.krate == unit.krate)
                        .flat_map(|u| u.facts.consts.iter())
                        .find(|c| &c.name == name)
                })
        {
            let (r, mut inner) = resolved_chain(project, unit, &c.value, 0, depth + 1);
            inner.extend(links);
            return (r, inner);
        }
    }
    (root.clone(), links)
}

/// `sqlx::migrate!` matches a macro root; `Migrator::new` a call root's path suffix.
pub(super) fn root_matches(root: &Val, pattern: &str) -> bool {
    if let Val::Struct { path, rest, .. } = root {
        // `Migrator { locking: false, ..sqlx::migrate!() }`
        let ty = segments(pattern);
        return (ty.len() == 2 && path.last().is_some_and(|l| l == ty[0]))
            || rest.as_ref().is_some_and(|r| root_matches(r, pattern));
    }
    match (root, pattern.strip_suffix('!')) {
        (Val::Macro { path, .. }, Some(mac)) => {
            let segs = segments(mac);
            // `migrate!` alone only when it is not someone else's macro: the path must be sqlx's or bare.
            ends_with(path, &segs) && (segs.len() > 1 || path.len() == 1)
        }
        (Val::Call { func, .. }, None) => match &**func {
            Val::Path { path, .. } => ends_with(path, &segments(pattern)),
            _ => false,
        },
        _ => false,
    }
}

pub(super) fn chain_root_path(val: &Val) -> Option<&Vec<String>> {
    val.chain().0.call_path()
}

pub(super) fn chain_root_span(val: &Val) -> Span {
    val.chain().0.span()
}

pub(super) fn first_arg_text(val: &Val) -> String {
    val.chain()
        .0
        .args()
        .first()
        .map(val_text)
        .unwrap_or_default()
}

/// A short rendering of a value for snippets: paths and fields as written, the rest elided.
pub(super) fn val_text(val: &Val) -> String {
    match val {
        Val::Path { path, .. } => path
            .iter()
            .filter(|s| *s != "crate")
            .cloned()
            .collect::<Vec<_>>()
            .join("::"),
        Val::Field { base, name, .. } => format!("{}.{name}", val_text(base)),
        Val::Str { value, .. } => format!("{value:?}"),
        Val::Call { .. } | Val::Method { .. } => match val.call_path() {
            Some(p) => format!("{}()", p.last().cloned().unwrap_or_default()),
            None => match val {
                Val::Method { name, recv, .. } => format!("{}.{name}()", val_text(recv)),
                _ => "..".into(),
            },
        },
        _ => "..".into(),
    }
}

pub(super) fn recv_span(val: &Val) -> Option<Span> {
    match val.chain().0 {
        v @ (Val::Path { .. } | Val::Field { .. }) => Some(v.span()),
        _ => None,
    }
}

pub(super) fn recv_text(val: &Val) -> String {
    match val.chain().0 {
        Val::Path { .. } | Val::Field { .. } => val_text(val.chain().0),
        _ => String::new(),
    }
}

/// `set_locking(false)` in the chain, on the bound variable, or `locking: false` in a literal.
pub(super) fn locking_off(
    project: &Project,
    unit: &Unit,
    runner: &MigrationRunner,
    call: &Val,
    root: &Val,
    links: &[Link],
    region: RegionId,
) -> Option<Span> {
    let _ = (project, root);
    if runner.locking_off_methods.is_empty() && runner.locking_off_fields.is_empty() {
        return None;
    }
    let off_method = |v: &Val| -> Option<Span> {
        match v {
            Val::Method {
                name,
                name_span,
                args,
                span,
                ..
            } if runner.locking_off_methods.iter().any(|m| m == name)
                && matches!(args.first(), Some(Val::Bool { value: false, .. })) =>
            {
                Some(Span::new(name_span.start, span.end))
            }
            _ => None,
        }
    };
    // In the chain itself.
    for l in links {
        if l.name
            .is_some_and(|n| runner.locking_off_methods.iter().any(|m| m == n))
            && l.arg == "false"
        {
            return Some(l.span);
        }
    }
    let mut found = None;
    call.walk(&mut |v| {
        if found.is_none() {
            found = off_method(v);
        }
    });
    if found.is_some() {
        return found;
    }
    // On the variable: `m.set_locking(false)` elsewhere in the function, or a literal field.
    let scope = enclosing_fn_region(&unit.facts, region).unwrap_or(0);
    let var = match call.chain().0 {
        Val::Path { path, .. } => path.last().cloned(),
        _ => None,
    };
    for c in unit.facts.calls_within(scope) {
        let (r, ls) = c.val.chain();
        let same_var = matches!(r, Val::Path { path, .. } if path.last() == var.as_ref());
        if same_var && let Some(s) = ls.iter().find_map(|l| off_method(l)) {
            return Some(s);
        }
    }
    let lit_off = |v: &Val| -> Option<Span> {
        if let Val::Struct { fields, .. } = v {
            for (name, value) in fields {
                if runner.locking_off_fields.iter().any(|f| f == name)
                    && let Val::Bool { value: false, span } = value
                {
                    return Some(*span);
                }
            }
        }
        None
    };
    let mut found = None;
    for l in unit
        .facts
        .lets
        .iter()
        .filter(|l| unit.facts.is_within(l.region, scope))
    {
        l.init.walk(&mut |v| {
            if found.is_none() {
                found = lit_off(v);
            }
        });
    }
    for c in &unit.facts.consts {
        c.value.walk(&mut |v| {
            if found.is_none() {
                found = lit_off(v);
            }
        });
    }
    found
}

/// `fn run_migration(&self, m) { self.conn.run_migration(m) }` inside a harness implementation.
pub(super) fn delegating(unit: &Unit, region: RegionId, method: &str) -> bool {
    unit.facts
        .enclosing_fn(region)
        .is_some_and(|f| f.is_method && f.name == method)
}

/// The workspace defines its own method of that name (outside a harness implementation).
pub(super) fn user_method(project: &Project, name: &str) -> bool {
    project.units.iter().any(|u| {
        u.facts.fns.iter().any(|f| {
            f.is_method
                && f.name == name
                && !u.facts.impls.iter().any(|i| {
                    i.span.contains(f.span)
                        && i.trait_path.as_ref().is_some_and(|t| {
                            t.last().is_some_and(|s| s.ends_with("MigrationHarness"))
                        })
                })
        })
    })
}

/// Whether `ty` implements one of the runner's traits somewhere in the workspace.
pub(super) fn implements(
    project: &Project,
    unit: &Unit,
    runner: &MigrationRunner,
    ty: &str,
) -> bool {
    if runner.trait_impls.is_empty() {
        return false;
    }
    let found = project.units.iter().any(|u| {
        u.facts.impls.iter().any(|i| {
            i.self_ty == ty
                && i.trait_path.as_ref().is_some_and(|t| {
                    t.last()
                        .is_some_and(|s| runner.trait_impls.iter().any(|x| x == s))
                })
        })
    });
    found || (ty == "Migrator" && project.uses_any(unit, &runner.crates))
}

/// Whether `ty` is a type parameter of the enclosing function bound by one of the runner's
/// traits: `async fn converge<M: MigratorTrait>(db) { M::up(db, None).await }`.
pub(super) fn bound_by(unit: &Unit, region: RegionId, runner: &MigrationRunner, ty: &str) -> bool {
    !runner.trait_impls.is_empty()
        && unit.facts.ancestors(region).any(|(_, r)| match r.kind {
            RegionKind::Fn(i) => unit.facts.fns[i].bounds.iter().any(|(name, traits)| {
                name == ty && traits.iter().any(|t| runner.trait_impls.contains(t))
            }),
            _ => false,
        })
}

pub(super) fn enclosing_fn_region(facts: &FileFacts, region: RegionId) -> Option<RegionId> {
    facts.ancestors(region).find_map(|(id, r)| match r.kind {
        RegionKind::Fn(_) => Some(id),
        _ => None,
    })
}

pub(super) fn enclosing_fn_idx(facts: &FileFacts, region: RegionId) -> Option<usize> {
    facts.ancestors(region).find_map(|(_, r)| match r.kind {
        RegionKind::Fn(f) => Some(f),
        _ => None,
    })
}
