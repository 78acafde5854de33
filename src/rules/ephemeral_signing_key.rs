//! `ephemeral-signing-key`: a cookie, session or token signing key made from fresh randomness
//! when the process starts (`Key::generate()`, random bytes into `Key::from` or
//! `EncodingKey::from_secret`). Each instance signs with its own key, so what one instance signed
//! the next rejects.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{
    StateSite, checked, entries, in_actix_factory, in_dev_branch, instances_text, is_fallback,
    sites,
};
use crate::catalog::StateEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::{FileFacts, RegionId, Val};
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct EphemeralSigningKey;

static META: RuleMeta = RuleMeta {
    id: "ephemeral-signing-key",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a signing key made from fresh randomness at startup: each instance rejects the others' cookies and tokens",
    doc: include_str!("../../rules/docs/ephemeral-signing-key.md"),
};

const SINGLE_HELP: &str = "if this service runs as exactly one instance on purpose, name its crate or binary in \
     `single-instance` (scalelint.toml), or write `// scalelint: allow(ephemeral-signing-key) <reason>`";

/// Where randomness shows in `val`: a catalogued call or method.
fn random_in(facts: &FileFacts, randoms: &[&StateEntry], val: &Val) -> Option<(String, Span)> {
    let mut hit = None;
    val.walk(&mut |v| {
        if hit.is_some() {
            return;
        }
        match v {
            Val::Call { func, span, .. } => {
                if let Val::Path { path, .. } = &**func
                    && randoms.iter().any(|e| {
                        e.calls.iter().any(|c| {
                            crate::analysis::matchers::path_of_crate(facts, path, c, &e.crates)
                        })
                    })
                {
                    hit = Some((format!("`{}(..)`", path.join("::")), *span));
                }
            }
            Val::Path { path, span }
                if randoms.iter().any(|e| {
                    e.calls.iter().any(|c| {
                        crate::analysis::matchers::path_of_crate(facts, path, c, &e.crates)
                    })
                }) =>
            {
                hit = Some((format!("`{}`", path.join("::")), *span));
            }
            Val::Method { name, span, .. }
                if randoms.iter().any(|e| e.methods.contains(name))
                    && facts
                        .crate_refs
                        .iter()
                        .any(|r| randoms.iter().any(|e| e.crates.contains(r))) =>
            {
                hit = Some((format!("`.{name}(..)`"), *span));
            }
            _ => {}
        }
    });
    hit
}

/// The local variable a key argument names (`&secret` → `secret`, `secret.as_bytes()` → `secret`).
fn named_var(val: &Val) -> Option<&str> {
    let mut cur = val;
    loop {
        match cur {
            Val::Path { path, .. } if path.len() == 1 => return Some(&path[0]),
            Val::Method { recv, .. } => cur = recv,
            _ => return None,
        }
    }
}

/// Randomness that reaches the variable `name` visible in `region`: its `let`, or a call in the
/// same function that fills it (`OsRng.fill_bytes(&mut name)`, `getrandom::fill(&mut name)`).
fn random_into(
    facts: &FileFacts,
    randoms: &[&StateEntry],
    name: &str,
    region: RegionId,
) -> Option<(String, Span)> {
    if let Some(l) = facts.binding(name, region)
        && let Some(hit) = random_in(facts, randoms, &l.init)
    {
        return Some(hit);
    }
    let body = facts
        .ancestors(region)
        .find(|(_, r)| matches!(r.kind, crate::facts::RegionKind::Fn(_)))
        .map(|(id, _)| id)?;
    facts.calls_within(body).find_map(|c| {
        let fills = |v: &Val| {
            v.args()
                .iter()
                .any(|a| named_var(a) == Some(name) && matches!(a, Val::Path { .. }))
        };
        let mut hit = None;
        c.val.walk(&mut |v| {
            if hit.is_none()
                && fills(v)
                && let Some(h) = random_in(facts, randoms, v)
            {
                hit = Some(h);
            }
        });
        hit
    })
}

