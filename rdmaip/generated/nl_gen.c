// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/rdmaip.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "nl_gen.h"

#include <uapi/linux/rdmaip.h>

/* Integer value ranges */
static const struct netlink_range_validation rdmaip_a_group_failback_delay_ms_range = {
	.max	= RDMAIP_DELAY_MAX_MS,
};

static const struct netlink_range_validation rdmaip_a_group_hold_down_max_ms_range = {
	.max	= RDMAIP_DELAY_MAX_MS,
};

/* RDMAIP_CMD_GROUP_NEW - do */
static const struct nla_policy rdmaip_group_new_nl_policy[RDMAIP_A_GROUP_PROBE_SUCCESSES + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
	[RDMAIP_A_GROUP_FAILBACK] = NLA_POLICY_MAX(NLA_U8, 1),
	[RDMAIP_A_GROUP_FAILBACK_DELAY_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &rdmaip_a_group_failback_delay_ms_range),
	[RDMAIP_A_GROUP_HOLD_DOWN_MAX_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &rdmaip_a_group_hold_down_max_ms_range),
	[RDMAIP_A_GROUP_ANNOUNCE_COUNT] = NLA_POLICY_MAX(NLA_U32, RDMAIP_ANNOUNCE_COUNT_MAX),
	[RDMAIP_A_GROUP_ANNOUNCE_INTERVAL_MS] = NLA_POLICY_RANGE(NLA_U32, RDMAIP_ANNOUNCE_INTERVAL_MIN_MS, RDMAIP_ANNOUNCE_INTERVAL_MAX_MS),
	[RDMAIP_A_GROUP_PROBE_TARGET] = { .type = NLA_BINARY, },
	[RDMAIP_A_GROUP_PROBE_OFF] = { .type = NLA_FLAG, },
	[RDMAIP_A_GROUP_PROBE_INTERVAL_MS] = { .type = NLA_U32, },
	[RDMAIP_A_GROUP_PROBE_MISSES] = { .type = NLA_U32, },
	[RDMAIP_A_GROUP_PROBE_SUCCESSES] = { .type = NLA_U32, },
};

