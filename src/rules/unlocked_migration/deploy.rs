//! Deploy files: entrypoints, start commands, compose, Kubernetes.

use super::*;

/// A line of a deploy file that applies migrations.
struct Hit {
    span: Span,
    command: String,
    /// Where it runs: "an init container of a Deployment".
    place: String,
}

fn tokens(line: &str) -> Vec<String> {
    let mut out = vec![];
    for t in line
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
        .filter(|t| !t.is_empty())
    {
        match t.strip_suffix(';') {
            Some(stem) if !stem.is_empty() => {
                out.push(stem.to_string());
                out.push(";".to_string());
            }
            _ => out.push(t.to_string()),
        }
    }
    out
}

fn is_separator(t: &str) -> bool {
    matches!(t, "&&" | "||" | ";" | "&" | "|") || t.ends_with(';')
}

/// The migrate command on a line, if any: a known CLI (`sqlx migrate run`) or one of the
/// project's binaries with a `migrate` subcommand. Also says whether more commands follow.
fn migrate_command(project: &Project, line: &str) -> Option<(String, bool)> {
    let toks = tokens(line);
    let lower: Vec<String> = toks.iter().map(|t| t.to_ascii_lowercase()).collect();
    let clis: Vec<Vec<&str>> = project
        .catalog
        .migration_runner
        .iter()
        .flat_map(|r| r.cli.iter().map(|c| c.split_whitespace().collect()))
        .collect();
    let bins: BTreeSet<String> = project
        .crates
        .iter()
        .flat_map(|c| {
            c.bins
                .iter()
                .map(|(n, _)| n.clone())
                .chain(std::iter::once(c.name.clone()))
        })
        .collect();
    for start in 0..lower.len() {
        let mut end = None;
        // Longest CLI phrase first.
        let mut best: Option<usize> = None;
        for cli in &clis {
            let n = cli.len();
            if start + n <= lower.len()
                && (0..n).all(|k| {
                    let t = lower[start + k].as_str();
                    t == cli[k] || (k == 0 && t.rsplit('/').next() == Some(cli[0]))
                })
            {
                let next = lower.get(start + n);
                let longer_known = next.is_some_and(|nx| {
                    clis.iter()
                        .any(|c| c.len() == n + 1 && c[..n] == cli[..] && c[n] == nx.as_str())
                });
                let plain_word_follows = next.is_some_and(|nx| {
                    !nx.starts_with('-') && !is_separator(nx) && !nx.starts_with('$')
                });
                // `sea-orm-cli migrate status` is not a run; `sqlx migrate run --source x` is.
                let accepts = !plain_word_follows || longer_known || n >= 3;
                if accepts && best.is_none_or(|b| n > b) {
                    best = Some(n);
                }
            }
        }
        if let Some(n) = best {
            end = Some(start + n);
        }
        // `myservice migrate` / `/usr/local/bin/myservice migrate`.
        if end.is_none()
            && start + 1 < lower.len()
            && lower[start + 1] == "migrate"
            && bins.contains(lower[start].rsplit('/').next().unwrap_or(""))
        {
            end = Some(start + 2);
        }
        if let Some(e) = end {
            let stop = (e..lower.len())
                .find(|&k| is_separator(&lower[k]))
                .unwrap_or(lower.len());
            let command = toks[start..stop].join(" ");
            let command = command.trim_end_matches(';').to_string();
            let more = stop < lower.len();
            return Some((command, more));
        }
    }
    None
}

fn line_spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = vec![];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        out.push((at, line.trim_end_matches(['\n', '\r'])));
        at += line.len();
    }
    out
}

fn trimmed_span(start: usize, line: &str) -> Span {
    let lead = line.len() - line.trim_start().len();
    Span::new(start + lead, start + line.trim_end().len())
}

/// Scripts named by a start command anywhere in the project's deploy files.
fn referenced_scripts(project: &Project) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in &project.extras {
        if !matches!(e.kind, ExtraKind::Dockerfile | ExtraKind::Yaml) {
            continue;
        }
        for t in tokens(&e.text) {
            if t.ends_with(".sh") {
                out.insert(t.rsplit('/').next().unwrap_or(&t).to_string());
            }
        }
    }
    out
}

