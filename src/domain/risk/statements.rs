//! Rules for the SQL that `psql -c` runs: the leading keyword of each statement, any
//! data-changing part hidden inside it, and any server function it calls.

use super::Classification;
use super::sql::{self, Token};
use super::sql_functions::calls;

/// Classifies SQL as `psql -c` sends it: every statement, the strictest wins.
pub(super) fn classify(text: &str) -> Classification {
    let statements = match sql::statements(text) {
        Ok(statements) => statements,
        Err(sql::Unreadable(problem)) => {
            return Classification::dangerous(format!(
                "psql runs SQL that Warroom cannot read to its end ({problem})"
            ));
        }
    };
    if statements
        .iter()
        .flatten()
        .any(|token| *token == Token::Punct('\\'))
    {
        // A meta-command mixed into SQL is never what the author meant, and `\gexec` would
        // run whatever the query returns.
        return Classification::dangerous(
            "psql runs SQL mixed with a meta-command, which Warroom cannot reason about",
        );
    }
    let mut statements = statements.iter().map(|tokens| statement(tokens));
    let first = statements
        .next()
        .unwrap_or_else(|| Classification::read("psql runs no SQL statement"));
    statements.fold(first, Classification::or_stricter)
}

/// Classifies one SQL statement: its leading keyword, any data-changing part inside it, and
/// any function it calls that acts on the server.
fn statement(tokens: &[Token]) -> Classification {
    let start = tokens
        .iter()
        .take_while(|t| **t == Token::Punct('('))
        .count();
    let Some(Token::Word(keyword)) = tokens.get(start) else {
        return Classification::dangerous("psql runs SQL that does not start with a keyword");
    };
    let keyword = keyword.as_str();
    let rest = &tokens[start + 1..];
    let runs = |what: &str| format!("psql runs {keyword}, which {what}");
    let by_keyword =
        match keyword {
            "SELECT" | "WITH" | "VALUES" | "TABLE" | "SHOW" | "FETCH" | "MOVE" | "CLOSE"
            | "DECLARE" => reading(keyword, rest),
            "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT"
            | "RELEASE" => Classification::read(runs("only controls the transaction")),
            "EXPLAIN" => explain(rest),
            "INSERT" | "UPDATE" | "MERGE" => Classification::write(runs("changes data")),
            "DELETE" | "TRUNCATE" | "DROP" => Classification::dangerous(runs("destroys data")),
            "GRANT" | "REVOKE" => Classification::dangerous(runs("changes who may access data")),
            "ALTER" | "CREATE" if is_access(rest.first()) => {
                Classification::dangerous(runs("changes who may access data"))
            }
            "ALTER" if is_word(rest.first(), "SYSTEM") => Classification::dangerous(
                "psql runs ALTER SYSTEM, which rewrites the server's configuration",
            ),
            "ALTER" if rest.iter().any(|t| is_word(Some(t), "DROP")) => {
                Classification::dangerous("psql runs ALTER … DROP, which destroys data")
            }
            "ALTER" | "CREATE" | "COMMENT" | "REFRESH" | "SECURITY" => {
                Classification::write(runs("changes the schema (reversible)"))
            }
            "VACUUM" | "ANALYZE" | "ANALYSE" | "REINDEX" | "CLUSTER" | "CHECKPOINT" => {
                Classification::write(runs("does maintenance work that takes locks"))
            }
            "SET" | "RESET" | "LOCK" | "NOTIFY" | "LISTEN" | "UNLISTEN" | "DISCARD"
            | "DEALLOCATE" => Classification::write(runs("changes settings or state")),
            "COPY" => copy(rest),
            "DO" | "CALL" | "EXECUTE" | "PREPARE" | "LOAD" | "IMPORT" | "REASSIGN" => {
                Classification::dangerous(runs("runs code Warroom cannot see"))
            }
            // The PgBouncer admin console speaks through psql too.
            "PAUSE" | "RESUME" | "RELOAD" | "RECONNECT" | "ENABLE" | "DISABLE" | "WAIT_CLOSE"
            | "SUSPEND" => Classification::write(runs("changes how PgBouncer serves clients")),
            "KILL" | "KILL_CLIENT" | "SHUTDOWN" => {
                Classification::dangerous(runs("drops connections or stops the server"))
            }
            _ => Classification::dangerous(format!(
                "psql runs `{keyword}`, which Warroom has no rule for"
            )),
        };
    calls(tokens).fold(by_keyword, Classification::or_stricter)
}

