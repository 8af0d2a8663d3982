//! The `[actions]` table: how runbook commands run (drills, time limits, how many at once),
//! who approves them, which programs and environment variables they get, where parameter
//! values and secrets come from, and how values and risks are checked.

mod fields;
mod secrets;

/// Durations of more than zero (`"30s"`, `"500ms"`, a number of seconds), for other tables too.
pub(super) use fields::duration;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::{ConfigError, key_line, quoted};
use crate::domain::{ParamError, ParamRules, Risk, RiskPolicy, UserId, normalize_param_name};

pub use secrets::SecretSource;

/// How Warroom runs the commands of runbooks. Every key has a default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ActionsConfig {
    /// Drills: show what would run, start nothing.
    pub dry_run: bool,
    /// The time limit of an action whose runbook gives none (`"30s"`, `"2m"`).
    #[serde(deserialize_with = "fields::duration")]
    pub timeout: Duration,
    /// How many actions may run at once; more wait for a free slot.
    #[serde(deserialize_with = "fields::at_least_one")]
    pub max_concurrent: usize,
    /// How long an approval request waits for a decision before it expires.
    #[serde(deserialize_with = "fields::duration")]
    pub request_expiry: Duration,
    /// People who may approve write actions besides the incident's commander.
    #[serde(deserialize_with = "super::fields::user_ids")]
    pub approvers: Vec<UserId>,
    /// Whether whoever is on call in a rotation at the moment may approve too.
    pub on_call_may_approve: bool,
    /// The programs a command may start (its first word); any other is refused.
    #[serde(deserialize_with = "fields::words")]
    pub allowed_programs: Vec<String>,
    /// The environment variables a command gets from Warroom's; all others are removed.
    #[serde(deserialize_with = "fields::words")]
    pub env_allowlist: Vec<String>,
    /// Exact command lines, as written in the runbook, allowed to run although the rules call
    /// them dangerous.
    #[serde(deserialize_with = "fields::lines")]
    pub dangerous_allowlist: Vec<String>,
    /// Which table of `environments` gives parameter values.
    pub environment: String,
    /// Parameter values (not secrets) per environment, keyed by normalised parameter name.
    #[serde(deserialize_with = "fields::environments")]
    pub environments: BTreeMap<String, BTreeMap<String, String>>,
    /// Parameters whose values are secrets, and where each is read from.
    #[serde(deserialize_with = "fields::by_param")]
    pub secrets: BTreeMap<String, SecretSource>,
    /// Validation patterns for values people type, by parameter (anchored regular expressions).
    #[serde(deserialize_with = "fields::patterns")]
    pub patterns: BTreeMap<String, String>,
    /// The only values a parameter may take from people and alert labels, by parameter:
    /// exact hosts and `*.suffix` patterns, each with an optional `:port`. Required for a
    /// parameter that forms a host, URL or path in a command that also sends a secret.
    #[serde(deserialize_with = "fields::hosts")]
    pub hosts: BTreeMap<String, Vec<String>>,
    /// Risks raised by action name (the runbook's `action=` annotation); never lowered.
    pub risk: BTreeMap<String, Risk>,
    /// Where approved steps run: `local` (Warroom's host) or `ssh:HOST` (over the system's
    /// ssh, with a fixed argv).
    pub runner: String,
    /// The ssh configuration file for `ssh:` (`-F`): identity, known hosts, port, user.
    pub ssh_config: Option<std::path::PathBuf>,
}

/// Programs that diagnose and repair the usual incidents; destructive tools (`kill`,
/// `iptables`, shells) are left for a team to add knowingly.
const ALLOWED_PROGRAMS: [&str; 23] = [
    "kubectl",
    "psql",
    "pg_isready",
    "redis-cli",
    "curl",
    "dig",
    "openssl",
    "systemctl",
    "journalctl",
    "timedatectl",
    "chronyc",
    "docker",
    "ss",
    "lsof",
    "df",
    "du",
    "ps",
    "ls",
    "cat",
    "tail",
    "head",
    "printf",
    "echo",
];

/// Variables that programs need to find their tools and settings; no credentials. `PATH` is
/// here because kubectl's credential plugins are found through it.
const ENV_ALLOWLIST: [&str; 8] = [
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "KUBECONFIG",
    "PGPASSFILE",
    "PGSSLMODE",
];

