//! The built-in risk rules: how much harm one runbook command can do, read from the command
//! alone (see docs/ACTIONS.md). Runbook annotations and the config may only tighten what
//! these rules say.
//!
//! The rules are deliberately suspicious. Anything Warroom cannot reason about — shell syntax
//! beyond one plain command, programs it has no rule for, options it cannot read — is
//! dangerous, because a dangerous action is shown and never run.

mod args;
mod curl;
mod docker;
mod files;
mod firewall;
mod host;
mod kubectl;
mod kubectl_inside;
mod launchers;
mod postgres;
mod processes;
mod redis;
mod shell;
mod sql;
mod sql_functions;
mod statements;
mod systemd;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod runbook_annotations;

use crate::domain::Risk;

/// What the built-in rules say about a command, and why (one plain sentence for responders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// How much harm the command can do.
    pub risk: Risk,
    /// The deciding part of the command and what it does, e.g. "psql runs DELETE, which
    /// destroys data".
    pub reason: String,
}

impl Classification {
    fn new(risk: Risk, reason: impl Into<String>) -> Self {
        Self {
            risk,
            reason: reason.into(),
        }
    }

    fn read(reason: impl Into<String>) -> Self {
        Self::new(Risk::Read, reason)
    }

    fn write(reason: impl Into<String>) -> Self {
        Self::new(Risk::Write, reason)
    }

    fn dangerous(reason: impl Into<String>) -> Self {
        Self::new(Risk::Dangerous, reason)
    }

    /// The answer for a program, subcommand or option Warroom does not know.
    fn no_rule(what: &str) -> Self {
        Self::dangerous(format!("Warroom has no rule for `{what}`"))
    }

    /// The stricter of two answers; on a tie the first is kept, so the earliest deciding part
    /// of a command is the one named.
    fn or_stricter(self, other: Self) -> Self {
        if other.risk > self.risk { other } else { self }
    }
}

/// Classifies one shell command line as runbooks write it (it may contain placeholders such as
/// `<pod-name>`, `$DATABASE_URL`, `${VAR}`, `{{service}}` — those are opaque words, not shell
/// expansion).
pub fn classify(command: &str) -> Classification {
    match shell::words(command) {
        Ok(words) => classify_words(&words),
        Err(refusal) => refusal,
    }
}

/// Classifies SQL as a person would paste it into a database client: every statement, the
/// strictest wins (the rules `psql -c` gets, so the reasons speak of psql).
pub fn classify_sql(sql: &str) -> Classification {
    statements::classify(sql)
}

/// Classifies a command already split into words (the argv it would run with). Rules that run
/// another command, such as `kubectl exec … -- cmd`, come back here for the inner one.
fn classify_words(words: &[String]) -> Classification {
    let Some((program, args)) = words.split_first() else {
        return Classification::dangerous(
            "the command is empty, so there is nothing to reason about",
        );
    };
    if let Some(name) = environment_assignment(program) {
        return Classification::dangerous(format!(
            "the command sets the environment variable `{name}` for the program, which Warroom cannot reason about"
        ));
    }
    let program = program.as_str();
    match program {
        "kubectl" => kubectl::classify(args),
        "psql" => postgres::psql(args),
        "redis-cli" => redis::classify(args),
        "curl" => curl::classify(args),
        "docker" => docker::classify(args),
        "docker-compose" => docker::compose(args),
        "systemctl" => systemd::systemctl(args),
        "journalctl" => systemd::journalctl(args),
        "iptables" | "ip6tables" => firewall::iptables(program, args),
        "nft" => firewall::nft(args),
        "kill" => processes::kill(args),
        "prlimit" => processes::prlimit(args),
        "rm" => files::rm(),
        "find" => files::find(args),
        _ => postgres::tool(program, args)
            .or_else(|| processes::other(program))
            .or_else(|| launchers::classify(program, args))
            .or_else(|| host::classify(program, args))
            .unwrap_or_else(|| Classification::no_rule(program)),
    }
}

/// Whether `word` is one of the whitespace-separated words of `list`.
fn is_one_of(word: &str, list: &str) -> bool {
    list.split_whitespace().any(|listed| listed == word)
}

