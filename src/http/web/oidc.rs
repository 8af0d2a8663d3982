//! Sign-in with OpenID Connect (the `openidconnect` crate): the authorization code flow with
//! PKCE (S256), a `state` and a nonce, the code exchanged with the client secret, the ID
//! token's signature, issuer, audience, expiry and nonce checked, then the person's groups
//! read from the ID token's `[web] groups_claim` and mapped to a role. The provider's
//! discovery document is read at the first sign-in and kept (a provider that is down at
//! start-up does not stop `serve`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use super::session::Login;

/// Who signed in, as the provider vouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's subject.
    pub sub: String,
    /// A name to show: `name`, else `preferred_username`, else the subject.
    pub name: String,
    /// The groups of the groups claim.
    pub groups: Vec<String>,
}

/// The provider Warroom signs people in with.
pub struct Oidc {
    issuer: String,
    client_id: String,
    client_secret: SecretString,
    redirect: String,
    groups_claim: String,
    http: oauth2_reqwest::ReqwestClient,
    metadata: OnceCell<CoreProviderMetadata>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// A client of `issuer` as `client_id`, sending people back to `redirect`.
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: SecretString,
        redirect: String,
        groups_claim: &str,
    ) -> Result<Oidc, String> {
        // Redirects are not followed: a provider's answer that redirects is an error, not a
        // way to make Warroom fetch another address.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Oidc {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            redirect,
            groups_claim: groups_claim.to_owned(),
            http: oauth2_reqwest::ReqwestClient::from(client),
            metadata: OnceCell::new(),
        })
    }

    /// The provider's discovery document, read once it first answers.
    async fn metadata(&self) -> Result<&CoreProviderMetadata, String> {
        self.metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.issuer.clone())
                    .map_err(|e| format!("web.issuer: {e}"))?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = %e, issuer = %self.issuer, "OpenID discovery failed");
                        format!("the sign-in provider at {} cannot be reached", self.issuer)
                    })
            })
            .await
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        String,
    > {
        let metadata = self.metadata().await?.clone();
        let redirect =
            RedirectUrl::new(self.redirect.clone()).map_err(|e| format!("web.base_url: {e}"))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(
                self.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send a person to sign in, and what to remember until they come back.
    pub async fn start(&self, return_to: String) -> Result<(String, Login), String> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new(self.groups_claim.clone()))
            .set_pkce_challenge(challenge)
            .url();
        let login = Login {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            return_to,
            until: Utc::now() + chrono::Duration::minutes(10),
        };
        Ok((url.to_string(), login))
    }

    /// Who came back with `code`, checked against what `login` remembered.
    pub async fn finish(&self, code: String, login: &Login) -> Result<Identity, String> {
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| format!("the provider has no token endpoint: {e}"))?
            .set_pkce_verifier(PkceCodeVerifier::new(login.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the sign-in code was refused");
                "the provider refused the sign-in code".to_owned()
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| "the provider sent no ID token".to_owned())?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(login.nonce.clone()),
            )
            .map_err(|e| {
                tracing::warn!(error = %e, "an ID token was refused");
                format!("the provider's ID token was refused: {e}")
            })?;
        let sub = claims.subject().as_str().to_owned();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
            .unwrap_or_else(|| sub.clone());
        // The signature was checked above; the groups claim is read from the same payload.
        let groups = id_token
            .to_string()
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
            .and_then(|payload| payload.get(&self.groups_claim).cloned())
            .map(|groups| match groups {
                serde_json::Value::Array(list) => list
                    .iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect(),
                serde_json::Value::String(one) => vec![one],
                _ => Vec::new(),
            })
            .unwrap_or_default();
        Ok(Identity { sub, name, groups })
    }
}
