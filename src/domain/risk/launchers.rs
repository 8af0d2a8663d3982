//! Programs that run other programs or scripts (`sudo`, `xargs`, `sh -c`, interpreters): the
//! command Warroom would have to judge is hidden from it, so they are all dangerous.

use super::{Classification, is_one_of};

const LAUNCHERS: &[(&str, &str)] = &[
    ("sudo", "runs another command with other privileges"),
    ("doas", "runs another command with other privileges"),
    ("su", "runs a shell as another user"),
    ("runuser", "runs a command as another user"),
    ("pkexec", "runs another command with other privileges"),
    ("eval", "runs text as a shell command"),
    ("exec", "replaces the shell with another command"),
    ("xargs", "builds and runs commands from its input"),
    ("parallel", "builds and runs commands from its input"),
    ("nohup", "runs another command in the background"),
    ("setsid", "runs another command in a new session"),
    ("timeout", "runs another command"),
    ("watch", "runs another command over and over"),
    ("nice", "runs another command"),
    ("ionice", "runs another command"),
    ("time", "runs another command"),
    ("stdbuf", "runs another command"),
    ("unbuffer", "runs another command"),
    ("flock", "runs another command"),
    ("command", "runs another command"),
    ("builtin", "runs a shell builtin"),
    ("source", "runs a shell script"),
    (".", "runs a shell script"),
    ("nsenter", "runs a command inside other namespaces"),
    ("chroot", "runs a command under another root"),
    ("systemd-run", "runs a command as a transient unit"),
    ("ssh", "runs a command on another machine"),
    ("strace", "runs or attaches to another program"),
    ("gdb", "attaches a debugger to a program"),
    ("busybox", "runs one of many programs"),
];

const SHELLS: &str = "sh bash zsh dash ksh mksh ash fish csh tcsh";

const INTERPRETERS: &str = "python python2 python3 perl ruby node nodejs php lua deno bun awk \
    gawk mawk nawk sed";

/// The rule for `program` when it launches other code; `None` otherwise.
pub(super) fn classify(program: &str, args: &[String]) -> Option<Classification> {
    if let Some((_, what)) = LAUNCHERS.iter().find(|(name, _)| *name == program) {
        return Some(Classification::dangerous(format!(
            "`{program}` {what}, which Warroom cannot reason about"
        )));
    }
    if is_one_of(program, SHELLS) {
        let how = if args.iter().any(|a| a == "-c") {
            format!("{program} -c")
        } else {
            program.to_owned()
        };
        return Some(Classification::dangerous(format!(
            "`{how}` runs a shell script, which Warroom cannot reason about"
        )));
    }
    if is_one_of(program, INTERPRETERS) {
        return Some(Classification::dangerous(format!(
            "`{program}` runs a program that can run commands and write files, which Warroom cannot reason about"
        )));
    }
    if matches!(program, "env" | "printenv") {
        let what = if args.iter().any(|a| !a.starts_with('-')) && program == "env" {
            "runs another command with a changed environment, which Warroom cannot reason about"
        } else {
            "prints environment variables, secrets included, into the chat, which cannot be taken back"
        };
        return Some(Classification::dangerous(format!("`{program}` {what}")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::Dangerous;

    #[test]
    fn anything_that_hides_the_real_command_is_dangerous() {
        for command in [
            "sudo kubectl get pods",
            "eval 'kubectl get pods'",
            "xargs -n1 kubectl delete pod",
            "sh -c 'kubectl get pods'",
            "bash script.sh",
            "timeout 30 kubectl get pods",
            "watch kubectl get pods",
            "ssh bastion uptime",
            "python3 -c 'print(1)'",
            "sed -i s/a/b/ /etc/app.conf",
            "env",
            "env FOO=1 kubectl get pods",
            "printenv",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }

    #[test]
    fn reasons_say_which_launcher() {
        assert_eq!(
            classify("bash -c 'id'").reason,
            "`bash -c` runs a shell script, which Warroom cannot reason about"
        );
        assert_eq!(
            classify("sudo id").reason,
            "`sudo` runs another command with other privileges, which Warroom cannot reason about"
        );
    }
}
