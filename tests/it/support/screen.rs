//! What a console chat writes, collected for assertions: a `Write` that keeps the bytes,
//! shared between the chat and the test.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Console output collected for assertions.
#[derive(Clone, Default)]
pub struct Screen(Arc<Mutex<Vec<u8>>>);

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the screen").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screen {
    /// Everything written since the last take.
    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().expect("the screen"))).expect("UTF-8")
    }
}
