// SPDX-License-Identifier: GPL-2.0

//! Health of one RDMA port, derived from the facts the kernel reports.
//!
//! A port is healthy only when every layer under it works: the RDMA port is
//! ACTIVE, the netdev behind it exists, is administratively up and has
//! carrier. The kernel tells us about each layer through a different channel
//! (IB async events, netdev notifier events) and in no particular order, so
//! the health is always recomputed from the latest value of every input
//! rather than from the event that happened to arrive last.
//!
//! This file is compiled into the kernel module and into the host crate
//! `rdmaip-core`; it must stay `no_std`, allocation-free and free of
//! `unsafe`.

use core::fmt;

/// State of the RDMA port as the IB layer reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdmaState {
    /// Not known yet (before the first query).
    Unknown,
    /// `IB_PORT_ACTIVE`: the port can carry traffic.
    Active,
    /// Any other IB port state (DOWN, INIT, ARMED, ...).
    Inactive,
}

/// One fact about a port, as reported by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortInput {
    /// The RDMA port state changed (IB async event or query).
    Rdma(RdmaState),
    /// The netdev's administrative state (`IFF_UP`) is now this.
    AdminUp(bool),
    /// The netdev's carrier is now this.
    Carrier(bool),
    /// The netdev behind the port went away (unregistered).
    NetdevGone,
    /// Path probing's verdict (`crate::probe`): whether the port reaches
    /// its group's probe targets. Always true while probing is off or the
    /// port is in no group.
    PathOk(bool),
}

/// Why a port is not healthy. When several layers are down, the lowest one
/// is reported, because it is the one an operator has to fix first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// The netdev behind the port is gone.
    NetdevGone,
    /// The netdev is administratively down.
    AdminDown,
    /// The netdev has no carrier.
    NoCarrier,
    /// The RDMA port is not ACTIVE.
    RdmaInactive,
    /// Every layer works, but the port's probes reach none of its group's
    /// targets while another member's do (a gray failure).
    Probe,
}

impl FailReason {
    /// Stable lowercase name, used in logs and in the netlink API.
    pub const fn name(self) -> &'static str {
        match self {
            FailReason::NetdevGone => "netdev-gone",
            FailReason::AdminDown => "admin-down",
            FailReason::NoCarrier => "no-carrier",
            FailReason::RdmaInactive => "rdma-inactive",
            FailReason::Probe => "probe",
        }
    }
}

/// Health of a port: what the failover logic acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Every layer works.
    Up,
    /// At least one layer does not work; the reason names the lowest one.
    Down(FailReason),
}

impl Health {
    /// Whether the port can carry addresses.
    pub const fn is_up(self) -> bool {
        matches!(self, Health::Up)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Up => f.write_str("UP"),
            Health::Down(r) => write!(f, "DOWN ({})", r.name()),
        }
    }
}

/// A change of health that the caller must act on (log, fail over, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// Health before the input.
    pub from: Health,
    /// Health after the input.
    pub to: Health,
}

/// The latest known value of every input of a port, and the health they give.
///
/// # Invariants
///
/// `health` is always `derive_health(rdma, netdev_present, admin_up,
/// carrier, path_ok)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortStatus {
    rdma: RdmaState,
    netdev_present: bool,
    admin_up: bool,
    carrier: bool,
    path_ok: bool,
    health: Health,
}

impl Default for PortStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl PortStatus {
    /// A port we know nothing about yet: it counts as failed until every
    /// layer has been seen working, so a half-discovered port never receives
    /// addresses.
    pub const fn new() -> Self {
        let (rdma, netdev_present, admin_up, carrier) = (RdmaState::Unknown, true, false, false);
        PortStatus {
            rdma,
            netdev_present,
            admin_up,
            carrier,
            path_ok: true,
            health: derive_health(rdma, netdev_present, admin_up, carrier, true),
        }
    }

    /// Current health.
    pub const fn health(&self) -> Health {
        self.health
    }

    /// Latest RDMA port state.
    pub const fn rdma(&self) -> RdmaState {
        self.rdma
    }

