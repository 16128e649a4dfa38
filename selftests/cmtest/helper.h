/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to rdmaip_cmtest's own bindgen run (see Kbuild): 6.12's
 * `kernel::bindings` has no rdma_cm, debugfs or seq_file declarations. Only
 * what Kbuild allowlists ends up in Rust.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/notifier.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/socket.h>
#include <rdma/rdma_cm.h>
#include <rdmaip.h>

#include "shim.h"
