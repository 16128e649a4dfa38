// SPDX-License-Identifier: GPL-2.0

//! The command line: `rdmaipctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]`,
//! in the style of iproute2's `ip`. Objects and commands may be
//! abbreviated to a prefix, which stands for the first word of a fixed
//! priority order that starts with it (`g s` is `group show`, see
//! `table.rs`); `show` is the default command.
//! Parsing is pure: it turns words into a `Command` or says which word is
//! wrong, and never touches the kernel.
//!
//! Which objects and commands exist, and how each one's arguments are
//! read, is the table of `table.rs`; this file has the parsing of options
//! and arguments, and one argument parser per command.

use std::fmt;
use std::net::IpAddr;

use crate::duration;
use crate::names::{check_group, check_port};
use crate::output::Format;
use crate::table::{self, CommandSpec, DEFAULT_VERB, HELP};

pub use crate::table::usage;

const SETTINGS: &str =
    "failback, failback-delay, hold-down-max, announce-count, announce-interval, \
     probe-targets, probe-interval, probe-misses, probe-successes";
const MODULE_SETTINGS: &str = "peer-notify";

/// A command line rdmaipctl cannot make sense of; the message says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Group settings; `None` leaves a setting at its default (group add) or
/// unchanged (group set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub failback: Option<bool>,
    pub failback_delay_ms: Option<u32>,
    pub hold_down_max_ms: Option<u32>,
    pub announce_count: Option<u32>,
    pub announce_interval_ms: Option<u32>,
    /// The probe targets, replacing the group's; `Some` of none turns
    /// probing off (`probe-targets none`).
    pub probe_targets: Option<Vec<IpAddr>>,
    pub probe_interval_ms: Option<u32>,
    pub probe_misses: Option<u32>,
    pub probe_successes: Option<u32>,
}

impl Settings {
    pub fn is_empty(&self) -> bool {
        *self == Settings::default()
    }
}

/// Module-wide settings; `None` leaves a setting unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleSettings {
    pub peer_notify: Option<bool>,
}

impl ModuleSettings {
    pub fn is_empty(&self) -> bool {
        *self == ModuleSettings::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `help`: the whole usage.
    Help,
    /// `OBJECT help`: the usage of one object's commands.
    ObjectHelp(&'static str),
    /// No object at all: the usage, on stderr, and exit status 255 (as
    /// `ip` does).
    Usage,
    Version,
    /// `-batch FILE`: the commands of FILE, one per line.
    Batch {
        file: String,
    },
    /// `config show`: the running configuration, as a file `config apply`
    /// reads.
    ConfigShow,
    /// `config apply FILE`: make the running configuration that of FILE.
    ConfigApply {
        file: String,
    },
    /// `config diff FILE`: the commands `config apply FILE` would run.
    ConfigDiff {
        file: String,
    },
    GroupAdd {
        name: String,
        settings: Settings,
    },
    GroupDel {
        name: String,
    },
    GroupShow {
        name: Option<String>,
    },
    GroupSet {
        name: String,
        settings: Settings,
        ports: Vec<String>,
    },
    PortAdd {
        ports: Vec<String>,
        group: String,
    },
    PortDel {
        ports: Vec<String>,
        group: Option<String>,
    },
    PortShow {
        port: Option<String>,
        group: Option<String>,
    },
    PortDrain {
        port: String,
    },
    PortUndrain {
        port: String,
    },
    AddrShow {
        group: Option<String>,
    },
    ProbeShow {
        group: Option<String>,
    },
    ModuleShow,
    ModuleSet {
        settings: ModuleSettings,
    },
    Monitor,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    pub details: bool,
    /// `-force`: `-batch` and `config apply` go on after an error.
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub options: Options,
    pub command: Command,
    /// The table's entry that parsed `command`, which carries it out;
    /// `None` for help, the usage, the version and `-batch`, which are
    /// not entries of the table.
    pub entry: Option<&'static CommandSpec>,
}

/// The choice `word` stands for, as iproute2's `matches()` chains decide
/// it: an exact match, else the first of `candidates` (in priority order:
/// the word typed, then the choice it stands for) that `word` is a prefix
/// of. `shown` is what the error for an unknown word lists.
pub(crate) fn pick<'a>(
    word: &str,
    candidates: &[(&str, &'a str)],
    shown: &[&str],
    what: &str,
) -> Result<&'a str, String> {
    let exact = candidates.iter().find(|(w, _)| *w == word);
    let prefix = || {
        candidates
            .iter()
            .find(|(w, _)| !word.is_empty() && w.starts_with(word))
    };
    match exact.or_else(prefix) {
        Some(&(_, choice)) => Ok(choice),
        None => Err(format!(
            "unknown {what} \"{word}\" (expected {})",
            shown.join(", ")
        )),
    }
}

/// The words after an object and command, consumed left to right.
pub struct Words<'a> {
    rest: std::slice::Iter<'a, String>,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Option<&'a str> {
        self.rest.next().map(String::as_str)
    }

    fn value_of(&mut self, keyword: &str) -> Result<&'a str, String> {
        self.next()
            .ok_or_else(|| format!("{keyword} needs a value"))
    }

    fn finish(&mut self) -> Result<(), String> {
        match self.next() {
            Some(extra) => Err(format!("unexpected argument \"{extra}\"")),
            None => Ok(()),
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, keyword: &str, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{keyword} given twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn on_off(keyword: &str, value: &str) -> Result<bool, String> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{keyword}: expected on or off, not \"{value}\"")),
    }
}

