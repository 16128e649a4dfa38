// SPDX-License-Identifier: GPL-2.0
/*
 * rdmaip C shim: wrappers for static inline functions and macros, so that the
 * Rust side can call them. See shim.h for what each one wraps.
 */
#include <linux/net.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <linux/rtnetlink.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <rdma/ib_verbs.h>
#include <rdma/ib_cache.h>
#include <linux/delay.h>
#include <rdma/ib_sa.h>
#include <rdma/rdma_cm.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/neighbour.h>
#include <linux/xarray.h>
#include <linux/if_arp.h>
#include <net/arp.h>
#include <net/addrconf.h>
#include <net/ndisc.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <rdmaip.h>

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

/*
 * The port's live state from the driver, not ib_core's cache (which an
 * event's cache update can leave behind the port). Sleeps; rxe's query
 * takes rtnl_lock.
 */
int rdmaip_ib_query_port_state(struct ib_device *dev, u32 port, bool *active)
{
	struct ib_port_attr *attr;
	int err;

	attr = kzalloc(sizeof(*attr), GFP_KERNEL);
	if (!attr)
		return -ENOMEM;
	err = ib_query_port(dev, port, attr);
	if (!err)
		*active = attr->state == IB_PORT_ACTIVE;
	kfree(attr);
	return err;
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

int rdmaip_netdev_vlan_id(const struct net_device *dev)
{
	return is_vlan_dev(dev) ? vlan_dev_vlan_id(dev) : -1;
}

void rdmaip_netdev_name(const struct net_device *dev, char *buf, size_t len)
{
	ASSERT_RTNL();
	strscpy(buf, dev->name, len);
}

void rdmaip_netdev_hold(struct net_device *dev, void *tracker)
{
	netdev_hold(dev, tracker, GFP_KERNEL);
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

bool rdmaip_ib_has_roce_gid(struct ib_device *dev, u32 port, struct net_device *ndev,
			    const union ib_gid *gid)
{
	/* rdma_cm's default GID type for the port (cma_add_one()). */
	enum ib_gid_type type = rdma_protocol_roce_udp_encap(dev, port) ?
		IB_GID_TYPE_ROCE_UDP_ENCAP : IB_GID_TYPE_ROCE;
	const struct ib_gid_attr *attr = rdma_find_gid_by_port(dev, gid, type, port, ndev);

	if (IS_ERR(attr))
		return false;
	rdma_put_gid_attr(attr);
	return true;
}

void rdmaip_usleep_range(unsigned long min_us, unsigned long max_us)
{
	usleep_range(min_us, max_us);
}

/* A new message of @cmd to @portid, header started in *@hdr. */
static struct sk_buff *rdmaip_genl_msg_new(u32 portid, u32 seq, u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, portid, seq, &rdmaip_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

struct sk_buff *rdmaip_genl_reply_new(const struct genl_info *info, void **hdr)
{
	return rdmaip_genl_msg_new(info->snd_portid, info->snd_seq, info->genlhdr->cmd, hdr);
}

void *rdmaip_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb)
{
	void *hdr = __genlmsg_iput(skb, genl_info_dump(cb), NLM_F_MULTI);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

void rdmaip_genl_dump_set_seq(struct netlink_callback *cb, u32 seq)
{
	cb->seq = seq;
}

struct sk_buff *rdmaip_genl_ntf_new(u8 cmd, void **hdr)
{
	return rdmaip_genl_msg_new(0, 0, cmd, hdr);
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

bool rdmaip_genl_dump_in_init_net(const struct netlink_callback *cb)
{
	return net_eq(sock_net(cb->skb->sk), &init_net);
}

bool rdmaip_genl_info_in_init_net(const struct genl_info *info)
{
	return net_eq(genl_info_net(info), &init_net);
}

int rdmaip_rtnl_sock_create(struct socket **sock, unsigned int timeout_ms)
{
	int err = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, sock);

	if (err)
		return err;
	(*sock)->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);
	return 0;
}

void rdmaip_sock_release(struct socket *sock)
{
	sock_release(sock);
}

int rdmaip_rtnl_send(struct socket *sock, const void *buf, size_t len)
{
	/* A destination address makes netlink check the sender's own
	 * capabilities (NETLINK_SKB_DST): rdmaip's worker is a kthread. */
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_name = &kernel, .msg_namelen = sizeof(kernel) };

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

int rdmaip_rtnl_recv(struct socket *sock, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_recvmsg(sock, &msg, &iov, 1, len, 0);
}

struct workqueue_struct *rdmaip_alloc_ordered_wq(const char *name)
{
	return alloc_ordered_workqueue("%s", WQ_MEM_RECLAIM, name);
}

void rdmaip_destroy_wq(struct workqueue_struct *wq)
{
	destroy_workqueue(wq);
}

void rdmaip_init_delayed_work(struct delayed_work *dw, void (*fn)(struct work_struct *))
{
	INIT_DELAYED_WORK(dw, fn);
}

struct delayed_work *rdmaip_to_delayed_work(struct work_struct *work)
{
	return to_delayed_work(work);
}

void rdmaip_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw, unsigned int delay_ms)
{
	mod_delayed_work(wq, dw, msecs_to_jiffies(delay_ms));
}

void rdmaip_cancel_delayed_work_sync(struct delayed_work *dw)
{
	cancel_delayed_work_sync(dw);
}

const void *rdmaip_genl_payload(const struct genl_info *info, int *len)
{
	*len = genlmsg_len(info->genlhdr);
	return genlmsg_data(info->genlhdr);
}

void rdmaip_flush_delayed_work(struct delayed_work *dw)
{
	flush_delayed_work(dw);
}

struct rdma_restrack_root *rdmaip_ib_device_restrack(struct ib_device *dev)
{
	return dev->res;
}

void *rdmaip_xa_find_present(struct xarray *xa, unsigned long *index)
{
	return xa_find(xa, index, ULONG_MAX, XA_PRESENT);
}

void rdmaip_spin_lock_init(spinlock_t *lock)
{
	spin_lock_init(lock);
}

unsigned long rdmaip_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void rdmaip_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

void rdmaip_neigh_read(struct neighbour *n, struct rdmaip_neigh *out)
{
	struct net_device *dev = n->dev;

	memset(out, 0, sizeof(*out));
	out->ifindex = dev->ifindex;
	out->dev_type = dev->type;
	out->init_net = net_eq(dev_net(dev), &init_net);
	out->valid = READ_ONCE(n->nud_state) & NUD_VALID;
	/* Set before neigh_cleanup_and_release() notifies the removal. */
	out->dead = READ_ONCE(n->dead);
	if (n->tbl->family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->key, n->primary_key, 4);
	} else if (n->tbl->family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->key, n->primary_key, 16);
	}
	out->ha_len = min_t(unsigned int, dev->addr_len, sizeof(out->ha));
	if (out->ha_len == dev->addr_len)
		neigh_ha_snapshot(out->ha, n, dev);
	else
		out->ha_len = 0;
}

