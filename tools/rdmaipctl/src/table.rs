// SPDX-License-Identifier: GPL-2.0

//! Every command of rdmaipctl, once: its object and verb, its usage line,
//! the parser of its arguments (`cli.rs`) and what carries it out. The
//! command line's objects and verbs, the usage text and the dispatch all
//! come from `COMMANDS`; adding a command is adding an entry (with its
//! `Command` variant and argument parser).
//!
//! Abbreviations, the same everywhere and as in iproute2's `ip`: an exact
//! name always wins; otherwise a prefix stands for the first word, in a
//! fixed priority order, that starts with it. The objects' order is that
//! of `COMMANDS`, then `help` (`m` is `module`, `mon` is `monitor`); an
//! object's verbs are ordered `show` and its synonyms first (`s` is
//! `show`, `l` is `list`), then its entries' verbs in the table's order
//! (`d` is `del`, `dr` is `drain`), then the other synonyms (`delete`),
//! then `help`. An object with one entry of verb `""` (`monitor`) is a
//! command by itself.

use std::fmt;

use crate::cli::{self, Command, Words};
use crate::commands::{mismatch, Ctx};
use crate::config;
use crate::error::Error;
use crate::model::{Addr, Group, Module, Port, ProbePath};
use crate::records;
use crate::requests;

/// The object, and the verb of every object, that prints the usage.
pub const HELP: &str = "help";
/// The verb when an object is given alone.
pub const DEFAULT_VERB: &str = "show";

/// Synonyms of verbs, as iproute2 has them: (synonym, verb).
pub const SYNONYMS: &[(&str, &str)] = &[
    ("list", "show"),
    ("ls", "show"),
    ("lst", "show"),
    ("delete", "del"),
];

/// One command: `rdmaipctl OBJECT VERB ARGUMENTS`.
pub struct CommandSpec {
    pub object: &'static str,
    /// `""` for an object that is a command by itself.
    pub verb: &'static str,
    /// The arguments, as the usage shows them.
    pub args: &'static str,
    /// Reads the arguments (the words after the verb).
    pub parse: fn(&mut Words<'_>) -> Result<Command, String>,
    /// Carries out what `parse` returned.
    pub run: fn(&Command, &mut Ctx<'_>) -> Result<(), Error>,
}

impl CommandSpec {
    /// `group add`, or `monitor`: how errors and the usage name it.
    pub fn name(&self) -> String {
        if self.verb.is_empty() {
            self.object.to_string()
        } else {
            format!("{} {}", self.object, self.verb)
        }
    }
}

// By name: the functions are what the names stand for.
impl PartialEq for CommandSpec {
    fn eq(&self, other: &Self) -> bool {
        (self.object, self.verb) == (other.object, other.verb)
    }
}

impl Eq for CommandSpec {}

impl fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandSpec({})", self.name())
    }
}

