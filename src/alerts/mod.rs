//! Alerts from monitoring: reading Prometheus Alertmanager's webhook notifications and deciding
//! what they mean for incidents. Pure (no IO, no async); uses only domain types and the
//! runbook query. The engine (`engine/alerts.rs`) acts on it; `http/alerts.rs` receives it.

pub mod mapping;
pub mod payload;
#[cfg(test)]
mod tests;

pub use mapping::{
    GroupDecision, SeverityRules, decide, label_params, runbook_query, states, title,
};
pub use payload::{Alert, AlertStatus, Notification, PAYLOAD_VERSION, PayloadError, parse};
