//! Rules for `curl`: fetching reads; sending a body, another method or saving files changes
//! something; `DELETE` and options Warroom cannot see (`-K`) are dangerous.

use super::Classification;
use super::args::{CommandLine, Syntax};

const SYNTAX: Syntax = Syntax {
    short_values: "AbcCdDeEFHKmoPQrtTuUwxXyYz",
    long_values: "data data-raw data-binary data-ascii data-urlencode json form form-string \
        header output upload-file request user user-agent referer cookie cookie-jar config \
        max-time connect-timeout write-out dump-header url proxy proxy-user cacert capath \
        cert key cert-type key-type pass resolve connect-to retry retry-delay retry-max-time \
        range continue-at time-cond interface limit-rate max-filesize max-redirs output-dir \
        trace trace-ascii stderr libcurl etag-save etag-compare hsts alt-svc proto \
        proto-redir quote oauth2-bearer aws-sigv4 unix-socket abstract-unix-socket \
        dns-servers expect100-timeout keepalive-time local-port noproxy preproxy proxy-header \
        request-target service-name speed-limit speed-time telnet-option tls-max url-query \
        variable ciphers crlfile ftp-port ftp-method mail-from mail-rcpt mail-auth netrc-file \
        pinnedpubkey socks5 socks5-hostname socks4 socks4a parallel-max",
};

const BODY: &str = "-d --data --data-raw --data-binary --data-ascii --data-urlencode --json";

/// Options whose value names a local file curl writes, when it is not `-` or `/dev/null`.
const FILE_OUTPUTS: &str = "-o --output -D --dump-header -c --cookie-jar --trace --trace-ascii \
    --stderr --libcurl --etag-save --hsts --alt-svc";

/// Classifies `curl ARGS`.
pub(super) fn classify(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &SYNTAX);
    if let Some((option, _)) = line.options(&["-K", "--config"]).next() {
        return Classification::dangerous(format!(
            "curl {option} reads more options from a file Warroom cannot see"
        ));
    }
    if let Some((option, _)) = line.options(&["-Q", "--quote"]).next() {
        return Classification::dangerous(format!(
            "curl {option} sends raw FTP/SFTP commands, which Warroom cannot reason about"
        ));
    }
    let head = line.has(&["-I", "--head"]);
    let mut verdict = Classification::read(if head {
        "curl only fetches headers (HEAD)"
    } else {
        "curl only fetches a URL (GET)"
    });
    if let Some(method) = line.value(&["-X", "--request"]) {
        verdict = verdict.or_stricter(by_method(&method.to_uppercase()));
    }
    let body = BODY.split_whitespace().collect::<Vec<_>>();
    if let Some((option, _)) = line
        .options(&body)
        .next()
        .filter(|_| !line.has(&["-G", "--get"]))
    {
        verdict = verdict.or_stricter(Classification::write(format!(
            "curl {option} sends data that can change things on the server"
        )));
    }
    let sends = [
        ("-F", "a form"),
        ("--form", "a form"),
        ("--form-string", "a form"),
        ("-T", "a file"),
        ("--upload-file", "a file"),
        ("--mail-rcpt", "an e-mail"),
    ];
    for (option, what) in sends {
        if line.has(&[option]) {
            verdict = verdict.or_stricter(Classification::write(format!(
                "curl {option} sends {what}, which can change things on the server"
            )));
        }
    }
    for (option, file) in line.options(&FILE_OUTPUTS.split_whitespace().collect::<Vec<_>>()) {
        if !matches!(file, "-" | "/dev/null" | "/dev/stdout" | "/dev/stderr") {
            verdict = verdict.or_stricter(Classification::write(format!(
                "curl {option} writes into the file {file}"
            )));
        }
    }
    if let Some((option, _)) = line
        .options(&["-O", "--remote-name", "--remote-name-all", "--output-dir"])
        .next()
    {
        verdict = verdict.or_stricter(Classification::write(format!(
            "curl {option} saves the response into a file"
        )));
    }
    verdict
}

fn by_method(method: &str) -> Classification {
    match method {
        "GET" | "HEAD" | "OPTIONS" => {
            Classification::read(format!("curl -X {method} only fetches"))
        }
        "POST" | "PUT" | "PATCH" => Classification::write(format!(
            "curl -X {method} sends a request that can change things on the server"
        )),
        "DELETE" => Classification::dangerous(
            "curl -X DELETE asks the server to delete something, which cannot be undone",
        ),
        _ => Classification::no_rule(&format!("curl -X {method}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn fetching_reads() {
        for command in [
            "curl -sS -m 10 \"$SERVICE_URL/healthz\"",
            "curl -svI -m 10 \"https://<host>/\"",
            "curl --head https://x",
            "curl -X GET https://x",
            "curl -sS -m 10 -o /dev/null -w '%{http_code}\\n' https://x",
            "curl -sS -o /dev/null -D - https://x",
            "curl -sG \"$PROMETHEUS_URL/api/v1/query\" --data-urlencode 'query=up'",
            "curl -H 'Authorization: Bearer x' -L https://x",
        ] {
            assert_eq!(classify(command).risk, Read, "{command}");
        }
    }

    #[test]
    fn sending_or_saving_writes() {
        for command in [
            "curl -X POST https://x",
            "curl -XPUT https://x",
            "curl --request=patch https://x",
            "curl -d a=b https://x",
            "curl --json '{}' https://x",
            "curl -F file=@x https://x",
            "curl -T x https://x",
            "curl -o page.html https://x",
            "curl -sSo page.html https://x",
            "curl -O https://x/file",
            "curl -c cookies.txt https://x",
        ] {
            assert_eq!(classify(command).risk, Write, "{command}");
        }
    }

    #[test]
    fn deleting_and_hidden_options_are_dangerous() {
        for command in [
            "curl -X DELETE https://x/users/1",
            "curl -sS -XDELETE https://x",
            "curl -K curlrc https://x",
            "curl --config=curlrc",
            "curl -Q 'DELE file' ftp://x",
            "curl -X PURGE https://x",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }

    #[test]
    fn reasons_name_the_option() {
        assert_eq!(
            classify("curl -X POST https://x").reason,
            "curl -X POST sends a request that can change things on the server"
        );
        assert_eq!(
            classify("curl https://x").reason,
            "curl only fetches a URL (GET)"
        );
    }
}