/// A `run` for the commands that `$pattern` matches; `$ctx` names the
/// context in `$body`. Any other command is an internal error.
macro_rules! on {
    (|$ctx:ident| $pattern:pat => $body:expr) => {
        |command: &Command, $ctx: &mut Ctx<'_>| match command {
            $pattern => $body,
            other => Err(mismatch(other)),
        }
    };
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        object: "group",
        verb: "add",
        args: "NAME [SETTINGS]",
        parse: cli::group_add,
        run: on!(|k| Command::GroupAdd { name, settings } => {
            k.change(requests::group_new(k.family_id(), name, settings))
        }),
    },
    CommandSpec {
        object: "group",
        verb: "del",
        args: "NAME",
        parse: cli::group_del,
        run: on!(|k| Command::GroupDel { name } => {
            k.change(requests::group_del(k.family_id(), name))
        }),
    },
    CommandSpec {
        object: "group",
        verb: "show",
        args: "[NAME]",
        parse: cli::group_show,
        run: on!(|k| Command::GroupShow { name } => k.show(
            requests::group_get(k.family_id(), name.as_deref()),
            |p, details| Group::decode(p).map(|g| records::group(&g, details)),
        )),
    },
    CommandSpec {
        object: "group",
        verb: "set",
        args: "NAME [SETTINGS] [port PORT]...",
        parse: cli::group_set,
        // The settings first, then the ports: two requests.
        run: on!(|k| Command::GroupSet { name, settings, ports } => {
            if !settings.is_empty() {
                k.change(requests::group_set(k.family_id(), name, settings))?;
            }
            if !ports.is_empty() {
                k.change(requests::port_add(k.family_id(), name, ports))?;
            }
            Ok(())
        }),
    },
    CommandSpec {
        object: "port",
        verb: "add",
        args: "PORT... group NAME",
        parse: cli::port_add,
        run: on!(|k| Command::PortAdd { ports, group } => {
            k.change(requests::port_add(k.family_id(), group, ports))
        }),
    },
    CommandSpec {
        object: "port",
        verb: "del",
        args: "PORT... [group NAME]",
        parse: cli::port_del,
        run: on!(|k| Command::PortDel { ports, group } => {
            k.change(requests::port_del(k.family_id(), group.as_deref(), ports))
        }),
    },
    CommandSpec {
        object: "port",
        verb: "show",
        args: "[PORT | group NAME]",
        parse: cli::port_show,
        // With -d, each member's probe paths too (a second request).
        run: on!(|k| Command::PortShow { port, group } => {
            let paths = if k.options().details {
                k.probe_paths(group.as_deref())?
            } else {
                Vec::new()
            };
            k.show(
                requests::port_get(k.family_id(), port.as_deref(), group.as_deref()),
                |p, details| Port::decode(p).map(|port| records::port(&port, details, &paths)),
            )
        }),
    },
    CommandSpec {
        object: "port",
        verb: "drain",
        args: "PORT",
        parse: cli::port_drain,
        run: on!(|k| Command::PortDrain { port } => {
            k.change(requests::port_drain(k.family_id(), port))
        }),
    },
    CommandSpec {
        object: "port",
        verb: "undrain",
        args: "PORT",
        parse: cli::port_undrain,
        run: on!(|k| Command::PortUndrain { port } => {
            k.change(requests::port_undrain(k.family_id(), port))
        }),
    },
    CommandSpec {
        object: "addr",
        verb: "show",
        args: "[group NAME]",
        parse: cli::addr_show,
        run: on!(|k| Command::AddrShow { group } => k.show(
            requests::addr_get(k.family_id(), group.as_deref()),
            |p, details| Addr::decode(p).map(|a| records::addr(&a, details)),
        )),
    },
    CommandSpec {
        object: "probe",
        verb: "show",
        args: "[group NAME]",
        parse: cli::probe_show,
        run: on!(|k| Command::ProbeShow { group } => k.show(
            requests::probe_get(k.family_id(), group.as_deref()),
            |p, _| ProbePath::decode(p).map(|path| records::probe_path(&path, true)),
        )),
    },
    CommandSpec {
        object: "module",
        verb: "show",
        args: "",
        parse: cli::module_show,
        run: on!(|k| Command::ModuleShow => k.show_one(
            requests::module_get(k.family_id()),
            |p, details| Module::decode(p).map(|m| records::module(&m, details)),
        )),
    },
    CommandSpec {
        object: "module",
        verb: "set",
        args: "peer-notify { on | off }",
        parse: cli::module_set,
        run: on!(|k| Command::ModuleSet { settings } => {
            k.change(requests::module_set(k.family_id(), settings))
        }),
    },
    CommandSpec {
        object: "monitor",
        verb: "",
        args: "",
        parse: cli::monitor,
        run: on!(|k| Command::Monitor => k.monitor()),
    },
    CommandSpec {
        object: "config",
        verb: "show",
        args: "",
        parse: cli::config_show,
        run: on!(|k| Command::ConfigShow => config::show(k)),
    },
    CommandSpec {
        object: "config",
        verb: "apply",
        args: "FILE",
        parse: cli::config_apply,
        run: on!(|k| Command::ConfigApply { file } => config::apply_file(k, file, false)),
    },
    CommandSpec {
        object: "config",
        verb: "diff",
        args: "FILE",
        parse: cli::config_diff,
        run: on!(|k| Command::ConfigDiff { file } => config::apply_file(k, file, true)),
    },
];

/// The objects, in the table's order, without `help`.
fn command_objects() -> Vec<&'static str> {
    let mut objects: Vec<&'static str> = Vec::new();
    for entry in COMMANDS {
        if !objects.contains(&entry.object) {
            objects.push(entry.object);
        }
    }
    objects
}

/// The words an object may be: the table's objects, then `help`.
pub fn objects() -> Vec<&'static str> {
    let mut objects = command_objects();
    objects.push(HELP);
    objects
}

/// The objects in priority order, for `cli::pick`: the table's, then `help`.
pub fn object_candidates() -> Vec<(&'static str, &'static str)> {
    objects().into_iter().map(|o| (o, o)).collect()
}

