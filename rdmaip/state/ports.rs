// SPDX-License-Identifier: GPL-2.0

//! The RDMA ports rdmaip knows about, and their health.
//!
//! Every port of every RDMA device is tracked from the moment ib_core tells
//! us about the device until it goes away. A port's health is recomputed
//! from the live state of each layer whenever any layer reports a change
//! (see `logic::port`), and every change of health is logged with a
//! wall-clock timestamp.
//!
//! Locking: one mutex over the table. It is taken from IB event handlers
//! (ib_core's event rwsem held), netdev notifiers (rtnl held) and ib_client
//! callbacks (which take rtnl first), so the order is always
//! rtnl -> table and ib event rwsem -> table; nothing is called with the
//! table locked that could take either of those.

use crate::logic::group::Member;
use crate::logic::port::{
    audit, AuditVerdict, Health, HealthChange, PortInput, PortStatus, RdmaState,
};
use crate::output::monitor;
use crate::state::groups::{Group, GroupName};
use crate::sys::clock::WallTime;
use crate::sys::ib::{IbDevice, IbDeviceRef, IbPortState, LinkLayer};
use crate::sys::ib_event::IbEvent;
use crate::sys::names::{DevName, IfName};
use crate::sys::netdev::{NetDevRef, NetDevice, Rtnl, RtnlGuard};
use crate::sys::netdev_notifier::NetdevEvent;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// One RDMA port and the netdev behind it.
pub(crate) struct Port {
    dev_index: u32,
    /// Held so the device stays valid for rdma_cm delivery and the ULP
    /// notifier; dropped when ib_core removes the device.
    pub(crate) ibdev: IbDeviceRef,
    /// ib_core is removing the device: rdma_cm is about to tell its ids
    /// itself, so rdmaip no longer delivers anything to them.
    pub(crate) dev_going: bool,
    dev_name: DevName,
    port: u32,
    pub(crate) link_layer: LinkLayer,
    /// Held so the netdev cannot go away under us; dropped on
    /// `NETDEV_UNREGISTER` so that unregistration does not wait for us.
    pub(crate) netdev: Option<NetDevRef>,
    pub(crate) netdev_name: IfName,
    /// VLAN id of the netdev, if it is a VLAN device.
    pub(crate) vlan: Option<u16>,
    pub(crate) status: PortStatus,
    /// Group slot, if the port is a member of a group.
    pub(crate) group: Option<usize>,
    /// Failover state as a group member (health timeline, drain).
    pub(crate) member: Member,
    /// When its health last changed (monotonic ns): failover latencies
    /// are measured from here.
    pub(crate) changed_ns: u64,
    /// How many times it went from UP to DOWN.
    failures: u64,
    /// The health its live state gave at the last audit, if that differed
    /// from what its events said.
    audit_suspect: Option<Health>,
}

impl Port {
    fn is(&self, dev_index: u32, port: u32) -> bool {
        self.dev_index == dev_index && self.port == port
    }

    fn has_netdev(&self, dev: &NetDevice) -> bool {
        self.netdev.as_ref().is_some_and(|n| n.is(dev))
    }

    /// Applies `inputs` together and reports the net change of health.
    fn update(&mut self, inputs: &[PortInput]) -> Option<HealthChange> {
        let from = self.status.health();
        for &input in inputs {
            self.status.apply(input);
        }
        let to = self.status.health();
        if from.is_up() && !to.is_up() {
            self.failures += 1;
        }
        (from != to).then_some(HealthChange { from, to })
    }

    /// Reads every layer's live state (after discovery, when no event can
    /// be trusted to have been seen yet).
    fn refresh(&mut self, dev: &IbDevice) -> Option<HealthChange> {
        let rdma = rdma_state(dev, self.port);
        let (admin, carrier) = match &self.netdev {
            Some(n) => (n.is_running(), n.carrier_ok()),
            None => (false, false),
        };
        let mut inputs = [
            PortInput::Rdma(rdma),
            PortInput::AdminUp(admin),
            PortInput::Carrier(carrier),
        ];
        if self.netdev.is_none() {
            inputs[0] = PortInput::NetdevGone;
        }
        self.update(&inputs)
    }

