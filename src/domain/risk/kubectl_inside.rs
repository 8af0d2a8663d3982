//! What kubectl lets a responder reach inside: a command run in a container (`exec`) and the
//! values of secrets (`get secret -o yaml`), which would land in the chat for good.

use super::Classification;
use super::args::CommandLine;

/// `kubectl exec POD -- CMD`: as risky as CMD, unless it is interactive.
pub(super) fn exec(line: &CommandLine<'_>, inner: Option<&[String]>) -> Classification {
    if line.has(&["-i", "-t", "--stdin", "--tty"]) {
        return Classification::dangerous(
            "kubectl exec -i/-t opens an interactive session in a container (arbitrary code)",
        );
    }
    let Some(inner) = inner.filter(|inner| !inner.is_empty()) else {
        return Classification::dangerous(
            "kubectl exec without `-- command` runs something Warroom cannot see",
        );
    };
    let in_container = super::classify_words(inner);
    Classification::new(
        in_container.risk,
        format!(
            "kubectl exec runs `{}` in a container: {}",
            inner[0], in_container.reason
        ),
    )
}

/// `kubectl get secret -o yaml` prints the secret's values into the chat, where they stay.
pub(super) fn secret_values(targets: &[&str], line: &CommandLine<'_>) -> Option<Classification> {
    let is_secret = targets.iter().any(|target| {
        target.split(',').any(|part| {
            let kind = part.split('/').next().unwrap_or_default();
            matches!(kind.to_ascii_lowercase().as_str(), "secret" | "secrets")
        })
    });
    let output = line.value(&["-o", "--output"])?;
    let shows_values = matches!(output, "yaml" | "json" | "wide-json")
        || (output.contains("template")
            || output.contains("jsonpath")
            || output.contains("custom-columns"))
            && output.contains(".data");
    (is_secret && shows_values).then(|| {
        Classification::dangerous(format!(
            "kubectl get secret -o {} prints the secret's values into the chat, which cannot be taken back",
            output.split('=').next().unwrap_or(output)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read};

    #[test]
    fn exec_is_as_risky_as_the_command_it_runs() {
        let list = classify("kubectl exec <pod-name> -n x -- patronictl list");
        assert_eq!(list.risk, Read);
        assert!(
            list.reason
                .starts_with("kubectl exec runs `patronictl` in a container: ")
        );
        assert_eq!(
            classify("kubectl exec p -- patronictl failover --candidate m --force").risk,
            Dangerous
        );
        assert_eq!(
            classify("kubectl exec p -c app -- kill -HUP 1").risk,
            Dangerous
        );
    }

    #[test]
    fn secret_values_are_not_posted_to_the_chat() {
        assert_eq!(classify("kubectl get secret x -o json").risk, Dangerous);
        assert_eq!(
            classify("kubectl get secrets/x -o 'jsonpath={.data.password}'").risk,
            Dangerous
        );
        assert_eq!(
            classify("kubectl get secret x -o jsonpath='{.metadata.creationTimestamp}'").risk,
            Read
        );
        assert_eq!(classify("kubectl get configmap x -o yaml").risk, Read);
        assert_eq!(classify("kubectl describe secret x").risk, Read);
    }

    #[test]
    fn credentials_are_not_printed_into_the_chat() {
        assert_eq!(classify("kubectl create token my-sa").risk, Dangerous);
        assert_eq!(classify("kubectl config view --raw").risk, Dangerous);
        assert_eq!(classify("kubectl config view").risk, Read);
    }
}
