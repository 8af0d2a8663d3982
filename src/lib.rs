//! Warroom: a ChatOps incident assistant for Slack, Matrix and the terminal.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod chat;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod engine;
pub mod executor;
pub mod http;
pub mod runbook;
pub mod scheduler;
pub mod store;
pub mod sweep;