    fn log_change(&self, change: HealthChange, at: WallTime) {
        pr_info!(
            "port {}/{} netdev {}: {} -> {} [{}] at {}\n",
            self.dev_name,
            self.port,
            self.netdev_name,
            change.from,
            change.to,
            self.status,
            at
        );
    }
}

fn rdma_state(dev: &IbDevice, port: u32) -> RdmaState {
    match dev.cached_port_state(port) {
        Ok(IbPortState::Active) => RdmaState::Active,
        Ok(IbPortState::NotActive) => RdmaState::Inactive,
        Err(_) => RdmaState::Unknown,
    }
}

/// A snapshot of one port, for the netlink API.
#[derive(Clone, Copy)]
pub(crate) struct PortInfo {
    pub(crate) dev_name: DevName,
    pub(crate) dev_index: u32,
    pub(crate) port: u32,
    pub(crate) netdev_name: IfName,
    pub(crate) ifindex: Option<i32>,
    pub(crate) status: PortStatus,
    pub(crate) failures: u64,
    pub(crate) group: Option<PortGroupInfo>,
}

/// A port's part in its group.
#[derive(Clone, Copy)]
pub(crate) struct PortGroupInfo {
    pub(crate) name: GroupName,
    pub(crate) drained: bool,
    pub(crate) addrs_home: u64,
    pub(crate) addrs_hosted: u64,
}

impl Port {
    fn info(&self) -> PortInfo {
        PortInfo {
            dev_name: self.dev_name,
            dev_index: self.dev_index,
            port: self.port,
            netdev_name: self.netdev_name,
            ifindex: self.netdev.as_ref().map(|n| n.ifindex()),
            status: self.status,
            failures: self.failures,
            group: None,
        }
    }

    /// Whether this port is called `name` (`rxe0/1`, as `rdma link` names it).
    fn named(&self, name: &[u8]) -> bool {
        let Some(slash) = name.iter().rposition(|&b| b == b'/') else {
            return false;
        };
        let (dev, num) = (&name[..slash], &name[slash + 1..]);
        dev == self.dev_name.as_bytes() && parse_u32(num) == Some(self.port)
    }
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then_some(())?;
        acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

/// The ports and groups, under one lock so that a port's health and its
/// group membership always change together.
///
/// Slots are emptied on removal and reused: 6.12's `KVec` cannot remove
/// elements, and the tables are small. Slot numbers are how groups refer to
/// ports and ports to groups.
pub(crate) struct Tables {
    pub(crate) ports: KVec<Option<Port>>,
    pub(crate) groups: KVec<Option<Group>>,
}

impl Tables {
    /// Slot of the port called `name` (`rxe0/1`).
    pub(crate) fn port_slot(&self, name: &[u8]) -> Option<usize> {
        self.ports
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.named(name)))
    }

    /// Snapshot of the port in `slot`, with its part in its group.
    pub(crate) fn port_info(&self, slot: usize) -> Option<PortInfo> {
        let port = self.ports.get(slot)?.as_ref()?;
        let mut info = port.info();
        if let Some(g) = port
            .group
            .and_then(|g| self.groups.get(g))
            .and_then(|g| g.as_ref())
        {
            let m = g.member_of(slot);
            let count = |f: &dyn Fn(&crate::state::groups::Addr) -> bool| {
                g.addrs().filter(|a| f(a)).count() as u64
            };
            info.group = Some(PortGroupInfo {
                name: g.name,
                drained: port.member.drained(),
                addrs_home: count(&|a| Some(a.home) == m),
                addrs_hosted: count(&|a| Some(a.current) == m),
            });
        }
        Some(info)
    }

    /// Applies `inputs` to the port in `slot`; a change of health is
    /// logged, collected for notification, and fed to its group. Returns
    /// whether the engine must run.
    fn record(
        &mut self,
        slot: usize,
        inputs: &[PortInput],
        changed: &mut Changes,
        at: WallTime,
        mono: u64,
    ) -> bool {
        let Some(port) = self.ports[slot].as_mut() else {
            return false;
        };
        let Some(change) = port.update(inputs) else {
            return false;
        };
        port.log_change(change, at);
        changed.push(port.info(), change);
        self.member_health(slot, mono)
    }

    /// A port's health changed: if it is a group member, the group's
    /// timeline learns it. Returns whether the engine must run.
    fn member_health(&mut self, slot: usize, now: u64) -> bool {
        let Some(port) = self.ports[slot].as_mut() else {
            return false;
        };
        port.changed_ns = now;
        let Some(group) = port.group else {
            return false;
        };
        let settings = match self.groups.get(group) {
            Some(Some(g)) => g.settings.failback,
            _ => return false,
        };
        if let Some(port) = self.ports[slot].as_mut() {
            let up = port.status.health().is_up();
            port.member.set_healthy(up, now, &settings);
        }
        true
    }
}

