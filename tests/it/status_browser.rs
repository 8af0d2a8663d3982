//! The status page in a real browser: Debian's headless Chromium, driven through its
//! ChromeDriver by fantoccini (WebDriver). The page is read as the browser built it (the DOM)
//! in the light scheme, with JavaScript on and off, and in the dark scheme; the
//! screenshots in the README come from here (`WARROOM_UPDATE_SCREENSHOTS=1` writes them to
//! `docs/screenshots/`).
//!
//! Skipped when `chromedriver` is not installed, unless `WARROOM_TEST_REQUIRE_CHROMIUM` is set
//! (`.ci/run` sets it and installs Debian's `chromium` and `chromium-driver`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::status_page::{rehearse, serve};

/// ChromeDriver, killed when the test ends.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("WARROOM_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("WARROOM_TEST_REQUIRE_CHROMIUM").is_none(),
        "WARROOM_TEST_REQUIRE_CHROMIUM is set but {} is missing (apt-get install chromium chromium-driver)",
        path.display()
    );
    eprintln!("skipped: no chromedriver at {}", path.display());
    None
}

async fn start_driver(path: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let driver = Driver { child, url };
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = crate::support::http_client::HttpClient::default();
    loop {
        if let Ok(Ok(answer)) = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::spawn({
                let client = client.clone();
                let url = format!("{}/status", driver.url);
                async move { client.get(&url).await }
            }),
        )
        .await
            && answer.status == 200
        {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A headless Chromium session; `javascript` false turns scripts off for every page, `dark`
/// makes it prefer the dark scheme.
async fn browser(driver: &Driver, javascript: bool, dark: bool) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=900,1300",
    ];
    if dark {
        args.push("--blink-settings=preferredColorScheme=0");
    }
    let mut options = json!({ "args": args });
    if let Some(path) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    {
        options["binary"] = json!(path);
    }
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("its text")
}

async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .expect("a query")
        .len()
}

/// Writes a screenshot to `docs/screenshots/NAME` when asked to, else next to the test's
/// files; either way it must be a PNG.
fn keep_screenshot(png: &[u8], name: &str, scratch: &Path) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
    assert!(png.len() > 10_000, "{name} is {} bytes: blank?", png.len());
    let dir = if std::env::var_os("WARROOM_UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        scratch.to_path_buf()
    };
    std::fs::create_dir_all(&dir).expect("a screenshots folder");
    std::fs::write(dir.join(name), png).expect("the screenshot is written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_shows_the_published_incident_without_javascript_in_both_schemes() {
    let Some(path) = chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _) = rehearse(dir.path());
    let server = serve(dir.path(), &url);
    let driver = start_driver(&path).await;
    let page = format!("{}/status", server.base);

    // Light with scripts on (to read the computed colours), light with them off, dark.
    for (javascript, dark) in [(true, false), (false, false), (true, true)] {
        let client = browser(&driver, javascript, dark).await;
        client.goto(&page).await.expect("the page loads");
        let what = format!("javascript {javascript}, dark {dark}");
        assert_eq!(client.title().await.unwrap(), "Acme status", "{what}");
        // Landmarks and headings, as a screen reader finds them.
        assert_eq!(count(&client, "header").await, 1, "{what}");
        assert_eq!(count(&client, "main").await, 1, "{what}");
        assert_eq!(count(&client, "footer").await, 1, "{what}");
        assert_eq!(count(&client, "h1").await, 1, "{what}");
        assert_eq!(text(&client, "#overall").await, "Partial outage", "{what}");
        assert_eq!(
            text(&client, "#services-heading").await,
            "Services",
            "{what}"
        );
        let services = client.find_all(Locator::Css(".services li")).await.unwrap();
        let mut shown = Vec::new();
        for service in services {
            shown.push(service.text().await.unwrap().replace('\n', " "));
        }
        assert_eq!(
            shown,
            ["Checkout Partial outage", "Search Operational"],
            "{what}"
        );
        assert_eq!(
            text(&client, "#INC-1 h3").await,
            "Checkout API returns 500s",
            "{what}"
        );
        let update = text(&client, "#INC-1 .updates li").await;
        assert!(
            update.contains("Card payments fail for some customers. We are rolling back."),
            "{what}: {update}"
        );
        assert!(
            text(&client, "#INC-2 .updates li")
                .await
                .contains("Search is slower than usual <for now> & we are on it."),
            "{what}"
        );
        // Nothing private or unpublished, and no script anywhere.
        assert_eq!(count(&client, "#INC-3, #INC-4").await, 0, "{what}");
        assert_eq!(count(&client, "script").await, 0, "{what}");
        let body = text(&client, "body").await;
        assert!(!body.contains("Signing key"), "{what}: {body}");
        if javascript {
            // The scheme's colours, as the browser computed them.
            let background = client
                .execute(
                    "return getComputedStyle(document.body).backgroundColor",
                    vec![],
                )
                .await
                .unwrap();
            let expected = if dark {
                "rgb(13, 17, 23)"
            } else {
                "rgb(255, 255, 255)"
            };
            assert_eq!(background, json!(expected), "{what}");
        }
        let png = client.screenshot().await.expect("a screenshot");
        match (javascript, dark) {
            (_, true) => keep_screenshot(&png, "status-dark.png", dir.path()),
            (true, false) => keep_screenshot(&png, "status-light.png", dir.path()),
            // The same page as the light one: checked, not kept.
            (false, false) => assert!(png.starts_with(b"\x89PNG"), "{what}"),
        }
        client.close().await.expect("the session ends");
    }
}
