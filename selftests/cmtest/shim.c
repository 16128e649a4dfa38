// SPDX-License-Identifier: GPL-2.0
/*
 * rdmaip_cmtest C shim: see shim.h for what each function wraps.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <rdma/rdma_cm.h>

#include "shim.h"

struct rdma_cm_id *cmtest_create_id(int (*handler)(struct rdma_cm_id *, struct rdma_cm_event *),
				    void *context)
{
	return rdma_create_id(&init_net, handler, context, RDMA_PS_TCP, IB_QPT_RC);
}

void *cmtest_id_context(const struct rdma_cm_id *id)
{
	return id->context;
}

void cmtest_id_set_context(struct rdma_cm_id *id, void *context)
{
	id->context = context;
}

void cmtest_id_addrs(const struct rdma_cm_id *id, struct sockaddr_storage *src,
		     struct sockaddr_storage *dst)
{
	memcpy(src, &id->route.addr.src_addr, sizeof(*src));
	memcpy(dst, &id->route.addr.dst_addr, sizeof(*dst));
}

int cmtest_event_type(const struct rdma_cm_event *event)
{
	return event->event;
}

int cmtest_event_status(const struct rdma_cm_event *event)
{
	return event->status;
}

int cmtest_parse_addr(const char *addr, const char *port, struct sockaddr_storage *out)
{
	return inet_pton_with_scope(&init_net, AF_UNSPEC, addr, port, out);
}

void cmtest_format_addr(const struct sockaddr_storage *addr, bool with_port, char *buf, size_t len)
{
	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		strscpy(buf, "-", len);
	else if (with_port)
		snprintf(buf, len, "%pISpc", addr);
	else
		snprintf(buf, len, "%pISc", addr);
}

static int cmtest_dbg_show(struct seq_file *m, void *data)
{
	struct cmtest_dbg_file *f = m->private;

	return f->show(m, f->ctx);
}

static int cmtest_dbg_open(struct inode *inode, struct file *file)
{
	return single_open(file, cmtest_dbg_show, inode->i_private);
}

static ssize_t cmtest_dbg_write(struct file *file, const char __user *ubuf, size_t len,
				loff_t *ppos)
{
	struct cmtest_dbg_file *f = ((struct seq_file *)file->private_data)->private;
	ssize_t ret;
	char *buf;

	if (!f->write)
		return -EPERM;
	if (len > PAGE_SIZE)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = f->write(f->ctx, buf, len);
	kfree(buf);
	return ret;
}

static const struct file_operations cmtest_dbg_fops = {
	.owner = THIS_MODULE,
	.open = cmtest_dbg_open,
	.read = seq_read,
	.write = cmtest_dbg_write,
	.llseek = seq_lseek,
	.release = single_release,
};

struct dentry *cmtest_debugfs_file(const char *name, struct dentry *parent,
				   struct cmtest_dbg_file *file)
{
	return debugfs_create_file(name, file->write ? 0600 : 0400, parent, file, &cmtest_dbg_fops);
}

bool cmtest_is_err_or_null(const void *ptr)
{
	return IS_ERR_OR_NULL(ptr);
}