/// A reading statement, unless it hides a change: `SELECT … INTO` creates a table, and a
/// `WITH x AS (DELETE …)` changes data.
fn reading(keyword: &str, rest: &[Token]) -> Classification {
    let verdict = Classification::read(format!("psql runs {keyword}, which only reads"));
    let mut depth = 0usize;
    for (i, token) in rest.iter().enumerate() {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            Token::Word(word) if word == "INTO" && depth == 0 && keyword == "SELECT" => {
                return Classification::write("psql runs SELECT … INTO, which creates a table");
            }
            Token::Word(word)
                if matches!(word.as_str(), "INSERT" | "UPDATE" | "DELETE" | "MERGE")
                    && matches!(
                        i.checked_sub(1).map(|p| &rest[p]),
                        Some(Token::Punct('(' | ')'))
                    ) =>
            {
                return verdict.or_stricter(statement(&rest[i..]));
            }
            _ => {}
        }
    }
    verdict
}

/// `EXPLAIN` only plans; `EXPLAIN ANALYZE` runs the statement.
fn explain(rest: &[Token]) -> Classification {
    let (analyze, inner) = match rest.first() {
        Some(Token::Punct('(')) => {
            let close = rest
                .iter()
                .position(|t| *t == Token::Punct(')'))
                .unwrap_or(rest.len());
            let options = &rest[..close];
            let analyze = options.iter().enumerate().any(|(i, t)| {
                is_word(Some(t), "ANALYZE")
                    && !matches!(
                        options.get(i + 1),
                        Some(Token::Word(value)) if matches!(value.as_str(), "FALSE" | "OFF")
                    )
            });
            (analyze, &rest[(close + 1).min(rest.len())..])
        }
        _ => {
            let options = rest
                .iter()
                .take_while(|t| {
                    ["ANALYZE", "ANALYSE", "VERBOSE"]
                        .iter()
                        .any(|w| is_word(Some(t), w))
                })
                .count();
            let analyze = rest[..options].iter().any(|t| !is_word(Some(t), "VERBOSE"));
            (analyze, &rest[options..])
        }
    };
    let plans = Classification::read("psql runs EXPLAIN, which only plans the query");
    if analyze && !inner.is_empty() {
        plans.or_stricter(statement(inner))
    } else {
        plans
    }
}

/// `COPY … TO STDOUT` reads, `FROM STDIN` writes, and server files or programs are dangerous.
fn copy(rest: &[Token]) -> Classification {
    let mut depth = 0usize;
    for (i, token) in rest.iter().enumerate() {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            Token::Word(direction) if depth == 0 && (direction == "TO" || direction == "FROM") => {
                let to = direction == "TO";
                return match (to, rest.get(i + 1)) {
                    (true, Some(Token::Word(w))) if w == "STDOUT" => {
                        Classification::read("psql runs COPY … TO STDOUT, which only reads")
                    }
                    (false, Some(Token::Word(w))) if w == "STDIN" => {
                        Classification::write("psql runs COPY … FROM STDIN, which loads rows")
                    }
                    (false, Some(Token::Literal)) => Classification::write(
                        "psql runs COPY … FROM a server file, which loads rows",
                    ),
                    (true, Some(Token::Literal)) => Classification::dangerous(
                        "psql runs COPY … TO a server file, which overwrites that file",
                    ),
                    _ => Classification::dangerous(
                        "psql runs COPY with a program or target Warroom has no rule for",
                    ),
                };
            }
            _ => {}
        }
    }
    Classification::dangerous("psql runs COPY without a direction Warroom can read")
}

