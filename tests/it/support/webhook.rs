//! `warroom serve` with the Alertmanager webhook on, run as the real binary on port 0, and a
//! plain HTTP/1.1 client to post to it.
// Each test file uses part of this.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

use super::serving;

/// The bearer token the test servers accept.
pub const TOKEN: &str = "test-token-5f1c";
/// The secret path segment the test servers accept.
pub const PATH_SECRET: &str = "path-secret-9a2e";

/// A running `warroom serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
}

impl Server {
    /// Starts `warroom serve` in `dir` on `database_url`, with `[alerts]` on (both secrets
    /// from environment variables), runbooks from `runbooks`, and `alerts` added to the
    /// `[alerts]` table.
    pub fn start(dir: &Path, database_url: &str, runbooks: &Path, alerts: &str) -> Server {
        Server::start_with(dir, database_url, runbooks, alerts, &[])
    }

    /// Like [`Server::start`], with more `WARROOM_*` settings from the environment.
    pub fn start_with(
        dir: &Path,
        database_url: &str,
        runbooks: &Path,
        alerts: &str,
        env: &[(&str, &str)],
    ) -> Server {
        let config = format!(
            "runbook_dirs = [{runbooks:?}]\n[alerts]\nenabled = true\n\
             token = {{ env = \"TEST_ALERTS_TOKEN\" }}\n\
             path_secret = {{ env = \"TEST_ALERTS_PATH\" }}\n{alerts}\n"
        );
        std::fs::write(dir.join("warroom.toml"), config).expect("the config is written");
        let mut command = crate::support::binary::command(dir);
        let mut child = command
            .env("WARROOM_DATABASE_URL", database_url)
            .env("TEST_ALERTS_TOKEN", TOKEN)
            .env("TEST_ALERTS_PATH", PATH_SECRET)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("chat.txt")).expect("a chat file"))
            .stderr(Stdio::piped())
            .spawn()
            .expect("the warroom binary starts");
        let received = serving::read_stderr(&mut child, serving::Echo::File(dir.join("serve.log")));
        let address = serving::wait_until_serving(&mut child, &received, Duration::from_secs(30));
        Server { child, address }
    }

    /// The process id, for signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to end, for at most `within`; `None` when it is still running.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the process can be waited for")
            {
                return Some(status);
            }
            if std::time::Instant::now() > until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The webhook's URL with the secret path segment.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/alerts/alertmanager/{PATH_SECRET}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status and body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: String,
    /// The status line and the headers, as sent.
    pub head: String,
}

impl Answer {
    /// A header's value (the first, by case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// `POST path` with `body` and extra header lines; the connection is closed after the answer.
pub fn post(address: SocketAddr, path: &str, headers: &[&str], body: &[u8]) -> Answer {
    try_post(address, path, headers, body)
        .unwrap_or_else(|| panic!("no answer from {address}{path}"))
}

/// Like [`post`], but `None` when the server cannot be reached, hangs up or says nothing that
/// reads as HTTP (a server killed mid-request).
pub fn try_post(address: SocketAddr, path: &str, headers: &[&str], body: &[u8]) -> Option<Answer> {
    exchange(address, "POST", path, headers, body)
}

/// `GET path` with extra header lines; the connection is closed after the answer.
pub fn get(address: SocketAddr, path: &str, headers: &[&str]) -> Answer {
    exchange(address, "GET", path, headers, b"")
        .unwrap_or_else(|| panic!("no answer from {address}{path}"))
}

fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> Option<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    // A server that refuses a huge body may close before reading it all.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    Some(Answer { status, body, head })
}

/// Posts to the webhook with the bearer token.
pub fn deliver(address: SocketAddr, body: &[u8]) -> Answer {
    let auth = format!("Authorization: Bearer {TOKEN}");
    post(address, "/alerts/alertmanager", &[&auth], body)
}

/// The chat (the console port `warroom serve` writes to `chat.txt` in `dir`) once it holds
/// every one of `needles`, or as it is after 20 s: what a delivery tells the chat arrives
/// from the outbox shortly after the webhook answered.
pub fn chat_with(dir: &Path, needles: &[&str]) -> String {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chat = std::fs::read_to_string(dir.join("chat.txt")).unwrap_or_default();
        if needles.iter().all(|n| chat.contains(n)) || std::time::Instant::now() > until {
            return chat;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The fixture `template` as one group of alert `alertname` (its key, its first alert's and
/// the common `alertname` label), with `labels` added to the common labels and that alert's.
pub fn renamed_body(template: &[u8], alertname: &str, labels: &[(&str, &str)]) -> Vec<u8> {
    let mut body: serde_json::Value = serde_json::from_slice(template).expect("the fixture");
    body["groupKey"] = format!("{{}}:{{alertname=\"{alertname}\"}}").into();
    body["alerts"][0]["labels"]["alertname"] = alertname.into();
    body["commonLabels"]["alertname"] = alertname.into();
    for (k, v) in labels {
        body["commonLabels"][*k] = (*v).into();
        body["alerts"][0]["labels"][*k] = (*v).into();
    }
    body.to_string().into_bytes()
}

/// A notification made from the fixture `template`: the group whose labels are `group` (its
/// key is made from them, as Alertmanager makes it), the common labels `group` plus `common`,
/// the summary `summary`, and one firing alert per fingerprint (its `pod` label is the
/// fingerprint).
pub fn group_body(
    template: &[u8],
    group: &[(&str, &str)],
    common: &[(&str, &str)],
    summary: &str,
    fingerprints: &[String],
) -> Vec<u8> {
    let template: serde_json::Value = serde_json::from_slice(template).expect("the fixture");
    let labels = |extra: &[(&str, &str)]| {
        let mut map = serde_json::Map::new();
        for (k, v) in group.iter().chain(extra) {
            map.insert((*k).to_owned(), (*v).into());
        }
        serde_json::Value::Object(map)
    };
    let key: Vec<String> = group.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    let mut n = template.clone();
    n["groupKey"] = format!("{{}}:{{{}}}", key.join(", ")).into();
    n["groupLabels"] = labels(&[]);
    n["commonLabels"] = labels(common);
    n["commonAnnotations"] = serde_json::json!({ "summary": summary });
    let alerts: Vec<serde_json::Value> = fingerprints
        .iter()
        .map(|fp| {
            let mut alert = template["alerts"][0].clone();
            alert["fingerprint"] = fp.clone().into();
            let mut own = common.to_vec();
            own.push(("pod", fp));
            alert["labels"] = labels(&own);
            alert["annotations"] = serde_json::json!({ "summary": summary });
            alert
        })
        .collect();
    n["alerts"] = alerts.into();
    n.to_string().into_bytes()
}
