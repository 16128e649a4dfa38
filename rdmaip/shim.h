/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shim: static inline functions and macros of the kernel that Rust cannot
 * call directly. One line each; no logic lives here.
 */
#ifndef RDMAIP_SHIM_H
#define RDMAIP_SHIM_H

#include <linux/types.h>

struct ib_device;
struct ib_event_handler;
struct ib_event;
struct net_device;

/* rdma_start_port() / rdma_end_port() */
u32 rdmaip_ib_first_port(const struct ib_device *dev);
u32 rdmaip_ib_last_port(const struct ib_device *dev);
/* ib_device::index, unique among registered devices */
u32 rdmaip_ib_device_index(const struct ib_device *dev);
/* dev_name(&ibdev->dev), copied; stable inside ib_client callbacks */
void rdmaip_ib_device_name(const struct ib_device *dev, char *buf, size_t len);
/* ib_device_try_get() */
bool rdmaip_ib_device_try_get(struct ib_device *dev);
/* INIT_IB_EVENT_HANDLER() */
void rdmaip_ib_init_event_handler(struct ib_event_handler *h, struct ib_device *dev,
				  void (*fn)(struct ib_event_handler *, struct ib_event *));

/* netdev_notifier_info_to_dev() */
struct net_device *rdmaip_netdev_from_info(void *info);
/* netif_running(): administratively up (IFF_UP) */
bool rdmaip_netdev_running(const struct net_device *dev);
/* netif_carrier_ok() */
bool rdmaip_netdev_carrier_ok(const struct net_device *dev);
/* dev->name, copied; the caller holds rtnl_lock so it cannot change under us */
void rdmaip_netdev_name(const struct net_device *dev, char *buf, size_t len);
/* netdev_tracker_alloc(), netdev_put() */
void rdmaip_netdev_track(struct net_device *dev, void *tracker);
void rdmaip_netdev_put(struct net_device *dev, void *tracker);

/* ktime_get_real_ns() */
u64 rdmaip_ktime_get_real_ns(void);

#endif
