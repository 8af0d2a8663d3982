//! Rules for `redis-cli`: the Redis command after the connection options decides.

use super::args::{CommandLine, Syntax};
use super::{Classification, is_one_of};

const SYNTAX: Syntax = Syntax {
    short_values: "hpsaunridD",
    long_values: "user pass sni cacert cacertdir cert key tls-ciphers tls-ciphersuites pattern \
        quoted-pattern count memkeys-samples rdb functions-rdb eval pipe-timeout \
        intrinsic-latency lru-test cluster",
};

const READS: &str = "PING, ECHO, INFO, LLEN, LRANGE, LINDEX, LPOS, GET, MGET, GETRANGE, \
    STRLEN, EXISTS, TTL, PTTL, EXPIRETIME, PEXPIRETIME, TYPE, SCAN, SSCAN, HSCAN, ZSCAN, \
    RANDOMKEY, DBSIZE, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN, \
    SCARD, SMEMBERS, SISMEMBER, SMISMEMBER, SRANDMEMBER, ZCARD, ZCOUNT, ZRANGE, \
    ZRANGEBYSCORE, ZREVRANGE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZSCORE, ZMSCORE, ZRANK, \
    ZREVRANK, ZLEXCOUNT, XLEN, XINFO, XRANGE, XREVRANGE, XPENDING, XREAD, PFCOUNT, BITCOUNT, \
    BITPOS, GETBIT, OBJECT, ROLE, TIME, LASTSAVE, COMMAND, MONITOR, SUBSCRIBE, PSUBSCRIBE, \
    SSUBSCRIBE, SLOWLOG GET, SLOWLOG LEN, MEMORY USAGE, MEMORY STATS, MEMORY DOCTOR, \
    MEMORY MALLOC-STATS, LATENCY LATEST, LATENCY HISTORY, LATENCY DOCTOR, LATENCY GRAPH, \
    LATENCY HISTOGRAM, CLIENT LIST, CLIENT INFO, CLIENT GETNAME, CLIENT ID, CONFIG GET, \
    CLUSTER INFO, CLUSTER NODES, CLUSTER SHARDS, CLUSTER SLOTS, CLUSTER MYID, \
    CLUSTER COUNTKEYSINSLOT, CLUSTER KEYSLOT, SENTINEL MASTERS, SENTINEL MASTER, \
    SENTINEL REPLICAS, SENTINEL SLAVES, SENTINEL SENTINELS, SENTINEL GET-MASTER-ADDR-BY-NAME, \
    SENTINEL CKQUORUM, SENTINEL INFO-CACHE, SENTINEL MYID, ACL LIST, ACL WHOAMI, ACL USERS, \
    ACL GETUSER, ACL CAT, ACL LOG, FUNCTION LIST, FUNCTION STATS, SCRIPT EXISTS, \
    PUBSUB CHANNELS, PUBSUB NUMSUB, PUBSUB NUMPAT, PUBSUB SHARDCHANNELS, MODULE LIST";

const WRITES: &str = "SET, SETEX, PSETEX, SETNX, MSET, MSETNX, GETSET, APPEND, INCR, INCRBY, \
    INCRBYFLOAT, DECR, DECRBY, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST, HSET, HSETNX, \
    HMSET, HINCRBY, HINCRBYFLOAT, LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LSET, LMOVE, \
    RPOPLPUSH, SADD, SMOVE, ZADD, ZINCRBY, XADD, XGROUP, XREADGROUP, XACK, XCLAIM, \
    XAUTOCLAIM, PFADD, SETBIT, SETRANGE, RENAMENX, COPY, MOVE, PUBLISH, SPUBLISH, BGSAVE, \
    SAVE, BGREWRITEAOF, CLIENT KILL, CLIENT PAUSE, CLIENT UNPAUSE, CLIENT NO-EVICT, \
    CLIENT SETNAME, SLOWLOG RESET, LATENCY RESET, CONFIG REWRITE, CONFIG RESETSTAT, \
    MEMORY PURGE, SENTINEL SET, SENTINEL MONITOR, ACL SETUSER, FUNCTION LOAD, SCRIPT LOAD";

