// SPDX-License-Identifier: GPL-2.0

//! The operations of the `rdmaip` generic netlink family
//! (`Documentation/netlink/specs/rdmaip.yaml`).
//!
//! genetlink has already checked every attribute against the spec's policy
//! and `CAP_NET_ADMIN` for the operations that change anything; what is left
//! here is what a policy cannot express (names that must exist, one network
//! namespace), each refused with an extack message.

use crate::errno::eopnotsupp;
use crate::ffi;
use crate::genl::{self, Dump, Handlers, Op, Request, Writer};
use crate::logic::port::{FailReason, Health};
use crate::names::StackString;
use core::fmt::Write;
use crate::ports::{PortInfo, PortRegistry};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Serves the family from the port registry.
pub(crate) struct Netlink {
    ports: Arc<PortRegistry>,
}

impl Netlink {
    pub(crate) fn new(ports: Arc<PortRegistry>) -> Self {
        Netlink { ports }
    }
}

genl::genl_ops!(Netlink;
    doit:
        rdmaip_nl_group_new_doit => GroupNew,
        rdmaip_nl_group_del_doit => GroupDel,
        rdmaip_nl_group_get_doit => GroupGet,
        rdmaip_nl_group_set_doit => GroupSet,
        rdmaip_nl_port_add_doit => PortAdd,
        rdmaip_nl_port_del_doit => PortDel,
        rdmaip_nl_port_get_doit => PortGet,
        rdmaip_nl_port_drain_doit => PortDrain,
        rdmaip_nl_port_undrain_doit => PortUndrain;
    dumpit:
        rdmaip_nl_group_get_dumpit => GroupGet,
        rdmaip_nl_port_get_dumpit => PortGet,
        rdmaip_nl_addr_get_dumpit => AddrGet,
);

const A_PORT_NAME: u32 = ffi::RDMAIP_A_PORT_NAME;

pub(crate) fn reason_attr(r: FailReason) -> u32 {
    match r {
        FailReason::NetdevGone => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_NETDEV_GONE,
        FailReason::AdminDown => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_ADMIN_DOWN,
        FailReason::NoCarrier => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_NO_CARRIER,
        FailReason::RdmaInactive => ffi::rdmaip_down_reason_RDMAIP_DOWN_REASON_RDMA_INACTIVE,
    }
}

/// Writes `rxe0/1` for a port as attribute `kind`.
pub(crate) fn put_port_name(w: &mut Writer<'_>, kind: u32, p: &PortInfo) -> Result {
    let mut name = StackString::<80>::new();
    let _ = write!(name, "{}/{}", p.dev_name, p.port);
    w.put_str(kind, name.as_bytes())
}

/// The attributes of one port object.
fn put_port(w: &mut Writer<'_>, p: &PortInfo) -> Result {
    put_port_name(w, A_PORT_NAME, p)?;
    if let Some(ifindex) = p.ifindex {
        w.put_str(ffi::RDMAIP_A_PORT_IFNAME, p.netdev_name.as_bytes())?;
        w.put_u32(ffi::RDMAIP_A_PORT_IFINDEX, ifindex as u32)?;
    }
    match p.status.health() {
        Health::Up => w.put_u32(ffi::RDMAIP_A_PORT_STATE, ffi::rdmaip_port_state_RDMAIP_PORT_STATE_UP),
        Health::Down(r) => {
            w.put_u32(ffi::RDMAIP_A_PORT_STATE, ffi::rdmaip_port_state_RDMAIP_PORT_STATE_DOWN)?;
            w.put_u32(ffi::RDMAIP_A_PORT_DOWN_REASON, reason_attr(r))
        }
    }
}

impl Netlink {
    fn port_get(&self, req: &Request) -> Result {
        let name = req.require(A_PORT_NAME, c_str!("port name (e.g. rxe0/1) is required"))?;
        let Some(port) = self.ports.find(name.str_bytes()) else {
            return Err(req.reject(ENODEV, c_str!("no such RDMA port"), Some(name)));
        };
        let mut msg = req.reply()?;
        put_port(&mut msg.writer(), &port)?;
        req.send(msg)
    }

    fn port_dump(&self, dump: &mut Dump) -> Result {
        let mut pos = dump.position() as usize;
        while let Some((next, port)) = self.ports.next_from(pos) {
            if !dump.object(|w| put_port(w, &port))? {
                break;
            }
            pos = next;
            dump.set_position(pos as u64);
        }
        Ok(())
    }
}

impl Handlers for Netlink {
    fn doit(&self, op: Op, req: &Request) -> Result {
        if !req.in_init_net() {
            return Err(req.reject(eopnotsupp(), c_str!("rdmaip works in the initial network namespace only"), None));
        }
        match op {
            Op::PortGet => self.port_get(req),
            _ => Err(req.reject(eopnotsupp(), c_str!("groups are not implemented yet"), None)),
        }
    }

    fn dumpit(&self, op: Op, dump: &mut Dump) -> Result {
        match op {
            Op::PortGet => self.port_dump(dump),
            // Nothing to list until groups exist.
            Op::GroupGet | Op::AddrGet => Ok(()),
            _ => Err(eopnotsupp()),
        }
    }
}
