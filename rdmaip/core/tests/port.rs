// SPDX-License-Identifier: GPL-2.0

//! Port health: unit tests and properties over random input sequences.

use proptest::prelude::*;
use rdmaip_core::port::{
    audit, AuditVerdict, FailReason, Health, PortInput, PortStatus, RdmaState,
};

fn up_port() -> PortStatus {
    let mut p = PortStatus::new();
    p.apply(PortInput::Rdma(RdmaState::Active));
    p.apply(PortInput::AdminUp(true));
    p.apply(PortInput::Carrier(true));
    p
}

#[test]
fn new_port_is_down_until_every_layer_is_seen() {
    let mut p = PortStatus::new();
    assert!(!p.health().is_up());
    assert_eq!(p.apply(PortInput::Rdma(RdmaState::Active)), None);
    // The reason moves to the next layer down: still a change worth logging.
    let change = p.apply(PortInput::AdminUp(true)).unwrap();
    assert_eq!(change.to, Health::Down(FailReason::NoCarrier));
    let change = p.apply(PortInput::Carrier(true)).expect("came up");
    assert_eq!(change.to, Health::Up);
}

#[test]
fn carrier_loss_fails_the_port_and_restore_brings_it_back() {
    let mut p = up_port();
    let down = p.apply(PortInput::Carrier(false)).unwrap();
    assert_eq!(
        (down.from, down.to),
        (Health::Up, Health::Down(FailReason::NoCarrier))
    );
    // rxe reports PORT_ERR right after the carrier loss: same health, no change.
    assert_eq!(p.apply(PortInput::Rdma(RdmaState::Inactive)), None);
    assert_eq!(
        p.apply(PortInput::Carrier(true)),
        Some(health_change(
            Health::Down(FailReason::NoCarrier),
            Health::Down(FailReason::RdmaInactive),
        ))
    );
    assert_eq!(
        p.apply(PortInput::Rdma(RdmaState::Active)).unwrap().to,
        Health::Up
    );
}

#[test]
fn the_lowest_failed_layer_is_the_reason() {
    let mut p = up_port();
    p.apply(PortInput::Rdma(RdmaState::Inactive));
    p.apply(PortInput::Carrier(false));
    p.apply(PortInput::AdminUp(false));
    assert_eq!(p.health(), Health::Down(FailReason::AdminDown));
    p.apply(PortInput::NetdevGone);
    assert_eq!(p.health(), Health::Down(FailReason::NetdevGone));
}

#[test]
fn a_gone_netdev_never_comes_back() {
    let mut p = up_port();
    p.apply(PortInput::NetdevGone);
    for input in [
        PortInput::AdminUp(true),
        PortInput::Carrier(true),
        PortInput::Rdma(RdmaState::Active),
    ] {
        assert_eq!(p.apply(input), None);
    }
    assert_eq!(p.health(), Health::Down(FailReason::NetdevGone));
}

#[test]
fn display_is_stable_for_log_parsers() {
    let mut p = up_port();
    assert_eq!(p.to_string(), "rdma ACTIVE admin up carrier on");
    assert_eq!(p.health().to_string(), "UP");
    p.apply(PortInput::Carrier(false));
    assert_eq!(p.health().to_string(), "DOWN (no-carrier)");
}

fn health_change(from: Health, to: Health) -> rdmaip_core::port::HealthChange {
    rdmaip_core::port::HealthChange { from, to }
}

fn any_input() -> impl Strategy<Value = PortInput> {
    prop_oneof![
        4 => prop_oneof![Just(RdmaState::Active), Just(RdmaState::Inactive), Just(RdmaState::Unknown)]
            .prop_map(PortInput::Rdma),
        4 => any::<bool>().prop_map(PortInput::AdminUp),
        4 => any::<bool>().prop_map(PortInput::Carrier),
        1 => Just(PortInput::NetdevGone),
        2 => any::<bool>().prop_map(PortInput::PathOk),
    ]
}

/// A reference model: the latest value of each input, kept independently.
#[derive(Default)]
struct Model {
    rdma_active: bool,
    admin: bool,
    carrier: bool,
    gone: bool,
    path_failing: bool,
}

