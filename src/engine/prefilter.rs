//! Which files need parsing: the words each rule needs in a file, matched by one automaton per
//! workspace, and which rules apply to each crate.

use super::RunCx;
use crate::catalog::Catalog;
use crate::config::{Config, Level};
use crate::rules::Rule;
use crate::workspace::Workspace;

/// The words a file must contain for each rule to need it, matched by one automaton per
/// workspace (a service has dozens of crates; most apply the same rules).
pub(super) struct Prefilter {
    /// For each selected rule that is not allowed: its words (empty: every file) and whether it
    /// is workspace-wide.
    rules: Vec<(Vec<String>, bool)>,
    matcher: Option<aho_corasick::AhoCorasick>,
    /// Pattern index → rule index in `rules`.
    pattern_rule: Vec<usize>,
}

/// Which of the prefilter's rules apply to a crate.
pub(super) struct CratePlan {
    applies: Vec<bool>,
}

impl Prefilter {
    pub(super) fn new(rules: &[&dyn Rule], config: &Config, catalog: &Catalog) -> Prefilter {
        let rules: Vec<(Vec<String>, bool)> = rules
            .iter()
            .filter(|r| config.level(r.meta().id) != Some(Level::Allow))
            .map(|r| {
                let interest = r.interest(catalog);
                (interest.words, interest.workspace_wide)
            })
            .collect();
        let mut patterns = vec![];
        let mut pattern_rule = vec![];
        for (i, (words, _)) in rules.iter().enumerate() {
            for w in words {
                patterns.push(w.as_str());
                pattern_rule.push(i);
            }
        }
        let matcher = (!patterns.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&patterns).ok())
            .flatten();
        Prefilter {
            rules,
            matcher,
            pattern_rule,
        }
    }

    /// Which of the crate's rules want this text: (any wants it, a workspace-wide one does).
    pub(super) fn wanted(&self, plan: &CratePlan, text: &str) -> (bool, bool) {
        // Rules that do not apply count as already decided (not wanted).
        let mut hit: Vec<bool> = self
            .rules
            .iter()
            .zip(&plan.applies)
            .map(|((words, _), applies)| *applies && words.is_empty())
            .collect();
        let mut open = plan
            .applies
            .iter()
            .zip(&hit)
            .filter(|(a, h)| **a && !**h)
            .count();
        if open > 0
            && let Some(m) = &self.matcher
        {
            for found in m.find_overlapping_iter(text) {
                let r = self.pattern_rule[found.pattern().as_usize()];
                if plan.applies[r] && !hit[r] {
                    hit[r] = true;
                    open -= 1;
                    if open == 0 {
                        break;
                    }
                }
            }
        }
        let any = hit.iter().any(|h| *h);
        let wide = hit
            .iter()
            .zip(&self.rules)
            .any(|(h, (_, wide))| *h && *wide);
        (any, wide)
    }
}

impl CratePlan {
    pub(super) fn new(
        cx: &RunCx,
        ws: &Workspace,
        krate: &crate::workspace::CrateInfo,
        config: &Config,
        catalog: &Catalog,
    ) -> CratePlan {
        let is_service_crate = |k: &crate::workspace::CrateInfo| {
            config
                .service
                .unwrap_or_else(|| catalog.service_crates().any(|c| k.always_depends_on(c)))
        };
        let is_service = is_service_crate(krate);
        let workspace_has_service = ws.crates.iter().any(is_service_crate);
        let mut applies = vec![];
        for rule in cx.selected {
            if config.level(rule.meta().id) == Some(Level::Allow) {
                continue;
            }
            let interest = rule.interest(catalog);
            // A workspace-wide rule follows calls into sibling crates: any crate's dependency counts.
            let depends = |lib: &String| {
                if interest.workspace_wide {
                    ws.crates
                        .iter()
                        .any(|k| k.depends_on(lib) || k.manifest_error.is_some())
                } else {
                    krate.depends_on(lib)
                }
            };
            applies.push(
                ws.loose
                    || krate.manifest_error.is_some()
                    || ((interest.crates.is_empty() || interest.crates.iter().any(depends))
                        && (!interest.services_only || is_service)
                        && (!interest.service_workspaces_only || workspace_has_service)),
            );
        }
        CratePlan { applies }
    }
}
