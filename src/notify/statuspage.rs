//! Atlassian Statuspage, driven through its REST API (v1): an incident there per published
//! incident here, made with `POST /pages/{page_id}/incidents` on the first public update and
//! changed with `PATCH /pages/{page_id}/incidents/{incident_id}` after, with the status, the
//! impact, the affected components and their states, and the public update's text as the
//! incident update's body. The key goes in `Authorization: OAuth <key>`. Statuspage answers
//! 201 and 200 with the incident; 401, 404 and 422 are refusals for good; 420/429 and 5xx are
//! tried again by the outbox.

use std::ffi::OsString;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::Full;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use super::http::Client;
use crate::config::{Config, StatuspageConfig};
use crate::domain::{Severity, Status, fit};
use crate::engine::port::{ChatError, Publisher};
use crate::engine::status_page::{Published, ServiceState};

/// The longest incident name Statuspage keeps.
const NAME_CHARS: usize = 255;

/// Publishes to one Statuspage page.
pub struct StatuspagePublisher {
    http: Client,
    config: StatuspageConfig,
    env: fn(&str) -> Option<OsString>,
}

impl StatuspagePublisher {
    /// The publisher `[statuspage]` asks for, if it asks for one.
    pub fn from_config(config: &Config) -> Option<StatuspagePublisher> {
        config.statuspage.clone().map(|config| StatuspagePublisher {
            http: Client::new(),
            config,
            env: |name| std::env::var_os(name),
        })
    }
}

/// Statuspage's status of a realtime incident.
fn status(status: Status) -> &'static str {
    match status {
        Status::Investigating => "investigating",
        Status::Identified => "identified",
        Status::Mitigated => "monitoring",
        Status::Resolved => "resolved",
    }
}

/// Statuspage's impact for a severity.
fn impact(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 => "critical",
        Severity::P1 => "major",
        Severity::P2 => "minor",
        Severity::P3 => "none",
    }
}

/// Statuspage's component status for a service's state.
fn component_status(state: ServiceState) -> &'static str {
    match state {
        ServiceState::Operational => "operational",
        ServiceState::DegradedPerformance => "degraded_performance",
        ServiceState::PartialOutage => "partial_outage",
        ServiceState::MajorOutage => "major_outage",
    }
}

/// The body of a create or a change: `{"incident": {…}}`. Services without a component id
/// in `[statuspage] components` are left out.
pub fn incident_body(published: &Published, config: &StatuspageConfig) -> Value {
    let mut components = Map::new();
    let mut ids = Vec::new();
    for (service, state) in &published.services {
        if let Some(id) = config.components.get(service) {
            components.insert(id.clone(), json!(component_status(*state)));
            ids.push(json!(id));
        }
    }
    let mut incident = json!({
        "name": fit(&published.title, NAME_CHARS),
        "status": status(published.status),
        "impact_override": impact(published.severity),
        "deliver_notifications": true,
        "components": components,
        "component_ids": ids,
    });
    if let Some(text) = &published.text {
        incident["body"] = json!(text);
    }
    json!({ "incident": incident })
}

#[async_trait]
impl Publisher for StatuspagePublisher {
    async fn publish(
        &self,
        published: &Published,
        existing: Option<&str>,
    ) -> Result<String, ChatError> {
        let key = super::secret(&self.config.api_key, "statuspage.api_key", self.env)?;
        let base = self.config.base_url();
        let page = &self.config.page_id;
        let (method, url) = match existing {
            None => (Method::POST, format!("{base}/pages/{page}/incidents")),
            Some(id) => (Method::PATCH, format!("{base}/pages/{page}/incidents/{id}")),
        };
        let body = incident_body(published, &self.config).to_string();
        let request = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::AUTHORIZATION,
                format!("OAuth {}", key.expose_secret()),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ChatError::Refused(format!("{url} is not a URL: {e}")))?;
        let answer = self.http.send_for_body(request, "Statuspage").await?;
        let incident: Value = serde_json::from_slice(&answer).map_err(|e| {
            ChatError::Unavailable(format!(
                "Statuspage answered something that is not JSON: {e}"
            ))
        })?;
        incident["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                ChatError::Unavailable("Statuspage answered without an incident id".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IncidentNumber;

    #[test]
    fn an_incident_names_its_components_with_their_states_and_the_update() {
        let config = StatuspageConfig {
            page_id: "gytm4qzbx9t6".into(),
            api_key: crate::config::SecretSource::Env("KEY".into()),
            url: None,
            components: [("checkout".to_owned(), "8kbf7d35c070".to_owned())].into(),
        };
        let published = Published {
            number: IncidentNumber(7),
            title: "Checkout API returns 500s".into(),
            severity: Severity::P1,
            status: Status::Mitigated,
            services: vec![
                ("checkout".into(), ServiceState::DegradedPerformance),
                ("search".into(), ServiceState::DegradedPerformance),
            ],
            text: Some("Rolled back.".into()),
        };
        let body = incident_body(&published, &config);
        assert_eq!(
            body,
            json!({"incident": {
                "name": "Checkout API returns 500s",
                "status": "monitoring",
                "impact_override": "major",
                "deliver_notifications": true,
                "components": {"8kbf7d35c070": "degraded_performance"},
                "component_ids": ["8kbf7d35c070"],
                "body": "Rolled back.",
            }})
        );
    }
}
