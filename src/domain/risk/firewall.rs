//! Rules for `iptables`, `ip6tables` and `nft`: listing reads, adding or removing one rule is a
//! reversible change, and flushing, deleting chains or changing a default policy is dangerous.

use super::Classification;
use super::args::{CommandLine, Syntax};

/// iptables commands by option letter: (short, long, risk rank, what it does).
const IPTABLES_COMMANDS: &[(char, &str, u8, &str)] = &[
    ('L', "list", 0, "only lists rules"),
    ('S', "list-rules", 0, "only lists rules"),
    ('C', "check", 0, "only checks whether a rule exists"),
    ('A', "append", 1, "adds one firewall rule (reversible)"),
    ('I', "insert", 1, "adds one firewall rule (reversible)"),
    ('D', "delete", 1, "removes one firewall rule (reversible)"),
    ('R', "replace", 1, "replaces one firewall rule (reversible)"),
    ('N', "new-chain", 1, "creates a chain (reversible)"),
    ('E', "rename-chain", 1, "renames a chain (reversible)"),
    ('Z', "zero", 1, "resets packet counters"),
    (
        'F',
        "flush",
        2,
        "deletes every rule in the chain, which cannot be undone",
    ),
    (
        'X',
        "delete-chain",
        2,
        "deletes a chain, which cannot be undone",
    ),
    (
        'P',
        "policy",
        2,
        "changes a chain's default policy, which can cut all traffic",
    ),
];

const IPTABLES: Syntax = Syntax {
    short_values: "tsdiojpmg",
    long_values: "table source destination in-interface out-interface jump protocol match goto \
        dport sport state ctstate comment to-destination to-source set-mark log-prefix limit \
        src-range dst-range",
};

/// Classifies `iptables ARGS` (and `ip6tables`).
pub(super) fn iptables(program: &str, args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &IPTABLES);
    let mut strictest: Option<(u8, String)> = None;
    for (short, long, rank, what) in IPTABLES_COMMANDS {
        let short = format!("-{short}");
        let long = format!("--{long}");
        if let Some((option, _)) = line.options(&[short.as_str(), long.as_str()]).next()
            && strictest.as_ref().is_none_or(|(best, _)| rank > best)
        {
            strictest = Some((*rank, format!("{program} {option} {what}")));
        }
    }
    match strictest {
        Some((0, reason)) => Classification::read(reason),
        Some((1, reason)) => Classification::write(reason),
        Some((_, reason)) => Classification::dangerous(reason),
        None => Classification::dangerous(format!(
            "{program} without a command Warroom knows (-L, -A, -I, -D, …)"
        )),
    }
}

const NFT: Syntax = Syntax {
    short_values: "fID",
    long_values: "file includepath define",
};

/// Classifies `nft ARGS`.
pub(super) fn nft(args: &[String]) -> Classification {
    let line = CommandLine::parse(args, &NFT);
    if line.has(&["-f", "--file"]) {
        return Classification::dangerous("nft -f loads rules from a file Warroom cannot see");
    }
    let words = line.words();
    let verb = words.first().copied().unwrap_or("");
    let object = words.get(1).copied().unwrap_or("");
    match (verb, object) {
        ("list" | "monitor" | "describe", _) => {
            Classification::read(format!("nft {verb} only reads the ruleset"))
        }
        ("add" | "insert" | "create" | "replace" | "delete" | "destroy", "rule" | "element") => {
            Classification::write(format!(
                "nft {verb} {object} changes one rule or set element (reversible)"
            ))
        }
        ("add" | "create", "table" | "chain" | "set" | "map") => Classification::write(format!(
            "nft {verb} {object} adds to the ruleset (reversible)"
        )),
        ("flush" | "delete" | "destroy", _) => Classification::dangerous(format!(
            "nft {verb} {object} deletes firewall rules wholesale, which cannot be undone"
        )),
        _ => Classification::no_rule(format!("nft {verb} {object}").trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn listing_reads() {
        assert_eq!(classify("iptables -L -n -v").risk, Read);
        assert_eq!(classify("iptables -nvL INPUT").risk, Read);
        assert_eq!(classify("ip6tables -t nat -S").risk, Read);
        assert_eq!(classify("iptables -C INPUT -s 1.2.3.4 -j DROP").risk, Read);
        assert_eq!(classify("nft list ruleset").risk, Read);
    }

    #[test]
    fn one_rule_is_a_reversible_change() {
        assert_eq!(
            classify("iptables -I INPUT -s <ip-address> -j DROP").risk,
            Write
        );
        assert_eq!(
            classify("iptables -A INPUT -p tcp --dport 22 -j ACCEPT").risk,
            Write
        );
        assert_eq!(classify("iptables -D OUTPUT <rule-number>").risk, Write);
        assert_eq!(
            classify("nft add rule inet filter input ip saddr 1.2.3.4 drop").risk,
            Write
        );
        assert_eq!(
            classify("iptables -I INPUT -s 1.2.3.4 -j DROP").reason,
            "iptables -I adds one firewall rule (reversible)"
        );
    }

    #[test]
    fn flushing_deleting_chains_and_policies_are_dangerous() {
        assert_eq!(classify("iptables -F").risk, Dangerous);
        assert_eq!(classify("iptables -t nat --flush").risk, Dangerous);
        assert_eq!(classify("iptables -X my-chain").risk, Dangerous);
        assert_eq!(classify("iptables -P INPUT DROP").risk, Dangerous);
        assert_eq!(classify("iptables -L -F").risk, Dangerous);
        assert_eq!(classify("iptables -s 1.2.3.4").risk, Dangerous);
        assert_eq!(classify("nft flush ruleset").risk, Dangerous);
        assert_eq!(classify("nft delete table inet filter").risk, Dangerous);
        assert_eq!(classify("nft -f rules.nft").risk, Dangerous);
    }
}