void rdmaip_cm_id_peer(struct rdma_cm_id *id, struct rdmaip_cm_peer *out)
{
	struct sockaddr *dst = (struct sockaddr *)&id->route.addr.dst_addr;
	struct sa_path_rec *rec = id->route.path_rec;

	memset(out, 0, sizeof(*out));
	if (dst->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->dst, &((struct sockaddr_in *)dst)->sin_addr, 4);
	} else if (dst->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->dst, &((struct sockaddr_in6 *)dst)->sin6_addr, 16);
	}
	out->ifindex = id->route.addr.dev_addr.bound_dev_if;
	if (!rec || !id->route.num_pri_alt_paths)
		return;
	if (sa_path_is_roce(rec)) {
		out->ll_kind = 1;
		memcpy(out->ll, sa_path_get_dmac(rec), ETH_ALEN);
	} else if (rec->rec_type == SA_PATH_REC_TYPE_IB) {
		out->ll_kind = 2;
		memcpy(out->ll, rec->dgid.raw, sizeof(rec->dgid.raw));
	}
}

/* The route lookups are rdma_cm's (addr4_resolve(), addr6_resolve()), so
 * that the entry is the one its dst_fetch_ha() will find. */
static struct dst_entry *rdmaip_route(u16 family, const u8 *src, const u8 *dst,
				      const void **daddr, struct flowi *fl)
{
	struct dst_entry *d;

	memset(fl, 0, sizeof(*fl));
	if (family == AF_INET) {
		struct flowi4 *fl4 = &fl->u.ip4;
		struct rtable *rt;

		memcpy(&fl4->saddr, src, 4);
		memcpy(&fl4->daddr, dst, 4);
		rt = ip_route_output_key(&init_net, fl4);
		if (IS_ERR(rt))
			return ERR_CAST(rt);
		*daddr = &fl4->daddr;
		return &rt->dst;
	}
	if (family == AF_INET6) {
		struct flowi6 *fl6 = &fl->u.ip6;

		memcpy(&fl6->saddr, src, 16);
		memcpy(&fl6->daddr, dst, 16);
		d = ip6_route_output(&init_net, NULL, fl6);
		if (d->error) {
			int err = d->error;

			dst_release(d);
			return ERR_PTR(err);
		}
		*daddr = &fl6->daddr;
		return d;
	}
	return ERR_PTR(-EAFNOSUPPORT);
}

/* The route's neighbour entry (made if there is none), its resolution
 * started unless it is valid: 1 if valid, 0 if being resolved, -ENOMEM. */