impl Model {
    fn apply(&mut self, i: PortInput) {
        match i {
            PortInput::Rdma(s) => self.rdma_active = s == RdmaState::Active,
            PortInput::AdminUp(b) => self.admin = b,
            PortInput::Carrier(b) => self.carrier = b,
            PortInput::NetdevGone => self.gone = true,
            PortInput::PathOk(b) => self.path_failing = !b,
        }
    }
    fn up(&self) -> bool {
        self.rdma_active && self.admin && self.carrier && !self.gone && !self.path_failing
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Health is the conjunction of the latest inputs, whatever their order,
    /// and a change is reported exactly when health changes.
    #[test]
    fn health_follows_latest_inputs(inputs in prop::collection::vec(any_input(), 0..64)) {
        let mut port = PortStatus::new();
        let mut model = Model::default();
        let mut reported = port.health();
        for i in inputs {
            let before = port.health();
            let change = port.apply(i);
            model.apply(i);
            prop_assert_eq!(port.health().is_up(), model.up());
            // Probing's reason shows only when every reported layer works.
            if port.health() == Health::Down(FailReason::Probe) {
                prop_assert!(model.rdma_active && model.admin && model.carrier && !model.gone);
            }
            match change {
                Some(c) => {
                    prop_assert_eq!(c.from, before);
                    prop_assert_eq!(c.to, port.health());
                    prop_assert_ne!(c.from, c.to);
                    reported = c.to;
                }
                None => prop_assert_eq!(before, port.health()),
            }
            // The reported changes alone reconstruct the current health.
            prop_assert_eq!(reported, port.health());
        }
    }
}

#[test]
fn audit_acts_only_on_a_difference_seen_twice() {
    let mut recorded = PortStatus::new();
    recorded.apply(PortInput::AdminUp(true));
    recorded.apply(PortInput::Carrier(true));
    recorded.apply(PortInput::Rdma(RdmaState::Inactive));
    // The port came back but its PORT_ACTIVE event never arrived.
    let live = [PortInput::Rdma(RdmaState::Active)];
    let (v, s) = audit(&recorded, &live, None);
    assert_eq!(
        v,
        AuditVerdict::Suspect,
        "first sight: the event may be on its way"
    );
    assert!(s.health().is_up());
    let (v, _) = audit(&recorded, &live, Some(s.health()));
    assert_eq!(v, AuditVerdict::Missed);
    // Flapping between two audits: a different difference starts over.
    let (v, _) = audit(&recorded, &live, Some(Health::Down(FailReason::NoCarrier)));
    assert_eq!(v, AuditVerdict::Suspect);
    // A refresh that changes nothing that matters is no news.
    let (v, _) = audit(&up_port(), &[PortInput::Carrier(true)], Some(Health::Up));
    assert_eq!(v, AuditVerdict::Agrees);
}

proptest! {
    /// Whatever the recorded and live inputs, the audit says Missed only
    /// when the health the live inputs give differs from the recorded one
    /// and it was already suspect, and applying the live inputs gives the
    /// status it returns.
    #[test]
    fn audit_verdict_matches_health(
        rec in prop::collection::vec(any_input(), 0..8),
        live in prop::collection::vec(any_input(), 0..4),
        suspect in prop::option::of(prop_oneof![Just(Health::Up), Just(Health::Down(FailReason::NoCarrier)), Just(Health::Down(FailReason::RdmaInactive))]),
    ) {
        let mut recorded = PortStatus::new();
        for i in rec {
            recorded.apply(i);
        }
        let (v, s) = audit(&recorded, &live, suspect);
        let mut expect = recorded;
        for &i in &live {
            expect.apply(i);
        }
        prop_assert_eq!(s, expect);
        let differs = expect.health() != recorded.health();
        let again = suspect == Some(expect.health());
        prop_assert_eq!(v == AuditVerdict::Missed, differs && again);
        prop_assert_eq!(v == AuditVerdict::Suspect, differs && !again);
    }
}

#[test]
fn probe_failure_is_the_lowest_priority_reason() {
    let mut p = PortStatus::new();
    p.apply(PortInput::Rdma(RdmaState::Active));
    p.apply(PortInput::AdminUp(true));
    p.apply(PortInput::Carrier(true));
    let c = p
        .apply(PortInput::PathOk(false))
        .expect("probing failed it");
    assert_eq!(c.to, Health::Down(FailReason::Probe));
    assert_eq!(
        p.apply(PortInput::Carrier(false)).map(|c| c.to),
        Some(Health::Down(FailReason::NoCarrier)),
        "a lower layer's failure is the one to report"
    );
    p.apply(PortInput::Carrier(true));
    assert_eq!(p.health(), Health::Down(FailReason::Probe));
    assert_eq!(
        p.apply(PortInput::PathOk(true)).map(|c| c.to),
        Some(Health::Up)
    );
}