/// The variable name when `word` is a `NAME=value` assignment placed before the program.
fn environment_assignment(word: &str) -> Option<&str> {
    let (name, _) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let is_name = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_name.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Risk::{Dangerous, Read, Write};

    /// One case per line: the command and the risk the built-in rules must give it.
    const CASES: &[(&str, Risk)] = &[
        // shell syntax
        ("kubectl get pods | grep api", Dangerous),
        ("kubectl get pods > pods.txt", Dangerous),
        ("kubectl get pods >> pods.txt", Dangerous),
        ("psql -f - < fix.sql", Dangerous),
        ("kubectl get pods; rm -rf /", Dangerous),
        ("kubectl get pods && kubectl delete pods --all", Dangerous),
        ("kubectl get pods || true", Dangerous),
        ("kubectl get pods &", Dangerous),
        ("kubectl logs $(cat pod.txt)", Dangerous),
        ("kubectl logs `cat pod.txt`", Dangerous),
        ("(kubectl get pods)", Dangerous),
        ("cat <<EOF", Dangerous),
        ("kubectl get pods \"-n", Dangerous),
        ("kubectl get pods\nkubectl delete pods --all", Dangerous),
        ("kubectl get pods \\\n  -l app=<app-name>", Read),
        ("kubectl logs <pod-name> -n ${NAMESPACE} --tail=100", Read),
        ("cat /proc/<pid>/limits", Read),
        ("psql -c \"SELECT 1 > 0; SELECT 'a|b'\"", Read),
        ("kubectl get pods # then look at the restarts", Read),
        ("KUBECONFIG=/tmp/admin kubectl get pods", Dangerous),
        ("", Dangerous),
        ("   ", Dangerous),
        // launchers and unknown programs
        ("sudo systemctl status nginx", Dangerous),
        ("eval kubectl get pods", Dangerous),
        ("xargs kubectl delete pod", Dangerous),
        ("sh -c 'kubectl get pods'", Dangerous),
        ("bash -c \"echo hi\"", Dangerous),
        ("terraform apply", Dangerous),
        ("./fix-everything.sh", Dangerous),
        ("/usr/bin/kubectl get pods", Dangerous),
        ("env", Dangerous),
        // kubectl
        ("kubectl get pods -A", Read),
        ("kubectl -n kube-system get pods", Read),
        ("kubectl describe node <node-name>", Read),
        ("kubectl logs -f -p <pod-name>", Read),
        ("kubectl auth can-i delete pods", Read),
        ("kubectl rollout status deployment/api", Read),
        ("kubectl rollout restart deployment/api", Write),
        ("kubectl scale deployment/api --replicas=3", Write),
        ("kubectl uncordon <node-name>", Write),
        ("kubectl apply -f deploy.yaml", Write),
        ("kubectl apply -f deploy.yaml --dry-run=server", Read),
        ("kubectl apply -f deploy.yaml --prune -l app=api", Dangerous),
        ("kubectl replace --force -f deploy.yaml", Dangerous),
        ("kubectl delete pod <pod-name>", Dangerous),
        ("kubectl drain <node-name> --ignore-daemonsets", Dangerous),
        ("kubectl port-forward svc/api 8080:80", Dangerous),
        ("kubectl exec -it <pod-name> -- bash", Dangerous),
        ("kubectl exec <pod-name> -- cat /etc/resolv.conf", Read),
        ("kubectl exec <pod-name> -- rm -rf /data", Dangerous),
        ("kubectl get secret db -o yaml", Dangerous),
        ("kubectl get secrets", Read),
        ("kubectl frobnicate pods", Dangerous),
        // postgres
        ("psql \"$DATABASE_URL\" -c \"SELECT count(*) FROM t\"", Read),
        ("psql -c \"select 'DROP TABLE x'\"", Read),
        ("psql -c 'UPDATE jobs SET status = 1 WHERE id = 2'", Write),
        ("psql -c 'DELETE FROM sessions WHERE id = 1'", Dangerous),
        (
            "psql -c 'SELECT pg_terminate_backend(pid) FROM t'",
            Dangerous,
        ),
        ("psql -c 'SELECT 1; DROP TABLE users'", Dangerous),
        ("psql \"$DATABASE_URL\"", Dangerous),
        ("psql -f fix.sql", Dangerous),
        ("psql -c '\\d+ users'", Read),
        ("psql -c '\\! rm -rf /'", Dangerous),
        ("pg_isready -h db", Read),
        ("pg_dump -d app", Read),
        ("pg_restore -d app dump.bin", Dangerous),
        ("dropdb app", Dangerous),
        ("createdb app", Write),
        // redis
        ("redis-cli -u \"$REDIS_URL\" PING", Read),
        (
            "redis-cli -h <host> -p 6379 -a \"$PW\" --tls info memory",
            Read,
        ),
        ("redis-cli -u \"$REDIS_URL\" set feature:x on", Write),
        ("redis-cli -u \"$REDIS_URL\" CLIENT KILL ID 7", Write),
        ("redis-cli -u \"$REDIS_URL\" FLUSHALL", Dangerous),
        ("redis-cli -u \"$REDIS_URL\" CONFIG SET dir /tmp", Dangerous),
        ("redis-cli", Dangerous),
        // curl
        ("curl -sS https://api.example.com/healthz", Read),
        ("curl -I https://api.example.com/", Read),
        ("curl -X POST https://api.example.com/admin/reload", Write),
        ("curl -d '{\"a\":1}' https://api.example.com/x", Write),
        ("curl -X DELETE https://api.example.com/users/7", Dangerous),
        ("curl -o /tmp/page.html https://example.com/", Write),
        ("curl -K /etc/curlrc", Dangerous),
        // docker
        ("docker ps -a", Read),
        ("docker logs --tail 100 <container>", Read),
        ("docker restart <container>", Write),
        ("docker kill <container>", Dangerous),
        ("docker system prune -af", Dangerous),
        ("docker compose logs api", Read),
        ("docker compose up -d", Write),
        ("docker compose down -v", Dangerous),
        // systemd
        ("systemctl status nginx", Read),
        ("systemctl restart nginx", Write),
        ("systemctl daemon-reload", Write),
        ("systemctl stop nginx", Dangerous),
        ("systemctl reboot", Dangerous),
        ("journalctl -u nginx --since today", Read),
        ("journalctl --rotate", Write),
        ("journalctl --vacuum-time=2d", Dangerous),
        // files, firewall, processes
        ("rm /tmp/x", Dangerous),
        ("find /var/log -name '*.gz'", Read),
        ("find /var/log -name '*.gz' -exec rm {} +", Dangerous),
        ("iptables -L -n", Read),
        ("iptables -A INPUT -s 10.0.0.1 -j DROP", Write),
        ("iptables -F", Dangerous),
        ("iptables -P INPUT DROP", Dangerous),
        ("nft list ruleset", Read),
        ("nft flush ruleset", Dangerous),
        ("kill -0 1234", Read),
        ("kill 1234", Write),
        ("kill -KILL 1234", Dangerous),
        ("pkill -f worker", Dangerous),
        ("killall nginx", Dangerous),
        ("prlimit --pid 1234", Read),
        // plain host tools
        ("df -h", Read),
        ("ping -c 3 <host>", Read),
        ("ping <host>", Dangerous),
        ("top -b -n 1", Read),
        ("top", Dangerous),
        ("sysctl net.core.somaxconn", Read),
        ("sysctl -w net.core.somaxconn=4096", Write),
        ("date -s '2024-01-01'", Write),
        ("openssl s_client -connect <host>:443", Read),
        ("patronictl list", Read),
        ("patronictl switchover --force", Dangerous),
        ("chronyc makestep", Write),
        ("timedatectl status", Read),
        ("grep -r ERROR /var/log/app", Read),
        ("awk '{ system(\"rm -rf /\") }' /etc/hosts", Dangerous),
    ];

    #[test]
    fn every_case_in_the_table_gets_its_risk() {
        assert!(CASES.len() >= 80, "only {} cases", CASES.len());
        let wrong: Vec<String> = CASES
            .iter()
            .map(|(command, expected)| (command, expected, classify(command)))
            .filter(|(_, expected, got)| got.risk != **expected)
            .map(|(command, expected, got)| format!("{command:?}: {expected}, not {got:?}"))
            .collect();
        assert!(wrong.is_empty(), "wrong:\n{}", wrong.join("\n"));
    }

    #[test]
    fn reasons_name_the_deciding_part() {
        assert_eq!(
            classify("kubectl rollout restart deployment/api").reason,
            "kubectl rollout restart changes deployment/api (reversible)"
        );
        assert_eq!(
            classify("psql -c 'DELETE FROM sessions'").reason,
            "psql runs DELETE, which destroys data"
        );
        assert_eq!(
            classify("kubectl get pods | grep api").reason,
            "the command pipes into another program, which Warroom cannot reason about"
        );
        assert_eq!(
            classify("foo --bar").reason,
            "Warroom has no rule for `foo`"
        );
    }

    #[test]
    fn an_empty_reason_is_never_given() {
        for (command, _) in CASES {
            assert!(!classify(command).reason.is_empty(), "{command:?}");
        }
    }
}