static int rdmaip_neigh_kick(struct dst_entry *d, const void *daddr)
{
	struct neighbour *n = dst_neigh_lookup(d, daddr);
	int ret;

	if (!n)
		return -ENOMEM;
	ret = !!(READ_ONCE(n->nud_state) & NUD_VALID);
	if (!ret)
		neigh_event_send(n, NULL);
	neigh_release(n);
	return ret;
}

int rdmaip_neigh_warm(u16 family, const u8 *src, const u8 *dst)
{
	const void *daddr = NULL;
	struct dst_entry *d;
	struct flowi fl;
	int ret;

	d = rdmaip_route(family, src, dst, &daddr, &fl);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = rdmaip_neigh_kick(d, daddr);
	dst_release(d);
	return ret;
}

int rdmaip_neigh_remake(u32 ifindex, u16 family, const u8 *dst)
{
	static const u8 any[16];
	const void *daddr = NULL;
	struct net_device *dev;
	struct dst_entry *d;
	struct flowi fl;
	int ret;

	d = rdmaip_route(family, any, dst, &daddr, &fl);
	if (IS_ERR(d))
		return PTR_ERR(d);
	/*
	 * Only where the route still leads, and only with carrier: a netdev
	 * that lost its carrier or its addresses flushes its entries, and an
	 * entry made there could only fail, which rdma_cm reports to its
	 * active ids as UNREACHABLE.
	 */
	dev = d->dev;
	if (dev && dev->ifindex == ifindex && netif_running(dev) && netif_carrier_ok(dev))
		ret = rdmaip_neigh_kick(d, daddr);
	else
		ret = -ENETUNREACH;
	dst_release(d);
	return ret;
}

static BLOCKING_NOTIFIER_HEAD(rdmaip_ulp_chain);

int rdmaip_ulp_chain_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&rdmaip_ulp_chain, nb);
}

int rdmaip_ulp_chain_unregister(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&rdmaip_ulp_chain, nb);
}

int rdmaip_ulp_chain_call(unsigned long event, void *data)
{
	return blocking_notifier_call_chain(&rdmaip_ulp_chain, event, data);
}

/* The kernel API (include/rdmaip.h) is implemented in Rust (sys/ulp_abi.rs,
 * answering from input/ulp_queries.rs); the exports are C macros. */
EXPORT_SYMBOL_GPL(rdmaip_register_notifier);
EXPORT_SYMBOL_GPL(rdmaip_unregister_notifier);
EXPORT_SYMBOL_GPL(rdmaip_group_ports);
EXPORT_SYMBOL_GPL(rdmaip_group_addrs);

void rdmaip_packet_type_init(struct packet_type *pt, u16 ethertype,
			     int (*fn)(struct sk_buff *, struct net_device *,
				       struct packet_type *, struct net_device *))
{
	memset(pt, 0, sizeof(*pt));
	pt->type = htons(ethertype);
	pt->func = fn;
}

void rdmaip_frame_read(const struct sk_buff *skb, const struct net_device *dev,
		       struct rdmaip_frame *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = dev->ifindex;
	out->for_host = skb->pkt_type == PACKET_HOST;
	out->init_net = net_eq(dev_net(dev), &init_net);
	out->addr_len = min_t(unsigned int, dev->addr_len, sizeof(out->dev_addr));
	memcpy(out->dev_addr, dev->dev_addr, out->addr_len);
}

bool rdmaip_skb_copy_head(const struct sk_buff *skb, void *buf, unsigned int len)
{
	const void *p = skb_header_pointer(skb, 0, len, buf);

	if (!p)
		return false;
	if (p != buf)
		memcpy(buf, p, len);
	return true;
}

void rdmaip_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

void rdmaip_arp_probe(struct net_device *dev, const u8 *target)
{
	__be32 tip;

	memcpy(&tip, target, sizeof(tip));
	arp_send(ARPOP_REQUEST, ETH_P_ARP, tip, dev, 0, NULL, NULL, NULL);
}

int rdmaip_ns_probe(struct net_device *dev, const u8 *target)
{
	struct in6_addr tgt, mcaddr, saddr;
	struct sk_buff *skb;
	int err = 0;

	memcpy(&tgt, target, sizeof(tgt));
	addrconf_addr_solict_mult(&tgt, &mcaddr);
	rcu_read_lock();
	if (ipv6_dev_get_saddr(dev_net(dev), dev, &mcaddr, 0, &saddr) ||
	    !(ipv6_addr_type(&saddr) & IPV6_ADDR_LINKLOCAL)) {
		err = -EADDRNOTAVAIL;
		goto out;
	}
	skb = ndisc_ns_create(dev, &tgt, &saddr, 0);
	if (!skb) {
		err = -ENOMEM;
		goto out;
	}
	ndisc_send_skb(skb, &mcaddr, &saddr);
out:
	rcu_read_unlock();
	return err;
}