fn count(keyword: &str, value: &str) -> Result<u32, String> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{keyword}: expected a number, not \"{value}\""));
    }
    value.parse().map_err(|_| {
        format!(
            "{keyword}: expected a number up to {}, not \"{value}\"",
            u32::MAX
        )
    })
}

fn duration_ms(keyword: &str, value: &str) -> Result<u32, String> {
    duration::parse_ms(value).map_err(|e| format!("{keyword}: {e}"))
}

/// `ADDR[,ADDR]...` (IPv4 or IPv6), or `none`: no targets. How many, and
/// which unicast addresses, the kernel decides.
fn probe_targets(keyword: &str, value: &str) -> Result<Vec<IpAddr>, String> {
    if value == "none" {
        return Ok(Vec::new());
    }
    let mut targets: Vec<IpAddr> = Vec::new();
    for word in value.split(',') {
        let addr: IpAddr = word.parse().map_err(|_| {
            format!(
                "{keyword}: invalid address \"{word}\" (expected IPv4 or IPv6 addresses \
                 separated by commas, or none)"
            )
        })?;
        if targets.contains(&addr) {
            return Err(format!("{keyword}: {addr} given twice"));
        }
        targets.push(addr);
    }
    Ok(targets)
}

/// Reads one setting if `keyword` names one; `Ok(false)` if it does not.
fn setting(settings: &mut Settings, keyword: &str, words: &mut Words<'_>) -> Result<bool, String> {
    match keyword {
        "failback" => {
            let v = on_off(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.failback, keyword, v)?;
        }
        "failback-delay" => {
            let v = duration_ms(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.failback_delay_ms, keyword, v)?;
        }
        "hold-down-max" => {
            let v = duration_ms(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.hold_down_max_ms, keyword, v)?;
        }
        "announce-count" => {
            let v = count(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.announce_count, keyword, v)?;
        }
        "announce-interval" => {
            let v = duration_ms(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.announce_interval_ms, keyword, v)?;
        }
        "probe-targets" => {
            let v = probe_targets(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.probe_targets, keyword, v)?;
        }
        "probe-interval" => {
            let v = duration_ms(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.probe_interval_ms, keyword, v)?;
        }
        "probe-misses" => {
            let v = count(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.probe_misses, keyword, v)?;
        }
        "probe-successes" => {
            let v = count(keyword, words.value_of(keyword)?)?;
            set_once(&mut settings.probe_successes, keyword, v)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn group_name(words: &mut Words<'_>) -> Result<String, String> {
    let name = words.next().ok_or("missing group name")?;
    check_group(name)?;
    Ok(name.to_string())
}

fn port_name(word: &str) -> Result<String, String> {
    check_port(word)?;
    Ok(word.to_string())
}

fn group_keyword(words: &mut Words<'_>) -> Result<String, String> {
    let name = words.value_of("group")?;
    check_group(name)?;
    Ok(name.to_string())
}

/// Settings, and `port PORT` words where `ports_allowed`, in any order.
fn settings_and_ports(
    words: &mut Words<'_>,
    ports_allowed: bool,
) -> Result<(Settings, Vec<String>), String> {
    let mut settings = Settings::default();
    let mut ports = Vec::new();
    while let Some(word) = words.next() {
        if setting(&mut settings, word, words)? {
            continue;
        }
        if word == "port" && ports_allowed {
            ports.push(port_name(words.value_of(word)?)?);
            continue;
        }
        let expected = if ports_allowed {
            format!("{SETTINGS}, port")
        } else {
            SETTINGS.into()
        };
        return Err(format!("unknown argument \"{word}\" (expected {expected})"));
    }
    Ok((settings, ports))
}

/// `group add NAME [SETTINGS]`
pub(crate) fn group_add(words: &mut Words<'_>) -> Result<Command, String> {
    let name = group_name(words)?;
    let (settings, _) = settings_and_ports(words, false)?;
    Ok(Command::GroupAdd { name, settings })
}

/// `group set NAME [SETTINGS] [port PORT]...`
pub(crate) fn group_set(words: &mut Words<'_>) -> Result<Command, String> {
    let name = group_name(words)?;
    let (settings, ports) = settings_and_ports(words, true)?;
    if settings.is_empty() && ports.is_empty() {
        return Err(format!("nothing to set (give {SETTINGS} or port)"));
    }
    Ok(Command::GroupSet {
        name,
        settings,
        ports,
    })
}

/// `group del NAME`
pub(crate) fn group_del(words: &mut Words<'_>) -> Result<Command, String> {
    let name = group_name(words)?;
    words.finish()?;
    Ok(Command::GroupDel { name })
}

/// `group show [NAME]`
pub(crate) fn group_show(words: &mut Words<'_>) -> Result<Command, String> {
    let name = match words.next() {
        Some(n) => {
            check_group(n)?;
            Some(n.to_string())
        }
        None => None,
    };
    words.finish()?;
    Ok(Command::GroupShow { name })
}

/// Port names and an optional `group NAME`, in any order.
fn ports_and_group(words: &mut Words<'_>) -> Result<(Vec<String>, Option<String>), String> {
    let mut ports = Vec::new();
    let mut group = None;
    while let Some(word) = words.next() {
        if word == "group" {
            let name = group_keyword(words)?;
            set_once(&mut group, "group", name)?;
        } else {
            ports.push(port_name(word)?);
        }
    }
    Ok((ports, group))
}

fn one_port(words: &mut Words<'_>) -> Result<String, String> {
    let port = port_name(words.next().ok_or("missing port name")?)?;
    words.finish()?;
    Ok(port)
}

/// `port add PORT... group NAME`
pub(crate) fn port_add(words: &mut Words<'_>) -> Result<Command, String> {
    let (ports, group) = ports_and_group(words)?;
    if ports.is_empty() {
        return Err("missing port name".into());
    }
    let group = group.ok_or("missing group (port add PORT... group NAME)")?;
    Ok(Command::PortAdd { ports, group })
}

/// `port del PORT... [group NAME]`
pub(crate) fn port_del(words: &mut Words<'_>) -> Result<Command, String> {
    let (ports, group) = ports_and_group(words)?;
    if ports.is_empty() {
        return Err("missing port name".into());
    }
    Ok(Command::PortDel { ports, group })
}

/// `port show [PORT | group NAME]`
pub(crate) fn port_show(words: &mut Words<'_>) -> Result<Command, String> {
    let (mut ports, group) = ports_and_group(words)?;
    if ports.len() > 1 {
        return Err("give one port at most".into());
    }
    if !ports.is_empty() && group.is_some() {
        return Err("give a port or a group, not both".into());
    }
    Ok(Command::PortShow {
        port: ports.pop(),
        group,
    })
}

/// `port drain PORT`
pub(crate) fn port_drain(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::PortDrain {
        port: one_port(words)?,
    })
}

/// `port undrain PORT`
pub(crate) fn port_undrain(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::PortUndrain {
        port: one_port(words)?,
    })
}

/// `[group NAME]`
fn optional_group(words: &mut Words<'_>) -> Result<Option<String>, String> {
    let mut group = None;
    while let Some(word) = words.next() {
        if word != "group" {
            return Err(format!("unknown argument \"{word}\" (expected group)"));
        }
        let name = group_keyword(words)?;
        set_once(&mut group, "group", name)?;
    }
    Ok(group)
}

/// `addr show [group NAME]`
pub(crate) fn addr_show(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::AddrShow {
        group: optional_group(words)?,
    })
}

