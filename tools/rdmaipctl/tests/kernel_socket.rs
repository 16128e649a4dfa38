// SPDX-License-Identifier: GPL-2.0

//! The real socket against the running kernel's generic netlink
//! controller, which every Linux kernel has: family lookups, a dump, and
//! an extended ACK for a request the kernel's policy rejects.

use rdmaipctl::netlink::ctrl;
use rdmaipctl::netlink::message::{GenlMsg, Request, NLM_F_ACK, NLM_F_DUMP};
use rdmaipctl::netlink::session::{Session, SessionError};
use rdmaipctl::netlink::socket::NetlinkSocket;

const GENL_ID_CTRL: u16 = libc::GENL_ID_CTRL as u16;
const CTRL_CMD_GETFAMILY: u8 = libc::CTRL_CMD_GETFAMILY as u8;
const CTRL_CMD_NEWFAMILY: u8 = libc::CTRL_CMD_NEWFAMILY as u8;
const CTRL_ATTR_FAMILY_NAME: u16 = libc::CTRL_ATTR_FAMILY_NAME as u16;

fn session() -> Session<NetlinkSocket> {
    Session::new(NetlinkSocket::open().expect("generic netlink socket"))
}

#[test]
fn resolves_the_controller_itself() {
    let family = ctrl::resolve(&mut session(), "nlctrl").unwrap().unwrap();
    assert_eq!(family.id, GENL_ID_CTRL);
    assert!(family.group("notify").is_some());
}

#[test]
fn unknown_family_is_none() {
    assert_eq!(
        ctrl::resolve(&mut session(), "no-such-family").unwrap(),
        None
    );
}

#[test]
fn dump_lists_families() {
    let mut s = session();
    let mut req = Request::new(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2, NLM_F_DUMP);
    let replies = s.exchange(&mut req).unwrap();
    assert!(!replies.interrupted);
    assert!(!replies.payloads.is_empty());
    for reply in &replies.payloads {
        assert_eq!(GenlMsg::parse(reply).unwrap().cmd, CTRL_CMD_NEWFAMILY);
        ctrl::parse_family(reply).unwrap();
    }
    // The same socket keeps working after a dump.
    assert!(ctrl::resolve(&mut s, "nlctrl").unwrap().is_some());
}

#[test]
fn policy_rejection_comes_with_an_extended_ack() {
    // The controller's policy limits family names to GENL_NAMSIZ - 1 bytes.
    let mut req = Request::new(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2, NLM_F_ACK);
    req.put_str(CTRL_ATTR_FAMILY_NAME, &"x".repeat(40));
    match session().exchange(&mut req) {
        Err(SessionError::Rejected(r)) => {
            assert_eq!(r.ack.errno, libc::EINVAL, "{r:?}");
            assert!(r.ack.ext.message.is_some(), "{r:?}");
            assert_eq!(r.attr, Some(CTRL_ATTR_FAMILY_NAME), "{r:?}");
            let policy = r
                .ack
                .ext
                .policy
                .as_ref()
                .expect("policy in the extended ACK");
            assert_eq!(policy.max_len, Some(15), "{r:?}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Sends `message` from a new socket of our own to port `port`; false if
/// this process may not (sending to another socket needs CAP_NET_ADMIN).
fn send_from_another_socket(port: u32, message: &[u8]) -> bool {
    use std::mem;
    // SAFETY: plain system calls on a socket this function owns; the
    // pointers and lengths describe live locals.
    unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_GENERIC,
        );
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let mut to: libc::sockaddr_nl = mem::zeroed();
        to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        to.nl_pid = port;
        let sent = libc::sendto(
            fd,
            message.as_ptr().cast(),
            message.len(),
            0,
            (&to as *const libc::sockaddr_nl).cast(),
            mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        );
        let error = std::io::Error::last_os_error();
        libc::close(fd);
        if sent < 0 && error.raw_os_error() == Some(libc::EPERM) {
            return false;
        }
        assert_eq!(sent, message.len() as isize, "sendto: {error}");
        true
    }
}

#[test]
fn answers_forged_by_another_socket_are_ignored() {
    use rdmaipctl::netlink::session::Transport;
    let mut s = session();
    let port = s.transport_mut().port_id();
    assert_ne!(port, 0);
    // An error ack for the session's first request (sequence 1), addressed
    // to it but sent by another socket.
    let mut forged = Vec::new();
    forged.extend_from_slice(&36u32.to_ne_bytes());
    forged.extend_from_slice(&(libc::NLMSG_ERROR as u16).to_ne_bytes());
    forged.extend_from_slice(&0u16.to_ne_bytes());
    forged.extend_from_slice(&1u32.to_ne_bytes());
    forged.extend_from_slice(&port.to_ne_bytes());
    forged.extend_from_slice(&(-libc::EPERM).to_ne_bytes());
    forged.extend_from_slice(&[0; 16]);
    if !send_from_another_socket(port, &forged) {
        eprintln!("skipped: sending to another socket needs CAP_NET_ADMIN");
        return;
    }
    let family = ctrl::resolve(&mut s, "nlctrl").unwrap().unwrap();
    assert_eq!(family.id, GENL_ID_CTRL);
}
