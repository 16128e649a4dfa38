/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/rdmaip.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_RDMAIP_GEN_H
#define _LINUX_RDMAIP_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/rdmaip.h>

int rdmaip_nl_group_new_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_group_del_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_group_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int rdmaip_nl_group_set_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_port_add_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_port_del_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_port_get_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_port_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int rdmaip_nl_addr_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int rdmaip_nl_port_drain_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_port_undrain_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_module_get_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_module_set_doit(struct sk_buff *skb, struct genl_info *info);
int rdmaip_nl_probe_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);

enum {
	RDMAIP_NLGRP_MONITOR,
};

extern struct genl_family rdmaip_nl_family;

#endif /* _LINUX_RDMAIP_GEN_H */