/// The entries of `object`, in the table's order.
pub fn entries_of(object: &str) -> Vec<&'static CommandSpec> {
    COMMANDS.iter().filter(|e| e.object == object).collect()
}

/// The words the verb of `object` may be, in priority order, each with the
/// verb it stands for: `show` and its synonyms, the entries' other verbs
/// in the table's order, their synonyms, `help`.
pub fn verb_candidates(object: &str) -> Vec<(&'static str, &'static str)> {
    let verbs: Vec<&'static str> = entries_of(object).iter().map(|e| e.verb).collect();
    fn synonyms_of(verb: &str) -> Vec<(&'static str, &'static str)> {
        SYNONYMS
            .iter()
            .copied()
            .filter(|(_, v)| *v == verb)
            .collect()
    }
    let mut candidates = Vec::new();
    if verbs.contains(&DEFAULT_VERB) {
        candidates.push((DEFAULT_VERB, DEFAULT_VERB));
        candidates.extend(synonyms_of(DEFAULT_VERB));
    }
    candidates.extend(
        verbs
            .iter()
            .filter(|&&v| v != DEFAULT_VERB)
            .map(|&v| (v, v)),
    );
    for &verb in verbs.iter().filter(|&&v| v != DEFAULT_VERB) {
        candidates.extend(synonyms_of(verb));
    }
    candidates.push((HELP, HELP));
    candidates
}

/// The words the verb of `object` may be: its entries' verbs, then `help`.
pub fn verbs(object: &str) -> Vec<&'static str> {
    let mut verbs: Vec<&'static str> = entries_of(object).iter().map(|e| e.verb).collect();
    verbs.push(HELP);
    verbs
}

const USAGE_HEAD: &str = "\
Usage: rdmaipctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]
       rdmaipctl [OPTIONS] monitor
       rdmaipctl [-force] -b[atch] FILE
";

const USAGE_OPTIONS: &str =
    "OPTIONS := { -j[son] | -p[retty] | -d[etails] | -force | -V[ersion] | -h[elp] }\n";

const SETTINGS_USAGE: &str = "\
SETTINGS := [failback { on | off }] [failback-delay DURATION]
            [hold-down-max DURATION] [announce-count COUNT]
            [announce-interval DURATION]
            [probe-targets { ADDR[,ADDR]... | none }]
            [probe-interval DURATION] [probe-misses COUNT]
            [probe-successes COUNT]
ADDR := a probe target's IPv4 or IPv6 address, e.g. 10.1.0.2 or fd00:1::2
DURATION := NUMBER{ms|s|m|h}, e.g. 300ms, 5s, 1.5s, 2m, 1h (a bare number is ms)
";
const PORT_USAGE: &str = "PORT := DEVICE/PORT, e.g. rxe0/1, or the port's netdev, e.g. eth2\n";
const FILE_USAGE: &str = "FILE := a configuration file, - for stdin (see rdmaipctl(8))\n";
const SYNONYMS_USAGE: &str = "\
COMMAND and OBJECT may be abbreviated (g s = group show);
list and ls are show, delete is del.
";

/// The definitions of the usage's placeholders that `args` uses.
fn definitions(args: &[&str]) -> String {
    let uses = |word: &str| args.iter().any(|a| a.contains(word));
    let mut text = String::new();
    if uses("SETTINGS") {
        text += SETTINGS_USAGE;
    }
    if uses("PORT") {
        text += PORT_USAGE;
    }
    if uses("FILE") {
        text += FILE_USAGE;
    }
    text
}

fn usage_line(entry: &CommandSpec) -> String {
    if entry.args.is_empty() {
        format!("rdmaipctl {}", entry.name())
    } else {
        format!("rdmaipctl {} {}", entry.name(), entry.args)
    }
}

/// What `rdmaipctl OBJECT help` prints: the object's commands.
pub fn object_usage(object: &str) -> String {
    let entries = entries_of(object);
    let mut text = String::new();
    for (i, entry) in entries.iter().enumerate() {
        let lead = if i == 0 { "Usage: " } else { "       " };
        text += &format!("{lead}{}\n", usage_line(entry));
    }
    let args: Vec<&str> = entries.iter().map(|e| e.args).collect();
    let definitions = definitions(&args);
    if !definitions.is_empty() {
        text += "\n";
        text += &definitions;
    }
    text
}

