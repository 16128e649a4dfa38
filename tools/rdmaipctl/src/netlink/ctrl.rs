// SPDX-License-Identifier: GPL-2.0

//! The generic netlink controller (`nlctrl`): turns a family name into the
//! family's id and its multicast groups' ids.

use super::attr::{Attrs, DecodeError};
use super::message::{GenlMsg, Request, NLM_F_ACK};
use super::session::{Session, SessionError, Transport};
use super::{c_u16, c_u8};

const GENL_ID_CTRL: u16 = c_u16(libc::GENL_ID_CTRL);
const CTRL_CMD_GETFAMILY: u8 = c_u8(libc::CTRL_CMD_GETFAMILY);
/// The controller family's version (`ctrl_ops` in net/netlink/genetlink.c
/// registers version 2); no header names it, so libc has no constant.
const CTRL_VERSION: u8 = 2;
const CTRL_ATTR_FAMILY_ID: u16 = c_u16(libc::CTRL_ATTR_FAMILY_ID);
const CTRL_ATTR_FAMILY_NAME: u16 = c_u16(libc::CTRL_ATTR_FAMILY_NAME);
const CTRL_ATTR_VERSION: u16 = c_u16(libc::CTRL_ATTR_VERSION);
const CTRL_ATTR_MCAST_GROUPS: u16 = c_u16(libc::CTRL_ATTR_MCAST_GROUPS);
const CTRL_ATTR_MCAST_GRP_NAME: u16 = c_u16(libc::CTRL_ATTR_MCAST_GRP_NAME);
const CTRL_ATTR_MCAST_GRP_ID: u16 = c_u16(libc::CTRL_ATTR_MCAST_GRP_ID);

/// A generic netlink family as registered in the running kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub id: u16,
    pub version: u32,
    /// Multicast groups: name and id.
    pub groups: Vec<(String, u32)>,
}

impl Family {
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, id)| id)
    }
}

pub fn family_request(name: &str) -> Request {
    let mut req = Request::new(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION, NLM_F_ACK);
    req.put_str(CTRL_ATTR_FAMILY_NAME, name);
    req
}

fn parse_groups(attrs: Attrs<'_>) -> Result<Vec<(String, u32)>, DecodeError> {
    let mut groups = Vec::new();
    // An array: one nest per group, its type being its index.
    for entry in attrs {
        let (mut name, mut id) = (None, None);
        for a in entry?.nested() {
            let a = a?;
            match a.kind {
                CTRL_ATTR_MCAST_GRP_NAME => name = Some(a.string()?),
                CTRL_ATTR_MCAST_GRP_ID => id = Some(a.u32()?),
                _ => {}
            }
        }
        match (name, id) {
            (Some(name), Some(id)) => groups.push((name, id)),
            _ => return Err(DecodeError::new("multicast group without name or id")),
        }
    }
    Ok(groups)
}

pub fn parse_family(payload: &[u8]) -> Result<Family, DecodeError> {
    let msg = GenlMsg::parse(payload)?;
    let (mut id, mut version, mut groups) = (None, 0, Vec::new());
    for a in msg.attrs {
        let a = a?;
        match a.kind {
            CTRL_ATTR_FAMILY_ID => id = Some(a.u16()?),
            CTRL_ATTR_VERSION => version = a.u32()?,
            CTRL_ATTR_MCAST_GROUPS => groups = parse_groups(a.nested())?,
            _ => {}
        }
    }
    let id = id.ok_or_else(|| DecodeError::new("family reply without a family id"))?;
    Ok(Family {
        id,
        version,
        groups,
    })
}

