// SPDX-License-Identifier: GPL-2.0

//! The configuration file, and making the running configuration that of
//! a file.
//!
//! A file is rdmaipctl commands, one per line, without the word
//! `rdmaipctl` (as `ip -batch` reads them); `#` starts a comment that runs
//! to the end of the line. A configuration file may only have the commands
//! that build a configuration, each group added before it is used:
//!
//! ```text
//! module set peer-notify on
//! group add g0 failback-delay 5s hold-down-max 60s
//! port add rxe0/1 rxe1/1 group g0
//! ```
//!
//! so that it is also a `-batch` script that builds the same configuration
//! on a module that has none.
//!
//! A port may be named by its netdev (`port add eth1 group g0`) where
//! exactly one RDMA port has that netdev: the file is read as if it named
//! that port `<device>/<port>` (`rxe1/1`), so it compares equal to the
//! running configuration, which `config show` prints with
//! `<device>/<port>` names. A netdev that no RDMA port, or several, use is
//! a bad line.
//!
//! `config apply` is declarative: the file is the whole configuration. A
//! group's settings that the file does not give are the defaults; groups
//! and members the file does not have are removed. It reads the running
//! configuration, computes the requests that turn it into the file's
//! (`plan`), and sends only those: a port that stays in its group is not
//! touched, so its addresses do not move. `config show` prints the running
//! configuration in the same format, every setting spelled out, so that
//! `config show > FILE; config apply FILE` changes nothing; the probe
//! settings (`probe-targets`, `probe-interval`, `probe-misses`,
//! `probe-successes`) are left out of a group that does not probe and has
//! them at their defaults, as they are then what applying the line sets.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::cli::{self, Command, ModuleSettings, Settings};
use crate::commands::{read_input, Ctx};
use crate::duration::format_ms;
use crate::error::Error;
use crate::model::{Group, Module};
use crate::netdev::Resolver;
use crate::netlink::attr::DecodeError;
use crate::netlink::session::SessionError;
use crate::requests;
use crate::uapi::defines;

/// One line of a file that has a command: its number (from 1) and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub words: Vec<String>,
}

/// The lines of `text` that have words, without comments.
pub fn lines(text: &str) -> Vec<Line> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let words: Vec<String> = raw
                .split_whitespace()
                .take_while(|w| !w.starts_with('#'))
                .map(String::from)
                .collect();
            (!words.is_empty()).then_some(Line {
                number: i + 1,
                words,
            })
        })
        .collect()
}

/// A group as configured: its settings and member ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupConfig {
    pub settings: Settings,
    pub ports: BTreeSet<String>,
}

/// A whole configuration: the module's settings and the groups by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub module: ModuleSettings,
    pub groups: BTreeMap<String, GroupConfig>,
}

/// The settings a group gets when `group add` gives none.
pub fn default_settings() -> Settings {
    let ms = |v: i64| u32::try_from(v).ok();
    Settings {
        failback: Some(defines::RDMAIP_FAILBACK_DEFAULT != 0),
        failback_delay_ms: ms(defines::RDMAIP_FAILBACK_DELAY_MS_DEFAULT),
        hold_down_max_ms: ms(defines::RDMAIP_HOLD_DOWN_MAX_MS_DEFAULT),
        announce_count: ms(defines::RDMAIP_ANNOUNCE_COUNT_DEFAULT),
        announce_interval_ms: ms(defines::RDMAIP_ANNOUNCE_INTERVAL_MS_DEFAULT),
        // Probing is off until targets are given.
        probe_targets: Some(Vec::new()),
        probe_interval_ms: ms(defines::RDMAIP_PROBE_INTERVAL_MS_DEFAULT),
        probe_misses: ms(defines::RDMAIP_PROBE_MISSES_DEFAULT),
        probe_successes: ms(defines::RDMAIP_PROBE_SUCCESSES_DEFAULT),
    }
}

/// The module's settings when it loads.
pub fn default_module() -> ModuleSettings {
    ModuleSettings {
        peer_notify: Some(defines::RDMAIP_PEER_NOTIFY_DEFAULT != 0),
    }
}

/// `settings` with what it does not give taken from `base`.
fn over(settings: &Settings, base: &Settings) -> Settings {
    Settings {
        failback: settings.failback.or(base.failback),
        failback_delay_ms: settings.failback_delay_ms.or(base.failback_delay_ms),
        hold_down_max_ms: settings.hold_down_max_ms.or(base.hold_down_max_ms),
        announce_count: settings.announce_count.or(base.announce_count),
        announce_interval_ms: settings.announce_interval_ms.or(base.announce_interval_ms),
        probe_targets: settings
            .probe_targets
            .clone()
            .or_else(|| base.probe_targets.clone()),
        probe_interval_ms: settings.probe_interval_ms.or(base.probe_interval_ms),
        probe_misses: settings.probe_misses.or(base.probe_misses),
        probe_successes: settings.probe_successes.or(base.probe_successes),
    }
}

/// The settings of `wanted` that `running` does not have.
fn changed(wanted: &Settings, running: &Settings) -> Settings {
    fn differs<T: PartialEq + Copy>(w: Option<T>, r: Option<T>) -> Option<T> {
        w.filter(|_| w != r)
    }
    Settings {
        failback: differs(wanted.failback, running.failback),
        failback_delay_ms: differs(wanted.failback_delay_ms, running.failback_delay_ms),
        hold_down_max_ms: differs(wanted.hold_down_max_ms, running.hold_down_max_ms),
        announce_count: differs(wanted.announce_count, running.announce_count),
        announce_interval_ms: differs(wanted.announce_interval_ms, running.announce_interval_ms),
        // The same targets in another order are the same targets.
        probe_targets: wanted
            .probe_targets
            .clone()
            .filter(|w| Some(sorted(w)) != running.probe_targets.as_deref().map(sorted)),
        probe_interval_ms: differs(wanted.probe_interval_ms, running.probe_interval_ms),
        probe_misses: differs(wanted.probe_misses, running.probe_misses),
        probe_successes: differs(wanted.probe_successes, running.probe_successes),
    }
}

fn sorted(addrs: &[IpAddr]) -> Vec<IpAddr> {
    let mut addrs = addrs.to_vec();
    addrs.sort();
    addrs
}

/// `settings` without the probe settings if the group does not probe and
/// they are the defaults: what `config show` prints.
fn shown(settings: &Settings) -> Settings {
    let defaults = default_settings();
    let probe = |s: &Settings| {
        (
            s.probe_targets.clone(),
            s.probe_interval_ms,
            s.probe_misses,
            s.probe_successes,
        )
    };
    let mut s = settings.clone();
    if probe(&s) == probe(&defaults) {
        s.probe_targets = None;
        s.probe_interval_ms = None;
        s.probe_misses = None;
        s.probe_successes = None;
    }
    s
}