pub(super) fn check(project: &Project, out: &mut Vec<Diagnostic>) {
    let scripts = referenced_scripts(project);
    for extra in project
        .extras
        .iter()
        .filter(|e| e.reported && project.ships(e))
    {
        let hits = match extra.kind {
            ExtraKind::Dockerfile => dockerfile(project, &extra.text),
            ExtraKind::Shell => {
                let name = extra
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let entry = project
                    .catalog
                    .migration_deploy
                    .entrypoint_scripts
                    .contains(&name);
                if entry || scripts.contains(&name) {
                    shell(project, &extra.text)
                } else {
                    vec![]
                }
            }
            ExtraKind::Yaml => yaml(project, &extra.text),
            _ => vec![],
        };
        for hit in hits {
            out.push(deploy_diagnostic(project, extra, hit));
        }
    }
}

fn deploy_diagnostic(project: &Project, extra: &Extra, hit: Hit) -> Diagnostic {
    let lower = hit.command.to_ascii_lowercase();
    let runner = project
        .catalog
        .migration_runner
        .iter()
        .find(|r| r.cli.iter().any(|c| lower.starts_with(c.as_str())));
    let lock_note = match runner {
        Some(r) => r.cli_note.clone().unwrap_or_else(|| r.why.clone()),
        None => format!(
            "`{}` is the service's own migrate subcommand: unless it takes a lock itself, every replica \
             applies the same pending migrations",
            hit.command
        ),
    };
    Diagnostic::new(
        META.id,
        extra.id,
        hit.span,
        format!(
            "`{}` in {} runs in every replica: they race to apply the same migrations",
            hit.command, hit.place
        ),
    )
    .note(lock_note)
    .note(format!(
        "with {} instances, a rolling deploy or scale-out starts several at once; an init container also runs once per pod",
        project.config.instances
    ))
    .help("run migrations once per deploy, before the new replicas start")
    .fix(Fix::manual(
        format!(
            "move `{}` out of the replica's start command into a one-off step:\n\n    \
             # Kubernetes: a Job (or a Helm hook) run once per release\n    \
             apiVersion: batch/v1\n    kind: Job\n    metadata:\n      name: migrate\n      \
             annotations:\n        \"helm.sh/hook\": pre-install,pre-upgrade\n    \
             spec:\n      template:\n        spec:\n          restartPolicy: Never\n          \
             containers:\n            - name: migrate\n              image: <your image>\n              \
             command: [\"sh\", \"-c\", \"{}\"]\n\n\
             and start only the server in the replica (`CMD [\"<your binary>\"]`); with docker compose, a one-shot \
             `migrate` service the app `depends_on` with `condition: service_completed_successfully`",
            hit.command, hit.command
        ),
    ))
}

/// `CMD`/`ENTRYPOINT` of the final stage (a `RUN` happens at build time, not at start).
fn dockerfile(project: &Project, text: &str) -> Vec<Hit> {
    let lines = line_spans(text);
    let mut hits: Vec<Hit> = vec![];
    let mut i = 0;
    while i < lines.len() {
        let (_, line) = lines[i];
        let trimmed = line.trim_start();
        let word = trimmed
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        // The instruction with its continuation lines.
        let mut j = i;
        while j + 1 < lines.len() && lines[j].1.trim_end().ends_with('\\') {
            j += 1;
        }
        if word == "FROM" {
            hits.clear();
        } else if word == "CMD" || word == "ENTRYPOINT" {
            let whole: String = lines[i..=j]
                .iter()
                .map(|(_, l)| l.trim_end().trim_end_matches('\\'))
                .collect::<Vec<_>>()
                .join(" ");
            if let Some((command, more)) = migrate_command(project, &whole)
                && more
            {
                let at = lines[i..=j]
                    .iter()
                    .find(|(_, l)| migrate_command(project, l).is_some())
                    .copied()
                    .unwrap_or(lines[i]);
                hits.push(Hit {
                    span: trimmed_span(at.0, at.1),
                    command,
                    place: format!("the image's `{word}`"),
                });
            }
        }
        i = j + 1;
    }
    hits
}

fn is_command_line(line: &str) -> bool {
    let t = line.trim();
    !(t.is_empty()
        || t.starts_with('#')
        || matches!(t, "fi" | "done" | "esac" | "}" | "then" | "else" | "do")
        || t.starts_with("set ")
        || t.starts_with("echo "))
}

/// An entrypoint script: a migrate command followed by more (the server).
fn shell(project: &Project, text: &str) -> Vec<Hit> {
    let lines = line_spans(text);
    let mut hits = vec![];
    for (k, (start, line)) in lines.iter().enumerate() {
        let code = strip_comment(line);
        if let Some((command, more)) = migrate_command(project, code) {
            let later = lines[k + 1..].iter().any(|(_, l)| is_command_line(l));
            if more || later {
                hits.push(Hit {
                    span: trimmed_span(*start, code),
                    command,
                    place: "the container's entrypoint script".into(),
                });
            }
        }
    }
    hits
}

