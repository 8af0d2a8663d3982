//! What Warroom would do with a runbook step's code, with this configuration: the domain's
//! verdict ([`RiskPolicy`]) over the engine's action settings.

use super::ActionSettings;
use crate::domain::RiskPolicy;

impl ActionSettings {
    /// The configuration's part of the verdict: raised risks and the dangerous allowlist.
    pub(in crate::engine) fn policy(&self) -> RiskPolicy<'_> {
        RiskPolicy {
            raised: &self.raised,
            dangerous_allowlist: &self.dangerous_allowlist,
        }
    }
}
