//! Rules for `psql` and the PostgreSQL client tools. For psql the SQL given with `-c` decides:
//! each statement is classified and the strictest wins.

use super::Classification;
use super::args::{CommandLine, Syntax};
use super::statements;

const PSQL: Syntax = Syntax {
    short_values: "cdfFhLopPRTUv",
    long_values: "command dbname file field-separator host log-file output port pset \
        record-separator table-attr username set variable",
};

/// Classifies `psql ARGS`.
pub(super) fn psql(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &PSQL);
    if line.has(&["-f", "--file"]) {
        return Classification::dangerous("psql -f runs SQL from a file that Warroom cannot see");
    }
    let commands: Vec<&str> = line
        .options(&["-c", "--command"])
        .map(|(_, sql)| sql)
        .collect();
    let mut verdict = match commands.split_first() {
        Some((first, rest)) => rest.iter().fold(command(first), |verdict, sql| {
            verdict.or_stricter(command(sql))
        }),
        None if line.has(&["-l", "--list", "-V", "--version"]) => {
            Classification::read("psql --list only lists the databases")
        }
        None => {
            return Classification::dangerous(
                "psql without -c opens an interactive session, which Warroom cannot reason about",
            );
        }
    };
    for (option, file) in line.options(&["-o", "--output", "-L", "--log-file"]) {
        if !matches!(file, "/dev/null" | "-") {
            verdict = verdict.or_stricter(Classification::write(format!(
                "psql {option} writes its output into a file"
            )));
        }
    }
    verdict
}

/// Classifies the text of one `-c`: a psql meta-command or SQL statements.
fn command(text: &str) -> Classification {
    match text.trim_start().strip_prefix('\\') {
        Some(meta) => meta_command(meta),
        None => statements::classify(text),
    }
}

/// `\d`, `\l` and friends only describe; any other meta-command (`\!`, `\copy`, `\o`) may
/// touch the client machine.
fn meta_command(meta: &str) -> Classification {
    let name = meta.split_whitespace().next().unwrap_or_default();
    let describes = name.starts_with('d')
        || matches!(
            name.trim_end_matches('+'),
            "l" | "list" | "conninfo" | "sf" | "sv" | "z" | "lo_list" | "encoding"
        );
    if describes && !meta[name.len()..].contains('\\') {
        Classification::read(format!("psql \\{name} only describes the database"))
    } else {
        Classification::dangerous(format!(
            "psql runs the meta-command `\\{name}`, which Warroom has no rule for"
        ))
    }
}

/// The other PostgreSQL client tools, by name; `None` when `program` is not one of them.
pub(super) fn tool(program: &str, args: &[String]) -> Option<Classification> {
    let writes_file = || CommandLine::parse(args, &TOOLS).has(&["-f", "--file"]);
    Some(match program {
        "pg_isready" => {
            Classification::read("pg_isready only asks whether the server accepts connections")
        }
        "pg_dump" | "pg_dumpall" if writes_file() => {
            Classification::write(format!("{program} -f writes the dump into a file"))
        }
        "pg_dump" | "pg_dumpall" => {
            Classification::read(format!("{program} only reads the database"))
        }
        "pg_restore" => Classification::dangerous(
            "pg_restore overwrites database objects, which cannot be undone",
        ),
        "dropdb" => {
            Classification::dangerous("dropdb deletes a whole database, which cannot be undone")
        }
        "dropuser" => Classification::dangerous("dropuser deletes a role, which cannot be undone"),
        "createdb" => Classification::write("createdb creates a new database (reversible)"),
        "createuser" => Classification::write("createuser creates a new role (reversible)"),
        "pg_ctl" => pg_ctl(args),
        _ => return None,
    })
}

/// Value-taking options of pg_dump, pg_ctl and friends.
const TOOLS: Syntax = Syntax {
    short_values: "dDfFhjlmnNopPtTUSeEZ",
    long_values: "dbname pgdata file format host log mode options port timeout username schema \
        table exclude-schema exclude-table compress encoding jobs role section \
        lock-wait-timeout",
};

fn pg_ctl(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &TOOLS);
    let mode = line.words().first().copied().unwrap_or("");
    match mode {
        "status" => Classification::read("pg_ctl status only reads the server state"),
        "reload" | "restart" | "start" | "logrotate" => Classification::write(format!(
            "pg_ctl {mode} changes the server's state (reversible)"
        )),
        "stop" | "kill" | "promote" | "init" | "initdb" => Classification::dangerous(format!(
            "pg_ctl {mode} stops, kills, promotes or creates a server, which Warroom treats as dangerous"
        )),
        _ => Classification::no_rule(&format!("pg_ctl {mode}")),
    }
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
    fn every_command_counts_and_the_strictest_wins() {
        assert_eq!(
            classify("psql -c 'SELECT 1' -c 'DELETE FROM t'").risk,
            Dangerous
        );
        assert_eq!(classify("psql --command='SELECT 1'").risk, Read);
        assert_eq!(classify("psql -c ''").risk, Read);
    }

    #[test]
    fn psql_without_visible_sql_is_dangerous() {
        assert_eq!(classify("psql \"$DATABASE_URL\"").risk, Dangerous);
        assert_eq!(classify("psql -f fix.sql -c 'SELECT 1'").risk, Dangerous);
        assert_eq!(classify("psql --file=fix.sql").risk, Dangerous);
        assert_eq!(classify("psql -l").risk, Read);
    }

    #[test]
    fn output_files_are_writes() {
        assert_eq!(classify("psql -c 'SELECT 1' -o /tmp/out").risk, Write);
        assert_eq!(classify("psql -c 'SELECT 1' -o /dev/null").risk, Read);
    }

    #[test]
    fn only_describing_meta_commands_read() {
        assert_eq!(sql("\\d+ <table-name>"), Read);
        assert_eq!(sql("\\dt"), Read);
        assert_eq!(sql("\\l+"), Read);
        assert_eq!(sql("\\conninfo"), Read);
        assert_eq!(sql("\\d t \\! rm -rf /"), Dangerous);
        assert_eq!(sql("\\! ls"), Dangerous);
        assert_eq!(sql("\\copy t to 'x'"), Dangerous);
        assert_eq!(sql("\\o /tmp/x"), Dangerous);
    }

    #[test]
    fn client_tools_by_name() {
        assert_eq!(classify("pg_isready -d \"$DATABASE_URL\"").risk, Read);
        assert_eq!(classify("pg_dump -d app -t users").risk, Read);
        assert_eq!(classify("pg_dump -d app -f /tmp/app.sql").risk, Write);
        assert_eq!(classify("pg_restore -d app dump").risk, Dangerous);
        assert_eq!(classify("dropdb app").risk, Dangerous);
        assert_eq!(classify("createdb app").risk, Write);
        assert_eq!(classify("pg_ctl -D /data status").risk, Read);
        assert_eq!(classify("pg_ctl -D /data reload").risk, Write);
        assert_eq!(
            classify("pg_ctl -D /data -m immediate stop").risk,
            Dangerous
        );
        assert_eq!(classify("pg_ctl").risk, Dangerous);
    }
}
