// SPDX-License-Identifier: GPL-2.0

//! rdmaip: Resilient RDMA IP.
//!
//! Tracks every RDMA port in the system and the health of the netdev behind
//! it, so that the IP addresses of a failed port can be moved to a healthy
//! port of another adapter (see `Documentation/rdmaip.rst`).
//!
//! Layout (see "How the code is organised" in the documentation): `sys`
//! holds every line the compiler cannot check, one thin wrapper per C
//! API; `input` turns callbacks and requests into updates of `state`; the
//! `engine` plans with the no_std core (`logic`) and acts through
//! `output`. This file wires them together and fixes the order of
//! registration and teardown.

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

use engine::peer::PeerNotifier;
use engine::prober::ProbeRounds;
use engine::Engine;
use input::ib_devices::Devices;
use input::neighbours::Neighbours;
use input::netdev_events::{Addrs, Netdevs};
use input::netlink::Netlink;
use input::probe_frames::ProbeTaps;
use input::ulp_queries::Queries;
use state::peers::PeerState;
use state::probing::ProbeReplies;
use state::registry::PortRegistry;
use sys::addr_notifier::{self, AddrNotifier, Family};
use sys::clock::mono_ns;
use sys::neigh_notifier::{self, NeighNotifier};
use sys::netdev_notifier::{self, NetdevNotifier};
use sys::workq::Worker;
use sys::{cm_ids, genl, ib, ulp_abi};

module! {
    type: RdmaIp,
    name: "rdmaip",
    author: "rdmaip developers",
    description: "Resilient RDMA IP: address failover across RDMA adapters",
    license: "GPL",
    // MODULE_ALIAS_GENL_FAMILY("rdmaip"): genetlink loads the module when a
    // request names the family (rdmaipctl's first request), as for
    // WireGuard.
    alias: ["net-pf-16-proto-16-family-rdmaip"],
}

struct RdmaIp {
    engine: Arc<Worker<Engine>>,
    // First to go: no more neighbour updates, then no more peer passes.
    _neighbours: Pin<KBox<NeighNotifier<Neighbours>>>,
    peer_notifier: Arc<Worker<PeerNotifier>>,
    prober: Arc<Worker<ProbeRounds>>,
    // Dropped in declaration order: the IB client goes first, releasing
    // every port and its netdev reference; the notifier's unregistration
    // then replays DOWN/UNREGISTER events that no longer match any port.
    _devices: ib::Registration<Devices>,
    _netdevs: Pin<KBox<NetdevNotifier<Netdevs>>>,
    _addrs4: Pin<KBox<AddrNotifier<Addrs>>>,
    _addrs6: Pin<KBox<AddrNotifier<Addrs>>>,
    _ulp_api: ulp_abi::Registration,
    // Last: registered before and unregistered after every source of
    // events, so notifications always have a registered family to go to.
    // Unregistering waits for running requests.
    _netlink: genl::Registration,
}

impl kernel::Module for RdmaIp {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = Arc::pin_init(PortRegistry::new(), GFP_KERNEL)?;
        let peers = Arc::pin_init(PeerState::new(), GFP_KERNEL)?;
        let engine = Worker::new(c_str!("rdmaip"), Engine::new(registry.clone())?)?;
        let peer_notifier = Worker::new(
            c_str!("rdmaip_peer"),
            PeerNotifier::new(registry.clone(), peers.clone()),
        )?;
        let replies = Arc::pin_init(ProbeReplies::new(), GFP_KERNEL)?;
        let taps: Arc<dyn engine::prober::ReplyTaps> =
            Arc::pin_init(ProbeTaps::new(replies.clone()), GFP_KERNEL)?;
        let prober = Worker::new(
            c_str!("rdmaip_probe"),
            ProbeRounds::new(registry.clone(), replies, engine.clone(), taps),
        )?;
        let netlink = genl::Registration::register(Arc::new(
            Netlink::new(
                registry.clone(),
                engine.clone(),
                peers.clone(),
                prober.clone(),
            ),
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
        let ulp_api = ulp_abi::Registration::new(Arc::new(Queries(registry.clone()), GFP_KERNEL)?)?;
        let devices = ib::Registration::register(Arc::new(
            Devices {
                registry,
                engine: engine.clone(),
            },
            GFP_KERNEL,
        )?)?;
        // Last: it needs the ports to know which netdevs matter.
        let neighbours = neigh_notifier::register(
            Neighbours {
                peers,
                notifier: peer_notifier.clone(),
            },
            mono_ns,
        )?;
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
            _neighbours: neighbours,
            peer_notifier,
            prober,
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
        // No peer pass may run once the ports are released (the
        // notifier is unregistered after this, when the fields drop).
        self.peer_notifier.stop();
        // No probes or replies once the ports are released.
        self.prober.stop();
        self.prober.job().shut_down();
        // No more passes; then every address goes home while the ports and
        // their netdevs are still held.
        self.engine.stop();
        self.engine.job().restore_all();
    }
}
