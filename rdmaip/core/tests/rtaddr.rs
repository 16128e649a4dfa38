// SPDX-License-Identifier: GPL-2.0

//! rtnetlink address messages: layout, round trips, hostile input.

use proptest::prelude::*;
use rdmaip_core::rtaddr::*;

fn v4(a: [u8; 4], prefix: u8) -> AddrInfo {
    let mut i = AddrInfo::new(IpAddr::V4(a), prefix, 3);
    i.broadcast = Some([a[0], a[1], a[2], 255]);
    i.label[..4].copy_from_slice(b"eth0");
    i
}

#[test]
fn newaddr_layout_matches_what_ip_addr_sends() {
    let a = v4([10, 1, 0, 1], 24);
    let mut buf = [0u8; 256];
    let n = encode_newaddr(&mut buf, 7, &a, &a.label_for(b"eth1"), 0).unwrap();
    let m = &buf[..n];
    assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()) as usize, n);
    assert_eq!(u16::from_ne_bytes(m[4..6].try_into().unwrap()), RTM_NEWADDR);
    // NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
    assert_eq!(u16::from_ne_bytes(m[6..8].try_into().unwrap()), 0x605);
    assert_eq!(u32::from_ne_bytes(m[8..12].try_into().unwrap()), 7);
    // ifaddrmsg: AF_INET, /24, flags PERMANENT, scope universe, ifindex 3
    assert_eq!(&m[16..20], &[AF_INET, 24, 0x80, 0]);
    assert_eq!(u32::from_ne_bytes(m[20..24].try_into().unwrap()), 3);
    // First attribute: IFA_LOCAL 10.1.0.1
    assert_eq!(&m[24..32], &[8, 0, 2, 0, 10, 1, 0, 1]);
    assert!(
        m.windows(5).any(|w| w == b"eth1\0"),
        "label rewritten for the new device"
    );
    assert_eq!(n % 4, 0);
}

#[test]
fn labels_follow_the_device_and_keep_their_alias() {
    let mut a = v4([10, 1, 0, 1], 24);
    assert_eq!(&a.label_for(b"eth1")[..5], b"eth1\0");
    a.label = [0; 16];
    a.label[..6].copy_from_slice(b"eth0:7");
    assert_eq!(&a.label_for(b"ib1")[..6], b"ib1:7\0");
    let long = a.label_for(b"averyverylongif");
    assert_eq!(long[15], 0, "always NUL terminated");
}

#[test]
fn deladdr_and_dump_requests() {
    let a = v4([10, 1, 0, 1], 24);
    let mut buf = [0u8; 64];
    let n = encode_deladdr(&mut buf, 9, &a).unwrap();
    assert_eq!(
        u16::from_ne_bytes(buf[4..6].try_into().unwrap()),
        RTM_DELADDR
    );
    assert_eq!(n, 16 + 8 + 8 + 8);
    let n = encode_getaddr_dump(&mut buf, 1, 0).unwrap();
    assert_eq!(n, 24);
    assert_eq!(u16::from_ne_bytes(buf[6..8].try_into().unwrap()), 0x301);
}

#[test]
fn small_buffers_are_refused_not_overrun() {
    let a = v4([10, 1, 0, 1], 24);
    for size in 0..64 {
        let mut buf = vec![0u8; size];
        assert_eq!(
            encode_newaddr(&mut buf, 1, &a, &a.label, 0),
            Err(BufferTooSmall)
        );
    }
}

#[test]
fn ipv6_display_is_rfc5952() {
    let mut a = [0u8; 16];
    a[0] = 0xfd;
    a[15] = 1;
    assert_eq!(IpAddr::V6(a).to_string(), "fd00::1");
    assert_eq!(IpAddr::V6([0; 16]).to_string(), "::");
    let mut b = [0u8; 16];
    b[1] = 1;
    b[3] = 2;
    b[15] = 3;
    assert_eq!(IpAddr::V6(b).to_string(), "1:2::3");
    assert_eq!(IpAddr::V4([192, 168, 0, 1]).to_string(), "192.168.0.1");
    let mut ll = [0u8; 16];
    ll[0] = 0xfe;
    ll[1] = 0x80;
    assert!(IpAddr::V6(ll).is_link_local());
}

#[test]
fn acks_and_errors_parse() {
    // nlmsgerr: header + error + the original header
    let mut m = vec![0u8; 36];
    m[0..4].copy_from_slice(&36u32.to_ne_bytes());
    m[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
    m[8..12].copy_from_slice(&5u32.to_ne_bytes());
    m[16..20].copy_from_slice(&(-17i32).to_ne_bytes());
    let mut got = vec![];
    parse_replies(&m, |r| got.push(r)).unwrap();
    assert_eq!(got, [Reply::Ack { seq: 5, error: -17 }]);
}

fn any_addr() -> impl Strategy<Value = AddrInfo> {
    let ip = prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::V4),
        any::<[u8; 16]>().prop_map(IpAddr::V6),
    ];
    (
        ip,
        0..=128u8,
        1..1000u32,
        any::<bool>(),
        any::<bool>(),
        proptest::option::of((1..1000u32, 1..1000u32)),
    )
        .prop_map(|(addr, prefix, ifindex, bcast, peer, life)| {
            let mut a = AddrInfo::new(addr, prefix, ifindex);
            if let IpAddr::V4(v) = addr {
                a.label[..4].copy_from_slice(b"eth9");
                if bcast {
                    a.broadcast = Some([v[0], v[1], 255, 255]);
                }
                if peer {
                    a.peer = Some([v[3], v[2], v[1], v[0].wrapping_add(1)]).filter(|p| *p != v);
                }
            }
            if let Some((p, v)) = life {
                a.lifetimes = Some((p.min(v), v));
                a.flags = 0;
            }
            a
        })
}

proptest! {
    /// What we send as RTM_NEWADDR parses back to the same address (the
    /// kernel echoes the same layout in its notifications and dumps).
    #[test]
    fn newaddr_round_trips(a in any_addr(), seq in any::<u32>()) {
        let mut buf = [0u8; 256];
        let n = encode_newaddr(&mut buf, seq, &a, &a.label, 0).unwrap();
        let mut got = vec![];
        parse_replies(&buf[..n], |r| got.push(r)).unwrap();
        prop_assert_eq!(got, vec![Reply::Addr(a)]);
    }

    /// Garbage never panics and never reads outside the buffer.
    #[test]
    fn hostile_input_is_rejected_or_parsed(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_replies(&bytes, |_| {});
    }

    /// Truncating a valid message anywhere never panics.
    #[test]
    fn truncated_messages_are_malformed(a in any_addr(), cut in 1..200usize) {
        let mut buf = [0u8; 256];
        let n = encode_newaddr(&mut buf, 1, &a, &a.label, 0).unwrap();
        let cut = cut.min(n - 1);
        let _ = parse_replies(&buf[..cut], |_| {});
    }
}
