//! SQL text: which statements write only idempotently (an upsert, a `DELETE .. WHERE`, a
//! conditional `UPDATE`), and which renew a lease.

/// Whether a SQL text is one `UPDATE` that sets only lease or heartbeat columns (`columns`) of
/// rows picked by id: `UPDATE jobs SET updated_at = $1 WHERE id IN (..)`.
pub fn is_renewal(text: &str, columns: &[String]) -> bool {
    if columns.is_empty() {
        return false;
    }
    let lower = text
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = lower.trim_end_matches(';').trim();
    if !lower.starts_with("update ") || lower.matches("update ").count() != 1 {
        return false;
    }
    let Some(set) = lower.find(" set ") else {
        return false;
    };
    let Some(wh) = lower[set..].find(" where ").map(|i| i + set) else {
        return false;
    };
    let (assignments, filter) = (&lower[set + 5..wh], &lower[wh + 7..]);
    // Top-level commas separate the assignments.
    let parts = split_top_level(assignments);
    let only_lease = parts.iter().all(|p| {
        let col = p.split('=').next().unwrap_or("").trim();
        let col = col.rsplit('.').next().unwrap_or(col).trim_matches('"');
        !col.is_empty() && columns.iter().any(|w| col.contains(w.as_str()))
    });
    let by_id = [
        "id in (",
        "id = any(",
        "id = any (",
        "id = $",
        "id = ?",
        "id=$",
        "id=?",
    ]
    .iter()
    .any(|k| filter.contains(k));
    only_lease && by_id
}

/// Whether a SQL text writes only idempotently: `INSERT .. ON CONFLICT DO NOTHING / DO UPDATE`,
/// `INSERT IGNORE`, `INSERT OR IGNORE`, `.. ON DUPLICATE KEY UPDATE`: running it again changes
/// nothing the first run did not.
pub fn is_idempotent_write(text: &str) -> bool {
    let lower = normalized(text);
    let inserts = lower.matches("insert ").count();
    let writes_otherwise = ["update ", "delete ", "truncate ", "merge "]
        .iter()
        .any(|w| {
            lower.starts_with(w)
                || lower.contains(&format!("; {w}"))
                || lower.contains(&format!(") {w}"))
        });
    if inserts == 0 || writes_otherwise {
        return false;
    }
    is_upsert(&lower)
}

pub(super) fn normalized(text: &str) -> String {
    text.to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn is_upsert(lower: &str) -> bool {
    lower.contains("on conflict")
        || lower.contains("insert ignore")
        || lower.contains("insert or ignore")
        || lower.contains("on duplicate key update")
}

/// How a SQL text's writes repeat without harm, when every statement in it does: an upsert, a
/// `DELETE .. WHERE` (a second run finds the rows gone), or a conditional `UPDATE` whose `WHERE`
/// tests a column it sets (`SET status = 'pending' WHERE status = 'running' AND ..`: a second run
/// matches nothing). `None` when one statement writes unconditionally.
pub fn idempotent_sql(text: &str) -> Option<&'static str> {
    let lower = normalized(text);
    let mut kind = None;
    for stmt in lower.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let stmt_kind = if stmt.contains("insert ") {
            is_upsert(stmt).then_some("an upsert")?
        } else if let Some(i) = word_at(stmt, "update ") {
            conditional_update(stmt, i).then_some("a conditional UPDATE")?
        } else if word_at(stmt, "delete ").is_some() {
            stmt.contains(" where ")
                .then_some("a DELETE with a WHERE")?
        } else if ["truncate ", "merge "]
            .iter()
            .any(|w| word_at(stmt, w).is_some())
        {
            return None;
        } else {
            continue;
        };
        kind.get_or_insert(stmt_kind);
    }
    kind
}

