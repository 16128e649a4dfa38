// SPDX-License-Identifier: GPL-2.0
/*
 * rdmaip C shim: wrappers for static inline functions and macros, so that the
 * Rust side can call them. See shim.h for what each one wraps.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <rdma/ib_verbs.h>

#include "nl_gen.h"
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

int rdmaip_netdev_ifindex(const struct net_device *dev)
{
	return dev->ifindex;
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

struct sk_buff *rdmaip_genl_reply_new(const struct genl_info *info, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_iput(skb, info);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

void *rdmaip_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb)
{
	return __genlmsg_iput(skb, genl_info_dump(cb), NLM_F_MULTI);
}

struct sk_buff *rdmaip_genl_ntf_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &rdmaip_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

void rdmaip_genlmsg_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

void rdmaip_genlmsg_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

int rdmaip_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

int rdmaip_genl_multicast(struct sk_buff *skb, unsigned int group)
{
	return genlmsg_multicast(&rdmaip_nl_family, skb, 0, group, GFP_KERNEL);
}

bool rdmaip_genl_has_listeners(unsigned int group)
{
	return genl_has_listeners(&rdmaip_nl_family, &init_net, group);
}

void rdmaip_nlmsg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

unsigned int rdmaip_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

struct nlattr *rdmaip_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

void rdmaip_nla_nest_end(struct sk_buff *skb, struct nlattr *nest)
{
	nla_nest_end(skb, nest);
}

int rdmaip_nla_put_uint(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_uint(skb, type, value);
}

const struct nlattr *rdmaip_genl_attr(const struct genl_info *info, unsigned int type)
{
	return info->attrs ? info->attrs[type] : NULL;
}

const struct nlattr *rdmaip_genl_dump_attr(struct netlink_callback *cb, unsigned int type)
{
	return rdmaip_genl_attr(genl_info_dump(cb), type);
}

const void *rdmaip_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

int rdmaip_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

void rdmaip_genl_set_err(struct genl_info *info, const char *msg, const struct nlattr *attr)
{
	if (attr)
		NL_SET_BAD_ATTR(info->extack, attr);
	if (info->extack)
		info->extack->_msg = msg;
}

void *rdmaip_genl_dump_ctx(struct netlink_callback *cb, size_t *len)
{
	*len = sizeof(cb->ctx);
	return cb->ctx;
}

bool rdmaip_genl_info_in_init_net(const struct genl_info *info)
{
	return net_eq(genl_info_net(info), &init_net);
}
