//! Signatures made by Slack's official Python SDK (slack_sdk from PyPI, in the venv that
//! scripts/python-venv.sh makes), so that Warroom's check is tested against code written
//! elsewhere.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Set to make a missing slack_sdk a failure instead of a skip (.ci/run sets it).
pub const REQUIRE_ENV: &str = "WARROOM_TEST_REQUIRE_SLACK_SDK";
/// The venv's python, when it is not in the default place.
pub const PYTHON_ENV: &str = "WARROOM_TEST_PYTHON";

const SIGN: &str = r#"
import json, sys
from slack_sdk.signature import SignatureVerifier
job = json.load(sys.stdin)
verifier = SignatureVerifier(job["secret"])
print(json.dumps([verifier.generate_signature(timestamp=ts, body=body) for ts, body in job["items"]]))
"#;

/// The official SDK, through the venv's python.
pub struct SlackSdk {
    python: PathBuf,
}

impl SlackSdk {
    /// The SDK, or `None` (with a line saying why the test is skipped) when the venv is not
    /// there and the environment does not require it.
    pub fn find(test: &str) -> Option<SlackSdk> {
        let python = std::env::var_os(PYTHON_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("warroom-venv/bin/python"));
        let works = Command::new(&python)
            .args(["-c", "import slack_sdk.signature"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if works {
            return Some(SlackSdk { python });
        }
        let why = format!(
            "{test}: Slack's Python SDK is not at {} (run scripts/python-venv.sh, or set {PYTHON_ENV})",
            python.display()
        );
        if std::env::var_os(REQUIRE_ENV).is_some() {
            panic!("{why}; {REQUIRE_ENV} is set, so this fails instead of skipping");
        }
        println!("skipped {why}");
        None
    }

    /// Signs each `(timestamp, body)` with `secret`, all in one run of python.
    pub fn sign_all(&self, secret: &str, items: &[(String, String)]) -> Vec<String> {
        let job = serde_json::json!({"secret": secret, "items": items});
        let mut child = Command::new(&self.python)
            .args(["-c", SIGN])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(job.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "slack_sdk failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sigs: Vec<String> = serde_json::from_slice(&out.stdout).expect("signatures as JSON");
        assert_eq!(sigs.len(), items.len());
        sigs
    }

    /// Signs one body.
    pub fn sign(&self, secret: &str, timestamp: &str, body: &str) -> String {
        self.sign_all(secret, &[(timestamp.to_owned(), body.to_owned())])
            .remove(0)
    }
}
