//! Fingerprints of findings that survive unrelated edits: the rule, the path and the
//! normalised source line(s) of the primary span, hashed. SARIF `partialFingerprints` and
//! baselines use them.

use crate::diagnostic::Diagnostic;
use crate::engine::Report;

/// 64-bit FNV-1a: small, fixed forever (fingerprints are stored by users and code hosts).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The source lines a finding's primary span covers, each trimmed, runs of whitespace made one
/// space, joined by `\n`: indenting or moving the code keeps it.
pub fn normalised_lines(report: &Report, d: &Diagnostic) -> String {
    let f = &report.files[d.file];
    let (start, end) = super::render::range(report, d.file, d.span);
    (start.line..=end.line.max(start.line))
        .map(|l| {
            f.line_text(l)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stable hex fingerprint of `rule`, `path` and the normalised source line(s).
pub fn fingerprint(rule: &str, path: &str, normalised: &str) -> String {
    let mut bytes = Vec::with_capacity(rule.len() + path.len() + normalised.len() + 2);
    bytes.extend_from_slice(rule.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(path.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(normalised.as_bytes());
    format!("{:016x}", fnv1a(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fixed() {
        // Stored by users and code hosts: this value must never change.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fingerprint("r", "p", "x"),
            fingerprint("r", "p", "x"),
            "deterministic"
        );
        assert_ne!(fingerprint("r", "p", "x"), fingerprint("r", "q", "x"));
    }
}