/// `probe show [group NAME]`
pub(crate) fn probe_show(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::ProbeShow {
        group: optional_group(words)?,
    })
}

/// `module show`
pub(crate) fn module_show(words: &mut Words<'_>) -> Result<Command, String> {
    words.finish()?;
    Ok(Command::ModuleShow)
}

/// `module set [peer-notify { on | off }]`
pub(crate) fn module_set(words: &mut Words<'_>) -> Result<Command, String> {
    let mut settings = ModuleSettings::default();
    while let Some(word) = words.next() {
        match word {
            "peer-notify" => {
                let v = on_off(word, words.value_of(word)?)?;
                set_once(&mut settings.peer_notify, word, v)?;
            }
            _ => {
                return Err(format!(
                    "unknown argument \"{word}\" (expected {MODULE_SETTINGS})"
                ))
            }
        }
    }
    if settings.is_empty() {
        return Err(format!("nothing to set (give {MODULE_SETTINGS})"));
    }
    Ok(Command::ModuleSet { settings })
}

/// `monitor`, which takes no arguments but `help`.
pub(crate) fn monitor(words: &mut Words<'_>) -> Result<Command, String> {
    match words.next() {
        None => Ok(Command::Monitor),
        Some(w) if pick(w, &[(HELP, HELP)], &[HELP], "command").is_ok() => {
            Ok(Command::ObjectHelp("monitor"))
        }
        Some(w) => Err(format!("unexpected argument \"{w}\"")),
    }
}

fn file_argument(words: &mut Words<'_>) -> Result<String, String> {
    let file = words.next().ok_or("missing file name (- for stdin)")?;
    words.finish()?;
    Ok(file.to_string())
}

/// `config show`
pub(crate) fn config_show(words: &mut Words<'_>) -> Result<Command, String> {
    words.finish()?;
    Ok(Command::ConfigShow)
}

/// `config apply FILE`
pub(crate) fn config_apply(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::ConfigApply {
        file: file_argument(words)?,
    })
}

/// `config diff FILE`
pub(crate) fn config_diff(words: &mut Words<'_>) -> Result<Command, String> {
    Ok(Command::ConfigDiff {
        file: file_argument(words)?,
    })
}

/// What the options say besides the output options.
enum Early {
    /// Answered without an object (`-V`, `-h`).
    Command(Command),
    /// `-batch FILE`.
    Batch(String),
}

/// Reads the options before the object; returns them and where the object is.
fn parse_options(args: &[String]) -> Result<(Options, Option<Early>, usize), UsageError> {
    let mut options = Options::default();
    let mut pretty = false;
    let mut json = false;
    let mut batch = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let letters: Vec<char> = match arg.as_str() {
            "--json" | "-json" => vec!['j'],
            "--pretty" | "-pretty" => vec!['p'],
            "--details" | "-details" => vec!['d'],
            "--version" | "-version" => vec!['V'],
            "--help" | "-help" => vec!['h'],
            "--force" | "-force" => {
                options.force = true;
                continue;
            }
            "-b" | "-batch" | "--batch" => {
                let file = args
                    .get(i)
                    .ok_or_else(|| UsageError(format!("{arg} needs a file name (- for stdin)")))?;
                i += 1;
                batch = Some(file.clone());
                continue;
            }
            a if a.starts_with('-') && !a.starts_with("--") && a.len() > 1 => {
                a[1..].chars().collect()
            }
            a if a.starts_with('-') => return Err(UsageError(format!("unknown option \"{a}\""))),
            _ => {
                i -= 1;
                break;
            }
        };
        for letter in letters {
            match letter {
                'j' => json = true,
                'p' => pretty = true,
                'd' => options.details = true,
                'V' => return Ok((options, Some(Early::Command(Command::Version)), args.len())),
                'h' => return Ok((options, Some(Early::Command(Command::Help)), args.len())),
                _ => return Err(UsageError(format!("unknown option \"{arg}\""))),
            }
        }
    }
    options.format = output_format(json, pretty);
    Ok((options, batch.map(Early::Batch), i))
}

