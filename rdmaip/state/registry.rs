// SPDX-License-Identifier: GPL-2.0

//! Every RDMA port of every RDMA device in the system, and the groups,
//! behind one mutex.
//!
//! Every port of every RDMA device is tracked from the moment ib_core tells
//! us about the device until it goes away.
//!
//! Locking: one mutex over the tables. It is taken from IB event handlers
//! (ib_core's event rwsem held), netdev notifiers (rtnl held) and ib_client
//! callbacks (which take rtnl first), so the order is always
//! rtnl -> tables and ib event rwsem -> tables; nothing is called with the
//! tables locked that could take either of those. Nothing here reports
//! anything: health changes are returned to the caller.

use super::health_changes::{HealthChanges, Outcome};
use super::port::{rdma_state, Port, PortInfo};
use super::tables::Tables;
use crate::logic::port::{PortInput, RdmaState};
use crate::sys::clock::{mono_ns, WallTime};
use crate::sys::ib::{IbDevice, IbDeviceRef};
use crate::sys::ib_event::IbEvent;
use crate::sys::names::{DevName, IfName};
use crate::sys::netdev::{NetDevice, Rtnl, RtnlGuard};
use crate::sys::netdev_notifier::NetdevEvent;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::Mutex;

/// The tables and their lock.
#[pin_data]
pub(crate) struct PortRegistry {
    #[pin]
    tables: Mutex<Tables>,
    /// Bumped each time the tables are locked for writing: a dump whose
    /// parts saw different generations may be inconsistent, and is marked
    /// so (`NLM_F_DUMP_INTR`), as WireGuard's dumps are.
    generation: AtomicU32,
}

/// The tables, locked for reading.
pub(crate) struct TablesRead<'a> {
    guard: Guard<'a, Tables, MutexBackend>,
    generation: u32,
}

impl TablesRead<'_> {
    /// The tables' generation, never 0 (netlink reads 0 as "not set").
    pub(crate) fn generation(&self) -> u32 {
        self.generation.max(1)
    }
}

impl core::ops::Deref for TablesRead<'_> {
    type Target = Tables;

    fn deref(&self) -> &Tables {
        &self.guard
    }
}

