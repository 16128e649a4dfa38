// SPDX-License-Identifier: GPL-2.0

//! Netdev events (under rtnl) fed into the registry, and address changes
//! passed to the engine.

use crate::engine::Engine;
use crate::output::monitor;
use crate::state::registry::PortRegistry;
use crate::sys::addr_notifier::AddrListener;
use crate::sys::netdev::{NetDevice, Rtnl};
use crate::sys::netdev_notifier::{NetdevEvent, NetdevListener};
use crate::sys::workq::Worker;
use kernel::sync::Arc;

/// Feeds netdev events into the registry.
pub(crate) struct Netdevs {
    pub(crate) registry: Arc<PortRegistry>,
    pub(crate) engine: Arc<Worker<Engine>>,
}

impl NetdevListener for Netdevs {
    fn event(&self, event: NetdevEvent, dev: &NetDevice, rtnl: &Rtnl) {
        let outcome = self.registry.netdev_event(event, dev, rtnl);
        monitor::port_health_changes(&outcome.health);
        if outcome.engine_must_run {
            self.engine.kick();
        }
    }
}

/// Tells the engine that addresses changed (atomic context for IPv6).
pub(crate) struct Addrs(pub(crate) Arc<Worker<Engine>>);

impl AddrListener for Addrs {
    fn changed(&self) {
        self.0.job().addresses_changed();
        self.0.kick();
    }
}
