//! The `warroom` binary; everything happens in [`warroom::cli`].
#![forbid(unsafe_code)]

#[tokio::main]
async fn main() -> std::process::ExitCode {
    warroom::chat::install_tls_provider();
    warroom::cli::main().await
}
