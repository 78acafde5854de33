//! The command line: `scalelint [check] [PATHS]`, `explain`, `rules`, `init`, `config`. Exit codes:
//! 0 no findings (or none that fail the run), 1 findings, 2 usage, configuration or I/O error,
//! or nothing to check.

use crate::config::Overrides;
use crate::engine::{self, Options, Report};
use crate::fix;
use crate::render;
use crate::rules;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "scalelint",
    version,
    about = "Finds what breaks when a Rust service runs as several instances behind a load balancer",
    long_about = "Finds what breaks when a Rust service runs as several instances: in-process jobs \
                  without a cross-instance lock, migrations every instance applies, connection pools \
                  sized for one instance, and logs that multiply with the instance count.\n\n\
                  Exit codes: 0 no findings (or none that fail the run: --fail-on, --max-warnings), \
                  1 findings, 2 usage, configuration or I/O error, or nothing to check.",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check paths (the default command)
    Check(Box<CheckArgs>),
    /// Show a rule's page: what it finds, why it breaks at scale, how to fix it
    Explain {
        /// The rule id, e.g. oversized-pool
        rule: String,
    },
    /// List the rules: id, family, default level, fix kind
    Rules,
    /// Every connection pool with its size, instances and database, summed per database
    Capacity(CapacityArgs),
    /// Run the language server (LSP over stdio) for editors
    Server {
        /// Talk over stdin and stdout (the only transport; accepted because editors pass it)
        #[arg(long)]
        stdio: bool,
    },
    /// Show the settings in force for a path, each with where it came from
    Config {
        /// A file or folder (default: the current folder)
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Configuration file (default: scalelint.toml at the workspace root, then nested ones)
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Write a commented scalelint.toml with the defaults
    Init {
        /// Where to write it
        #[arg(default_value = "scalelint.toml")]
        path: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Short,
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// rustc's JSON diagnostics, one a line (rust-analyzer's check.overrideCommand)
    RustcJson,
    /// GitLab Code Quality JSON (`artifacts: reports: codequality`)
    Gitlab,
    /// JUnit XML, a failed test case per finding (CI test reports)
    Junit,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    #[default]
    Note,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    #[default]
    Text,
    Json,
    /// A Markdown table (what goes in the GitHub step summary)
    Markdown,
}

#[derive(Args, Debug, Default)]
pub struct CapacityArgs {
    /// Files or folders to read (default: the current folder)
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: CapacityFormat,
    /// Instance counts to try every database at, e.g. 1,2,4,8,16: shows where each runs out
    #[arg(long, value_delimiter = ',', value_name = "N,N,...", value_parser = clap::value_parser!(u64).range(1..))]
    instances: Vec<u64>,
    /// Configuration file (default: scalelint.toml or .scalelint.toml at the workspace root)
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The database's max_connections (overrides `[database] max-connections` and deploy files)
    #[arg(long, value_name = "N")]
    db_max_connections: Option<u64>,
    /// Connections kept free for operators (overrides `[database] reserved-connections`)
    #[arg(long, value_name = "N")]
    reserved_connections: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder); `-` reads stdin (with --stdin-filename)
    paths: Vec<PathBuf>,
    /// Output format (default: human; github when GITHUB_ACTIONS=true)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to this file instead of standard output
    #[arg(long, value_name = "PATH")]
    output_file: Option<PathBuf>,
    /// Also write a SARIF 2.1.0 report to this file (beside the main format)
    #[arg(long, value_name = "PATH")]
    sarif_file: Option<PathBuf>,
    /// Report only findings this baseline file does not list (see --write-baseline)
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record every current finding in this baseline file and exit 0
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Write a `// scalelint: allow(rule) TODO: ..` comment above every current finding, then
    /// report what remains (fill in the reasons; see require-reason)
    #[arg(long, conflicts_with_all = ["fix", "diff", "write_baseline", "baseline"])]
    add_allow: bool,
    /// Configuration file (default: scalelint.toml or .scalelint.toml at the workspace root)
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Instances the service runs as (overrides `instances`)
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    instances: Option<u64>,
    /// The database's max_connections (overrides `[database] max-connections`)
    #[arg(long, value_name = "N")]
    db_max_connections: Option<u64>,
    /// Connections kept free for operators (overrides `[database] reserved-connections`)
    #[arg(long, value_name = "N")]
    reserved_connections: Option<u64>,
    /// Report only these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Do not report these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Exit 0 even when there are findings
    #[arg(long)]
    exit_zero: bool,
    /// The lowest level of finding that fails the run (exit 1); `note`: any finding
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "note")]
    fail_on: FailOn,
    /// Warnings fail the run only when there are more than N of them
    #[arg(long, value_name = "N")]
    max_warnings: Option<usize>,
    /// Exit 0 when the paths hold no Rust crate or readable .rs file (by default that is an error, exit 2)
    #[arg(long)]
    allow_empty: bool,
    /// Print how many findings each rule has instead of the findings (text, or JSON with --format json)
    #[arg(long)]
    statistics: bool,
    /// Color in human output
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Worker threads (default: available parallelism)
    #[arg(long, short = 'j', value_name = "N", value_parser = at_least_one)]
    jobs: Option<u64>,
    /// Print findings only, no summary line
    #[arg(long, short = 'q')]
    quiet: bool,
    /// The path to report for source read from stdin (`-`)
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Parse every file, even those no rule needs (slower; the findings are the same)
    #[arg(long)]
    no_prefilter: bool,
    /// Apply the machine-applicable fixes to the files, then report what remains
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: also apply `maybe` fixes, which change behaviour
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change and write nothing (exit 1 when there is a diff)
    #[arg(long)]
    diff: bool,
}

