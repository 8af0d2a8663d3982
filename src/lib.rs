//! Warroom: a ChatOps incident assistant for Slack, Matrix and the terminal.
#![forbid(unsafe_code)]

pub mod domain;
