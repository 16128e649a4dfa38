// SPDX-License-Identifier: GPL-2.0

//! Request/reply exchanges over a netlink transport: a `do` request
//! answered by replies and an ack, a dump answered by replies and
//! `NLMSG_DONE`, and multicast notifications.
//!
//! Only the kernel's answers count: a datagram from another socket, or a
//! message addressed to another port or carrying another sequence number,
//! is skipped, as iproute2 does. A dump the kernel marks as interrupted
//! (`NLM_F_DUMP_INTR`: the state changed while it was dumped) is asked for
//! again, a few times.

use std::fmt;
use std::io;

use super::attr::DecodeError;
use super::message::{
    Ack, NlMsg, NlMsgs, Request, NLMSG_DONE, NLMSG_ERROR, NLMSG_MIN_TYPE, NLM_F_DUMP_INTR,
};

/// The port id of the kernel, the sender of every answer and event.
pub const KERNEL_PORT: u32 = 0;

/// How many times a dump is asked for while the kernel says it was
/// interrupted, before its last answer is taken as it is.
pub const DUMP_ATTEMPTS: usize = 3;

/// What a dump that stayed interrupted after `DUMP_ATTEMPTS` prints, in
/// iproute2's words.
pub const DUMP_INTERRUPTED: &str = "Dump was interrupted and may be inconsistent.";

/// One datagram received, with the port id of the socket that sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub data: Vec<u8>,
    pub sender: u32,
}

impl Datagram {
    /// A datagram from the kernel.
    pub fn from_kernel(data: Vec<u8>) -> Self {
        Datagram {
            data,
            sender: KERNEL_PORT,
        }
    }
}

/// What a session needs from a netlink socket; tests replace the socket
/// with a scripted kernel.
pub trait Transport {
    /// Sends one message to the kernel.
    fn send(&mut self, message: &[u8]) -> io::Result<()>;
    /// Receives one datagram (one or more messages).
    fn recv(&mut self) -> io::Result<Datagram>;
    /// Subscribes to a multicast group.
    fn join_group(&mut self, group: u32) -> io::Result<()>;
    /// The socket's own port id, which the kernel's answers are addressed to.
    fn port_id(&self) -> u32;
}

/// The answers to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replies {
    /// The generic netlink payloads of the replies, in order.
    pub payloads: Vec<Vec<u8>>,
    /// The kernel marked the dump as interrupted (`NLM_F_DUMP_INTR`) every
    /// time it was asked: the payloads may be inconsistent.
    pub interrupted: bool,
}

/// Reads one datagram of the answers to the request numbered `seq` from
/// port `port`: replies go into `replies`, and the request's ack (or the
/// dump's `NLMSG_DONE`) is returned once reached. Messages that are not
/// answers to that request are skipped.
pub fn absorb(
    datagram: &[u8],
    seq: u32,
    port: u32,
    replies: &mut Replies,
) -> Result<Option<Ack>, DecodeError> {
    for msg in NlMsgs::new(datagram) {
        let msg = msg?;
        if !answers(&msg, seq, port) {
            continue;
        }
        if msg.flags & NLM_F_DUMP_INTR != 0 {
            replies.interrupted = true;
        }
        match msg.kind {
            NLMSG_ERROR => return Ack::from_error(&msg).map(Some),
            NLMSG_DONE => return Ack::from_done(&msg).map(Some),
            kind if kind < NLMSG_MIN_TYPE => {} // other control messages
            _ => replies.payloads.push(msg.payload.to_vec()),
        }
    }
    Ok(None)
}

/// Whether `msg` answers the request numbered `seq` sent from port
/// `port`: the kernel addresses its answers to the requester's port and
/// repeats the request's number. Anything else is left over from an
/// earlier exchange, or not meant for us.
fn answers(msg: &NlMsg<'_>, seq: u32, port: u32) -> bool {
    msg.seq == seq && msg.port_id == port
}

/// The kernel refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The command of the refused request.
    pub cmd: u8,
    /// The request's attribute the kernel pointed at, if any.
    pub attr: Option<u16>,
    pub ack: Ack,
}

