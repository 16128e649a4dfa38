// SPDX-License-Identifier: GPL-2.0

//! Carries out a parsed command against the kernel and writes the result:
//! what every command needs (the family, showing a listing, sending a
//! change, watching events) is here; which command does what is the table
//! of `table.rs`.

use std::io::{self, Read, Write};

use crate::cli::{self, usage, Command, Invocation, Options};
use crate::config;
use crate::error::Error;
use crate::model::{Event, ProbePath};
use crate::netdev::{RdmaPorts, Resolver, SystemPorts};
use crate::netlink::attr::DecodeError;
use crate::netlink::ctrl;
use crate::netlink::message::Request;
use crate::netlink::session::{Session, SessionError, Transport, DUMP_INTERRUPTED};
use crate::output::Record;
use crate::records;
use crate::requests;
use crate::table::{self, CommandSpec};
use crate::uapi::{FAMILY_NAME, FAMILY_VERSION, MCGRP_MONITOR};

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}

/// What a command runs with: the session, the rdmaip family as the
/// running kernel registered it, the options, and where to write.
pub struct Ctx<'a> {
    session: &'a mut Session<dyn Transport>,
    family: &'a ctrl::Family,
    options: Options,
    /// The results.
    out: &'a mut dyn Write,
    /// Warnings that do not stop the command.
    err: &'a mut dyn Write,
    /// The RDMA ports, for ports named by their netdev in a file.
    rdma: &'a mut dyn RdmaPorts,
}