impl Default for ActionsConfig {
    fn default() -> Self {
        ActionsConfig {
            dry_run: false,
            runner: "local".to_owned(),
            ssh_config: None,
            timeout: Duration::from_secs(30),
            max_concurrent: 4,
            request_expiry: Duration::from_secs(15 * 60),
            approvers: Vec::new(),
            on_call_may_approve: false,
            allowed_programs: ALLOWED_PROGRAMS.map(str::to_owned).to_vec(),
            env_allowlist: ENV_ALLOWLIST.map(str::to_owned).to_vec(),
            dangerous_allowlist: Vec::new(),
            environment: "production".to_owned(),
            environments: BTreeMap::new(),
            secrets: BTreeMap::new(),
            patterns: BTreeMap::new(),
            hosts: BTreeMap::new(),
            risk: BTreeMap::new(),
        }
    }
}

impl ActionsConfig {
    /// The parameter values of the chosen environment (none when it has no table).
    pub fn values(&self) -> BTreeMap<String, String> {
        self.environments
            .get(&self.environment)
            .cloned()
            .unwrap_or_default()
    }

    /// The value of the secret parameter `name` (any spelling: `DATABASE_URL`, `database_url`),
    /// read now from its variable or file; `None` when no secret of that name is configured.
    pub fn secret_value(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        self.secret_value_with(name, |var| std::env::var_os(var))
    }

    /// [`ActionsConfig::secret_value`] with environment variables looked up by `env`.
    pub fn secret_value_with(
        &self,
        name: &str,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<SecretString>, ConfigError> {
        let Some(name) = normalize_param_name(name) else {
            return Ok(None);
        };
        let Some(source) = self.secrets.get(&name) else {
            return Ok(None);
        };
        source
            .read(&format!("actions.secrets.{name}"), env)
            .map(Some)
    }

    /// The rules for parameter values: the configured patterns and allowed hosts, with the
    /// chosen environment's values trusted and the secrets trusted and hidden (see
    /// [`ParamRules`]).
    pub fn param_rules(&self) -> Result<ParamRules, ParamError> {
        ParamRules::new(&self.patterns)?
            .with_trusted(self.values().keys())
            .with_secrets(self.secrets.keys())
            .with_hosts(&self.hosts)
    }

    /// What this table adds to the built-in risk rules: `[actions.risk]` and the dangerous
    /// allowlist.
    pub fn risk_policy(&self) -> RiskPolicy<'_> {
        RiskPolicy {
            raised: &self.risk,
            dangerous_allowlist: &self.dangerous_allowlist,
        }
    }

    /// Checks what no single key can: the chosen environment exists when any is configured,
    /// and no parameter is both a value and a secret.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key: String, problem: String| ConfigError::InvalidValue {
            key,
            origin: "in the configuration".to_owned(),
            problem,
        };
        if !self.environments.is_empty() && !self.environments.contains_key(&self.environment) {
            let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
            return Err(invalid(
                "actions.environment".to_owned(),
                format!(
                    "there is no [actions.environments.{}] table (there are: {})",
                    self.environment,
                    known.join(", ")
                ),
            ));
        }
        self.runner()
            .map_err(|problem| invalid("actions.runner".to_owned(), problem))?;
        if let Some(name) = self.values().keys().find(|k| self.secrets.contains_key(*k)) {
            return Err(invalid(
                format!("actions.secrets.{name}"),
                format!(
                    "{name} also has a value in [actions.environments.{}]; give it one source",
                    self.environment
                ),
            ));
        }
        Ok(())
    }

    /// Where approved steps run.
    pub fn runner(&self) -> Result<crate::executor::Runner, String> {
        crate::executor::Runner::parse(&self.runner, self.ssh_config.clone())
    }

    /// Appends the `[actions]` tables to `config show`'s text; secrets as their source only.
    pub(super) fn describe(&self, out: &mut String) {
        let list = |items: &[String]| {
            let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
            Some(format!("[{}]", items.join(", ")))
        };
        out.push_str("\n[actions]\n");
        key_line(out, "dry_run", Some(self.dry_run.to_string()));
        key_line(out, "runner", Some(quoted(&self.runner)));
        key_line(
            out,
            "ssh_config",
            self.ssh_config
                .as_ref()
                .map(|p| quoted(&p.display().to_string())),
        );
        let timeout = fields::format_duration(self.timeout);
        key_line(out, "timeout", Some(quoted(&timeout)));
        key_line(out, "max_concurrent", Some(self.max_concurrent.to_string()));
        let expiry = fields::format_duration(self.request_expiry);
        key_line(out, "request_expiry", Some(quoted(&expiry)));
        let approvers: Vec<String> = self
            .approvers
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        key_line(out, "approvers", list(&approvers));
        key_line(
            out,
            "on_call_may_approve",
            Some(self.on_call_may_approve.to_string()),
        );
        key_line(out, "allowed_programs", list(&self.allowed_programs));
        key_line(out, "env_allowlist", list(&self.env_allowlist));
        key_line(out, "dangerous_allowlist", list(&self.dangerous_allowlist));
        key_line(out, "environment", Some(quoted(&self.environment)));
        for (env, values) in &self.environments {
            out.push_str(&format!("\n[actions.environments.{}]\n", table_key(env)));
            for (name, value) in values {
                key_line(out, name, Some(quoted(value)));
            }
        }
        out.push_str("\n[actions.secrets]\n");
        for (name, source) in &self.secrets {
            key_line(out, name, Some(source.to_string()));
        }
        out.push_str("\n[actions.patterns]\n");
        for (name, pattern) in &self.patterns {
            key_line(out, name, Some(quoted(pattern)));
        }
        out.push_str("\n[actions.hosts]\n");
        for (name, hosts) in &self.hosts {
            key_line(out, name, list(hosts));
        }
        out.push_str("\n[actions.risk]\n");
        for (action, risk) in &self.risk {
            key_line(out, &table_key(action), Some(quoted(&risk.to_string())));
        }
    }
}

