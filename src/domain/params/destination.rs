//! Which parameters of a command decide where it connects or what file it names: a host, a URL
//! or a path. In a command that also sends a secret, such a parameter decides where the secret
//! goes, so its values must come from the configuration or an allow-list, never from a person
//! or an alert label alone.
//!
//! A parameter counts as a destination when, in its argv element:
//! - it stands in a URL before any `?` or `#` (`https://<host>/x`, `<scheme>://…`);
//! - it follows an `@` (`user@<host>`, curl's `-d @<file>`);
//! - it starts the element and is followed by `:` or `/` (`<host>:5432`, `<host>/path`);
//! - the element is a file path (`/var/log/<file>`, `./<dir>`, `../x`, `~/x`);
//! - it follows `host=` or `hostaddr=` (libpq connection strings);
//! - it is the value of a flag that names a server, URL, proxy or config (`--host <h>`,
//!   `--url=<u>`, `-h <h>`, `-s`, `-u`, `-x`, `-K`, …);
//! - the program is a network client (curl, wget, ssh, nc, …) and the element starts with
//!   the parameter, unless it is the value of one of the client's flags that name no place
//!   (`-X <method>`, `-H <header>`, `-d <data>`, `-m <seconds>`, …).

use super::{Element, Piece};

/// Flags whose value is a server, URL, proxy or config file (after stripping dashes and any
/// `=value`), written with two dashes.
const LONG_FLAGS: &[&str] = &[
    "host",
    "hostname",
    "hostaddr",
    "server",
    "url",
    "uri",
    "endpoint",
    "address",
    "addr",
    "proxy",
    "preproxy",
    "socks4",
    "socks4a",
    "socks5",
    "socks5-hostname",
    "connect-to",
    "resolve",
    "config",
    "kubeconfig",
    "cluster",
    "context",
    "dest",
    "destination",
];

/// Single-dash flags whose value is a server, URL, proxy or config (psql and redis-cli `-h`,
/// kubectl `-s`, redis-cli `-u`, curl `-x` and `-K`, openssl `-connect`).
const SHORT_FLAGS: &[&str] = &["-h", "-s", "-u", "-x", "-K", "-connect", "-proxy"];

/// Programs that take the place they connect to as a plain argument.
const NETWORK_CLIENTS: &[&str] = &[
    "curl", "wget", "http", "https", "xh", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "netcat",
    "telnet", "grpcurl", "websocat",
];

/// Flags of those clients whose value names no place.
const CLIENT_VALUE_FLAGS: &[&str] = &[
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-w",
    "--write-out",
    "-A",
    "--user-agent",
    "-o",
    "--output",
    "-l",
    "-p",
];

/// The destination parameters among `elements`, in order of first appearance, each once.
pub(super) fn destinations(elements: &[Element]) -> Vec<String> {
    let program = match elements.first().map(Vec::as_slice) {
        Some([Piece::Text(p)]) => p.rsplit('/').next().unwrap_or(p).to_owned(),
        _ => String::new(),
    };
    let client = NETWORK_CLIENTS.contains(&program.as_str());
    let mut found: Vec<String> = Vec::new();
    for (i, element) in elements.iter().enumerate() {
        let previous = i
            .checked_sub(1)
            .and_then(|p| plain_text(&elements[p]))
            .unwrap_or_default();
        let flag_value = is_destination_flag(previous);
        let client_value = CLIENT_VALUE_FLAGS.contains(&previous);
        for (j, piece) in element.iter().enumerate() {
            let Piece::Param(name) = piece else { continue };
            let before = text_of(&element[..j]);
            let after = text_of(&element[j + 1..]);
            let destination = flag_value
                || in_url(&before, &after)
                || before.contains('@')
                || (j == 0 && after.starts_with([':', '/']))
                || is_path(&before)
                || before.ends_with("host=")
                || before.ends_with("hostaddr=")
                || flag_with_value(&before)
                || (client && j == 0 && !client_value);
            if destination && !found.contains(name) {
                found.push(name.clone());
            }
        }
    }
    found
}

/// The element's text when it has no parameter.
fn plain_text(element: &Element) -> Option<&str> {
    match element.as_slice() {
        [Piece::Text(t)] => Some(t),
        _ => None,
    }
}

