// SPDX-License-Identifier: GPL-2.0

//! What comes in: ib_core's callbacks and events, netdev and address
//! notifiers, netlink requests and the ULPs' queries, turned into state
//! updates, engine kicks and replies.

pub(crate) mod ib_devices;
pub(crate) mod neighbours;
pub(crate) mod netdev_events;
pub(crate) mod netlink;
pub(crate) mod probe_frames;
pub(crate) mod ulp_queries;
