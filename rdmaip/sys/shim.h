/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shim: static inline functions and macros of the kernel that Rust cannot
 * call directly. One line each; no logic lives here.
 */
#ifndef RDMAIP_SHIM_H
#define RDMAIP_SHIM_H

#include <linux/types.h>
#include <linux/spinlock_types.h>

struct ib_device;
struct rdma_restrack_root;
struct xarray;
struct notifier_block;
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
int rdmaip_ib_query_port_state(struct ib_device *dev, u32 port, bool *active);
/* INIT_IB_EVENT_HANDLER() */
void rdmaip_ib_init_event_handler(struct ib_event_handler *h, struct ib_device *dev,
				  void (*fn)(struct ib_event_handler *, struct ib_event *));

/* netdev_notifier_info_to_dev() */
struct net_device *rdmaip_netdev_from_info(void *info);
/* netif_running(): administratively up (IFF_UP) */
bool rdmaip_netdev_running(const struct net_device *dev);
/* netif_carrier_ok() */
bool rdmaip_netdev_carrier_ok(const struct net_device *dev);
int rdmaip_netdev_ifindex(const struct net_device *dev);
/* vlan_dev_vlan_id() of a VLAN device, -1 for any other */
int rdmaip_netdev_vlan_id(const struct net_device *dev);
/* dev->name, copied; the caller holds rtnl_lock so it cannot change under us */
void rdmaip_netdev_name(const struct net_device *dev, char *buf, size_t len);
/* netdev_hold(), netdev_tracker_alloc(), netdev_put() */
void rdmaip_netdev_hold(struct net_device *dev, void *tracker);
void rdmaip_netdev_track(struct net_device *dev, void *tracker);
void rdmaip_netdev_put(struct net_device *dev, void *tracker);

/* ktime_get_real_ns() */
u64 rdmaip_ktime_get_real_ns(void);

union ib_gid;
/* rdma_find_gid_by_port() + rdma_put_gid_attr(): whether @port's GID table
 * holds @gid on @ndev, of the type rdma_cm binds with (RoCE v2 where the
 * port has it, else v1) */
bool rdmaip_ib_has_roce_gid(struct ib_device *dev, u32 port, struct net_device *ndev,
			    const union ib_gid *gid);
/* usleep_range(); process context only */
void rdmaip_usleep_range(unsigned long min_us, unsigned long max_us);


/* Generic netlink (include/net/genetlink.h, include/net/netlink.h) */
struct sk_buff;
struct genl_info;
struct netlink_callback;
struct nlattr;

/* genlmsg_new(NLMSG_GOODSIZE) + genlmsg_iput(): a reply to @info */
struct sk_buff *rdmaip_genl_reply_new(const struct genl_info *info, void **hdr);
/* genlmsg_iput(skb, genl_info_dump(cb)) with NLM_F_MULTI: one dump object,
 * marked NLM_F_DUMP_INTR (genl_dump_check_consistent()) if cb->seq changed
 * since the dump's previous object */
void *rdmaip_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb);
/* cb->seq: the generation of what this part of the dump reads */
void rdmaip_genl_dump_set_seq(struct netlink_callback *cb, u32 seq);
/* genlmsg_new() + genlmsg_put() of a notification command */
struct sk_buff *rdmaip_genl_ntf_new(u8 cmd, void **hdr);
void rdmaip_genlmsg_end(struct sk_buff *skb, void *hdr);
void rdmaip_genlmsg_cancel(struct sk_buff *skb, void *hdr);
int rdmaip_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
/* genlmsg_multicast() to the family's group @group; consumes @skb */
int rdmaip_genl_multicast(struct sk_buff *skb, unsigned int group);
bool rdmaip_genl_has_listeners(unsigned int group);
void rdmaip_nlmsg_free(struct sk_buff *skb);
unsigned int rdmaip_skb_len(const struct sk_buff *skb);
struct nlattr *rdmaip_nla_nest_start(struct sk_buff *skb, int type);
void rdmaip_nla_nest_end(struct sk_buff *skb, struct nlattr *nest);
int rdmaip_nla_put_uint(struct sk_buff *skb, int type, u64 value);
/* info->attrs[type], or NULL; for dumps, of genl_info_dump(cb) */
const struct nlattr *rdmaip_genl_attr(const struct genl_info *info, unsigned int type);
const struct nlattr *rdmaip_genl_dump_attr(struct netlink_callback *cb, unsigned int type);
const void *rdmaip_nla_data(const struct nlattr *nla);
int rdmaip_nla_len(const struct nlattr *nla);
/* NL_SET_ERR_MSG_ATTR(info->extack, attr, msg); @msg must be static */
void rdmaip_genl_set_err(struct genl_info *info, const char *msg, const struct nlattr *attr);
/* The dump's scratch space (cb->ctx) and its size */
void *rdmaip_genl_dump_ctx(struct netlink_callback *cb, size_t *len);
bool rdmaip_genl_dump_in_init_net(const struct netlink_callback *cb);
bool rdmaip_genl_info_in_init_net(const struct genl_info *info);
/* The request's attribute stream (for repeated attributes): start, length */
const void *rdmaip_genl_payload(const struct genl_info *info, int *len);

