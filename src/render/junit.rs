//! JUnit XML, what CI servers show as test results (Jenkins, GitLab's `artifacts: reports:
//! junit`, test-report actions): one `<testsuite>` per file with findings, one failed
//! `<testcase>` per finding. A run without findings is one passing test case, since several
//! consumers reject a report with no test case at all. Only the elements and attributes of the
//! JUnit schema the Jenkins xUnit plugin validates against (`junit-10.xsd`) are written, so the
//! location is in the test case's name (`path:line:col: rule`) rather than in `file`/`line`
//! attributes that schema does not have. Paths are relative to the repository root, as the
//! other CI formats' are. Nothing depends on the clock (no `timestamp`, `time="0"`), so the
//! same code gives the same report.

use super::RepoPaths;
use crate::engine::Report;
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let paths = RepoPaths::discover();
    // Files in the order of their first finding (the report's order), findings in theirs.
    let mut order: Vec<String> = vec![];
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &report.diagnostics {
        let path = paths.of(report, d.file);
        let (start, _) = super::range(report, d.file, d.span);
        let mut body = String::new();
        for note in &d.notes {
            let _ = writeln!(body, "note: {note}");
        }
        if let Some(help) = &d.help {
            let _ = writeln!(body, "help: {help}");
        }
        if let Some(fix) = &d.fix {
            let _ = writeln!(body, "fix ({}): {}", fix.applicability, fix.description);
        }
        let _ = writeln!(body, "see: scalelint explain {}", d.rule);
        let case = format!(
            "    <testcase name=\"{}\" classname=\"scalelint.{}\" time=\"0\">\n      \
             <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            escape(&format!(
                "{path}:{}:{}: {}",
                start.line, start.column, d.rule
            )),
            escape(&d.rule),
            escape(&d.rule),
            escape(&format!("{}: {}", d.severity.as_str(), d.message)),
            escape_text(&body),
        );
        if !by_file.contains_key(&path) {
            order.push(path.clone());
        }
        by_file.entry(path).or_default().push(case);
    }
    let total = report.diagnostics.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scalelint\" tests=\"{}\" failures=\"{total}\" errors=\"0\" time=\"0\">",
        total.max(1)
    );
    if total == 0 {
        let files = report.summary.files;
        let _ = writeln!(
            out,
            "  <testsuite name=\"scalelint\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">\n    \
             <testcase name=\"no findings in {files} file{}\" classname=\"scalelint\" time=\"0\"/>\n  \
             </testsuite>",
            if files == 1 { "" } else { "s" }
        );
    }
    for path in order {
        let cases = &by_file[&path];
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" skipped=\"0\" time=\"0\">",
            escape(&path),
            n = cases.len()
        );
        for case in cases {
            out.push_str(case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// An element's text: as an attribute's, but line breaks and tabs kept as they are.
fn escape_text(s: &str) -> String {
    escape(s)
        .replace("&#10;", "\n")
        .replace("&#13;", "\r")
        .replace("&#9;", "\t")
}

/// An attribute's value: the five markup characters escaped, line breaks and tabs as character
/// references (a parser would turn them into spaces), and the characters XML 1.0 cannot carry
/// at all (most control characters) replaced by U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{8}'
            | '\u{b}'
            | '\u{c}'
            | '\u{e}'..='\u{1f}'
            | '\u{fffe}'
            | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            escape("a<b> & \"c\" 'd'\n\u{1}"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#10;\u{fffd}"
        );
    }
}
