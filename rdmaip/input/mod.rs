// SPDX-License-Identifier: GPL-2.0

//! Callbacks and requests, turned into state updates and engine kicks.

pub(crate) mod netlink;
