//! Hostile input, generated at test time: every case ends with a defined outcome (exit 0 or 1,
//! a `parse-error` or the expected findings), never a signal, within a minute.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(60);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs scalelint with a hang bound; a signal, a timeout or an exit other than 0 or 1 fails the
/// test.
fn run(dir: &Path, args: &[&str]) -> Run {
    let r = run_any(dir, args);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    r
}

/// Runs scalelint with a hang bound; a signal, a panic or a timeout fails the test.
fn run_any(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalelint"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Drain the pipes on threads so a large report cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BOUND {
            child.kill().ok();
            panic!("no result within {BOUND:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = o.join().unwrap();
    let stderr = e.join().unwrap();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {status:?}\n{stderr}"));
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    Run {
        code,
        stdout,
        stderr,
    }
}

fn crate_with(lib: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsqlx = \"0.8\"\naxum = \"0.7\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    dir
}

/// The `parse-error` findings of a run in the short format.
fn parse_errors(r: &Run) -> Vec<&str> {
    r.stdout
        .lines()
        .filter(|l| l.contains(": parse-error: "))
        .collect()
}

/// Runs of what syn parses by recursion without brackets, each past the depth limit.
fn deep_inputs(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("not", format!("fn f() {{ let _ = {}x; }}\n", "!".repeat(n))),
        (
            "closures",
            format!("fn f() {{ let _ = {}0; }}\n", "|| ".repeat(n)),
        ),
        (
            "closures with parameters",
            format!("fn f() {{ let _ = {}0; }}\n", "|a, b| ".repeat(n)),
        ),
        (
            "generic types",
            format!("type T = {}u8{};\n", "Vec<".repeat(n), ">".repeat(n)),
        ),
        (
            "reference types",
            format!("type T = {}u8;\n", "& ".repeat(n)),
        ),
        (
            "reference patterns",
            format!("fn f() {{ let {}x = 0; }}\n", "& ".repeat(n)),
        ),
        (
            "negation",
            format!("fn f() {{ let _ = {}x; }}\n", "- ".repeat(n)),
        ),
        (
            "dereference",
            format!("fn f() {{ let _ = {}x; }}\n", "*".repeat(n)),
        ),
        (
            "references",
            format!("fn f() {{ let _ = {}y; }}\n", "&".repeat(n)),
        ),
        ("return", format!("fn f() {{ {}; }}\n", "return ".repeat(n))),
        (
            "assignment",
            format!("fn f() {{ {}0; }}\n", "x = ".repeat(n)),
        ),
        (
            "fn pointers",
            format!("type T = {}u8;\n", "fn() -> ".repeat(n)),
        ),
        (
            "impl Fn",
            format!("fn f() -> {}u8 {{ 0 }}\n", "impl Fn() -> ".repeat(n)),
        ),
        (
            "binary chain",
            format!("fn f() {{ let _ = a{}; }}\n", " + a".repeat(n)),
        ),
        (
            "field chain",
            format!("fn f() {{ a{}; }}\n", ".b".repeat(n)),
        ),
        ("call chain", format!("fn f() {{ y{}; }}\n", "()".repeat(n))),
        (
            "method chain",
            format!("fn f() {{ a{}; }}\n", ".b()".repeat(n)),
        ),
        (
            "blocks added",
            format!("fn f() {{ let _ = {}a; }}\n", "{a} + ".repeat(n)),
        ),
        (
            "else if",
            format!("fn f() {{ {}{{}} }}\n", "if a {} else ".repeat(n)),
        ),
    ]
}

#[test]
fn deep_nesting_without_brackets_is_a_parse_error() {
    // 100,000 levels: past the limit (65,536) and past what a 64 MiB stack holds (about 9,000
    // to 78,000 levels, depending on the construct).
    for (what, text) in deep_inputs(100_000) {
        let dir = crate_with(&text);
        let r = run(dir.path(), &["--no-prefilter", "--format", "short", "."]);
        let errors = parse_errors(&r);
        assert_eq!(errors.len(), 1, "{what}: {}", r.stdout);
        assert!(
            errors[0].contains("levels deep without brackets"),
            "{what}: {}",
            errors[0]
        );
        assert_eq!(r.code, 1, "{what}");
    }
}

#[test]
fn deep_nesting_under_the_limit_is_parsed() {
    // Deeper than the worker threads' 64 MiB stack holds, under the limit: parsed on a thread
    // of its own. (The chains that take quadratic time are left to the benchmark.)
    for (what, text) in deep_inputs(30_000) {
        if matches!(
            what,
            "closures"
                | "closures with parameters"
                | "assignment"
                | "call chain"
                | "method chain"
                | "blocks added"
                | "else if"
                | "generic types"
                | "fn pointers"
                | "impl Fn"
        ) {
            continue;
        }
        let dir = crate_with(&text);
        let r = run(dir.path(), &["--no-prefilter", "--format", "short", "."]);
        assert!(
            parse_errors(&r).iter().all(|e| !e.contains("levels deep")),
            "{what}: {}",
            r.stdout
        );
    }
}

