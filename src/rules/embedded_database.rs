//! `embedded-database` (note): a server that opens a file-backed embedded database (SQLite
//! through sqlx or rusqlite, sled, redb, RocksDB) and uses no networked database: each instance
//! has its own data.

use super::{Rule, RuleMeta};
use crate::analysis::state_sites::{checked, in_dev_branch, instances_text, sites};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Val;
use crate::project::{Project, Unit};

pub struct EmbeddedDatabase;

static META: RuleMeta = RuleMeta {
    id: "embedded-database",
    family: "state",
    default_severity: Severity::Note,
    fix: crate::diagnostic::Applicability::Manual,
    summary: "a server whose only database is a file-backed embedded one: every instance has its own data",
    doc: include_str!("../../rules/docs/embedded-database.md"),
};

/// Names that show a networked database somewhere in the workspace: a pool, a client or a URL.
const NETWORKED: &[&str] = &[
    "PgPool",
    "PgPoolOptions",
    "PgConnectOptions",
    "PgConnection",
    "MySqlPool",
    "MySqlPoolOptions",
    "MySqlConnectOptions",
    "MysqlConnection",
    "AnyPool",
    "tokio_postgres",
    "postgres",
    "mysql_async",
    "mysql",
    "deadpool_postgres",
    "bb8_postgres",
    "sea_orm",
    "libsql",
    "redis",
];

/// Where the workspace shows a networked database, if it does.
fn networked(project: &Project) -> Option<String> {
    for u in &project.units {
        if let Some(s) = u.facts.strings.iter().find(|s| {
            ["postgres://", "postgresql://", "mysql://", "mariadb://"]
                .iter()
                .any(|p| s.value.starts_with(p))
        }) {
            return Some(format!("the URL `{}`", s.value));
        }
        for c in &u.facts.calls {
            let mut hit = None;
            c.val.walk(&mut |v| {
                if hit.is_none()
                    && let Val::Path { path, .. } = v
                    && let Some(n) = path.iter().find(|s| NETWORKED.contains(&s.as_str()))
                {
                    hit = Some(format!("`{}` ({n})", path.join("::")));
                }
            });
            if hit.is_some() {
                return hit;
            }
        }
    }
    None
}

/// Whether the call opens an in-memory database: `sqlite::memory:`, `:memory:`, `open_in_memory`.
fn in_memory(val: &Val) -> bool {
    let mut hit = false;
    val.walk(&mut |v| {
        if let Val::Str { value, .. } = v
            && (value.contains(":memory:") || value.contains("mode=memory"))
        {
            hit = true;
        }
    });
    hit
}

impl Rule for EmbeddedDatabase {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn interest(&self, catalog: &crate::catalog::Catalog) -> super::Interest {
        crate::analysis::state_sites::interest(
            catalog,
            |e| e.rule == META.id,
            &[
                "Sqlite",
                "sled",
                "redb",
                "rocksdb",
                "DB::open",
                "Connection::open",
            ],
        )
    }

    fn check_unit(&self, project: &Project, unit: &Unit, out: &mut Vec<Diagnostic>) {
        if !checked(project, unit) {
            return;
        }
        let facts = &unit.facts;
        let found = sites(project, unit, META.id, &["embedded-db"]);
        if found.is_empty() {
            return;
        }
        let mut shared: Option<Option<String>> = None;
        // One finding per database: options and the pool built from them in one function are one.
        let mut done: Vec<(Option<crate::source::Span>, &str)> = vec![];
        for site in &found {
            let in_fn = facts.enclosing_fn(site.region).map(|f| f.span);
            if done.contains(&(in_fn, site.entry.library.as_str())) {
                continue;
            }
            // One finding per value: the outermost call of a builder chain.
            if found
                .iter()
                .any(|o| o.span != site.span && o.span.contains(site.span))
                || in_memory(site.val)
                || facts.in_test(site.region)
                || in_dev_branch(facts, site.span)
                || !project.runs_on_replicas(unit, site.region, site.span)
            {
                continue;
            }
            // The whole statement's text: `SqliteConnectOptions::from_str("sqlite::memory:")`.
            let whole_in_memory = facts
                .calls
                .iter()
                .filter(|c| c.val.span().contains(site.span))
                .any(|c| in_memory(&c.val));
            if whole_in_memory {
                continue;
            }
            let shared = shared.get_or_insert_with(|| networked(project));
            if shared.is_some() {
                continue;
            }
            done.push((in_fn, site.entry.library.as_str()));
            let written = site
                .path
                .rsplit("::")
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("::");
            let mut d = Diagnostic::new(
                META.id,
                unit.id,
                site.span,
                format!(
                    "`{written}(..)` opens {}: every instance of the server has its own copy of the data",
                    site.entry.what
                ),
            );
            d.severity = Severity::Note;
            if let Some(why) = project.roles().describe(project, unit, site.region) {
                d = d.note(why);
            }
            d = d.note(
                "seen: the server opens a file-backed embedded database, and the workspace shows no networked database (no Postgres or MySQL pool, client or URL, no sea-orm, libsql or Redis): it looks like the primary store",
            );
            d = d.note(format!(
                "at {}: a write that reaches instance A goes to A's file only; a read that reaches B does not see it, and each instance's file drifts from the others (a file on a shared volume is worse: SQLite's locking is not safe over NFS, and sled, redb and RocksDB take an exclusive lock per process)",
                instances_text(project, unit)
            ));
            out.push(
                d.help("if the service runs as one instance on purpose (a self-hosted single-node app), name it in `single-instance`")
                    .fix(Fix::manual(site.entry.fix.clone())),
            );
        }
    }
}
