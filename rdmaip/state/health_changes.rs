// SPDX-License-Identifier: GPL-2.0

//! Changes of port health collected under the table lock, handed to the
//! caller to report once the lock is released (state never calls out).
//!
//! Kept on the heap: an outcome stays on the caller's stack while it goes
//! on (a device's removal runs a whole engine pass, rtnetlink requests
//! included), so it must be small.

use super::port::PortInfo;
use crate::logic::port::HealthChange;
use crate::sys::clock::WallTime;
use kernel::prelude::*;

/// The health changes of one event, and when it happened.
pub(crate) struct HealthChanges {
    items: KVec<(PortInfo, HealthChange)>,
    /// When the changes happened (wall clock).
    pub(crate) at: WallTime,
}

impl HealthChanges {
    pub(super) fn new(at: WallTime) -> Self {
        HealthChanges {
            items: KVec::new(),
            at,
        }
    }

    /// Adds a change to report; without memory for it, it is logged only
    /// (the port's own log line says what changed).
    pub(super) fn push(&mut self, info: PortInfo, change: HealthChange) {
        if self.items.push((info, change), GFP_KERNEL).is_err() {
            pr_warn!(
                "out of memory: port {}/{}: health change not reported to monitors\n",
                info.dev_name,
                info.port
            );
        }
    }

    /// Every change, in the order it happened.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(PortInfo, HealthChange)> {
        self.items.iter()
    }
}

/// What an event did to the tables.
pub(crate) struct Outcome {
    /// Whether a group member changed: the engine must run.
    pub(crate) engine_must_run: bool,
    /// The ports whose health changed, to report.
    pub(crate) health: HealthChanges,
}
