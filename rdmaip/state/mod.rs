// SPDX-License-Identifier: GPL-2.0

//! What rdmaip knows: the ports and their health, the groups and the
//! addresses they carry, their settings and names, under one mutex
//! (`registry`). Never calls out: what changed is returned to the caller,
//! which hands it to `output`.

pub(crate) mod addresses;
pub(crate) mod audit;
pub(crate) mod group;
pub(crate) mod group_name;
pub(crate) mod health_changes;
pub(crate) mod membership;
pub(crate) mod peers;
pub(crate) mod port;
pub(crate) mod probing;
pub(crate) mod reason;
pub(crate) mod refusal;
pub(crate) mod registry;
pub(crate) mod settings;
pub(crate) mod tables;
