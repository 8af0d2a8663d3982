//! Rules for `kubectl`: reading cluster state is safe, reversible changes need approval, and
//! deleting, draining or opening a way into a container is dangerous.

use super::args::{CommandLine, Syntax};
use super::kubectl_inside as inside;
use super::{Classification, is_one_of};
use crate::domain::Risk;

/// Value-taking options of kubectl and its common verbs. `-f` (filename, but follow for logs)
/// and `-p` (patch, but previous for logs) depend on the verb and are added by [`syntax`].
const LONG_VALUES: &str = "namespace selector output container context cluster kubeconfig user \
    server as as-group as-uid token field-selector sort-by since since-time tail timeout \
    replicas filename patch patch-file type label-columns template to-revision grace-period \
    cascade image kustomize request-timeout chunk-size raw subresource max-log-requests \
    pod-running-timeout current-replicas resource-version min max cpu-percent containers \
    limit-bytes field-manager env from for certificate-authority client-certificate \
    client-key tls-server-name cache-dir port target-port name protocol overrides requests \
    limits profile copy-to prune-allowlist";

fn syntax(verb: &str) -> Syntax {
    let short_values = match verb {
        "logs" => "nlocLksv",
        "patch" => "nlocLksvfp",
        "set" => "nlocLksvfe",
        _ => "nlocLksvf",
    };
    Syntax {
        short_values,
        long_values: LONG_VALUES,
    }
}

const READ_VERBS: &str = "get describe logs top explain version api-resources api-versions \
    cluster-info events diff wait";

const WRITE_VERBS: &str = "scale cordon uncordon annotate label autoscale patch apply edit \
    create expose replace taint";

/// Verbs that open a way into containers or the cluster, and what they reach.
const ACCESS_VERBS: &[(&str, &str)] = &[
    (
        "cp",
        "copies files into or out of a container (arbitrary data access)",
    ),
    (
        "port-forward",
        "opens a tunnel into the cluster (arbitrary access)",
    ),
    (
        "attach",
        "connects to a running container's console (arbitrary code)",
    ),
    (
        "run",
        "starts a new pod running an arbitrary image (arbitrary code)",
    ),
    ("debug", "starts a debugging container (arbitrary code)"),
    (
        "proxy",
        "opens the cluster API on a local port (arbitrary access)",
    ),
];

/// Options that turn a reversible change into one that skips kubectl's safety nets.
const RAISING_OPTIONS: &[(&str, &str)] = &[
    ("--force", "skips graceful deletion"),
    ("--all", "acts on every resource of the kind"),
    ("--now", "skips graceful deletion"),
    ("--prune", "deletes resources missing from the manifests"),
];

/// Classifies `kubectl ARGS`.
pub(super) fn classify(args: &[String]) -> Classification {
    let (before, inner) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], Some(&args[at + 1..])),
        None => (args, None),
    };
    let Some(verb) = CommandLine::parse(before, &syntax(""))
        .words()
        .first()
        .copied()
    else {
        return Classification::dangerous("kubectl without a command Warroom knows");
    };
    let line = CommandLine::parse(before, &syntax(verb));
    let words = line.words();
    let sub = words.get(1).copied().unwrap_or("");
    if verb == "exec" {
        return inside::exec(&line, inner);
    }
    let (action, targets) = match verb {
        "rollout" | "set" | "auth" | "config" | "certificate" | "cert-manager" => {
            (format!("{verb} {sub}"), &words[words.len().min(2)..])
        }
        _ => (verb.to_owned(), &words[1..]),
    };
    let classification = by_verb(verb, sub, &action, targets, &line);
    // Only known changes can be simulated; an unknown verb stays unknown with --dry-run.
    let simulated =
        classification.risk == Risk::Write || matches!(verb, "delete" | "drain" | "run");
    if let Some(mode) = line
        .value(&["--dry-run"])
        .filter(|mode| *mode != "none" && simulated)
    {
        let mode = if mode.is_empty() { "client" } else { mode };
        return Classification::read(format!(
            "kubectl {action} --dry-run={mode} only shows what would change"
        ));
    }
    match classification.risk {
        Risk::Write => raised(&action, &line).unwrap_or(classification),
        _ => classification,
    }
}

fn by_verb(
    verb: &str,
    sub: &str,
    action: &str,
    targets: &[&str],
    line: &CommandLine<'_>,
) -> Classification {
    let target = target(verb, targets);
    let changes =
        || Classification::write(format!("kubectl {action} changes {target} (reversible)"));
    let reads = || Classification::read(format!("kubectl {action} only reads cluster state"));
    match (verb, sub) {
        ("get", _) => inside::secret_values(targets, line).unwrap_or_else(reads),
        _ if is_one_of(verb, READ_VERBS) => reads(),
        ("rollout", "status" | "history") => reads(),
        ("rollout", "restart" | "undo" | "pause" | "resume") => changes(),
        ("set", "image" | "env" | "resources" | "selector" | "serviceaccount" | "subject") => {
            changes()
        }
        ("auth", "can-i" | "whoami") => reads(),
        ("auth", "reconcile") => changes(),
        ("config", "view") if line.has(&["--raw"]) => Classification::dangerous(
            "kubectl config view --raw prints credentials into the chat, which cannot be taken back",
        ),
        ("create", "token") => Classification::dangerous(
            "kubectl create token prints a service-account token into the chat, which cannot be taken back",
        ),
        ("config", "view" | "get-contexts" | "current-context" | "get-clusters" | "get-users") => {
            reads()
        }
        ("certificate", "approve" | "deny") => changes(),
        ("cert-manager", "status" | "inspect" | "check" | "version") => reads(),
        ("cert-manager", "renew") => changes(),
        ("taint", _) if targets.iter().any(|t| t.ends_with(":NoExecute")) => {
            Classification::dangerous(
                "kubectl taint with NoExecute evicts every pod that does not tolerate it",
            )
        }
        _ if is_one_of(verb, WRITE_VERBS) => changes(),
        ("delete", _) => Classification::dangerous(format!(
            "kubectl delete removes {target}, which cannot be undone"
        )),
        ("drain", _) => Classification::dangerous(
            "kubectl drain evicts every pod from a node, which Warroom treats as destructive",
        ),
        _ if ACCESS_VERBS.iter().any(|(v, _)| *v == verb) => {
            let what = ACCESS_VERBS
                .iter()
                .find(|(v, _)| *v == verb)
                .map_or("", |(_, w)| w);
            Classification::dangerous(format!("kubectl {verb} {what}"))
        }
        ("rollout" | "set" | "auth" | "config" | "certificate" | "cert-manager", _) => {
            Classification::no_rule(format!("kubectl {action}").trim_end())
        }
        _ => Classification::no_rule(&format!("kubectl {verb}")),
    }
}

