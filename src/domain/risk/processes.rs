//! Rules for signalling processes and their limits: `kill`, `pkill`, `killall`, `prlimit`.

use super::{Classification, is_one_of};

/// Classifies `kill ARGS`: signal 0 only checks, TERM and its gentle kin ask a process to act
/// (reversible when a supervisor restarts it), KILL gives it no chance to clean up.
pub(super) fn kill(args: &[String]) -> Classification {
    let mut signal: Option<String> = None;
    let mut pids: Vec<&str> = Vec::new();
    let mut rest = args.iter().map(String::as_str);
    while let Some(arg) = rest.next() {
        match arg {
            "-l" | "-L" | "--list" | "--table" => {
                return Classification::read("kill -l only lists signal names");
            }
            "-s" | "-n" | "--signal" => signal = rest.next().map(str::to_owned),
            "--" => pids.extend(rest.by_ref()),
            _ if signal.is_none() && pids.is_empty() && arg.len() > 1 && arg.starts_with('-') => {
                signal = Some(arg[1..].to_owned());
            }
            _ => pids.push(arg),
        }
    }
    let signal = signal
        .map(|s| normalise(&s))
        .unwrap_or_else(|| "TERM".to_owned());
    if signal == "0" {
        return Classification::read("kill -0 only checks that the process exists");
    }
    if pids.is_empty() {
        return Classification::dangerous(
            "kill without a process id does something Warroom cannot see",
        );
    }
    if let Some(pid) = pids
        .iter()
        .find(|pid| pid.starts_with('-') || **pid == "1" || pid.starts_with('%'))
    {
        return Classification::dangerous(format!(
            "kill {pid} signals init, a whole process group or a shell job, which Warroom cannot reason about"
        ));
    }
    match signal.as_str() {
        "KILL" => Classification::dangerous(
            "kill -KILL (-9) kills the process without letting it clean up",
        ),
        "TERM" | "INT" | "QUIT" => Classification::write(format!(
            "kill -{signal} asks the process to stop and clean up (its supervisor restarts it)"
        )),
        "HUP" | "USR1" | "USR2" | "STOP" | "CONT" | "TSTP" | "WINCH" => Classification::write(
            format!("kill -{signal} asks the process to reload, pause or resume (reversible)"),
        ),
        other => Classification::no_rule(&format!("kill -{other}")),
    }
}

/// `9` → `KILL`, `sigterm` → `TERM`.
fn normalise(signal: &str) -> String {
    let upper = signal.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let by_number = match name {
        "1" => "HUP",
        "2" => "INT",
        "3" => "QUIT",
        "9" => "KILL",
        "10" => "USR1",
        "12" => "USR2",
        "15" => "TERM",
        "18" => "CONT",
        "19" => "STOP",
        "20" => "TSTP",
        "28" => "WINCH",
        other => other,
    };
    by_number.to_owned()
}

/// `pkill` and `killall` by name; `None` for other programs.
pub(super) fn other(program: &str) -> Option<Classification> {
    matches!(program, "pkill" | "killall").then(|| {
        Classification::dangerous(format!(
            "{program} signals every process whose name matches, which Warroom cannot reason about"
        ))
    })
}

/// The resource limits prlimit knows, as long option names.
const LIMITS: &str = "core data nice fsize sigpending memlock rss nofile msgqueue rtprio stack \
    cpu nproc as locks rttime";
const LIMIT_LETTERS: &str = "cdefilmnqrstuvxy";

/// Classifies `prlimit ARGS`: showing limits reads, setting them writes, and running another
/// program under new limits is dangerous.
pub(super) fn prlimit(args: &[String]) -> Classification {
    let mut rest = args.iter().map(String::as_str);
    let mut sets = None;
    while let Some(arg) = rest.next() {
        if matches!(arg, "-p" | "--pid" | "-o" | "--output") {
            rest.next();
        } else if let Some(long) = arg.strip_prefix("--") {
            let (name, value) = long.split_once('=').unwrap_or((long, ""));
            if is_one_of(name, LIMITS) && !value.is_empty() {
                sets.get_or_insert(arg);
            }
        } else if let Some(short) = arg.strip_prefix('-') {
            let mut letters = short.chars();
            let letter = letters.next();
            if letter.is_some_and(|l| LIMIT_LETTERS.contains(l)) && !letters.as_str().is_empty() {
                sets.get_or_insert(arg);
            }
        } else if !arg.chars().all(|c| c.is_ascii_digit()) {
            return Classification::dangerous(format!(
                "prlimit runs `{arg}` under new limits, which Warroom cannot reason about"
            ));
        }
    }
    match sets {
        Some(option) => Classification::write(format!(
            "prlimit {option} changes a process's resource limit (reversible)"
        )),
        None => Classification::read("prlimit only shows resource limits"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn kill_depends_on_the_signal() {
        assert_eq!(classify("kill -0 <pid>").risk, Read);
        assert_eq!(classify("kill -l").risk, Read);
        assert_eq!(classify("kill <pid>").risk, Write);
        assert_eq!(classify("kill -TERM 42").risk, Write);
        assert_eq!(classify("kill -s SIGTERM 42").risk, Write);
        assert_eq!(classify("kill -HUP 42").risk, Write);
        assert_eq!(classify("kill -15 42").risk, Write);
        assert_eq!(classify("kill -9 <pid>").risk, Dangerous);
        assert_eq!(classify("kill -KILL 42").risk, Dangerous);
        assert_eq!(classify("kill -SIGKILL 42").risk, Dangerous);
        assert_eq!(classify("kill -s 9 42").risk, Dangerous);
        assert_eq!(classify("kill -SEGV 42").risk, Dangerous);
    }

    #[test]
    fn kill_of_init_groups_or_nothing_is_dangerous() {
        assert_eq!(classify("kill 1").risk, Dangerous);
        assert_eq!(classify("kill -- -1").risk, Dangerous);
        assert_eq!(classify("kill -TERM -1234").risk, Dangerous);
        assert_eq!(classify("kill %1").risk, Dangerous);
        assert_eq!(classify("kill").risk, Dangerous);
    }

    #[test]
    fn pkill_and_killall_are_dangerous() {
        assert_eq!(classify("pkill -HUP nginx").risk, Dangerous);
        assert_eq!(classify("killall -q worker").risk, Dangerous);
    }

    #[test]
    fn prlimit_shows_sets_or_runs() {
        assert_eq!(classify("prlimit --pid <pid>").risk, Read);
        assert_eq!(classify("prlimit --pid 42 --nofile").risk, Read);
        assert_eq!(
            classify("prlimit --pid <pid> --nofile=65536:65536").risk,
            Write
        );
        assert_eq!(classify("prlimit -p 42 -n65536").risk, Write);
        assert_eq!(classify("prlimit --nofile=10 ./server").risk, Dangerous);
    }
}
