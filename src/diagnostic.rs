//! What a rule reports: a finding with its spans, reasoning and fix.

use crate::source::Span;
use serde::Serialize;
use std::sync::Arc;

/// Index of a file in the run's file table (see `engine::Report::files`).
pub type FileId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// How far a fix can be trusted, and so who applies it. The kind of a finding's fix, and of
/// the best fix a rule offers (`RuleMeta::fix`). Every name it goes by outside scalelint is
/// here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Certainly safe: `--fix` applies it.
    Machine,
    /// Likely right but changes behaviour: `--fix --unsafe-fixes` applies it.
    Maybe,
    /// A snippet for a person to adapt; never applied.
    Manual,
}

impl Applicability {
    /// The word users see: `scalelint rules`, the rule pages, the README and JSON's
    /// `applicability` (the serde name is the same).
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Machine => "machine",
            Applicability::Maybe => "maybe",
            Applicability::Manual => "manual",
        }
    }

    /// rustc's `Applicability` (`suggestion_applicability` in `--format rustc-json`), which
    /// rust-analyzer and cargo read.
    pub fn rustc_name(self) -> &'static str {
        match self {
            Applicability::Machine => "MachineApplicable",
            Applicability::Maybe => "MaybeIncorrect",
            Applicability::Manual => "HasPlaceholders",
        }
    }

    /// What introduces a fix with edits in the human report: the flags that apply it.
    pub fn human_label(self) -> &'static str {
        match self {
            Applicability::Machine => "fix (--fix)",
            Applicability::Maybe => "fix (--fix --unsafe-fixes)",
            Applicability::Manual => "fix",
        }
    }

    /// Whether `--fix` applies fixes of this kind (`unsafe_fixes`: `--unsafe-fixes` given).
    pub fn applied_by_fix(self, unsafe_fixes: bool) -> bool {
        match self {
            Applicability::Machine => true,
            Applicability::Maybe => unsafe_fixes,
            Applicability::Manual => false,
        }
    }
}

impl std::fmt::Display for Applicability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn machine(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Machine,
            description: description.into(),
            edits,
        }
    }
    pub fn maybe(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Maybe,
            description: description.into(),
            edits,
        }
    }
    /// A fix that shows code to write: `description` holds the snippet.
    pub fn manual(description: impl Into<String>) -> Fix {
        Fix {
            applicability: Applicability::Manual,
            description: description.into(),
            edits: vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(rule: &str, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: Arc::from(rule),
            severity: Severity::Warning,
            file,
            span,
            message: message.into(),
            labels: vec![],
            notes: vec![],
            help: None,
            fix: None,
        }
    }
    pub fn label(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}