impl Ctx<'_> {
    /// Resolves ports named by their netdev (`config apply`'s file).
    pub fn resolver(&mut self) -> Resolver<'_> {
        Resolver::new(self.rdma)
    }

    /// The rdmaip family's id, which requests are sent to.
    pub fn family_id(&self) -> u16 {
        self.family.id
    }

    /// Runs a `get` request and writes one record per reply, made by
    /// `record(payload, details)`. A dump that stayed interrupted is shown
    /// with iproute2's warning.
    pub fn show(
        &mut self,
        mut request: Request,
        record: impl Fn(&[u8], bool) -> Result<Record, DecodeError>,
    ) -> Result<(), Error> {
        let replies = self.session.exchange(&mut request)?;
        if replies.interrupted {
            let _ = writeln!(self.err, "{DUMP_INTERRUPTED}");
        }
        let details = self.options.details;
        let records = replies
            .payloads
            .iter()
            .map(|p| record(p, details).map_err(|e| Error::Netlink(SessionError::Decode(e))))
            .collect::<Result<Vec<_>, _>>()?;
        write_out(self.out, &self.options.format.listing(&records))
    }

    /// Runs a `get` request whose answer is one object (`module show`) and
    /// writes it alone: a text line, or a JSON object rather than an array.
    pub fn show_one(
        &mut self,
        mut request: Request,
        record: impl Fn(&[u8], bool) -> Result<Record, DecodeError>,
    ) -> Result<(), Error> {
        let replies = self.session.exchange(&mut request)?;
        let [payload] = replies.payloads.as_slice() else {
            return Err(Error::Netlink(SessionError::Decode(DecodeError::new(
                format!("expected one reply, got {}", replies.payloads.len()),
            ))));
        };
        let record = record(payload, self.options.details)
            .map_err(|e| Error::Netlink(SessionError::Decode(e)))?;
        write_out(self.out, &self.options.format.single(&record))
    }

    /// The options of the command line.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Runs a `get` request and returns the replies' payloads; a dump that
    /// stayed interrupted is warned about.
    pub fn fetch(&mut self, mut request: Request) -> Result<Vec<Vec<u8>>, Error> {
        let replies = self.session.exchange(&mut request)?;
        if replies.interrupted {
            let _ = writeln!(self.err, "{DUMP_INTERRUPTED}");
        }
        Ok(replies.payloads)
    }

    /// The probe paths (of one group, if given), for `port show -d`. A
    /// module that cannot dump them (`EOPNOTSUPP`) has none.
    pub fn probe_paths(&mut self, group: Option<&str>) -> Result<Vec<ProbePath>, Error> {
        let payloads = match self.fetch(requests::probe_get(self.family_id(), group)) {
            Ok(payloads) => payloads,
            Err(Error::Netlink(SessionError::Rejected(r))) if r.ack.errno == libc::EOPNOTSUPP => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(e),
        };
        payloads
            .iter()
            .map(|p| ProbePath::decode(p).map_err(|e| Error::Netlink(SessionError::Decode(e))))
            .collect()
    }

    /// Writes results.
    pub fn write(&mut self, text: &str) -> Result<(), Error> {
        write_out(self.out, text)
    }

    /// Writes an error that does not stop the command (`-force`).
    pub fn report(&mut self, e: &Error) {
        let _ = writeln!(self.err, "rdmaipctl: {e}");
    }

    /// Sends a change; the kernel's ack says it was made.
    pub fn change(&mut self, mut request: Request) -> Result<(), Error> {
        self.session.exchange(&mut request)?;
        Ok(())
    }

    /// Prints notifications until the output goes away or the socket fails.
    pub fn monitor(&mut self) -> Result<(), Error> {
        let group = self
            .family
            .group(MCGRP_MONITOR)
            .ok_or(Error::NoMonitorGroup)?;
        self.session
            .transport_mut()
            .join_group(group)
            .map_err(|e| Error::Netlink(SessionError::Io(e)))?;
        loop {
            let payloads = match self.session.notifications(self.family.id) {
                Ok(p) => p,
                // The socket buffer overflowed: events were dropped, but the
                // stream goes on. Say so and keep watching.
                Err(SessionError::Io(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    let _ = writeln!(
                        self.err,
                        "rdmaipctl: monitor: events lost (receive buffer overrun)"
                    );
                    continue;
                }
                Err(e @ SessionError::Decode(_)) => {
                    let _ = writeln!(self.err, "rdmaipctl: monitor: {e}");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            for payload in payloads {
                match Event::decode(&payload) {
                    Ok(event) => write_out(
                        self.out,
                        &self
                            .options
                            .format
                            .streamed(&records::event(&event, self.options.details)),
                    )?,
                    Err(e) => {
                        let _ = writeln!(self.err, "rdmaipctl: monitor: malformed event: {e}");
                    }
                }
            }
        }
    }
}

/// The error for a command handed to another command's `run`: a bug.
pub fn mismatch(command: &Command) -> Error {
    Error::Internal(format!("no handler for {command:?}"))
}

/// The rdmaip family as the running kernel registered it, if its version
/// is the one rdmaipctl speaks.
fn rdmaip_family<T: Transport + ?Sized>(session: &mut Session<T>) -> Result<ctrl::Family, Error> {
    let family = ctrl::resolve(session, FAMILY_NAME)
        .map_err(Error::FamilyLookup)?
        .ok_or(Error::FamilyMissing)?;
    let tool = u32::from(FAMILY_VERSION);
    if family.version != tool {
        return Err(Error::FamilyVersion {
            kernel: family.version,
            tool,
        });
    }
    Ok(family)
}

/// The text of a file, or of stdin for `-`.
pub fn read_input(name: &str) -> Result<String, Error> {
    let mut text = String::new();
    let result = if name == "-" {
        io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(name).and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
    };
    let shown = if name == "-" { "<stdin>" } else { name };
    result.map_err(|e| Error::File(shown.to_string(), e))?;
    Ok(text)
}

/// Answers what needs no kernel; `None` for a command of the table.
fn answer_locally(
    command: &Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<Result<(), Error>> {
    Some(match command {
        Command::Help => write_out(out, &usage()),
        Command::ObjectHelp(object) => write_out(out, &table::object_usage(object)),
        Command::Usage => write_out(err, &usage()).and(Err(Error::NoCommand)),
        Command::Version => write_out(out, &format!("rdmaipctl {}\n", env!("CARGO_PKG_VERSION"))),
        _ => return None,
    })
}

/// Runs one command of the table with `family` (looked up first if not
/// yet known).
#[allow(clippy::too_many_arguments)]
fn run_entry<T: Transport + 'static>(
    entry: &CommandSpec,
    command: &Command,
    options: Options,
    family: &mut Option<ctrl::Family>,
    session: &mut Session<T>,
    rdma: &mut dyn RdmaPorts,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    if family.is_none() {
        *family = Some(rdmaip_family(session)?);
    }
    let Some(family) = family.as_ref() else {
        return Err(Error::Internal("family lookup".into()));
    };
    let mut ctx = Ctx {
        session,
        family,
        options,
        out,
        err,
        rdma,
    };
    (entry.run)(command, &mut ctx)
}

/// Carries out `invocation`: `out` gets the results, `err` warnings that
/// do not stop the command. Ports named by their netdev are looked up in
/// the running kernel's RDMA ports.
pub fn run<T: Transport + 'static>(
    invocation: &Invocation,
    session: &mut Session<T>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    run_with_ports(invocation, session, &mut SystemPorts, out, err)
}

/// `run`, looking ports named by their netdev up in `rdma`.
pub fn run_with_ports<T: Transport + 'static>(
    invocation: &Invocation,
    session: &mut Session<T>,
    rdma: &mut dyn RdmaPorts,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let Invocation {
        options,
        command,
        entry,
    } = invocation;
    // Help and the version are answered without asking the kernel.
    if let Some(result) = answer_locally(command, out, err) {
        return result;
    }
    if let Command::Batch { file } = command {
        let text = read_input(file)?;
        let shown = if file == "-" { "<stdin>" } else { file };
        return run_batch(shown, &text, *options, session, rdma, out, err);
    }
    let Some(entry) = entry else {
        return Err(mismatch(command));
    };
    let command = Resolver::new(rdma).command(command)?;
    run_entry(
        entry, &command, *options, &mut None, session, rdma, out, err,
    )
}

/// `-batch FILE`: runs the commands of `text`, one per line, in order.
/// Every line is parsed first, and its ports named by their netdev looked
/// up in `rdma`: a bad line stops the batch before anything runs, naming
/// the file and the line. Then the commands run; the first that fails
/// stops the batch. With `-force`, bad lines and failed commands are
/// reported as they come and the batch goes on, failing at the end if any
/// did.
pub fn run_batch<T: Transport + 'static>(
    file: &str,
    text: &str,
    options: Options,
    session: &mut Session<T>,
    rdma: &mut dyn RdmaPorts,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let at = |line: usize, error: Error| Error::At {
        file: file.to_string(),
        line,
        error: Box::new(error),
    };
    let mut failed = 0;
    let mut commands = Vec::new();
    let mut resolver = Resolver::new(rdma);
    for line in config::lines(text) {
        let parsed = cli::parse_command(&line.words)
            .map_err(Error::from)
            .and_then(|(command, entry)| Ok((resolver.command(&command)?, entry)));
        match parsed {
            Ok((command, entry)) => commands.push((line.number, command, entry)),
            Err(e) if options.force => {
                let _ = writeln!(err, "rdmaipctl: {}", at(line.number, e));
                failed += 1;
            }
            Err(e) => return Err(at(line.number, e)),
        }
    }
    let total = failed + commands.len();
    let mut family = None;
    for (line, command, entry) in commands {
        let result = match (answer_locally(&command, out, err), entry) {
            (Some(result), _) => result,
            (None, Some(entry)) => run_entry(
                entry,
                &command,
                options,
                &mut family,
                session,
                rdma,
                out,
                err,
            ),
            (None, None) => Err(mismatch(&command)),
        };
        match result {
            Ok(()) => {}
            Err(e) if is_closed_output(&e) => return Err(e),
            Err(e) if options.force => {
                let _ = writeln!(err, "rdmaipctl: {}", at(line, e));
                failed += 1;
            }
            Err(e) => return Err(at(line, e)),
        }
    }
    if failed > 0 {
        return Err(Error::Failed { failed, total });
    }
    Ok(())
}