/// `-p` alone means pretty JSON too: there is no pretty text.
fn output_format(json: bool, pretty: bool) -> Format {
    match (json, pretty) {
        (_, true) => Format::PrettyJson,
        (true, false) => Format::Json,
        (false, false) => Format::Text,
    }
}

/// The table's entry for the words after the options: an object, then a
/// command (`show` if none is given) unless the object is a command by
/// itself. `Err(command)` for help: the `help` object, or a `help` command.
fn lookup(words: &mut Words<'_>) -> Result<Result<&'static CommandSpec, Command>, UsageError> {
    let Some(object_word) = words.next() else {
        return Ok(Err(Command::Usage));
    };
    let object = pick(
        object_word,
        &table::object_candidates(),
        &table::objects(),
        "object",
    )
    .map_err(UsageError)?;
    if object == HELP {
        return Ok(Err(Command::Help));
    }
    let entries = table::entries_of(object);
    if let [single] = entries.as_slice() {
        if single.verb.is_empty() {
            return Ok(Ok(single));
        }
    }
    let verb = match words.next() {
        Some(word) => pick(
            word,
            &table::verb_candidates(object),
            &table::verbs(object),
            &format!("{object} command"),
        )
        .map_err(UsageError)?,
        None => DEFAULT_VERB,
    };
    if verb == HELP {
        return Ok(Err(Command::ObjectHelp(object)));
    }
    entries
        .into_iter()
        .find(|e| e.verb == verb)
        .map(Ok)
        .ok_or_else(|| UsageError(format!("missing {object} command")))
}

/// One command without options: `OBJECT [COMMAND [ARGUMENTS]]`, as the
/// command line has it after the options and a `-batch` file has it on a
/// line. The entry is `None` for the commands that are not in the table
/// (help, the usage).
pub fn parse_command(
    args: &[String],
) -> Result<(Command, Option<&'static CommandSpec>), UsageError> {
    let mut words = Words { rest: args.iter() };
    let entry = match lookup(&mut words)? {
        Ok(entry) => entry,
        Err(command) => return Ok((command, None)),
    };
    let command =
        (entry.parse)(&mut words).map_err(|e| UsageError(format!("{}: {e}", entry.name())))?;
    // `monitor help` is help too.
    let entry = (!matches!(command, Command::ObjectHelp(_))).then_some(entry);
    Ok((command, entry))
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Invocation, UsageError> {
    let (options, early, at) = parse_options(args)?;
    match early {
        Some(Early::Command(command)) => {
            return Ok(Invocation {
                options,
                command,
                entry: None,
            })
        }
        Some(Early::Batch(file)) => {
            if let Some(extra) = args.get(at) {
                return Err(UsageError(format!(
                    "unexpected argument \"{extra}\" after -batch {file}"
                )));
            }
            return Ok(Invocation {
                options,
                command: Command::Batch { file },
                entry: None,
            });
        }
        None => {}
    }
    let (command, entry) = parse_command(&args[at..])?;
    Ok(Invocation {
        options,
        command,
        entry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<Invocation, UsageError> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    fn command(line: &str) -> Command {
        run(line).unwrap_or_else(|e| panic!("{line}: {e}")).command
    }

    fn error(line: &str) -> String {
        match run(line) {
            Ok(i) => panic!("{line}: parsed as {i:?}"),
            Err(e) => e.0,
        }
    }

    fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        f(&mut s);
        s
    }

    #[test]
    fn group_add_with_defaults_and_settings() {
        assert_eq!(
            command("group add g0"),
            Command::GroupAdd {
                name: "g0".into(),
                settings: Settings::default()
            }
        );
        assert_eq!(
            command("group add g0 failback off failback-delay 5s hold-down-max 1.5s announce-count 7 announce-interval 300ms"),
            Command::GroupAdd {
                name: "g0".into(),
                settings: settings(|s| {
                    s.failback = Some(false);
                    s.failback_delay_ms = Some(5000);
                    s.hold_down_max_ms = Some(1500);
                    s.announce_count = Some(7);
                    s.announce_interval_ms = Some(300);
                })
            }
        );
    }

    #[test]
    fn group_commands() {
        assert_eq!(
            command("group del g0"),
            Command::GroupDel { name: "g0".into() }
        );
        assert_eq!(
            command("group show g0"),
            Command::GroupShow {
                name: Some("g0".into())
            }
        );
        assert_eq!(command("group show"), Command::GroupShow { name: None });
        assert_eq!(command("group"), Command::GroupShow { name: None });
        assert_eq!(command("group help"), Command::ObjectHelp("group"));
    }

    #[test]
    fn group_set_settings_and_ports() {
        assert_eq!(
            command("group set g0 failback-delay 2s"),
            Command::GroupSet {
                name: "g0".into(),
                settings: settings(|s| s.failback_delay_ms = Some(2000)),
                ports: vec![]
            }
        );
        assert_eq!(
            command("group set g0 port rxe0/1 port rxe1/1 failback on"),
            Command::GroupSet {
                name: "g0".into(),
                settings: settings(|s| s.failback = Some(true)),
                ports: vec!["rxe0/1".into(), "rxe1/1".into()]
            }
        );
    }

    #[test]
    fn port_commands() {
        assert_eq!(
            command("port add rxe0/1 group g0"),
            Command::PortAdd {
                ports: vec!["rxe0/1".into()],
                group: "g0".into()
            }
        );
        assert_eq!(
            command("port add group g0 rxe0/1 rxe1/1"),
            Command::PortAdd {
                ports: vec!["rxe0/1".into(), "rxe1/1".into()],
                group: "g0".into()
            }
        );
        assert_eq!(
            command("port del rxe0/1"),
            Command::PortDel {
                ports: vec!["rxe0/1".into()],
                group: None
            }
        );
        assert_eq!(
            command("port del rxe0/1 group g0"),
            Command::PortDel {
                ports: vec!["rxe0/1".into()],
                group: Some("g0".into())
            }
        );
        assert_eq!(
            command("port"),
            Command::PortShow {
                port: None,
                group: None
            }
        );
        assert_eq!(
            command("port show rxe0/1"),
            Command::PortShow {
                port: Some("rxe0/1".into()),
                group: None
            }
        );
        assert_eq!(
            command("port show group g0"),
            Command::PortShow {
                port: None,
                group: Some("g0".into())
            }
        );
        assert_eq!(
            command("port drain rxe0/1"),
            Command::PortDrain {
                port: "rxe0/1".into()
            }
        );
        assert_eq!(
            command("port undrain rxe0/1"),
            Command::PortUndrain {
                port: "rxe0/1".into()
            }
        );
        assert_eq!(command("port help"), Command::ObjectHelp("port"));
        // A port may be named by its netdev; `netdev::Resolver` turns it
        // into DEVICE/PORT before anything is sent.
        assert_eq!(
            command("port add eth1 rxe0/1 group g0"),
            Command::PortAdd {
                ports: vec!["eth1".into(), "rxe0/1".into()],
                group: "g0".into()
            }
        );
        assert_eq!(
            command("port show eth1"),
            Command::PortShow {
                port: Some("eth1".into()),
                group: None
            }
        );
        assert_eq!(
            command("port drain eth1"),
            Command::PortDrain {
                port: "eth1".into()
            }
        );
    }

    #[test]
    fn addr_and_monitor() {
        assert_eq!(command("addr"), Command::AddrShow { group: None });
        assert_eq!(
            command("addr show group g0"),
            Command::AddrShow {
                group: Some("g0".into())
            }
        );
        assert_eq!(command("addr help"), Command::ObjectHelp("addr"));
        assert_eq!(command("monitor"), Command::Monitor);
        assert_eq!(command("mon help"), Command::ObjectHelp("monitor"));
        assert_eq!(command("help"), Command::Help);
    }

    #[test]
    fn abbreviations() {
        assert_eq!(command("g a g0"), command("group add g0"));
        assert_eq!(command("gr sh"), Command::GroupShow { name: None });
        assert_eq!(
            command("p dr rxe0/1"),
            Command::PortDrain {
                port: "rxe0/1".into()
            }
        );
        assert_eq!(
            command("p u rxe0/1"),
            Command::PortUndrain {
                port: "rxe0/1".into()
            }
        );
        assert_eq!(command("a s"), Command::AddrShow { group: None });
        assert_eq!(command("mon"), Command::Monitor);
        assert_eq!(command("mod"), Command::ModuleShow);
        assert_eq!(command("mod sh"), Command::ModuleShow);
        assert_eq!(
            command("mod se peer-notify on"),
            command("module set peer-notify on")
        );
        assert_eq!(command("h"), Command::Help);
    }

    #[test]
    fn options() {
        let i = run("-j group").unwrap();
        assert_eq!(i.options.format, Format::Json);
        assert!(!i.options.details);
        let i = run("-j -p -d port").unwrap();
        assert_eq!(i.options.format, Format::PrettyJson);
        assert!(i.options.details);
        assert_eq!(
            run("-jd port").unwrap().options,
            run("-j -d port").unwrap().options
        );
        assert_eq!(
            run("--json --details addr").unwrap().options,
            run("-jd addr").unwrap().options
        );
        assert_eq!(
            run("-json -details addr").unwrap().options,
            run("-jd addr").unwrap().options
        );
        assert_eq!(run("-p group").unwrap().options.format, Format::PrettyJson);
        assert_eq!(
            run("--pretty group").unwrap().options.format,
            Format::PrettyJson
        );
        assert_eq!(run("group").unwrap().options.format, Format::Text);
        assert_eq!(command("-V"), Command::Version);
        assert_eq!(command("--version"), Command::Version);
        assert_eq!(command("-h"), Command::Help);
        assert_eq!(command("-j --help"), Command::Help);
    }

    #[test]
    fn option_errors() {
        assert_eq!(error("-x group"), "unknown option \"-x\"");
        assert_eq!(error("-jx group"), "unknown option \"-jx\"");
        assert_eq!(
            error("--frobnicate group"),
            "unknown option \"--frobnicate\""
        );
        assert_eq!(error("-- group"), "unknown option \"--\"");
    }

    #[test]
    fn object_and_command_errors() {
        assert_eq!(
            error("link show"),
            "unknown object \"link\" (expected group, port, addr, probe, module, monitor, config, help)"
        );
        assert_eq!(
            error("group frob"),
            "unknown group command \"frob\" (expected add, del, show, set, help)"
        );
        assert_eq!(
            error("port x rxe0/1"),
            "unknown port command \"x\" (expected add, del, show, drain, undrain, help)"
        );
        assert_eq!(
            error("addr add 1.2.3.4"),
            "unknown addr command \"add\" (expected show, help)"
        );
        assert_eq!(error("monitor now"), "monitor: unexpected argument \"now\"");
    }

    #[test]
    fn group_argument_errors() {
        assert_eq!(error("group add"), "group add: missing group name");
        assert!(
            error("group add bad/name").starts_with("group add: invalid group name \"bad/name\"")
        );
        assert!(error("group add sixteen_chars_xx").contains("1 to 15 characters"));
        assert_eq!(
            error("group add g0 colour red"),
            "group add: unknown argument \"colour\" (expected failback, failback-delay, hold-down-max, \
             announce-count, announce-interval, probe-targets, probe-interval, probe-misses, \
             probe-successes)"
        );
        assert!(error("group add g0 port rxe0/1").contains("unknown argument \"port\""));
        assert_eq!(
            error("group add g0 failback"),
            "group add: failback needs a value"
        );
        assert_eq!(
            error("group add g0 failback maybe"),
            "group add: failback: expected on or off, not \"maybe\""
        );
        assert_eq!(
            error("group add g0 failback on failback off"),
            "group add: failback given twice"
        );
        assert_eq!(
            error("group add g0 failback-delay 5x"),
            "group add: failback-delay: invalid duration \"5x\": expected a number followed by ms, s, m or h"
        );
        assert!(
            error("group add g0 hold-down-max 1.5ms").contains("hold-down-max: invalid duration")
        );
        assert!(error("group add g0 announce-interval x")
            .contains("announce-interval: invalid duration"));
        assert_eq!(
            error("group add g0 announce-count -1"),
            "group add: announce-count: expected a number, not \"-1\""
        );
        assert!(error("group add g0 announce-count 99999999999")
            .contains("expected a number up to 4294967295"));
        assert_eq!(
            error("group add g0 announce-count 1 announce-count 2"),
            "group add: announce-count given twice"
        );
        assert_eq!(
            error("group add g0 failback-delay 1s failback-delay 2s"),
            "group add: failback-delay given twice"
        );
        assert_eq!(
            error("group add g0 hold-down-max 1s hold-down-max 2s"),
            "group add: hold-down-max given twice"
        );
        assert_eq!(
            error("group add g0 announce-interval 1s announce-interval 2s"),
            "group add: announce-interval given twice"
        );
    }

    #[test]
    fn probe_settings() {
        assert_eq!(
            command(
                "group add g0 probe-targets 10.1.0.2,fd00:1::2 probe-interval 200ms \
                 probe-misses 4 probe-successes 1"
            ),
            Command::GroupAdd {
                name: "g0".into(),
                settings: settings(|s| {
                    s.probe_targets = Some(vec![
                        "10.1.0.2".parse().unwrap(),
                        "fd00:1::2".parse().unwrap(),
                    ]);
                    s.probe_interval_ms = Some(200);
                    s.probe_misses = Some(4);
                    s.probe_successes = Some(1);
                })
            }
        );
        assert_eq!(
            command("group set g0 probe-targets none"),
            Command::GroupSet {
                name: "g0".into(),
                settings: settings(|s| s.probe_targets = Some(vec![])),
                ports: vec![],
            }
        );
        assert_eq!(
            command("group set g0 probe-interval 1.5s port rxe0/1"),
            Command::GroupSet {
                name: "g0".into(),
                settings: settings(|s| s.probe_interval_ms = Some(1500)),
                ports: vec!["rxe0/1".into()],
            }
        );
        // Out of range is the kernel's to say (its extack names the range).
        assert_eq!(
            command("group set g0 probe-misses 0 probe-successes 1000"),
            Command::GroupSet {
                name: "g0".into(),
                settings: settings(|s| {
                    s.probe_misses = Some(0);
                    s.probe_successes = Some(1000);
                }),
                ports: vec![],
            }
        );
    }

    #[test]
    fn probe_setting_errors() {
        let bad = |word: &str| {
            format!(
                "group set: probe-targets: invalid address \"{word}\" (expected IPv4 or IPv6 \
                 addresses separated by commas, or none)"
            )
        };
        assert_eq!(error("group set g0 probe-targets 10.1.0"), bad("10.1.0"));
        assert_eq!(
            error("group set g0 probe-targets 10.1.0.2,peer"),
            bad("peer")
        );
        assert_eq!(error("group set g0 probe-targets 10.1.0.2,"), bad(""));
        assert_eq!(
            error("group set g0 probe-targets fe80::1%eth0"),
            bad("fe80::1%eth0")
        );
        assert_eq!(
            error("group set g0 probe-targets 10.1.0.2/24"),
            bad("10.1.0.2/24")
        );
        assert_eq!(
            error("group set g0 probe-targets none,10.1.0.2"),
            bad("none")
        );
        assert_eq!(
            error("group set g0 probe-targets 10.1.0.2,10.1.0.2"),
            "group set: probe-targets: 10.1.0.2 given twice"
        );
        assert_eq!(
            error("group add g0 probe-targets"),
            "group add: probe-targets needs a value"
        );
        assert_eq!(
            error("group add g0 probe-targets none probe-targets 10.1.0.2"),
            "group add: probe-targets given twice"
        );
        assert_eq!(
            error("group add g0 probe-interval 100us"),
            "group add: probe-interval: invalid duration \"100us\": expected a number followed by ms, s, m or h"
        );
        assert_eq!(
            error("group add g0 probe-misses three"),
            "group add: probe-misses: expected a number, not \"three\""
        );
        assert_eq!(
            error("group add g0 probe-successes -1"),
            "group add: probe-successes: expected a number, not \"-1\""
        );
        assert_eq!(
            error("group add g0 probe-misses 3 probe-misses 4"),
            "group add: probe-misses given twice"
        );
    }

    #[test]
    fn probe_show() {
        assert_eq!(command("probe"), Command::ProbeShow { group: None });
        assert_eq!(
            command("probe show group g0"),
            Command::ProbeShow {
                group: Some("g0".into())
            }
        );
        assert_eq!(command("pr s group g0"), command("probe show group g0"));
        assert_eq!(command("probe ls"), Command::ProbeShow { group: None });
        assert_eq!(command("probe help"), Command::ObjectHelp("probe"));
        assert_eq!(command("p"), command("port show"));
        assert_eq!(
            error("probe show g0"),
            "probe show: unknown argument \"g0\" (expected group)"
        );
        assert_eq!(error("probe show group"), "probe show: group needs a value");
        assert_eq!(
            error("probe del"),
            "unknown probe command \"del\" (expected show, help)"
        );
    }

    #[test]
    fn group_set_del_show_errors() {
        assert!(error("group set g0").starts_with("group set: nothing to set"));
        assert_eq!(error("group set g0 port"), "group set: port needs a value");
        assert!(error("group set g0 port rxe0/x").contains("invalid port name \"rxe0/x\""));
        assert!(error("group set g0 frob 1").contains("(expected failback, failback-delay, hold-down-max, announce-count, announce-interval, probe-targets, probe-interval, probe-misses, probe-successes, port)"));
        assert_eq!(error("group del"), "group del: missing group name");
        assert_eq!(
            error("group del g0 g1"),
            "group del: unexpected argument \"g1\""
        );
        assert_eq!(
            error("group show g0 g1"),
            "group show: unexpected argument \"g1\""
        );
        assert!(error("group show g!").contains("invalid group name"));
    }

    #[test]
    fn port_argument_errors() {
        assert_eq!(error("port add group g0"), "port add: missing port name");
        assert_eq!(
            error("port add rxe0/1"),
            "port add: missing group (port add PORT... group NAME)"
        );
        assert_eq!(
            error("port add rxe0/1 group"),
            "port add: group needs a value"
        );
        assert!(error("port add rxe0/1 group g!").contains("invalid group name"));
        assert_eq!(
            error("port add rxe0/1 group g0 group g1"),
            "port add: group given twice"
        );
        assert_eq!(
            error("port add eth0:1 group g0"),
            "port add: invalid port name \"eth0:1\": expected DEVICE/PORT, e.g. rxe0/1, \
             or a netdev, e.g. eth2"
        );
        assert_eq!(error("port del"), "port del: missing port name");
        assert_eq!(
            error("port show rxe0/1 rxe1/1"),
            "port show: give one port at most"
        );
        assert_eq!(
            error("port show rxe0/1 group g0"),
            "port show: give a port or a group, not both"
        );
        assert_eq!(error("port drain"), "port drain: missing port name");
        assert_eq!(
            error("port drain rxe0/1 rxe1/1"),
            "port drain: unexpected argument \"rxe1/1\""
        );
        assert!(error("port undrain rxe0/0").contains("invalid port name"));
    }

    #[test]
    fn addr_argument_errors() {
        assert_eq!(
            error("addr show g0"),
            "addr show: unknown argument \"g0\" (expected group)"
        );
        assert_eq!(error("addr show group"), "addr show: group needs a value");
        assert_eq!(
            error("addr show group g0 group g1"),
            "addr show: group given twice"
        );
    }

    #[test]
    fn module_commands() {
        assert_eq!(command("module"), Command::ModuleShow);
        assert_eq!(command("module show"), Command::ModuleShow);
        assert_eq!(command("module help"), Command::ObjectHelp("module"));
        assert_eq!(
            command("module set peer-notify on"),
            Command::ModuleSet {
                settings: ModuleSettings {
                    peer_notify: Some(true)
                }
            }
        );
        assert_eq!(
            command("module set peer-notify off"),
            Command::ModuleSet {
                settings: ModuleSettings {
                    peer_notify: Some(false)
                }
            }
        );
        let i = run("-j -d module").unwrap();
        assert_eq!(i.options.format, Format::Json);
        assert!(i.options.details);
    }

    #[test]
    fn module_argument_errors() {
        assert_eq!(
            error("module set"),
            "module set: nothing to set (give peer-notify)"
        );
        assert_eq!(
            error("module set peer-notify"),
            "module set: peer-notify needs a value"
        );
        assert_eq!(
            error("module set peer-notify maybe"),
            "module set: peer-notify: expected on or off, not \"maybe\""
        );
        assert_eq!(
            error("module set peer-notify 1"),
            "module set: peer-notify: expected on or off, not \"1\""
        );
        assert_eq!(
            error("module set peer-notify on peer-notify off"),
            "module set: peer-notify given twice"
        );
        assert_eq!(
            error("module set failback on"),
            "module set: unknown argument \"failback\" (expected peer-notify)"
        );
        assert_eq!(
            error("module show rdmaip"),
            "module show: unexpected argument \"rdmaip\""
        );
        assert_eq!(
            error("module frob"),
            "unknown module command \"frob\" (expected show, set, help)"
        );
        assert_eq!(command("module s"), Command::ModuleShow);
    }

    #[test]
    fn pick_rules() {
        let c = [("del", "del"), ("drain", "drain"), ("delete", "del")];
        assert_eq!(pick("del", &c, &[], "x"), Ok("del"));
        assert_eq!(pick("d", &c, &[], "x"), Ok("del"));
        assert_eq!(pick("dr", &c, &[], "x"), Ok("drain"));
        assert_eq!(pick("dele", &c, &[], "x"), Ok("del"));
        assert!(pick("", &c, &[], "x").is_err());
        assert!(pick("z", &[], &[], "x").is_err());
        assert_eq!(
            pick("z", &c, &["del", "drain"], "thing"),
            Err("unknown thing \"z\" (expected del, drain)".into())
        );
        // An exact name wins over an earlier candidate it is a prefix of.
        let c = [("shows", "shows"), ("show", "show")];
        assert_eq!(pick("show", &c, &[], "x"), Ok("show"));
    }

    #[test]
    fn abbreviations_follow_the_priority_order() {
        // rdmaipctl(8)'s example: g is group, s is show (before set).
        assert_eq!(command("g s"), Command::GroupShow { name: None });
        assert_eq!(
            command("g se g0 failback on"),
            command("group set g0 failback on")
        );
        assert_eq!(command("p d rxe0/1"), command("port del rxe0/1"));
        assert_eq!(command("p dr rxe0/1"), command("port drain rxe0/1"));
        assert_eq!(command("mod s"), Command::ModuleShow);
        assert_eq!(command("m"), Command::ModuleShow);
        assert_eq!(command("mo"), Command::ModuleShow);
        assert_eq!(command("mon"), Command::Monitor);
        assert_eq!(command("c"), Command::ConfigShow);
        assert_eq!(command("c a f.conf"), command("config apply f.conf"));
        assert_eq!(command("c d f.conf"), command("config diff f.conf"));
        assert_eq!(command("h"), Command::Help);
    }

    #[test]
    fn synonyms() {
        for show in ["list", "ls", "lst", "l", "li"] {
            assert_eq!(
                command(&format!("group {show}")),
                Command::GroupShow { name: None }
            );
            assert_eq!(
                command(&format!("addr {show}")),
                Command::AddrShow { group: None }
            );
        }
        assert_eq!(command("port ls group g0"), command("port show group g0"));
        assert_eq!(command("module list"), Command::ModuleShow);
        assert_eq!(command("config ls"), Command::ConfigShow);
        assert_eq!(command("group delete g0"), command("group del g0"));
        assert_eq!(command("port delete rxe0/1"), command("port del rxe0/1"));
        assert_eq!(command("p dele rxe0/1"), command("port del rxe0/1"));
        assert_eq!(
            error("addr delete"),
            "unknown addr command \"delete\" (expected show, help)"
        );
    }

    #[test]
    fn help_per_object() {
        for object in [
            "group", "port", "addr", "probe", "module", "monitor", "config",
        ] {
            assert_eq!(
                command(&format!("{object} help")),
                Command::ObjectHelp(object)
            );
            assert_eq!(run(&format!("{object} help")).unwrap().entry, None);
        }
        assert_eq!(command("g h"), Command::ObjectHelp("group"));
        assert_eq!(command("mon h"), Command::ObjectHelp("monitor"));
        assert_eq!(command("help"), Command::Help);
        assert_eq!(command("help group"), Command::Help);
    }

    #[test]
    fn no_object_is_the_usage() {
        assert_eq!(command(""), Command::Usage);
        assert_eq!(command("-j"), Command::Usage);
        assert_eq!(run("").unwrap().entry, None);
    }

    #[test]
    fn batch_and_force() {
        let i = run("-batch /etc/rdmaip.conf").unwrap();
        assert_eq!(
            i.command,
            Command::Batch {
                file: "/etc/rdmaip.conf".into()
            }
        );
        assert!(!i.options.force);
        let i = run("-force -b -").unwrap();
        assert_eq!(i.command, Command::Batch { file: "-".into() });
        assert!(i.options.force);
        assert!(run("--batch f --force").unwrap().options.force);
        assert!(run("-j -batch f").unwrap().options.format == Format::Json);
        assert!(run("-force group add g0").unwrap().options.force);
        assert_eq!(error("-batch"), "-batch needs a file name (- for stdin)");
        assert_eq!(
            error("-batch f group show"),
            "unexpected argument \"group\" after -batch f"
        );
    }

    #[test]
    fn config_commands() {
        assert_eq!(command("config"), Command::ConfigShow);
        assert_eq!(command("config show"), Command::ConfigShow);
        assert_eq!(
            command("config apply -"),
            Command::ConfigApply { file: "-".into() }
        );
        assert_eq!(
            error("config apply"),
            "config apply: missing file name (- for stdin)"
        );
        assert_eq!(
            error("config apply a b"),
            "config apply: unexpected argument \"b\""
        );
        assert_eq!(
            error("config show x"),
            "config show: unexpected argument \"x\""
        );
    }

    #[test]
    fn durations_in_minutes_and_hours() {
        assert_eq!(
            command("group add g0 failback-delay 1m hold-down-max 0.5h"),
            Command::GroupAdd {
                name: "g0".into(),
                settings: settings(|s| {
                    s.failback_delay_ms = Some(60_000);
                    s.hold_down_max_ms = Some(1_800_000);
                })
            }
        );
    }

    #[test]
    fn usage_mentions_every_command() {
        let usage = usage();
        for word in [
            "group add",
            "group del",
            "group show",
            "group set",
            "port add",
            "port del",
            "port show",
            "port drain",
            "port undrain",
            "addr show",
            "module show",
            "module set",
            "monitor",
        ] {
            assert!(usage.contains(&format!("rdmaipctl {word}")), "{word}");
        }
    }
}
