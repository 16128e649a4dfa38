// SPDX-License-Identifier: GPL-2.0

//! Netlink messages: building generic netlink requests, splitting a
//! received datagram into messages, and reading acknowledgements with their
//! extended ACK (error message, offending attribute, policy).

use std::mem::size_of;

use super::attr::{align4, Attr, AttrWriter, Attrs, DecodeError};
use super::c_u16;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = size_of::<libc::nlmsghdr>();
/// Size of `struct genlmsghdr`.
pub const GENL_HDRLEN: usize = size_of::<libc::genlmsghdr>();

pub const NLMSG_ERROR: u16 = c_u16(libc::NLMSG_ERROR);
pub const NLMSG_DONE: u16 = c_u16(libc::NLMSG_DONE);
/// Types below this one are netlink's own control messages.
pub const NLMSG_MIN_TYPE: u16 = c_u16(libc::NLMSG_MIN_TYPE);

pub const NLM_F_REQUEST: u16 = c_u16(libc::NLM_F_REQUEST);
pub const NLM_F_MULTI: u16 = c_u16(libc::NLM_F_MULTI);
pub const NLM_F_ACK: u16 = c_u16(libc::NLM_F_ACK);
pub const NLM_F_DUMP: u16 = c_u16(libc::NLM_F_DUMP);
/// In a dump's message: the dumped state changed while the dump ran, so
/// the dump may be inconsistent.
pub const NLM_F_DUMP_INTR: u16 = c_u16(libc::NLM_F_DUMP_INTR);
/// In an ack: the request's payload was left out (`NETLINK_CAP_ACK`).
const NLM_F_CAPPED: u16 = c_u16(libc::NLM_F_CAPPED);
/// In an ack: extended ACK attributes follow.
const NLM_F_ACK_TLVS: u16 = c_u16(libc::NLM_F_ACK_TLVS);

// libc has neither `enum nlmsgerr_attrs` nor `enum netlink_policy_type_attr`
// (linux/netlink.h): the values rdmaipctl reads are written out here.
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLMSGERR_ATTR_POLICY: u16 = 4;
const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;

const NL_POLICY_TYPE_ATTR_MIN_VALUE_S: u16 = 2;
const NL_POLICY_TYPE_ATTR_MAX_VALUE_S: u16 = 3;
const NL_POLICY_TYPE_ATTR_MIN_VALUE_U: u16 = 4;
const NL_POLICY_TYPE_ATTR_MAX_VALUE_U: u16 = 5;
const NL_POLICY_TYPE_ATTR_MAX_LENGTH: u16 = 7;

/// A generic netlink request being built: headers first, then top-level
/// attributes, whose offsets are remembered so that an extended ACK
/// pointing at one of them can be turned back into its name. (`raw`
/// builds a request of a netlink protocol without a generic netlink
/// header, such as `NETLINK_RDMA`'s.)
#[derive(Debug, Clone)]
pub struct Request {
    buf: Vec<u8>,
    attr_offsets: Vec<(usize, u16)>,
    /// Where the attributes start: after the generic netlink header, or
    /// right after the netlink header for a `raw` request.
    attrs_start: usize,
    /// The command, for errors: the generic netlink command, or the low
    /// byte of a `raw` request's message type.
    cmd: u8,
}

impl Request {
    pub fn new(family: u16, cmd: u8, version: u8, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, set by finish()
        buf.extend_from_slice(&family.to_ne_bytes());
        buf.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // sequence, set by finish()
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
        buf.extend_from_slice(&[cmd, version, 0, 0]);
        Request {
            buf,
            attr_offsets: Vec::new(),
            attrs_start: NLMSG_HDRLEN + GENL_HDRLEN,
            cmd,
        }
    }

    /// A request of message type `kind` whose attributes follow the
    /// netlink header directly (no generic netlink header), as
    /// `NETLINK_RDMA`'s do.
    pub fn raw(kind: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, set by finish()
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // sequence, set by finish()
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
        Request {
            buf,
            attr_offsets: Vec::new(),
            attrs_start: NLMSG_HDRLEN,
            cmd: kind.to_le_bytes()[0],
        }
    }