/*
 * Kernel rtnetlink socket (net/socket.c): create/release, and send/receive
 * with the msghdr/kvec plumbing done here. The socket lives in init_net and
 * times out receives after @timeout_ms, so a lost reply cannot hang rdmaip.
 */
struct socket;
int rdmaip_rtnl_sock_create(struct socket **sock, unsigned int timeout_ms);
void rdmaip_sock_release(struct socket *sock);
/* Sends @len bytes to the kernel (rtnetlink); returns bytes sent or -errno. */
int rdmaip_rtnl_send(struct socket *sock, const void *buf, size_t len);
/* Receives one datagram into @buf; returns its length or -errno. */
int rdmaip_rtnl_recv(struct socket *sock, void *buf, size_t len);

/* Workqueues (include/linux/workqueue.h) */
struct workqueue_struct;
struct delayed_work;
struct work_struct;
/* alloc_ordered_workqueue(name, WQ_MEM_RECLAIM) */
struct workqueue_struct *rdmaip_alloc_ordered_wq(const char *name);
void rdmaip_destroy_wq(struct workqueue_struct *wq);
/* INIT_DELAYED_WORK() */
void rdmaip_init_delayed_work(struct delayed_work *dw, void (*fn)(struct work_struct *));
/* to_delayed_work() */
struct delayed_work *rdmaip_to_delayed_work(struct work_struct *work);
/* mod_delayed_work(), delay in milliseconds */
void rdmaip_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw, unsigned int delay_ms);
void rdmaip_cancel_delayed_work_sync(struct delayed_work *dw);
/* flush_delayed_work(): run a pending work now and wait for it */
void rdmaip_flush_delayed_work(struct delayed_work *dw);

/* rdma_cm ids on a device (cm_ids.rs): ib_device's restrack roots (a public
 * field) and the next present index of an xarray (XA_PRESENT is a macro). */
struct rdma_restrack_root *rdmaip_ib_device_restrack(struct ib_device *dev);
void *rdmaip_xa_find_present(struct xarray *xa, unsigned long *index);
/* spin_lock_init(), spin_lock_irqsave() and its pair are macros. */
void rdmaip_spin_lock_init(spinlock_t *lock);
unsigned long rdmaip_spin_lock_irqsave(spinlock_t *lock);
void rdmaip_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

/* The kernel API's notifier chain (ulp_abi.rs): BLOCKING_NOTIFIER_HEAD() is a
 * static initialiser, so the head lives here. */
int rdmaip_ulp_chain_register(struct notifier_block *nb);
int rdmaip_ulp_chain_unregister(struct notifier_block *nb);
int rdmaip_ulp_chain_call(unsigned long event, void *data);

/*
 * Peer notification (neigh_notifier.rs, cm_ids.rs). A neighbour entry as a
 * NETEVENT_NEIGH_UPDATE left it, read in the notifier (atomic context;
 * neigh_ha_snapshot() is static inline): @family is 0 for tables other than
 * ARP and NDISC.
 */
