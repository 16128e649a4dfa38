// SPDX-License-Identifier: GPL-2.0

//! What rdmaip knows: the ports and their health, the groups and the
//! addresses they carry, under one mutex. Never calls out: what changed is
//! returned to the caller, which hands it to `output`.

pub(crate) mod groups;
pub(crate) mod ports;