    fn record(&mut self, put: impl FnOnce(&mut AttrWriter<'_>) -> usize, kind: u16) {
        let offset = put(&mut AttrWriter::new(&mut self.buf));
        self.attr_offsets.push((offset, kind));
    }

    pub fn put_u8(&mut self, kind: u16, value: u8) {
        self.record(|w| w.put_u8(kind, value), kind);
    }

    pub fn put_u32(&mut self, kind: u16, value: u32) {
        self.record(|w| w.put_u32(kind, value), kind);
    }

    pub fn put_str(&mut self, kind: u16, value: &str) {
        self.record(|w| w.put_str(kind, value), kind);
    }

    /// A binary attribute (an address, for instance).
    pub fn put_bytes(&mut self, kind: u16, value: &[u8]) {
        self.record(|w| w.put(kind, value), kind);
    }

    /// A flag: an attribute without a payload, there or not.
    pub fn put_flag(&mut self, kind: u16) {
        self.record(|w| w.put(kind, &[]), kind);
    }

    pub fn command(&self) -> u8 {
        self.cmd
    }

    /// Whether this is a dump request (`NLM_F_DUMP`).
    pub fn is_dump(&self) -> bool {
        header_field_u16(&self.buf, 6) & NLM_F_DUMP == NLM_F_DUMP
    }

    /// The top-level attributes written so far, in order.
    pub fn attr_kinds(&self) -> impl Iterator<Item = u16> + '_ {
        self.attr_offsets.iter().map(|&(_, kind)| kind)
    }

    /// The attributes as the kernel will see them (for tests and checks).
    pub fn attrs(&self) -> Attrs<'_> {
        Attrs::new(&self.buf[self.attrs_start..])
    }

    /// The type of the top-level attribute at `offset` (counted from the
    /// start of the message, as `NLMSGERR_ATTR_OFFS` is).
    pub fn attr_at(&self, offset: u32) -> Option<u16> {
        let offset = usize::try_from(offset).ok()?;
        self.attr_offsets
            .iter()
            .find(|&&(start, _)| start == offset)
            .map(|&(_, kind)| kind)
    }

    /// The finished message, with its length and sequence number set.
    pub fn bytes(&mut self, seq: u32) -> &[u8] {
        let len = u32::try_from(self.buf.len()).expect("request larger than 4 GiB");
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        &self.buf
    }
}

/// One netlink message out of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlMsg<'a> {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub port_id: u32,
    pub payload: &'a [u8],
}

fn header_field_u16(data: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([data[at], data[at + 1]])
}

fn header_field_u32(data: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Splits a datagram into its messages. A malformed message ends the
/// iteration with one error.
pub struct NlMsgs<'a> {
    rest: &'a [u8],
}

impl<'a> NlMsgs<'a> {
    pub fn new(datagram: &'a [u8]) -> Self {
        NlMsgs { rest: datagram }
    }
}

impl<'a> Iterator for NlMsgs<'a> {
    type Item = Result<NlMsg<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = std::mem::take(&mut self.rest);
        if rest.len() < NLMSG_HDRLEN {
            return Some(Err(DecodeError::new(format!(
                "truncated netlink header ({} bytes)",
                rest.len()
            ))));
        }
        let len = header_field_u32(rest, 0) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Some(Err(DecodeError::new(format!(
                "netlink message claims {len} bytes, {} available",
                rest.len()
            ))));
        }
        self.rest = rest.get(align4(len)..).unwrap_or(&[]);
        Some(Ok(NlMsg {
            kind: header_field_u16(rest, 4),
            flags: header_field_u16(rest, 6),
            seq: header_field_u32(rest, 8),
            port_id: header_field_u32(rest, 12),
            payload: &rest[NLMSG_HDRLEN..len],
        }))
    }
}

/// A generic netlink message: command and attributes.
#[derive(Debug, Clone)]
pub struct GenlMsg<'a> {
    pub cmd: u8,
    pub attrs: Attrs<'a>,
}

impl<'a> GenlMsg<'a> {
    pub fn parse(payload: &'a [u8]) -> Result<Self, DecodeError> {
        if payload.len() < GENL_HDRLEN {
            return Err(DecodeError::new("truncated generic netlink header"));
        }
        Ok(GenlMsg {
            cmd: payload[0],
            attrs: Attrs::new(&payload[GENL_HDRLEN..]),
        })
    }
}