/// Dangerous commands (comma-separated) and what they do.
const DANGEROUS: &[(&str, &str)] = &[
    (
        "DEL, UNLINK, GETDEL",
        "deletes keys, which cannot be undone",
    ),
    (
        "FLUSHDB",
        "deletes every key in the database, which cannot be undone",
    ),
    (
        "FLUSHALL",
        "deletes every key in every database, which cannot be undone",
    ),
    ("SHUTDOWN", "stops the server, which may lose unsaved data"),
    ("DEBUG", "can crash or freeze the server"),
    (
        "FAILOVER, SENTINEL FAILOVER, CLUSTER FAILOVER",
        "forces a failover, which may lose the latest writes",
    ),
    (
        "REPLICAOF, SLAVEOF",
        "makes the server a replica, which throws away its data",
    ),
    ("SWAPDB", "swaps two databases under every client"),
    (
        "RENAME, RESTORE",
        "overwrites existing keys, which cannot be undone",
    ),
    ("MIGRATE", "moves keys to another server"),
    (
        "EVAL, EVALSHA, EVAL_RO, FCALL",
        "runs a script Warroom cannot reason about",
    ),
    (
        "LPOP, RPOP, BLPOP, BRPOP, LREM, LTRIM, SPOP, SREM, ZREM, ZPOPMIN, ZPOPMAX, \
         ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX, HDEL, XDEL, XTRIM",
        "removes items, which cannot be undone",
    ),
    (
        "SCRIPT FLUSH, FUNCTION DELETE, FUNCTION FLUSH, ACL DELUSER",
        "deletes what it names, which cannot be undone",
    ),
    ("SCRIPT KILL", "kills a running script"),
    (
        "MODULE LOAD, MODULE UNLOAD",
        "loads or unloads native code in the server",
    ),
    (
        "SENTINEL RESET, SENTINEL REMOVE, CLUSTER RESET, CLUSTER FORGET",
        "makes a node forget members of its cluster, which cannot be undone",
    ),
];

/// Settings that only tune behaviour; `CONFIG SET` of anything else (`dir`, `dbfilename`, …)
/// can make Redis write files where an attacker wants, so it is dangerous.
const TUNABLE: &str = "maxmemory maxmemory-policy maxmemory-samples maxclients timeout \
    tcp-keepalive slowlog-log-slower-than slowlog-max-len latency-monitor-threshold hz \
    loglevel lazyfree-lazy-eviction lazyfree-lazy-expire activedefrag";

/// Subcommand containers: the command is these plus their first argument.
const CONTAINERS: &str = "CLIENT CONFIG SLOWLOG MEMORY LATENCY CLUSTER SENTINEL ACL FUNCTION \
    SCRIPT PUBSUB MODULE";

/// Whether `command` is one of the comma-separated commands of `list`.
fn is_listed(command: &str, list: &str) -> bool {
    list.split(',').any(|listed| listed.trim() == command)
}

/// Classifies `redis-cli ARGS`.
pub(super) fn classify(args: &[String]) -> Classification {
    let (line, command) = CommandLine::parse_leading(args, &SYNTAX);
    let Some((name, command_args)) = command.split_first().filter(|_| !line.has(&["--cluster"]))
    else {
        return mode(&line);
    };
    let mut name = name.to_uppercase();
    let mut command_args = command_args;
    if is_one_of(&name, CONTAINERS)
        && let Some((sub, rest)) = command_args.split_first()
    {
        name = format!("{name} {}", sub.to_uppercase());
        command_args = rest;
    }
    if line.has(&["-x"]) {
        return Classification::dangerous(
            "redis-cli -x takes the last argument from input Warroom cannot see",
        );
    }
    if name == "CONFIG SET" {
        return config_set(command_args);
    }
    if is_listed(&name, READS) {
        Classification::read(format!("redis-cli {name} only reads"))
    } else if name == "KEYS" {
        Classification::write(
            "redis-cli KEYS blocks the server while it walks every key (use SCAN)",
        )
    } else if name == "CLIENT KILL" {
        Classification::write("redis-cli CLIENT KILL disconnects clients, which can reconnect")
    } else if is_listed(&name, WRITES) {
        Classification::write(format!(
            "redis-cli {name} changes data or settings (reversible)"
        ))
    } else if let Some((_, what)) = DANGEROUS.iter().find(|(list, _)| is_listed(&name, list)) {
        Classification::dangerous(format!("redis-cli {name} {what}"))
    } else {
        Classification::no_rule(&format!("redis-cli {name}"))
    }
}

