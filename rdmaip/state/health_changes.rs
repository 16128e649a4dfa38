// SPDX-License-Identifier: GPL-2.0

//! Changes of port health collected under the table lock, handed to the
//! caller to report once the lock is released (state never calls out).

use super::port::PortInfo;
use crate::logic::port::HealthChange;
use crate::sys::clock::WallTime;
use kernel::prelude::*;

/// How many changes one event can report: one event changes the ports of
/// one device or one netdev, a handful at most. Beyond that, changes are
/// logged but not reported.
const CAPACITY: usize = 16;

/// The health changes of one event, and when it happened.
pub(crate) struct HealthChanges {
    items: [Option<(PortInfo, HealthChange)>; CAPACITY],
    /// When the changes happened (wall clock).
    pub(crate) at: WallTime,
}

impl HealthChanges {
    pub(super) fn new(at: WallTime) -> Self {
        HealthChanges {
            items: [None; CAPACITY],
            at,
        }
    }

    pub(super) fn push(&mut self, info: PortInfo, change: HealthChange) {
        match self.items.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = Some((info, change)),
            None => pr_warn!(
                "port {}/{}: health change not reported to monitors (more than {} at once)\n",
                info.dev_name,
                info.port,
                CAPACITY
            ),
        }
    }

    /// Every change, in the order it happened.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(PortInfo, HealthChange)> {
        self.items.iter().flatten()
    }
}

/// What an event did to the tables.
pub(crate) struct Outcome {
    /// Whether a group member changed: the engine must run.
    pub(crate) engine_must_run: bool,
    /// The ports whose health changed, to report.
    pub(crate) health: HealthChanges,
}
