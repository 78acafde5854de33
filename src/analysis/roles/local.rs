//! A server that only this machine can reach: a listener on a Unix socket (a local path) or on
//! the loopback address. It serves one user's tools (a shell history daemon, an editor's
//! language server), not traffic a load balancer spreads over replicas, so a serve call on it
//! does not make the code around it a service.

use crate::facts::{FileFacts, MacroArg, RegionId, Val};

/// Types of a Unix-socket listener or its stream of connections.
const UNIX_TYPES: &[&str] = &[
    "UnixListener",
    "UnixListenerStream",
    "UnixIncoming",
    "UnixStream",
];

/// Addresses only this machine reaches.
const LOOPBACK: &[&str] = &["127.0.0.1", "localhost", "[::1]", "::1"];

fn loopback(s: &str) -> bool {
    LOOPBACK.iter().any(|l| {
        s.strip_prefix(l)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
    })
}

/// Whether the serve call `v` (in `region`) takes its connections from a Unix socket or a
/// loopback address: its arguments, followed through the locals they name.
pub(super) fn serves_locally(facts: &FileFacts, region: RegionId, v: &Val) -> bool {
    let mut args: Vec<&Val> = vec![];
    v.walk(&mut |x| match x {
        Val::Call { args: a, .. } | Val::Method { args: a, .. } => args.extend(a.iter()),
        _ => {}
    });
    args.iter().any(|a| local_source(facts, region, a, 0))
}

fn local_source(facts: &FileFacts, region: RegionId, v: &Val, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    let mut hit = false;
    v.walk(&mut |x| match x {
        Val::Path { path, .. } => {
            if path.iter().any(|s| UNIX_TYPES.contains(&s.as_str())) {
                hit = true;
            } else if path.len() == 1
                && let Some(l) = facts.binding(&path[0], region)
            {
                hit |= local_source(facts, l.region, &l.init, depth + 1);
            }
        }
        Val::Str { value, .. } => hit |= loopback(value),
        Val::Macro { span, .. } => {
            hit |= facts.macros.iter().any(|m| {
                m.span == *span
                    && matches!(m.args.first(), Some(MacroArg::Expr(Val::Str { value, .. })) if loopback(value))
            });
        }
        _ => {}
    });
    hit
}

#[cfg(test)]
mod tests {
    use super::loopback;

    #[test]
    fn loopback_addresses() {
        assert!(loopback("127.0.0.1:8080"));
        assert!(loopback("localhost"));
        assert!(loopback("[::1]:50051"));
        assert!(!loopback("0.0.0.0:8080"));
        assert!(!loopback("localhost.example.com:80"));
    }
}
