// SPDX-License-Identifier: GPL-2.0

//! Probe replies picked out of received frames (softirq context) and queued
//! for the next probing round.
//!
//! Only answers to rdmaip's own kind of probe count, and only when they are
//! addressed to the receiving netdev itself:
//!
//! - an ARP reply whose target hardware address is the netdev's own (the
//!   answer to an ARP probe, RFC 5227, which the target sends unicast back
//!   to the prober);
//! - a solicited neighbour advertisement sent unicast to the netdev (the
//!   answer to a solicitation from its link-local address).
//!
//! Broadcasts, multicasts (gratuitous ARP, unsolicited advertisements, a
//! peer's announcements) and frames for other hosts never count, so traffic
//! on the segment cannot keep a dead member alive. Whether a reply answers
//! the member's latest probe to that target is the prober's decision
//! (`logic::probe`), in the round.

use crate::engine::prober::ReplyTaps;
use crate::logic::rtaddr::IpAddr;
use crate::state::probing::{ProbeReplies, ProbeReply};
use crate::sys::clock::mono_ns;
use crate::sys::packet_tap::{Frame, FrameListener, PacketTap};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;

const ARPOP_REPLY: u16 = 2;
const ETH_P_IP: u16 = 0x0800;
const IPPROTO_ICMPV6: u8 = 58;
const NDISC_NEIGHBOUR_ADVERTISEMENT: u8 = 136;
/// The S (solicited) flag of a neighbour advertisement.
const NA_SOLICITED: u8 = 0x40;
/// Longest hardware address in an ARP packet (InfiniBand: 20).
const MAX_HLEN: usize = 20;

/// Feeds probe replies to the queue.
pub(crate) struct ProbeFrames(Arc<ProbeReplies>);

/// The taps that see replies: ARP and IPv6.
struct Taps {
    _arp: Pin<KBox<PacketTap<ProbeFrames>>>,
    _ipv6: Pin<KBox<PacketTap<ProbeFrames>>>,
}

/// Puts the taps in place while some group probes, so that a system that
/// does not probe pays nothing per frame.
#[pin_data]
pub(crate) struct ProbeTaps {
    replies: Arc<ProbeReplies>,
    #[pin]
    taps: Mutex<Option<Taps>>,
}

impl ProbeTaps {
    pub(crate) fn new(replies: Arc<ProbeReplies>) -> impl PinInit<Self> {
        pin_init!(Self {
            replies,
            taps <- new_mutex!(None, "rdmaip_probe_taps"),
        })
    }

    fn register(&self) -> Result<Taps> {
        Ok(Taps {
            _arp: PacketTap::register(ETH_P_ARP, ProbeFrames(self.replies.clone()))?,
            _ipv6: PacketTap::register(ETH_P_IPV6, ProbeFrames(self.replies.clone()))?,
        })
    }
}

impl ReplyTaps for ProbeTaps {
    fn set(&self, on: bool) {
        let mut taps = self.taps.lock();
        if on && taps.is_none() {
            match self.register() {
                Ok(t) => *taps = Some(t),
                Err(e) => pr_err!("probe replies cannot be received: {:?}\n", e),
            }
        } else if !on {
            // Waits for running taps (synchronize_net).
            *taps = None;
        }
        self.replies.set_active(taps.is_some());
    }
}

impl FrameListener for ProbeFrames {
    fn frame(&self, frame: &Frame<'_>) {
        if !self.0.active() || !frame.for_host() || !frame.in_init_net() {
            return;
        }
        let from = arp_reply(frame).or_else(|| solicited_advert(frame));
        if let Some(from) = from {
            self.0.queue(ProbeReply {
                ifindex: frame.ifindex(),
                from,
                at_ns: mono_ns(),
            });
        }
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The sender of an IPv4 ARP reply to this netdev's own hardware address.
fn arp_reply(frame: &Frame<'_>) -> Option<IpAddr> {
    // Fixed part, then sha, spa, tha, tpa for hardware addresses of
    // `hln` bytes; read at the longest size and cut to `hln`.
    let head: [u8; 8] = frame.head()?;
    let hln = usize::from(head[4]);
    if be16(&head, 2)? != ETH_P_IP
        || head[5] != 4
        || be16(&head, 6)? != ARPOP_REPLY
        || hln == 0
        || hln > MAX_HLEN
        || hln != frame.dev_addr().len()
    {
        return None;
    }
    let mut arp = [0u8; 8 + 2 * MAX_HLEN + 8];
    if !frame.read(arp.get_mut(..8 + 2 * hln + 8)?) {
        return None;
    }
    let spa = arp.get(8 + hln..8 + hln + 4)?;
    let tha = arp.get(8 + hln + 4..8 + 2 * hln + 4)?;
    if tha != frame.dev_addr() {
        return None;
    }
    Some(IpAddr::V4(spa.try_into().ok()?))
}

/// The target of a solicited neighbour advertisement.
fn solicited_advert(frame: &Frame<'_>) -> Option<IpAddr> {
    // IPv6 header (40 bytes), ICMPv6 type, code, checksum, flags (4), target.
    let p: [u8; 40 + 8 + 16] = frame.head()?;
    if p[0] >> 4 != 6
        || p[6] != IPPROTO_ICMPV6
        || p[7] != 255
        || p[40] != NDISC_NEIGHBOUR_ADVERTISEMENT
        || p[41] != 0
        || p[44] & NA_SOLICITED == 0
    {
        return None;
    }
    let mut target = [0u8; 16];
    target.copy_from_slice(p.get(48..64)?);
    Some(IpAddr::V6(target))
}