/// Every RDMA port of every RDMA device in the system, and the groups.
#[pin_data]
pub(crate) struct PortRegistry {
    #[pin]
    tables: Mutex<Tables>,
}

impl PortRegistry {
    /// An empty registry.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            tables <- new_mutex!(Tables { ports: KVec::new(), groups: KVec::new() }, "rdmaip_tables")
        })
    }

    /// Locks the tables. Never hold the guard across rtnetlink requests,
    /// consumer callbacks or anything that takes rtnl.
    pub(crate) fn lock(
        &self,
    ) -> kernel::sync::lock::Guard<'_, Tables, kernel::sync::lock::mutex::MutexBackend> {
        self.tables.lock()
    }

    /// Starts tracking every port of `dev`.
    pub(crate) fn add_device(&self, dev: &IbDevice, dev_name: &DevName) -> Result {
        // Netdev state and names are snapshotted under rtnl, and the ports
        // are inserted before rtnl is released, so no netdev event can fall
        // between the snapshot and the insertion.
        let rtnl = RtnlGuard::lock();
        let mut new_ports = KVec::new();
        for port in dev.ports() {
            let netdev = dev.netdev(port);
            let netdev_name = match &netdev {
                Some(n) => n.name(rtnl.token()),
                None => IfName::empty(),
            };
            new_ports.push(
                Port {
                    dev_index: dev.index(),
                    ibdev: dev.get().ok_or(ENODEV)?,
                    dev_going: false,
                    dev_name: *dev_name,
                    port,
                    link_layer: dev.link_layer(port),
                    vlan: netdev.as_ref().and_then(|n| n.vlan_id()),
                    netdev,
                    netdev_name,
                    status: PortStatus::new(),
                    group: None,
                    member: Member::new(),
                    changed_ns: 0,
                    failures: 0,
                    audit_suspect: None,
                },
                GFP_KERNEL,
            )?;
        }
        let mut changed = Changes::new();
        let mut tables = self.tables.lock();
        let ports = &mut tables.ports;
        let free = ports.iter().filter(|s| s.is_none()).count();
        ports.reserve(new_ports.len().saturating_sub(free), GFP_KERNEL)?;
        let now = WallTime::now();
        for mut port in new_ports {
            pr_info!(
                "port {}/{} added: link-layer {} netdev {} at {}\n",
                port.dev_name,
                port.port,
                port.link_layer.name(),
                port.netdev_name,
                now
            );
            if let Some(change) = port.refresh(dev) {
                port.log_change(change, now);
                changed.push(port.info(), change);
            }
            match ports.iter_mut().find(|s| s.is_none()) {
                Some(slot) => *slot = Some(port),
                // Cannot fail: reserved above.
                None => ports.push(Some(port), GFP_KERNEL)?,
            }
        }
        drop(tables);
        changed.notify(now);
        Ok(())
    }

    /// The ports of device `dev_index` are going away: group members among
    /// them count as failed from now on. Returns whether any was a member
    /// (its addresses must then leave before the port does).
    pub(crate) fn fail_device(&self, dev_index: u32) -> bool {
        self.with_changes(|tables, changed, at, mono| {
            let mut members = false;
            for port in tables
                .ports
                .iter_mut()
                .flatten()
                .filter(|p| p.dev_index == dev_index)
            {
                port.dev_going = true;
            }
            for slot in 0..tables.ports.len() {
                let Some(port) = tables.ports[slot].as_mut() else {
                    continue;
                };
                if port.dev_index == dev_index && port.group.is_some() {
                    // It cannot carry RDMA any more; its netdev may stay.
                    let netdev_kept = port.netdev.is_some();
                    port.member.set_gone(netdev_kept);
                    tables.record(slot, &[PortInput::NetdevGone], changed, at, mono);
                    members = true;
                }
            }
            members
        })
    }

    /// Stops tracking the ports of device `dev_index` and drops their
    /// references.
    pub(crate) fn remove_device(&self, dev_index: u32) {
        let mut tables = self.tables.lock();
        for slot in 0..tables.ports.len() {
            if tables.ports[slot]
                .as_ref()
                .is_some_and(|p| p.dev_index == dev_index)
            {
                tables.detach(slot);
                if let Some(port) = tables.ports[slot].take() {
                    pr_info!(
                        "port {}/{} removed at {}\n",
                        port.dev_name,
                        port.port,
                        WallTime::now()
                    );
                }
            }
        }
    }

    /// Device `dev_index` is now called `name`.
    pub(crate) fn rename_device(&self, dev_index: u32, name: &DevName) {
        let mut tables = self.tables.lock();
        for port in tables
            .ports
            .iter_mut()
            .flatten()
            .filter(|p| p.dev_index == dev_index)
        {
            pr_info!(
                "port {}/{} renamed to {}/{}\n",
                port.dev_name,
                port.port,
                name,
                port.port
            );
            port.dev_name = *name;
        }
    }

    /// The group members to check against their live state: everything
    /// needed to ask, so that the asking happens with no lock held.
    pub(crate) fn audit_targets(&self) -> KVec<AuditTarget> {
        let tables = self.tables.lock();
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
    /// rdmaip. Returns whether a group member's health changed.
    pub(crate) fn audit_result(
        &self,
        t: &AuditTarget,
        rdma: RdmaState,
        admin_up: bool,
        carrier: bool,
    ) -> bool {
        self.with_changes(|tables, changed, at, mono| {
            let Some(port) = tables.ports.get_mut(t.slot).and_then(|p| p.as_mut()) else { return false };
            if !port.is(t.dev_index, t.port) || port.dev_going {
                return false;
            }
            let mut inputs = [PortInput::AdminUp(admin_up), PortInput::Carrier(carrier), PortInput::Rdma(rdma)];
            // A failed query says nothing about the RDMA port.
            let inputs = if rdma == RdmaState::Unknown { &mut inputs[..2] } else { &mut inputs[..] };
            let (verdict, live) = audit(&port.status, inputs, port.audit_suspect);
            port.audit_suspect = (verdict == AuditVerdict::Suspect).then(|| live.health());
            if verdict != AuditVerdict::Missed {
                return false;
            }
            pr_warn!(
                "port {}/{}: live state [{}] differs from the events seen [{}]: an event was missed\n",
                port.dev_name,
                port.port,
                live,
                port.status
            );
            tables.record(t.slot, inputs, changed, at, mono)
        })
    }

    /// Whether any port is a group member (the audit then runs).
    pub(crate) fn has_members(&self) -> bool {
        self.tables
            .lock()
            .ports
            .iter()
            .flatten()
            .any(|p| p.group.is_some())
    }

    /// A reference to every RDMA device with a port, but those being
    /// removed: where rdma_cm ids bound to group addresses can be.
    pub(crate) fn cm_devices(&self) -> KVec<IbDeviceRef> {
        let tables = self.tables.lock();
        let mut devs: KVec<IbDeviceRef> = KVec::new();
        for p in tables.ports.iter().flatten().filter(|p| !p.dev_going) {
            if devs.iter().all(|d| d.index() != p.dev_index) {
                if let Some(r) = p.ibdev.get() {
                    if devs.push(r, GFP_KERNEL).is_err() {
                        pr_err!("out of memory: some rdma_cm ids miss an address change\n");
                    }
                }
            }
        }
        devs
    }

    /// The first port in table slot `from` or later, with the slot after it.
    pub(crate) fn next_from(&self, from: usize) -> Option<(usize, PortInfo)> {
        let tables = self.tables.lock();
        (from..tables.ports.len()).find_map(|i| tables.port_info(i).map(|p| (i + 1, p)))
    }

    /// An IB async event on `dev`.
    /// Returns whether a group member changed (the engine must run).
    pub(crate) fn ib_event(&self, dev: &IbDevice, event: IbEvent) -> bool {
        let (port_num, reported) = match event {
            IbEvent::PortActive(p) => (p, RdmaState::Active),
            IbEvent::PortError(p) => (p, RdmaState::Inactive),
            IbEvent::Other => return false,
        };
        // The cache is updated before the event is dispatched, so it is at
        // least as new as the event; it wins if the two disagree (a later
        // event is then on its way).
        let state = match rdma_state(dev, port_num) {
            RdmaState::Unknown => reported,
            s => s,
        };
        let index = dev.index();
        self.with_changes(|tables, changed, at, mono| {
            match tables
                .ports
                .iter()
                .position(|p| p.as_ref().is_some_and(|p| p.is(index, port_num)))
            {
                Some(slot) => tables.record(slot, &[PortInput::Rdma(state)], changed, at, mono),
                None => false,
            }
        })
    }

    /// A netdev event, delivered under rtnl.
    /// Returns whether a group member changed (the engine must run).
    pub(crate) fn netdev_event(&self, event: NetdevEvent, dev: &NetDevice, rtnl: &Rtnl) -> bool {
        self.with_changes(|tables, changed, at, mono| {
            let mut kick = false;
            for slot in 0..tables.ports.len() {
                let Some(port) = tables.ports[slot].as_mut().filter(|p| p.has_netdev(dev)) else {
                    continue;
                };
                let state;
                let inputs: &[PortInput] = match event {
                    NetdevEvent::Up | NetdevEvent::Down | NetdevEvent::Change => {
                        state = [
                            PortInput::AdminUp(dev.is_running()),
                            PortInput::Carrier(dev.carrier_ok()),
                        ];
                        &state
                    }
                    NetdevEvent::ChangeName => {
                        port.netdev_name = dev.name(rtnl);
                        continue;
                    }
                    NetdevEvent::Unregister => {
                        // The kernel deletes its addresses with it: the
                        // engine places again what the group recorded there.
                        port.netdev = None;
                        port.member.set_gone(false);
                        &[PortInput::NetdevGone]
                    }
                };
                kick |= tables.record(slot, inputs, changed, at, mono);
            }
            kick
        })
    }

    /// Runs `f` on the locked tables with a collector of health changes,
    /// which are announced once the lock is released. Returns what `f` does.
    fn with_changes(
        &self,
        f: impl FnOnce(&mut Tables, &mut Changes, WallTime, u64) -> bool,
    ) -> bool {
        let at = WallTime::now();
        let mut changed = Changes::new();
        let kick = f(
            &mut self.tables.lock(),
            &mut changed,
            at,
            crate::sys::clock::mono_ns(),
        );
        changed.notify(at);
        kick
    }
}

