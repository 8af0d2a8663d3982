//! Rules for the host tools responders reach for: plain read-only tools, and the few that read
//! by default but change the host with one option (`sysctl -w`, `date -s`, `chronyc makestep`).

use super::args::{CommandLine, Syntax};
use super::{Classification, is_one_of};

/// Tools that only look, whatever their options (none of them writes files or runs commands).
const READ_ONLY: &str = "cat head tail less more ls df du free uptime ps netstat lsof dig \
    nslookup host traceroute tracepath whoami id uname grep egrep fgrep zgrep zcat wc stat \
    nproc vmstat iostat mpstat pidstat pgrep w who last lscpu lsblk findmnt getent echo \
    printf true false pwd sleep";

/// The rule for `program` when it is one of the host tools; `None` otherwise.
pub(super) fn classify(program: &str, args: &[String]) -> Option<Classification> {
    if is_one_of(program, READ_ONLY) {
        return Some(Classification::read(format!("{program} only reads")));
    }
    Some(match program {
        "top" => top(args),
        "ping" | "ping6" => ping(program, args),
        "date" => changes_with(program, args, "-s --set", "sets the system clock"),
        "sar" => changes_with(program, args, "-o", "saves its samples into a file"),
        "hostname" => hostname(args),
        "sysctl" => sysctl(args),
        "dmesg" => changes_with(
            program,
            args,
            "-c -C --clear --read-clear -n --console-level -D -E",
            "clears the kernel log or changes console logging",
        ),
        "ss" if args.iter().any(|a| {
            a == "--kill" || a.starts_with('-') && !a.starts_with("--") && a.contains('K')
        }) =>
        {
            Classification::dangerous(
                "ss -K closes every socket it matches, which cannot be undone",
            )
        }
        "ss" => Classification::read("ss only reads"),
        "ulimit" => ulimit(args),
        "timedatectl" => by_subcommand(
            program,
            args,
            &[
                "status",
                "show",
                "timesync-status",
                "show-timesync",
                "list-timezones",
            ],
            &["set-time", "set-timezone", "set-ntp", "set-local-rtc"],
            "status",
        ),
        "chronyc" => by_subcommand(
            program,
            args,
            &[
                "tracking",
                "sources",
                "sourcestats",
                "activity",
                "ntpdata",
                "serverstats",
                "rtcdata",
                "smoothing",
                "selectdata",
                "authdata",
                "waitsync",
                "clients",
            ],
            &[
                "makestep",
                "burst",
                "online",
                "offline",
                "reload",
                "refresh",
                "reselect",
                "writertc",
                "cyclelogs",
                "dump",
            ],
            "",
        ),
        "patronictl" => patronictl(args),
        "openssl" => openssl(args),
        _ => return None,
    })
}

fn top(args: &[String]) -> Classification {
    let line = CommandLine::parse(
        args,
        &Syntax {
            short_values: "dnpuUoOwE",
            long_values: "",
        },
    );
    if line.has(&["-b"]) {
        Classification::read("top -b only reads")
    } else {
        Classification::dangerous("top without -b runs interactively and never ends")
    }
}

fn ping(program: &str, args: &[String]) -> Classification {
    let syntax = Syntax {
        short_values: "cwWiIlmMpQstTsF",
        long_values: "",
    };
    let line = CommandLine::parse(args, &syntax);
    if line.has(&["-f"]) {
        Classification::dangerous(format!("{program} -f floods the network"))
    } else if line.has(&["-c", "-w"]) {
        Classification::read(format!("{program} -c only sends a few probes"))
    } else {
        Classification::dangerous(format!("{program} without -c never stops"))
    }
}

/// A tool that reads unless one of `options` (separated by spaces) is given.
fn changes_with(program: &str, args: &[String], options: &str, what: &str) -> Classification {
    let given = |arg: &String| {
        options.split_whitespace().any(|option| {
            arg == option || option.starts_with("--") && arg.starts_with(&format!("{option}="))
        })
    };
    match args.iter().find(|arg| given(arg)) {
        Some(option) => Classification::write(format!("{program} {option} {what} (reversible)")),
        None => Classification::read(format!("{program} only reads")),
    }
}

fn hostname(args: &[String]) -> Classification {
    match args
        .iter()
        .find(|a| !a.starts_with('-') || matches!(a.as_str(), "-F" | "--file" | "-b" | "--boot"))
    {
        Some(_) => {
            Classification::write("hostname with a name sets the machine's name (reversible)")
        }
        None => Classification::read("hostname only reads"),
    }
}

fn sysctl(args: &[String]) -> Classification {
    let writes = |a: &String| {
        matches!(a.as_str(), "-w" | "--write" | "-p" | "--load" | "--system")
            || a.starts_with("--load=")
            || a.contains('=') && !a.starts_with('-')
    };
    match args.iter().find(|a| writes(a)) {
        Some(option) => Classification::write(format!(
            "sysctl {option} changes a kernel setting until the next reboot (reversible)"
        )),
        None => Classification::read("sysctl only reads kernel settings"),
    }
}