/// The pieces' text, each parameter as one `x` (it is not `:`, `/`, `@`, `?` or `#`).
fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.as_str(),
            Piece::Param(_) => "x",
        })
        .collect()
}

/// In a URL's scheme, authority or path: after `://` with no `?` or `#` since, or before a
/// `://` that follows.
fn in_url(before: &str, after: &str) -> bool {
    match before.find("://") {
        Some(at) => !before[at + 3..].contains(['?', '#']),
        None => after
            .find("://")
            .is_some_and(|at| !after[..at].contains(['?', '#', '='])),
    }
}

/// Text that starts a file path.
fn is_path(before: &str) -> bool {
    before.starts_with('/')
        || before.starts_with("./")
        || before.starts_with("../")
        || before.starts_with("~/")
}

/// A flag named in [`LONG_FLAGS`] or [`SHORT_FLAGS`], standing alone (its value follows).
fn is_destination_flag(word: &str) -> bool {
    if SHORT_FLAGS.contains(&word) {
        return true;
    }
    word.strip_prefix("--")
        .is_some_and(|name| LONG_FLAGS.contains(&name.to_ascii_lowercase().as_str()))
}

/// `--host=` (or another destination flag with `=`) just before the parameter.
fn flag_with_value(before: &str) -> bool {
    before
        .strip_suffix('=')
        .is_some_and(|flag| is_destination_flag(flag) || SHORT_FLAGS.contains(&flag))
}

#[cfg(test)]
mod tests {
    use super::super::CommandTemplate;

    fn destinations(command: &str) -> Vec<String> {
        CommandTemplate::parse(command).unwrap().destinations()
    }

    #[test]
    fn hosts_urls_and_paths_are_destinations() {
        let cases: &[(&str, &[&str])] = &[
            (
                r#"curl -sS -X POST -H "Authorization: Bearer $TOKEN" "https://<payments-admin-host>/admin/charges/replay?since=<timestamp>""#,
                &["payments_admin_host"],
            ),
            (r#"curl -H "X: $TOKEN" <url>"#, &["url"]),
            (
                r#"curl -X <method> -H "X: $TOKEN" https://a/<path>"#,
                &["path"],
            ),
            ("ssh deploy@<host> uptime", &["host"]),
            ("psql -h <db-host> -U app -c 'SELECT 1'", &["db_host"]),
            ("psql --host=<db-host> -c 'SELECT 1'", &["db_host"]),
            ("psql \"host=<db-host> dbname=shop\"", &["db_host"]),
            ("redis-cli -h <redis-host> -p 6379 PING", &["redis_host"]),
            ("kubectl -s <server> get pods", &["server"]),
            ("openssl s_client -connect <host>:443", &["host"]),
            ("cat /var/log/<file>", &["file"]),
            ("curl -d @<file> https://a.example", &["file"]),
            ("psql postgres://app@<host>:5432/<db>", &["host", "db"]),
            ("curl <scheme>://a.example/x", &["scheme"]),
            ("nc <host> 443", &["host"]),
        ];
        for (command, expected) in cases {
            assert_eq!(&destinations(command), expected, "{command}");
        }
    }

    #[test]
    fn other_arguments_are_not() {
        let cases: &[(&str, &[&str])] = &[
            (r#"redis-cli -u "$REDIS_URL" LLEN <queue>"#, &["redis_url"]),
            (
                r#"redis-cli -u "$REDIS_URL" -n <db> DEL ratelimit:<client-id>"#,
                &["redis_url"],
            ),
            (
                r#"psql "$DATABASE_URL" -c "SELECT pg_cancel_backend(<pid>)""#,
                &[],
            ),
            (
                "kubectl logs deployment/<deployment> -n <namespace> --since=15m",
                &[],
            ),
            (
                r#"curl -sG "$PROMETHEUS_URL/api/v1/query" --data-urlencode 'query=up{service="{{service}}"}'"#,
                &["prometheus_url"],
            ),
            ("curl https://a.example/x?since=<timestamp>#<anchor>", &[]),
            ("curl -X <method> -m <seconds> https://a.example", &[]),
        ];
        for (command, expected) in cases {
            assert_eq!(&destinations(command), expected, "{command}");
        }
    }
}