/// `ROLE`, `USER`, `GROUP` or `DEFAULT` (privileges) after ALTER or CREATE.
fn is_access(token: Option<&Token>) -> bool {
    ["ROLE", "USER", "GROUP", "DEFAULT"]
        .iter()
        .any(|w| is_word(token, w))
}

fn is_word(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w == word)
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{self, Dangerous, Read, Write};

    fn sql(text: &str) -> Risk {
        classify(&format!(
            "psql \"$DATABASE_URL\" -c {}",
            shell_words::quote(text)
        ))
        .risk
    }

    #[test]
    fn reading_statements_read() {
        for text in [
            "SELECT count(*) FROM pg_stat_activity",
            "select * from t where note = 'DELETE FROM x; DROP TABLE y'",
            "SHOW max_connections",
            "TABLE jobs",
            "VALUES (1), (2)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT * FROM t FOR UPDATE",
            "EXPLAIN DELETE FROM t",
            "EXPLAIN (ANALYZE, BUFFERS) SELECT 1",
            "EXPLAIN (ANALYZE false) DELETE FROM t",
            "BEGIN; SELECT 1; COMMIT",
            "COPY (SELECT 1) TO STDOUT",
            "SELECT pg_is_in_recovery(), now() - pg_last_xact_replay_timestamp()",
            "-- DROP TABLE x\nSELECT 1",
            "/* TRUNCATE t */ SELECT 1",
            "SELECT $$DROP TABLE x$$",
        ] {
            assert_eq!(sql(text), Read, "{text}");
        }
    }

    #[test]
    fn reversible_changes_are_writes() {
        for text in [
            "UPDATE jobs SET status = 'queued' WHERE id = 1",
            "insert into t values (1)",
            "ALTER TABLE t ADD COLUMN c int",
            "CREATE INDEX CONCURRENTLY i ON t (c)",
            "VACUUM ANALYZE t",
            "REINDEX INDEX CONCURRENTLY i",
            "SET statement_timeout = '5s'",
            "SELECT * INTO backup FROM t",
            "COPY t FROM STDIN",
            "PAUSE mydb",
        ] {
            assert_eq!(sql(text), Write, "{text}");
        }
    }

    #[test]
    fn destroying_or_unknowable_sql_is_dangerous() {
        for text in [
            "DELETE FROM sessions",
            "DELETE FROM sessions WHERE user_id = 1",
            "drop index concurrently if exists <index-name>",
            "TRUNCATE jobs",
            "GRANT ALL ON t TO x",
            "REVOKE ALL ON t FROM x",
            "ALTER SYSTEM SET max_connections = 500",
            "ALTER ROLE app SUPERUSER",
            "create user intruder with password 'x'",
            "SELECT format('DROP TABLE %I', tablename) FROM pg_tables \\gexec",
            "ALTER TABLE t DROP COLUMN c",
            "SELECT 1; DROP TABLE users",
            "WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone",
            "WITH x AS (SELECT 1) DELETE FROM t",
            "EXPLAIN ANALYZE DELETE FROM t",
            "EXPLAIN (ANALYZE) TRUNCATE t",
            "COPY t TO '/etc/passwd'",
            "COPY t FROM PROGRAM 'rm -rf /'",
            "DO $$ BEGIN PERFORM 1; END $$",
            "CALL cleanup()",
            "SELECT 'unterminated",
            "FROBNICATE",
            "KILL mydb",
            "42",
        ] {
            assert_eq!(sql(text), Dangerous, "{text}");
        }
    }

    #[test]
    fn reasons_name_the_statement() {
        let update = classify("psql -c 'UPDATE t SET a = 1'");
        assert_eq!(update.reason, "psql runs UPDATE, which changes data");
    }
}
