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
    assert!(!replies.is_empty());
    for reply in &replies {
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
