// SPDX-License-Identifier: GPL-2.0
/*
 * rdmaip C shim: wrappers for static inline functions and macros, so that the
 * Rust side can call them. See shim.h for what each one wraps.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <rdma/ib_verbs.h>

#include "shim.h"

u32 rdmaip_ib_first_port(const struct ib_device *dev)
{
	return rdma_start_port(dev);
}

u32 rdmaip_ib_last_port(const struct ib_device *dev)
{
	return rdma_end_port(dev);
}

u32 rdmaip_ib_device_index(const struct ib_device *dev)
{
	return dev->index;
}

void rdmaip_ib_device_name(const struct ib_device *dev, char *buf, size_t len)
{
	strscpy(buf, dev_name(&dev->dev), len);
}

bool rdmaip_ib_device_try_get(struct ib_device *dev)
{
	return ib_device_try_get(dev);
}

void rdmaip_ib_init_event_handler(struct ib_event_handler *h, struct ib_device *dev,
				  void (*fn)(struct ib_event_handler *, struct ib_event *))
{
	INIT_IB_EVENT_HANDLER(h, dev, fn);
}

struct net_device *rdmaip_netdev_from_info(void *info)
{
	return netdev_notifier_info_to_dev(info);
}

bool rdmaip_netdev_running(const struct net_device *dev)
{
	return netif_running(dev);
}

bool rdmaip_netdev_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

void rdmaip_netdev_name(const struct net_device *dev, char *buf, size_t len)
{
	ASSERT_RTNL();
	strscpy(buf, dev->name, len);
}

void rdmaip_netdev_track(struct net_device *dev, void *tracker)
{
	netdev_tracker_alloc(dev, tracker, GFP_KERNEL);
}

void rdmaip_netdev_put(struct net_device *dev, void *tracker)
{
	netdev_put(dev, tracker);
}

u64 rdmaip_ktime_get_real_ns(void)
{
	return ktime_get_real_ns();
}
