//! Sign-in to the web view against a real OpenID provider: `oidc-provider` from npm (installed
//! by scripts/oidc-provider.sh, started here with node on a port of its own), driven through
//! its own login and consent pages by a client that keeps cookies and follows redirects as a
//! browser does. A responder's group sees the private drill; a viewer's does not; someone in
//! no known group is refused; a changed cookie is no session; signing out needs the session's
//! form token; every page carries the security headers; cookies are Secure under https.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::console::{ROTATIONS, rehearse, stderr, with_runbooks};
use crate::support::binary::{self, sqlite_url};
use crate::support::serving;

/// A free port on loopback (a race with another process is possible, and unlikely).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The provider on `port`, sending people back to `redirect`; `None` (the test skips) where
/// it is not installed and not required.
fn provider(port: u16, redirect: &str) -> Option<Running> {
    let Ok(script) = std::env::var("WARROOM_TEST_OIDC_PROVIDER") else {
        assert!(
            std::env::var_os("WARROOM_TEST_REQUIRE_OIDC").is_none(),
            "WARROOM_TEST_REQUIRE_OIDC is set but WARROOM_TEST_OIDC_PROVIDER is not (scripts/oidc-provider.sh)"
        );
        println!("skipped: set WARROOM_TEST_OIDC_PROVIDER=$(scripts/oidc-provider.sh) to run it");
        return None;
    };
    let mut child = Command::new("node")
        .arg(&script)
        .current_dir(Path::new(&script).parent().expect("its folder"))
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_REDIRECT", redirect)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts the provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("listening on") => break,
            Some(Ok(_)) => {}
            _ => panic!("the provider stopped before it listened"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Some(Running(child))
}

/// `warroom serve` on `port` over the transcript's drills, with `[web]` pointing at the
/// provider on `issuer_port` and `base_url` as given.
fn serve(dir: &Path, port: u16, issuer_port: u16, base_url: &str) -> Running {
    let web = format!(
        "[web]\nissuer = \"http://127.0.0.1:{issuer_port}\"\nbase_url = \"{base_url}\"\n\
         client_id = \"warroom\"\nclient_secret = {{ env = \"TEST_OIDC_SECRET\" }}\n\
         session_key = {{ env = \"TEST_SESSION_KEY\" }}\n\
         responder_groups = [\"sre\"]\nviewer_groups = [\"stakeholders\"]\n"
    );
    std::fs::write(dir.join("warroom.toml"), format!("{ROTATIONS}\n{web}")).expect("config");
    let mut command = binary::command(dir);
    let mut child = command
        .env("WARROOM_DATABASE_URL", sqlite_url(dir))
        .env("TEST_OIDC_SECRET", "warroom-test-secret")
        .env(
            "TEST_SESSION_KEY",
            "a-session-key-of-forty-characters-0000000",
        )
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let lines = serving::read_stderr(&mut child, serving::Echo::Stderr("web"));
    serving::wait_until_serving(&mut child, &lines, Duration::from_secs(30));
    Running(child)
}

/// The drills of tests/transcripts/report.txt (INC-3 is private) in `dir`.
fn rehearsed(dir: &Path) {
    std::fs::write(dir.join("warroom.toml"), ROTATIONS).expect("config");
    with_runbooks(dir);
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/report.txt"),
    )
    .expect("the script");
    let output = rehearse(dir, &sqlite_url(dir), &script);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
}

/// A browser-like client: its own cookies, redirects followed.
fn browser() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::limited(20))
        .build()
        .expect("a client");
    (client, jar)
}

/// The first `action="…"` of a form in `html`, as a URL at `issuer`.
fn form_action(html: &str, issuer: &str) -> String {
    let start = html
        .find("action=\"")
        .unwrap_or_else(|| panic!("no form: {html}"))
        + 8;
    let end = html[start..].find('"').expect("the action ends") + start;
    let action = html[start..end].replace("&amp;", "&");
    if action.starts_with("http") {
        action
    } else {
        format!("{issuer}{action}")
    }
}

/// Signs `login` in through the provider's pages, starting at `/web`; the last answer.
async fn sign_in(client: &reqwest::Client, base: &str, issuer: &str, login: &str) -> (u16, String) {
    let first = client
        .get(format!("{base}/web"))
        .send()
        .await
        .expect("/web");
    assert!(
        first.url().as_str().starts_with(issuer),
        "not at the provider: {}",
        first.url()
    );
    let page = first.text().await.expect("the login page");
    let action = form_action(&page, issuer);
    let consent = client
        .post(action)
        .form(&[
            ("prompt", "login"),
            ("login", login),
            ("password", "anything"),
        ])
        .send()
        .await
        .expect("the login form");
    let page = consent.text().await.expect("the consent page");
    let action = form_action(&page, issuer);
    let back = client
        .post(action)
        .form(&[("prompt", "consent")])
        .send()
        .await
        .expect("the consent form");
    let status = back.status().as_u16();
    (status, back.text().await.expect("the page"))
}