/// Runs the program on `args` (without the program name) and returns the exit code.
pub fn main_with(args: Vec<std::ffi::OsString>) -> i32 {
    match parse(args) {
        Ok(cli) => dispatch(cli),
        Err(code) => code,
    }
}

/// `cargo scalelint`: as `main_with`, but a check without paths covers the whole workspace
/// around the current folder, run from its root, so paths read as cargo's do.
pub fn cargo_main_with(args: Vec<std::ffi::OsString>) -> i32 {
    let mut cli = match parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let check = match &mut cli.command {
        Some(Command::Check(args)) => Some(&mut **args),
        None => Some(&mut cli.check),
        _ => None,
    };
    if let Some(args) = check
        && args.paths.is_empty()
        && let Some(root) = cargo_workspace_root()
    {
        // Relative paths in options stay relative to where the user is.
        for path in [
            &mut args.config,
            &mut args.output_file,
            &mut args.sarif_file,
            &mut args.baseline,
            &mut args.write_baseline,
        ]
        .into_iter()
        .flatten()
        {
            if let Ok(abs) = std::path::absolute(&*path) {
                *path = abs;
            }
        }
        if let Err(e) = std::env::set_current_dir(&root) {
            return fail(format!("{}: {e}", root.display()));
        }
    }
    dispatch(cli)
}

/// The workspace root cargo would use: `cargo locate-project --workspace`, else the folder of
/// the nearest Cargo.toml upward.
fn cargo_workspace_root() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let located = std::process::Command::new(cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()));
    if let Some(dir) = located.as_ref().and_then(|m| m.parent()) {
        return Some(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|d| d.join("Cargo.toml").is_file())
        .map(std::path::Path::to_path_buf)
}

/// A count that must be at least 1 (`--instances`, `--jobs`).
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("must be a whole number, not `{s}`")),
    }
}

fn parse(args: Vec<std::ffi::OsString>) -> Result<Cli, i32> {
    use clap::error::ErrorKind;
    Cli::try_parse_from(std::iter::once("scalelint".into()).chain(args)).map_err(|e| {
        match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                0
            }
            _ => {
                eprintln!("error: {}", one_line(&e));
                2
            }
        }
    })
}

