//! Code actions for the findings under the cursor: the machine fix, the maybe fix (marked as
//! changing behaviour), an allow comment with a reason to fill in, and every machine fix of the
//! file at once. They are built from the last published analysis, and only while the document
//! still holds the text that analysis read (otherwise the edits would land in the wrong place).

use super::convert::{self, Encoding, Lines};
use super::{FIX_ALL_KIND, Shared};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::engine::Report;
use crate::source::Span;
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::Path;

pub fn code_actions(
    shared: &Shared,
    root: Option<&Path>,
    p: &lsp::CodeActionParams,
) -> Vec<lsp::CodeActionOrCommand> {
    let (Some(root), Some(path)) = (root, convert::uri_to_path(&p.text_document.uri)) else {
        return vec![];
    };
    let Some(analysis) = shared
        .analyses
        .lock()
        .ok()
        .and_then(|a| a.get(root).cloned())
    else {
        return vec![];
    };
    let report = &analysis.report;
    let Some(file) = report.files.iter().position(|f| f.path == path) else {
        return vec![];
    };
    let current = shared
        .docs
        .lock()
        .ok()
        .and_then(|d| d.get(&path).map(|d| d.text.clone()));
    if current.is_some_and(|t| t != report.files[file].text) {
        // Edited since: the next analysis brings actions that fit the new text.
        return vec![];
    }
    let enc = shared.encoding();
    let uri_of = |p: &Path| shared.uri_of(p);
    let lines = Lines::new(&report.files[file].text);
    let wants = |kind: &str| {
        p.context
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|k| kind.starts_with(k.as_str())))
    };
    let mut actions = vec![];
    if wants(lsp::CodeActionKind::QUICKFIX.as_str()) {
        for d in report.diagnostics.iter().filter(|d| d.file == file) {
            if !overlaps(lines.range(d.span, enc), p.range) {
                continue;
            }
            let diag = convert::diagnostic(report, d, &lines, enc, &uri_of);
            if let Some(f) = &d.fix
                && !f.edits.is_empty()
                && f.applicability != Applicability::Manual
            {
                let machine = f.applicability == Applicability::Machine;
                let title = if machine {
                    format!("Fix: {}", f.description)
                } else {
                    format!("Maybe fix (changes behaviour; check it): {}", f.description)
                };
                let edits: Vec<(usize, Span, String)> = f
                    .edits
                    .iter()
                    .map(|e| (e.file, e.span, e.replacement.clone()))
                    .collect();
                actions.push(action(
                    title,
                    lsp::CodeActionKind::QUICKFIX,
                    vec![diag.clone()],
                    workspace_edit(report, &edits, enc, &uri_of),
                    machine,
                ));
            }
            if crate::add_allow::can_allow(&d.rule)
                && let Some((span, text)) =
                    crate::add_allow::allow_edit(&report.files[file].text, d.span.start, &d.rule)
            {
                actions.push(action(
                    format!("Allow {} here (with a reason)", d.rule),
                    lsp::CodeActionKind::QUICKFIX,
                    vec![diag],
                    workspace_edit(report, &[(file, span, text)], enc, &uri_of),
                    false,
                ));
            }
        }
    }
    if wants(FIX_ALL_KIND)
        && let Some(edit) = fix_all(report, file, enc, &uri_of)
    {
        actions.push(action(
            "Fix all machine-applicable scalelint findings in this file".into(),
            lsp::CodeActionKind::new(FIX_ALL_KIND),
            vec![],
            edit,
            false,
        ));
    }
    actions
}

fn action(
    title: String,
    kind: lsp::CodeActionKind,
    diagnostics: Vec<lsp::Diagnostic>,
    edit: lsp::WorkspaceEdit,
    preferred: bool,
) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title,
        kind: Some(kind),
        diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
        edit: Some(edit),
        is_preferred: preferred.then_some(true),
        ..Default::default()
    })
}

/// Whether a finding's range meets the requested one (a cursor touching it counts).
fn overlaps(a: lsp::Range, b: lsp::Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed parts sit in a `Cell`; the
// key's hash and equality read only its text, which never changes.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(
    report: &Report,
    edits: &[(usize, Span, String)],
    enc: Encoding,
    uri_of: &dyn Fn(&Path) -> lsp::Uri,
) -> lsp::WorkspaceEdit {
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    let mut lines: HashMap<usize, Lines> = HashMap::new();
    for (file, span, text) in edits {
        let Some(f) = report.files.get(*file) else {
            continue;
        };
        let l = lines.entry(*file).or_insert_with(|| Lines::new(&f.text));
        changes
            .entry(uri_of(&f.path))
            .or_default()
            .push(lsp::TextEdit::new(l.range(*span, enc), text.clone()));
    }
    lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }
}

/// Every machine fix whose edits are all in `file` and overlap no fix taken before it (in the
/// findings' order, as `--fix` takes them in one pass), when the result still parses.
fn fix_all(
    report: &Report,
    file: usize,
    enc: Encoding,
    uri_of: &dyn Fn(&Path) -> lsp::Uri,
) -> Option<lsp::WorkspaceEdit> {
    let mut taken: Vec<(Span, String)> = vec![];
    let fixes = report
        .diagnostics
        .iter()
        .filter(|d: &&Diagnostic| d.file == file)
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| f.applicability == Applicability::Machine && !f.edits.is_empty());
    for f in fixes {
        if f.edits.iter().any(|e| e.file != file) {
            continue;
        }
        let clash = f.edits.iter().any(|e| {
            taken.iter().any(|(s, _)| {
                (e.span.start < s.end && s.start < e.span.end)
                    || (e.span.start == s.start && (e.span.start == e.span.end || s.start == s.end))
            })
        });
        if !clash {
            taken.extend(f.edits.iter().map(|e| (e.span, e.replacement.clone())));
        }
    }
    if taken.is_empty() {
        return None;
    }
    let f = &report.files[file];
    let fixed = crate::fix::apply_edits(&f.text, &taken);
    if crate::fix::syntax_error(&f.path, &fixed).is_some() {
        return None;
    }
    let edits: Vec<(usize, Span, String)> = taken.into_iter().map(|(s, t)| (file, s, t)).collect();
    Some(workspace_edit(report, &edits, enc, uri_of))
}
