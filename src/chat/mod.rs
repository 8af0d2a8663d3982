//! Chat adapters: each translates between one chat and the engine's commands and messages.

pub mod console;
pub mod matrix;
pub mod probe;
pub mod slack;

/// Picks rustls's crypto provider (ring) for the whole process; later calls do nothing. The
/// dependencies enable two providers (ring and aws-lc-rs), and rustls then refuses to choose
/// one by itself, so every TLS client built without it would panic.
pub fn install_tls_provider() {
    // An error means a provider is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