    /// Whether the netdev is administratively up.
    pub const fn admin_up(&self) -> bool {
        self.admin_up
    }

    /// Whether the netdev has carrier.
    pub const fn carrier(&self) -> bool {
        self.carrier
    }

    /// Whether the netdev still exists.
    pub const fn netdev_present(&self) -> bool {
        self.netdev_present
    }

    /// Whether probing finds the port's path working (true while off).
    pub const fn path_ok(&self) -> bool {
        self.path_ok
    }

    /// Records one input; returns the health change it caused, if any.
    ///
    /// Once the netdev is gone the port stays failed: a netdev that comes
    /// back is a new netdev, and the kernel re-creates the RDMA device (and
    /// so the port) for it.
    pub fn apply(&mut self, input: PortInput) -> Option<HealthChange> {
        match input {
            PortInput::Rdma(s) => self.rdma = s,
            PortInput::AdminUp(up) => self.admin_up = up,
            PortInput::Carrier(c) => self.carrier = c,
            PortInput::NetdevGone => self.netdev_present = false,
            PortInput::PathOk(ok) => self.path_ok = ok,
        }
        let from = self.health;
        self.health = derive_health(
            self.rdma,
            self.netdev_present,
            self.admin_up,
            self.carrier,
            self.path_ok,
        );
        (from != self.health).then_some(HealthChange {
            from,
            to: self.health,
        })
    }
}

/// The lowest failing layer wins; probing's verdict is the highest layer,
/// so its reason shows only when everything the port reports works.
const fn derive_health(
    rdma: RdmaState,
    present: bool,
    admin_up: bool,
    carrier: bool,
    path_ok: bool,
) -> Health {
    if !present {
        Health::Down(FailReason::NetdevGone)
    } else if !admin_up {
        Health::Down(FailReason::AdminDown)
    } else if !carrier {
        Health::Down(FailReason::NoCarrier)
    } else if !matches!(rdma, RdmaState::Active) {
        Health::Down(FailReason::RdmaInactive)
    } else if !path_ok {
        Health::Down(FailReason::Probe)
    } else {
        Health::Up
    }
}

impl fmt::Display for RdmaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RdmaState::Unknown => "unknown",
            RdmaState::Active => "ACTIVE",
            RdmaState::Inactive => "DOWN",
        })
    }
}

impl fmt::Display for PortStatus {
    /// `rdma ACTIVE admin up carrier on`, the detail line of a state change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rdma {} admin {} carrier {}{}{}",
            self.rdma,
            if self.admin_up { "up" } else { "down" },
            if self.carrier { "on" } else { "off" },
            if self.netdev_present {
                ""
            } else {
                " netdev gone"
            },
            if self.path_ok { "" } else { " probes failing" },
        )
    }
}

/// What comparing a port's live state with the state its events gave
/// decides (see [`audit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditVerdict {
    /// The live state gives the same health: nothing was missed.
    Agrees,
    /// It differs for the first time: events may still be on their way
    /// (linkwatch batches carrier changes for up to a second, IB events go
    /// through a workqueue). Look again at the next audit.
    Suspect,
    /// It differed at the previous audit too: an event was missed. Apply
    /// the live inputs.
    Missed,
}

/// Compares the live inputs of a port (read by polling) with its recorded
/// status. `suspect` is the health the live inputs gave at the previous
/// audit, if that differed from the recorded one: an event counts as
/// missed only when the same difference is seen twice in a row (a port
/// flapping between two audits is not a missed event). Returns the
/// verdict and the status the live inputs give.
pub fn audit(
    recorded: &PortStatus,
    live: &[PortInput],
    suspect: Option<Health>,
) -> (AuditVerdict, PortStatus) {
    let mut status = *recorded;
    for &input in live {
        status.apply(input);
    }
    let verdict = if status.health() == recorded.health() {
        AuditVerdict::Agrees
    } else if suspect == Some(status.health()) {
        AuditVerdict::Missed
    } else {
        AuditVerdict::Suspect
    };
    (verdict, status)
}
