//! Chat adapters: each translates between one chat and the engine's commands and messages.

pub mod console;
pub mod slack;
