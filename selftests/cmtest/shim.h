/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdmaip_cmtest C shim: macros, static inline functions and struct fields
 * of the kernel that Rust cannot reach directly. One small function each; no
 * test logic lives here.
 */
#ifndef RDMAIP_CMTEST_SHIM_H
#define RDMAIP_CMTEST_SHIM_H

#include <linux/types.h>

struct rdma_cm_id;
struct rdma_cm_event;
struct sockaddr_storage;
struct dentry;
struct seq_file;

/* rdma_create_id(&init_net, handler, context, RDMA_PS_TCP, IB_QPT_RC) */
struct rdma_cm_id *cmtest_create_id(int (*handler)(struct rdma_cm_id *, struct rdma_cm_event *),
				    void *context);
/* id->context */
void *cmtest_id_context(const struct rdma_cm_id *id);
void cmtest_id_set_context(struct rdma_cm_id *id, void *context);
/* id->route.addr.src_addr / dst_addr, copied */
void cmtest_id_addrs(const struct rdma_cm_id *id, struct sockaddr_storage *src,
		     struct sockaddr_storage *dst);
/* event->event, event->status */
int cmtest_event_type(const struct rdma_cm_event *event);
int cmtest_event_status(const struct rdma_cm_event *event);

/* inet_pton_with_scope(&init_net, AF_UNSPEC, ...) */
int cmtest_parse_addr(const char *addr, const char *port, struct sockaddr_storage *out);
/* snprintf(buf, len, "%pISpc" or "%pISc", addr) */
void cmtest_format_addr(const struct sockaddr_storage *addr, bool with_port, char *buf, size_t len);

/*
 * debugfs files backed by seq_file (single_open()): @file is the Rust side's
 * pinned description of one file, handed back to its callbacks. The
 * file_operations table is C because 6.12 has no Rust debugfs abstraction.
 */
struct cmtest_dbg_file {
	/* Writes the file's content with seq_write(); returns 0 or -errno. */
	int (*show)(struct seq_file *m, void *ctx);
	/* Handles one write of @len bytes (NUL-terminated copy); NULL: read-only. */
	ssize_t (*write)(void *ctx, const char *buf, size_t len);
	void *ctx;
};
struct dentry *cmtest_debugfs_file(const char *name, struct dentry *parent,
				   struct cmtest_dbg_file *file);
/* IS_ERR_OR_NULL() */
bool cmtest_is_err_or_null(const void *ptr);

#endif