/// What `rdmaipctl help` prints: the objects and every command of the
/// table with its arguments.
pub fn usage() -> String {
    let mut text = String::from(USAGE_HEAD);
    text += &format!("OBJECT := {{ {} }}\n", objects().join(" | "));
    text += USAGE_OPTIONS;
    text += "\n";
    for entry in COMMANDS {
        text += &format!("  {}\n", usage_line(entry));
    }
    text += "\n";
    let args: Vec<&str> = COMMANDS.iter().map(|e| e.args).collect();
    text += &definitions(&args);
    text += SYNONYMS_USAGE;
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cli::parse;
    use std::collections::BTreeSet;

    /// The usage as rdmaipctl(8) and earlier versions print it.
    const USAGE: &str = "\
Usage: rdmaipctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]
       rdmaipctl [OPTIONS] monitor
       rdmaipctl [-force] -b[atch] FILE
OBJECT := { group | port | addr | probe | module | monitor | config | help }
OPTIONS := { -j[son] | -p[retty] | -d[etails] | -force | -V[ersion] | -h[elp] }

  rdmaipctl group add NAME [SETTINGS]
  rdmaipctl group del NAME
  rdmaipctl group show [NAME]
  rdmaipctl group set NAME [SETTINGS] [port PORT]...
  rdmaipctl port add PORT... group NAME
  rdmaipctl port del PORT... [group NAME]
  rdmaipctl port show [PORT | group NAME]
  rdmaipctl port drain PORT
  rdmaipctl port undrain PORT
  rdmaipctl addr show [group NAME]
  rdmaipctl probe show [group NAME]
  rdmaipctl module show
  rdmaipctl module set peer-notify { on | off }
  rdmaipctl monitor
  rdmaipctl config show
  rdmaipctl config apply FILE
  rdmaipctl config diff FILE

SETTINGS := [failback { on | off }] [failback-delay DURATION]
            [hold-down-max DURATION] [announce-count COUNT]
            [announce-interval DURATION]
            [probe-targets { ADDR[,ADDR]... | none }]
            [probe-interval DURATION] [probe-misses COUNT]
            [probe-successes COUNT]
ADDR := a probe target's IPv4 or IPv6 address, e.g. 10.1.0.2 or fd00:1::2
DURATION := NUMBER{ms|s|m|h}, e.g. 300ms, 5s, 1.5s, 2m, 1h (a bare number is ms)
PORT := DEVICE/PORT, e.g. rxe0/1, or the port's netdev, e.g. eth2
FILE := a configuration file, - for stdin (see rdmaipctl(8))
COMMAND and OBJECT may be abbreviated (g s = group show);
list and ls are show, delete is del.
";

    /// A valid command line for every entry, in the table's order.
    pub(crate) const EXAMPLES: &[&str] = &[
        "group add g0",
        "group del g0",
        "group show",
        "group set g0 failback on",
        "port add rxe0/1 group g0",
        "port del rxe0/1",
        "port show",
        "port drain rxe0/1",
        "port undrain rxe0/1",
        "addr show",
        "probe show",
        "module show",
        "module set peer-notify off",
        "monitor",
        "config show",
        "config apply /dev/null",
        "config diff /dev/null",
    ];

    fn entry_of(line: &str) -> Option<&'static CommandSpec> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args).unwrap_or_else(|e| panic!("{line}: {e}")).entry
    }

    #[test]
    fn usage_is_unchanged() {
        assert_eq!(usage(), USAGE);
    }

    #[test]
    fn usage_lists_every_entry_once() {
        let usage = usage();
        for entry in COMMANDS {
            let line = format!("  rdmaipctl {} {}", entry.name(), entry.args);
            let line = format!("{}\n", line.trim_end());
            assert_eq!(usage.matches(&line).count(), 1, "{line}");
        }
        assert_eq!(
            usage
                .lines()
                .filter(|l| l.starts_with("  rdmaipctl "))
                .count(),
            COMMANDS.len()
        );
    }

    #[test]
    fn every_entry_is_reachable_by_name() {
        let mut reached = BTreeSet::new();
        for line in EXAMPLES {
            let entry = entry_of(line).unwrap();
            assert!(line.starts_with(&entry.name()), "{line} -> {entry:?}");
            reached.insert(entry.name());
        }
        let all: BTreeSet<String> = COMMANDS.iter().map(CommandSpec::name).collect();
        assert_eq!(reached, all);
    }

    #[test]
    fn every_entry_is_reachable_by_its_shortest_prefixes() {
        // The shortest prefix of each object and verb whose first match in
        // the priority order is that word.
        fn shortest<'a>(word: &'a str, candidates: &[(&str, &str)]) -> &'a str {
            (1..=word.len())
                .map(|n| &word[..n])
                .find(|p| {
                    candidates
                        .iter()
                        .find(|(c, _)| c.starts_with(p))
                        .is_some_and(|(_, w)| *w == word)
                })
                .unwrap_or(word)
        }
        for (entry, example) in COMMANDS.iter().zip(EXAMPLES) {
            let object = shortest(entry.object, &object_candidates());
            let mut words: Vec<String> = example.split_whitespace().map(String::from).collect();
            words[0] = object.to_string();
            if !entry.verb.is_empty() {
                words[1] = shortest(entry.verb, &verb_candidates(entry.object)).to_string();
            }
            let parsed = parse(&words).unwrap_or_else(|e| panic!("{words:?}: {e}"));
            assert_eq!(parsed.entry, Some(entry), "{words:?}");
        }
    }

    #[test]
    fn objects_and_verbs_come_from_the_table() {
        assert_eq!(
            objects(),
            ["group", "port", "addr", "probe", "module", "monitor", "config", "help"]
        );
        assert_eq!(verbs("group"), ["add", "del", "show", "set", "help"]);
        assert_eq!(
            verbs("port"),
            ["add", "del", "show", "drain", "undrain", "help"]
        );
        assert_eq!(verbs("addr"), ["show", "help"]);
        assert_eq!(verbs("probe"), ["show", "help"]);
        assert_eq!(verbs("module"), ["show", "set", "help"]);
        assert_eq!(verbs("config"), ["show", "apply", "diff", "help"]);
    }

    #[test]
    fn verb_priority_order() {
        let words = |object: &str| -> Vec<&str> {
            verb_candidates(object).iter().map(|(w, _)| *w).collect()
        };
        assert_eq!(
            words("group"),
            ["show", "list", "ls", "lst", "add", "del", "set", "delete", "help"]
        );
        assert_eq!(
            words("port"),
            ["show", "list", "ls", "lst", "add", "del", "drain", "undrain", "delete", "help"]
        );
        assert_eq!(words("monitor"), ["", "help"]);
        for object in command_objects() {
            for (word, verb) in verb_candidates(object) {
                assert!(verbs(object).contains(&verb), "{object} {word}");
            }
        }
    }

    #[test]
    fn object_usage_lists_its_commands_and_placeholders() {
        assert_eq!(
            object_usage("port"),
            "Usage: rdmaipctl port add PORT... group NAME
       rdmaipctl port del PORT... [group NAME]
       rdmaipctl port show [PORT | group NAME]
       rdmaipctl port drain PORT
       rdmaipctl port undrain PORT

PORT := DEVICE/PORT, e.g. rxe0/1, or the port's netdev, e.g. eth2
"
        );
        assert_eq!(object_usage("monitor"), "Usage: rdmaipctl monitor\n");
        assert!(object_usage("group").contains("SETTINGS := "));
        assert!(object_usage("config").contains("FILE := "));
        for object in command_objects() {
            for entry in entries_of(object) {
                assert!(object_usage(object).contains(&usage_line(entry)));
            }
        }
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut names = BTreeSet::new();
        for entry in COMMANDS {
            assert!(names.insert(entry.name()), "{entry:?} twice");
            assert_ne!(entry.object, HELP);
            assert_ne!(entry.verb, HELP);
            let entries = entries_of(entry.object);
            if entry.verb.is_empty() {
                assert_eq!(
                    entries.len(),
                    1,
                    "{entry:?} must be its object's only entry"
                );
            } else {
                // An object alone means its default verb.
                assert!(entries.iter().any(|e| e.verb == DEFAULT_VERB), "{entry:?}");
            }
        }
        // The entries of an object are together, as the usage lists them.
        let objects: Vec<&str> = COMMANDS.iter().map(|e| e.object).collect();
        let mut runs = objects.clone();
        runs.dedup();
        assert_eq!(runs, command_objects());
    }

    #[test]
    fn help_and_defaults_have_no_entry() {
        for line in [
            "help",
            "group help",
            "p h",
            "addr help x",
            "mon help",
            "-h",
            "",
        ] {
            assert_eq!(entry_of(line), None, "{line}");
        }
        assert_eq!(entry_of("port").unwrap().name(), "port show");
        assert_eq!(entry_of("a").unwrap().name(), "addr show");
        assert_eq!(entry_of("mon").unwrap().name(), "monitor");
        assert_eq!(entry_of("mod").unwrap().name(), "module show");
    }
}