/// A FIFO and a link to `/dev/zero` named like source files, found by the walk, declared as
/// modules, and given on the command line: skipped with a note, never opened for a blocking or
/// endless read.
#[cfg(unix)]
#[test]
fn special_files_are_not_read() {
    let dir = crate_with("mod fifo;\nmod zero;\npub fn f() {}\n");
    let src = dir.path().join("src");
    let fifo = std::ffi::CString::new(src.join("fifo.rs").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", src.join("zero.rs")).unwrap();
    for args in [
        &["."][..],
        &["src/fifo.rs", "src/zero.rs", "--allow-empty"],
        &["src"],
    ] {
        let r = run(dir.path(), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stdout);
        assert!(parse_errors(&r).is_empty(), "{args:?}: {}", r.stdout);
    }
    // Naming only files that cannot be read checks nothing: a usage error, not a green run.
    let r = run_any(dir.path(), &["src/fifo.rs", "src/zero.rs"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("skipped"), "{}", r.stderr);
    assert!(r.stderr.contains("--allow-empty"), "{}", r.stderr);
}

/// A file over `max-file-size` is a `parse-error` saying so, and is not read.
#[test]
fn files_over_the_size_limit_are_a_parse_error() {
    let dir = crate_with(&format!("pub fn f() {{}}\n{}", "// padding\n".repeat(100)));
    std::fs::write(dir.path().join("scalelint.toml"), "max-file-size = 1000\n").unwrap();
    let r = run(dir.path(), &["--format", "short", "."]);
    let errors = parse_errors(&r);
    assert_eq!(errors.len(), 1, "{}", r.stdout);
    assert!(
        errors[0].contains("too large: 1114 bytes, over the 1000-byte limit"),
        "{}",
        errors[0]
    );
    std::fs::write(dir.path().join("scalelint.toml"), "max-file-size = 2000\n").unwrap();
    assert!(parse_errors(&run(dir.path(), &["--format", "short", "."])).is_empty());
}

/// Only comments suppress: an allow inside a string literal (plain, raw, byte) or after a `'/'`
/// character silences nothing; allow comments that are malformed are reported, not ignored.
#[test]
fn suppressions_are_comments_and_malformed_ones_are_reported() {
    let pool =
        "let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;";
    let lib = format!(
        "pub async fn a(url: &str) {{\n    let _s = \"// scalelint: allow(oversized-pool)\";\n    {pool}\n}}\n\
         pub async fn b(url: &str) {{\n    let _s = r#\"x\" // scalelint: allow(oversized-pool)\"#;\n    {pool}\n}}\n\
         pub async fn c(url: &str) {{\n    let _c = '/'; let _s = b\"// scalelint: allow(oversized-pool)\";\n    {pool}\n}}\n\
         pub async fn d(url: &str) {{\n    // scalelint: allow(oversized-pool) the reports database allows 500\n    {pool}\n}}\n\
         // scalelint:allow(oversized-pool)\n\
         // scalelint: allow()\n\
         // scalelint: allow(oversized-pool\n\
         /* scalelint: allow(oversized-pool) */\n\
         pub fn e() {{}}\n"
    );
    let dir = crate_with(&lib);
    let r = run(dir.path(), &["--format", "short", "."]);
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("src/")).collect();
    let pools: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains(": oversized-pool: "))
        .copied()
        .collect();
    // a, b and c are reported (the allow is in a literal); d is silenced by its comment.
    assert_eq!(pools.len(), 3, "{}", r.stdout);
    for line in [3, 7, 11] {
        assert!(
            pools
                .iter()
                .any(|l| l.starts_with(&format!("src/lib.rs:{line}:"))),
            "line {line}: {}",
            r.stdout
        );
    }
    let malformed: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains(": unused-allow: malformed allow comment"))
        .copied()
        .collect();
    assert_eq!(malformed.len(), 4, "{}", r.stdout);
    for line in 17..=20 {
        assert!(
            malformed
                .iter()
                .any(|l| l.starts_with(&format!("src/lib.rs:{line}:"))),
            "line {line}: {}",
            r.stdout
        );
    }
    assert_eq!(lines.len(), 7, "nothing else: {}", r.stdout);
}

