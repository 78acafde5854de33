//! Bytes in as `src/lib.rs` of a crate that depends on every stack the rules know: the whole
//! engine runs (discovery, parse, facts, every rule, suppressions), the report is rendered in
//! every format, and fixes are computed in memory. Nothing may panic; JSON output must parse;
//! fixing must converge.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use scalelint::diagnostic::Applicability;
use scalelint::engine::{self, Options};
use scalelint::fix::{self, FixError, FixOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

struct Fixture {
    lib: PathBuf,
    base: Options,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = common::make_crate("analyse", "");
        let lib = root.join("src/lib.rs");
        let base = Options {
            paths: vec![root],
            jobs: Some(1),
            // Every file is parsed and every rule runs, whatever words the input holds.
            no_prefilter: true,
            ..Options::default()
        };
        // The overlay must stand in for the file on disk, or the fuzzer tests nothing.
        let mut probe = base.clone();
        probe.overlay.insert(lib.clone(), "fn (".into());
        let report = engine::run(&probe).expect("the fixture crate runs");
        assert_eq!(
            report.summary.parse_errors, 1,
            "the overlay path is not the discovered path"
        );
        Fixture { lib, base }
    })
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let mut opts = fx.base.clone();
    match std::str::from_utf8(data) {
        // Text: handed to the engine in memory, as `fix` does.
        Ok(text) => {
            opts.overlay.insert(fx.lib.clone(), text.to_string());
        }
        // Not UTF-8: only the file on disk can carry it.
        Err(_) => {
            std::fs::write(&fx.lib, data).expect("write src/lib.rs");
        }
    }
    let report = match engine::run(&opts) {
        Ok(report) => report,
        Err(e) => panic!("a source file made the run fail: {}", e.0),
    };
    common::render_all(&report);
    let fixable = report.diagnostics.iter().any(|d| {
        d.fix
            .as_ref()
            .is_some_and(|f| f.applicability != Applicability::Manual && !f.edits.is_empty())
    });
    if fixable {
        match fix::compute(&opts, FixOptions { unsafe_fixes: true }) {
            Ok(outcome) => common::render_all(&outcome.report),
            Err(FixError::NoConvergence { rules, .. }) => {
                panic!("fixes did not converge: {rules:?}")
            }
            Err(FixError::Run(e)) => panic!("fixing made the run fail: {}", e.0),
        }
    }
});
