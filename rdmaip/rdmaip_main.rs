// SPDX-License-Identifier: GPL-2.0

//! rdmaip: Resilient RDMA IP.
//!
//! Tracks every RDMA port in the system and the health of the netdev behind
//! it, so that the IP addresses of a failed port can be moved to a healthy
//! port of another adapter (see `Documentation/rdmaip.rst`).
//!
//! Layout: the files named after a kernel API (`ib`, `ib_event`, `netdev`,
//! `netdev_notifier`, `clock`) are thin wrappers that hold all of the
//! module's `unsafe` code; `ports` and `logic` are safe Rust built on them.

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

#[deny(unsafe_code)]
mod engine;
#[deny(unsafe_code)]
mod input;
#[deny(unsafe_code)]
mod logic;
#[deny(unsafe_code)]
mod output;
#[deny(unsafe_code)]
mod state;
mod sys;

use engine::Engine;
use state::ports::PortRegistry;
use sys::addr_notifier::{self, AddrListener, AddrNotifier, Family};
use sys::cm_ids;
use sys::genl;
use sys::ib::{self, IbClient, IbDevice};
use sys::ib_event::{EventHandlerRegistration, IbEvent, IbEventHandler};
use sys::names::DevName;
use sys::netdev::{NetDevice, Rtnl};
use sys::netdev_notifier::{self, NetdevEvent, NetdevListener, NetdevNotifier};
use sys::ulp_api;
use sys::workq::Worker;

module! {
    type: RdmaIp,
    name: "rdmaip",
    author: "rdmaip developers",
    description: "Resilient RDMA IP: address failover across RDMA adapters",
    license: "GPL",
}

/// The engine's worker: what event sources kick when a group member changes.
type EngineWorker = Worker<Engine>;

/// Feeds ib_core's device add/remove/rename callbacks into the registry.
struct Devices {
    registry: Arc<PortRegistry>,
    engine: Arc<EngineWorker>,
}

/// Feeds one device's async events into the registry.
struct DeviceEvents {
    registry: Arc<PortRegistry>,
    engine: Arc<EngineWorker>,
}

/// What rdmaip keeps per RDMA device: its event handler registration.
struct DeviceState {
    _events: Pin<KBox<EventHandlerRegistration<DeviceEvents>>>,
}

impl IbClient for Devices {
    type DeviceData = DeviceState;
    const NAME: &'static CStr = c_str!("rdmaip");

    fn add(&self, dev: &IbDevice, name: &DevName) -> Result<KBox<DeviceState>> {
        // The handler goes in first: ib_core updates its port cache before
        // dispatching an event, so the state `add_device` reads afterwards
        // already includes anything that happened before the handler was in.
        let handler = DeviceEvents {
            registry: self.registry.clone(),
            engine: self.engine.clone(),
        };
        let events = EventHandlerRegistration::new(dev, handler)?;
        self.registry.add_device(dev, name)?;
        Ok(KBox::new(DeviceState { _events: events }, GFP_KERNEL)?)
    }

    fn remove(&self, dev: &IbDevice, data: KBox<DeviceState>) {
        // A member's device going away is a failure: its addresses move to
        // the rest of the group first (unless the module is unloading,
        // when they have just been put home).
        if self.registry.fail_device(dev.index()) && !self.engine.is_stopped() {
            self.engine.job().evacuate(&self.engine);
        }
        self.registry.remove_device(dev.index());
        // Unregisters the event handler; the registry lock is not held.
        drop(data);
    }

    fn rename(&self, dev: &IbDevice, _data: &DeviceState, name: &DevName) {
        self.registry.rename_device(dev.index(), name);
    }
}

impl IbEventHandler for DeviceEvents {
    fn handle(&self, dev: &IbDevice, event: IbEvent) {
        if self.registry.ib_event(dev, event) {
            self.engine.kick();
        }
    }
}

/// Feeds netdev events into the registry.
struct Netdevs {
    registry: Arc<PortRegistry>,
    engine: Arc<EngineWorker>,
}

impl NetdevListener for Netdevs {
    fn event(&self, event: NetdevEvent, dev: &NetDevice, rtnl: &Rtnl) {
        if self.registry.netdev_event(event, dev, rtnl) {
            self.engine.kick();
        }
    }
}

/// Tells the engine that addresses changed (atomic context for IPv6).
struct Addrs(Arc<EngineWorker>);

impl AddrListener for Addrs {
    fn changed(&self) {
        self.0.job().addresses_changed();
        self.0.kick();
    }
}

struct RdmaIp {
    engine: Arc<EngineWorker>,
    // Dropped in declaration order: the IB client goes first, releasing
    // every port and its netdev reference; the notifier's unregistration
    // then replays DOWN/UNREGISTER events that no longer match any port.
    _devices: ib::Registration<Devices>,
    _netdevs: Pin<KBox<NetdevNotifier<Netdevs>>>,
    _addrs4: Pin<KBox<AddrNotifier<Addrs>>>,
    _addrs6: Pin<KBox<AddrNotifier<Addrs>>>,
    _ulp_api: ulp_api::Registration,
    // Last: registered before and unregistered after every source of
    // events, so notifications always have a registered family to go to.
    // Unregistering waits for running requests.
    _netlink: genl::Registration,
}

impl kernel::Module for RdmaIp {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = Arc::pin_init(PortRegistry::new(), GFP_KERNEL)?;
        let engine = Worker::new(c_str!("rdmaip"), Engine::new(registry.clone())?)?;
        let netlink = genl::Registration::register(Arc::new(
            input::netlink::Netlink::new(registry.clone(), engine.clone()),
            GFP_KERNEL,
        )?)?;
        // Netdev events first, so that none is missed between discovering a
        // port and watching its netdev.
        let netdevs = netdev_notifier::register(Netdevs {
            registry: registry.clone(),
            engine: engine.clone(),
        })?;
        let addrs4 = addr_notifier::register(Family::V4, Addrs(engine.clone()))?;
        let addrs6 = addr_notifier::register(Family::V6, Addrs(engine.clone()))?;
        let ulp_api = ulp_api::Registration::new(registry.clone());
        let devices = ib::Registration::register(Arc::new(
            Devices {
                registry,
                engine: engine.clone(),
            },
            GFP_KERNEL,
        )?)?;
        if cm_ids::AVAILABLE {
            pr_info!(
                "loaded; rdma_cm ids bound to moved addresses get RDMA_CM_EVENT_ADDR_CHANGE\n"
            );
        } else {
            pr_warn!(
                "loaded without local rdma_cm notification: built without rdma_cm's private headers \
                 (drivers/infiniband/core of the kernel source tree); local consumers learn about moves \
                 only from their peers and from their own timeouts\n"
            );
        }
        Ok(RdmaIp {
            engine,
            _devices: devices,
            _netdevs: netdevs,
            _addrs4: addrs4,
            _addrs6: addrs6,
            _ulp_api: ulp_api,
            _netlink: netlink,
        })
    }
}

impl Drop for RdmaIp {
    fn drop(&mut self) {
        pr_info!("unloading: moving every address home\n");
        // No more passes; then every address goes home while the ports and
        // their netdevs are still held.
        self.engine.stop();
        self.engine.job().restore_all();
    }
}
