// SPDX-License-Identifier: GPL-2.0

//! What rdmaip tells the world, always with no rdmaip lock held.

pub(crate) mod monitor;