/// Compose services and Kubernetes workloads, line by line, one document at a time.
fn yaml(project: &Project, text: &str) -> Vec<Hit> {
    let deploy = &project.catalog.migration_deploy;
    let lines = line_spans(text);
    let mut hits = vec![];
    let mut docs: Vec<Vec<(usize, &str)>> = vec![vec![]];
    for l in lines {
        if l.1.trim_end() == "---" {
            docs.push(vec![]);
        } else {
            docs.last_mut().unwrap().push(l);
        }
    }
    for doc in docs {
        let kind = doc.iter().find_map(|(_, l)| {
            l.strip_prefix("kind:")
                .map(|k| k.trim().trim_matches('"').to_string())
        });
        let hook = doc.iter().any(|(_, l)| {
            let t = l.trim_start().trim_start_matches('"');
            deploy
                .hook_annotations
                .iter()
                .any(|h| t.starts_with(h.as_str()))
        });
        let compose = doc.iter().any(|(_, l)| l.trim_end() == "services:");
        match kind {
            Some(k) if !hook && deploy.replica_kinds.contains(&k) => {
                let mut init = false;
                for (start, line) in &doc {
                    let code = strip_comment(line);
                    let t = code.trim();
                    if t.starts_with("initContainers:") {
                        init = true;
                    } else if t.starts_with("containers:") {
                        init = false;
                    }
                    let place = if init {
                        format!("an init container of a {k}")
                    } else {
                        format!("a container of a {k}")
                    };
                    if let Some((command, _)) = migrate_command(project, code) {
                        hits.push(Hit {
                            span: trimmed_span(*start, code),
                            command,
                            place,
                        });
                    } else if let Some(command) = split_subcommand(project, &doc, *start) {
                        hits.push(Hit {
                            span: trimmed_span(*start, code),
                            command,
                            place,
                        });
                    }
                }
            }
            None if compose => hits.extend(compose_services(project, &doc)),
            _ => {}
        }
    }
    hits
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    line.split(" #").next().unwrap_or(line)
}

/// `- migrate` (or `args: ["migrate"]`) at `at`, after a line naming one of the project's
/// binaries in the same container: `command: ["/app/orders-api"]` then `args: ["migrate"]`.
fn split_subcommand(project: &Project, doc: &[(usize, &str)], at: usize) -> Option<String> {
    let bins: BTreeSet<String> = project
        .crates
        .iter()
        .flat_map(|c| c.bins.iter().map(|(n, _)| n.clone()))
        .collect();
    let mut bin_seen: Option<String> = None;
    for (start, line) in doc {
        let t = strip_comment(line).trim();
        if t.starts_with("- name:") || t.starts_with("name:") {
            bin_seen = None;
        }
        let toks = tokens(t.trim_start_matches('-'));
        let item = t.trim_start_matches('-').trim().trim_matches(['"', '\'']);
        let args_item = t.starts_with("args:") && toks.get(1).is_some_and(|a| a == "migrate");
        if *start == at {
            return bin_seen
                .filter(|_| item == "migrate" || args_item)
                .map(|b| format!("{b} migrate"));
        }
        for tok in &toks {
            if let Some(b) = bins.get(tok.rsplit('/').next().unwrap_or("")) {
                bin_seen = Some(b.clone());
            }
        }
    }
    None
}

/// docker compose: `command:` of a service (one not named for migrating) that migrates first.
fn compose_services(project: &Project, doc: &[(usize, &str)]) -> Vec<Hit> {
    let mut hits = vec![];
    let mut service: Option<String> = None;
    let mut in_services = false;
    for (start, line) in doc {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 0 {
            in_services = t == "services:";
            service = None;
            continue;
        }
        if in_services && indent == 2 && t.ends_with(':') && !t.starts_with('-') {
            service = Some(t.trim_end_matches(':').to_string());
            continue;
        }
        let Some(svc) = &service else { continue };
        if has_migrate_word(project, svc) {
            continue;
        }
        let code = strip_comment(line);
        if let Some((command, more)) = migrate_command(project, code)
            && (more || t.starts_with("command:") || t.starts_with("entrypoint:"))
        {
            hits.push(Hit {
                span: trimmed_span(*start, code),
                command,
                place: format!("the `{svc}` compose service's command"),
            });
        }
    }
    hits
}
