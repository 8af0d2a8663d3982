//! The command parser takes any text a chat can send without panicking, and its answers stay
//! one line of bounded length.

use proptest::prelude::*;
use warroom::domain::{parse, strip_invocation};

use crate::support::fuzz;

const VERBS: &[&str] = &[
    "declare",
    "sev",
    "ack",
    "status",
    "resolve",
    "reopen",
    "assign",
    "note",
    "runbook",
    "run",
    "approve",
    "deny",
    "timeline",
    "postmortem",
    "list",
    "help",
    "INC-7",
    "inc-",
    "p1",
    "@bob",
    "<@U1|x>",
    "mitigated",
];

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(VERBS).prop_map(str::to_owned),
            any::<String>(),
            "[a-zA-Z0-9@<>|:-]{0,12}",
        ],
        0..6,
    )
    .prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz::cases(4000)))]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let _ = parse(&text);
        let _ = strip_invocation(&text);
    }

    #[test]
    fn command_like_strings_parse_or_explain_in_one_line(text in words()) {
        if let Err(e) = parse(&text) {
            let message = e.to_string();
            prop_assert!(!message.contains('\n'), "{message:?}");
            prop_assert!(message.chars().count() < 400, "{message:?}");
        }
    }

    #[test]
    fn titles_that_parse_are_clean(sev in 0u8..4, title in any::<String>()) {
        if let Ok(cmd) = parse(&format!("declare p{sev} {title}")) {
            let json = serde_json::to_string(&cmd).unwrap();
            prop_assert!(!json.is_empty());
            if let warroom::domain::Action::Declare { title, .. } = cmd.action {
                prop_assert!(!title.as_str().chars().any(char::is_control));
                prop_assert!(title.as_str().chars().count() <= 200);
            }
        }
    }
}