/// A TOML key: bare when it can be, quoted otherwise.
fn table_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_owned() } else { quoted(key) }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use secrecy::ExposeSecret;

    use super::*;
    use crate::config::Config;
    use crate::config::testing::{env, file, load, no_env};
    use crate::domain::{Section, Step, StepKind};

    #[test]
    fn no_file_gives_the_default_actions() {
        let actions = Config::load_from(None, no_env()).unwrap().actions;
        assert_eq!(actions, ActionsConfig::default());
        assert!(!actions.dry_run);
        assert_eq!(actions.timeout, Duration::from_secs(30));
        assert_eq!(actions.max_concurrent, 4);
        assert_eq!(actions.request_expiry, Duration::from_secs(900));
        assert!(actions.allowed_programs.iter().any(|p| p == "kubectl"));
        assert!(
            !actions
                .allowed_programs
                .iter()
                .any(|p| p == "sh" || p == "kill")
        );
        assert_eq!(actions.environment, "production");
        assert!(actions.values().is_empty());
        assert_eq!(
            actions.secret_value("database_url").unwrap().map(|_| ()),
            None
        );
    }

    #[test]
    fn a_file_with_every_key_is_read() {
        let (dir, path) = file(
            r#"
            [actions]
            dry_run = true
            timeout = "2m"
            max_concurrent = 2
            request_expiry = "1h30m"
            approvers = ["alice", "@bob:example.org"]
            allowed_programs = ["kubectl", "psql"]
            env_allowlist = ["HOME", "KUBECONFIG"]
            dangerous_allowlist = ["redis-cli -u \"$REDIS_URL\" FLUSHDB"]
            environment = "staging"
            [actions.environments.staging]
            namespace = "shop-staging"
            Replicas = 3
            [actions.environments.production]
            namespace = "shop"
            [actions.secrets]
            DATABASE_URL = { env = "DATABASE_URL" }
            redis-url = { file = "secrets/redis_url" }
            [actions.patterns]
            pod-name = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
            [actions.hosts]
            payments-admin-host = ["payments-admin.internal", "*.pay.internal:8443"]
            [actions.risk]
            restart-api = "dangerous"
            "#,
        );
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(config.unknown_keys(), Vec::<String>::new());
        let a = config.actions;
        assert!(a.dry_run);
        assert_eq!(a.timeout, Duration::from_secs(120));
        assert_eq!(a.max_concurrent, 2);
        assert_eq!(a.request_expiry, Duration::from_secs(5400));
        assert_eq!(
            a.approvers.iter().map(UserId::as_str).collect::<Vec<_>>(),
            ["alice", "@bob:example.org"]
        );
        assert_eq!(a.allowed_programs, ["kubectl", "psql"]);
        assert_eq!(a.env_allowlist, ["HOME", "KUBECONFIG"]);
        assert_eq!(
            a.dangerous_allowlist,
            ["redis-cli -u \"$REDIS_URL\" FLUSHDB"]
        );
        let values = a.values();
        assert_eq!(values["namespace"], "shop-staging");
        assert_eq!(
            values["replicas"], "3",
            "names are normalised, numbers taken as text"
        );
        assert_eq!(
            a.secrets["database_url"],
            SecretSource::Env("DATABASE_URL".into())
        );
        let redis = dir.path().join("secrets/redis_url");
        assert_eq!(a.secrets["redis_url"], SecretSource::File(redis));
        assert_eq!(a.patterns["pod_name"], "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
        assert_eq!(risk_of(&a, Some("restart-api")), Risk::Dangerous);
        assert_eq!(risk_of(&a, Some("other")), Risk::Write);

        let rules = a.param_rules().unwrap();
        assert!(rules.is_trusted("namespace") && !rules.is_secret("namespace"));
        assert!(rules.is_secret("database_url") && rules.is_trusted("redis_url"));
        assert!(rules.check("pod_name", "API").is_err());
        assert_eq!(
            a.hosts["payments_admin_host"],
            ["payments-admin.internal", "*.pay.internal:8443"]
        );
        assert!(rules.has_hosts("payments_admin_host"));
        assert!(
            rules
                .check("payments_admin_host", "eu.pay.internal:8443")
                .is_ok()
        );
        assert!(
            rules
                .check("payments_admin_host", "127.0.0.1:58399")
                .is_err()
        );
    }

    #[test]
    fn allowed_hosts_are_checked_when_read_and_come_from_the_environment_too() {
        let err = load("[actions.hosts]\napi_host = [\"a.*.internal\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`a.*.internal`") && err.contains("`*` may only start"),
            "{err}"
        );
        let err = load("[actions.hosts]\napi_host = \"a.internal\"\nAPI-HOST = [\"b\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("another spelling"), "{err}");
        let vars = env(&[(
            "WARROOM_ACTIONS__HOSTS__API_HOST",
            "api.internal, *.api.internal:8443",
        )]);
        let a = Config::load_from(None, vars).unwrap().actions;
        assert_eq!(a.hosts["api_host"], ["api.internal", "*.api.internal:8443"]);
        let mut shown = String::new();
        a.describe(&mut shown);
        assert!(
            shown.contains(
                "[actions.hosts]\napi_host = [\"api.internal\", \"*.api.internal:8443\"]"
            ),
            "{shown}"
        );
    }

    #[test]
    fn a_risk_is_raised_never_lowered() {
        let config = load("[actions.risk]\nrestart-api = \"read\"\n").unwrap();
        let a = config.actions;
        assert_eq!(risk_of(&a, Some("restart-api")), Risk::Write);
        assert_eq!(risk_of(&a, None), Risk::Write);
    }

    /// The risk the configuration leaves a restart (a write by the rules) named `action`.
    fn risk_of(a: &ActionsConfig, action: Option<&str>) -> Risk {
        let step = Step {
            title: "Restart".into(),
            section: Section::Mitigation,
            heading: None,
            only_if: None,
            kind: StepKind::Command,
            command: Some("kubectl rollout restart deployment/api".into()),
            risk: None,
            action: action.map(str::to_owned),
            timeout_secs: None,
            line: 1,
            details: Vec::new(),
        };
        a.risk_policy().verdict(&step).expect("a command").risk
    }

    #[test]
    fn secrets_come_from_the_environment_or_a_file_at_call_time() {
        let (dir, path) = file(
            "[actions.secrets]\n\
             database_url = { env = \"DATABASE_URL\" }\n\
             redis_url = { file = \"redis_url\" }\n\
             api_token = { env = \"API_TOKEN\" }\n",
        );
        let a = Config::load_from(Some(&path), no_env()).unwrap().actions;
        let env =
            |var: &str| (var == "DATABASE_URL").then(|| OsString::from("postgres://u:pw@db/x"));
        let value = a.secret_value_with("DATABASE_URL", env).unwrap().unwrap();
        assert_eq!(value.expose_secret(), "postgres://u:pw@db/x");

        fs::write(dir.path().join("redis_url"), "redis://:s3cret@cache:6379\n").unwrap();
        let value = a.secret_value_with("redis_url", env).unwrap().unwrap();
        assert_eq!(
            value.expose_secret(),
            "redis://:s3cret@cache:6379",
            "one newline trimmed"
        );

        let err = a
            .secret_value_with("api_token", env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`actions.secrets.api_token` in environment variable API_TOKEN is not valid: \
             it is not set"
        );
        assert!(a.secret_value_with("namespace", env).unwrap().is_none());

        let shown = [
            format!("{a:?}"),
            Config::load_from(Some(&path), no_env()).unwrap().describe(),
        ];
        for text in shown {
            assert!(
                !text.contains("s3cret") && !text.contains("pw@db"),
                "{text}"
            );
        }
        let described = Config::load_from(Some(&path), no_env()).unwrap().describe();
        assert!(
            described.contains("database_url = { env = \"DATABASE_URL\" }"),
            "{described}"
        );
    }

    #[test]
    fn a_missing_secret_file_is_an_error_naming_the_file_and_the_parameter() {
        let a = load("[actions.secrets]\nredis_url = { file = \"/nonexistent/redis_url\" }\n")
            .unwrap()
            .actions;
        let err = a.secret_value("redis_url").unwrap_err().to_string();
        assert_eq!(
            err,
            "`actions.secrets.redis_url` in /nonexistent/redis_url is not valid: \
             the file does not exist"
        );
    }

    #[test]
    fn a_secret_written_into_the_file_is_refused_without_showing_it() {
        let err = load("[actions.secrets]\ndatabase_url = \"postgres://u:hunter2@db/x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`actions.secrets.database_url` in "),
            "{err}"
        );
        assert!(err.contains("never goes in the configuration"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = load("[actions.secrets]\nx = { env = \"X\", file = \"/x\" }\n").unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn bad_durations_and_counts_name_their_key() {
        for (text, key) in [
            ("[actions]\ntimeout = \"soon\"\n", "`actions.timeout` in "),
            (
                "[actions]\nrequest_expiry = \"0s\"\n",
                "`actions.request_expiry` in ",
            ),
            (
                "[actions]\nmax_concurrent = 0\n",
                "`actions.max_concurrent` in ",
            ),
        ] {
            let err = load(text).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
        }
        let err = load("[actions]\ntimeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("expected a duration such as \"30s\", \"2m\" or \"1h30m\""),
            "{err}"
        );
    }

    #[test]
    fn a_bad_pattern_stops_loading_naming_the_parameter() {
        let err = load("[actions.patterns]\npod_name = \"[a-z\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`actions.patterns` in "), "{err}");
        assert!(
            err.contains("pattern for <pod_name> cannot be used"),
            "{err}"
        );
    }

    #[test]
    fn the_chosen_environment_must_exist_and_a_name_has_one_source() {
        let err = load("[actions]\nenvironment = \"prod\"\n[actions.environments.production]\nnamespace = \"shop\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no [actions.environments.prod] table (there are: production)"),
            "{err}"
        );
        let err = load(
            "[actions.environments.production]\ndatabase_url = \"x\"\n\
             [actions.secrets]\ndatabase_url = { env = \"DATABASE_URL\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("`actions.secrets.database_url`"), "{err}");
    }

    #[test]
    fn environment_variables_set_actions_too() {
        let vars = env(&[
            ("WARROOM_ACTIONS__DRY_RUN", "true"),
            ("WARROOM_ACTIONS__TIMEOUT", "45s"),
            ("WARROOM_ACTIONS__MAX_CONCURRENT", "2"),
            ("WARROOM_ACTIONS__ALLOWED_PROGRAMS", "kubectl, psql"),
            ("WARROOM_ACTIONS__APPROVERS", "alice,bob"),
            ("WARROOM_ACTIONS__SECRETS__DATABASE_URL__ENV", "PG_URL"),
            (
                "WARROOM_ACTIONS__ENVIRONMENTS__PRODUCTION__NAMESPACE",
                "shop",
            ),
        ]);
        let a = Config::load_from(None, vars).unwrap().actions;
        assert!(a.dry_run);
        assert_eq!(a.timeout, Duration::from_secs(45));
        assert_eq!(a.max_concurrent, 2);
        assert_eq!(a.allowed_programs, ["kubectl", "psql"]);
        assert_eq!(
            a.approvers.iter().map(UserId::as_str).collect::<Vec<_>>(),
            ["alice", "bob"]
        );
        assert_eq!(
            a.secrets["database_url"],
            SecretSource::Env("PG_URL".into())
        );
        assert_eq!(a.values()["namespace"], "shop");
    }
}
