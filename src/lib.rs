//! Warroom: a ChatOps incident assistant for Slack, Matrix and the terminal.
#![forbid(unsafe_code)]
// The Matrix sync loop's future (matrix-sdk's typed events inside it) is deeper than the default
// 128 levels the compiler lays out in release builds (`cargo bench`, `cargo build --release`).
#![recursion_limit = "256"]

pub mod alerts;
pub mod chat;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod engine;
pub mod executor;
pub mod http;
pub mod notify;
pub mod runbook;
pub mod scheduler;
pub mod store;
pub mod sweep;
pub mod telemetry;