/// A clap error as one line: what is wrong, and clap's tip when it has one (`--instances must
/// be at least 1`; `unexpected argument '--formt' found; tip: a similar argument exists: '--format'`).
fn one_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::ValueValidation
        && let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg)
        && let Some(reason) = std::error::Error::source(e)
    {
        let flag = arg.split_whitespace().next().unwrap_or(arg);
        return format!("{flag} {reason}");
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let tips: Vec<&str> = lines.filter(|l| l.starts_with("tip:")).collect();
    let mut line = first;
    for tip in tips {
        line.push_str("; ");
        line.push_str(tip);
    }
    line.push_str(" (see --help)");
    line
}

fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Check(args)) => check(*args),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Rules) => list_rules(),
        Some(Command::Capacity(args)) => capacity(args),
        Some(Command::Init { path, force }) => init(&path, force),
        Some(Command::Server { .. }) => crate::server::serve(),
        Some(Command::Config { path, config }) => {
            match crate::config::show(&path, config.as_deref()) {
                Ok(text) => {
                    print!("{text}");
                    0
                }
                Err(e) => fail(e),
            }
        }
        None => check(cli.check),
    }
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    2
}

fn explain(rule: &str) -> i32 {
    match rules::meta(rule) {
        Some(meta) => {
            print!("{}", meta.doc);
            0
        }
        None => fail(format!(
            "unknown rule `{rule}`{} (see `scalelint rules`)",
            rules::did_you_mean(rule)
        )),
    }
}

fn list_rules() -> i32 {
    let metas = rules::all_meta();
    let width = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
    println!(
        "{:width$}  {:10}  {:8}  {:7}  summary",
        "rule", "family", "level", "fix"
    );
    for m in metas {
        println!(
            "{:width$}  {:10}  {:8}  {:7}  {}",
            m.id,
            m.family,
            m.default_severity.as_str(),
            m.fix,
            m.summary
        );
    }
    0
}

/// `scalelint capacity`: the pools, summed per database; in GitHub Actions the Markdown table
/// also goes to the step summary.
fn capacity(args: CapacityArgs) -> i32 {
    use crate::deploy::capacity;
    let opts = Options {
        paths: args.paths,
        config: args.config,
        overrides: Overrides {
            instances: None,
            max_connections: args.db_max_connections,
            reserved_connections: args.reserved_connections,
        },
        select: vec!["oversized-pool".into(), "host-sized-pool".into()],
        capacity: true,
        ..Options::default()
    };
    let report = match engine::run(&opts) {
        Ok(r) => r,
        Err(e) => return fail(e.0),
    };
    let dbs = capacity::report(report.capacity, &args.instances);
    // Workspaces side by side read the same deploy files.
    let mut deploy = report.deploy;
    let mut seen = std::collections::HashSet::new();
    deploy.retain(|l| seen.insert(l.clone()));
    let out = match args.format {
        CapacityFormat::Text => capacity::text(&dbs, &deploy),
        CapacityFormat::Markdown => capacity::markdown(&dbs),
        CapacityFormat::Json => {
            let mut s = serde_json::to_string_pretty(
                &serde_json::json!({ "deploy": deploy, "databases": dbs }),
            )
            .unwrap_or_default();
            s.push('\n');
            s
        }
    };
    print!("{out}");
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
        && let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY")
    {
        let md = capacity::markdown(&dbs);
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&summary)
            .and_then(|mut f| f.write_all(md.as_bytes()));
        if let Err(e) = written {
            eprintln!("warning: cannot write the step summary: {e}");
        }
    }
    0
}

fn init(path: &PathBuf, force: bool) -> i32 {
    if path.exists() && !force {
        return fail(format!(
            "{}: already exists (use --force to overwrite)",
            path.display()
        ));
    }
    match std::fs::write(path, crate::config::INIT_TEMPLATE) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            0
        }
        Err(e) => fail(format!("{}: {e}", path.display())),
    }
}

