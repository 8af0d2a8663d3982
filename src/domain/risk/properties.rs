//! Property tests: whatever text a runbook holds, classifying it never panics.

use super::classify;

proptest::proptest! {
    #[test]
    fn classify_never_panics_on_any_text(command in "\\PC*") {
        let _ = classify(&command);
    }

    #[test]
    fn classify_never_panics_on_shell_like_text(
        command in "[a-z<>|&;$(){}'\"\\\\ \n=-]{0,60}"
    ) {
        let _ = classify(&command);
    }

    #[test]
    fn classify_never_panics_on_known_programs_with_any_arguments(
        program in proptest::sample::select(vec![
            "kubectl", "psql -c", "redis-cli", "curl", "docker", "docker compose", "systemctl",
            "journalctl", "iptables", "nft", "kill", "prlimit", "find", "top", "ping", "sysctl",
            "patronictl", "chronyc", "openssl", "pg_dump", "kubectl exec p --",
        ]),
        rest in "\\PC{0,80}",
    ) {
        let _ = classify(&format!("{program} {}", shell_words::quote(&rest)));
        let _ = classify(&format!("{program} {rest}"));
    }
}