/// `strerror()`, without Rust's " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[derive(Debug)]
pub enum SessionError {
    Io(io::Error),
    Decode(DecodeError),
    /// Boxed: an ack with its extended ACK is large, and errors travel far.
    Rejected(Box<Rejection>),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Io(e) => write!(f, "netlink: {e}"),
            SessionError::Decode(e) => write!(f, "malformed message from the kernel: {e}"),
            SessionError::Rejected(r) => write!(
                f,
                "kernel rejected command {}: {}",
                r.cmd,
                strerror(r.ack.errno)
            ),
        }
    }
}

impl std::error::Error for SessionError {}

impl From<io::Error> for SessionError {
    fn from(e: io::Error) -> Self {
        SessionError::Io(e)
    }
}

impl From<DecodeError> for SessionError {
    fn from(e: DecodeError) -> Self {
        SessionError::Decode(e)
    }
}

/// Exchanges over a transport. `Session<dyn Transport>` works too (the
/// transport is the last field), so that code need not be generic.
pub struct Session<T: ?Sized> {
    seq: u32,
    transport: T,
}

impl<T: Transport> Session<T> {
    pub fn new(transport: T) -> Self {
        Session { seq: 0, transport }
    }
}

impl<T: Transport + ?Sized> Session<T> {
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends a request and returns its replies: those before the ack of a
    /// `do` request (which must ask for one), or every part of a dump up to
    /// `NLMSG_DONE`. A dump the kernel marks as interrupted is asked for
    /// again, up to `DUMP_ATTEMPTS` times in all; `interrupted` says if
    /// the last one still was.
    pub fn exchange(&mut self, request: &mut Request) -> Result<Replies, SessionError> {
        let mut attempt = 1;
        loop {
            let replies = self.exchange_once(request)?;
            if !replies.interrupted || !request.is_dump() || attempt >= DUMP_ATTEMPTS {
                return Ok(replies);
            }
            attempt += 1;
        }
    }

    fn exchange_once(&mut self, request: &mut Request) -> Result<Replies, SessionError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let port = self.transport.port_id();
        self.transport.send(request.bytes(seq))?;
        let mut replies = Replies::default();
        loop {
            let datagram = self.transport.recv()?;
            if datagram.sender != KERNEL_PORT {
                continue; // another socket's, not the kernel's
            }
            let Some(ack) = absorb(&datagram.data, seq, port, &mut replies)? else {
                continue;
            };
            if ack.errno != 0 {
                return Err(SessionError::Rejected(Box::new(Rejection {
                    cmd: request.command(),
                    attr: ack.ext.offset.and_then(|o| request.attr_at(o)),
                    ack,
                })));
            }
            return Ok(replies);
        }
    }

    /// Waits for the next datagram and returns the payloads of the
    /// notifications of `family` in it.
    /// Datagrams from other sockets than the kernel's are skipped.
    pub fn notifications(&mut self, family: u16) -> Result<Vec<Vec<u8>>, SessionError> {
        let datagram = self.transport.recv()?;
        let mut found = Vec::new();
        if datagram.sender != KERNEL_PORT {
            return Ok(found);
        }
        for msg in NlMsgs::new(&datagram.data) {
            let msg = msg?;
            if msg.kind == family {
                found.push(msg.payload.to_vec());
            }
        }
        Ok(found)
    }
}

/// A scripted kernel for tests: every request is recorded and answered by
/// a closure returning the datagrams to deliver.
#[cfg(test)]
pub mod scripted {
    use super::*;
    use std::collections::VecDeque;

    type Responder = Box<dyn FnMut(&[u8]) -> Vec<Vec<u8>>>;

    /// The port id of the scripted socket; `message::fake` addresses its
    /// messages to it.
    pub const PORT: u32 = 1234;

    pub struct ScriptedKernel {
        respond: Responder,
        pub sent: Vec<Vec<u8>>,
        /// Datagrams from the kernel still to be received.
        pub pending: VecDeque<io::Result<Vec<u8>>>,
        /// Datagrams from another socket (port id, data), received before
        /// the next of `pending`.
        pub foreign: VecDeque<(u32, Vec<u8>)>,
        pub groups: Vec<u32>,
        /// Delivered once a multicast group is joined.
        pub notifications: Vec<io::Result<Vec<u8>>>,
    }

