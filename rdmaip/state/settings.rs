// SPDX-License-Identifier: GPL-2.0

//! A group's settings.

use crate::logic::group::{FailbackSettings, NS_PER_MS};

/// A group's settings.
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) failback: FailbackSettings,
    pub(crate) announce_count: u32,
    pub(crate) announce_interval_ms: u32,
}

impl Settings {
    /// Defaults, as documented in the spec and `Documentation/rdmaip.rst`.
    pub(crate) const DEFAULT: Self = Settings {
        failback: FailbackSettings::DEFAULT,
        announce_count: 3,
        announce_interval_ms: 300,
    };

    pub(crate) fn failback_delay_ms(&self) -> u32 {
        (self.failback.delay_ns / NS_PER_MS) as u32
    }

    pub(crate) fn hold_down_max_ms(&self) -> u32 {
        (self.failback.hold_down_max_ns / NS_PER_MS) as u32
    }
}
