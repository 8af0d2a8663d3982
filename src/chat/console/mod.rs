//! The console: Warroom on a terminal. It reads `USER: TEXT` lines from stdin (typed by hand
//! or fed from a script) and prints every message with the room it went to.

mod port;
mod render;
mod script;

pub use port::ConsoleChat;
pub use script::{ConsoleOptions, run};
