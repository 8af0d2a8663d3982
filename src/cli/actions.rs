//! From `[actions]` in the configuration to what the engine needs to run steps.

use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::engine::{ActionSettings, SecretReader};
use crate::executor::{DryRunExecutor, Executor, ExecutorSettings, ProcessExecutor};

/// The engine's action settings: who approves, which values and secrets fill parameters, and
/// the executor (real processes, or a drill when `dry_run` is set).
pub fn action_settings(config: &Config) -> anyhow::Result<ActionSettings> {
    let actions = &config.actions;
    let approvers = actions.approvers.clone();
    let executor: Arc<dyn Executor> = if actions.dry_run {
        Arc::new(DryRunExecutor)
    } else {
        Arc::new(ProcessExecutor::new(ExecutorSettings {
            allowed_programs: actions.allowed_programs.clone(),
            env_allowlist: actions.env_allowlist.clone(),
            max_concurrent: actions.max_concurrent.max(1),
            default_timeout: actions.timeout,
            runner: actions.runner().map_err(anyhow::Error::msg)?,
            ..ExecutorSettings::default()
        }))
    };
    let secrets_config = actions.clone();
    let read_secret: SecretReader = Arc::new(move |name: &str| {
        secrets_config
            .secret_value(name)
            .map(|s| s.map(|s| s.expose_secret().to_owned()))
            .map_err(|e| e.to_string())
    });
    let request_expiry = chrono::Duration::from_std(actions.request_expiry)
        .context("actions.request_expiry is too long")?;
    let environment =
        Some(actions.environment.clone()).filter(|_| !actions.environments.is_empty());
    Ok(ActionSettings {
        environment,
        approvers,
        on_call_may_approve: actions.on_call_may_approve,
        request_expiry,
        default_timeout: actions.timeout,
        dangerous_allowlist: actions.dangerous_allowlist.clone(),
        raised: actions.risk.clone(),
        values: actions.values(),
        secrets: actions.secrets.keys().cloned().collect(),
        read_secret,
        rules: Arc::new(actions.param_rules().context("actions.patterns")?),
        executor,
    })
}
