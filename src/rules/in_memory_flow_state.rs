//! `in-memory-flow-state`: state of a multi-request flow kept in one process's map. An OAuth/OIDC
//! login's `state`, PKCE verifier or nonce stored at `/login` in a `HashMap`/`DashMap`/moka
//! cache and read at `/callback`, which the load balancer may send to another instance; and
//! maps named for one-time codes, login attempts, revoked tokens, CSRF tokens or idempotency
//! keys that request code writes.

use super::{Rule, RuleMeta};
use crate::analysis::matchers::path_of_crate;
use crate::analysis::process_maps::{Holder, WRITES, declared_map, writes};
use crate::analysis::state_sites::{checked, entries, in_dev_branch, instances_of, instances_text};
use crate::catalog::StateEntry;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Val;
use crate::project::{Project, Unit};
use crate::source::Span;

pub struct InMemoryFlowState;

static META: RuleMeta = RuleMeta {
    id: "in-memory-flow-state",
    family: "state",
    default_severity: Severity::Warning,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "login-flow state, one-time codes or revocations in one process's map: other instances never see them",
    doc: include_str!("../../rules/docs/in-memory-flow-state.md"),
};

const SINGLE_HELP: &str = "if this service runs as exactly one instance on purpose, name its crate or binary in \
     `single-instance` (scalelint.toml), or write `// scalelint: allow(in-memory-flow-state) <reason>`";

/// Strings that show a loopback redirect: a command-line OAuth flow, whose callback comes back
/// to the same process by construction.
const LOOPBACK: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// What a map's name says it keeps, for maps written from request code: `(name parts, what)`.
/// Every part must appear, in order, among the `_`-separated words of the field's name.
const FLOW_MAPS: &[(&[&str], &str)] = &[
    (&["csrf"], "CSRF tokens"),
    (&["pkce"], "PKCE verifiers"),
    (&["nonce"], "nonces"),
    (&["nonces"], "nonces"),
    (&["oauth", "state"], "OAuth states"),
    (&["oauth", "states"], "OAuth states"),
    (&["auth", "state"], "login states"),
    (&["auth", "states"], "login states"),
    (&["login", "state"], "login states"),
    (&["login", "states"], "login states"),
    (&["pending", "login"], "pending logins"),
    (&["pending", "logins"], "pending logins"),
    (&["pending", "auth"], "pending logins"),
    (&["pending", "auths"], "pending logins"),
    (&["otp"], "one-time codes"),
    (&["otps"], "one-time codes"),
    (&["one", "time"], "one-time codes"),
    (&["magic", "link"], "one-time login links"),
    (&["magic", "links"], "one-time login links"),
    (&["verification", "codes"], "one-time codes"),
    (&["reset", "tokens"], "password-reset tokens"),
    (&["login", "attempts"], "login-attempt counters"),
    (&["failed", "logins"], "login-attempt counters"),
    (&["failed", "attempts"], "login-attempt counters"),
    (&["revoked"], "revoked tokens"),
    (&["revocations"], "revoked tokens"),
    (&["idempotency"], "idempotency keys"),
];

/// What a field's name says it keeps, if it is one of `FLOW_MAPS`.
fn named_flow_map(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split('_').filter(|w| !w.is_empty()).collect();
    FLOW_MAPS.iter().find_map(|(parts, what)| {
        let mut at = 0;
        for p in *parts {
            at = words[at..].iter().position(|w| w == p)? + at + 1;
        }
        Some(*what)
    })
}

/// A flow token made in the unit: `CsrfToken::new_random()` called, or passed as a function to
/// `authorize_url(CsrfToken::new_random)`.
struct Token<'a> {
    entry: &'a StateEntry,
    span: Span,
    region: crate::facts::RegionId,
    written: String,
}

