// SPDX-License-Identifier: GPL-2.0

//! Notifications to the `monitor` multicast group of the netlink family.
//!
//! Sent after rdmaip's own locks are released. A notification that cannot be
//! built or sent (no memory, a full listener socket) is dropped: listeners
//! learn about the gap from the socket's overrun error, as with any netlink
//! monitor, and can re-read the state with a dump.

use crate::clock::WallTime;
use crate::ffi;
use crate::genl::Message;
use crate::logic::port::{Health, HealthChange};
use crate::nl::{put_port_name, reason_attr};
use crate::ports::PortInfo;
use kernel::prelude::*;

/// A port's health changed.
pub(crate) fn port_health(port: &PortInfo, change: HealthChange, at: WallTime) {
    // Only UP <-> DOWN is news; a change of reason while down is not.
    let cmd = match (change.from, change.to) {
        (Health::Down(_), Health::Up) => ffi::RDMAIP_CMD_PORT_UP_NTF,
        (Health::Up, Health::Down(_)) => ffi::RDMAIP_CMD_PORT_DOWN_NTF,
        _ => return,
    };
    let send = || -> Result {
        let mut msg = Message::notification(cmd)?;
        let mut w = msg.writer();
        w.put_uint(ffi::RDMAIP_A_EVENT_TIME_NS, at.0)?;
        put_port_name(&mut w, ffi::RDMAIP_A_EVENT_PORT, port)?;
        if let Health::Down(reason) = change.to {
            w.put_u32(ffi::RDMAIP_A_EVENT_DOWN_REASON, reason_attr(reason))?;
        }
        msg.multicast(ffi::RDMAIP_NLGRP_MONITOR)
    };
    if let Err(e) = send() {
        pr_debug!("port event not sent: {:?}\n", e);
    }
}