/// Whether an error only means the reader of the output went away.
pub fn is_closed_output(e: &Error) -> bool {
    matches!(e, Error::Output(io) if io.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;
    use crate::model::fake as replies;
    use crate::netdev::fake::Unasked;
    use crate::netlink::attr::{AttrWriter, Attrs};
    use crate::netlink::ctrl::fake as ctrl_fake;
    use crate::netlink::message::{
        fake, GenlMsg, NlMsgs, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI,
    };
    use crate::netlink::session::scripted::ScriptedKernel;
    use crate::uapi::{cmd, group_attr, module_attr, probe_attr};

    /// `run`, with no RDMA port listing: these tests name every port
    /// `<device>/<port>` (netdev names are tested in `config` and `netdev`).
    fn run<T: Transport + 'static>(
        invocation: &Invocation,
        session: &mut Session<T>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(), Error> {
        run_with_ports(invocation, session, &mut Unasked, out, err)
    }

    const FAMILY: u16 = 0x21;
    const MONITOR_GROUP: u32 = 7;

    fn seq_of(request: &[u8]) -> u32 {
        u32::from_ne_bytes(request[8..12].try_into().unwrap())
    }

    fn command_of(request: &[u8]) -> u8 {
        request[16]
    }

    /// A kernel with the rdmaip family, answering its requests with
    /// `answer(command, request)`: the replies' generic netlink payloads,
    /// or an errno and extended ACK writer.
    fn kernel(
        answer: impl Fn(u8, &[u8]) -> Result<Vec<Vec<u8>>, (i32, Box<dyn Fn(&mut AttrWriter<'_>)>)>
            + 'static,
    ) -> Session<ScriptedKernel> {
        Session::new(ScriptedKernel::new(move |req| {
            let seq = seq_of(req);
            if ctrl_fake::is_family_lookup(req) {
                return vec![
                    ctrl_fake::family_reply(seq, FAMILY, &[("monitor", MONITOR_GROUP)]),
                    fake::ack(req, 0, |_| {}),
                ];
            }
            let dump = u16::from_ne_bytes([req[6], req[7]]) & NLM_F_DUMP != 0;
            match answer(command_of(req), req) {
                Ok(payloads) => fake::answer(FAMILY, req, seq, dump, &payloads),
                Err((errno, fill)) => vec![fake::ack(req, errno, |w| fill(w))],
            }
        }))
    }

    fn run_line(
        session: &mut Session<ScriptedKernel>,
        line: &str,
    ) -> (Result<(), Error>, String, String) {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        let invocation = parse(&args).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = run(&invocation, session, &mut out, &mut err);
        (
            result,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// Attributes as (type, payload).
    type RawAttrs = Vec<(u16, Vec<u8>)>;

    /// The requests sent to the rdmaip family: command and attributes.
    fn sent(session: &mut Session<ScriptedKernel>) -> Vec<(u8, RawAttrs)> {
        session
            .transport_mut()
            .sent
            .iter()
            .filter(|m| !ctrl_fake::is_family_lookup(m))
            .map(|m| {
                let msg = NlMsgs::new(m).next().unwrap().unwrap();
                let genl = GenlMsg::parse(msg.payload).unwrap();
                let attrs = genl.attrs.map(|a| a.map(|a| (a.kind, a.payload.to_vec())));
                (genl.cmd, attrs.collect::<Result<_, _>>().unwrap())
            })
            .collect()
    }

    #[test]
    fn group_add_sends_group_new() {
        let mut s = kernel(|_, _| Ok(vec![]));
        let (result, out, _) = run_line(&mut s, "group add g0 failback-delay 2s");
        result.unwrap();
        assert_eq!(out, "");
        assert_eq!(
            sent(&mut s),
            [(
                cmd::GROUP_NEW,
                vec![
                    (group_attr::NAME, b"g0\0".to_vec()),
                    (
                        group_attr::FAILBACK_DELAY_MS,
                        2000u32.to_ne_bytes().to_vec()
                    )
                ]
            )]
        );
    }

    #[test]
    fn group_set_with_ports_sends_set_then_port_add() {
        let mut s = kernel(|_, _| Ok(vec![]));
        run_line(&mut s, "group set g0 announce-count 5 port rxe0/1")
            .0
            .unwrap();
        let commands: Vec<u8> = sent(&mut s).iter().map(|(c, _)| *c).collect();
        assert_eq!(commands, [cmd::GROUP_SET, cmd::PORT_ADD]);
        let mut s = kernel(|_, _| Ok(vec![]));
        run_line(&mut s, "group set g0 port rxe0/1").0.unwrap();
        let commands: Vec<u8> = sent(&mut s).iter().map(|(c, _)| *c).collect();
        assert_eq!(commands, [cmd::PORT_ADD]);
    }

    #[test]
    fn every_change_reaches_the_kernel() {
        for (line, expected) in [
            ("group del g0", cmd::GROUP_DEL),
            ("port add rxe0/1 group g0", cmd::PORT_ADD),
            ("port del rxe0/1", cmd::PORT_DEL),
            ("port drain rxe0/1", cmd::PORT_DRAIN),
            ("port undrain rxe0/1", cmd::PORT_UNDRAIN),
            ("module set peer-notify on", cmd::MODULE_SET),
        ] {
            let mut s = kernel(|_, _| Ok(vec![]));
            let (result, out, _) = run_line(&mut s, line);
            result.unwrap();
            assert_eq!(out, "", "{line}");
            assert_eq!(sent(&mut s)[0].0, expected, "{line}");
        }
    }

    #[test]
    fn group_show_text_and_json() {
        let mut s = kernel(|_, _| Ok(vec![replies::group_g0(), replies::group_g0()]));
        let (result, out, _) = run_line(&mut s, "group show");
        result.unwrap();
        assert_eq!(out.lines().count(), 2);
        assert!(out.starts_with("group g0 state up ports rxe0/1,rxe1/1 failback on"));
        let (result, out, _) = run_line(&mut s, "-j -d group show");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json[1]["failovers"], 2);
        assert_eq!(json[0]["failback_delay_ms"], 5000);
    }

    #[test]
    fn port_and_addr_listings() {
        let mut s = kernel(|command, _| match command {
            cmd::PORT_GET => Ok(vec![replies::port_rxe0_down()]),
            cmd::ADDR_GET => Ok(vec![replies::addr_v4_moved()]),
            _ => Ok(vec![]),
        });
        let (result, out, _) = run_line(&mut s, "port show rxe0/1");
        result.unwrap();
        assert!(
            out.starts_with("port rxe0/1 ifname eth0 group g0 state down down-reason no-carrier")
        );
        let (result, out, _) = run_line(&mut s, "addr show group g0");
        result.unwrap();
        assert!(out.starts_with("addr 192.0.2.10/24 group g0 home-port rxe0/1 current-port rxe1/1"));
        let (result, out, _) = run_line(&mut s, "-p addr");
        result.unwrap();
        assert!(out.contains("\n  {\n"));
    }

    #[test]
    fn module_show_text_and_json() {
        let mut s = kernel(|command, _| match command {
            cmd::MODULE_GET => Ok(vec![replies::module_counters()]),
            _ => Ok(vec![]),
        });
        let (result, out, _) = run_line(&mut s, "module");
        result.unwrap();
        assert_eq!(out, "module rdmaip peer-notify on\n");
        let (result, out, _) = run_line(&mut s, "-d module show");
        result.unwrap();
        assert_eq!(
            out,
            "module rdmaip peer-notify on remote-moves 3 remote-ids-notified 12 \
             neigh-updates 40 neigh-updates-dropped 0\n"
        );
        let (result, out, _) = run_line(&mut s, "-j -d mod");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(json.is_object(), "{out}");
        assert_eq!(json["peer_notify"], true);
        assert_eq!(json["remote_moves"], 3);
        assert_eq!(json["remote_ids_notified"], 12);
        assert_eq!(json["neigh_updates"], 40);
        assert_eq!(json["neigh_updates_dropped"], 0);
        let (result, out, _) = run_line(&mut s, "-p module");
        result.unwrap();
        assert!(out.starts_with("{\n"), "{out}");
        // Each show is one module-get, a do request without attributes.
        let sent = sent(&mut s);
        assert_eq!(sent.len(), 4);
        assert!(sent
            .iter()
            .all(|(c, a)| *c == cmd::MODULE_GET && a.is_empty()));
    }

    #[test]
    fn module_show_needs_exactly_one_reply() {
        for count in [0, 2] {
            let mut s = kernel(move |_, _| Ok(vec![replies::module_counters(); count]));
            let (result, out, _) = run_line(&mut s, "module show");
            assert_eq!(out, "");
            assert_eq!(
                result.unwrap_err().to_string(),
                format!("malformed message from the kernel: expected one reply, got {count}")
            );
        }
        let mut s = kernel(|_, _| Ok(vec![replies::group_g0()]));
        let e = run_line(&mut s, "module show").0.unwrap_err();
        assert!(e.to_string().contains("expected a reply to command"), "{e}");
    }

    #[test]
    fn module_set_sends_peer_notify() {
        for (word, byte) in [("on", 1), ("off", 0)] {
            let mut s = kernel(|_, _| Ok(vec![]));
            let (result, out, _) = run_line(&mut s, &format!("module set peer-notify {word}"));
            result.unwrap();
            assert_eq!(out, "");
            assert_eq!(
                sent(&mut s),
                [(
                    cmd::MODULE_SET,
                    vec![(module_attr::PEER_NOTIFY, vec![byte])]
                )]
            );
        }
    }

    #[test]
    fn module_set_rejection_names_the_attribute() {
        let mut s = kernel(|_, _| {
            Err((
                libc::EPERM,
                Box::new(|w: &mut AttrWriter<'_>| {
                    w.put_u32(2, 20);
                }),
            ))
        });
        let e = run_line(&mut s, "module set peer-notify off")
            .0
            .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "module-set failed: Operation not permitted (attribute peer-notify, CAP_NET_ADMIN is needed)"
        );
    }

    #[test]
    fn interrupted_dump_is_retried_then_shown_with_a_warning() {
        for (interrupted, warned) in [(2, false), (usize::MAX, true)] {
            let mut dumps = 0;
            let mut s = Session::new(ScriptedKernel::new(move |req| {
                let seq = seq_of(req);
                if ctrl_fake::is_family_lookup(req) {
                    return vec![
                        ctrl_fake::family_reply(seq, FAMILY, &[("monitor", MONITOR_GROUP)]),
                        fake::ack(req, 0, |_| {}),
                    ];
                }
                dumps += 1;
                let flags = if dumps <= interrupted {
                    NLM_F_MULTI | NLM_F_DUMP_INTR
                } else {
                    NLM_F_MULTI
                };
                vec![
                    fake::message(FAMILY, flags, seq, &replies::group_g0()),
                    fake::done(seq, 0),
                ]
            }));
            let (result, out, err) = run_line(&mut s, "group show");
            result.unwrap();
            assert!(out.starts_with("group g0 state up"), "{out}");
            assert_eq!(out.lines().count(), 1);
            let expected = if warned {
                format!("{DUMP_INTERRUPTED}\n")
            } else {
                String::new()
            };
            assert_eq!(err, expected);
            assert_eq!(sent(&mut s).len(), 3);
        }
    }

    #[test]
    fn empty_listings() {
        let mut s = kernel(|_, _| Ok(vec![]));
        assert_eq!(run_line(&mut s, "group").1, "");
        assert_eq!(run_line(&mut s, "-j group").1, "[]\n");
    }

    #[test]
    fn kernel_rejection_is_reported() {
        let mut s = kernel(|_, req| {
            // point at the second attribute, failback-delay-ms
            let offset = 20 + 8;
            assert_eq!(Attrs::new(&req[20..]).count(), 2);
            Err((
                libc::ERANGE,
                Box::new(move |w: &mut AttrWriter<'_>| {
                    w.put_str(1, "integer out of range");
                    w.put_u32(2, offset);
                }),
            ))
        });
        let (result, out, _) = run_line(&mut s, "group add g0 failback-delay 7200s");
        let e = result.unwrap_err();
        assert_eq!(out, "");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "group-new failed: Numerical result out of range: integer out of range (attribute failback-delay-ms)"
        );
    }

    #[test]
    fn probe_settings_reach_the_kernel_and_its_refusal_is_shown() {
        let mut s = kernel(|_, _| {
            Err((
                libc::EINVAL,
                Box::new(|w: &mut AttrWriter<'_>| {
                    w.put_str(1, "probe interval must be 10 to 60000 ms");
                }),
            ))
        });
        let (result, _, _) = run_line(&mut s, "group set g0 probe-interval 5ms");
        let e = result.unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "group-set failed: Invalid argument: probe interval must be 10 to 60000 ms"
        );
        assert_eq!(
            sent(&mut s),
            [(
                cmd::GROUP_SET,
                vec![
                    (group_attr::NAME, b"g0\0".to_vec()),
                    (group_attr::PROBE_INTERVAL_MS, 5u32.to_ne_bytes().to_vec())
                ]
            )]
        );
        let mut s = kernel(|_, _| Ok(vec![]));
        run_line(&mut s, "group set g0 probe-targets none probe-misses 5")
            .0
            .unwrap();
        assert_eq!(
            sent(&mut s),
            [(
                cmd::GROUP_SET,
                vec![
                    (group_attr::NAME, b"g0\0".to_vec()),
                    (group_attr::PROBE_OFF, vec![]),
                    (group_attr::PROBE_MISSES, 5u32.to_ne_bytes().to_vec())
                ]
            )]
        );
        // A bad address is a bad command line: nothing is sent, exit 2.
        let args: Vec<String> = ["group", "add", "g0", "probe-targets", "10.1.0.2,b"]
            .map(String::from)
            .to_vec();
        let e = Error::from(parse(&args).unwrap_err());
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("invalid address \"b\""), "{e}");
    }

    fn probing_kernel() -> Session<ScriptedKernel> {
        kernel(|command, req| match command {
            cmd::PORT_GET => Ok(vec![replies::port_rxe0_down()]),
            cmd::PROBE_GET => {
                let v4 = "10.1.0.2".parse().unwrap();
                let mut paths = vec![
                    replies::probe_path("rxe0/1", v4, Some(120)),
                    replies::probe_path("rxe1/1", v4, None),
                ];
                // Filtered by group: only g0 has paths.
                let filtered = Attrs::new(&req[20..]).next().is_some();
                if !filtered {
                    paths.push(replies::probe_path(
                        "rxe0/1",
                        "fd00:1::2".parse().unwrap(),
                        None,
                    ));
                }
                Ok(paths)
            }
            cmd::GROUP_GET => Ok(vec![replies::group_g0_probing()]),
            _ => Ok(vec![]),
        })
    }

    #[test]
    fn port_show_details_has_the_probe_paths() {
        let mut s = probing_kernel();
        let (result, out, _) = run_line(&mut s, "-d port show group g0");
        result.unwrap();
        assert_eq!(
            out,
            "port rxe0/1 ifname eth0 ifindex 2 group g0 state down down-reason no-carrier \
             drained no addrs-home 2 addrs-hosted 0 failures 1\n    \
             target 10.1.0.2 misses 0 successes 12 last-reply 120ms ago sent 100 replies 98 \
             missed 2\n"
        );
        let requests = sent(&mut s);
        assert_eq!(
            requests[0],
            (cmd::PROBE_GET, vec![(probe_attr::GROUP, b"g0\0".to_vec())])
        );
        assert_eq!(requests[1].0, cmd::PORT_GET);
        let (result, out, _) = run_line(&mut s, "-j -d port show rxe0/1");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let probes = json[0]["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 2);
        assert_eq!(probes[1]["target"], "fd00:1::2");
        assert_eq!(probes[1]["last_reply_ms"], serde_json::Value::Null);
        // Without -d, no probe-get.
        let mut s = probing_kernel();
        let (result, out, _) = run_line(&mut s, "port show");
        result.unwrap();
        assert_eq!(out.lines().count(), 1);
        assert_eq!(sent(&mut s).len(), 1);
        // A module that cannot dump probe paths: the ports without them.
        let mut s = kernel(|command, _| match command {
            cmd::PORT_GET => Ok(vec![replies::port_rxe0_down()]),
            _ => Err((libc::EOPNOTSUPP, Box::new(|_: &mut AttrWriter<'_>| {}))),
        });
        let (result, out, _) = run_line(&mut s, "-d -j port show");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json[0]["probes"], serde_json::json!([]));
    }

    #[test]
    fn probe_show_lists_every_path() {
        let mut s = probing_kernel();
        let (result, out, _) = run_line(&mut s, "probe show");
        result.unwrap();
        assert_eq!(
            out,
            "group g0 port rxe0/1 target 10.1.0.2 misses 0 successes 12 last-reply 120ms ago \
             sent 100 replies 98 missed 2\n\
             group g0 port rxe1/1 target 10.1.0.2 misses 0 successes 12 last-reply never \
             sent 100 replies 98 missed 2\n\
             group g0 port rxe0/1 target fd00:1::2 misses 0 successes 12 last-reply never \
             sent 100 replies 98 missed 2\n"
        );
        assert_eq!(sent(&mut s), [(cmd::PROBE_GET, vec![])]);
        let (result, out, _) = run_line(&mut s, "-j probe show group g0");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        assert_eq!(json[0]["port"], "rxe0/1");
        assert_eq!(json[0]["group"], "g0");
        assert_eq!(json[0]["replies"], 98);
        assert_eq!(json[1]["last_reply_ms"], serde_json::Value::Null);
        let (result, out, _) = run_line(&mut s, "-j -d group show");
        result.unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json[0]["probe_targets"],
            serde_json::json!(["10.1.0.2", "fd00:1::2"])
        );
        assert_eq!(json[0]["probe_replies_ignored"], 7);
    }

    #[test]
    fn monitor_prints_probe_events() {
        let mut s = kernel(|_, _| Ok(vec![]));
        let t = s.transport_mut();
        for unreachable in [true, false] {
            t.notifications.push(Ok(fake::message(
                FAMILY,
                0,
                0,
                &replies::probe_targets_event(unreachable),
            )));
        }
        t.notifications.push(Ok(fake::message(
            FAMILY,
            0,
            0,
            &replies::payload(cmd::PORT_DOWN_NTF, |w| {
                w.put_str(2, "rxe0/1");
                w.put_u32(4, crate::uapi::down_reason::PROBE);
            }),
        )));
        let (result, out, err) = run_line(&mut s, "monitor");
        assert!(matches!(result, Err(Error::Netlink(SessionError::Io(_)))));
        assert_eq!(err, "");
        assert_eq!(
            out,
            "event probe-targets time 1763729042.512000000 group g0 probe-targets-unreachable yes\n\
             event probe-targets time 1763729042.512000000 group g0 probe-targets-unreachable no\n\
             event port-down port rxe0/1 down-reason probe\n"
        );
    }

    #[test]
    fn missing_family() {
        let mut s = Session::new(ScriptedKernel::new(|req| {
            vec![fake::ack(req, libc::ENOENT, |_| {})]
        }));
        let (result, _, _) = run_line(&mut s, "group show");
        assert_eq!(
            result.unwrap_err().to_string(),
            "family rdmaip not found (is the rdmaip module loaded?)"
        );
    }

    #[test]
    fn failed_lookup_is_not_an_rdmaip_error() {
        let mut s = Session::new(ScriptedKernel::new(|req| {
            vec![fake::ack(req, libc::EPERM, |_| {})]
        }));
        let e = run_line(&mut s, "group show").0.unwrap_err();
        assert_eq!(
            e.to_string(),
            "looking up family rdmaip: kernel rejected command 3: Operation not permitted"
        );
    }

    #[test]
    fn malformed_reply_is_an_error() {
        let mut s = kernel(|_, _| Ok(vec![replies::payload(cmd::GROUP_GET, |_| {})]));
        let (result, _, _) = run_line(&mut s, "group show");
        assert!(result
            .unwrap_err()
            .to_string()
            .contains("group without a name"));
    }

    #[test]
    fn every_entry_runs_what_it_parsed() {
        for (entry, line) in crate::table::COMMANDS
            .iter()
            .zip(crate::table::tests::EXAMPLES)
        {
            let mut s = kernel(|command, _| match command {
                cmd::MODULE_GET => Ok(vec![replies::module_counters()]),
                _ => Ok(vec![]),
            });
            let (result, _, _) = run_line(&mut s, line);
            match result {
                Ok(()) => {}
                // The monitor runs until the script ends.
                Err(Error::Netlink(SessionError::Io(_))) if entry.verb.is_empty() => {}
                Err(e) => panic!("{line}: {e}"),
            }
        }
    }

    #[test]
    fn a_command_handed_to_another_entry_is_an_internal_error() {
        let mut s = kernel(|_, _| Ok(vec![]));
        let mut invocation = parse(&["group".to_string()]).unwrap();
        invocation.command = Command::GroupDel { name: "g0".into() };
        let e = run(&invocation, &mut s, &mut Vec::new(), &mut Vec::new()).unwrap_err();
        assert!(matches!(e, Error::Internal(_)));
        assert_eq!(
            e.to_string(),
            "internal error: no handler for GroupDel { name: \"g0\" }"
        );
        assert!(sent(&mut s).is_empty());
        invocation.entry = None;
        let e = run(&invocation, &mut s, &mut Vec::new(), &mut Vec::new()).unwrap_err();
        assert!(matches!(e, Error::Internal(_)));
    }

    fn batch(
        session: &mut Session<ScriptedKernel>,
        text: &str,
        force: bool,
    ) -> (Result<(), Error>, String, String) {
        let options = Options {
            force,
            ..Options::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = run_batch(
            "f.conf",
            text,
            options,
            session,
            &mut Unasked,
            &mut out,
            &mut err,
        );
        (
            result,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn refuse_group_del() -> Session<ScriptedKernel> {
        kernel(|command, _| match command {
            cmd::GROUP_DEL => Err((libc::ENOENT, Box::new(|_: &mut AttrWriter<'_>| {}))),
            cmd::GROUP_GET => Ok(vec![replies::group_g0()]),
            _ => Ok(vec![]),
        })
    }

    const BATCH: &str = "\
group add g0   # first
# a comment

group del g9
port add rxe0/1 group g0
g s
";

    #[test]
    fn batch_stops_at_the_first_failure_naming_the_line() {
        let mut s = refuse_group_del();
        let (result, out, err) = batch(&mut s, BATCH, false);
        let e = result.unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.conf:4: group-del failed: No such file or directory"
        );
        assert_eq!(e.exit_code(), 1);
        assert_eq!((out.as_str(), err.as_str()), ("", ""));
        let commands: Vec<u8> = sent(&mut s).iter().map(|(c, _)| *c).collect();
        assert_eq!(commands, [cmd::GROUP_NEW, cmd::GROUP_DEL]);
    }

    #[test]
    fn batch_with_force_goes_on_and_fails_at_the_end() {
        let mut s = refuse_group_del();
        let (result, out, err) = batch(&mut s, BATCH, true);
        let e = result.unwrap_err();
        assert_eq!(e.to_string(), "1 of 4 commands failed");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            err,
            "rdmaipctl: f.conf:4: group-del failed: No such file or directory\n"
        );
        assert!(out.starts_with("group g0 state up"), "{out}");
        let commands: Vec<u8> = sent(&mut s).iter().map(|(c, _)| *c).collect();
        assert_eq!(
            commands,
            [
                cmd::GROUP_NEW,
                cmd::GROUP_DEL,
                cmd::PORT_ADD,
                cmd::GROUP_GET
            ]
        );
        // The family is looked up once for the whole batch.
        let lookups = s
            .transport_mut()
            .sent
            .iter()
            .filter(|m| ctrl_fake::is_family_lookup(m))
            .count();
        assert_eq!(lookups, 1);
    }

    #[test]
    fn batch_reads_every_line_before_running_any() {
        let text = "group add g0\nport add rxe0/1 group g0\ngroup add g1 failback-delay 5 s\n";
        let mut s = Session::new(ScriptedKernel::new(|_| panic!("no request expected")));
        let (result, _, _) = batch(&mut s, text, false);
        let e = result.unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.conf:3: group add: unknown argument \"s\" (expected failback, failback-delay, \
             hold-down-max, announce-count, announce-interval, probe-targets, probe-interval, \
             probe-misses, probe-successes)"
        );
        assert_eq!(e.exit_code(), 2);
        // With -force the bad line is reported and the others run.
        let mut s = kernel(|_, _| Ok(vec![]));
        let (result, _, err) = batch(&mut s, text, true);
        assert_eq!(result.unwrap_err().to_string(), "1 of 3 commands failed");
        assert!(err.starts_with("rdmaipctl: f.conf:3: group add: unknown argument"));
        let commands: Vec<u8> = sent(&mut s).iter().map(|(c, _)| *c).collect();
        assert_eq!(commands, [cmd::GROUP_NEW, cmd::PORT_ADD]);
    }

    #[test]
    fn batch_help_and_empty_files_need_no_kernel() {
        let mut s = Session::new(ScriptedKernel::new(|_| panic!("no request expected")));
        let (result, out, _) = batch(&mut s, "# nothing\n\ngroup help\n", false);
        result.unwrap();
        assert_eq!(out, crate::table::object_usage("group"));
        assert!(batch(&mut s, "", false).0.is_ok());
    }

    #[test]
    fn another_family_version_is_refused_clearly() {
        let mut s = Session::new(ScriptedKernel::new(|req| {
            vec![
                ctrl_fake::family_reply_version(seq_of(req), FAMILY, &[], 2),
                fake::ack(req, 0, |_| {}),
            ]
        }));
        let e = run_line(&mut s, "group show").0.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the rdmaip module speaks version 2 of the rdmaip family, this rdmaipctl \
             speaks version 1: use the rdmaipctl built with the loaded module (modinfo \
             rdmaip; rdmaipctl -V)"
        );
        assert_eq!(e.exit_code(), 1);
        assert!(sent(&mut s).is_empty());
    }

    #[test]
    fn object_help_and_no_object() {
        let mut s = Session::new(ScriptedKernel::new(|_| panic!("no request expected")));
        let (result, out, _) = run_line(&mut s, "port help");
        result.unwrap();
        assert_eq!(out, crate::table::object_usage("port"));
        let invocation = parse(&[]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let e = run(&invocation, &mut s, &mut out, &mut err).unwrap_err();
        assert!(matches!(e, Error::NoCommand));
        assert_eq!(e.exit_code(), 255);
        assert!(out.is_empty());
        assert_eq!(String::from_utf8(err).unwrap(), usage());
    }

    #[test]
    fn help_and_version_need_no_kernel() {
        let mut s = Session::new(ScriptedKernel::new(|_| panic!("no request expected")));
        assert_eq!(run_line(&mut s, "help").1, usage());
        assert!(run_line(&mut s, "-V").1.starts_with("rdmaipctl "));
    }

    #[test]
    fn monitor_prints_events_and_survives_overruns() {
        let mut s = kernel(|_, _| Ok(vec![]));
        let t = s.transport_mut();
        let mut datagram = fake::message(FAMILY, 0, 0, &replies::addr_moved_event());
        datagram.extend(fake::message(
            FAMILY,
            0,
            0,
            &replies::payload(cmd::PORT_DOWN_NTF, |w| {
                w.put_str(2, "rxe0/1");
                w.put_u32(4, 3);
            }),
        ));
        t.notifications.push(Ok(datagram));
        t.notifications
            .push(Err(io::Error::from_raw_os_error(libc::ENOBUFS)));
        t.notifications
            .push(Ok(fake::message(FAMILY, 0, 0, &[cmd::GROUP_UP_NTF])));
        t.notifications.push(Ok(vec![1, 2, 3]));
        t.notifications.push(Ok(fake::message(
            FAMILY,
            0,
            0,
            &replies::payload(cmd::GROUP_UP_NTF, |w| {
                w.put_str(3, "g0");
            }),
        )));
        t.notifications.push(Ok(fake::message(
            FAMILY,
            0,
            0,
            &replies::remote_move_event(),
        )));
        let args = vec!["-j".to_string(), "monitor".to_string()];
        let invocation = parse(&args).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        // The script ends with an I/O error, which ends the monitor.
        let e = run(&invocation, &mut s, &mut out, &mut err).unwrap_err();
        assert!(matches!(e, Error::Netlink(SessionError::Io(_))));
        assert_eq!(s.transport_mut().groups, [MONITOR_GROUP]);
        let out = String::from_utf8(out).unwrap();
        let events: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(events.len(), 4);
        assert_eq!(events[0]["event"], "addr-moved");
        assert_eq!(events[1]["event"], "port-down");
        assert_eq!(events[1]["down_reason"], "no-carrier");
        assert_eq!(events[2]["group"], "g0");
        assert_eq!(events[3]["event"], "remote-move");
        assert_eq!(events[3]["addr"], "10.1.0.1");
        assert_eq!(events[3]["lladdr_new"], "52:54:00:0a:01:02");
        assert_eq!(events[3]["neigh_latency_us"], 800);
        assert!(events[3].get("ifindex").is_none());
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("events lost"));
        assert!(err.contains("malformed event"));
        assert!(err.contains("malformed message"));
    }

    #[test]
    fn monitor_text_lines() {
        for (options, ifindex) in [("", ""), ("-d ", " ifindex 2")] {
            let mut s = kernel(|_, _| Ok(vec![]));
            let t = s.transport_mut();
            t.notifications.push(Ok(fake::message(
                FAMILY,
                0,
                0,
                &replies::remote_move_event(),
            )));
            t.notifications.push(Ok(fake::message(
                FAMILY,
                0,
                0,
                &replies::addr_moved_event(),
            )));
            let (result, out, err) = run_line(&mut s, &format!("{options}monitor"));
            assert!(matches!(result, Err(Error::Netlink(SessionError::Io(_)))));
            assert_eq!(err, "");
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(
                lines[0],
                format!(
                    "event remote-move time 1763729042.512000000 ifname eth0{ifindex} addr 10.1.0.1 \
                     lladdr-old 52:54:00:0a:01:01 lladdr-new 52:54:00:0a:01:02 cm-ids-notified 3 \
                     cm-delivery-us 120 neigh-latency-us 800"
                )
            );
            assert!(
                lines[1].starts_with("event addr-moved time "),
                "{}",
                lines[1]
            );
            assert_eq!(lines.len(), 2);
        }
    }

    #[test]
    fn monitor_without_group() {
        let mut s = Session::new(ScriptedKernel::new(|req| {
            vec![
                ctrl_fake::family_reply(seq_of(req), FAMILY, &[]),
                fake::ack(req, 0, |_| {}),
            ]
        }));
        let (result, _, _) = run_line(&mut s, "monitor");
        assert!(matches!(result.unwrap_err(), Error::NoMonitorGroup));
    }

    #[test]
    fn closed_output() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut s = kernel(|_, _| Ok(vec![replies::group_g0()]));
        let invocation = parse(&["group".to_string()]).unwrap();
        let e = run(&invocation, &mut s, &mut Closed, &mut Vec::new()).unwrap_err();
        assert!(is_closed_output(&e));
        assert!(!is_closed_output(&Error::FamilyMissing));
    }
}