/// Limits of the attribute the kernel's policy rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyLimits {
    pub min: Option<i128>,
    pub max: Option<i128>,
    pub max_len: Option<u32>,
}

/// The extended ACK: what the kernel said beyond an errno.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtAck {
    pub message: Option<String>,
    /// Offset of the offending attribute in the request.
    pub offset: Option<u32>,
    /// Type of a required attribute that was missing.
    pub missing: Option<u16>,
    pub policy: Option<PolicyLimits>,
}

/// An acknowledgement (`NLMSG_ERROR`) or the end of a dump (`NLMSG_DONE`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ack {
    /// 0 for success, else a positive errno.
    pub errno: i32,
    pub ext: ExtAck,
}

fn parse_policy(attr: &Attr<'_>) -> Result<PolicyLimits, DecodeError> {
    let mut limits = PolicyLimits::default();
    for a in attr.nested() {
        let a = a?;
        match a.kind {
            NL_POLICY_TYPE_ATTR_MIN_VALUE_U => limits.min = Some(a.u64()?.into()),
            NL_POLICY_TYPE_ATTR_MAX_VALUE_U => limits.max = Some(a.u64()?.into()),
            NL_POLICY_TYPE_ATTR_MIN_VALUE_S => limits.min = Some((a.u64()? as i64).into()),
            NL_POLICY_TYPE_ATTR_MAX_VALUE_S => limits.max = Some((a.u64()? as i64).into()),
            NL_POLICY_TYPE_ATTR_MAX_LENGTH => limits.max_len = Some(a.u32()?),
            _ => {}
        }
    }
    Ok(limits)
}

fn parse_ext_ack(tlvs: &[u8]) -> Result<ExtAck, DecodeError> {
    let mut ext = ExtAck::default();
    for attr in Attrs::new(tlvs) {
        let attr = attr?;
        match attr.kind {
            NLMSGERR_ATTR_MSG => ext.message = Some(attr.string()?),
            NLMSGERR_ATTR_OFFS => ext.offset = Some(attr.u32()?),
            NLMSGERR_ATTR_MISS_TYPE => ext.missing = Some(attr.u32()? as u16),
            NLMSGERR_ATTR_POLICY => ext.policy = Some(parse_policy(&attr)?),
            _ => {}
        }
    }
    Ok(ext)
}

fn errno_from(raw: i32) -> i32 {
    raw.checked_neg().unwrap_or(i32::MAX).max(0)
}

impl Ack {
    /// Reads an `NLMSG_ERROR` message: `struct nlmsgerr` (errno and the
    /// request's header), the request's payload unless capped, then the
    /// extended ACK attributes.
    pub fn from_error(msg: &NlMsg<'_>) -> Result<Ack, DecodeError> {
        let p = msg.payload;
        // `struct nlmsgerr`: the errno, then the request's header.
        let fixed = size_of::<libc::nlmsgerr>();
        if p.len() < fixed {
            return Err(DecodeError::new("truncated netlink error message"));
        }
        let errno = errno_from(i32::from_ne_bytes([p[0], p[1], p[2], p[3]]));
        let mut tlv_start = fixed;
        if errno != 0 && msg.flags & NLM_F_CAPPED == 0 {
            let request_len = header_field_u32(p, 4) as usize;
            tlv_start += align4(request_len.saturating_sub(NLMSG_HDRLEN));
        }
        let ext = if msg.flags & NLM_F_ACK_TLVS != 0 {
            let tlvs = p.get(tlv_start..).ok_or_else(|| {
                DecodeError::new("netlink error message shorter than its request")
            })?;
            parse_ext_ack(tlvs)?
        } else {
            ExtAck::default()
        };
        Ok(Ack { errno, ext })
    }

