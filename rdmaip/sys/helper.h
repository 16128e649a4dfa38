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
#include <rdma/rdma_cm.h>
#include <net/netevent.h>
#include <uapi/linux/rdmaip.h>
#include <rdmaip.h>

#ifdef RDMAIP_CM_INTERNALS
/* rdma_cm's private headers, from the kernel source tree (see Kbuild). */
#include <restrack.h>
#include <cma_priv.h>
#endif

#include "nl_gen.h"

#include "shim.h"