#[tokio::test(flavor = "multi_thread")]
async fn people_sign_in_by_group_and_out_by_form_and_a_changed_cookie_is_nobody() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (port, issuer_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    let issuer = format!("http://127.0.0.1:{issuer_port}");
    let Some(_provider) = provider(issuer_port, &format!("{base}/web/callback")) else {
        return;
    };
    tokio::task::block_in_place(|| rehearsed(dir.path()));
    let _serve = tokio::task::block_in_place(|| serve(dir.path(), port, issuer_port, &base));

    // A responder (alice, in "sre"): every drill, the private one too.
    let (alice, alice_jar) = browser();
    let (status, page) = sign_in(&alice, &base, &issuer, "alice").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Alice Example") && page.contains("(responder)"),
        "{page}"
    );
    assert!(
        page.contains("INC-3") && page.contains("Deploy token leaked"),
        "{page}"
    );
    assert!(page.contains("INC-2"), "{page}");
    let answer = alice
        .get(format!("{base}/web?status=all"))
        .send()
        .await
        .expect("/web");
    let headers = answer.headers().clone();
    for (name, wanted) in [
        ("content-security-policy", "default-src 'none'"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
    ] {
        let got = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(got.contains(wanted), "{name}: {got}");
    }
    let all = answer.text().await.expect("the page");
    assert!(
        all.contains("INC-1"),
        "status=all lists the resolved INC-1: {all}"
    );

    // The incident page: card, runbook progress, timeline (filtered), post-mortem draft.
    let page = alice
        .get(format!("{base}/web/incidents/INC-1"))
        .send()
        .await
        .expect("INC-1");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("text");
    for needed in [
        "Checkout returns 500s for customers",
        "Checkout API errors",
        "skipped by alice",
        "data-type=\"acknowledged\"",
        "data-type=\"paged\"",
        "Post-mortem draft",
        "postmortem.md",
        "/web/incidents/INC-1/postmortem\"",
    ] {
        assert!(page.contains(needed), "{needed}: {page}");
    }
    let pages_only = alice
        .get(format!("{base}/web/incidents/INC-1?show=pages"))
        .send()
        .await
        .expect("INC-1")
        .text()
        .await
        .expect("text");
    assert!(pages_only.contains("data-type=\"paged\""), "{pages_only}");
    assert!(
        !pages_only.contains("data-type=\"acknowledged\""),
        "{pages_only}"
    );
    let file = alice
        .get(format!("{base}/web/incidents/INC-3/postmortem.md"))
        .send()
        .await
        .expect("the draft");
    assert_eq!(file.status(), 200);
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(disposition.contains("INC-3-postmortem.md"), "{disposition}");
    assert!(
        file.text()
            .await
            .expect("text")
            .contains("Deploy token leaked")
    );
    let preview = alice
        .get(format!("{base}/web/incidents/INC-1/postmortem"))
        .send()
        .await
        .expect("the preview");
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.expect("text");
    assert!(
        preview.contains("<pre") && preview.contains("Checkout returns 500s for customers"),
        "{preview}"
    );
    let missing = alice
        .get(format!("{base}/web/incidents/INC-99"))
        .send()
        .await
        .expect("INC-99");
    assert_eq!(missing.status(), 404);

    // On call, the runbook library with each step's label, and the report.
    for (path, needed) in [
        (
            "/web/oncall",
            vec!["primary", "secondary", "Whom a new incident pages first"],
        ),
        (
            "/web/runbooks",
            vec![
                "Checkout API errors",
                "[read · runs on a click]",
                "checkout-errors",
            ],
        ),
        (
            "/web/report?days=3650",
            vec!["Incident report", "<svg role=\"img\"", "On-call load"],
        ),
    ] {
        let answer = alice.get(format!("{base}{path}")).send().await.expect(path);
        assert_eq!(answer.status(), 200, "{path}");
        let page = answer.text().await.expect("text");
        for n in needed {
            assert!(page.contains(n), "{path}: {n}: {page}");
        }
        assert!(page.contains("href=\"/web/oncall\""), "the bar: {page}");
    }

    // A viewer (victor, in "stakeholders"): not the private drill.
    let (victor, _) = browser();
    let (status, page) = sign_in(&victor, &base, &issuer, "victor").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("(viewer)"), "{page}");
    assert!(page.contains("INC-2"), "{page}");
    assert!(
        !page.contains("INC-3") && !page.contains("Deploy token"),
        "{page}"
    );
    for path in [
        "/web/incidents/INC-3",
        "/web/incidents/INC-3/postmortem.md",
        "/web/incidents/INC-3/postmortem",
        "/web/oncall",
        "/web/runbooks",
        "/web/report",
    ] {
        let refused = victor
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect(path);
        assert_eq!(refused.status(), 403, "{path}");
        assert!(
            !refused.text().await.expect("text").contains("Deploy token"),
            "{path}"
        );
    }

    // Someone in no group Warroom knows: refused, no session.
    let (nora, nora_jar) = browser();
    let (status, page) = sign_in(&nora, &base, &issuer, "nora").await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("none of the groups"), "{page}");
    let url: reqwest::Url = base.parse().expect("a URL");
    let web: reqwest::Url = format!("{base}/web").parse().expect("a URL");
    use reqwest::cookie::CookieStore;
    assert!(
        nora_jar
            .cookies(&web)
            .is_none_or(|c| !c.to_str().unwrap_or("").contains("warroom_session")),
        "no session for nora"
    );

    // Alice's session cookie with one character changed is nobody's.
    let cookies = alice_jar.cookies(&web).expect("alice's cookies");
    let cookies = cookies.to_str().expect("text").to_owned();
    let session = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("warroom_session="))
        .expect("alice's session cookie")
        .to_owned();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let with = |value: &str| {
        plain
            .get(format!("{base}/web"))
            .header("cookie", format!("warroom_session={value}"))
            .send()
    };
    let ok = with(&session).await.expect("/web");
    assert_eq!(ok.status(), 200, "the cookie as it was works");
    let mut changed = session.clone().into_bytes();
    changed[5] = if changed[5] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).expect("text");
    let refused = with(&changed).await.expect("/web");
    assert_eq!(refused.status(), 303);
    let to = refused.headers()["location"].to_str().expect("text");
    assert!(to.starts_with("/web/login"), "{to}");
    let _ = url;

    // Signing out: the form's token is needed; a wrong one leaves the session.
    let page = alice.get(format!("{base}/web")).send().await.expect("/web");
    let page = page.text().await.expect("text");
    let start = page.find("name=\"csrf\" value=\"").expect("the form token") + 19;
    let csrf = &page[start..start + page[start..].find('"').expect("ends")];
    let wrong = alice
        .post(format!("{base}/web/logout"))
        .form(&[("csrf", "not-the-token")])
        .send()
        .await
        .expect("logout");
    assert_eq!(wrong.status(), 403);
    let right = alice
        .post(format!("{base}/web/logout"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .expect("logout");
    assert_eq!(right.status(), 200);
    assert!(right.text().await.expect("text").contains("signed out"));
    let after = with("").await.expect("/web");
    assert_eq!(after.status(), 303);
    // The session cookie is gone from alice's browser. (The provider's own session is not:
    // going to /web signs her in again without a password, as single sign-on does.)
    assert!(
        alice_jar
            .cookies(&web)
            .is_none_or(|c| !c.to_str().unwrap_or("").contains("warroom_session")),
        "alice's session cookie is deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn under_https_cookies_are_secure_and_without_web_the_view_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (port, issuer_port) = (free_port(), free_port());
    let Some(_provider) = provider(issuer_port, "https://warroom.example.com/web/callback") else {
        return;
    };
    tokio::task::block_in_place(|| rehearsed(dir.path()));
    let serve_https = tokio::task::block_in_place(|| {
        serve(dir.path(), port, issuer_port, "https://warroom.example.com")
    });
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let base = format!("http://127.0.0.1:{port}");
    let login = plain
        .get(format!("{base}/web/login?return_to=/web"))
        .send()
        .await
        .expect("/web/login");
    assert_eq!(login.status(), 303);
    let to = login.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        to.contains("code_challenge_method=S256") && to.contains("nonce="),
        "{to}"
    );
    let set = login.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(set.contains(flag), "{set}");
    }
    let page = plain.get(format!("{base}/web")).send().await.expect("/web");
    assert!(page.headers().contains_key("strict-transport-security"));
    // A callback that was never started here is refused.
    let stray = plain
        .get(format!("{base}/web/callback?code=x&state=y"))
        .send()
        .await
        .expect("/web/callback");
    assert_eq!(stray.status(), 403);
    drop(serve_https);

    // Without [web] there is no view.
    std::fs::write(dir.path().join("warroom.toml"), ROTATIONS).expect("config");
    let mut command = binary::command(dir.path());
    command.env("WARROOM_DATABASE_URL", sqlite_url(dir.path()));
    let (child, address, _) = serving::start_serve(command, "web-off", Duration::from_secs(30));
    let _off = Running(child);
    let off: SocketAddr = address;
    let answer = plain
        .get(format!("http://{off}/web"))
        .send()
        .await
        .expect("/web");
    assert_eq!(answer.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_cannot_be_reached_is_said_in_words_and_serve_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens on the issuer's port.
    let (port, issuer_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    tokio::task::block_in_place(|| rehearsed(dir.path()));
    let _serve = tokio::task::block_in_place(|| serve(dir.path(), port, issuer_port, &base));
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let first = plain.get(format!("{base}/web")).send().await.expect("/web");
    assert_eq!(first.status(), 303);
    let login = plain
        .get(format!("{base}/web/login?return_to=/web"))
        .send()
        .await
        .expect("/web/login");
    assert_eq!(login.status(), 502);
    assert!(login.headers().get("set-cookie").is_none());
    let said = login.text().await.expect("text");
    assert!(said.contains("cannot be reached"), "{said}");
    // The rest of serve is unaffected.
    let health = plain
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("/healthz");
    assert_eq!(health.status(), 200);
}