struct neighbour;
struct rdmaip_neigh {
	u32 ifindex;
	u16 family;
	u16 dev_type;
	u8 key[16];
	u8 ha[32];
	u8 ha_len;
	bool valid;
	bool dead;
	bool init_net;
};
void rdmaip_neigh_read(struct neighbour *n, struct rdmaip_neigh *out);

/*
 * Where a connected rdma_cm id leads (its handler mutex held): destination
 * address (@family 0 if neither IPv4 nor IPv6), bound netdev, and its path's
 * destination MAC (RoCE, @ll_kind 1, 6 bytes) or GID (InfiniBand, @ll_kind 2,
 * 16 bytes); @ll_kind 0 without a path record. sa_path_get_dmac() is static
 * inline.
 */
struct rdma_cm_id;
struct rdmaip_cm_peer {
	u16 family;
	u8 dst[16];
	u32 ifindex;
	u8 ll_kind;
	u8 ll[16];
};
void rdmaip_cm_id_peer(struct rdma_cm_id *id, struct rdmaip_cm_peer *out);

/*
 * Neighbour warm-up (sys/neigh_resolve.rs): the neighbour entry rdma_cm's
 * address resolution will use for a packet from @src to @dst (@family
 * AF_INET or AF_INET6, addresses in network order, init_net), after the
 * same route lookup; its resolution is started (neigh_event_send()) unless
 * it is valid. Returns 1 if it is valid, 0 if it is being resolved, a
 * negative errno without a route (or -ENOMEM without an entry). Process
 * context.
 */
int rdmaip_neigh_warm(u16 family, const u8 *src, const u8 *dst);

/*
 * Peer notification (sys/neigh_resolve.rs): the neighbour entry for @dst
 * (@family AF_INET or AF_INET6, network order, init_net), made if there is
 * none and resolving started unless it is valid, when the route to @dst
 * leads through netdev @ifindex and that has carrier. Returns 1 if it is
 * valid, 0 if it is being resolved, -ENETUNREACH if the route leads
 * elsewhere or the netdev is down, the route lookup's error, -ENOMEM.
 * Process context.
 */
int rdmaip_neigh_remake(u32 ifindex, u16 family, const u8 *dst);

/*
 * Path probing: a packet tap for probe replies (sys/packet_tap.rs) and the
 * probes themselves (sys/netdev.rs).
 */
struct packet_type;
/* What a tap needs of one received frame besides its bytes. */
struct rdmaip_frame {
	int ifindex;
	/* skb->pkt_type == PACKET_HOST: unicast to this netdev */
	bool for_host;
	bool init_net;
	/* the receiving netdev's dev_addr (addr_len bytes) */
	u8 dev_addr[32];
	u8 addr_len;
};
/* *pt = (struct packet_type){ .type = htons(@ethertype), .func = @fn }:
 * frames of that type on every netdev, for dev_add_pack() */
void rdmaip_packet_type_init(struct packet_type *pt, u16 ethertype,
			     int (*fn)(struct sk_buff *, struct net_device *,
				       struct packet_type *, struct net_device *));
void rdmaip_frame_read(const struct sk_buff *skb, const struct net_device *dev,
		       struct rdmaip_frame *out);
/* skb_header_pointer(skb, 0, @len, @buf) copied into @buf (from the network
 * header); false if the frame is shorter */
bool rdmaip_skb_copy_head(const struct sk_buff *skb, void *buf, unsigned int len);
/* consume_skb() */
void rdmaip_consume_skb(struct sk_buff *skb);
/* arp_send() of an ARP probe (RFC 5227: sender IP 0.0.0.0, so the target
 * learns nothing) for the IPv4 address @target out of @dev */
void rdmaip_arp_probe(struct net_device *dev, const u8 *target);
/* ndisc_ns_create() + ndisc_send_skb() of a neighbour solicitation for the
 * IPv6 address @target out of @dev, from its link-local address to the
 * target's solicited-node group (as bonding's ns_ip6_target does);
 * -EADDRNOTAVAIL without a usable link-local address, -ENOMEM */
int rdmaip_ns_probe(struct net_device *dev, const u8 *target);

#endif
