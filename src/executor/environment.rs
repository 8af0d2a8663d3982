//! The environment a child gets: PATH from the settings, the allowlisted variables of
//! Warroom's own environment, then the job's variables. Nothing else.

use std::ffi::OsString;
use std::path::PathBuf;

use super::ExecError;

/// Prefixes of variables that change how the dynamic loader or the C library behaves in
/// the child: a job may not set them, whatever program it runs.
const REFUSED_PREFIXES: &[&str] = &["LD_", "GCONV_", "MALLOC_"];

/// The environment every child starts from, snapshotted when the executor is built.
#[derive(Debug, Clone)]
pub(super) struct BaseEnvironment {
    vars: Vec<(OsString, OsString)>,
}

impl BaseEnvironment {
    /// PATH joined from `search_path`, plus those of `parent`'s variables named in
    /// `allowlist` (PATH itself is never copied: the settings own it).
    pub(super) fn new(
        search_path: &[PathBuf],
        allowlist: &[String],
        parent: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Self {
        // A directory containing ':' cannot be expressed in PATH; it is still searched by
        // Warroom itself, only the child does not see it.
        let joinable = search_path
            .iter()
            .filter(|dir| !dir.as_os_str().as_encoded_bytes().contains(&b':'));
        let path = std::env::join_paths(joinable).unwrap_or_default();
        let mut vars = vec![(OsString::from("PATH"), path)];
        vars.extend(parent.into_iter().filter(|(name, _)| {
            name != "PATH" && allowlist.iter().any(|allowed| name == allowed.as_str())
        }));
        Self { vars }
    }

    /// The variables for a child running `job_env`, or the first job variable refused.
    pub(super) fn for_job(
        &self,
        job_env: &[(String, String)],
    ) -> Result<Vec<(OsString, OsString)>, ExecError> {
        let mut vars = self.vars.clone();
        for (name, value) in job_env {
            check(name, value)?;
            vars.retain(|(existing, _)| existing != name.as_str());
            vars.push((name.into(), value.into()));
        }
        Ok(vars)
    }
}

fn check(name: &str, value: &str) -> Result<(), ExecError> {
    let malformed = name.is_empty() || name.contains(['=', '\0']) || value.contains('\0');
    let reserved = name == "PATH"
        || REFUSED_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix));
    if malformed || reserved {
        Err(ExecError::EnvNotAllowed(name.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn only_allowlisted_parent_variables_and_the_settings_path_are_kept() {
        let parent = os(&[("HOME", "/home/w"), ("SECRET", "x"), ("PATH", "/evil")]);
        let base = BaseEnvironment::new(
            &[PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
            &["HOME".to_owned(), "PATH".to_owned()],
            parent,
        );
        let vars = base.for_job(&[]).expect("no job variables");
        assert_eq!(vars, os(&[("PATH", "/usr/bin:/bin"), ("HOME", "/home/w")]));
    }

    #[test]
    fn job_variables_are_added_and_override_copied_ones() {
        let base = BaseEnvironment::new(&[], &["TZ".to_owned()], os(&[("TZ", "UTC")]));
        let vars = base
            .for_job(&[
                ("TZ".into(), "Europe/Berlin".into()),
                ("NS".into(), "prod".into()),
            ])
            .expect("allowed");
        assert_eq!(
            vars,
            os(&[("PATH", ""), ("TZ", "Europe/Berlin"), ("NS", "prod")])
        );
    }

    #[test]
    fn a_job_may_not_set_path_loader_variables_or_malformed_names() {
        let base = BaseEnvironment::new(&[], &[], Vec::new());
        for (name, value) in [
            ("PATH", "/tmp"),
            ("LD_PRELOAD", "/tmp/x.so"),
            ("", "x"),
            ("A=B", "x"),
            ("OK", "nul\0inside"),
        ] {
            let result = base.for_job(&[(name.into(), value.into())]);
            assert!(
                matches!(result, Err(ExecError::EnvNotAllowed(_))),
                "{name:?}"
            );
        }
    }
}