    /// Reads an `NLMSG_DONE` message: the dump's errno, then the extended
    /// ACK attributes.
    pub fn from_done(msg: &NlMsg<'_>) -> Result<Ack, DecodeError> {
        let p = msg.payload;
        let Some(raw) = p.get(0..4) else {
            // Old kernels end a dump with an empty NLMSG_DONE.
            return Ok(Ack::default());
        };
        let errno = errno_from(i32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]));
        let ext = if msg.flags & NLM_F_ACK_TLVS != 0 {
            parse_ext_ack(&p[4..])?
        } else {
            ExtAck::default()
        };
        Ok(Ack { errno, ext })
    }
}

/// Builders for the kernel's side of a conversation, shared by the tests of
/// this crate.
#[cfg(test)]
pub mod fake {
    use super::*;

    pub fn message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        // Addressed to the scripted socket, as the kernel addresses its
        // answers to the requester.
        m.extend_from_slice(&crate::netlink::session::scripted::PORT.to_ne_bytes());
        m.extend_from_slice(payload);
        m.resize(align4(m.len()), 0);
        m
    }

    /// A generic netlink message with attributes written by `fill`.
    pub fn genl(
        family: u16,
        flags: u16,
        seq: u32,
        cmd: u8,
        fill: impl FnOnce(&mut AttrWriter<'_>),
    ) -> Vec<u8> {
        let mut payload = vec![cmd, 1, 0, 0];
        fill(&mut AttrWriter::new(&mut payload));
        message(family, flags, seq, &payload)
    }

    /// An ack for `request` (capped, as with `NETLINK_CAP_ACK`) carrying
    /// `errno` (positive) and extended ACK attributes written by `fill`.
    pub fn ack(request: &[u8], errno: i32, fill: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
        let mut payload = (-errno).to_ne_bytes().to_vec();
        payload.extend_from_slice(&request[..NLMSG_HDRLEN]);
        let before = payload.len();
        fill(&mut AttrWriter::new(&mut payload));
        let flags = NLM_F_CAPPED
            | if payload.len() > before {
                NLM_F_ACK_TLVS
            } else {
                0
            };
        let seq = header_field_u32(request, 8);
        message(NLMSG_ERROR, flags, seq, &payload)
    }

    /// A kernel's successful answer to `request` (a dump when `dump`):
    /// the messages of family `kind` carrying `payloads`, then the dump's
    /// end or the request's ack.
    pub fn answer(
        kind: u16,
        request: &[u8],
        seq: u32,
        dump: bool,
        payloads: &[Vec<u8>],
    ) -> Vec<Vec<u8>> {
        let flags = if dump { NLM_F_MULTI } else { 0 };
        let mut out: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| message(kind, flags, seq, p))
            .collect();
        out.push(if dump {
            done(seq, 0)
        } else {
            ack(request, 0, |_| {})
        });
        out
    }

    pub fn done(seq: u32, errno: i32) -> Vec<u8> {
        message(NLMSG_DONE, NLM_F_MULTI, seq, &(-errno).to_ne_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::fake;
    use super::*;
    use proptest::prelude::*;

    fn only(datagram: &[u8]) -> NlMsg<'_> {
        let msgs: Vec<_> = NlMsgs::new(datagram).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 1);
        msgs[0]
    }

    #[test]
    fn libc_values_are_the_wire_format() {
        assert_eq!((NLMSG_HDRLEN, GENL_HDRLEN), (16, 4));
        assert_eq!(size_of::<libc::nlmsgerr>(), 4 + NLMSG_HDRLEN);
        assert_eq!((NLMSG_ERROR, NLMSG_DONE, NLMSG_MIN_TYPE), (2, 3, 0x10));
        assert_eq!((NLM_F_DUMP, NLM_F_DUMP_INTR), (0x300, 0x10));
        assert_eq!((NLM_F_CAPPED, NLM_F_ACK_TLVS), (0x100, 0x200));
    }

    #[test]
    fn request_headers_and_attributes() {
        let mut req = Request::new(0x1c, 5, 1, NLM_F_ACK);
        req.put_str(1, "g0");
        req.put_u32(4, 5000);
        req.put_u8(3, 1);
        assert_eq!(req.command(), 5);
        assert!(!req.is_dump());
        assert!(Request::new(0x1c, 5, 1, NLM_F_DUMP).is_dump());
        assert_eq!(req.attr_kinds().collect::<Vec<_>>(), [1, 4, 3]);
        let bytes = req.bytes(77).to_vec();
        let msg = only(&bytes);
        assert_eq!(msg.kind, 0x1c);
        assert_eq!(msg.flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(msg.seq, 77);
        assert_eq!(msg.port_id, 0);
        let genl = GenlMsg::parse(msg.payload).unwrap();
        assert_eq!(genl.cmd, 5);
        let attrs: Vec<_> = genl.attrs.collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs[0].string().unwrap(), "g0");
        assert_eq!(attrs[1].u32().unwrap(), 5000);
        assert_eq!(attrs[2].u8().unwrap(), 1);
        assert_eq!(bytes.len() as u32, header_field_u32(&bytes, 0));
    }

    #[test]
    fn offsets_name_attributes() {
        let mut req = Request::new(0x1c, 1, 1, 0);
        req.put_str(1, "g0"); // at 20, 8 bytes
        req.put_u32(4, 9); // at 28
        assert_eq!(req.attr_at(20), Some(1));
        assert_eq!(req.attr_at(28), Some(4));
        assert_eq!(req.attr_at(24), None);
        assert_eq!(req.attr_at(u32::MAX), None);
    }

    #[test]
    fn splits_several_messages() {
        let mut d = fake::genl(30, NLM_F_MULTI, 3, 7, |w| {
            w.put_u32(1, 1);
        });
        d.extend(fake::done(3, 0));
        let msgs: Vec<_> = NlMsgs::new(&d).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].kind, 30);
        assert_eq!(msgs[1].kind, NLMSG_DONE);
        assert_eq!(Ack::from_done(&msgs[1]).unwrap(), Ack::default());
    }

    #[test]
    fn success_ack() {
        let mut req = Request::new(0x1c, 1, 1, NLM_F_ACK);
        let reply = fake::ack(req.bytes(9), 0, |_| {});
        let msg = only(&reply);
        assert_eq!(msg.kind, NLMSG_ERROR);
        assert_eq!(msg.seq, 9);
        assert_eq!(Ack::from_error(&msg).unwrap(), Ack::default());
    }

    #[test]
    fn error_ack_with_extack() {
        let mut req = Request::new(0x1c, 1, 1, NLM_F_ACK);
        req.put_u32(4, 99_999_999);
        let reply = fake::ack(req.bytes(1), libc::ERANGE, |w| {
            w.put_str(NLMSGERR_ATTR_MSG, "integer out of range");
            w.put_u32(NLMSGERR_ATTR_OFFS, 20);
            let mut policy = Vec::new();
            let mut p = AttrWriter::new(&mut policy);
            p.put(NL_POLICY_TYPE_ATTR_MIN_VALUE_U, &0u64.to_ne_bytes());
            p.put(NL_POLICY_TYPE_ATTR_MAX_VALUE_U, &3_600_000u64.to_ne_bytes());
            w.put(NLMSGERR_ATTR_POLICY | 0x8000, &policy);
        });
        let ack = Ack::from_error(&only(&reply)).unwrap();
        assert_eq!(ack.errno, libc::ERANGE);
        assert_eq!(ack.ext.message.as_deref(), Some("integer out of range"));
        assert_eq!(ack.ext.offset.and_then(|o| req.attr_at(o)), Some(4));
        let policy = ack.ext.policy.unwrap();
        assert_eq!((policy.min, policy.max), (Some(0), Some(3_600_000)));
    }

    #[test]
    fn signed_limits_and_max_length() {
        let mut policy = Vec::new();
        let mut p = AttrWriter::new(&mut policy);
        p.put(NL_POLICY_TYPE_ATTR_MIN_VALUE_S, &(-5i64).to_ne_bytes());
        p.put(NL_POLICY_TYPE_ATTR_MAX_VALUE_S, &5i64.to_ne_bytes());
        p.put_u32(NL_POLICY_TYPE_ATTR_MAX_LENGTH, 15);
        let attr = Attr {
            kind: NLMSGERR_ATTR_POLICY,
            payload: &policy,
        };
        let limits = parse_policy(&attr).unwrap();
        assert_eq!(limits.min, Some(-5));
        assert_eq!(limits.max, Some(5));
        assert_eq!(limits.max_len, Some(15));
    }

    #[test]
    fn missing_attribute() {
        let mut req = Request::new(0x1c, 2, 1, NLM_F_ACK);
        let reply = fake::ack(req.bytes(1), libc::EINVAL, |w| {
            w.put_u32(NLMSGERR_ATTR_MISS_TYPE, 1);
        });
        let ack = Ack::from_error(&only(&reply)).unwrap();
        assert_eq!(ack.ext.missing, Some(1));
    }

    #[test]
    fn uncapped_error_skips_the_echoed_request() {
        // Without NETLINK_CAP_ACK the kernel echoes the whole request
        // before the extended ACK attributes.
        let mut req = Request::new(0x1c, 1, 1, NLM_F_ACK);
        req.put_str(1, "abcdefg");
        let request = req.bytes(5).to_vec();
        let mut payload = (-libc::EEXIST).to_ne_bytes().to_vec();
        payload.extend_from_slice(&request);
        AttrWriter::new(&mut payload).put_str(NLMSGERR_ATTR_MSG, "group exists");
        let reply = fake::message(NLMSG_ERROR, NLM_F_ACK_TLVS, 5, &payload);
        let ack = Ack::from_error(&only(&reply)).unwrap();
        assert_eq!(ack.errno, libc::EEXIST);
        assert_eq!(ack.ext.message.as_deref(), Some("group exists"));
    }

    #[test]
    fn done_with_error_and_message() {
        let mut payload = (-libc::ENOENT).to_ne_bytes().to_vec();
        AttrWriter::new(&mut payload).put_str(NLMSGERR_ATTR_MSG, "no such group");
        let d = fake::message(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 4, &payload);
        let ack = Ack::from_done(&only(&d)).unwrap();
        assert_eq!(ack.errno, libc::ENOENT);
        assert_eq!(ack.ext.message.as_deref(), Some("no such group"));
        // an empty NLMSG_DONE is a success
        let d = fake::message(NLMSG_DONE, NLM_F_MULTI, 4, &[]);
        assert_eq!(Ack::from_done(&only(&d)).unwrap().errno, 0);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert!(NlMsgs::new(&[0; 10]).next().unwrap().is_err());
        let mut m = fake::message(NLMSG_ERROR, 0, 1, &[0; 4]);
        assert!(Ack::from_error(&only(&m)).is_err());
        // length field larger than the datagram
        m[0..4].copy_from_slice(&100u32.to_ne_bytes());
        assert!(NlMsgs::new(&m).next().unwrap().is_err());
        // length field smaller than a header
        m[0..4].copy_from_slice(&3u32.to_ne_bytes());
        assert!(NlMsgs::new(&m).next().unwrap().is_err());
        assert!(GenlMsg::parse(&[1, 2]).is_err());
        // ACK_TLVS set but the echoed request runs past the end
        let mut payload = (-1i32).to_ne_bytes().to_vec();
        let mut hdr = [0u8; NLMSG_HDRLEN];
        hdr[0..4].copy_from_slice(&400u32.to_ne_bytes());
        payload.extend_from_slice(&hdr);
        let m = fake::message(NLMSG_ERROR, NLM_F_ACK_TLVS, 1, &payload);
        assert!(Ack::from_error(&only(&m)).is_err());
    }

    #[test]
    fn errno_is_positive() {
        assert_eq!(errno_from(-2), 2);
        assert_eq!(errno_from(0), 0);
        assert_eq!(errno_from(5), 0);
        assert_eq!(errno_from(i32::MIN), i32::MAX);
    }

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            for msg in NlMsgs::new(&data).flatten() {
                let _ = Ack::from_error(&msg);
                let _ = Ack::from_done(&msg);
                if let Ok(genl) = GenlMsg::parse(msg.payload) {
                    for attr in genl.attrs.flatten() {
                        let _ = attr.string();
                    }
                }
            }
        }

        #[test]
        fn arbitrary_ack_payloads_never_panic(
            flags in any::<u16>(),
            payload in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let m = fake::message(NLMSG_ERROR, flags, 1, &payload);
            let msg = only(&m);
            let _ = Ack::from_error(&msg);
            let _ = Ack::from_done(&msg);
        }
    }
}