impl Rule for EphemeralSigningKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.kind == "key" || e.kind == "key-sink",
            &["Key"],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        let keep = |site: &StateSite<'_>| {
            project.runs_on_replicas(unit, site.region, site.span)
                && !in_dev_branch(facts, site.span)
        };
        let sinks = sites(project, unit, "", &["key-sink"]);
        for site in sites(project, unit, META.id, &["key"]) {
            if !keep(&site) {
                continue;
            }
            // The same function builds the key from bytes in another branch
            // (`if let Some(k) = &settings.key { Key::try_from(k) } else { Key::generate() }`):
            // the generated key is the fallback when none is configured.
            let body = facts
                .ancestors(site.region)
                .find(|(_, r)| matches!(r.kind, crate::facts::RegionKind::Fn(_)))
                .map(|(id, _)| id);
            let configured = body.is_some_and(|b| {
                sinks
                    .iter()
                    .any(|k| facts.is_within(k.region, b) && !k.span.contains(site.span))
            });
            let fix = site.entry.fix.clone();
            self.report(
                project,
                unit,
                &site,
                site.entry.what.clone(),
                None,
                fix,
                out,
            );
            if configured
                && let Some(d) = out.last_mut()
                && d.severity != Severity::Note
            {
                d.severity = Severity::Note;
                d.notes.push(
                    "the same function builds the key from configured bytes in another branch: \
                     the generated key is the fallback when none is configured, and the hazard is \
                     a deployment of several instances that leaves the setting unset; fail at \
                     startup instead"
                        .into(),
                );
            }
        }
        // Random bytes turned into a key.
        let randoms = entries(project, "", "random");
        let key_fix = entries(project, META.id, "key")
            .first()
            .map(|e| e.fix.clone())
            .unwrap_or_default();
        for site in sinks {
            if !keep(&site) {
                continue;
            }
            let Some(arg) = site.val.args().first() else {
                continue;
            };
            let found = random_in(facts, &randoms, arg).or_else(|| {
                named_var(arg).and_then(|n| random_into(facts, &randoms, n, site.region))
            });
            let Some((how, span)) = found else { continue };
            let what = format!(
                "`{}` gets fresh random bytes ({how}) each time the process starts",
                site.path
            );
            let fix = if site.entry.library == "jsonwebtoken" {
                "// the same secret on every instance, from the environment or a secret store\n\
                 let secret = std::env::var(\"JWT_SECRET\").expect(\"JWT_SECRET is set\");\n\
                 let key = EncodingKey::from_secret(secret.as_bytes());"
                    .to_string()
            } else {
                key_fix.clone()
            };
            self.report(project, unit, &site, what, Some(span), fix, out);
        }
    }
}

/// Whether the key is handed to actix-session's `SessionMiddleware` (`::new` or `::builder`).
fn feeds_actix_session(unit: &Unit, site: &StateSite<'_>) -> bool {
    let mut hit = false;
    for c in unit.facts.calls.iter().filter(|c| c.region == site.region) {
        c.val.walk(&mut |v| {
            if let Some(p) = v.call_path()
                && p.iter().any(|s| s == "SessionMiddleware")
                && v.args().iter().any(|a| a.span().contains(site.span))
            {
                hit = true;
            }
        });
    }
    hit
}

/// Whether any code of the workspace uses actix's session or identity: a handler parameter of
/// type `Session` or `Identity`, or `.get_session()`, `.get_identity()`, `Identity::login(..)`.
fn actix_session_used(project: &Project) -> bool {
    const LIBS: &[&str] = &["actix_session", "actix_identity"];
    project.units.iter().any(|u| {
        let facts = &u.facts;
        if !facts.crate_refs.iter().any(|r| LIBS.contains(&r.as_str())) {
            return false;
        }
        let param = facts.fns.iter().any(|f| {
            f.params.iter().any(|p| {
                p.ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| w == "Session" || w == "Identity")
            })
        });
        let mut call = false;
        for c in &facts.calls {
            c.val.walk(&mut |v| {
                let login = v
                    .call_path()
                    .is_some_and(|p| crate::facts::ends_with(p, &["Identity", "login"]));
                let getter = matches!(v.method_name(), Some("get_session" | "get_identity"));
                call |= login || getter;
            });
        }
        param || call
    })
}

impl EphemeralSigningKey {
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        project: &Project,
        unit: &Unit,
        site: &StateSite<'_>,
        what: String,
        random_at: Option<Span>,
        fix: String,
        out: &mut Vec<Diagnostic>,
    ) {
        let mut d = Diagnostic::new(
            META.id,
            unit.id,
            site.span,
            format!(
                "{what}: each instance signs with its own key and rejects what the others signed"
            ),
        );
        if let Some(r) = random_at
            && !site.span.contains(r)
        {
            d = d.label(unit.id, r, "the randomness comes from here");
        }
        if let Some(why) = project.roles().describe(project, unit, site.region) {
            d = d.note(why);
        }
        d = d.note(format!(
            "at {}, a cookie or token signed by one instance fails the check on the others: users \
             are logged out whenever the load balancer sends them elsewhere, and every restart or \
             deploy invalidates them all",
            instances_text(project, unit)
        ));
        if in_actix_factory(unit, site.region) {
            d = d.note(
                "it is built inside actix-web's `HttpServer::new(..)` factory, which runs once per \
                 worker thread: even one instance has a different key on each worker",
            );
        }
        if feeds_actix_session(unit, site) && !actix_session_used(project) {
            d.severity = Severity::Note;
            d = d.note("no code of the workspace reads or writes an actix `Session` or `Identity` (no such handler parameter, no `.get_session()`, no `Identity::login`): the middleware issues no cookie today, so nothing breaks until one is used");
        }
        if is_fallback(unit, site) {
            d.severity = Severity::Note;
            d = d.note("it is the fallback when no key is configured: the hazard is a deployment that forgets to set one; fail at startup instead");
        }
        out.push(d.help(SINGLE_HELP).fix(Fix::manual(format!(
            "load the key from configuration, the same on every instance:\n{fix}"
        ))));
    }
}
