//! Warroom's integration tests, one crate with a module per area (one binary to build and
//! link instead of one per file). Run one area with `cargo test --test it slack::`.

mod support;

mod actions;
mod actions_secrets;
mod alertmanager;
mod alerts_actions;
mod alerts_burst;
mod alerts_faults;
mod alerts_fuzz;
mod alerts_half_built;
mod alerts_store;
mod alerts_webhook;
mod console;
mod console_bad_input;
mod engine;
mod executor;
mod healthz_probe;
mod http_limits;
mod matrix;
mod matrix_refusals;
mod matrix_restarts;
mod notify;
mod notify_opsgenie;
mod notify_pagerduty;
mod parser_never_panics;
mod runbooks_bad_input;
mod runbooks_cli;
mod runbooks_golden;
mod runbooks_import;
mod runbooks_match;
mod runbooks_paraphrase;
mod serve;
mod slack;
mod slack_manifest;
mod slack_mentions;
mod slack_outage;
mod slack_refusals;
mod slack_replicas;
mod slack_rules;
mod slack_socket;
mod sqlite_disk_full;
mod store;
