// SPDX-License-Identifier: GPL-2.0

//! rtnetlink address messages (`RTM_NEWADDR`, `RTM_DELADDR`, `RTM_GETADDR`),
//! encoded and decoded without allocation.
//!
//! rdmaip moves addresses the way `ip addr` does: it sends these messages to
//! rtnetlink over a kernel netlink socket, so the kernel's own address code
//! (notifiers, routes, duplicate detection flags) runs exactly as for an
//! admin's command. This file builds the requests and parses the replies;
//! the socket itself lives in the module.

/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u16 = 20;
/// `RTM_DELADDR`.
pub const RTM_DELADDR: u16 = 21;
/// `RTM_GETADDR`.
pub const RTM_GETADDR: u16 = 22;
/// `NLMSG_ERROR`: an ack (error 0) or an error.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;

const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_EXCL: u16 = 0x200;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;

/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_INET6`.
pub const AF_INET6: u8 = 10;

/// `IFA_F_SECONDARY`: an IPv4 address that is not its subnet's primary.
pub const IFA_F_SECONDARY: u32 = 0x01;
/// `IFA_F_NODAD`: skip duplicate address detection (usable at once).
pub const IFA_F_NODAD: u32 = 0x02;
/// `IFA_F_OPTIMISTIC`: IPv6 optimistic DAD.
pub const IFA_F_OPTIMISTIC: u32 = 0x04;
/// `IFA_F_DADFAILED`: IPv6 DAD found a duplicate.
pub const IFA_F_DADFAILED: u32 = 0x08;
/// `IFA_F_DEPRECATED`: IPv6 preferred lifetime over.
pub const IFA_F_DEPRECATED: u32 = 0x20;
/// `IFA_F_TENTATIVE`: IPv6 DAD not finished.
pub const IFA_F_TENTATIVE: u32 = 0x40;
/// Flags that describe an address's state on its current interface rather
/// than the admin's wishes: the kernel decides them anew after a move.
pub const IFA_STATE_FLAGS: u32 =
    IFA_F_SECONDARY | IFA_F_OPTIMISTIC | IFA_F_DADFAILED | IFA_F_DEPRECATED | IFA_F_TENTATIVE;
/// `IFA_F_PERMANENT`: configured by the admin, no lifetime.
pub const IFA_F_PERMANENT: u32 = 0x80;

/// `RT_SCOPE_LINK`: link-local addresses, which never move.
pub const RT_SCOPE_LINK: u8 = 253;
/// `RT_SCOPE_HOST`: loopback addresses, which never move.
pub const RT_SCOPE_HOST: u8 = 254;

/// Lifetime meaning "forever" in `ifa_cacheinfo`.
pub const INFINITY_LIFE_TIME: u32 = 0xffff_ffff;

const NLMSG_HDRLEN: usize = 16;
const IFADDRMSG_LEN: usize = 8;
const IFNAMSIZ: usize = 16;

/// An IP address of either family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpAddr {
    /// IPv4, in network byte order.
    V4([u8; 4]),
    /// IPv6, in network byte order.
    V6([u8; 16]),
}

impl IpAddr {
    /// The address family (`AF_INET` / `AF_INET6`).
    pub const fn family(&self) -> u8 {
        match self {
            IpAddr::V4(_) => AF_INET,
            IpAddr::V6(_) => AF_INET6,
        }
    }

    /// The address's bytes, in network order (4 or 16).
    pub fn bytes(&self) -> &[u8] {
        match self {
            IpAddr::V4(a) => a,
            IpAddr::V6(a) => a,
        }
    }

    /// IPv6 link-local (fe80::/10): tied to its link, never moved.
    pub fn is_link_local(&self) -> bool {
        matches!(self, IpAddr::V6(a) if a[0] == 0xfe && a[1] & 0xc0 == 0x80)
    }
}

impl core::fmt::Display for IpAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IpAddr::V4(a) => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            IpAddr::V6(a) => {
                // Plain eight groups, with the longest run of zero groups
                // (two or more) shortened to "::", as RFC 5952 asks.
                let g = |i: usize| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
                let (mut best, mut best_len, mut run, mut run_len) = (8, 0, 0, 0);
                for i in 0..8 {
                    if g(i) == 0 {
                        if run_len == 0 {
                            run = i;
                        }
                        run_len += 1;
                        if run_len > best_len {
                            (best, best_len) = (run, run_len);
                        }
                    } else {
                        run_len = 0;
                    }
                }
                if best_len < 2 {
                    best = 8;
                }
                let mut i = 0;
                while i < 8 {
                    if i == best {
                        f.write_str("::")?;
                        i += best_len;
                        continue;
                    }
                    if i != 0 && i != best + best_len {
                        f.write_str(":")?;
                    }
                    write!(f, "{:x}", g(i))?;
                    i += 1;
                }
                Ok(())
            }
        }
    }
}

/// Everything about one configured address that must survive a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefixlen: u8,
    /// Interface it is on.
    pub ifindex: u32,
    /// `IFA_F_*` flags (the 32-bit `IFA_FLAGS` value when present).
    pub flags: u32,
    /// `RT_SCOPE_*`.
    pub scope: u8,
    /// IPv4 broadcast address, if any.
    pub broadcast: Option<[u8; 4]>,
    /// IPv4 peer address when it differs from the local one (point to point).
    pub peer: Option<[u8; 4]>,
    /// IPv4 label (`eth0`, `eth0:1`), NUL padded.
    pub label: [u8; IFNAMSIZ],
    /// Preferred and valid lifetimes in seconds, when not permanent.
    pub lifetimes: Option<(u32, u32)>,
}

impl AddrInfo {
    /// A permanent, global-scope address with no label or broadcast.
    pub const fn new(addr: IpAddr, prefixlen: u8, ifindex: u32) -> Self {
        AddrInfo {
            addr,
            prefixlen,
            ifindex,
            flags: IFA_F_PERMANENT,
            scope: 0,
            broadcast: None,
            peer: None,
            label: [0; IFNAMSIZ],
            lifetimes: None,
        }
    }

    /// Whether rdmaip may move this address: not link-local or host scope,
    /// and (IPv6) not link-local.
    pub fn movable(&self) -> bool {
        self.scope != RT_SCOPE_LINK && self.scope != RT_SCOPE_HOST && !self.addr.is_link_local()
    }

    /// The label's bytes up to the first NUL.
    pub fn label(&self) -> &[u8] {
        let n = self.label.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
        &self.label[..n]
    }

    /// The label this address should carry on a device called `ifname`:
    /// the label's alias suffix (`:1` of `eth0:1`) kept on the new name,
    /// cut to fit `IFNAMSIZ`.
    pub fn label_for(&self, ifname: &[u8]) -> [u8; IFNAMSIZ] {
        let mut out = [0u8; IFNAMSIZ];
        let suffix = match self.label().iter().position(|&b| b == b':') {
            Some(i) => &self.label()[i..],
            None => &[][..],
        };
        for (slot, &b) in out
            .iter_mut()
            .zip(ifname.iter().chain(suffix.iter()).take(IFNAMSIZ - 1))
        {
            *slot = b;
        }
        out
    }
}

/// A request did not fit the buffer given to the encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall;

/// Writes one netlink message into a caller-provided buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.len.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn pad(&mut self) -> Result<(), BufferTooSmall> {
        while self.len & 3 != 0 {
            self.put(&[0])?;
        }
        Ok(())
    }

    fn attr(&mut self, kind: u16, payload: &[u8]) -> Result<(), BufferTooSmall> {
        let len = u16::try_from(4 + payload.len()).map_err(|_| BufferTooSmall)?;
        self.put(&len.to_ne_bytes())?;
        self.put(&kind.to_ne_bytes())?;
        self.put(payload)?;
        self.pad()
    }

    fn finish(self) -> usize {
        let len = self.len as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.len
    }
}

fn header(w: &mut Writer<'_>, kind: u16, flags: u16, seq: u32) -> Result<(), BufferTooSmall> {
    w.put(&0u32.to_ne_bytes())?; // length, filled in by finish()
    w.put(&kind.to_ne_bytes())?;
    w.put(&flags.to_ne_bytes())?;
    w.put(&seq.to_ne_bytes())?;
    w.put(&0u32.to_ne_bytes()) // port id: the kernel
}

fn ifaddrmsg(w: &mut Writer<'_>, a: &AddrInfo, flags8: u8) -> Result<(), BufferTooSmall> {
    w.put(&[a.addr.family(), a.prefixlen, flags8, a.scope])?;
    w.put(&a.ifindex.to_ne_bytes())
}

/// Encodes `RTM_NEWADDR` adding `a` (on `a.ifindex`, labelled `label` for
/// IPv4) with an ack requested. `extra_flags` are or-ed into the address's
/// own flags (rdmaip adds `IFA_F_NODAD` for IPv6). Returns the length.
pub fn encode_newaddr(
    buf: &mut [u8],
    seq: u32,
    a: &AddrInfo,
    label: &[u8; IFNAMSIZ],
    extra_flags: u32,
) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    header(
        &mut w,
        RTM_NEWADDR,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        seq,
    )?;
    // Only flags the admin can set travel; state flags such as TENTATIVE,
    // DEPRECATED or SECONDARY are the kernel's to decide on the new port.
    let flags = (a.flags & !IFA_STATE_FLAGS) | extra_flags;
    ifaddrmsg(&mut w, a, flags as u8)?;
    w.attr(IFA_LOCAL, a.addr.bytes())?;
    match (a.addr, a.peer) {
        (IpAddr::V4(_), Some(peer)) => w.attr(IFA_ADDRESS, &peer)?,
        _ => w.attr(IFA_ADDRESS, a.addr.bytes())?,
    }
    if let Some(b) = a.broadcast {
        w.attr(IFA_BROADCAST, &b)?;
    }
    if a.addr.family() == AF_INET {
        let n = label.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ - 1);
        let mut l = [0u8; IFNAMSIZ];
        l[..n].copy_from_slice(&label[..n]);
        w.attr(IFA_LABEL, &l[..=n])?;
    }
    w.attr(IFA_FLAGS, &flags.to_ne_bytes())?;
    if let Some((preferred, valid)) = a.lifetimes {
        let mut ci = [0u8; 16];
        ci[0..4].copy_from_slice(&preferred.to_ne_bytes());
        ci[4..8].copy_from_slice(&valid.to_ne_bytes());
        w.attr(IFA_CACHEINFO, &ci)?;
    }
    Ok(w.finish())
}

/// Encodes `RTM_DELADDR` removing `a.addr/a.prefixlen` from `a.ifindex`,
/// with an ack requested. Returns the length.
pub fn encode_deladdr(buf: &mut [u8], seq: u32, a: &AddrInfo) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    header(&mut w, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq)?;
    ifaddrmsg(&mut w, a, 0)?;
    w.attr(IFA_LOCAL, a.addr.bytes())?;
    match (a.addr, a.peer) {
        (IpAddr::V4(_), Some(peer)) => w.attr(IFA_ADDRESS, &peer)?,
        _ => w.attr(IFA_ADDRESS, a.addr.bytes())?,
    }
    Ok(w.finish())
}

/// Encodes an `RTM_GETADDR` dump request for `family` (0: both).
pub fn encode_getaddr_dump(buf: &mut [u8], seq: u32, family: u8) -> Result<usize, BufferTooSmall> {
    let mut w = Writer::new(buf);
    header(&mut w, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq)?;
    w.put(&[family, 0, 0, 0])?;
    w.put(&0u32.to_ne_bytes())?;
    Ok(w.finish())
}

/// One message of a netlink reply stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// An address (from a dump, or a notification).
    Addr(AddrInfo),
    /// An ack (`error` 0) or error (negative errno) for request `seq`.
    Ack { seq: u32, error: i32 },
    /// End of a dump.
    Done { seq: u32 },
    /// Anything else, or an address message rdmaip does not understand.
    Other,
}

/// A reply was cut short or inconsistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

fn u16_at(b: &[u8], i: usize) -> Result<u16, Malformed> {
    Ok(u16::from_ne_bytes(
        b.get(i..i + 2)
            .ok_or(Malformed)?
            .try_into()
            .map_err(|_| Malformed)?,
    ))
}

fn u32_at(b: &[u8], i: usize) -> Result<u32, Malformed> {
    Ok(u32::from_ne_bytes(
        b.get(i..i + 4)
            .ok_or(Malformed)?
            .try_into()
            .map_err(|_| Malformed)?,
    ))
}

/// Splits a buffer received from a netlink socket into messages and decodes
/// each, calling `f` in order. Stops at the first malformed message.
pub fn parse_replies(buf: &[u8], mut f: impl FnMut(Reply)) -> Result<(), Malformed> {
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, off)? as usize;
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            return Err(Malformed);
        }
        let msg = &buf[off..off + len];
        let kind = u16_at(msg, 4)?;
        let seq = u32_at(msg, 8)?;
        let payload = &msg[NLMSG_HDRLEN..];
        f(match kind {
            NLMSG_ERROR => Reply::Ack {
                seq,
                error: u32_at(payload, 0)? as i32,
            },
            NLMSG_DONE => Reply::Done { seq },
            RTM_NEWADDR => parse_addr(payload)?.map_or(Reply::Other, Reply::Addr),
            _ => Reply::Other,
        });
        off += (len + 3) & !3;
    }
    if off < buf.len() && buf.len() - off >= 4 {
        // Trailing bytes that cannot be a whole header.
        return Err(Malformed);
    }
    Ok(())
}

fn parse_addr(p: &[u8]) -> Result<Option<AddrInfo>, Malformed> {
    let head = p.get(..IFADDRMSG_LEN).ok_or(Malformed)?;
    let (family, prefixlen, flags8, scope) = (head[0], head[1], head[2], head[3]);
    let ifindex = u32_at(head, 4)?;
    let mut local: Option<&[u8]> = None;
    let mut address: Option<&[u8]> = None;
    let mut a = AddrInfo::new(IpAddr::V4([0; 4]), prefixlen, ifindex);
    a.flags = flags8 as u32;
    a.scope = scope;
    let mut off = IFADDRMSG_LEN;
    while off + 4 <= p.len() {
        let len = u16_at(p, off)? as usize;
        let kind = u16_at(p, off + 2)? & 0x3fff;
        if len < 4 || off + len > p.len() {
            return Err(Malformed);
        }
        let data = &p[off + 4..off + len];
        match kind {
            IFA_LOCAL => local = Some(data),
            IFA_ADDRESS => address = Some(data),
            IFA_BROADCAST => a.broadcast = Some(data.try_into().map_err(|_| Malformed)?),
            IFA_LABEL => {
                let n = data
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(data.len())
                    .min(IFNAMSIZ - 1);
                a.label[..n].copy_from_slice(&data[..n]);
            }
            IFA_FLAGS => a.flags = u32_at(data, 0)?,
            IFA_CACHEINFO => {
                let (preferred, valid) = (u32_at(data, 0)?, u32_at(data, 4)?);
                if valid != INFINITY_LIFE_TIME {
                    a.lifetimes = Some((preferred, valid));
                }
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
    // IPv4 has IFA_LOCAL (and IFA_ADDRESS for the peer); IPv6 only IFA_ADDRESS.
    let (addr, peer) = match family {
        AF_INET => {
            let l: [u8; 4] = local
                .or(address)
                .ok_or(Malformed)?
                .try_into()
                .map_err(|_| Malformed)?;
            let peer = match address {
                Some(p) if p != l => Some(p.try_into().map_err(|_| Malformed)?),
                _ => None,
            };
            (IpAddr::V4(l), peer)
        }
        AF_INET6 => {
            let v: [u8; 16] = address
                .or(local)
                .ok_or(Malformed)?
                .try_into()
                .map_err(|_| Malformed)?;
            (IpAddr::V6(v), None)
        }
        _ => return Ok(None),
    };
    a.addr = addr;
    a.peer = peer;
    Ok(Some(a))
}