impl Config {
    /// The configuration with every setting it leaves out at its default:
    /// what the module runs once the file is applied.
    pub fn complete(&self) -> Config {
        let defaults = default_settings();
        Config {
            module: ModuleSettings {
                peer_notify: self.module.peer_notify.or(default_module().peer_notify),
            },
            groups: self
                .groups
                .iter()
                .map(|(name, g)| {
                    let group = GroupConfig {
                        settings: over(&g.settings, &defaults),
                        ports: g.ports.clone(),
                    };
                    (name.clone(), group)
                })
                .collect(),
        }
    }
}

/// Merges `new` into `slot`, refusing a setting given twice.
fn merge(slot: &mut Settings, new: &Settings, group: &str) -> Result<(), String> {
    fn one<T>(slot: &mut Option<T>, new: Option<T>, what: &str, group: &str) -> Result<(), String> {
        match (slot.is_some(), new) {
            (true, Some(_)) => Err(format!("{what} of group {group} is already set above")),
            (_, Some(v)) => {
                *slot = Some(v);
                Ok(())
            }
            (_, None) => Ok(()),
        }
    }
    one(&mut slot.failback, new.failback, "failback", group)?;
    one(
        &mut slot.failback_delay_ms,
        new.failback_delay_ms,
        "failback-delay",
        group,
    )?;
    one(
        &mut slot.hold_down_max_ms,
        new.hold_down_max_ms,
        "hold-down-max",
        group,
    )?;
    one(
        &mut slot.announce_count,
        new.announce_count,
        "announce-count",
        group,
    )?;
    one(
        &mut slot.announce_interval_ms,
        new.announce_interval_ms,
        "announce-interval",
        group,
    )?;
    one(
        &mut slot.probe_targets,
        new.probe_targets.clone(),
        "probe-targets",
        group,
    )?;
    one(
        &mut slot.probe_interval_ms,
        new.probe_interval_ms,
        "probe-interval",
        group,
    )?;
    one(
        &mut slot.probe_misses,
        new.probe_misses,
        "probe-misses",
        group,
    )?;
    one(
        &mut slot.probe_successes,
        new.probe_successes,
        "probe-successes",
        group,
    )
}

/// Puts `ports` in `group`, added above, on line `number`; `placed` says
/// where each port was put.
fn place(
    config: &mut Config,
    placed: &mut BTreeMap<String, (usize, String)>,
    ports: &[String],
    group: &str,
    number: usize,
) -> Result<(), String> {
    let Some(members) = config.groups.get_mut(group) else {
        let first = format!("group add {group} must come first");
        return Err(format!("group {group} is not added above ({first})"));
    };
    for port in ports {
        if let Some((at, other)) = placed.get(port) {
            return Err(format!(
                "port {port} is already in group {other} (line {at})"
            ));
        }
        placed.insert(port.clone(), (number, group.to_string()));
        members.ports.insert(port.clone());
    }
    Ok(())
}

/// What a configuration file must be built of.
const CONFIG_COMMANDS: &str = "group add, group set, port add and module set";

/// Reads a configuration file; `file` names it in errors
/// (`FILE:LINE: ...`). Nothing is sent: a file with a bad line is refused
/// whole. Ports named by their netdev are refused: see `parse_with`.
pub fn parse(file: &str, text: &str) -> Result<Config, Error> {
    parse_with(file, text, &mut Resolver::new(&mut Vec::new()))
}

