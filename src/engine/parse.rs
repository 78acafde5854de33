//! Parsing one source file into its facts, with the stack kept bounded: too-deep nesting is a
//! parse error, deep files get a thread with the stack they need.

use super::Options;
use crate::facts::FileFacts;
use crate::source::{OffsetMap, Span};
use std::path::Path;

/// Nesting deeper than this is reported as a parse error instead of risking the stack.
pub(super) const MAX_NESTING: usize = 256;
/// The worker threads' stack: enough for files whose estimated depth is up to 6,144 levels;
/// deeper ones are parsed on a thread of their own ([`on_stack_for`]).
pub const PARSE_STACK: usize = 64 * 1024 * 1024;

pub(super) enum Parsed {
    Ok(Box<FileFacts>),
    Err { message: String, span: Span },
}

pub(super) fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

pub(super) fn parse_one(text: &str, module: Vec<String>) -> Parsed {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    if nesting_depth(body) > MAX_NESTING {
        return Parsed::Err {
            message: format!("nesting deeper than {MAX_NESTING} levels; the file was not checked"),
            span: Span::new(0, 0),
        };
    }
    let levels = crate::depth::estimate(body);
    if levels > crate::depth::MAX_LEVELS {
        return Parsed::Err {
            message: format!(
                "an expression, type or pattern may nest about {levels} levels deep without \
                 brackets (a run of prefix operators, closures, `<`, `&`, `->`, `return` or `=`, \
                 or a chain of calls or operators); past {} levels the file is not parsed, to keep \
                 the stack bounded",
                crate::depth::MAX_LEVELS
            ),
            span: Span::new(0, 0),
        };
    }
    on_stack_for(levels, PARSE_STACK, || parse_and_extract(body, bom, module))
}

/// [`parse_one`], through [`Options::parse_cache`] when there is one.
pub(super) fn parse_cached(opts: &Options, path: &Path, text: &str, module: &[String]) -> Parsed {
    let Some(cache) = &opts.parse_cache else {
        return parse_one(text, module.to_vec());
    };
    let parsed = cache.get(path, text, module).unwrap_or_else(|| {
        let p = match parse_one(text, module.to_vec()) {
            Parsed::Ok(f) => Ok(f),
            Parsed::Err { message, span } => Err((message, span)),
        };
        cache.put(path, text, module.to_vec(), &p);
        p
    });
    match parsed {
        Ok(facts) => Parsed::Ok(facts),
        Err((message, span)) => Parsed::Err { message, span },
    }
}

/// Runs `f` here when this thread's stack (`have` bytes) is enough for a text of `levels`
/// estimated depth ([`crate::depth`]), else on a thread with the stack it needs (syn, the
/// visitors and `Drop` recurse on the tree).
pub fn on_stack_for<R: Send>(levels: usize, have: usize, f: impl FnOnce() -> R + Send) -> R {
    let need = crate::depth::stack_for(levels);
    if need <= have {
        return f();
    }
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .stack_size(need)
            .spawn_scoped(s, f)
        {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Err(_) => no_stack(need),
        }
    })
}

/// No memory for the stack: stop rather than risk an overflow.
pub(super) fn no_stack(need: usize) -> ! {
    eprintln!("scalelint: cannot start a thread with a {need}-byte stack");
    std::process::exit(2)
}

pub(super) fn parse_and_extract(body: &str, bom: usize, module: Vec<String>) -> Parsed {
    let result = match syn::parse_file(body) {
        Ok(file) => {
            let offsets = OffsetMap::new(body, bom);
            Parsed::Ok(Box::new(crate::facts::visit::extract(
                &file, &offsets, module,
            )))
        }
        Err(e) => {
            let offsets = OffsetMap::new(body, bom);
            let span = offsets.span(e.span());
            Parsed::Err {
                message: format!("cannot parse: {e}"),
                span,
            }
        }
    };
    // Span locations are kept per thread until invalidated; every position is read by now.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}
