//! Reading a program's options the getopt way, so rules look at flags and words instead of
//! raw strings (`-sSI` holds `-I`; in `-n <namespace>` the second word is a value, not a
//! resource).

/// Which options of one program take a value.
pub(super) struct Syntax {
    /// Short options (`-n`) that take a value, as one string of letters.
    pub short_values: &'static str,
    /// Long options (`--namespace`) that take a value, without the dashes, separated by spaces.
    pub long_values: &'static str,
}

/// One part of a command line after the program name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arg<'a> {
    /// `-x`, with its value when it takes one.
    Short(char, Option<&'a str>),
    /// `--name` or `--name=value`, with its value when it has one.
    Long(&'a str, Option<&'a str>),
    /// Anything else: subcommands, resources, file names, URLs.
    Word(&'a str),
}

/// A command line read with one program's [`Syntax`].
pub(super) struct CommandLine<'a> {
    pub args: Vec<Arg<'a>>,
}

impl<'a> CommandLine<'a> {
    /// Reads every option, wherever it stands (GNU style); `--` makes the rest words.
    pub(super) fn parse(words: &'a [String], syntax: &Syntax) -> Self {
        Self::read(words, syntax, false).0
    }

    /// Reads options up to the first word (POSIX style, as `redis-cli` and `docker` do) and
    /// returns the words from there on untouched.
    pub(super) fn parse_leading(words: &'a [String], syntax: &Syntax) -> (Self, &'a [String]) {
        Self::read(words, syntax, true)
    }

    fn read(words: &'a [String], syntax: &Syntax, stop_at_word: bool) -> (Self, &'a [String]) {
        let mut args = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_str();
            i += 1;
            let mut take_value = |attached: Option<&'a str>| match attached {
                Some(value) => Some(value),
                None => {
                    i += 1;
                    words.get(i - 1).map(String::as_str)
                }
            };
            if word == "--" {
                if stop_at_word {
                    return (Self { args }, &words[i..]);
                }
                args.extend(words[i..].iter().map(|w| Arg::Word(w.as_str())));
                break;
            } else if let Some(long) = word.strip_prefix("--") {
                let arg = match long.split_once('=') {
                    Some((name, value)) => Arg::Long(name, Some(value)),
                    None if super::is_one_of(long, syntax.long_values) => {
                        Arg::Long(long, take_value(None))
                    }
                    None => Arg::Long(long, None),
                };
                args.push(arg);
            } else if let Some(cluster) = word.strip_prefix('-').filter(|c| !c.is_empty()) {
                for (at, c) in cluster.char_indices() {
                    if syntax.short_values.contains(c) {
                        let attached = &cluster[at + c.len_utf8()..];
                        let attached = attached.strip_prefix('=').unwrap_or(attached);
                        let value = take_value((!attached.is_empty()).then_some(attached));
                        args.push(Arg::Short(c, value));
                        break;
                    }
                    args.push(Arg::Short(c, None));
                }
            } else if stop_at_word {
                return (Self { args }, &words[i - 1..]);
            } else {
                args.push(Arg::Word(word));
            }
        }
        (Self { args }, &[])
    }

    /// The words, in order.
    pub(super) fn words(&self) -> Vec<&'a str> {
        self.args
            .iter()
            .filter_map(|arg| match arg {
                Arg::Word(word) => Some(*word),
                _ => None,
            })
            .collect()
    }

    /// Whether any of `names` (`-f`, `--force`) was given.
    pub(super) fn has(&self, names: &[&str]) -> bool {
        self.options(names).next().is_some()
    }

    /// The last value given to any of `names`; an option given without a value counts as "".
    pub(super) fn value(&self, names: &[&str]) -> Option<&'a str> {
        self.options(names).last().map(|(_, value)| value)
    }

    /// Every option among `names` that was given, as (name as written, value or "").
    pub(super) fn options<'n>(
        &'n self,
        names: &'n [&str],
    ) -> impl Iterator<Item = (&'n str, &'a str)> + 'n {
        self.args.iter().filter_map(move |arg| {
            let name = names.iter().find(|name| matches(arg, name))?;
            match arg {
                Arg::Short(_, value) | Arg::Long(_, value) => Some((*name, value.unwrap_or(""))),
                Arg::Word(_) => None,
            }
        })
    }
}

/// Whether `arg` is the option spelled `name` (`-f` or `--force`).
fn matches(arg: &Arg<'_>, name: &str) -> bool {
    match arg {
        Arg::Short(c, _) => {
            let mut chars = name.chars();
            chars.next() == Some('-') && chars.next() == Some(*c) && chars.next().is_none()
        }
        Arg::Long(long, _) => name.strip_prefix("--") == Some(long),
        Arg::Word(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURLISH: Syntax = Syntax {
        short_values: "mo",
        long_values: "output",
    };

    fn owned(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn short_clusters_split_and_values_attach_or_follow() {
        let words = owned("-sSI -m10 -o /dev/null -so- url");
        let line = CommandLine::parse(&words, &CURLISH);
        assert!(line.has(&["-I"]));
        assert_eq!(line.value(&["-m"]), Some("10"));
        assert_eq!(line.options(&["-o"]).count(), 2);
        assert_eq!(line.value(&["-o", "--output"]), Some("-"));
        assert_eq!(line.words(), ["url"]);
    }

    #[test]
    fn long_options_take_values_after_an_equals_sign_or_as_the_next_word() {
        let words = owned("--output file --force=true --verbose x");
        let line = CommandLine::parse(&words, &CURLISH);
        assert_eq!(line.value(&["--output"]), Some("file"));
        assert_eq!(line.value(&["--force"]), Some("true"));
        assert_eq!(line.value(&["--verbose"]), Some(""));
        assert_eq!(line.words(), ["x"]);
    }

    #[test]
    fn a_double_dash_ends_the_options() {
        let words = owned("-m 1 -- -o x");
        let line = CommandLine::parse(&words, &CURLISH);
        assert_eq!(line.words(), ["-o", "x"]);
    }

    #[test]
    fn leading_parsing_stops_at_the_first_word() {
        let words = owned("-m 1 SET key -1");
        let (line, rest) = CommandLine::parse_leading(&words, &CURLISH);
        assert_eq!(line.value(&["-m"]), Some("1"));
        assert_eq!(rest, ["SET", "key", "-1"]);
    }

    #[test]
    fn a_value_missing_at_the_end_is_not_a_panic() {
        let words = owned("-m");
        let line = CommandLine::parse(&words, &CURLISH);
        assert_eq!(line.value(&["-m"]), Some(""));
    }
}
