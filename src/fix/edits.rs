//! The text of an edit: line endings, splicing, the syntax check of a fixed file and the
//! unified diff `--diff` prints.

use crate::source::Span;
use std::path::Path;

/// True when `text`'s lines end in CRLF (judged by its first line ending).
pub fn is_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

/// `replacement` with the line endings of a file: `\n` becomes `\r\n` in a CRLF file.
pub fn with_line_endings(replacement: &str, crlf: bool) -> String {
    if crlf {
        replacement.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        replacement.to_string()
    }
}

/// Whether two edits of one file conflict: their ranges intersect, or both insert at one point.
pub(super) fn overlaps(a: Span, b: Span) -> bool {
    (a.start < b.end && b.start < a.end)
        || (a.start == b.start && (a.start == a.end || b.start == b.end))
}

/// Splices `edits` (non-overlapping) into `text`, back to front.
pub fn apply_edits(text: &str, edits: &[(Span, String)]) -> String {
    let mut sorted: Vec<&(Span, String)> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.0.start, e.0.end)));
    let mut out = text.to_string();
    for (span, replacement) in sorted {
        out.replace_range(span.start..span.end, replacement);
    }
    out
}

/// Why a fixed text may not be written, or `None` when it parses as what it claims to be.
pub fn syntax_error(path: &Path, text: &str) -> Option<String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs") => {
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            let levels = crate::depth::estimate(body);
            if levels > crate::depth::MAX_LEVELS {
                return Some(format!("nests about {levels} levels deep without brackets"));
            }
            // Called on the main thread, whose stack is not known here: always a thread.
            crate::engine::on_stack_for(levels, 0, || {
                let result = syn::parse_file(body).err().map(|e| {
                    let at = e.span().start();
                    format!("{}:{}: {e}", at.line, at.column + 1)
                });
                proc_macro2::extra::invalidate_current_thread_spans();
                result
            })
        }
        Some("toml") => text
            .parse::<toml::Table>()
            .err()
            .map(|e| e.message().to_string()),
        _ => None,
    }
}

/// A unified diff (3 lines of context) of `old` to `new`, or an empty string when they are equal.
/// `similar` does the diffing and the hunk layout (`git apply` and `patch -p1` take it).
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_spliced_back_to_front() {
        let text = "let a = 50; let b = 40;";
        let edits = vec![
            (Span::new(8, 10), "22".to_string()),
            (Span::new(20, 22), "22".to_string()),
            (Span::new(23, 23), " // done".to_string()),
        ];
        assert_eq!(apply_edits(text, &edits), "let a = 22; let b = 22; // done");
    }

    #[test]
    fn an_insertion_at_a_replacement_goes_before_it() {
        assert_eq!(
            apply_edits(
                "abc",
                &[(Span::new(1, 2), "X".into()), (Span::new(1, 1), "<".into())]
            ),
            "a<Xc"
        );
    }

    #[test]
    fn overlap_rules() {
        assert!(overlaps(Span::new(1, 4), Span::new(3, 5)));
        assert!(overlaps(Span::new(2, 2), Span::new(2, 2)));
        assert!(overlaps(Span::new(1, 4), Span::new(2, 2)));
        assert!(!overlaps(Span::new(1, 4), Span::new(4, 6)));
        assert!(!overlaps(Span::new(1, 4), Span::new(4, 4)));
    }

    #[test]
    fn crlf_files_get_crlf_replacements() {
        assert!(is_crlf("fn main() {}\r\n"));
        assert!(!is_crlf("fn main() {}\n"));
        assert!(!is_crlf("fn main() {}"));
        assert_eq!(with_line_endings("a\nb\r\nc", true), "a\r\nb\r\nc");
        assert_eq!(with_line_endings("a\nb", false), "a\nb");
    }

    #[test]
    fn an_edit_that_breaks_the_syntax_is_caught() {
        let text = "fn main() { let n = 50; }\n";
        let broken = apply_edits(text, &[(Span::new(20, 22), "22)".into())]);
        assert!(syntax_error(Path::new("src/main.rs"), &broken).is_some());
        let fine = apply_edits(text, &[(Span::new(20, 22), "22".into())]);
        assert_eq!(syntax_error(Path::new("src/main.rs"), &fine), None);
        assert!(syntax_error(Path::new("config/default.toml"), "a = 1\nb = [").is_some());
        assert_eq!(syntax_error(Path::new(".env"), "A=(("), None);
    }

    #[test]
    fn unified_diff_matches_the_usual_shape() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n";
        assert_eq!(
            unified_diff(old, new, "a/x", "b/x"),
            "--- a/x\n+++ b/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
        assert_eq!(unified_diff(old, old, "a/x", "b/x"), "");
        // Far-apart changes get their own hunks; a missing final newline is marked.
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12";
        let new = "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve";
        assert_eq!(
            unified_diff(old, new, "a/y", "b/y"),
            "--- a/y\n+++ b/y\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n\\ No newline at end of file\n+twelve\n\\ No newline at end of file\n"
        );
        // Pure insertion into an empty file.
        assert_eq!(
            unified_diff("", "x\n", "a/z", "b/z"),
            "--- a/z\n+++ b/z\n@@ -0,0 +1 @@\n+x\n"
        );
    }
}
