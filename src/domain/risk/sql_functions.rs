//! Server functions that SQL may call and that act beyond the query: ending sessions,
//! promoting replicas, touching server files. A SELECT that calls one is as risky as the call.

use super::sql::Token;
use super::{Classification, is_one_of};

/// Server functions that act beyond the query and cannot be undone, wherever they are called.
const DANGEROUS_FUNCTIONS: &[(&str, &str)] = &[
    ("PG_TERMINATE_BACKEND", "ends other sessions"),
    ("PG_CANCEL_BACKEND", "cancels other sessions' queries"),
    ("PG_DROP_REPLICATION_SLOT", "drops a replication slot"),
    ("PG_PROMOTE", "promotes a replica to primary for good"),
    (
        "PG_REPLICATION_SLOT_ADVANCE",
        "throws away changes a replication slot holds",
    ),
    (
        "PG_LOGICAL_SLOT_GET_CHANGES",
        "consumes changes from a replication slot",
    ),
    ("PG_REPLICATION_ORIGIN_DROP", "drops a replication origin"),
    ("LO_UNLINK", "deletes a large object"),
    ("LO_IMPORT", "reads a file on the database server"),
    ("LO_EXPORT", "writes a file on the database server"),
    ("PG_FILE_WRITE", "writes a file on the database server"),
    ("PG_FILE_UNLINK", "deletes a file on the database server"),
    ("PG_FILE_RENAME", "renames a file on the database server"),
    ("DBLINK", "runs SQL on another server"),
    ("DBLINK_EXEC", "runs SQL on another server"),
];

/// Server functions that change server state reversibly (reload, rotate, reset statistics).
const WRITE_FUNCTIONS: &str = "PG_RELOAD_CONF PG_ROTATE_LOGFILE PG_SWITCH_WAL \
    PG_WAL_REPLAY_PAUSE PG_WAL_REPLAY_RESUME PG_CREATE_RESTORE_POINT \
    PG_CREATE_PHYSICAL_REPLICATION_SLOT PG_CREATE_LOGICAL_REPLICATION_SLOT PG_STAT_RESET \
    PG_STAT_RESET_SHARED PG_STAT_STATEMENTS_RESET SET_CONFIG SETVAL NEXTVAL";

/// One answer per call of a listed function in `tokens`.
pub(super) fn calls(tokens: &[Token]) -> impl Iterator<Item = Classification> + '_ {
    tokens.windows(2).filter_map(|pair| {
        let name = match &pair[0] {
            Token::Word(name) => name.clone(),
            Token::QuotedName(name) => name.to_uppercase(),
            _ => return None,
        };
        if pair[1] != Token::Punct('(') {
            return None;
        }
        let function = name.to_lowercase();
        if let Some((_, what)) = DANGEROUS_FUNCTIONS.iter().find(|(f, _)| *f == name) {
            Some(Classification::dangerous(format!(
                "psql calls {function}, which {what}"
            )))
        } else {
            is_one_of(&name, WRITE_FUNCTIONS).then(|| {
                Classification::write(format!(
                    "psql calls {function}, which changes server state (reversible)"
                ))
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{self, Dangerous, Read, Write};

    fn sql(text: &str) -> Risk {
        classify(&format!("psql -c {}", shell_words::quote(text))).risk
    }

    #[test]
    fn calling_a_session_or_replica_function_is_dangerous() {
        for text in [
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'",
            "select pg_catalog.pg_cancel_backend(<pid>)",
            "SELECT pg_drop_replication_slot('<slot-name>')",
            "SELECT pg_promote()",
            "SELECT \"pg_terminate_backend\"(1)",
            "SELECT lo_export(1, '/tmp/x')",
        ] {
            assert_eq!(sql(text), Dangerous, "{text}");
        }
    }

    #[test]
    fn reloading_or_resetting_is_a_write() {
        assert_eq!(sql("SELECT pg_reload_conf()"), Write);
        assert_eq!(sql("SELECT pg_stat_statements_reset()"), Write);
    }

    #[test]
    fn a_name_that_is_not_called_or_is_quoted_text_reads() {
        assert_eq!(sql("SELECT \"pg_terminate_backend\" FROM t"), Read);
        assert_eq!(sql("SELECT 'pg_terminate_backend(1)'"), Read);
        assert_eq!(
            sql("SELECT pg_is_in_recovery(), pg_blocking_pids(pid) FROM t"),
            Read
        );
    }

    #[test]
    fn the_reason_names_the_function() {
        assert_eq!(
            classify("psql -c 'SELECT pg_terminate_backend(1)'").reason,
            "psql calls pg_terminate_backend, which ends other sessions"
        );
    }
}