/// What a change applies to, as written: `deployment/api`, `ingress <ingress-name>`.
fn target(verb: &str, targets: &[&str]) -> String {
    match targets {
        [] => "the cluster".to_owned(),
        [first, ..] if first.contains('/') => (*first).to_owned(),
        [node, ..] if matches!(verb, "cordon" | "uncordon" | "drain") => format!("node {node}"),
        [kind, name, ..] if !name.contains('=') => format!("{kind} {name}"),
        [first, ..] => (*first).to_owned(),
    }
}

/// A reversible change made dangerous by one of its options.
fn raised(action: &str, line: &CommandLine<'_>) -> Option<Classification> {
    for (option, what) in RAISING_OPTIONS {
        if line
            .options(&[option])
            .any(|(_, value)| value.is_empty() || value == "true")
        {
            return Some(Classification::dangerous(format!(
                "kubectl {action} {option} {what}, which cannot be undone"
            )));
        }
    }
    if line.value(&["--grace-period"]) == Some("0") {
        return Some(Classification::dangerous(format!(
            "kubectl {action} --grace-period=0 kills pods without letting them shut down"
        )));
    }
    if line.value(&["--cascade"]) == Some("orphan") {
        return Some(Classification::dangerous(format!(
            "kubectl {action} --cascade=orphan leaves dependents behind, which cannot be undone"
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn reading_verbs_read_wherever_the_namespace_option_stands() {
        for command in [
            "kubectl get pods -n x -o wide",
            "kubectl --namespace x get pods",
            "kubectl -n x logs -f <pod-name> -c app --since=5m",
            "kubectl logs -p <pod-name>",
            "kubectl get events -A --field-selector type=Warning",
            "kubectl get --raw '/readyz?verbose'",
            "kubectl top pods --sort-by=cpu",
            "kubectl auth can-i --list",
            "kubectl rollout history deployment/x",
            "kubectl config current-context",
            "kubectl cert-manager status certificate x",
        ] {
            assert_eq!(classify(command).risk, Read, "{command}");
        }
    }

    #[test]
    fn reversible_changes_are_writes_that_name_their_target() {
        let restart = classify("kubectl rollout undo deployment/api -n prod");
        assert_eq!(restart.risk, Write);
        assert_eq!(
            restart.reason,
            "kubectl rollout undo changes deployment/api (reversible)"
        );
        assert_eq!(
            classify("kubectl cordon <node-name>").reason,
            "kubectl cordon changes node <node-name> (reversible)"
        );
        assert_eq!(
            classify("kubectl label pod <pod-name> quarantine=true --overwrite").reason,
            "kubectl label changes pod <pod-name> (reversible)"
        );
        assert_eq!(classify("kubectl patch hpa x -p '{\"a\":1}'").risk, Write);
        assert_eq!(
            classify("kubectl set image deployment/x app=img:2").risk,
            Write
        );
        assert_eq!(classify("kubectl cert-manager renew x").risk, Write);
    }

    #[test]
    fn safety_skipping_options_make_a_change_dangerous() {
        for (command, risk) in [
            ("kubectl apply -f x.yaml --force", Dangerous),
            ("kubectl label pods --all a=b", Dangerous),
            ("kubectl replace -f x.yaml --grace-period=0", Dangerous),
            ("kubectl annotate pod x a=b --force=false", Write),
            ("kubectl taint nodes n key=v:NoExecute", Dangerous),
            ("kubectl taint nodes n key=v:NoSchedule", Write),
        ] {
            assert_eq!(classify(command).risk, risk, "{command}");
        }
    }

    #[test]
    fn deleting_and_getting_inside_are_dangerous() {
        for command in [
            "kubectl delete pod x",
            "kubectl -n x delete deployment/api --cascade=orphan",
            "kubectl drain n",
            "kubectl cp x:/etc/passwd .",
            "kubectl attach x",
            "kubectl run x --image=busybox",
            "kubectl debug node/n -it --image=busybox",
            "kubectl proxy",
            "kubectl exec x",
            "kubectl exec x --",
            "kubectl exec -ti x -- sh",
            "kubectl exec x -- sh -c 'id'",
            "kubectl rollout frobnicate deployment/x",
            "kubectl",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }

    #[test]
    fn dry_runs_of_known_changes_only_show() {
        for (command, risk) in [
            ("kubectl delete pod x --dry-run=client", Read),
            ("kubectl scale deploy/x --replicas=0 --dry-run", Read),
            ("kubectl delete pod x --dry-run=none", Dangerous),
            ("kubectl frobnicate x --dry-run", Dangerous),
        ] {
            assert_eq!(classify(command).risk, risk, "{command}");
        }
    }
}