/// A `\` in a Unix file name is part of the name: every format and `--diff` keep it.
#[cfg(unix)]
#[test]
fn backslash_in_a_file_name_is_kept() {
    let dir = crate_with("pub fn f() {}\n");
    std::fs::write(
        dir.path().join("src/back\\slash.rs"),
        "pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n",
    )
    .unwrap();
    for format in ["short", "json", "github", "sarif", "human", "rustc-json"] {
        let r = run(dir.path(), &["--format", format, "."]);
        assert_eq!(r.code, 1, "{format}: {}", r.stdout);
        // JSON escapes the backslash; a SARIF URI percent-encodes it.
        let escaped = r.stdout.contains("back\\\\slash.rs") || r.stdout.contains("back%5Cslash.rs");
        assert!(
            r.stdout.contains("back\\slash.rs") || escaped,
            "{format}: {}",
            r.stdout
        );
        assert!(
            !r.stdout.contains("back/slash.rs"),
            "{format}: {}",
            r.stdout
        );
    }
    let r = run(dir.path(), &["--diff", "."]);
    assert!(
        r.stdout.contains("--- a/src/back\\slash.rs")
            && r.stdout.contains("+++ b/src/back\\slash.rs"),
        "{}",
        r.stdout
    );
}

/// A manifest value of the wrong type is a `parse-error` at that value, saying what was
/// assumed; the crate's own findings are still reported.
#[test]
fn manifest_values_of_the_wrong_type_are_reported() {
    let lib = "pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n";
    for (manifest, at) in [
        (
            "[package]\nname = 5\nversion = \"0.1.0\"\n\n[dependencies]\nsqlx = \"0.8\"\n",
            "Cargo.toml:2:8:",
        ),
        (
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[dependencies]\nsqlx = \"0.8\"\naxum = 7\n",
            "Cargo.toml:7:8:",
        ),
        ("[workspace]\nmembers = \"x\"\n", "Cargo.toml:2:11:"),
    ] {
        let dir = crate_with(lib);
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        let r = run(dir.path(), &["--format", "short", "."]);
        let errors = parse_errors(&r);
        assert_eq!(errors.len(), 1, "{manifest}: {}", r.stdout);
        assert!(
            errors[0].starts_with(at) && errors[0].contains("has a type scalelint cannot use"),
            "{manifest}: {}",
            errors[0]
        );
        assert!(
            r.stdout.contains("src/lib.rs:2:") && r.stdout.contains("oversized-pool"),
            "{manifest}: {}",
            r.stdout
        );
    }
}

const POOL_50: &str = "pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(50).connect(url).await;\n}\n";

/// A writer that appends to the file as soon as `--fix` creates its temporary file: the
/// append is never lost (either the fix is refused with exit 2, or it lands on the fixed file).
/// The writer polls, so it catches the temporary file in only some runs: up to 40 runs, until
/// 4 have raced, and at least one must have.
#[test]
fn fix_never_loses_a_concurrent_write() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut raced = 0;
    for attempt in 0..40 {
        if raced == 4 {
            break;
        }
        let dir = crate_with(POOL_50);
        let src = dir.path().join("src");
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let (src, done) = (src.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let tmp = std::fs::read_dir(&src)
                        .unwrap()
                        .flatten()
                        .any(|e| e.file_name().to_string_lossy().contains(".scalelint-"));
                    if tmp {
                        let mut f = std::fs::OpenOptions::new()
                            .append(true)
                            .open(src.join("lib.rs"))
                            .unwrap();
                        std::io::Write::write_all(&mut f, b"// edited meanwhile\n").unwrap();
                        return true;
                    }
                }
                false
            })
        };
        let r = run_any(dir.path(), &["--fix", "."]);
        done.store(true, Ordering::Relaxed);
        let text = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        if !writer.join().unwrap() {
            assert!(text.contains("max_connections(22)"), "{text}");
            continue;
        }
        raced += 1;
        assert!(
            text.contains("// edited meanwhile"),
            "attempt {attempt}: the concurrent write was lost (exit {}): {text}",
            r.code
        );
        match r.code {
            2 => assert!(
                r.stderr.contains("changed while scalelint was fixing it"),
                "{}",
                r.stderr
            ),
            0 | 1 => assert!(text.contains("max_connections(22)"), "{text}"),
            c => panic!("exit {c}: {}", r.stderr),
        }
        let leftovers: Vec<_> = std::fs::read_dir(&src)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".scalelint-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
    assert!(raced > 0, "the writer never caught the temporary file");
}

/// A file with a second hard link is not replaced (that would split the links).
#[cfg(unix)]
#[test]
fn fix_refuses_a_file_with_hard_links() {
    let dir = crate_with(POOL_50);
    std::fs::hard_link(
        dir.path().join("src/lib.rs"),
        dir.path().join("lib-link.rs"),
    )
    .unwrap();
    let r = run_any(dir.path(), &["--fix", "."]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("hard links"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        POOL_50
    );
}

/// More instances than the database has connections for: the finding says so and no fix
/// writes `max_connections(0)`.
#[test]
fn a_budget_of_zero_is_not_written() {
    let dir = crate_with(POOL_50);
    let r = run(dir.path(), &["--instances", "100", "--format", "json", "."]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("the database cannot hold 100 instances"),
        "{}",
        r.stdout
    );
    let r = run_any(
        dir.path(),
        &["--instances", "100", "--fix", "--unsafe-fixes", "."],
    );
    assert!(r.code == 1, "exit {}: {}", r.code, r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        POOL_50
    );
}
