// SPDX-License-Identifier: GPL-2.0

//! Why an address moved: shared by the engine, which decides, and the
//! outputs, which report it.

use crate::logic::group::MoveReason;
use crate::sys::ffi;

/// Why an address moved, as the netlink events say it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Plan(MoveReason),
    /// The module is unloading: everything goes home.
    Unload,
}

impl Reason {
    /// The reason as the uapi header (and the kernel API) number it.
    pub(crate) fn uapi(self) -> u32 {
        match self {
            Reason::Plan(MoveReason::Failover) => {
                ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_FAILOVER
            }
            Reason::Plan(MoveReason::Failback) => {
                ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_FAILBACK
            }
            Reason::Plan(MoveReason::Drain) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_DRAIN,
            Reason::Plan(MoveReason::Undrain) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_UNDRAIN,
            Reason::Plan(MoveReason::Admin) => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_ADMIN,
            Reason::Unload => ffi::rdmaip_move_reason_RDMAIP_MOVE_REASON_UNLOAD,
        }
    }

    /// The reason as the kernel log names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reason::Plan(r) => r.name(),
            Reason::Unload => "unload",
        }
    }

    /// Whether the move brings an address home to a recovered or
    /// undrained port.
    pub(crate) fn is_homecoming(self) -> bool {
        matches!(
            self,
            Reason::Plan(MoveReason::Failback | MoveReason::Undrain)
        )
    }
}