impl PortRegistry {
    /// An empty registry.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            tables <- new_mutex!(Tables::new(), "rdmaip_tables"),
            generation: AtomicU32::new(1),
        })
    }

    /// Locks the tables for writing. Never hold the guard across rtnetlink
    /// requests, consumer callbacks or anything that takes rtnl.
    pub(crate) fn lock(&self) -> Guard<'_, Tables, MutexBackend> {
        let guard = self.tables.lock();
        self.generation.fetch_add(1, Ordering::Relaxed);
        guard
    }

    /// Locks the tables for reading (the same lock, and the same rules).
    pub(crate) fn read(&self) -> TablesRead<'_> {
        let guard = self.tables.lock();
        TablesRead {
            generation: self.generation.load(Ordering::Relaxed),
            guard,
        }
    }

    /// Starts tracking every port of `dev`; returns the health found, and
    /// whether a port rejoined the group that waited for it (the engine
    /// must then run).
    pub(crate) fn add_device(
        &self,
        dev: &IbDevice,
        dev_name: &DevName,
    ) -> Result<(HealthChanges, bool)> {
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
                Port::new(dev, dev_name, port, netdev, netdev_name)?,
                GFP_KERNEL,
            )?;
        }
        let now = WallTime::now();
        let mut changed = HealthChanges::new(now);
        let mut tables = self.lock();
        let ports = &mut tables.ports;
        let free = ports.iter().filter(|s| s.is_none()).count();
        ports.reserve(new_ports.len().saturating_sub(free), GFP_KERNEL)?;
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
        // Every port of the device gets its chance to rejoin (no short
        // circuit).
        let mut rejoined = false;
        for slot in 0..tables.ports.len() {
            if tables
                .port(slot)
                .is_some_and(|p| p.dev_index == dev.index())
            {
                rejoined |= tables.rejoin(slot);
            }
        }
        drop(tables);
        drop(rtnl);
        Ok((changed, rejoined))
    }

    /// The ports of device `dev_index` are going away: group members among
    /// them count as failed from now on. `engine_must_run` says whether any
    /// was a member (its addresses must then leave before the port does).
    pub(crate) fn fail_device(&self, dev_index: u32) -> Outcome {
        self.with_changes(|tables, changed, mono| {
            let mut members = false;
            for slot in 0..tables.ports.len() {
                let Some(port) = tables.port_mut(slot) else {
                    continue;
                };
                if port.dev_index != dev_index {
                    continue;
                }
                port.dev_going = true;
                if port.group.is_some() {
                    // It cannot carry RDMA any more; its netdev may stay.
                    let netdev_kept = port.netdev.is_some();
                    port.member.set_gone(netdev_kept);
                    tables.record(slot, &[PortInput::NetdevGone], changed, mono);
                    members = true;
                }
            }
            members
        })
    }

    /// Stops tracking the ports of device `dev_index` and drops their
    /// references. Group members among them wait to rejoin.
    pub(crate) fn remove_device(&self, dev_index: u32) {
        let mut tables = self.lock();
        for slot in 0..tables.ports.len() {
            if tables.port(slot).is_some_and(|p| p.dev_index == dev_index) {
                tables.wait_to_rejoin(slot);
                tables.detach(slot);
                if let Some(port) = tables.ports.get_mut(slot).and_then(Option::take) {
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
        let mut tables = self.lock();
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

    /// Whether any port is a group member (the audit then runs).
    pub(crate) fn has_members(&self) -> bool {
        self.read()
            .ports
            .iter()
            .flatten()
            .any(|p| p.group.is_some())
    }

    /// A reference to every RDMA device with a port, but those being
    /// removed: where rdma_cm ids bound to group addresses can be.
    pub(crate) fn cm_devices(&self) -> KVec<IbDeviceRef> {
        let tables = self.read();
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

    /// The RDMA devices whose ports have netdev `ifindex` (but those being
    /// removed), and that netdev's name; `None` if no port has it. Only
    /// their rdma_cm ids can use the netdev (peer notification).
    pub(crate) fn devices_on_netdev(&self, ifindex: u32) -> Option<(KVec<IbDeviceRef>, IfName)> {
        let tables = self.read();
        let mut found = None;
        for p in tables.ports.iter().flatten() {
            if p.netdev.as_ref().map(|n| n.ifindex() as u32) != Some(ifindex) {
                continue;
            }
            let (devs, _) =
                found.get_or_insert_with(|| (KVec::<IbDeviceRef>::new(), p.netdev_name));
            if p.dev_going || devs.iter().any(|d| d.index() == p.dev_index) {
                continue;
            }
            if let Some(r) = p.ibdev.get() {
                if devs.push(r, GFP_KERNEL).is_err() {
                    pr_err!("out of memory: some rdma_cm ids miss a remote move\n");
                }
            }
        }
        found
    }

    /// The first port in table slot `from` or later, with the slot after it
    /// and the tables' generation.
    pub(crate) fn next_from(&self, from: usize) -> Option<(usize, PortInfo, u32)> {
        let tables = self.read();
        let generation = tables.generation();
        (from..tables.ports.len()).find_map(|i| tables.port_info(i).map(|p| (i + 1, p, generation)))
    }

    /// An IB async event on `dev`.
    pub(crate) fn ib_event(&self, dev: &IbDevice, event: IbEvent) -> Outcome {
        let (port_num, reported) = match event {
            IbEvent::PortActive(p) => (p, RdmaState::Active),
            IbEvent::PortError(p) => (p, RdmaState::Inactive),
            IbEvent::Other => return self.with_changes(|_, _, _| false),
        };
        // The cache is updated before the event is dispatched, so it is at
        // least as new as the event; it wins if the two disagree (a later
        // event is then on its way).
        let state = match rdma_state(dev, port_num) {
            RdmaState::Unknown => reported,
            s => s,
        };
        let index = dev.index();
        self.with_changes(|tables, changed, mono| {
            match tables
                .ports
                .iter()
                .position(|p| p.as_ref().is_some_and(|p| p.is(index, port_num)))
            {
                Some(slot) => tables.record(slot, &[PortInput::Rdma(state)], changed, mono),
                None => false,
            }
        })
    }

    /// A netdev event, delivered under rtnl.
    pub(crate) fn netdev_event(&self, event: NetdevEvent, dev: &NetDevice, rtnl: &Rtnl) -> Outcome {
        self.with_changes(|tables, changed, mono| {
            let mut kick = false;
            for slot in 0..tables.ports.len() {
                let Some(port) = tables.port_mut(slot).filter(|p| p.has_netdev(dev)) else {
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
                kick |= tables.record(slot, inputs, changed, mono);
            }
            kick
        })
    }

    /// Runs `f` on the locked tables with a collector of health changes,
    /// which the caller reports once the lock is released; `f` says
    /// whether the engine must run.
    pub(super) fn with_changes(
        &self,
        f: impl FnOnce(&mut Tables, &mut HealthChanges, u64) -> bool,
    ) -> Outcome {
        let mut health = HealthChanges::new(WallTime::now());
        let engine_must_run = f(&mut self.lock(), &mut health, mono_ns());
        Outcome {
            engine_must_run,
            health,
        }
    }
}
