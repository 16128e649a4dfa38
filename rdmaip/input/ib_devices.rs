// SPDX-License-Identifier: GPL-2.0

//! ib_core's device add/remove/rename callbacks and each device's async
//! events, fed into the registry.

use crate::engine::Engine;
use crate::output::monitor;
use crate::state::registry::PortRegistry;
use crate::sys::ib::{IbClient, IbDevice};
use crate::sys::ib_event::{EventHandlerRegistration, IbEvent, IbEventHandler};
use crate::sys::names::DevName;
use crate::sys::workq::Worker;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Feeds ib_core's device add/remove/rename callbacks into the registry.
pub(crate) struct Devices {
    pub(crate) registry: Arc<PortRegistry>,
    pub(crate) engine: Arc<Worker<Engine>>,
}

/// Feeds one device's async events into the registry.
pub(crate) struct DeviceEvents {
    registry: Arc<PortRegistry>,
    engine: Arc<Worker<Engine>>,
}

/// What rdmaip keeps per RDMA device: its event handler registration.
pub(crate) struct DeviceState {
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
        let (found, rejoined) = self.registry.add_device(dev, name)?;
        monitor::port_health_changes(&found);
        if rejoined {
            self.engine.kick();
        }
        Ok(KBox::new(DeviceState { _events: events }, GFP_KERNEL)?)
    }

    fn remove(&self, dev: &IbDevice, data: KBox<DeviceState>) {
        // A member's device going away is a failure: its addresses move to
        // the rest of the group first (unless the module is unloading,
        // when they have just been put home).
        if self.fail_device(dev) && !self.engine.is_stopped() {
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

impl Devices {
    /// The ports of `dev` fail; returns whether one was a group member.
    /// Not inlined: the outcome must not stay on the stack during the
    /// engine pass that follows.
    #[inline(never)]
    fn fail_device(&self, dev: &IbDevice) -> bool {
        let failed = self.registry.fail_device(dev.index());
        monitor::port_health_changes(&failed.health);
        failed.engine_must_run
    }
}

impl IbEventHandler for DeviceEvents {
    fn handle(&self, dev: &IbDevice, event: IbEvent) {
        let outcome = self.registry.ib_event(dev, event);
        monitor::port_health_changes(&outcome.health);
        if outcome.engine_must_run {
            self.engine.kick();
        }
    }
}
