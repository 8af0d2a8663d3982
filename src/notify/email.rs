//! Pages by email over SMTP (lettre): `smtps://` is TLS from the start, `smtp://` requires
//! STARTTLS, and `smtp://…?tls=none` sends in the clear, which only a relay on this machine
//! (a loopback address) may be.

use std::ffi::OsString;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{ConfigError, EmailConfig, SecretSource};
use crate::engine::effect::PageNote;
use crate::engine::port::ChatError;

/// How long one email may take to hand over.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP server and the sender (the password is a source, never a value).
#[derive(Debug)]
pub(super) struct Mailer {
    host: String,
    port: u16,
    security: Security,
    from: Mailbox,
    user: Option<String>,
    password: Option<SecretSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// TLS from the first byte (`smtps://`, port 465 by default).
    Tls,
    /// STARTTLS, required (`smtp://`, port 587 by default).
    StartTls,
    /// None: a relay on this machine only (`?tls=none`).
    Clear,
}

fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        origin: "in the configuration".to_owned(),
        problem: problem.into(),
    }
}

impl Mailer {
    pub(super) fn new(settings: &EmailConfig) -> Result<Mailer, ConfigError> {
        let key = "notify.email.smtp_url";
        let url = url::Url::parse(settings.smtp_url.trim())
            .map_err(|_| invalid(key, "expected smtp://host:port or smtps://host:port"))?;
        let host = url
            .host_str()
            .ok_or_else(|| invalid(key, "the URL names no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => Security::Tls,
            ("smtp", None | Some("required")) => Security::StartTls,
            ("smtp", Some("none")) => Security::Clear,
            _ => {
                return Err(invalid(
                    key,
                    "use smtps://host, smtp://host (STARTTLS) or smtp://127.0.0.1:port?tls=none",
                ));
            }
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if security == Security::Clear && !loopback {
            return Err(invalid(
                key,
                "tls=none sends pages in the clear; it is allowed only to a relay on this machine (127.0.0.1, ::1, localhost)",
            ));
        }
        let port = url.port().unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Clear => 25,
        });
        let from = settings
            .from
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| invalid("notify.email.from", format!("not an address: {e}")))?;
        Ok(Mailer {
            host,
            port,
            security,
            from,
            user: settings.user.clone(),
            password: settings.password.clone(),
        })
    }

    fn transport(
        &self,
        env: fn(&str) -> Option<OsString>,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, ChatError> {
        crate::chat::install_tls_provider();
        let builder = match self.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host),
            Security::Clear => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &self.host,
            )),
        }
        .map_err(|e| ChatError::Refused(format!("the SMTP server cannot be used: {e}")))?;
        let mut builder = builder.port(self.port).timeout(Some(TIMEOUT));
        if let Some(user) = &self.user {
            let password = match &self.password {
                Some(source) => super::secret(source, "notify.email.password", env)?
                    .expose_secret()
                    .to_owned(),
                None => String::new(),
            };
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }

    pub(super) async fn send(
        &self,
        address: &str,
        page: &PageNote,
        env: fn(&str) -> Option<OsString>,
    ) -> Result<(), ChatError> {
        let to = address
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| ChatError::Refused(format!("{address} is not an address: {e}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("[Warroom] {}", page.headline()))
            .header(ContentType::TEXT_PLAIN)
            .body(format!("{}\n\n{}\n", page.headline(), page.body()))
            .map_err(|e| ChatError::Refused(format!("the email could not be written: {e}")))?;
        let what = format!("the SMTP server {}:{}", self.host, self.port);
        match self.transport(env)?.send(email).await {
            Ok(_) => Ok(()),
            // 5xx: the server refused this message or recipient for good.
            Err(e) if e.is_permanent() => Err(ChatError::Refused(format!("{what} refused: {e}"))),
            Err(e) => Err(ChatError::Unavailable(format!("{what}: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer(url: &str) -> Result<Mailer, String> {
        Mailer::new(&EmailConfig {
            smtp_url: url.into(),
            from: "Warroom <warroom@example.org>".into(),
            user: None,
            password: None,
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_url_says_how_the_connection_is_secured() {
        let m = mailer("smtps://mail.example.org").unwrap();
        assert_eq!((m.security, m.port), (Security::Tls, 465));
        let m = mailer("smtp://mail.example.org").unwrap();
        assert_eq!((m.security, m.port), (Security::StartTls, 587));
        let m = mailer("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((m.security, m.port), (Security::Clear, 2525));
        let error = mailer("smtp://mail.example.org?tls=none").unwrap_err();
        assert!(error.contains("only to a relay on this machine"), "{error}");
        assert!(mailer("smtps://mail.example.org?tls=none").is_err());
        assert!(mailer("http://mail.example.org").is_err());
    }
}
