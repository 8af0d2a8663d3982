//! Rules for removing and finding files.

use super::Classification;

/// `rm`, whatever its options: deleted files do not come back.
pub(super) fn rm() -> Classification {
    Classification::dangerous("rm deletes files, which cannot be undone")
}

/// Classifies `find ARGS`: listing reads; actions that delete, run programs or write files are
/// dangerous.
pub(super) fn find(args: &[String]) -> Classification {
    for arg in args {
        let what = match arg.as_str() {
            "-delete" => "deletes every file it matches, which cannot be undone",
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                "runs another program on every match, which Warroom cannot reason about"
            }
            "-fprint" | "-fprint0" | "-fprintf" | "-fls" => {
                "overwrites a file with its results, which cannot be undone"
            }
            _ => continue,
        };
        return Classification::dangerous(format!("find {arg} {what}"));
    }
    Classification::read("find only lists files")
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use crate::domain::Risk::{Dangerous, Read};

    #[test]
    fn rm_is_always_dangerous() {
        assert_eq!(classify("rm -rf /var/lib/app/cache").risk, Dangerous);
        assert_eq!(classify("rm -i x").risk, Dangerous);
    }

    #[test]
    fn find_reads_unless_it_acts() {
        assert_eq!(classify("find /var/log -type f -size +1G").risk, Read);
        assert_eq!(
            classify("find / -xdev -name core -mtime -1 -print").risk,
            Read
        );
        assert_eq!(
            classify("find /var/log -type f -name \"*.gz\" -mtime +7 -delete").risk,
            Dangerous
        );
        assert_eq!(classify("find /tmp -exec rm {} +").risk, Dangerous);
        assert_eq!(classify("find /tmp -execdir ls {} ;").risk, Dangerous);
        assert_eq!(classify("find /tmp -fprint /etc/passwd").risk, Dangerous);
        assert_eq!(
            classify("find /tmp -delete").reason,
            "find -delete deletes every file it matches, which cannot be undone"
        );
    }
}
