/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to rdmaip's own bindgen run (see Kbuild): the kernel's 6.12
 * `kernel::bindings` has none of ib_core, netdevice notifiers or rtnl, so the
 * module generates the few declarations it needs itself. Only what is
 * allowlisted in Kbuild ends up in Rust.
 */
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <net/addrconf.h>
#include <linux/notifier.h>
#include <linux/rtnetlink.h>
#include <rdma/ib_verbs.h>
#include <rdma/ib_cache.h>
#include <net/genetlink.h>
#include <uapi/linux/rdmaip.h>

#include "nl_gen.h"

#include "shim.h"
