//! What the process executor may run, where it finds programs, and its limits.

use std::path::PathBuf;
use std::time::Duration;

/// Directories searched when Warroom's own PATH is unset.
const FALLBACK_SEARCH_PATH: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

/// Variables copied from Warroom's environment into every child by default: what the tools
/// runbooks use (kubectl, psql, curl) need to find their config, and nothing that is a secret.
const DEFAULT_ENV_ALLOWLIST: &[&str] =
    &["HOME", "LANG", "LC_ALL", "TZ", "KUBECONFIG", "PGPASSFILE"];

/// Settings of a [`super::ProcessExecutor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorSettings {
    /// Bare names (looked up in `search_path`) or absolute paths. `argv[0]` must be one of
    /// them; an absolute entry also allows its bare name, and then wins over the search.
    /// Empty by default: nothing runs until the configuration names the tools.
    pub allowed_programs: Vec<String>,
    /// Where bare program names are looked up, in order; the child's PATH is set to it.
    /// Default: the absolute directories of Warroom's PATH at start-up.
    pub search_path: Vec<PathBuf>,
    /// Variables copied from Warroom's own environment; everything else is cleared.
    pub env_allowlist: Vec<String>,
    /// At most this many processes at once; the rest wait for a slot (0 counts as 1).
    pub max_concurrent: usize,
    /// How many bytes of output are kept, the last ones.
    pub output_cap: usize,
    /// The time limit of a job whose own is zero.
    pub default_timeout: Duration,
    /// Where jobs run: here, or on another host over ssh.
    pub runner: super::Runner,
}

impl Default for ExecutorSettings {
    fn default() -> Self {
        Self {
            allowed_programs: Vec::new(),
            search_path: search_path_of_this_process(),
            env_allowlist: DEFAULT_ENV_ALLOWLIST
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            max_concurrent: 4,
            output_cap: 64 * 1024,
            default_timeout: Duration::from_secs(30),
            runner: super::Runner::Local,
        }
    }
}

/// Whether an `[actions] allowed_programs` entry names a program the executor would find now,
/// as it resolves one when a step runs (an absolute path as it is; a bare name on the search
/// path), for `warroom doctor`.
pub fn program_found(entry: &str) -> bool {
    let allowed = [entry.to_owned()];
    super::program::ProgramPolicy::new(&allowed, &search_path_of_this_process())
        .resolve(entry)
        .is_ok()
}

/// The absolute directories of Warroom's PATH (relative ones would depend on the working
/// directory, a classic way to run the wrong program).
fn search_path_of_this_process() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .filter(|dir| dir.is_absolute())
                .collect()
        })
        .unwrap_or_default();
    if dirs.is_empty() {
        FALLBACK_SEARCH_PATH.iter().map(PathBuf::from).collect()
    } else {
        dirs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_allows_no_program_and_searches_only_absolute_directories() {
        let settings = ExecutorSettings::default();
        assert!(settings.allowed_programs.is_empty());
        assert!(!settings.search_path.is_empty());
        assert!(settings.search_path.iter().all(|dir| dir.is_absolute()));
        assert_eq!(settings.output_cap, 65_536);
        assert_eq!(settings.default_timeout, Duration::from_secs(30));
    }
}