fn check(args: CheckArgs) -> i32 {
    let mut paths = args.paths.clone();
    let mut stdin = None;
    if args.stdin_filename.is_some() && !paths.iter().any(|p| p.as_os_str() == "-") {
        return fail(
            "--stdin-filename names the file stdin stands for; add `-` to the paths to read stdin",
        );
    }
    if args.statistics
        && !matches!(
            args.format,
            None | Some(Format::Human | Format::Short | Format::Json)
        )
    {
        return fail("--statistics prints a table: use it with --format human, short or json");
    }
    if paths.iter().any(|p| p.as_os_str() == "-") {
        let Some(name) = &args.stdin_filename else {
            return fail("reading from stdin (`-`) needs --stdin-filename");
        };
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            return fail(format!("stdin: {e}"));
        }
        let abs = match std::path::absolute(name) {
            Ok(p) => crate::workspace::normalize(&p),
            Err(e) => return fail(format!("{}: {e}", name.display())),
        };
        paths.retain(|p| p.as_os_str() != "-");
        paths.push(name.clone());
        stdin = Some((abs, text));
    }
    let opts = Options {
        paths,
        config: args.config.clone(),
        overrides: Overrides {
            instances: args.instances,
            max_connections: args.db_max_connections,
            reserved_connections: args.reserved_connections,
        },
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        jobs: args.jobs.map(|j| j as usize),
        stdin,
        no_prefilter: args.no_prefilter,
        ..Options::default()
    };
    if args.unsafe_fixes && !args.fix && !args.diff {
        return fail("--unsafe-fixes applies fixes only with --fix or --diff");
    }
    let mut write_failed = false;
    let mut report = if args.add_allow {
        if opts.stdin.is_some() {
            return fail("--add-allow works on files, not on stdin (`-`)");
        }
        let added = match crate::add_allow::compute(&opts) {
            Ok(a) => a,
            Err(e) => return fail(e.0),
        };
        for r in &added.refused {
            eprintln!(
                "error: {}: no allow comments were added because the result would not parse ({}); the file was left as it is",
                r.display, r.reason
            );
        }
        for c in &added.changes {
            if let Err(e) = fix::write_atomic(&c.path, &c.original, &c.fixed) {
                eprintln!("error: {}: cannot write the allow comments: {e}", c.display);
                write_failed = true;
            }
        }
        if !args.quiet {
            eprintln!(
                "scalelint: added {} for {} in {}; replace each `{}` with the reason",
                plural(added.comments, "allow comment", "allow comments"),
                plural(added.findings, "finding", "findings"),
                plural(added.changes.len(), "file", "files"),
                crate::suppress::REASON_PLACEHOLDER
            );
        }
        added.report
    } else if args.fix || args.diff {
        if opts.stdin.is_some() {
            return fail("--fix and --diff work on files, not on stdin (`-`)");
        }
        let fix_opts = fix::FixOptions {
            unsafe_fixes: args.unsafe_fixes,
        };
        let outcome = match fix::compute(&opts, fix_opts) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        for r in &outcome.refused {
            eprintln!(
                "error: {}: its fixes were not applied because the result would not parse ({}); the file was left as it is",
                r.display, r.reason
            );
        }
        if args.diff {
            let mut out = String::new();
            for c in &outcome.changes {
                // `a/` and `b/` before relative paths, as git writes them; absolute ones as they are.
                let (old, new) = if std::path::Path::new(&c.display).is_absolute() {
                    (c.display.clone(), c.display.clone())
                } else {
                    (format!("a/{}", c.display), format!("b/{}", c.display))
                };
                out.push_str(&fix::unified_diff(&c.original, &c.fixed, &old, &new));
            }
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                return 2;
            }
            if !args.quiet {
                eprintln!("{}", fix_summary(&outcome, true));
            }
            return if outcome.changes.is_empty() { 0 } else { 1 };
        }
        for c in &outcome.changes {
            if let Err(e) = fix::write_atomic(&c.path, &c.original, &c.fixed) {
                eprintln!("error: {}: cannot write the fixes: {e}", c.display);
                write_failed = true;
            }
        }
        if !args.quiet {
            eprintln!("{}", fix_summary(&outcome, false));
        }
        outcome.report
    } else {
        match engine::run(&opts) {
            Ok(r) => r,
            Err(e) => return fail(e.0),
        }
    };
    if report.summary.crates == 0 && report.summary.files == 0 && !args.allow_empty {
        let shown: Vec<String> = if args.paths.is_empty() {
            vec![".".into()]
        } else {
            args.paths.iter().map(|p| p.display().to_string()).collect()
        };
        for note in &report.notes {
            eprintln!("note: {note}");
        }
        return fail(format!(
            "nothing to check in {}: no Rust crate or readable .rs file; pass --allow-empty if \
             that is expected",
            shown.join(", ")
        ));
    }
    if let Some(file) = &args.write_baseline {
        return match crate::baseline::write(&report, file) {
            Ok(n) => {
                if !args.quiet {
                    eprintln!(
                        "scalelint: wrote {n} finding{} to {}; pass --baseline {} to report only new ones",
                        if n == 1 { "" } else { "s" },
                        file.display(),
                        file.display()
                    );
                }
                0
            }
            Err(e) => fail(e),
        };
    }
    if let Some(file) = &args.baseline {
        let baseline = match crate::baseline::read(file) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let applied = crate::baseline::apply(&mut report, &baseline, file);
        if applied.hidden > 0 {
            report.notes.push(format!(
                "{} finding{} listed in {} not reported",
                applied.hidden,
                if applied.hidden == 1 { "" } else { "s" },
                file.display()
            ));
        }
        if !applied.stale.is_empty() {
            let list: Vec<String> = applied
                .stale
                .iter()
                .map(|e| format!("{} at {}:{}", e.rule, e.path, e.line))
                .collect();
            report.notes.push(format!(
                "{} baseline entr{} no longer occur{} ({}); run --write-baseline {} to shrink it",
                list.len(),
                if list.len() == 1 { "y" } else { "ies" },
                if list.len() == 1 { "s" } else { "" },
                list.join(", "),
                file.display()
            ));
        }
    }
    let format = match args.format {
        Some(f) => f,
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => {
            if !args.quiet {
                eprintln!(
                    "note: GITHUB_ACTIONS=true: using --format github (pass --format to choose another)"
                );
            }
            Format::Github
        }
        None => Format::Human,
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output_file.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let output = if args.statistics {
        render::statistics(&report, format == Format::Json)
    } else {
        render_report(&report, format, color)
    };
    if let Some(path) = &args.output_file {
        if let Err(e) = std::fs::write(path, output.as_bytes()) {
            return fail(format!("{}: {e}", path.display()));
        }
    } else {
        let mut stdout = std::io::stdout().lock();
        if stdout
            .write_all(output.as_bytes())
            .and_then(|_| stdout.flush())
            .is_err()
        {
            return 2;
        }
    }
    if let Some(path) = &args.sarif_file
        && let Err(e) = std::fs::write(path, render::sarif::render(&report))
    {
        return fail(format!("{}: {e}", path.display()));
    }
    if format == Format::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
        && let Err(e) = append(
            std::path::Path::new(&path),
            &render::github::summary_markdown(&report),
        )
    {
        eprintln!(
            "warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
    }
    if !args.quiet {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
        if format == Format::Human {
            eprintln!("{}", render::human::summary_line(&report));
        }
    }
    let failing = fails(&report, args.fail_on, args.max_warnings);
    if !args.quiet
        && let Some(why) = &failing.passed_because
    {
        eprintln!("note: {why}");
    }
    if write_failed {
        2
    } else if failing.fails && !args.exit_zero {
        1
    } else {
        0
    }
}

struct Gate {
    fails: bool,
    /// Why findings were reported and the run still passes (`--fail-on`, `--max-warnings`).
    passed_because: Option<String>,
}

/// Whether the findings fail the run: any at or above `--fail-on`, except warnings when
/// `--max-warnings N` is given, which fail only when there are more than N.
fn fails(report: &Report, fail_on: FailOn, max_warnings: Option<usize>) -> Gate {
    use crate::diagnostic::Severity;
    let rank = |s: Severity| match s {
        Severity::Error => 2,
        Severity::Warning => 1,
        Severity::Note => 0,
    };
    let threshold = match fail_on {
        FailOn::Error => 2,
        FailOn::Warning => 1,
        FailOn::Note => 0,
    };
    let warnings = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let over_threshold = report.diagnostics.iter().any(|d| {
        rank(d.severity) >= threshold
            && !(max_warnings.is_some() && d.severity == Severity::Warning)
    });
    let too_many = max_warnings.is_some_and(|n| warnings > n);
    let fails = over_threshold || too_many;
    let passed_because = (!fails && !report.diagnostics.is_empty()).then(|| {
        let mut why = vec![];
        if threshold > 0 {
            why.push(format!(
                "--fail-on {}",
                ["note", "warning", "error"][threshold]
            ));
        }
        if let Some(n) = max_warnings {
            why.push(format!(
                "{} (at most {n} with --max-warnings)",
                plural(warnings, "warning", "warnings")
            ));
        }
        format!(
            "findings were reported but do not fail the run: {}",
            why.join(", ")
        )
    });
    Gate {
        fails,
        passed_because,
    }
}

fn render_report(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Human => render::human::render(report, color),
        Format::Short => render::short::render(report),
        Format::Json => render::json::render(report),
        Format::Github => render::github::render(report),
        Format::Sarif => render::sarif::render(report),
        Format::RustcJson => render::rustc_json::render(report),
        Format::Gitlab => render::gitlab::render(report),
        Format::Junit => render::junit::render(report),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `fixed 3 findings in 2 files; 2 remain (1 manual fix, 1 unsafe fix not requested)`.
fn fix_summary(outcome: &fix::Outcome, dry_run: bool) -> String {
    let files = outcome.changes.len();
    let mut line = format!(
        "{} {} in {}",
        if dry_run { "would fix" } else { "fixed" },
        plural(outcome.fixed, "finding", "findings"),
        plural(files, "file", "files")
    );
    let r = outcome.remaining;
    if r.total() > 0 {
        let mut why = vec![];
        if r.manual > 0 {
            why.push(plural(r.manual, "manual fix", "manual fixes"));
        }
        if r.unsafe_not_requested > 0 {
            why.push(format!(
                "{} not requested",
                plural(r.unsafe_not_requested, "unsafe fix", "unsafe fixes")
            ));
        }
        if r.overlap > 0 {
            why.push(format!("{} overlap", r.overlap));
        }
        if r.would_not_parse > 0 {
            why.push(format!("{} would not parse", r.would_not_parse));
        }
        line.push_str(&format!(
            "; {} remain{} ({})",
            r.total(),
            if r.total() == 1 { "s" } else { "" },
            why.join(", ")
        ));
    } else {
        line.push_str("; none remain");
    }
    if r.unsafe_not_requested > 0 {
        line.push_str(
            "\nhint: add --unsafe-fixes to apply the unsafe fixes too (they change behaviour)",
        );
    }
    if !outcome.unsafe_applied.is_empty() {
        let which: Vec<String> = outcome
            .unsafe_applied
            .iter()
            .map(|(rule, n)| format!("{rule} ×{n}"))
            .collect();
        let n: usize = outcome.unsafe_applied.values().sum();
        line.push_str(&format!(
            "\n{} {} (they change behaviour; review them): {}",
            if dry_run { "would apply" } else { "applied" },
            plural(n, "unsafe fix", "unsafe fixes"),
            which.join(", ")
        ));
    }
    line
}

fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}
