//! Which programs may run, and the path each `argv[0]` resolves to.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::ExecError;

/// The program allowlist and the directories bare names are looked up in.
#[derive(Debug)]
pub(super) struct ProgramPolicy {
    /// Allowed bare names, found through `search_path`.
    names: Vec<String>,
    /// Allowed absolute paths; each also allows its bare name.
    paths: Vec<PathBuf>,
    search_path: Vec<PathBuf>,
}

impl ProgramPolicy {
    /// Sorts the allowlist into names and absolute paths; other entries (relative paths,
    /// `.`, `..`) could never be matched safely and are dropped with a warning.
    pub(super) fn new(allowed: &[String], search_path: &[PathBuf]) -> Self {
        let mut names = Vec::new();
        let mut paths = Vec::new();
        for entry in allowed {
            if is_bare_name(entry) {
                names.push(entry.clone());
            } else if Path::new(entry).is_absolute() && !entry.contains('\0') {
                paths.push(PathBuf::from(entry));
            } else {
                tracing::warn!(entry = %entry, "ignoring an allowed program that is neither a bare name nor an absolute path");
            }
        }
        let search_path = search_path
            .iter()
            .filter(|dir| dir.is_absolute())
            .cloned()
            .collect();
        Self {
            names,
            paths,
            search_path,
        }
    }

    /// The directories searched, absolute only.
    pub(super) fn search_path(&self) -> &[PathBuf] {
        &self.search_path
    }

    /// Whether `argv0` is on the allowlist, wherever it would run.
    pub(super) fn allows(&self, argv0: &str) -> bool {
        if argv0.contains('/') {
            return self.paths.iter().any(|p| p.as_os_str() == argv0);
        }
        is_bare_name(argv0)
            && (self.names.iter().any(|n| n == argv0)
                || self
                    .paths
                    .iter()
                    .any(|p| p.file_name().is_some_and(|name| name == argv0)))
    }

    /// The executable `name` on the search path, allowed or not (the ssh client itself).
    pub(super) fn find(&self, name: &str) -> Option<PathBuf> {
        self.search_path
            .iter()
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable_file(candidate))
    }

    /// The file to execute for `argv0`, or why it may not run.
    pub(super) fn resolve(&self, argv0: &str) -> Result<PathBuf, ExecError> {
        let not_allowed = || ExecError::NotAllowed(argv0.to_owned());
        if argv0.contains('/') {
            // A path runs only when it is exactly an allowed one: no `./kubectl`, no
            // `/usr/bin/../bin/rm`.
            return self
                .paths
                .iter()
                .find(|allowed| allowed.as_os_str() == argv0)
                .cloned()
                .ok_or_else(not_allowed);
        }
        if !is_bare_name(argv0) {
            return Err(not_allowed());
        }
        if let Some(pinned) = self
            .paths
            .iter()
            .find(|allowed| allowed.file_name().is_some_and(|name| name == argv0))
        {
            return Ok(pinned.clone());
        }
        if !self.names.iter().any(|name| name == argv0) {
            return Err(not_allowed());
        }
        self.search_path
            .iter()
            .map(|dir| dir.join(argv0))
            .find(|candidate| is_executable_file(candidate))
            .ok_or_else(|| ExecError::Spawn {
                program: argv0.to_owned(),
                reason: "not found on the search path".to_owned(),
            })
    }
}

/// A file name on its own: not empty, no slash, not `.` or `..`, no NUL.
fn is_bare_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

fn is_executable_file(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str]) -> ProgramPolicy {
        let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        ProgramPolicy::new(
            &allowed,
            &[PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
        )
    }

    fn refused(result: Result<PathBuf, ExecError>) -> bool {
        matches!(result, Err(ExecError::NotAllowed(_)))
    }

    #[test]
    fn a_bare_allowed_name_is_found_on_the_search_path() {
        let path = policy(&["true"]).resolve("true").expect("allowed");
        assert!(path.is_absolute() && path.ends_with("true"), "{path:?}");
    }

    #[test]
    fn a_name_not_on_the_allowlist_is_refused() {
        assert!(refused(policy(&["true"]).resolve("false")));
    }

    #[test]
    fn a_path_runs_only_when_it_is_exactly_an_allowed_path() {
        let p = policy(&["true", "/usr/bin/env"]);
        assert!(refused(p.resolve("/usr/bin/true")));
        assert!(refused(p.resolve("./true")));
        assert!(refused(p.resolve("/usr/bin/../bin/env")));
        assert!(refused(p.resolve("/usr/bin//env")));
        assert_eq!(
            p.resolve("/usr/bin/env").expect("exact"),
            Path::new("/usr/bin/env")
        );
    }

    #[test]
    fn an_allowed_absolute_path_also_allows_its_bare_name_and_pins_it() {
        let p = policy(&["/opt/tools/kubectl"]);
        assert_eq!(
            p.resolve("kubectl").expect("pinned"),
            Path::new("/opt/tools/kubectl")
        );
    }

    #[test]
    fn dots_empty_names_and_relative_entries_are_never_allowed() {
        let p = policy(&[".", "..", "", "bin/true"]);
        for argv0 in [".", "..", "", "bin/true", "true\0"] {
            assert!(refused(p.resolve(argv0)), "{argv0:?}");
        }
    }

    #[test]
    fn an_allowed_name_missing_from_the_search_path_cannot_start() {
        let result = policy(&["warroom-no-such-program"]).resolve("warroom-no-such-program");
        assert!(matches!(result, Err(ExecError::Spawn { .. })), "{result:?}");
    }
}