    impl ScriptedKernel {
        pub fn new(respond: impl FnMut(&[u8]) -> Vec<Vec<u8>> + 'static) -> Self {
            ScriptedKernel {
                respond: Box::new(respond),
                sent: Vec::new(),
                pending: VecDeque::new(),
                foreign: VecDeque::new(),
                groups: Vec::new(),
                notifications: Vec::new(),
            }
        }
    }

    impl Transport for ScriptedKernel {
        fn send(&mut self, message: &[u8]) -> io::Result<()> {
            self.sent.push(message.to_vec());
            for datagram in (self.respond)(message) {
                self.pending.push_back(Ok(datagram));
            }
            Ok(())
        }

        fn recv(&mut self) -> io::Result<Datagram> {
            if let Some((sender, data)) = self.foreign.pop_front() {
                return Ok(Datagram { data, sender });
            }
            let data = self.pending.pop_front().unwrap_or_else(|| {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "script ended"))
            })?;
            Ok(Datagram::from_kernel(data))
        }

        fn port_id(&self) -> u32 {
            PORT
        }

        fn join_group(&mut self, group: u32) -> io::Result<()> {
            self.groups.push(group);
            self.pending.extend(self.notifications.drain(..));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scripted::{ScriptedKernel, PORT};
    use super::*;
    use crate::netlink::message::{fake, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI};

    fn seq_of(request: &[u8]) -> u32 {
        u32::from_ne_bytes(request[8..12].try_into().unwrap())
    }

    /// `message` (one message) addressed to port `port` instead.
    fn to_port(mut message: Vec<u8>, port: u32) -> Vec<u8> {
        message[12..16].copy_from_slice(&port.to_ne_bytes());
        message
    }

    /// `message` (one message) with `flags` added.
    fn flagged(mut message: Vec<u8>, flags: u16) -> Vec<u8> {
        let old = u16::from_ne_bytes([message[6], message[7]]);
        message[6..8].copy_from_slice(&(old | flags).to_ne_bytes());
        message
    }

    #[test]
    fn absorb_keeps_only_answers_to_the_request() {
        let mut d = fake::genl(30, NLM_F_MULTI, 7, 3, |w| {
            w.put_u32(1, 1);
        });
        d.extend(fake::genl(30, NLM_F_MULTI, 6, 3, |_| {})); // earlier request
        d.extend(to_port(fake::genl(30, NLM_F_MULTI, 7, 3, |_| {}), PORT + 1));
        d.extend(fake::message(1, 0, 7, &[])); // NLMSG_NOOP
        d.extend(fake::genl(30, NLM_F_MULTI, 7, 4, |_| {}));
        let mut replies = Replies::default();
        assert_eq!(absorb(&d, 7, PORT, &mut replies), Ok(None));
        let commands: Vec<u8> = replies.payloads.iter().map(|p| p[0]).collect();
        assert_eq!(commands, [3, 4]);
        assert!(!replies.interrupted);
        // Another port's or another request's end is not ours either.
        let mut end = to_port(fake::done(7, 0), 99);
        end.extend(fake::done(8, libc::EIO));
        assert_eq!(absorb(&end, 7, PORT, &mut replies), Ok(None));
        assert_eq!(
            absorb(&fake::done(7, 0), 7, PORT, &mut replies),
            Ok(Some(Ack::default()))
        );
        assert_eq!(replies.payloads.len(), 2);
    }

    #[test]
    fn absorb_notes_an_interrupted_dump() {
        let mut replies = Replies::default();
        let d = flagged(fake::genl(30, NLM_F_MULTI, 7, 3, |_| {}), NLM_F_DUMP_INTR);
        assert_eq!(absorb(&d, 7, PORT, &mut replies), Ok(None));
        assert!(replies.interrupted);
        // The flag may come on NLMSG_DONE only.
        let mut replies = Replies::default();
        let d = flagged(fake::done(7, 0), NLM_F_DUMP_INTR);
        assert!(absorb(&d, 7, PORT, &mut replies).unwrap().is_some());
        assert!(replies.interrupted);
        // Not when it is on someone else's message.
        let mut replies = Replies::default();
        let d = flagged(fake::done(6, 0), NLM_F_DUMP_INTR);
        assert_eq!(absorb(&d, 7, PORT, &mut replies), Ok(None));
        assert!(!replies.interrupted);
    }

    #[test]
    fn absorb_stops_at_a_malformed_message() {
        let mut d = fake::genl(30, NLM_F_MULTI, 7, 3, |_| {});
        d.extend([1, 2, 3]);
        let mut replies = Replies::default();
        assert!(absorb(&d, 7, PORT, &mut replies).is_err());
    }

    #[test]
    fn datagrams_from_other_sockets_are_skipped() {
        let mut kernel = ScriptedKernel::new(|req| {
            vec![
                fake::genl(30, 0, seq_of(req), 3, |_| {}),
                fake::ack(req, 0, |_| {}),
            ]
        });
        // A forged ack for the first request, sent by port 4321.
        let mut forged = fake::ack(Request::new(30, 3, 1, 0).bytes(1), libc::EPERM, |_| {});
        forged[12..16].copy_from_slice(&PORT.to_ne_bytes());
        kernel.foreign.push_back((4321, forged));
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 3, 1, NLM_F_ACK);
        let replies = s.exchange(&mut req).unwrap();
        assert_eq!(replies.payloads.len(), 1);
        assert!(s.transport_mut().foreign.is_empty());
    }

    /// A kernel answering dumps with one reply, flagged as interrupted for
    /// the first `interrupted` dumps.
    fn interrupting_kernel(interrupted: usize) -> ScriptedKernel {
        let mut count = 0;
        ScriptedKernel::new(move |req| {
            count += 1;
            let seq = seq_of(req);
            let flags = if count <= interrupted {
                NLM_F_MULTI | NLM_F_DUMP_INTR
            } else {
                NLM_F_MULTI
            };
            let reply = fake::genl(30, flags, seq, 3, |w| {
                w.put_u32(1, count as u32);
            });
            if req[6..8] == NLM_F_ACK.to_ne_bytes() {
                vec![reply, fake::ack(req, 0, |_| {})]
            } else {
                vec![reply, fake::done(seq, 0)]
            }
        })
    }

    #[test]
    fn interrupted_dump_is_asked_for_again() {
        let mut s = Session::new(interrupting_kernel(2));
        let mut req = Request::new(30, 3, 1, NLM_F_DUMP);
        let replies = s.exchange(&mut req).unwrap();
        assert!(!replies.interrupted);
        // Only the third, consistent, dump's reply.
        assert_eq!(replies.payloads.len(), 1);
        assert_eq!(replies.payloads[0][8..12], 3u32.to_ne_bytes());
        let seqs: Vec<u32> = s.transport_mut().sent.iter().map(|m| seq_of(m)).collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn dump_interrupted_every_time_is_returned_as_such() {
        let mut s = Session::new(interrupting_kernel(usize::MAX));
        let mut req = Request::new(30, 3, 1, NLM_F_DUMP);
        let replies = s.exchange(&mut req).unwrap();
        assert!(replies.interrupted);
        assert_eq!(replies.payloads.len(), 1);
        assert_eq!(s.transport_mut().sent.len(), DUMP_ATTEMPTS);
    }

    #[test]
    fn do_requests_are_never_repeated() {
        let mut s = Session::new(interrupting_kernel(usize::MAX));
        let mut req = Request::new(30, 1, 1, NLM_F_ACK);
        assert!(s.exchange(&mut req).unwrap().interrupted);
        assert_eq!(s.transport_mut().sent.len(), 1);
    }

    #[test]
    fn do_request_collects_reply_then_ack() {
        let kernel = ScriptedKernel::new(|req| {
            let seq = seq_of(req);
            let reply = fake::genl(30, 0, seq, 3, |w| {
                w.put_str(1, "g0");
            });
            vec![reply, fake::ack(req, 0, |_| {})]
        });
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 3, 1, NLM_F_ACK);
        let replies = s.exchange(&mut req).unwrap();
        assert_eq!(replies.payloads.len(), 1);
        assert_eq!(replies.payloads[0][0], 3);
        assert_eq!(s.transport_mut().sent.len(), 1);
    }

    #[test]
    fn stale_messages_are_skipped() {
        let kernel = ScriptedKernel::new(|req| {
            let seq = seq_of(req);
            let mut d = fake::done(seq.wrapping_sub(1), libc::EIO);
            d.extend(fake::ack(req, 0, |_| {}));
            vec![d]
        });
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 1, 1, NLM_F_ACK);
        assert!(s.exchange(&mut req).unwrap().payloads.is_empty());
    }

    #[test]
    fn dump_ends_at_done() {
        let kernel = ScriptedKernel::new(|req| {
            let seq = seq_of(req);
            let a = fake::genl(30, NLM_F_MULTI, seq, 3, |_| {});
            let mut b = fake::genl(30, NLM_F_MULTI, seq, 3, |_| {});
            b.extend(fake::done(seq, 0));
            vec![a, b]
        });
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 3, 1, NLM_F_DUMP);
        assert_eq!(s.exchange(&mut req).unwrap().payloads.len(), 2);
    }

    #[test]
    fn rejection_names_the_attribute() {
        let kernel = ScriptedKernel::new(|req| {
            vec![fake::ack(req, libc::ERANGE, |w| {
                w.put_u32(2, 28); // NLMSGERR_ATTR_OFFS: the second attribute
            })]
        });
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 1, 1, NLM_F_ACK);
        req.put_str(1, "g0");
        req.put_u32(4, 1);
        match s.exchange(&mut req).unwrap_err() {
            SessionError::Rejected(r) => {
                assert_eq!(r.cmd, 1);
                assert_eq!(r.attr, Some(4));
                assert_eq!(r.ack.errno, libc::ERANGE);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn errors_in_done_are_rejections() {
        let kernel = ScriptedKernel::new(|req| vec![fake::done(seq_of(req), libc::ENOENT)]);
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 8, 1, NLM_F_DUMP);
        let err = s.exchange(&mut req).unwrap_err();
        assert!(matches!(err, SessionError::Rejected(ref r) if r.ack.errno == libc::ENOENT));
        assert!(err.to_string().contains("command 8"));
    }

    #[test]
    fn malformed_reply_and_io_errors() {
        let mut kernel = ScriptedKernel::new(|_| Vec::new());
        kernel.pending.push_back(Ok(vec![1, 2, 3]));
        let mut s = Session::new(kernel);
        let mut req = Request::new(30, 1, 1, NLM_F_ACK);
        let err = s.exchange(&mut req).unwrap_err();
        assert!(matches!(err, SessionError::Decode(_)));
        assert!(err.to_string().starts_with("malformed message"));
        // the script has nothing more to say
        let err = s.exchange(&mut req).unwrap_err();
        assert!(matches!(err, SessionError::Io(_)));
    }

    #[test]
    fn notifications_of_other_families_are_ignored() {
        let mut kernel = ScriptedKernel::new(|_| Vec::new());
        let mut d = fake::genl(31, 0, 0, 11, |_| {});
        d.extend(fake::genl(30, 0, 0, 12, |_| {}));
        kernel.pending.push_back(Ok(d));
        let mut s = Session::new(kernel);
        let found = s.notifications(30).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0][0], 12);
    }

    #[test]
    fn notifications_from_other_sockets_are_ignored() {
        let mut kernel = ScriptedKernel::new(|_| Vec::new());
        kernel
            .foreign
            .push_back((4321, fake::genl(30, 0, 0, 12, |_| {})));
        kernel
            .pending
            .push_back(Ok(fake::genl(30, 0, 0, 13, |_| {})));
        let mut s = Session::new(kernel);
        assert!(s.notifications(30).unwrap().is_empty());
        assert_eq!(s.notifications(30).unwrap()[0][0], 13);
    }
}