/// A group member to compare with its live state (see
/// `PortRegistry::audit_targets`).
pub(crate) struct AuditTarget {
    slot: usize,
    dev_index: u32,
    port: u32,
    dev: IbDeviceRef,
    netdev: NetDevRef,
}

impl AuditTarget {
    /// Reads the port's live state: (RDMA state, admin up, carrier).
    /// Sleeps: call with no lock held.
    pub(crate) fn read(&self) -> (RdmaState, bool, bool) {
        let rdma = match self.dev.query_port_state(self.port) {
            Ok(IbPortState::Active) => RdmaState::Active,
            Ok(IbPortState::NotActive) => RdmaState::Inactive,
            Err(_) => RdmaState::Unknown,
        };
        (rdma, self.netdev.is_running(), self.netdev.carrier_ok())
    }
}

/// Health changes collected under the table lock, announced after it is
/// released. One event changes the ports of one device or one netdev: a
/// handful at most; beyond the capacity changes are only logged.
struct Changes {
    items: [Option<(PortInfo, HealthChange)>; 16],
}

impl Changes {
    fn new() -> Self {
        Changes { items: [None; 16] }
    }

    fn push(&mut self, info: PortInfo, change: HealthChange) {
        if let Some(slot) = self.items.iter_mut().find(|s| s.is_none()) {
            *slot = Some((info, change));
        }
    }

    fn notify(self, at: WallTime) {
        for (info, change) in self.items.into_iter().flatten() {
            monitor::port_health(&info, change, at);
        }
    }
}
