//! What `warroom doctor` asks of the homeserver: who the bot's credentials are (`whoami`, or a
//! password login that is logged out again at once), whether the bot is in each configured
//! room, and whether it may post there.

use axum::http::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::Credentials;
use crate::chat::probe;

/// A client-server API call; the JSON answer, or the homeserver's `errcode` and `error`.
async fn call(
    homeserver: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let url = format!(
        "{}/_matrix/client/v3/{path}",
        homeserver.trim_end_matches('/')
    );
    let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
    let answer = probe::request(method, &url, token, body).await?;
    let json = answer.json();
    if answer.status.is_success() {
        return Ok(json);
    }
    Err(format!(
        "{} {}",
        json["errcode"].as_str().unwrap_or("HTTP"),
        json["error"]
            .as_str()
            .map_or_else(|| answer.status.to_string(), str::to_owned)
    ))
}

/// Percent-encodes one path segment (a room id or alias).
fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A session for the checks: the access token given, or one from a password login.
pub struct Session {
    homeserver: String,
    token: String,
    /// Whether the token came from a login here, to be logged out when done.
    logged_in: bool,
    /// The bot's user id, as the homeserver says.
    pub user_id: String,
}

impl Session {
    /// Logs in as the configured credentials say and asks who that is.
    pub async fn open(
        homeserver: &str,
        user: &str,
        credentials: &Credentials,
    ) -> Result<Session, String> {
        let (token, logged_in) = match credentials {
            Credentials::AccessToken(token) => (token.expose_secret().to_owned(), false),
            Credentials::Password(password) => {
                let login = json!({
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": user},
                    "password": password.expose_secret(),
                    "initial_device_display_name": "warroom doctor",
                });
                let answer = call(homeserver, "", Method::POST, "login", Some(login))
                    .await
                    .map_err(|e| format!("the password login as {user} was refused: {e}"))?;
                let token = answer["access_token"].as_str().unwrap_or_default();
                (token.to_owned(), true)
            }
        };
        let mut session = Session {
            homeserver: homeserver.to_owned(),
            token,
            logged_in,
            user_id: String::new(),
        };
        match call(
            homeserver,
            &session.token,
            Method::GET,
            "account/whoami",
            None,
        )
        .await
        {
            Ok(who) => {
                session.user_id = who["user_id"].as_str().unwrap_or_default().to_owned();
                Ok(session)
            }
            Err(e) => {
                session.close().await;
                Err(format!("whoami refused the access token: {e}"))
            }
        }
    }

    /// Logs out a session this check logged in; a given token is left alone.
    pub async fn close(self) {
        if self.logged_in {
            let _ = call(
                &self.homeserver,
                &self.token,
                Method::POST,
                "logout",
                Some(json!({})),
            )
            .await;
        }
    }

    /// The room id of `room` (an id, or an alias to resolve).
    async fn room_id(&self, room: &str) -> Result<String, String> {
        if room.starts_with('!') {
            return Ok(room.to_owned());
        }
        let path = format!("directory/room/{}", segment(room));
        let answer = call(&self.homeserver, &self.token, Method::GET, &path, None)
            .await
            .map_err(|e| format!("{room} does not resolve: {e}"))?;
        Ok(answer["room_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Whether the bot is joined to `room` and may post messages there; `Err` says what is
    /// wrong in a sentence.
    pub async fn can_post_in(&self, room: &str) -> Result<(), String> {
        let id = self.room_id(room).await?;
        let joined = call(
            &self.homeserver,
            &self.token,
            Method::GET,
            "joined_rooms",
            None,
        )
        .await?;
        let is_joined = joined["joined_rooms"]
            .as_array()
            .is_some_and(|rooms| rooms.iter().any(|r| r.as_str() == Some(id.as_str())));
        if !is_joined {
            return Err(format!("the bot is not in {room}"));
        }
        let path = format!("rooms/{}/state/m.room.power_levels", segment(&id));
        let levels = call(&self.homeserver, &self.token, Method::GET, &path, None).await?;
        let level_of = |v: &Value, default: i64| v.as_i64().unwrap_or(default);
        let mine = level_of(
            &levels["users"][self.user_id.as_str()],
            level_of(&levels["users_default"], 0),
        );
        let needed = level_of(
            &levels["events"]["m.room.message"],
            level_of(&levels["events_default"], 0),
        );
        if mine < needed {
            return Err(format!(
                "the bot may not post in {room}: its power level is {mine}, messages need {needed}"
            ));
        }
        Ok(())
    }
}
