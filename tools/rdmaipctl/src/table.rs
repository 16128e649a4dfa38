// SPDX-License-Identifier: GPL-2.0

//! Every command of rdmaipctl, once: its object and verb, its usage line,
//! the parser of its arguments (`cli.rs`) and what carries it out. The
//! command line's objects and verbs, the usage text and the dispatch all
//! come from `COMMANDS`; adding a command is adding an entry (with its
//! `Command` variant and argument parser).
//!
//! Abbreviations, the same everywhere: an object or verb may be given as
//! any prefix that only one of the choices has (`g a` is `group add`; `p d`
//! is ambiguous between `del` and `drain`), and an exact name always wins.
//! The objects are those of `COMMANDS`, in order, then `help`; an object's
//! verbs are those of its entries, in order, then `help`. An object with
//! one entry of verb `""` (`monitor`) is a command by itself.

use std::fmt;

use crate::cli::{self, Command, Words};
use crate::commands::{mismatch, Ctx};
use crate::error::Error;
use crate::model::{Addr, Group, Module, Port};
use crate::records;
use crate::requests;

/// The object, and the verb of every object, that prints the usage.
pub const HELP: &str = "help";
/// The verb when an object is given alone.
pub const DEFAULT_VERB: &str = "show";

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
        run: on!(|k| Command::PortShow { port, group } => k.show(
            requests::port_get(k.family_id(), port.as_deref(), group.as_deref()),
            |p, details| Port::decode(p).map(|port| records::port(&port, details)),
        )),
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

/// `group, port, addr, module or monitor`, for the error when none is given.
pub fn object_list() -> String {
    let objects = command_objects();
    match objects.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The entries of `object`, in the table's order.
pub fn entries_of(object: &str) -> Vec<&'static CommandSpec> {
    COMMANDS.iter().filter(|e| e.object == object).collect()
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
";

const USAGE_OPTIONS: &str =
    "OPTIONS := { -j[son] | -p[retty] | -d[etails] | -V[ersion] | -h[elp] }\n";

const USAGE_TAIL: &str = "
SETTINGS := [failback { on | off }] [failback-delay DURATION]
            [hold-down-max DURATION] [announce-count COUNT]
            [announce-interval DURATION]
DURATION := NUMBER{ms|s}, e.g. 300ms, 5s, 1.5s (a bare number is ms)
PORT := DEVICE/PORT, e.g. rxe0/1
";

/// What `rdmaipctl help` prints: the objects and every command of the
/// table with its arguments.
pub fn usage() -> String {
    let mut text = String::from(USAGE_HEAD);
    text += &format!("OBJECT := {{ {} }}\n", objects().join(" | "));
    text += USAGE_OPTIONS;
    text += "\n";
    for entry in COMMANDS {
        let args = if entry.args.is_empty() {
            String::new()
        } else {
            format!(" {}", entry.args)
        };
        text += &format!("  rdmaipctl {}{args}\n", entry.name());
    }
    text += USAGE_TAIL;
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
OBJECT := { group | port | addr | module | monitor | help }
OPTIONS := { -j[son] | -p[retty] | -d[etails] | -V[ersion] | -h[elp] }

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
  rdmaipctl module show
  rdmaipctl module set peer-notify { on | off }
  rdmaipctl monitor

SETTINGS := [failback { on | off }] [failback-delay DURATION]
            [hold-down-max DURATION] [announce-count COUNT]
            [announce-interval DURATION]
DURATION := NUMBER{ms|s}, e.g. 300ms, 5s, 1.5s (a bare number is ms)
PORT := DEVICE/PORT, e.g. rxe0/1
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
        "module show",
        "module set peer-notify off",
        "monitor",
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
        // The shortest prefix of each object and verb that only it has.
        fn shortest<'a>(word: &'a str, choices: &[&str]) -> &'a str {
            (1..=word.len())
                .map(|n| &word[..n])
                .find(|p| choices.iter().filter(|c| c.starts_with(p)).count() == 1)
                .unwrap_or(word)
        }
        for (entry, example) in COMMANDS.iter().zip(EXAMPLES) {
            let object = shortest(entry.object, &objects());
            let mut words: Vec<String> = example.split_whitespace().map(String::from).collect();
            words[0] = object.to_string();
            if !entry.verb.is_empty() {
                words[1] = shortest(entry.verb, &verbs(entry.object)).to_string();
            }
            let parsed = parse(&words).unwrap_or_else(|e| panic!("{words:?}: {e}"));
            assert_eq!(parsed.entry, Some(entry), "{words:?}");
        }
    }

    #[test]
    fn objects_and_verbs_come_from_the_table() {
        assert_eq!(
            objects(),
            ["group", "port", "addr", "module", "monitor", "help"]
        );
        assert_eq!(object_list(), "group, port, addr, module or monitor");
        assert_eq!(verbs("group"), ["add", "del", "show", "set", "help"]);
        assert_eq!(
            verbs("port"),
            ["add", "del", "show", "drain", "undrain", "help"]
        );
        assert_eq!(verbs("addr"), ["show", "help"]);
        assert_eq!(verbs("module"), ["show", "set", "help"]);
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
        for line in ["help", "group help", "p h", "addr help x", "mon help", "-h"] {
            assert_eq!(entry_of(line), None, "{line}");
        }
        assert_eq!(entry_of("port").unwrap().name(), "port show");
        assert_eq!(entry_of("a").unwrap().name(), "addr show");
        assert_eq!(entry_of("mon").unwrap().name(), "monitor");
        assert_eq!(entry_of("mod").unwrap().name(), "module show");
    }
}
