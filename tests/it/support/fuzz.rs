//! The fuzz budget shared by the property tests that fuzz Warroom's readers (the command
//! parser, the runbook importer, the alert payload reader).

/// How many cases each fuzz property runs: `WARROOM_FUZZ_CASES` when it is set to a positive
/// number, else `default` (small, so that an ordinary `cargo test` stays quick).
pub fn cases(default: u32) -> u32 {
    std::env::var("WARROOM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}
