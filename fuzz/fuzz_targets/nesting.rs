//! Structure-aware: a few input bytes describe a deeply nested or long-chained expression, type
//! or pattern, expanded to a file of up to a few hundred kilobytes (the byte-level target's
//! 8 KiB inputs cannot reach the depths where stacks overflow or time turns quadratic). Each
//! pair of bytes picks a construct and how many times to repeat it around what came before;
//! the engine must end with findings or a `parse-error`, never a crash.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use scalelint::engine::{self, Options};
use std::path::PathBuf;
use std::sync::OnceLock;

/// (before, after): one level of nesting wraps the text in these. Expressions, then types,
/// then patterns; `{}` marks where the inner text goes when it is not simply between them.
const EXPR: &[(&str, &str)] = &[
    ("!", ""),
    ("-", ""),
    ("*", ""),
    ("&", ""),
    ("&mut ", ""),
    ("|| ", ""),
    ("move |x| ", ""),
    ("return ", ""),
    ("x = ", ""),
    ("(", ")"),
    ("[", "]"),
    ("{ ", " }"),
    ("f(", ")"),
    ("", "()"),
    ("", ".m()"),
    ("", ".f"),
    ("", "?"),
    ("", ".await"),
    ("", " + 1"),
    ("1 + ", ""),
    ("", " as u8"),
    ("if c { ", " } else { 0 }"),
    ("async { ", " }"),
    ("loop { ", " }"),
    ("S { a: ", " }"),
    ("info!(\"{}\", ", ")"),
    ("tokio::spawn(async move { ", " })"),
];
const TYPE: &[(&str, &str)] = &[
    ("Vec<", ">"),
    ("&", ""),
    ("&'a mut ", ""),
    ("fn() -> ", ""),
    ("impl Fn() -> ", ""),
    ("Box<dyn Fn() -> ", ">"),
    ("(", ",)"),
    ("[", "; 2]"),
    ("*const ", ""),
];
const PAT: &[(&str, &str)] = &[("&", ""), ("(", ",)"), ("[", "]"), ("S(", ")"), ("Some(", ")")];

/// At most this many levels in all: past the depth limit (`scalelint::depth::MAX_LEVELS`).
const MAX_LEVELS: usize = 120_000;

fn build(data: &[u8]) -> String {
    let Some((&kind, rest)) = data.split_first() else {
        return String::new();
    };
    let (table, leaf, wrap): (&[(&str, &str)], &str, fn(&str) -> String) = match kind % 3 {
        0 => (EXPR, "y", |e| format!("fn f() {{ let _ = {e}; }}\n")),
        1 => (TYPE, "u8", |t| format!("type T<'a> = {t};\n")),
        _ => (PAT, "x", |p| format!("fn f() {{ let {p} = v; }}\n")),
    };
    let (mut before, mut after) = (String::new(), String::new());
    let mut levels = 0usize;
    for pair in rest.chunks(3) {
        let (&[pick], count) = pair.split_at(1) else {
            break;
        };
        let count = count.iter().fold(0usize, |n, &b| n * 256 + b as usize);
        let count = count.min(MAX_LEVELS - levels);
        let (open, close) = table[pick as usize % table.len()];
        // Inner levels first: the text grows outwards.
        before = open.repeat(count) + &before;
        after.push_str(&close.repeat(count));
        levels += count;
        if levels >= MAX_LEVELS {
            break;
        }
    }
    wrap(&format!("{before}{leaf}{after}"))
}

struct Fixture {
    lib: PathBuf,
    base: Options,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = common::make_crate("nesting", "");
        Fixture {
            lib: root.join("src/lib.rs"),
            base: Options {
                paths: vec![root],
                jobs: Some(1),
                no_prefilter: true,
                ..Options::default()
            },
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let mut opts = fx.base.clone();
    opts.overlay.insert(fx.lib.clone(), build(data));
    match engine::run(&opts) {
        Ok(report) => common::render_all(&report),
        Err(e) => panic!("a source file made the run fail: {}", e.0),
    }
});
