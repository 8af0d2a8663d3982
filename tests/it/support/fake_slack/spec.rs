//! Slack's OpenAPI description (tests/fixtures/slack, a copy of Slack's published one) as the fake's rule book: which
//! arguments a method takes, which it requires, and which fields its answer must have.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// What the spec says of one method.
#[derive(Debug, Clone, Default)]
pub struct MethodSpec {
    /// Every argument it takes (besides the token).
    pub params: BTreeSet<String>,
    /// The arguments it requires (besides the token).
    pub required: BTreeSet<String>,
    /// The fields its successful answer must have.
    pub response_required: BTreeSet<String>,
}

/// A method newer than the spec: its name, arguments, required arguments, answer fields.
type NewerMethod = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The methods Warroom calls, from the spec, plus the newer file methods (absent from the
/// 2020 spec) and arguments the spec marks optional although Slack refuses a call without them.
pub struct Spec {
    methods: BTreeMap<String, MethodSpec>,
}

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slack/slack_web_openapi_v2.json")
}

impl Spec {
    /// Reads the spec file.
    pub fn load() -> Spec {
        let text = std::fs::read_to_string(spec_path()).expect("the OpenAPI file reads");
        let doc: Value = serde_json::from_str(&text).expect("the OpenAPI file is JSON");
        let mut methods = BTreeMap::new();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            let name = path.trim_start_matches('/').to_owned();
            let mut spec = MethodSpec::default();
            for op in ops.as_object().into_iter().flat_map(|o| o.values()) {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let pname = p["name"].as_str().unwrap_or_default().to_owned();
                    if pname == "token" {
                        continue;
                    }
                    if p["required"].as_bool() == Some(true) {
                        spec.required.insert(pname.clone());
                    }
                    spec.params.insert(pname);
                }
                let schema = &op["responses"]["200"]["schema"];
                for r in schema["required"].as_array().into_iter().flatten() {
                    spec.response_required
                        .insert(r.as_str().unwrap_or_default().to_owned());
                }
            }
            methods.insert(name, spec);
        }
        // Required in practice (Slack answers invalid_arguments or *_required without them).
        let practice: &[(&str, &[&str])] = &[
            ("conversations.create", &["name"]),
            ("conversations.setTopic", &["channel", "topic"]),
            ("conversations.invite", &["channel", "users"]),
            ("conversations.history", &["channel"]),
            ("pins.add", &["timestamp"]),
        ];
        for (method, params) in practice {
            let spec = methods.get_mut(*method).expect("the method is in the spec");
            for p in *params {
                assert!(spec.params.contains(*p), "{method} takes {p} in the spec");
                spec.required.insert((*p).to_owned());
            }
        }
        // Newer than the spec: from Slack's method pages.
        let newer: &[NewerMethod] = &[
            ("apps.connections.open", &[], &[], &["ok", "url"]),
            (
                "files.getUploadURLExternal",
                &["filename", "length", "alt_txt", "snippet_type"],
                &["filename", "length"],
                &["ok", "upload_url", "file_id"],
            ),
            (
                "files.completeUploadExternal",
                &[
                    "files",
                    "channel_id",
                    "channels",
                    "initial_comment",
                    "thread_ts",
                    "blocks",
                ],
                &["files"],
                &["ok", "files"],
            ),
        ];
        for (method, params, required, response) in newer {
            assert!(
                !methods.contains_key(*method),
                "{method} is in the spec after all"
            );
            methods.insert(
                (*method).to_owned(),
                MethodSpec {
                    params: params.iter().map(|s| s.to_string()).collect(),
                    required: required.iter().map(|s| s.to_string()).collect(),
                    response_required: response.iter().map(|s| s.to_string()).collect(),
                },
            );
        }
        Spec { methods }
    }

    /// The method's rules, if Slack has such a method.
    pub fn method(&self, name: &str) -> Option<&MethodSpec> {
        self.methods.get(name)
    }
}

impl MethodSpec {
    /// Why `args` are not acceptable: an unknown or a missing argument.
    pub fn check_args(&self, args: &serde_json::Map<String, Value>) -> Result<(), String> {
        for key in args.keys() {
            if !self.params.contains(key) {
                return Err(format!("unknown argument {key}"));
            }
        }
        for key in &self.required {
            let present = match args.get(key) {
                None | Some(Value::Null) => false,
                Some(Value::String(s)) => !s.is_empty(),
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            if !present {
                return Err(format!("missing required argument {key}"));
            }
        }
        Ok(())
    }

    /// Panics when an answer the fake built lacks a field the spec requires: a fake that
    /// answers less than Slack would hide bugs.
    pub fn check_response(&self, method: &str, answer: &Value) {
        for key in &self.response_required {
            assert!(
                answer.get(key).is_some(),
                "the fake's answer to {method} lacks {key}, which Slack's answer has: {answer}"
            );
        }
    }
}
