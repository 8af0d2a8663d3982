//! Where a job runs: on Warroom's own host, or on another over the system's `ssh`.
//!
//! Over ssh the argv stays fixed: `ssh [-F CONFIG] -T -o BatchMode=yes -- DESTINATION
//! 'program' 'arg' …`. No shell runs on Warroom's side; the remote side's login shell reads
//! the one command line ssh sends, so each argument is single-quoted for it.

use std::path::PathBuf;

use super::dry_run::shell_quote;

/// Where jobs run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Runner {
    /// Here, as Warroom's user.
    #[default]
    Local,
    /// On `destination` (`db-1`, `ops@db-1`, a `Host` of the ssh configuration) over `ssh`.
    Ssh {
        /// The ssh destination.
        destination: String,
        /// An ssh configuration file (`-F`): keys, known hosts, ports, users.
        config: Option<PathBuf>,
    },
}

impl Runner {
    /// `local`, or `ssh:DESTINATION`; a destination is letters, digits and `.-_@:[]`, and
    /// does not start with `-`.
    pub fn parse(text: &str, config: Option<PathBuf>) -> Result<Runner, String> {
        let text = text.trim();
        if text == "local" {
            return Ok(Runner::Local);
        }
        let Some(destination) = text.strip_prefix("ssh:") else {
            return Err(format!(
                "'{text}' is not a runner: use \"local\" or \"ssh:HOST\""
            ));
        };
        let fine = !destination.is_empty()
            && !destination.starts_with('-')
            && destination
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_@:[]".contains(c));
        if !fine {
            return Err(format!(
                "'{destination}' is not an ssh destination (HOST or USER@HOST, no spaces, not starting with -)"
            ));
        }
        Ok(Runner::Ssh {
            destination: destination.to_owned(),
            config,
        })
    }

    /// Where a run happens, for the war room: `the bot's host`, `db-1 (ssh)`.
    pub fn describe(&self) -> String {
        match self {
            Runner::Local => "the bot's host".to_owned(),
            Runner::Ssh { destination, .. } => format!("{destination} (ssh)"),
        }
    }

    /// The argv that runs `argv` here: itself locally, or ssh's.
    pub fn argv(&self, argv: &[String]) -> Vec<String> {
        match self {
            Runner::Local => argv.to_vec(),
            Runner::Ssh {
                destination,
                config,
            } => {
                let mut out = vec!["ssh".to_owned()];
                if let Some(config) = config {
                    out.push("-F".to_owned());
                    out.push(config.display().to_string());
                }
                out.extend(
                    ["-T", "-o", "BatchMode=yes", "--"]
                        .iter()
                        .map(|s| (*s).to_owned()),
                );
                out.push(destination.clone());
                let remote: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
                out.push(remote.join(" "));
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_are_local_or_a_plain_ssh_destination() {
        assert_eq!(Runner::parse("local", None), Ok(Runner::Local));
        assert_eq!(
            Runner::parse("ssh:ops@db-1", None),
            Ok(Runner::Ssh {
                destination: "ops@db-1".into(),
                config: None
            })
        );
        for bad in [
            "ssh:",
            "ssh:-oProxyCommand=x",
            "ssh:db 1",
            "ssh:db;id",
            "remote",
        ] {
            assert!(Runner::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn over_ssh_each_argument_is_quoted_for_the_remote_shell() {
        let runner =
            Runner::parse("ssh:db-1", Some(PathBuf::from("/etc/warroom/ssh_config"))).unwrap();
        let argv: Vec<String> = ["df", "-h", "/var/lib/x y", "$(id); rm -rf /"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            runner.argv(&argv),
            [
                "ssh",
                "-F",
                "/etc/warroom/ssh_config",
                "-T",
                "-o",
                "BatchMode=yes",
                "--",
                "db-1",
                "df -h '/var/lib/x y' '$(id); rm -rf /'"
            ]
        );
        assert_eq!(runner.describe(), "db-1 (ssh)");
        assert_eq!(Runner::Local.describe(), "the bot's host");
    }
}
