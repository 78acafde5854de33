//! The "parse floor" for scalelint's benchmark: walk a folder the way scalelint does, read every
//! `.rs` file and `syn::parse_file` it on N threads. No facts, no rules, no output but counts.
//!
//! Usage: parse-floor [--jobs N] [--verbose] PATH...

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

/// Folders never descended into (the same list as scalelint's `workspace::skip_dir`).
fn skip_dir(name: &str) -> bool {
    name == "target"
        || name == "node_modules"
        || name == "vendor"
        || (name.starts_with('.') && name != ".")
}

fn rust_files(root: &Path, out: &mut Vec<PathBuf>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !e.file_type().is_dir() || !skip_dir(&e.file_name().to_string_lossy())
        });
    for entry in walker.flatten() {
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "rs") {
            out.push(entry.into_path());
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: parse-floor [--jobs N] [--verbose] PATH...");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut verbose = false;
    let mut roots = vec![];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-j" | "--jobs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => jobs = n,
                _ => return usage(),
            },
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => return usage(),
            _ if arg.starts_with('-') => return usage(),
            _ => roots.push(PathBuf::from(arg)),
        }
    }
    if roots.is_empty() {
        return usage();
    }

    let mut files = vec![];
    for root in &roots {
        rust_files(root, &mut files);
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("thread pool");
    let bytes = AtomicU64::new(0);
    let read_errors = AtomicU64::new(0);
    let parse_failures = AtomicU64::new(0);
    pool.install(|| {
        files.par_iter().for_each(|path| {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) => {
                    read_errors.fetch_add(1, Ordering::Relaxed);
                    if verbose {
                        eprintln!("{}: read error: {e}", path.display());
                    }
                    return;
                }
            };
            bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
            match syn::parse_file(&text) {
                Ok(file) => drop(file),
                Err(e) => {
                    parse_failures.fetch_add(1, Ordering::Relaxed);
                    if verbose {
                        eprintln!("{}: parse error: {e}", path.display());
                    }
                }
            }
            #[cfg(feature = "span-locations")]
            proc_macro2::extra::invalidate_current_thread_spans();
        });
    });

    println!(
        "files: {}  bytes: {}  parse failures: {}  read errors: {}  jobs: {jobs}",
        files.len(),
        bytes.into_inner(),
        parse_failures.into_inner(),
        read_errors.into_inner(),
    );
    ExitCode::SUCCESS
}