/// redis-cli without a command: one of its own modes, or an interactive prompt.
fn mode(line: &CommandLine<'_>) -> Classification {
    let reading_modes = [
        "--scan",
        "--bigkeys",
        "--memkeys",
        "--hotkeys",
        "--keystats",
        "--stat",
        "--latency",
        "--latency-history",
        "--latency-dist",
        "--intrinsic-latency",
        "--replica",
        "--slave",
    ];
    if let Some((name, _)) = line.options(&reading_modes).next() {
        return Classification::read(format!("redis-cli {name} only reads"));
    }
    if let Some((name, _)) = line.options(&["--rdb", "--functions-rdb"]).next() {
        return Classification::write(format!("redis-cli {name} saves a copy into a local file"));
    }
    if let Some(cluster) = line.value(&["--cluster"]) {
        return match cluster {
            "check" | "info" => {
                Classification::read(format!("redis-cli --cluster {cluster} only reads"))
            }
            _ => Classification::dangerous(format!(
                "redis-cli --cluster {cluster} reshapes the cluster, which Warroom treats as dangerous"
            )),
        };
    }
    if let Some((name, _)) = line
        .options(&["--pipe", "--eval", "--lru-test", "--ldb", "--ldb-sync-mode"])
        .next()
    {
        return Classification::dangerous(format!(
            "redis-cli {name} runs commands Warroom cannot see"
        ));
    }
    Classification::dangerous(
        "redis-cli without a command opens an interactive session, which Warroom cannot reason about",
    )
}

fn config_set(pairs: &[String]) -> Classification {
    let names: Vec<String> = pairs
        .iter()
        .step_by(2)
        .map(|name| name.to_lowercase())
        .collect();
    match names.iter().find(|name| !is_one_of(name, TUNABLE)) {
        Some(name) => Classification::dangerous(format!(
            "redis-cli CONFIG SET {name} changes a setting Warroom treats as dangerous"
        )),
        None if names.is_empty() => Classification::no_rule("redis-cli CONFIG SET"),
        None => Classification::write(format!(
            "redis-cli CONFIG SET {} changes a tuning setting (reversible)",
            names.join(" ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read, Write};

    #[test]
    fn connection_options_are_skipped_and_command_case_does_not_matter() {
        for command in [
            "redis-cli -u \"$REDIS_URL\" PING",
            "redis-cli -h <host> -p 6379 -a secret -n 2 --tls --raw llen queue",
            "redis-cli -c -r 3 -i 1 info replication",
            "redis-cli --user u --pass p client list",
            "redis-cli slowlog get 10",
            "redis-cli memory usage key",
            "redis-cli -u \"$REDIS_URL\" --scan --pattern 'ratelimit:*' --count 1000",
            "redis-cli --bigkeys",
            "redis-cli --cluster check <host>:6379",
            "redis-cli -h <sentinel-host> -p 26379 SENTINEL get-master-addr-by-name m",
        ] {
            assert_eq!(classify(command).risk, Read, "{command}");
        }
    }

    #[test]
    fn changes_are_writes() {
        for command in [
            "redis-cli SET k v",
            "redis-cli KEYS 'session:*'",
            "redis-cli expire k 60",
            "redis-cli PERSIST k",
            "redis-cli CLIENT KILL TYPE normal",
            "redis-cli SLOWLOG RESET",
            "redis-cli CONFIG REWRITE",
            "redis-cli CONFIG SET maxmemory 2gb",
            "redis-cli CONFIG SET maxmemory-policy allkeys-lru maxclients 20000",
            "redis-cli --rdb /tmp/dump.rdb",
        ] {
            assert_eq!(classify(command).risk, Write, "{command}");
        }
    }

    #[test]
    fn destroying_commands_are_dangerous() {
        for command in [
            "redis-cli DEL k",
            "redis-cli unlink k",
            "redis-cli -n 3 FLUSHDB",
            "redis-cli FLUSHALL ASYNC",
            "redis-cli CONFIG SET dir /var/www",
            "redis-cli CONFIG SET maxmemory 1gb dbfilename x",
            "redis-cli SHUTDOWN NOSAVE",
            "redis-cli DEBUG SLEEP 10",
            "redis-cli SCRIPT FLUSH",
            "redis-cli FAILOVER",
            "redis-cli REPLICAOF host 6379",
            "redis-cli SENTINEL FAILOVER m",
            "redis-cli EVAL 'return 1' 0",
            "redis-cli --pipe",
            "redis-cli --cluster fix <host>:6379",
            "redis-cli -x SET k",
            "redis-cli FROBNICATE",
            "redis-cli -u \"$REDIS_URL\"",
        ] {
            assert_eq!(classify(command).risk, Dangerous, "{command}");
        }
    }

    #[test]
    fn reasons_name_the_command() {
        assert_eq!(
            classify("redis-cli FLUSHDB").reason,
            "redis-cli FLUSHDB deletes every key in the database, which cannot be undone"
        );
        assert_eq!(
            classify("redis-cli info memory").reason,
            "redis-cli INFO only reads"
        );
    }
}