fn tokens<'a>(project: &'a Project, unit: &Unit) -> Vec<Token<'a>> {
    let wanted: Vec<&StateEntry> = entries(project, META.id, "flow-token")
        .into_iter()
        .filter(|e| project.uses_any(unit, &e.crates))
        .collect();
    let mut out: Vec<Token<'a>> = vec![];
    if wanted.is_empty() {
        return out;
    }
    for call in &unit.facts.calls {
        call.val.walk(&mut |v| {
            let Val::Path { path, span } = v else {
                return;
            };
            if let Some(entry) = wanted.iter().find(|e| {
                e.calls
                    .iter()
                    .any(|c| path_of_crate(&unit.facts, path, c, &e.crates))
            }) && !out.iter().any(|t| t.span == *span)
            {
                let n = path.len();
                out.push(Token {
                    entry,
                    span: *span,
                    region: call.region,
                    written: path[n.saturating_sub(2)..].join("::"),
                });
            }
        });
    }
    out.sort_by_key(|t| t.span.start);
    out
}

fn finding(project: &Project, unit: &Unit, span: Span, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(META.id, unit.id, span, message);
    if let Some(why) = project
        .roles()
        .describe(project, unit, unit_region(unit, span))
    {
        d = d.note(why);
    }
    d
}

/// The innermost region of a call at `span`.
fn unit_region(unit: &Unit, span: Span) -> crate::facts::RegionId {
    unit.facts
        .calls
        .iter()
        .filter(|c| c.val.span().contains(span))
        .map(|c| c.region)
        .max()
        .unwrap_or(0)
}

impl InMemoryFlowState {
    /// A login flow's token kept in a process map by the function that makes it.
    fn flow_tokens(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) -> Vec<Span> {
        let facts = &unit.facts;
        let mut reported = vec![];
        let all_writes = writes(unit, &["insert", "try_insert", "get_with", "entry"]);
        let mut fns_done: Vec<Span> = vec![];
        for token in tokens(project, unit) {
            let Some(f) = facts.enclosing_fn(token.region) else {
                continue;
            };
            if fns_done.contains(&f.span)
                || !project.runs_on_replicas(unit, token.region, token.span)
                || in_dev_branch(facts, token.span)
            {
                continue;
            }
            fns_done.push(f.span);
            // A command-line flow redirects to a loopback listener in the same process.
            if facts
                .strings_within(f.body)
                .any(|s| LOOPBACK.iter().any(|l| s.value.contains(l)))
            {
                continue;
            }
            let Some((write, decl)) = all_writes
                .iter()
                .filter(|w| facts.is_within(w.region, f.body) && w.span.start > token.span.start)
                .find_map(|w| Some((w, declared_map(project, &w.holder)?)))
            else {
                continue;
            };
            let holder = match &write.holder {
                Holder::Field(n) if !decl.owner.is_empty() => {
                    format!("`{}.{n}`, a `{}`", decl.owner, decl.ty)
                }
                h => format!("`{}`, a `{}`", h.name(), decl.ty),
            };
            let n = instances_of(project, unit);
            let mut d = finding(
                project,
                unit,
                write.span,
                format!(
                    "the login flow's `{}` is kept in {holder} in this process's memory: the callback may reach another instance, which never saw it",
                    token.written
                ),
            )
            .label(unit.id, token.span, "the flow's secret is made here")
            .label(decl.unit.id, decl.span, format!("a `{}` in this process", decl.ty));
            d = d.note(format!(
                "seen: `{}` ({}) and `.{}(..)` on `{}` in `{}`; the provider redirects the browser to the callback as a new request, which the load balancer sends to any instance",
                token.written,
                token.entry.what,
                write.method,
                write.holder.name(),
                f.name
            ));
            d = d.note(if n > 1 {
                format!(
                    "at {}, without sticky sessions a callback lands on the instance that stored the state 1 time in {n}: {} of {n} logins fail with an unknown state, and every login in flight fails when an instance restarts",
                    instances_text(project, unit),
                    n - 1
                )
            } else {
                format!(
                    "at {}, every login in flight fails when the instance restarts, and at 2 instances half the callbacks land on the instance that never saw the state",
                    instances_text(project, unit)
                )
            });
            reported.push(write.span);
            out.push(
                d.help(SINGLE_HELP)
                    .fix(Fix::manual(token.entry.fix.clone())),
            );
        }
        reported
    }