fn ulimit(args: &[String]) -> Classification {
    match args.iter().find(|a| !a.starts_with('-')) {
        Some(value) => {
            Classification::write(format!("ulimit {value} sets a resource limit (reversible)"))
        }
        None => Classification::read("ulimit only shows resource limits"),
    }
}

/// A tool whose first word decides: `reads`, `writes`, anything else has no rule. `default`
/// is the subcommand when there is none ("" when there must be one).
fn by_subcommand(
    program: &str,
    args: &[String],
    reads: &[&str],
    writes: &[&str],
    default: &str,
) -> Classification {
    let syntax = Syntax {
        short_values: "hpHM",
        long_values: "host machine",
    };
    let line = CommandLine::parse(args, &syntax);
    let sub = line.words().first().copied().unwrap_or(default);
    if reads.contains(&sub) {
        Classification::read(format!("{program} {sub} only reads"))
    } else if writes.contains(&sub) {
        Classification::write(format!(
            "{program} {sub} changes the host's time service (reversible)"
        ))
    } else {
        Classification::no_rule(format!("{program} {sub}").trim_end())
    }
}

fn patronictl(args: &[String]) -> Classification {
    let syntax = Syntax {
        short_values: "cd",
        long_values: "config-file dcs-url dcs",
    };
    let line = CommandLine::parse(args, &syntax);
    let sub = line.words().first().copied().unwrap_or("");
    match sub {
        "list" | "topology" | "history" | "show-config" | "version" | "dsn" => {
            Classification::read(format!("patronictl {sub} only reads the cluster state"))
        }
        "restart" | "reload" | "pause" | "resume" | "flush" | "edit-config" => {
            Classification::write(format!("patronictl {sub} changes the cluster (reversible)"))
        }
        "failover" | "switchover" | "remove" | "reinit" => Classification::dangerous(format!(
            "patronictl {sub} changes which node holds the data, which may lose writes"
        )),
        "query" => Classification::dangerous("patronictl query runs SQL Warroom does not read"),
        _ => Classification::no_rule(format!("patronictl {sub}").trim_end()),
    }
}

fn openssl(args: &[String]) -> Classification {
    let sub = args.first().map(String::as_str).unwrap_or("");
    if !matches!(
        sub,
        "s_client" | "x509" | "verify" | "version" | "ciphers" | "crl" | "asn1parse" | "errstr"
    ) {
        return Classification::no_rule(format!("openssl {sub}").trim_end());
    }
    match args.iter().position(|a| a == "-out") {
        Some(at) if args.get(at + 1).is_none_or(|file| file != "/dev/null") => {
            Classification::write(format!("openssl {sub} -out writes into a file"))
        }
        _ => Classification::read(format!("openssl {sub} only reads certificates")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn plain_tools_read() {
        for command in [
            "df -i",
            "du -xh --max-depth=2 /var",
            "lsof -nP +L1",
            "ss -tanp state close-wait",
            "dig @<dns-server> <host> +time=2 +tries=1",
            "ps -eo pid,pcpu --sort=-pcpu",
            "cat /proc/sys/fs/file-nr",
            "tail -n 100 /var/log/syslog",
            "free -m",
            "uptime",
            "top -bn1",
            "ping -c 3 <host>",
            "ping -w 5 <host>",
            "date -u",
            "hostname -f",
            "sysctl -a",
            "dmesg -T",
            "ulimit -a",
            "timedatectl",
            "chronyc tracking",
            "chronyc -n sources",
            "patronictl -c /etc/patroni.yml list",
            "openssl x509 -in c -noout -dates",
            "openssl s_client -connect <host>:443 -servername <host> -showcerts",
        ] {
            assert_eq!(classify(command).risk, Read, "{command}");
        }
    }

    #[test]
    fn host_changes_write() {
        for command in [
            "sysctl -w fs.file-max=2097152",
            "sar -o /tmp/sa 1 3",
            "sysctl vm.swappiness=10",
            "sysctl -p",
            "date -s '12:00'",
            "date --set=12:00",
            "hostname web-1",
            "dmesg -C",
            "ulimit -n 65536",
            "timedatectl set-ntp true",
            "chronyc makestep",
            "patronictl restart c m",
            "openssl x509 -in c -out d.pem",
        ] {
            assert_eq!(classify(command).risk, Write, "{command}");
        }
    }

    #[test]
    fn endless_flooding_or_unknown_subcommands_are_dangerous() {
        for command in [
            "top",
            "ss -K dst 10.0.0.1",
            "ss -tK state established",
            "ping <host>",
            "ping -f -c 100 <host>",
            "patronictl failover --force",
            "patronictl switchover",
            "patronictl query -c 'DROP TABLE x'",
            "chronyc frob",
            "openssl req -new",
            "timedatectl frob",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }
}