/* RDMAIP_CMD_GROUP_DEL - do */
static const struct nla_policy rdmaip_group_del_nl_policy[RDMAIP_A_GROUP_NAME + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_GROUP_GET - do */
static const struct nla_policy rdmaip_group_get_nl_policy[RDMAIP_A_GROUP_NAME + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_GROUP_SET - do */
static const struct nla_policy rdmaip_group_set_nl_policy[RDMAIP_A_GROUP_PROBE_SUCCESSES + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
	[RDMAIP_A_GROUP_FAILBACK] = NLA_POLICY_MAX(NLA_U8, 1),
	[RDMAIP_A_GROUP_FAILBACK_DELAY_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &rdmaip_a_group_failback_delay_ms_range),
	[RDMAIP_A_GROUP_HOLD_DOWN_MAX_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &rdmaip_a_group_hold_down_max_ms_range),
	[RDMAIP_A_GROUP_ANNOUNCE_COUNT] = NLA_POLICY_MAX(NLA_U32, RDMAIP_ANNOUNCE_COUNT_MAX),
	[RDMAIP_A_GROUP_ANNOUNCE_INTERVAL_MS] = NLA_POLICY_RANGE(NLA_U32, RDMAIP_ANNOUNCE_INTERVAL_MIN_MS, RDMAIP_ANNOUNCE_INTERVAL_MAX_MS),
	[RDMAIP_A_GROUP_PROBE_TARGET] = { .type = NLA_BINARY, },
	[RDMAIP_A_GROUP_PROBE_OFF] = { .type = NLA_FLAG, },
	[RDMAIP_A_GROUP_PROBE_INTERVAL_MS] = { .type = NLA_U32, },
	[RDMAIP_A_GROUP_PROBE_MISSES] = { .type = NLA_U32, },
	[RDMAIP_A_GROUP_PROBE_SUCCESSES] = { .type = NLA_U32, },
};

/* RDMAIP_CMD_PORT_ADD - do */
static const struct nla_policy rdmaip_port_add_nl_policy[RDMAIP_A_GROUP_PORT + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
	[RDMAIP_A_GROUP_PORT] = { .type = NLA_STRING, .len = RDMAIP_PORT_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_PORT_DEL - do */
static const struct nla_policy rdmaip_port_del_nl_policy[RDMAIP_A_GROUP_PORT + 1] = {
	[RDMAIP_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
	[RDMAIP_A_GROUP_PORT] = { .type = NLA_STRING, .len = RDMAIP_PORT_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_PORT_GET - do */
static const struct nla_policy rdmaip_port_get_do_nl_policy[RDMAIP_A_PORT_NAME + 1] = {
	[RDMAIP_A_PORT_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_PORT_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_PORT_GET - dump */
static const struct nla_policy rdmaip_port_get_dump_nl_policy[RDMAIP_A_PORT_GROUP + 1] = {
	[RDMAIP_A_PORT_GROUP] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_ADDR_GET - dump */
static const struct nla_policy rdmaip_addr_get_nl_policy[RDMAIP_A_ADDR_GROUP + 1] = {
	[RDMAIP_A_ADDR_GROUP] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_PORT_DRAIN - do */
static const struct nla_policy rdmaip_port_drain_nl_policy[RDMAIP_A_PORT_NAME + 1] = {
	[RDMAIP_A_PORT_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_PORT_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_PORT_UNDRAIN - do */
static const struct nla_policy rdmaip_port_undrain_nl_policy[RDMAIP_A_PORT_NAME + 1] = {
	[RDMAIP_A_PORT_NAME] = { .type = NLA_NUL_STRING, .len = RDMAIP_PORT_NAME_MAX_LEN, },
};

/* RDMAIP_CMD_MODULE_SET - do */
static const struct nla_policy rdmaip_module_set_nl_policy[RDMAIP_A_MODULE_PEER_NOTIFY + 1] = {
	[RDMAIP_A_MODULE_PEER_NOTIFY] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* RDMAIP_CMD_PROBE_GET - dump */
static const struct nla_policy rdmaip_probe_get_nl_policy[RDMAIP_A_PROBE_GROUP + 1] = {
	[RDMAIP_A_PROBE_GROUP] = { .type = NLA_NUL_STRING, .len = RDMAIP_GROUP_NAME_MAX_LEN, },
};

/* Ops table for rdmaip */
static const struct genl_split_ops rdmaip_nl_ops[] = {
	{
		.cmd		= RDMAIP_CMD_GROUP_NEW,
		.doit		= rdmaip_nl_group_new_doit,
		.policy		= rdmaip_group_new_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_PROBE_SUCCESSES,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_GROUP_DEL,
		.doit		= rdmaip_nl_group_del_doit,
		.policy		= rdmaip_group_del_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_GROUP_GET,
		.doit		= rdmaip_nl_group_get_doit,
		.policy		= rdmaip_group_get_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= RDMAIP_CMD_GROUP_GET,
		.dumpit	= rdmaip_nl_group_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= RDMAIP_CMD_GROUP_SET,
		.doit		= rdmaip_nl_group_set_doit,
		.policy		= rdmaip_group_set_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_PROBE_SUCCESSES,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_ADD,
		.doit		= rdmaip_nl_port_add_doit,
		.policy		= rdmaip_port_add_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_PORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_DEL,
		.doit		= rdmaip_nl_port_del_doit,
		.policy		= rdmaip_port_del_nl_policy,
		.maxattr	= RDMAIP_A_GROUP_PORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_GET,
		.doit		= rdmaip_nl_port_get_doit,
		.policy		= rdmaip_port_get_do_nl_policy,
		.maxattr	= RDMAIP_A_PORT_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_GET,
		.dumpit		= rdmaip_nl_port_get_dumpit,
		.policy		= rdmaip_port_get_dump_nl_policy,
		.maxattr	= RDMAIP_A_PORT_GROUP,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= RDMAIP_CMD_ADDR_GET,
		.dumpit		= rdmaip_nl_addr_get_dumpit,
		.policy		= rdmaip_addr_get_nl_policy,
		.maxattr	= RDMAIP_A_ADDR_GROUP,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_DRAIN,
		.doit		= rdmaip_nl_port_drain_doit,
		.policy		= rdmaip_port_drain_nl_policy,
		.maxattr	= RDMAIP_A_PORT_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PORT_UNDRAIN,
		.doit		= rdmaip_nl_port_undrain_doit,
		.policy		= rdmaip_port_undrain_nl_policy,
		.maxattr	= RDMAIP_A_PORT_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= RDMAIP_CMD_MODULE_GET,
		.doit	= rdmaip_nl_module_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_MODULE_SET,
		.doit		= rdmaip_nl_module_set_doit,
		.policy		= rdmaip_module_set_nl_policy,
		.maxattr	= RDMAIP_A_MODULE_PEER_NOTIFY,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= RDMAIP_CMD_PROBE_GET,
		.dumpit		= rdmaip_nl_probe_get_dumpit,
		.policy		= rdmaip_probe_get_nl_policy,
		.maxattr	= RDMAIP_A_PROBE_GROUP,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group rdmaip_nl_mcgrps[] = {
	[RDMAIP_NLGRP_MONITOR] = { "monitor", },
};

struct genl_family rdmaip_nl_family __ro_after_init = {
	.name		= RDMAIP_FAMILY_NAME,
	.version	= RDMAIP_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= rdmaip_nl_ops,
	.n_split_ops	= ARRAY_SIZE(rdmaip_nl_ops),
	.mcgrps		= rdmaip_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(rdmaip_nl_mcgrps),
};