    /// Maps named for one-time codes, attempts, revocations or keys, written from request code.
    fn named_maps(&self, project: &Project, unit: &Unit, skip: &[Span], out: &mut Vec<Diagnostic>) {
        let facts = &unit.facts;
        let fix = entries(project, META.id, "flow-map")
            .first()
            .map(|e| e.fix.clone())
            .unwrap_or_default();
        let mut fields_done: Vec<String> = vec![];
        for write in writes(unit, WRITES) {
            let Holder::Field(name) = &write.holder else {
                continue;
            };
            let Some(what) = named_flow_map(name) else {
                continue;
            };
            if fields_done.contains(name)
                || skip.contains(&write.span)
                || facts.in_test(write.region)
                || !project.runs_on_replicas(unit, write.region, write.span)
            {
                continue;
            }
            let Some(decl) = declared_map(project, &write.holder) else {
                continue;
            };
            fields_done.push(name.clone());
            // One finding per map: the first write of the workspace reports it.
            let me = project.unit_index(unit);
            if project.units[..me].iter().any(|u| {
                checked(project, u)
                    && writes(u, WRITES).iter().any(|w| {
                        w.holder == write.holder
                            && !u.facts.in_test(w.region)
                            && project.runs_on_replicas(u, w.region, w.span)
                    })
            }) {
                continue;
            }
            let n = instances_of(project, unit);
            let d = finding(
                project,
                unit,
                write.span,
                format!(
                    "{what} kept in `{}.{name}`, a `{}` in this process's memory: each instance has its own, and the next request may reach another",
                    decl.owner, decl.ty
                ),
            )
            .label(decl.unit.id, decl.span, format!("a `{}` in this process", decl.ty))
            .note(format!(
                "seen: the field `{name}` of `{}` (its name says it keeps {what}) has the type `{}`, and request code writes it with `.{}(..)`",
                decl.owner, decl.ty, write.method
            ))
            .note(format!(
                "at {}, an entry written by one instance is missing on the other {}: a code issued by one is unknown to the others, a revoked token still works on them, a counter counts only the requests one instance sees, and a restart forgets them all",
                instances_text(project, unit),
                n.saturating_sub(1)
            ));
            out.push(d.help(SINGLE_HELP).fix(Fix::manual(fix.clone())));
        }
    }
}

impl Rule for InMemoryFlowState {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, _catalog: &crate::catalog::Catalog) -> super::Interest {
        // A flow token's constructor, or a word of a flow map's name.
        super::Interest {
            services_only: true,
            words: [
                "new_random",
                "csrf",
                "pkce",
                "nonce",
                "otp",
                "oauth_state",
                "auth_state",
                "login_state",
                "pending_login",
                "pending_auth",
                "one_time",
                "magic_link",
                "verification_codes",
                "reset_tokens",
                "login_attempts",
                "failed_logins",
                "failed_attempts",
                "revoked",
                "revocations",
                "idempotency",
            ]
            .iter()
            .map(|w| w.to_string())
            .collect(),
            workspace_wide: true,
            ..super::Interest::default()
        }
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let reported = self.flow_tokens(project, unit, out);
        self.named_maps(project, unit, &reported, out);
    }
}

#[cfg(test)]
mod tests {
    use super::named_flow_map;

    #[test]
    fn map_names() {
        assert_eq!(named_flow_map("pending_logins"), Some("pending logins"));
        assert_eq!(
            named_flow_map("login_attempts"),
            Some("login-attempt counters")
        );
        assert_eq!(named_flow_map("revoked_tokens"), Some("revoked tokens"));
        assert_eq!(named_flow_map("csrf"), Some("CSRF tokens"));
        assert_eq!(named_flow_map("hotpath"), None);
        assert_eq!(named_flow_map("sessions"), None);
        assert_eq!(named_flow_map("state"), None);
    }
}
