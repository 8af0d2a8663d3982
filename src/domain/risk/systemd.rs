//! Rules for `systemctl` and `journalctl`.

use super::Classification;
use super::args::{CommandLine, Syntax};

const SYSTEMCTL: Syntax = Syntax {
    short_values: "tpnoHMs",
    long_values: "type property lines output host machine signal state kill-whom kill-value \
        job-mode root what timestamp boot-loader-entry message drop-in when legend",
};

const JOURNALCTL: Syntax = Syntax {
    short_values: "uSUnpogtDMFcI",
    long_values: "unit user-unit since until lines priority output grep identifier directory \
        file machine field cursor after-cursor cursor-file output-fields namespace root image \
        facility vacuum-size vacuum-time vacuum-files",
};

/// Classifies `systemctl ARGS`.
pub(super) fn systemctl(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &SYSTEMCTL);
    let words = line.words();
    let command = words.first().copied().unwrap_or("list-units");
    let units = match &words[words.len().min(1)..] {
        [] => "the system".to_owned(),
        units => units.join(" "),
    };
    match command {
        "status" | "is-active" | "is-enabled" | "is-failed" | "is-system-running"
        | "list-units" | "list-unit-files" | "list-timers" | "list-sockets"
        | "list-dependencies" | "list-jobs" | "list-machines" | "list-automounts"
        | "list-paths" | "show" | "cat" | "show-environment" | "get-default" | "help" => {
            Classification::read(format!("systemctl {command} only reads unit state"))
        }
        "restart"
        | "reload"
        | "start"
        | "try-restart"
        | "reload-or-restart"
        | "try-reload-or-restart"
        | "condrestart"
        | "force-reload"
        | "enable"
        | "unmask"
        | "reset-failed"
        | "set-property"
        | "freeze"
        | "thaw" => {
            Classification::write(format!("systemctl {command} changes {units} (reversible)"))
        }
        "daemon-reload" => {
            Classification::write("systemctl daemon-reload reloads unit files (reversible)")
        }
        "stop" => Classification::dangerous(format!(
            "systemctl stop takes {units} down until someone starts it again"
        )),
        "disable" | "mask" => Classification::dangerous(format!(
            "systemctl {command} keeps {units} from starting, also after a reboot"
        )),
        "kill" => Classification::dangerous(format!(
            "systemctl kill kills {units} without a clean shutdown"
        )),
        "isolate" | "poweroff" | "reboot" | "halt" | "kexec" | "soft-reboot" | "rescue"
        | "emergency" | "suspend" | "hibernate" | "hybrid-sleep" | "default" | "switch-root"
        | "set-default" | "daemon-reexec" => Classification::dangerous(format!(
            "systemctl {command} changes what the whole machine runs"
        )),
        "clean" | "revert" | "edit" => Classification::dangerous(format!(
            "systemctl {command} changes or deletes unit files and state"
        )),
        _ => Classification::no_rule(&format!("systemctl {command}")),
    }
}

/// Classifies `journalctl ARGS`: reading logs is safe; vacuuming deletes them.
pub(super) fn journalctl(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &JOURNALCTL);
    let vacuum = ["--vacuum-size", "--vacuum-time", "--vacuum-files"];
    if let Some((option, _)) = line.options(&vacuum).next() {
        return Classification::dangerous(format!(
            "journalctl {option} deletes archived logs, which cannot be undone"
        ));
    }
    let maintenance = [
        "--rotate",
        "--flush",
        "--sync",
        "--relinquish-var",
        "--smart-relinquish-var",
    ];
    if let Some((option, _)) = line.options(&maintenance).next() {
        return Classification::write(format!(
            "journalctl {option} changes the journal files (reversible)"
        ));
    }
    if let Some((option, _)) = line.options(&["--setup-keys", "--update-catalog"]).next() {
        return Classification::no_rule(&format!("journalctl {option}"));
    }
    Classification::read("journalctl only reads logs")
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn systemctl_reads_restarts_and_stops() {
        assert_eq!(
            classify("systemctl status nginx --no-pager -n 50").risk,
            Read
        );
        assert_eq!(classify("systemctl --failed").risk, Read);
        assert_eq!(classify("systemctl is-active postgresql").risk, Read);
        assert_eq!(classify("systemctl show -p ActiveState nginx").risk, Read);
        assert_eq!(classify("systemctl restart {{service}}").risk, Write);
        assert_eq!(classify("systemctl reload nginx").risk, Write);
        assert_eq!(classify("systemctl try-restart nginx").risk, Write);
        assert_eq!(classify("systemctl stop postgresql").risk, Dangerous);
        assert_eq!(classify("systemctl disable --now nginx").risk, Dangerous);
        assert_eq!(classify("systemctl mask nginx").risk, Dangerous);
        assert_eq!(classify("systemctl kill -s KILL nginx").risk, Dangerous);
        assert_eq!(classify("systemctl isolate rescue.target").risk, Dangerous);
        assert_eq!(classify("systemctl poweroff").risk, Dangerous);
        assert_eq!(classify("systemctl frobnicate").risk, Dangerous);
    }

    #[test]
    fn systemctl_reasons_name_the_unit() {
        assert_eq!(
            classify("systemctl restart postgresql").reason,
            "systemctl restart changes postgresql (reversible)"
        );
    }

    #[test]
    fn journalctl_reads_unless_it_deletes_or_rotates() {
        assert_eq!(
            classify("journalctl -u ssh --since \"24 hours ago\" --no-pager").risk,
            Read
        );
        assert_eq!(classify("journalctl -k -g 'out of memory' -f").risk, Read);
        assert_eq!(classify("journalctl --disk-usage").risk, Read);
        assert_eq!(classify("journalctl --rotate").risk, Write);
        assert_eq!(classify("journalctl --vacuum-size=500M").risk, Dangerous);
        assert_eq!(classify("journalctl --vacuum-files 3").risk, Dangerous);
    }
}
