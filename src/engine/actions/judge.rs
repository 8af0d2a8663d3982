//! What Warroom would do with a runbook step's code, with this configuration: the domain's
//! verdict ([`RiskPolicy`]) over the engine's action settings.

use super::ActionSettings;
use crate::domain::{RiskPolicy, Step};

impl ActionSettings {
    /// The configuration's part of the verdict: raised risks and the dangerous allowlist.
    pub(in crate::engine) fn policy(&self) -> RiskPolicy<'_> {
        RiskPolicy {
            raised: &self.raised,
            dangerous_allowlist: &self.dangerous_allowlist,
        }
    }

    /// How the war room labels `step` (None for a manual step): `read`, `needs approval` or
    /// `copy only` (see [`crate::domain::Verdict::label`]).
    pub(in crate::engine) fn label(&self, step: &Step) -> Option<&'static str> {
        self.policy().verdict(step).map(|v| v.label())
    }
}
