// SPDX-License-Identifier: GPL-2.0

//! The members' live state compared with what their events said (see
//! `logic::port::audit`).

use super::health_changes::Outcome;
use super::registry::PortRegistry;
use crate::logic::port::{audit, AuditVerdict, PortInput, RdmaState};
use crate::sys::ib::{IbDeviceRef, IbPortState};
use crate::sys::netdev::NetDevRef;
use kernel::prelude::*;

/// A group member to compare with its live state (see
/// `PortRegistry::audit_targets`).
pub(crate) struct AuditTarget {
    slot: usize,
    dev_index: u32,
    port: u32,
    dev: IbDeviceRef,
    netdev: NetDevRef,
}

/// A member's live state, as the audit read it.
pub(crate) struct LiveState {
    rdma: RdmaState,
    admin_up: bool,
    carrier: bool,
}

impl AuditTarget {
    /// Reads the port's live state. Sleeps: call with no lock held.
    pub(crate) fn read(&self) -> LiveState {
        let rdma = match self.dev.query_port_state(self.port) {
            Ok(IbPortState::Active) => RdmaState::Active,
            Ok(IbPortState::NotActive) => RdmaState::Inactive,
            Err(_) => RdmaState::Unknown,
        };
        LiveState {
            rdma,
            admin_up: self.netdev.is_running(),
            carrier: self.netdev.carrier_ok(),
        }
    }
}

impl PortRegistry {
    /// The group members to check against their live state: everything
    /// needed to ask, so that the asking happens with no lock held.
    pub(crate) fn audit_targets(&self) -> KVec<AuditTarget> {
        let tables = self.read();
        let mut out = KVec::new();
        for (slot, p) in tables.ports.iter().enumerate() {
            let Some(p) = p.as_ref().filter(|p| p.group.is_some() && !p.dev_going) else {
                continue;
            };
            let (Some(dev), Some(netdev)) = (p.ibdev.get(), p.netdev.as_ref()) else {
                continue;
            };
            let target = AuditTarget {
                slot,
                dev_index: p.dev_index,
                port: p.port,
                dev,
                netdev: NetDevRef::new(netdev),
            };
            if out.push(target, GFP_KERNEL).is_err() {
                pr_err!("out of memory: port audit skipped\n");
                break;
            }
        }
        out
    }

    /// Records what the audit read of `t`'s live state. Events arrive a
    /// moment after the state changes (linkwatch batches carrier changes
    /// for up to a second, IB events go through a workqueue), so a
    /// difference counts only when the next audit sees it too: then an
    /// event was missed, which is logged, as a defect below us or in
    /// rdmaip.
    pub(crate) fn audit_result(&self, t: &AuditTarget, live: &LiveState) -> Outcome {
        self.with_changes(|tables, changed, mono| {
            let Some(port) = tables.port_mut(t.slot) else {
                return false;
            };
            if !port.is(t.dev_index, t.port) || port.dev_going {
                return false;
            }
            let all = [
                PortInput::AdminUp(live.admin_up),
                PortInput::Carrier(live.carrier),
                PortInput::Rdma(live.rdma),
            ];
            // A failed query says nothing about the RDMA port.
            let (known, _) = all.split_at(2);
            let inputs = if live.rdma == RdmaState::Unknown {
                known
            } else {
                &all[..]
            };
            let (verdict, seen) = audit(&port.status, inputs, port.audit_suspect);
            port.audit_suspect = (verdict == AuditVerdict::Suspect).then(|| seen.health());
            if verdict != AuditVerdict::Missed {
                return false;
            }
            pr_warn!(
                "port {}/{}: live state [{}] differs from the events seen [{}]: an event was missed\n",
                port.dev_name,
                port.port,
                seen,
                port.status
            );
            tables.record(t.slot, inputs, changed, mono)
        })
    }
}
