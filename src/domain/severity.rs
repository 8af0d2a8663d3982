//! Incident severity, P0 (worst) to P3.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad an incident is; a lower number is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Complete outage or risk of data loss.
    P0,
    /// Partial outage: a key feature is down for many users.
    P1,
    /// Degradation that has a workaround.
    P2,
    /// Cosmetic or minor; no real user impact.
    P3,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];

    /// One line saying what this severity means, for help texts and cards.
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::P0 => "complete outage or data-loss risk",
            Severity::P1 => "partial outage",
            Severity::P2 => "degradation with a workaround",
            Severity::P3 => "cosmetic or minor",
        }
    }

    /// The short lowercase code used in commands (`p1`).
    pub fn code(self) -> &'static str {
        match self {
            Severity::P0 => "p0",
            Severity::P1 => "p1",
            Severity::P2 => "p2",
            Severity::P3 => "p3",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        };
        f.write_str(s)
    }
}

/// A word that is not one of p0, p1, p2, p3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity '{0}' (use p0, p1, p2 or p3)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "p0" | "sev0" => Ok(Severity::P0),
            "p1" | "sev1" => Ok(Severity::P1),
            "p2" | "sev2" => Ok(Severity::P2),
            "p3" | "sev3" => Ok(Severity::P3),
            _ => Err(UnknownSeverity(s.chars().take(20).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_in_any_case_and_print_upper() {
        assert_eq!("p1".parse::<Severity>().unwrap(), Severity::P1);
        assert_eq!("P0".parse::<Severity>().unwrap(), Severity::P0);
        assert_eq!("sev3".parse::<Severity>().unwrap(), Severity::P3);
        assert_eq!(Severity::P2.to_string(), "P2");
    }

    #[test]
    fn an_unknown_severity_names_the_word_and_the_choices() {
        let err = "p5".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown severity 'p5' (use p0, p1, p2 or p3)"
        );
    }

    #[test]
    fn p0_is_worse_than_p3() {
        assert!(Severity::P0 < Severity::P3);
    }
}