/// Looks a family up by name; `Ok(None)` if the kernel does not know it.
pub fn resolve<T: Transport + ?Sized>(
    session: &mut Session<T>,
    name: &str,
) -> Result<Option<Family>, SessionError> {
    match session.exchange(&mut family_request(name)) {
        Ok(replies) => {
            let reply = replies
                .payloads
                .first()
                .ok_or_else(|| DecodeError::new("no reply to the family lookup"))?;
            Ok(Some(parse_family(reply)?))
        }
        Err(SessionError::Rejected(r)) if r.ack.errno == libc::ENOENT => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::netlink::attr::AttrWriter;
    use crate::netlink::message::fake;

    /// The controller's reply describing a family.
    pub fn family_reply(seq: u32, id: u16, groups: &[(&str, u32)]) -> Vec<u8> {
        family_reply_version(seq, id, groups, 1)
    }

    /// The same, with the family's version.
    pub fn family_reply_version(
        seq: u32,
        id: u16,
        groups: &[(&str, u32)],
        version: u32,
    ) -> Vec<u8> {
        fake::genl(GENL_ID_CTRL, 0, seq, 1, |w| {
            w.put_str(CTRL_ATTR_FAMILY_NAME, "rdmaip");
            w.put_u16(CTRL_ATTR_FAMILY_ID, id);
            w.put_u32(CTRL_ATTR_VERSION, version);
            let mut list = Vec::new();
            let mut l = AttrWriter::new(&mut list);
            for (i, (name, gid)) in groups.iter().enumerate() {
                let mut g = Vec::new();
                let mut gw = AttrWriter::new(&mut g);
                gw.put_u32(CTRL_ATTR_MCAST_GRP_ID, *gid);
                gw.put_str(CTRL_ATTR_MCAST_GRP_NAME, name);
                l.put(i as u16 + 1, &g);
            }
            w.put(CTRL_ATTR_MCAST_GROUPS, &list);
        })
    }

    pub fn is_family_lookup(request: &[u8]) -> bool {
        u16::from_ne_bytes([request[4], request[5]]) == GENL_ID_CTRL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::attr::AttrWriter;
    use crate::netlink::message::fake as msg;
    use crate::netlink::session::scripted::ScriptedKernel;

    fn seq_of(request: &[u8]) -> u32 {
        u32::from_ne_bytes(request[8..12].try_into().unwrap())
    }

    #[test]
    fn request_names_the_family() {
        let req = family_request("rdmaip");
        assert_eq!(req.command(), CTRL_CMD_GETFAMILY);
        let attrs: Vec<_> = req.attrs().collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs[0].kind, CTRL_ATTR_FAMILY_NAME);
        assert_eq!(attrs[0].string().unwrap(), "rdmaip");
    }

    #[test]
    fn resolves_id_and_groups() {
        let kernel = ScriptedKernel::new(|req| {
            assert!(fake::is_family_lookup(req));
            vec![
                fake::family_reply(seq_of(req), 0x22, &[("monitor", 9), ("other", 10)]),
                msg::ack(req, 0, |_| {}),
            ]
        });
        let mut s = Session::new(kernel);
        let family = resolve(&mut s, "rdmaip").unwrap().unwrap();
        assert_eq!(family.id, 0x22);
        assert_eq!(family.version, 1);
        assert_eq!(family.group("monitor"), Some(9));
        assert_eq!(family.group("other"), Some(10));
        assert_eq!(family.group("none"), None);
    }

    #[test]
    fn unknown_family_is_none() {
        let kernel = ScriptedKernel::new(|req| vec![msg::ack(req, libc::ENOENT, |_| {})]);
        let mut s = Session::new(kernel);
        assert_eq!(resolve(&mut s, "rdmaip").unwrap(), None);
    }

    #[test]
    fn other_errors_pass_through() {
        let kernel = ScriptedKernel::new(|req| vec![msg::ack(req, libc::EPERM, |_| {})]);
        let mut s = Session::new(kernel);
        assert!(matches!(
            resolve(&mut s, "rdmaip"),
            Err(SessionError::Rejected(_))
        ));
        let kernel = ScriptedKernel::new(|req| vec![msg::ack(req, 0, |_| {})]);
        let mut s = Session::new(kernel);
        assert!(matches!(
            resolve(&mut s, "rdmaip"),
            Err(SessionError::Decode(_))
        ));
    }

    #[test]
    fn malformed_family_replies() {
        // no id
        let reply = msg::genl(GENL_ID_CTRL, 0, 1, 1, |w| {
            w.put_str(CTRL_ATTR_FAMILY_NAME, "x");
        });
        let payload = &reply[16..];
        assert!(parse_family(payload).unwrap_err().0.contains("family id"));
        // group without id
        let reply = msg::genl(GENL_ID_CTRL, 0, 1, 1, |w| {
            w.put_u16(CTRL_ATTR_FAMILY_ID, 3);
            let mut g = Vec::new();
            AttrWriter::new(&mut g).put_str(CTRL_ATTR_MCAST_GRP_NAME, "monitor");
            let mut list = Vec::new();
            AttrWriter::new(&mut list).put(1, &g);
            w.put(CTRL_ATTR_MCAST_GROUPS, &list);
        });
        assert!(parse_family(&reply[16..]).is_err());
        // id of the wrong size
        let reply = msg::genl(GENL_ID_CTRL, 0, 1, 1, |w| {
            w.put_u32(CTRL_ATTR_FAMILY_ID, 3);
        });
        assert!(parse_family(&reply[16..]).is_err());
    }
}