/// Where a statement word starts: at the beginning or after `(`/`)`/a space.
pub(super) fn word_at(stmt: &str, word: &str) -> Option<usize> {
    stmt.match_indices(word)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || matches!(stmt.as_bytes()[i - 1], b' ' | b'(' | b')'))
}

/// `UPDATE t SET a = .., b = .. WHERE ..` where some `WHERE` of the statement (its own or a CTE's)
/// compares one of the columns it sets.
pub(super) fn conditional_update(stmt: &str, at: usize) -> bool {
    let rest = &stmt[at..];
    let Some(set) = rest.find(" set ") else {
        return false;
    };
    let after = &rest[set + 5..];
    let end = [" where ", " from ", " returning "]
        .iter()
        .filter_map(|k| after.find(k))
        .min()
        .unwrap_or(after.len());
    let columns = split_top_level(&after[..end])
        .into_iter()
        .filter_map(|a| {
            let col = a.split('=').next()?.trim();
            let col = col
                .rsplit('.')
                .next()
                .unwrap_or(col)
                .trim_matches('"')
                .trim_matches('`');
            (!col.is_empty()).then(|| col.to_string())
        })
        .collect::<Vec<_>>();
    let filters: Vec<&str> = stmt.split(" where ").skip(1).collect();
    columns
        .iter()
        .any(|c| filters.iter().any(|f| compares(f, c)))
}

pub(super) fn split_top_level(s: &str) -> Vec<&str> {
    let mut depth = 0i32;
    let mut parts = vec![];
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Whether `filter` compares `column` (`status = $2`, `t.status <> 'done'`, `status in (..)`).
pub(super) fn compares(filter: &str, column: &str) -> bool {
    filter.match_indices(column).any(|(i, _)| {
        let before = filter[..i].chars().next_back();
        let boundary = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == '_'));
        let after = filter[i + column.len()..]
            .trim_start()
            .trim_start_matches('"');
        boundary
            && ["=", "!=", "<>", "<", ">", "in ", "in(", "is ", "not "]
                .iter()
                .any(|op| after.starts_with(op))
    })
}

#[cfg(test)]
mod tests {
    use super::idempotent_sql;

    #[test]
    fn idempotent_statements() {
        assert_eq!(
            idempotent_sql("DELETE FROM file_list_jobs WHERE status = $1 AND updated_at < $3;"),
            Some("a DELETE with a WHERE")
        );
        assert_eq!(
            idempotent_sql(
                "UPDATE file_list_jobs SET status = $1 WHERE status = $2 AND updated_at < $3;"
            ),
            Some("a conditional UPDATE")
        );
        // A CTE that picks the rows `FOR UPDATE SKIP LOCKED` and resets them in one statement.
        let cte = "WITH timed_out AS (SELECT id FROM scheduled_jobs WHERE status = $2 AND end_time <= $3 \
                   ORDER BY id FOR UPDATE SKIP LOCKED) UPDATE scheduled_jobs AS jobs \
                   SET status = $1, retries = jobs.retries + 1 FROM timed_out WHERE jobs.id = timed_out.id;";
        assert_eq!(idempotent_sql(cte), Some("a conditional UPDATE"));
        assert_eq!(
            idempotent_sql("INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO NOTHING"),
            Some("an upsert")
        );
    }

    #[test]
    fn writes_that_repeat() {
        assert_eq!(
            idempotent_sql("UPDATE plans SET credits = credits + 10"),
            None
        );
        assert_eq!(
            idempotent_sql("UPDATE plans SET credits = 0 WHERE org = $1"),
            None
        );
        assert_eq!(idempotent_sql("DELETE FROM sessions"), None);
        assert_eq!(
            idempotent_sql("INSERT INTO outbox (body) VALUES ($1)"),
            None
        );
        assert_eq!(idempotent_sql("TRUNCATE stats"), None);
        assert_eq!(
            idempotent_sql("DELETE FROM a WHERE x < 1; UPDATE b SET n = n + 1"),
            None
        );
    }
}
