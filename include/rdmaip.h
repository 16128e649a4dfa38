/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdmaip kernel API, for kernel RDMA consumers (ULPs).
 *
 * rdmaip moves the IP addresses of a failed RDMA port to a healthy port of
 * its group and back (see Documentation/rdmaip.rst). Every rdma_cm id
 * bound to a moved address receives RDMA_CM_EVENT_ADDR_CHANGE, which is all
 * most consumers need. This API is for consumers that want more: to be told
 * about each move with its ports and reason, and to ask which ports and
 * addresses of a group are usable now, so that they can spread connections
 * over the group (active-active).
 *
 * All functions may sleep; none may be called from atomic context. They are
 * exported GPL-only by rdmaip.ko, so a module using them depends on it.
 */
#ifndef _RDMAIP_H
#define _RDMAIP_H

#include <linux/if.h>
#include <linux/notifier.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>
#include <uapi/linux/rdmaip.h>

/**
 * enum rdmaip_notifier_event - What a notifier is called for.
 * @RDMAIP_EVENT_ADDR_MOVED: An address moved; the data is a
 *	&struct rdmaip_move.
 */
enum rdmaip_notifier_event {
	RDMAIP_EVENT_ADDR_MOVED = 1,
};

/**
 * struct rdmaip_port_ref - One end of a move.
 * @netdev: The port's netdev. rdmaip holds a reference for the duration of
 *	the call; take your own to keep it longer.
 * @ibdev: The RDMA device. Same lifetime rule as @netdev.
 * @port_num: The RDMA port number on @ibdev.
 * @ifindex: @netdev's ifindex.
 */
struct rdmaip_port_ref {
	struct net_device *netdev;
	struct ib_device *ibdev;
	u32 port_num;
	int ifindex;
};

/**
 * struct rdmaip_move - An address moved from one port to another.
 * @group: The group's name (NUL-terminated).
 * @addr: The address: a struct sockaddr_in or sockaddr_in6, port 0.
 * @prefixlen: Its prefix length.
 * @from: The port that hosted it.
 * @to: The port that hosts it now (the address is live there already).
 * @reason: Why it moved.
 * @cm_ids_notified: How many rdma_cm ids bound to @addr received
 *	RDMA_CM_EVENT_ADDR_CHANGE for this move, before the notifier chain ran.
 */
struct rdmaip_move {
	const char *group;
	struct sockaddr_storage addr;
	u8 prefixlen;
	struct rdmaip_port_ref from;
	struct rdmaip_port_ref to;
	enum rdmaip_move_reason reason;
	u32 cm_ids_notified;
};

/**
 * rdmaip_register_notifier() - Be told about every address move.
 * @nb: Its notifier_call gets (@nb, %RDMAIP_EVENT_ADDR_MOVED,
 *	struct rdmaip_move *), in process context, with no rdmaip lock and no
 *	rtnl_lock held, after the address is live on its new port and after the
 *	rdma_cm ids bound to it were notified. It may sleep and may call
 *	rdmaip_group_ports() and rdmaip_group_addrs(), but must not unregister
 *	notifiers from inside the call.
 *
 * Return: 0, or a negative errno.
 */
int rdmaip_register_notifier(struct notifier_block *nb);

/**
 * rdmaip_unregister_notifier() - Stop being told.
 * @nb: A notifier registered with rdmaip_register_notifier(). When this
 *	returns, @nb is not being called and will not be called again.
 *
 * Return: 0, or -ENOENT if @nb was not registered.
 */
int rdmaip_unregister_notifier(struct notifier_block *nb);

/**
 * struct rdmaip_port_info - A group member, as rdmaip_group_ports() reports it.
 * @ibdev_name: The RDMA device's name.
 * @ibdev_index: The RDMA device's index (struct ib_device's @index).
 * @port_num: The RDMA port number.
 * @netdev_name: The netdev's name, empty if it has none.
 * @ifindex: The netdev's ifindex, 0 if it has none.
 * @healthy: Non-zero if the port is up and may host addresses (not drained).
 * @addrs_hosted: How many of the group's addresses it hosts now.
 */
struct rdmaip_port_info {
	char ibdev_name[IB_DEVICE_NAME_MAX];
	u32 ibdev_index;
	u32 port_num;
	char netdev_name[IFNAMSIZ];
	int ifindex;
	u8 healthy;
	u32 addrs_hosted;
};

/**
 * struct rdmaip_addr_info - A group address, as rdmaip_group_addrs() reports it.
 * @addr: The address: a struct sockaddr_in or sockaddr_in6, port 0.
 * @prefixlen: Its prefix length.
 * @home_ifindex: ifindex of the netdev of its home port.
 * @current_ifindex: ifindex of the netdev that hosts it now.
 */
struct rdmaip_addr_info {
	struct sockaddr_storage addr;
	u8 prefixlen;
	int home_ifindex;
	int current_ifindex;
};

/**
 * rdmaip_group_ports() - The members of a group, now.
 * @group: The group's name.
 * @ports: Filled with up to @max entries, in the group's member order.
 * @max: Room in @ports (may be 0, to ask for the count).
 *
 * Return: the number of members (which may be more than @max: then only
 * the first @max are filled in), -ENOENT if there is no such group, or
 * -EINVAL if @group is not a valid group name.
 */
int rdmaip_group_ports(const char *group, struct rdmaip_port_info *ports,
		       unsigned int max);

/**
 * rdmaip_group_addrs() - The addresses of a group and where they are, now.
 * @group: The group's name.
 * @addrs: Filled with up to @max entries.
 * @max: Room in @addrs (may be 0, to ask for the count).
 *
 * Return: the number of addresses (which may be more than @max), -ENOENT if
 * there is no such group, or -EINVAL if @group is not a valid group name.
 */
int rdmaip_group_addrs(const char *group, struct rdmaip_addr_info *addrs,
		       unsigned int max);

#endif /* _RDMAIP_H */
