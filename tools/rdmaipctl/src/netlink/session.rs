// SPDX-License-Identifier: GPL-2.0

//! Request/reply exchanges over a netlink transport: a `do` request
//! answered by replies and an ack, a dump answered by replies and
//! `NLMSG_DONE`, and multicast notifications.

use std::fmt;
use std::io;

use super::attr::DecodeError;
use super::message::{Ack, NlMsgs, Request, NLMSG_DONE, NLMSG_ERROR, NLMSG_MIN_TYPE};

/// What a session needs from a netlink socket; tests replace the socket
/// with a scripted kernel.
pub trait Transport {
    /// Sends one message.
    fn send(&mut self, message: &[u8]) -> io::Result<()>;
    /// Receives one datagram (one or more messages).
    fn recv(&mut self) -> io::Result<Vec<u8>>;
    /// Subscribes to a multicast group.
    fn join_group(&mut self, group: u32) -> io::Result<()>;
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

pub struct Session<T> {
    transport: T,
    seq: u32,
}

impl<T: Transport> Session<T> {
    pub fn new(transport: T) -> Self {
        Session { transport, seq: 0 }
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends a request and returns the generic netlink payloads of its
    /// replies: those before the ack of a `do` request (which must ask for
    /// one), or every part of a dump up to `NLMSG_DONE`.
    pub fn exchange(&mut self, request: &mut Request) -> Result<Vec<Vec<u8>>, SessionError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.transport.send(request.bytes(seq))?;
        let mut replies = Vec::new();
        loop {
            let datagram = self.transport.recv()?;
            for msg in NlMsgs::new(&datagram) {
                let msg = msg?;
                if msg.seq != seq {
                    // Left over from an earlier exchange; not ours.
                    continue;
                }
                let ack = match msg.kind {
                    NLMSG_ERROR => Ack::from_error(&msg)?,
                    NLMSG_DONE => Ack::from_done(&msg)?,
                    kind if kind < NLMSG_MIN_TYPE => continue, // other control messages
                    _ => {
                        replies.push(msg.payload.to_vec());
                        continue;
                    }
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
    }

    /// Waits for the next datagram and returns the payloads of the
    /// notifications of `family` in it.
    pub fn notifications(&mut self, family: u16) -> Result<Vec<Vec<u8>>, SessionError> {
        let datagram = self.transport.recv()?;
        let mut found = Vec::new();
        for msg in NlMsgs::new(&datagram) {
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

    pub struct ScriptedKernel {
        respond: Responder,
        pub sent: Vec<Vec<u8>>,
        pub pending: VecDeque<io::Result<Vec<u8>>>,
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

        fn recv(&mut self) -> io::Result<Vec<u8>> {
            self.pending.pop_front().unwrap_or_else(|| {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "script ended"))
            })
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
    use super::scripted::ScriptedKernel;
    use super::*;
    use crate::netlink::message::{fake, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI};

    fn seq_of(request: &[u8]) -> u32 {
        u32::from_ne_bytes(request[8..12].try_into().unwrap())
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
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0][0], 3);
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
        assert!(s.exchange(&mut req).unwrap().is_empty());
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
        assert_eq!(s.exchange(&mut req).unwrap().len(), 2);
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
}