/// `parse`, with the ports named by their netdev turned into
/// `<device>/<port>` by `resolver`; one it cannot turn is a bad line.
pub fn parse_with(file: &str, text: &str, resolver: &mut Resolver<'_>) -> Result<Config, Error> {
    let mut config = Config::default();
    // Where each group was added and each port placed, for the errors.
    let mut group_lines: BTreeMap<String, usize> = BTreeMap::new();
    let mut port_lines: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for line in lines(text) {
        let number = line.number;
        let error = |message: String| Error::Config {
            file: file.to_string(),
            line: number,
            message,
        };
        let at = |e: Error| Error::At {
            file: file.to_string(),
            line: number,
            error: Box::new(e),
        };
        let (command, entry) = cli::parse_command(&line.words).map_err(|e| at(e.into()))?;
        let command = resolver.command(&command).map_err(at)?;
        let name = entry.map_or_else(|| line.words.join(" "), |e| e.name());
        match command {
            Command::GroupAdd {
                name: group,
                settings,
            } => {
                if let Some(at) = group_lines.get(&group) {
                    return Err(error(format!(
                        "{name}: group {group} is already added (line {at})"
                    )));
                }
                group_lines.insert(group.clone(), number);
                config.groups.insert(
                    group,
                    GroupConfig {
                        settings,
                        ports: BTreeSet::new(),
                    },
                );
            }
            Command::GroupSet {
                name: group,
                settings,
                ports,
            } => {
                place(&mut config, &mut port_lines, &ports, &group, number)
                    .map_err(|m| error(format!("{name}: {m}")))?;
                if let Some(g) = config.groups.get_mut(&group) {
                    merge(&mut g.settings, &settings, &group)
                        .map_err(|m| error(format!("{name}: {m}")))?;
                }
            }
            Command::PortAdd { ports, group } => {
                place(&mut config, &mut port_lines, &ports, &group, number)
                    .map_err(|m| error(format!("{name}: {m}")))?;
            }
            Command::ModuleSet { settings } => {
                if settings.peer_notify.is_some() && config.module.peer_notify.is_some() {
                    return Err(error(format!("{name}: peer-notify is already set above")));
                }
                config.module.peer_notify = config.module.peer_notify.or(settings.peer_notify);
            }
            _ => {
                let why = format!("a configuration file has {CONFIG_COMMANDS}");
                return Err(error(format!(
                    "{name}: not a configuration command ({why})"
                )));
            }
        }
    }
    Ok(config)
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// ` failback on failback-delay 5s ...`: the settings given, as typed.
fn settings_words(s: &Settings) -> String {
    let mut text = String::new();
    if let Some(on) = s.failback {
        text += &format!(" failback {}", on_off(on));
    }
    if let Some(ms) = s.failback_delay_ms {
        text += &format!(" failback-delay {}", format_ms(ms.into()));
    }
    if let Some(ms) = s.hold_down_max_ms {
        text += &format!(" hold-down-max {}", format_ms(ms.into()));
    }
    if let Some(n) = s.announce_count {
        text += &format!(" announce-count {n}");
    }
    if let Some(ms) = s.announce_interval_ms {
        text += &format!(" announce-interval {}", format_ms(ms.into()));
    }
    if let Some(targets) = &s.probe_targets {
        let list: Vec<String> = targets.iter().map(IpAddr::to_string).collect();
        let list = if list.is_empty() {
            "none".to_string()
        } else {
            list.join(",")
        };
        text += &format!(" probe-targets {list}");
    }
    if let Some(ms) = s.probe_interval_ms {
        text += &format!(" probe-interval {}", format_ms(ms.into()));
    }
    if let Some(n) = s.probe_misses {
        text += &format!(" probe-misses {n}");
    }
    if let Some(n) = s.probe_successes {
        text += &format!(" probe-successes {n}");
    }
    text
}

/// A command of a plan as a line of a file (and of `config diff`).
pub fn command_line(command: &Command) -> String {
    match command {
        Command::ModuleSet { settings } => match settings.peer_notify {
            Some(on) => format!("module set peer-notify {}", on_off(on)),
            None => "module set".into(),
        },
        Command::GroupAdd { name, settings } => {
            format!("group add {name}{}", settings_words(settings))
        }
        Command::GroupSet {
            name,
            settings,
            ports,
        } => {
            let ports: String = ports.iter().map(|p| format!(" port {p}")).collect();
            format!("group set {name}{}{ports}", settings_words(settings))
        }
        Command::GroupDel { name } => format!("group del {name}"),
        Command::PortAdd { ports, group } => format!("port add {} group {group}", ports.join(" ")),
        Command::PortDel { ports, group } => match group {
            Some(group) => format!("port del {} group {group}", ports.join(" ")),
            None => format!("port del {}", ports.join(" ")),
        },
        other => format!("{other:?}"),
    }
}

/// The configuration as a file: the module's settings, then each group
/// (by name) with its settings and, on the next line, its ports.
pub fn format(config: &Config) -> String {
    let mut text = String::new();
    if config.module.peer_notify.is_some() {
        text += &command_line(&Command::ModuleSet {
            settings: config.module.clone(),
        });
        text += "\n";
    }
    for (name, group) in &config.groups {
        if !text.is_empty() {
            text += "\n";
        }
        text += &command_line(&Command::GroupAdd {
            name: name.clone(),
            settings: shown(&group.settings),
        });
        text += "\n";
        if !group.ports.is_empty() {
            text += &command_line(&Command::PortAdd {
                ports: group.ports.iter().cloned().collect(),
                group: name.clone(),
            });
            text += "\n";
        }
    }
    text
}

/// The requests, as commands, that turn `running` into `wanted` (both
/// complete), in an order the module accepts: the module's settings; ports
/// that leave a group that stays; groups that go; new groups; changed
/// settings; ports that join. Ports that stay in their group are not
/// touched.
pub fn plan(wanted: &Config, running: &Config) -> Vec<Command> {
    let mut steps = Vec::new();
    let module = ModuleSettings {
        peer_notify: wanted
            .module
            .peer_notify
            .filter(|_| wanted.module.peer_notify != running.module.peer_notify),
    };
    if !module.is_empty() {
        steps.push(Command::ModuleSet { settings: module });
    }
    for (name, now) in &running.groups {
        if let Some(want) = wanted.groups.get(name) {
            let leaving: Vec<String> = now.ports.difference(&want.ports).cloned().collect();
            if !leaving.is_empty() {
                steps.push(Command::PortDel {
                    ports: leaving,
                    group: Some(name.clone()),
                });
            }
        }
    }
    for name in running.groups.keys() {
        if !wanted.groups.contains_key(name) {
            steps.push(Command::GroupDel { name: name.clone() });
        }
    }
    for (name, want) in &wanted.groups {
        if !running.groups.contains_key(name) {
            // Probing off at its defaults is what group-new does anyway.
            steps.push(Command::GroupAdd {
                name: name.clone(),
                settings: shown(&want.settings),
            });
        }
    }
    for (name, want) in &wanted.groups {
        if let Some(now) = running.groups.get(name) {
            let settings = changed(&want.settings, &now.settings);
            if !settings.is_empty() {
                steps.push(Command::GroupSet {
                    name: name.clone(),
                    settings,
                    ports: Vec::new(),
                });
            }
        }
    }
    let none = BTreeSet::new();
    for (name, want) in &wanted.groups {
        let now = running.groups.get(name).map_or(&none, |g| &g.ports);
        let joining: Vec<String> = want.ports.difference(now).cloned().collect();
        if !joining.is_empty() {
            steps.push(Command::PortAdd {
                ports: joining,
                group: name.clone(),
            });
        }
    }
    steps
}

fn decoded<T>(result: Result<T, DecodeError>) -> Result<T, Error> {
    result.map_err(|e| Error::Netlink(SessionError::Decode(e)))
}

/// The running configuration: every group with its settings and ports,
/// and the module's settings.
pub fn running(ctx: &mut Ctx<'_>) -> Result<Config, Error> {
    let mut config = Config::default();
    for payload in ctx.fetch(requests::group_get(ctx.family_id(), None))? {
        let g = decoded(Group::decode(&payload))?;
        let settings = Settings {
            failback: g.failback,
            failback_delay_ms: g.failback_delay_ms,
            hold_down_max_ms: g.hold_down_max_ms,
            announce_count: g.announce_count,
            announce_interval_ms: g.announce_interval_ms,
            probe_targets: Some(g.probe_targets),
            probe_interval_ms: g.probe_interval_ms,
            probe_misses: g.probe_misses,
            probe_successes: g.probe_successes,
        };
        // Waiting members are members: the file names them like the others.
        let ports = g.ports.into_iter().chain(g.waiting).collect();
        config
            .groups
            .insert(g.name, GroupConfig { settings, ports });
    }
    let replies = ctx.fetch(requests::module_get(ctx.family_id()))?;
    if let [payload] = replies.as_slice() {
        let m: Module = decoded(Module::decode(payload))?;
        config.module.peer_notify = m.peer_notify;
    }
    Ok(config)
}

/// Sends one command of a plan.
fn send(ctx: &mut Ctx<'_>, command: &Command) -> Result<(), Error> {
    let family = ctx.family_id();
    let request = match command {
        Command::ModuleSet { settings } => requests::module_set(family, settings),
        Command::GroupAdd { name, settings } => requests::group_new(family, name, settings),
        Command::GroupSet { name, settings, .. } => requests::group_set(family, name, settings),
        Command::GroupDel { name } => requests::group_del(family, name),
        Command::PortAdd { ports, group } => requests::port_add(family, group, ports),
        Command::PortDel { ports, group } => requests::port_del(family, group.as_deref(), ports),
        other => return Err(crate::commands::mismatch(other)),
    };
    ctx.change(request)
}

/// `config show`: the running configuration as a file.
pub fn show(ctx: &mut Ctx<'_>) -> Result<(), Error> {
    let config = running(ctx)?;
    ctx.write(&format(&config))
}

/// `config apply FILE` (or, with `dry_run`, `config diff FILE`).
pub fn apply_file(ctx: &mut Ctx<'_>, file: &str, dry_run: bool) -> Result<(), Error> {
    let text = read_input(file)?;
    let shown = if file == "-" { "<stdin>" } else { file };
    let wanted = parse_with(shown, &text, &mut ctx.resolver())?;
    apply(ctx, &wanted, dry_run)
}

/// Makes the running configuration `wanted` (its ports named
/// `<device>/<port>`): sends the requests of
/// `plan`, stopping at the first the module refuses (going on with
/// `-force`). With `dry_run`, prints them instead; with `-d`, prints each
/// as it is sent.
pub fn apply(ctx: &mut Ctx<'_>, wanted: &Config, dry_run: bool) -> Result<(), Error> {
    let wanted = wanted.complete();
    let running = running(ctx)?;
    let steps = plan(&wanted, &running);
    let options = ctx.options();
    let mut failed = 0;
    for step in &steps {
        let line = command_line(step);
        if dry_run || options.details {
            ctx.write(&format!("{line}\n"))?;
        }
        if dry_run {
            continue;
        }
        match send(ctx, step) {
            Ok(()) => {}
            Err(e) => {
                let e = Error::Step {
                    step: line,
                    error: Box::new(e),
                };
                if !options.force {
                    return Err(e);
                }
                ctx.report(&e);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(Error::Failed {
            failed,
            total: steps.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse as parse_args;
    use crate::commands::run_with_ports;
    use crate::model::fake::payload;
    use crate::netdev::fake::table as rdma_ports;
    use crate::netlink::ctrl::fake as ctrl_fake;
    use crate::netlink::message::{fake, GenlMsg, NlMsgs, NLM_F_DUMP};
    use crate::netlink::session::scripted::ScriptedKernel;
    use crate::netlink::session::Session;
    use crate::uapi::{cmd, group_attr, module_attr, port_attr};
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::rc::Rc;

    const FAMILY: u16 = 0x21;

    /// The module as the requests of `config apply` see it: groups with
    /// their settings and ports, peer-notify, and the changes made.
    #[derive(Debug, Default)]
    struct Module {
        peer_notify: bool,
        groups: BTreeMap<String, (Settings, Vec<String>)>,
        /// Every change, as `command group ports...`.
        changes: Vec<String>,
        /// A port whose port-add fails (ENODEV).
        refused_port: Option<String>,
    }

    fn text(a: &[u8]) -> String {
        String::from_utf8(a.strip_suffix(&[0]).unwrap_or(a).to_vec()).unwrap()
    }

    fn u32_of(a: &[u8]) -> u32 {
        u32::from_ne_bytes(a.try_into().unwrap())
    }

    impl Module {
        fn new() -> Rc<RefCell<Module>> {
            Rc::new(RefCell::new(Module {
                peer_notify: true,
                ..Module::default()
            }))
        }

        fn group_payload(name: &str, settings: &Settings, ports: &[String]) -> Vec<u8> {
            payload(cmd::GROUP_GET, |w| {
                w.put_str(group_attr::NAME, name);
                w.put_u32(group_attr::STATE, 2);
                w.put_u8(group_attr::FAILBACK, u8::from(settings.failback.unwrap()));
                w.put_u32(
                    group_attr::FAILBACK_DELAY_MS,
                    settings.failback_delay_ms.unwrap(),
                );
                w.put_u32(
                    group_attr::HOLD_DOWN_MAX_MS,
                    settings.hold_down_max_ms.unwrap(),
                );
                w.put_u32(group_attr::ANNOUNCE_COUNT, settings.announce_count.unwrap());
                w.put_u32(
                    group_attr::ANNOUNCE_INTERVAL_MS,
                    settings.announce_interval_ms.unwrap(),
                );
                for target in settings.probe_targets.as_ref().unwrap() {
                    match target {
                        IpAddr::V4(a) => w.put(group_attr::PROBE_TARGET, &a.octets()),
                        IpAddr::V6(a) => w.put(group_attr::PROBE_TARGET, &a.octets()),
                    };
                }
                w.put_u32(
                    group_attr::PROBE_INTERVAL_MS,
                    settings.probe_interval_ms.unwrap(),
                );
                w.put_u32(group_attr::PROBE_MISSES, settings.probe_misses.unwrap());
                w.put_u32(
                    group_attr::PROBE_SUCCESSES,
                    settings.probe_successes.unwrap(),
                );
                w.put_u8(group_attr::PROBE_TARGETS_UNREACHABLE, 0);
                for port in ports {
                    w.put_str(group_attr::PORT, port);
                }
            })
        }

        /// Answers one request: the replies' payloads, or an errno.
        fn answer(&mut self, command: u8, attrs: &[(u16, Vec<u8>)]) -> Result<Vec<Vec<u8>>, i32> {
            let name = attrs
                .iter()
                .find(|(k, _)| *k == group_attr::NAME)
                .map(|(_, v)| text(v));
            let ports: Vec<String> = attrs
                .iter()
                .filter(|(k, _)| *k == group_attr::PORT)
                .map(|(_, v)| text(v))
                .collect();
            let mut settings = Settings::default();
            for (kind, value) in attrs {
                match *kind {
                    group_attr::FAILBACK => settings.failback = Some(value[0] != 0),
                    group_attr::FAILBACK_DELAY_MS => {
                        settings.failback_delay_ms = Some(u32_of(value))
                    }
                    group_attr::HOLD_DOWN_MAX_MS => settings.hold_down_max_ms = Some(u32_of(value)),
                    group_attr::ANNOUNCE_COUNT => settings.announce_count = Some(u32_of(value)),
                    group_attr::ANNOUNCE_INTERVAL_MS => {
                        settings.announce_interval_ms = Some(u32_of(value))
                    }
                    group_attr::PROBE_TARGET => {
                        let addr = match value.len() {
                            4 => IpAddr::from(<[u8; 4]>::try_from(&value[..]).unwrap()),
                            _ => IpAddr::from(<[u8; 16]>::try_from(&value[..]).unwrap()),
                        };
                        settings
                            .probe_targets
                            .get_or_insert_with(Vec::new)
                            .push(addr);
                    }
                    group_attr::PROBE_OFF => {
                        assert!(value.is_empty());
                        assert!(settings.probe_targets.is_none());
                        settings.probe_targets = Some(Vec::new());
                    }
                    group_attr::PROBE_INTERVAL_MS => {
                        settings.probe_interval_ms = Some(u32_of(value))
                    }
                    group_attr::PROBE_MISSES => settings.probe_misses = Some(u32_of(value)),
                    group_attr::PROBE_SUCCESSES => settings.probe_successes = Some(u32_of(value)),
                    _ => {}
                }
            }
            let log = |what: &str| {
                let mut words = vec![what.to_string()];
                words.extend(name.clone());
                words.extend(ports.iter().cloned());
                words.join(" ")
            };
            match command {
                cmd::GROUP_GET => {
                    return Ok(self
                        .groups
                        .iter()
                        .map(|(n, (s, p))| Module::group_payload(n, s, p))
                        .collect())
                }
                cmd::PORT_GET => {
                    return Ok(["rxe0/1", "rxe1/1", "rxe2/1"]
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            payload(cmd::PORT_GET, |w| {
                                w.put_str(port_attr::NAME, p);
                                w.put_str(port_attr::IFNAME, &format!("eth{i}"));
                            })
                        })
                        .collect())
                }
                cmd::MODULE_GET => {
                    let on = self.peer_notify;
                    return Ok(vec![payload(cmd::MODULE_GET, |w| {
                        w.put_u8(module_attr::PEER_NOTIFY, u8::from(on));
                    })]);
                }
                cmd::MODULE_SET => {
                    let (_, v) = attrs
                        .iter()
                        .find(|(k, _)| *k == module_attr::PEER_NOTIFY)
                        .unwrap();
                    self.peer_notify = v[0] != 0;
                    self.changes
                        .push(format!("module-set peer-notify {}", v[0]));
                }
                cmd::GROUP_NEW => {
                    let name = name.clone().unwrap();
                    if self.groups.contains_key(&name) {
                        return Err(libc::EEXIST);
                    }
                    let settings = over(&settings, &default_settings());
                    self.groups.insert(name, (settings, Vec::new()));
                    self.changes.push(log("group-new"));
                }
                cmd::GROUP_SET => {
                    let group = self
                        .groups
                        .get_mut(name.as_ref().unwrap())
                        .ok_or(libc::ENOENT)?;
                    group.0 = over(&settings, &group.0);
                    self.changes.push(format!(
                        "group-set {}{}",
                        name.unwrap(),
                        settings_words(&settings)
                    ));
                }
                cmd::GROUP_DEL => {
                    self.groups
                        .remove(name.as_ref().unwrap())
                        .ok_or(libc::ENOENT)?;
                    self.changes.push(log("group-del"));
                }
                cmd::PORT_ADD => {
                    if ports.iter().any(|p| Some(p) == self.refused_port.as_ref()) {
                        return Err(libc::ENODEV);
                    }
                    if self
                        .groups
                        .values()
                        .any(|(_, m)| ports.iter().any(|p| m.contains(p)))
                    {
                        return Err(libc::EBUSY);
                    }
                    let group = self
                        .groups
                        .get_mut(name.as_ref().unwrap())
                        .ok_or(libc::ENOENT)?;
                    group.1.extend(ports.iter().cloned());
                    self.changes.push(log("port-add"));
                }
                cmd::PORT_DEL => {
                    for (_, members) in self.groups.values_mut() {
                        members.retain(|m| !ports.contains(m));
                    }
                    self.changes.push(log("port-del"));
                }
                other => panic!("unexpected command {other}"),
            }
            Ok(Vec::new())
        }
    }

    fn kernel(module: &Rc<RefCell<Module>>) -> Session<ScriptedKernel> {
        let module = Rc::clone(module);
        Session::new(ScriptedKernel::new(move |req| {
            let seq = u32::from_ne_bytes(req[8..12].try_into().unwrap());
            if ctrl_fake::is_family_lookup(req) {
                return vec![
                    ctrl_fake::family_reply(seq, FAMILY, &[("monitor", 7)]),
                    fake::ack(req, 0, |_| {}),
                ];
            }
            let dump = u16::from_ne_bytes([req[6], req[7]]) & NLM_F_DUMP != 0;
            let msg = NlMsgs::new(req).next().unwrap().unwrap();
            let genl = GenlMsg::parse(msg.payload).unwrap();
            let attrs: Vec<(u16, Vec<u8>)> = genl
                .attrs
                .map(|a| a.map(|a| (a.kind, a.payload.to_vec())))
                .collect::<Result<_, _>>()
                .unwrap();
            match module.borrow_mut().answer(genl.cmd, &attrs) {
                Ok(payloads) => fake::answer(FAMILY, req, seq, dump, &payloads),
                Err(errno) => vec![fake::ack(req, errno, |_| {})],
            }
        }))
    }

    /// A file with `text` in a directory of its own.
    fn file(text: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rdmaipctl-config-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rdmaip.conf");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `rdmaipctl ARGS` against `module`, with the RDMA ports of
    /// `netdev::fake::table` (rxe0/1 on eth0, rxe1/1 on eth1, bond0 on two
    /// ports): the result and the output.
    fn rdmaipctl(module: &Rc<RefCell<Module>>, args: &str) -> (Result<(), Error>, String, String) {
        let args: Vec<String> = args.split_whitespace().map(String::from).collect();
        let invocation = parse_args(&args).unwrap();
        let mut session = kernel(module);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = run_with_ports(
            &invocation,
            &mut session,
            &mut rdma_ports(),
            &mut out,
            &mut err,
        );
        (
            result,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// Applies `text` and returns the changes it made.
    fn apply_text(module: &Rc<RefCell<Module>>, text: &str) -> Vec<String> {
        let path = file(text);
        let (result, _, err) = rdmaipctl(module, &format!("config apply {}", path.display()));
        result.unwrap_or_else(|e| panic!("{e}\n{err}"));
        std::mem::take(&mut module.borrow_mut().changes)
    }

    fn show(module: &Rc<RefCell<Module>>) -> String {
        let (result, out, _) = rdmaipctl(module, "config show");
        result.unwrap();
        assert!(module.borrow().changes.is_empty());
        out
    }

    const FILE: &str = "\
# Two groups of RDMA ports.
group add g0 failback-delay 5s hold-down-max 60s
port add rxe0/1 rxe1/1 group g0   # both adapters

group add g1 failback off
group set g1 announce-count 5
port add rxe2/1 group g1
module set peer-notify on
";

    const SHOWN: &str = "\
module set peer-notify on

group add g0 failback on failback-delay 5s hold-down-max 60s announce-count 3 announce-interval 300ms
port add rxe0/1 rxe1/1 group g0

group add g1 failback off failback-delay 5s hold-down-max 60s announce-count 5 announce-interval 300ms
port add rxe2/1 group g1
";

    fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        f(&mut s);
        s
    }

    #[test]
    fn lines_drop_comments_and_blank_lines() {
        let lines = lines("# c\n\n  group add g0 # c\nport#x\n\t#\n");
        assert_eq!(
            lines,
            [
                Line {
                    number: 3,
                    words: vec!["group".into(), "add".into(), "g0".into()]
                },
                Line {
                    number: 4,
                    words: vec!["port#x".into()]
                },
            ]
        );
    }

    #[test]
    fn parses_a_file() {
        let config = parse("f", FILE).unwrap();
        assert_eq!(config.module.peer_notify, Some(true));
        assert_eq!(config.groups.len(), 2);
        let g0 = &config.groups["g0"];
        assert_eq!(
            g0.settings,
            settings(|s| {
                s.failback_delay_ms = Some(5000);
                s.hold_down_max_ms = Some(60_000);
            })
        );
        assert_eq!(g0.ports.iter().collect::<Vec<_>>(), ["rxe0/1", "rxe1/1"]);
        let g1 = &config.groups["g1"];
        assert_eq!(
            g1.settings,
            settings(|s| {
                s.failback = Some(false);
                s.announce_count = Some(5);
            })
        );
        assert_eq!(parse("f", "").unwrap(), Config::default());
        // Abbreviations and synonyms work in files as on the command line.
        assert_eq!(
            parse("f", "g a g0\np a rxe0/1 group g0\n").unwrap(),
            parse("f", "group add g0\nport add rxe0/1 group g0\n").unwrap()
        );
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_word() {
        for (text, expected) in [
            (
                "group add g0\ngroup add g0 failback-delay 5x\n",
                "f.conf:2: group add: failback-delay: invalid duration \"5x\": expected a number followed by ms, s, m or h",
            ),
            (
                "\n\ngroup ad g0 colour red\n",
                "f.conf:3: group add: unknown argument \"colour\" (expected failback, failback-delay, hold-down-max, announce-count, announce-interval, probe-targets, probe-interval, probe-misses, probe-successes)",
            ),
            ("links add x\n", "f.conf:1: unknown object \"links\" (expected group, port, addr, probe, module, monitor, config, help)"),
            ("group add g0\ngroup add g0\n", "f.conf:2: group add: group g0 is already added (line 1)"),
            ("port add rxe0/1 group g0\n", "f.conf:1: port add: group g0 is not added above (group add g0 must come first)"),
            ("group set g0 failback on\n", "f.conf:1: group set: group g0 is not added above (group add g0 must come first)"),
            (
                "group add g0\ngroup add g1\nport add rxe0/1 group g0\n# move?\nport add rxe0/1 group g1\n",
                "f.conf:5: port add: port rxe0/1 is already in group g0 (line 3)",
            ),
            (
                "group add g0 failback on\ngroup set g0 failback off\n",
                "f.conf:2: group set: failback of group g0 is already set above",
            ),
            (
                "module set peer-notify on\nmodule set peer-notify off\n",
                "f.conf:2: module set: peer-notify is already set above",
            ),
            (
                "group add g0\ngroup del g0\n",
                "f.conf:2: group del: not a configuration command (a configuration file has group add, group set, port add and module set)",
            ),
            ("port drain rxe0/1\n", "f.conf:1: port drain: not a configuration command (a configuration file has group add, group set, port add and module set)"),
            ("help\n", "f.conf:1: help: not a configuration command (a configuration file has group add, group set, port add and module set)"),
        ] {
            let e = parse("f.conf", text).unwrap_err();
            assert_eq!(e.to_string(), expected, "{text}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn format_parses_back() {
        let config = parse("f", FILE).unwrap().complete();
        let text = format(&config);
        assert_eq!(text, SHOWN);
        // The probe settings of groups that do not probe are left out.
        assert_eq!(parse("shown", &text).unwrap().complete(), config);
        assert_eq!(format(&Config::default()), "");
    }

    #[test]
    fn plan_of_the_same_configuration_is_empty() {
        let config = parse("f", FILE).unwrap().complete();
        assert_eq!(plan(&config, &config), []);
        let empty = Config::default().complete();
        assert_eq!(plan(&empty, &empty), []);
    }

    #[test]
    fn plan_from_nothing_builds_everything() {
        let wanted = parse("f", FILE).unwrap().complete();
        let running = Config::default().complete();
        let lines: Vec<String> = plan(&wanted, &running).iter().map(command_line).collect();
        assert_eq!(
            lines,
            [
                "group add g0 failback on failback-delay 5s hold-down-max 60s announce-count 3 announce-interval 300ms",
                "group add g1 failback off failback-delay 5s hold-down-max 60s announce-count 5 announce-interval 300ms",
                "port add rxe0/1 rxe1/1 group g0",
                "port add rxe2/1 group g1",
            ]
        );
        // Applied to nothing at all (the module's settings unknown).
        let steps = plan(&wanted, &Config::default());
        assert_eq!(command_line(&steps[0]), "module set peer-notify on");
    }

    #[test]
    fn apply_then_show_round_trips() {
        let module = Module::new();
        assert_eq!(show(&module), "module set peer-notify on\n");
        assert_eq!(
            apply_text(&module, FILE),
            [
                "group-new g0",
                "group-new g1",
                "port-add g0 rxe0/1 rxe1/1",
                "port-add g1 rxe2/1"
            ]
        );
        let shown = show(&module);
        assert_eq!(shown, SHOWN);
        // Applying the same file, or what show printed, changes nothing.
        assert_eq!(apply_text(&module, FILE), Vec::<String>::new());
        assert_eq!(apply_text(&module, &shown), Vec::<String>::new());
        assert_eq!(show(&module), shown);
        // The file is also a batch that builds the same configuration.
        let fresh = Module::new();
        let path = file(FILE);
        let (result, _, _) = rdmaipctl(&fresh, &format!("-batch {}", path.display()));
        result.unwrap();
        assert_eq!(
            std::mem::take(&mut fresh.borrow_mut().changes),
            [
                "group-new g0",
                "port-add g0 rxe0/1 rxe1/1",
                "group-new g1",
                "group-set g1 announce-count 5",
                "port-add g1 rxe2/1",
                "module-set peer-notify 1"
            ]
        );
        assert_eq!(show(&fresh), shown);
    }

    #[test]
    fn a_changed_file_makes_only_the_changes() {
        let module = Module::new();
        apply_text(&module, FILE);
        apply_text(&module, "group add g2\nport add rxe2/1 group g2\n");
        apply_text(&module, FILE);
        module.borrow_mut().changes.clear();
        // g0: a setting changes, rxe1/1 leaves for g1; g1 back to its
        // defaults but for failback; rxe2/1 leaves; g2 goes; g3 comes.
        let changed = "\
group add g0 failback-delay 10s hold-down-max 1m
port add rxe0/1 group g0
group add g1 failback off
port add rxe1/1 group g1
group add g3 announce-interval 0.5s
module set peer-notify off
";
        assert_eq!(
            apply_text(&module, changed),
            [
                "module-set peer-notify 0",
                "port-del g0 rxe1/1",
                "port-del g1 rxe2/1",
                "group-new g3",
                "group-set g0 failback-delay 10s",
                "group-set g1 announce-count 3",
                "port-add g1 rxe1/1",
            ]
        );
        // rxe0/1 stayed in g0 without a request: its addresses did not move.
        assert_eq!(apply_text(&module, changed), Vec::<String>::new());
        let shown = show(&module);
        assert_eq!(
            shown,
            "\
module set peer-notify off

group add g0 failback on failback-delay 10s hold-down-max 60s announce-count 3 announce-interval 300ms
port add rxe0/1 group g0

group add g1 failback off failback-delay 5s hold-down-max 60s announce-count 3 announce-interval 300ms
port add rxe1/1 group g1

group add g3 failback on failback-delay 5s hold-down-max 60s announce-count 3 announce-interval 500ms
"
        );
        // An empty file removes every group and restores peer-notify.
        assert_eq!(
            apply_text(&module, "# nothing\n"),
            [
                "module-set peer-notify 1",
                "group-del g0",
                "group-del g1",
                "group-del g3"
            ]
        );
        assert_eq!(show(&module), "module set peer-notify on\n");
    }

    #[test]
    fn probe_settings_round_trip() {
        let module = Module::new();
        let probing = "\
group add g0 failback-delay 2s probe-targets 10.1.0.2,fd00:1::2 probe-interval 200ms
port add rxe0/1 rxe1/1 group g0
";
        assert_eq!(
            apply_text(&module, probing),
            ["group-new g0", "port-add g0 rxe0/1 rxe1/1"]
        );
        let shown = show(&module);
        assert_eq!(
            shown,
            "\
module set peer-notify on

group add g0 failback on failback-delay 2s hold-down-max 60s announce-count 3 \
announce-interval 300ms probe-targets 10.1.0.2,fd00:1::2 probe-interval 200ms probe-misses 3 \
probe-successes 2
port add rxe0/1 rxe1/1 group g0
"
        );
        // Applying the file again, or what show printed, sends nothing;
        // nor do the same targets in another order.
        assert!(apply_text(&module, probing).is_empty());
        assert!(apply_text(&module, &shown).is_empty());
        let reordered = probing.replace("10.1.0.2,fd00:1::2", "fd00:1::2,10.1.0.2");
        assert!(apply_text(&module, &reordered).is_empty());
        // Other targets replace them; the other settings stay.
        let other = probing.replace("10.1.0.2,fd00:1::2", "10.1.0.3");
        assert_eq!(
            apply_text(&module, &other),
            ["group-set g0 probe-targets 10.1.0.3"]
        );
        let path = file(&other.replace("probe-interval 200ms", "probe-misses 5"));
        let (result, out, _) = rdmaipctl(&module, &format!("config diff {}", path.display()));
        result.unwrap();
        assert_eq!(out, "group set g0 probe-interval 100ms probe-misses 5\n");
        // A file without probe settings turns probing off, at the defaults.
        assert_eq!(
            apply_text(
                &module,
                "group add g0 failback-delay 2s\nport add rxe0/1 rxe1/1 group g0\n"
            ),
            ["group-set g0 probe-targets none probe-interval 100ms"]
        );
        assert!(!show(&module).contains("probe"));
        // A new group that probes gets its settings with group-new.
        let fresh = Module::new();
        let path = file("group add g1 probe-targets 10.1.0.2 probe-successes 3\n");
        let (result, out, _) = rdmaipctl(&fresh, &format!("config diff {}", path.display()));
        result.unwrap();
        assert_eq!(
            out,
            "group add g1 failback on failback-delay 5s hold-down-max 60s announce-count 3 \
             announce-interval 300ms probe-targets 10.1.0.2 probe-interval 100ms probe-misses 3 \
             probe-successes 3\n"
        );
    }

    #[test]
    fn probe_settings_given_twice_are_a_bad_line() {
        let e = parse(
            "f.conf",
            "group add g0 probe-targets 10.1.0.2\ngroup set g0 probe-targets none\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.conf:2: group set: probe-targets of group g0 is already set above"
        );
        let e = parse("f.conf", "group add g0 probe-targets 10.1.0.300\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("f.conf:1: group add: probe-targets: invalid address \"10.1.0.300\""),
            "{e}"
        );
        // Settings of one group may be split over group add and group set.
        let config = parse(
            "f.conf",
            "group add g0 probe-targets 10.1.0.2\ngroup set g0 probe-interval 1s\n",
        )
        .unwrap();
        let s = &config.groups["g0"].settings;
        assert_eq!(s.probe_interval_ms, Some(1000));
        assert_eq!(s.probe_targets.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn a_group_that_goes_frees_its_ports_first() {
        let module = Module::new();
        apply_text(&module, "group add a\nport add rxe0/1 rxe1/1 group a\n");
        assert_eq!(
            apply_text(&module, "group add b\nport add rxe0/1 rxe1/1 group b\n"),
            ["group-del a", "group-new b", "port-add b rxe0/1 rxe1/1"]
        );
    }

    #[test]
    fn diff_prints_the_plan_and_changes_nothing() {
        let module = Module::new();
        apply_text(&module, FILE);
        let path = file("group add g0 failback-delay 2s\nport add rxe0/1 rxe1/1 group g0\n");
        let (result, out, _) = rdmaipctl(&module, &format!("config diff {}", path.display()));
        result.unwrap();
        assert_eq!(out, "group del g1\ngroup set g0 failback-delay 2s\n");
        assert!(module.borrow().changes.is_empty());
        // -d shows what apply does.
        let (result, out, _) = rdmaipctl(&module, &format!("-d config apply {}", path.display()));
        result.unwrap();
        assert_eq!(out, "group del g1\ngroup set g0 failback-delay 2s\n");
    }

    #[test]
    fn a_bad_file_changes_nothing() {
        let module = Module::new();
        apply_text(&module, FILE);
        let path = file("group add g0\nport add rxe0/1 group g0 extra\n");
        for force in ["", "-force "] {
            let (result, _, _) =
                rdmaipctl(&module, &format!("{force}config apply {}", path.display()));
            let e = result.unwrap_err();
            assert!(
                e.to_string().ends_with(
                    ":2: port \"extra\": no RDMA port uses netdev extra \
                     (name it <device>/<port> to have it wait for its device)"
                ),
                "{e}"
            );
            assert!(module.borrow().changes.is_empty());
        }
    }

    #[test]
    fn a_refused_request_stops_apply_unless_forced() {
        let module = Module::new();
        module.borrow_mut().refused_port = Some("rxe1/1".into());
        let path = file(FILE);
        let (result, _, _) = rdmaipctl(&module, &format!("config apply {}", path.display()));
        assert_eq!(
            result.unwrap_err().to_string(),
            "config apply: port add rxe0/1 rxe1/1 group g0: port-add failed: No such device"
        );
        assert_eq!(
            std::mem::take(&mut module.borrow_mut().changes),
            ["group-new g0", "group-new g1"]
        );
        let (result, _, err) =
            rdmaipctl(&module, &format!("-force config apply {}", path.display()));
        let e = result.unwrap_err();
        assert_eq!(e.to_string(), "1 of 2 commands failed");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            err,
            "rdmaipctl: config apply: port add rxe0/1 rxe1/1 group g0: port-add failed: No such device\n"
        );
        assert_eq!(module.borrow().changes, ["port-add g1 rxe2/1"]);
    }

    #[test]
    fn netdev_names_compare_as_the_module_names_the_port() {
        let module = Module::new();
        apply_text(&module, FILE);
        let shown = show(&module);
        // rxe0/1 and rxe1/1 by their netdevs: nothing to change.
        let by_netdev = FILE.replace(
            "port add rxe0/1 rxe1/1 group g0",
            "port add eth0 eth1 group g0",
        );
        assert_ne!(by_netdev, FILE);
        let path = file(&by_netdev);
        let (result, out, _) = rdmaipctl(&module, &format!("config diff {}", path.display()));
        result.unwrap();
        assert_eq!(out, "");
        assert!(apply_text(&module, &by_netdev).is_empty());
        // What is shown stays <device>/<port>.
        assert_eq!(show(&module), shown);
        // A netdev moved to another group is that port moved.
        let moved = by_netdev
            .replace("port add eth0 eth1 group g0", "port add eth0 group g0")
            .replace(
                "port add rxe2/1 group g1",
                "group set g1 port rxe2/1 port eth1",
            );
        assert_eq!(
            apply_text(&module, &moved),
            ["port-del g0 rxe1/1", "port-add g1 rxe1/1"]
        );
    }

    #[test]
    fn netdev_and_device_port_names_of_one_port_are_one_port() {
        let e = parse_with(
            "f.conf",
            "group add g0\ngroup add g1\nport add rxe1/1 group g0\nport add eth1 group g1\n",
            &mut Resolver::new(&mut rdma_ports()),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.conf:4: port add: port rxe1/1 is already in group g0 (line 3)"
        );
    }

    #[test]
    fn a_netdev_that_names_no_port_or_several_is_a_bad_line() {
        let module = Module::new();
        apply_text(&module, FILE);
        let shown = show(&module);
        for (word, why) in [
            (
                "eth7",
                "no RDMA port uses netdev eth7 (name it <device>/<port> to have it wait for its device)",
            ),
            (
                "bond0",
                "netdev bond0 is used by several RDMA ports (mlx5_0/1, mlx5_1/1): name one as <device>/<port>",
            ),
        ] {
            let path = file(&format!(
                "group add g0\n# the ports\nport add rxe0/1 {word} group g0\ngroup add g9\n"
            ));
            for force in ["", "-force "] {
                let (result, _, _) =
                    rdmaipctl(&module, &format!("{force}config apply {}", path.display()));
                let e = result.unwrap_err();
                assert_eq!(
                    e.to_string(),
                    format!("{}:3: port \"{word}\": {why}", path.display())
                );
                assert_eq!(e.exit_code(), 2);
                assert!(module.borrow().changes.is_empty());
            }
        }
        assert_eq!(show(&module), shown);
    }

    #[test]
    fn port_commands_take_netdev_names() {
        let module = Module::new();
        apply_text(&module, "group add g0\n");
        let (result, _, _) = rdmaipctl(&module, "port add eth0 rxe1/1 group g0");
        result.unwrap();
        let (result, _, _) = rdmaipctl(&module, "port del eth1 group g0");
        result.unwrap();
        assert_eq!(
            std::mem::take(&mut module.borrow_mut().changes),
            ["port-add g0 rxe0/1 rxe1/1", "port-del g0 rxe1/1"]
        );
        let (result, _, err) = rdmaipctl(&module, "port add eth9 group g0");
        let e = result.unwrap_err();
        assert_eq!(
            e.to_string(),
            "port \"eth9\": no RDMA port uses netdev eth9 \
             (name it <device>/<port> to have it wait for its device)"
        );
        assert_eq!((e.exit_code(), err.as_str()), (2, ""));
        assert!(module.borrow().changes.is_empty());
    }

    #[test]
    fn a_batch_resolves_every_line_before_running_any() {
        let module = Module::new();
        let path = file("group add g0\nport add eth0 group g0\nport add eth9 group g0\n");
        let (result, _, _) = rdmaipctl(&module, &format!("-batch {}", path.display()));
        let e = result.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3: port \"eth9\": no RDMA port uses netdev eth9 \
                 (name it <device>/<port> to have it wait for its device)",
                path.display()
            )
        );
        assert!(module.borrow().changes.is_empty());
        let path = file("group add g0\nport add eth0 eth1 group g0\n");
        let (result, _, _) = rdmaipctl(&module, &format!("-batch {}", path.display()));
        result.unwrap();
        assert_eq!(
            module.borrow().changes,
            ["group-new g0", "port-add g0 rxe0/1 rxe1/1"]
        );
    }
}
