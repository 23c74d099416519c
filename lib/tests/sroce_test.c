// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host-side test of libsroce-rdmav34.so, no kernel module needed.
 *
 * The test binary interposes three symbols libibverbs and the provider
 * import (it is linked with -rdynamic, so its definitions win):
 *  - verbs_register_driver_34(), to catch the provider's device ops when
 *    its constructor runs, then forwards to libibverbs;
 *  - write() and ioctl() on one fake command fd: ioctl() fails with ENOTTY
 *    like a kernel without the ioctl uAPI, so libibverbs falls back to the
 *    write() commands, which a small fake uverbs "kernel" answers after
 *    checking the command and response sizes the ABI prescribes.
 * The provider is then driven through the public verbs API, so a wrong ops
 * table layout shows up as a wrong op being called.
 *
 * Usage: sroce_test /path/to/libsroce-rdmav34.so
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sroce.h"

#define FAKE_FW_VER	((1ULL << 32) | (2ULL << 16) | 3)
#define FAKE_VENDOR_ID	0x5e7

static int passed, failed;

static void expect(int ok, const char *what)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", passed + failed, what);
}

/* ---- fake uverbs kernel ---- */

static struct {
	int fd;			/* fake command fd, -1 when none */
	uint32_t ctx_abi;	/* abi_version GET_CONTEXT reports */
	int fail_next;		/* errno for the next command, 0 for none */
	unsigned int cmds;	/* write() commands seen */
	unsigned int ex_query_device;
	unsigned int bad_layout;
	uint32_t pd_handle;	/* last handle handed out, 0 when no PD is live */
} kern = { .fd = -1 };

static ssize_t kern_fail(int err)
{
	errno = err;
	return -1;
}

static void *resp_ptr(uint64_t response)
{
	return (void *)(uintptr_t)response;
}

static ssize_t kern_ex_write(const struct ib_uverbs_cmd_hdr *hdr, size_t len)
{
	const struct ib_uverbs_ex_cmd_hdr *ex = (const void *)(hdr + 1);
	struct ib_uverbs_ex_query_device_resp *resp;
	size_t out = hdr->out_words * 8;

	if ((hdr->command & IB_USER_VERBS_CMD_COMMAND_MASK) != IB_USER_VERBS_EX_CMD_QUERY_DEVICE)
		return kern_fail(EOPNOTSUPP);
	if (len != sizeof(*hdr) + sizeof(*ex) + (hdr->in_words + ex->provider_in_words) * 8 ||
	    out < sizeof(resp->base) + 8 || out > sizeof(*resp)) {
		kern.bad_layout++;
		return kern_fail(EINVAL);
	}
	resp = resp_ptr(ex->response);
	memset(resp, 0, out);
	resp->base.fw_ver = FAKE_FW_VER;
	resp->base.vendor_id = FAKE_VENDOR_ID;
	resp->base.max_qp = 64;
	resp->base.max_pd = 16;
	resp->base.phys_port_cnt = 1;
	resp->response_length = out;
	kern.ex_query_device++;
	return len;
}

static ssize_t kern_write(const void *buf, size_t len)
{
	const struct ib_uverbs_cmd_hdr *hdr = buf;
	const uint64_t *response = (const void *)(hdr + 1);
	size_t in, out;

	kern.cmds++;
	if (kern.fail_next) {
		int err = kern.fail_next;

		kern.fail_next = 0;
		return kern_fail(err);
	}
	if (len < sizeof(*hdr) + 4)
		return kern_fail(EINVAL);
	if (hdr->command & IB_USER_VERBS_CMD_FLAG_EXTENDED)
		return kern_ex_write(hdr, len);

	in = hdr->in_words * 4;
	out = hdr->out_words * 4;
	if (in != len)
		goto bad_layout;

	switch (hdr->command) {
	case IB_USER_VERBS_CMD_GET_CONTEXT: {
		struct ib_uverbs_get_context_resp *core;
		struct sroce_alloc_ucontext_resp *drv;

		if (in != sizeof(*hdr) + sizeof(struct ib_uverbs_get_context) ||
		    out != sizeof(*core) + sizeof(*drv))
			goto bad_layout;
		core = resp_ptr(*response);
		drv = (void *)(core + 1);
		core->async_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		core->num_comp_vectors = 1;
		memset(drv, 0, sizeof(*drv));
		drv->abi_version = kern.ctx_abi;
		drv->page_size = 4096;
		return len;
	}
	case IB_USER_VERBS_CMD_QUERY_DEVICE: {
		struct ib_uverbs_query_device_resp *resp;

		if (in != sizeof(*hdr) + sizeof(struct ib_uverbs_query_device) ||
		    out != sizeof(*resp))
			goto bad_layout;
		resp = resp_ptr(*response);
		memset(resp, 0, sizeof(*resp));
		resp->fw_ver = FAKE_FW_VER;
		resp->vendor_id = FAKE_VENDOR_ID;
		resp->phys_port_cnt = 1;
		return len;
	}
	case IB_USER_VERBS_CMD_QUERY_PORT: {
		const struct ib_uverbs_query_port *cmd = (const void *)(hdr + 1);
		struct ib_uverbs_query_port_resp *resp;

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		resp = resp_ptr(cmd->response);
		if (cmd->port_num != 1)
			return kern_fail(EINVAL);
		memset(resp, 0, sizeof(*resp));
		resp->state = IBV_PORT_ACTIVE;
		resp->max_mtu = IBV_MTU_4096;
		resp->active_mtu = IBV_MTU_1024;
		resp->gid_tbl_len = 16;
		resp->pkey_tbl_len = 1;
		resp->link_layer = IBV_LINK_LAYER_ETHERNET;
		return len;
	}
	case IB_USER_VERBS_CMD_ALLOC_PD: {
		struct ib_uverbs_alloc_pd_resp *core;
		struct sroce_alloc_pd_resp *drv;

		if (in != sizeof(*hdr) + sizeof(struct ib_uverbs_alloc_pd) ||
		    out != sizeof(*core) + sizeof(*drv))
			goto bad_layout;
		core = resp_ptr(*response);
		drv = (void *)(core + 1);
		core->pd_handle = 0x10;
		drv->pdn = 7;
		drv->reserved = 0;
		kern.pd_handle = core->pd_handle;
		return len;
	}
	case IB_USER_VERBS_CMD_DEALLOC_PD: {
		const struct ib_uverbs_dealloc_pd *cmd = (const void *)(hdr + 1);

		if (in != sizeof(*hdr) + sizeof(*cmd))
			goto bad_layout;
		if (!kern.pd_handle || cmd->pd_handle != kern.pd_handle)
			return kern_fail(EINVAL);
		kern.pd_handle = 0;
		return len;
	}
	default:
		return kern_fail(EOPNOTSUPP);
	}

bad_layout:
	kern.bad_layout++;
	return kern_fail(EINVAL);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (kern.fd >= 0 && fd == kern.fd)
		return kern_write(buf, len);
	return syscall(SYS_write, fd, buf, len);
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (kern.fd >= 0 && fd == kern.fd)
		return kern_fail(ENOTTY);
	return syscall(SYS_ioctl, fd, request, arg);
}

/* ---- registration ---- */

static const struct verbs_device_ops *registered;
static int nr_registered;

void verbs_register_driver_34(const struct verbs_device_ops *ops)
{
	void (*real)(const struct verbs_device_ops *ops);

	registered = ops;
	nr_registered++;
	real = dlvsym(RTLD_NEXT, "verbs_register_driver_34", "IBVERBS_PRIVATE_34");
	if (real)
		real(ops);
}

static int table_matches(const struct verbs_match_ent *ent, const char *ibdev_name)
{
	char value[100];

	snprintf(value, sizeof(value), "rdma_device:N%s", ibdev_name);
	for (; ent->kind != VERBS_MATCH_SENTINEL; ent++)
		if (ent->kind == VERBS_MATCH_MODALIAS && !fnmatch(ent->u.modalias, value, 0))
			return 1;
	return 0;
}

static int run(const char *cmd, char *out, size_t size)
{
	size_t n = 0;
	FILE *p;
	int st;

	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, size - n, p))
		n = strlen(out);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exports(const char *so)
{
	char cmd[4200], out[4096];

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", so);
	expect(run(cmd, out, sizeof(out)) == 0 && out[0] == 0,
	       "the provider exports no symbols");
}

static void test_ibv_devices(const char *so)
{
	char prefix[4096], cmd[8400], out[4096];
	char *end;
	int rc_plain, rc_with;

	snprintf(prefix, sizeof(prefix), "%s", so);
	end = strstr(prefix, "-rdmav34.so");
	if (end)
		*end = 0;
	rc_plain = run("ibv_devices 2>&1", out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "RDMAV_DRIVERS='%s' ibv_devices 2>&1", prefix);
	rc_with = run(cmd, out, sizeof(out));
	expect(end && rc_with == rc_plain && !strstr(out, "couldn't load driver"),
	       "RDMAV_DRIVERS=<build>/libsroce ibv_devices: no load error, same status");
}

/* ---- device, context and PD through the public API ---- */

static struct verbs_device *new_device(const struct verbs_device_ops *ops)
{
	struct verbs_sysfs_dev *sysfs;
	struct verbs_device *vdev;

	sysfs = calloc(1, sizeof(*sysfs));
	if (!sysfs)
		return NULL;
	snprintf(sysfs->ibdev_name, sizeof(sysfs->ibdev_name), "sroce0");
	sysfs->abi_ver = SROCE_UVERBS_ABI_VERSION;
	sysfs->node_type = IBV_NODE_CA;
	sysfs->num_ports = 1;

	vdev = ops->alloc_device(sysfs);
	if (!vdev) {
		free(sysfs);
		return NULL;
	}
	/* What libibverbs does with a freshly allocated device. */
	vdev->ops = ops;
	atomic_init(&vdev->refcount, 1);
	vdev->sysfs = sysfs;
	vdev->device.node_type = IBV_NODE_CA;
	vdev->device.transport_type = IBV_TRANSPORT_IB;
	snprintf(vdev->device.name, sizeof(vdev->device.name), "sroce0");
	return vdev;
}

static struct ibv_context *open_ctx(struct verbs_device *vdev, uint32_t ctx_abi, int fail)
{
	struct verbs_context *vctx;

	kern.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	kern.ctx_abi = ctx_abi;
	kern.fail_next = fail;
	vctx = vdev->ops->alloc_context(&vdev->device, kern.fd, NULL);
	return vctx ? &vctx->context : NULL;
}

static void test_context(struct verbs_device *vdev)
{
	struct ibv_device_attr_ex dattr_ex;
	struct ibv_device_attr dattr;
	struct ibv_port_attr pattr;
	struct ibv_context *ctx;
	unsigned int cmds;
	struct ibv_pd *pd;
	int async_fd, ret;

	ctx = open_ctx(vdev, SROCE_UVERBS_ABI_VERSION, 0);
	expect(ctx && !kern.bad_layout, "alloc_context: GET_CONTEXT with sroce udata");
	if (!ctx)
		return;
	expect(ctx->async_fd >= 0 && ctx->num_comp_vectors == 1 &&
	       atomic_load(&vdev->refcount) == 2, "alloc_context: context initialised");

	ret = ibv_query_device_ex(ctx, NULL, &dattr_ex);
	expect(!ret && kern.ex_query_device == 1 && dattr_ex.orig_attr.vendor_id == FAKE_VENDOR_ID &&
	       dattr_ex.orig_attr.max_qp == 64 && dattr_ex.phys_port_cnt_ex == 1 &&
	       !strcmp(dattr_ex.orig_attr.fw_ver, "1.2.3"),
	       "ibv_query_device_ex reaches query_device_ex, fw_ver 1.2.3");
	ret = ibv_query_device(ctx, &dattr);
	expect(!ret && dattr.vendor_id == FAKE_VENDOR_ID && !strcmp(dattr.fw_ver, "1.2.3"),
	       "ibv_query_device (legacy QUERY_DEVICE) reaches query_device_ex");

	ret = ibv_query_port(ctx, 1, &pattr);
	expect(!ret && pattr.state == IBV_PORT_ACTIVE && pattr.active_mtu == IBV_MTU_1024 &&
	       pattr.link_layer == IBV_LINK_LAYER_ETHERNET && pattr.gid_tbl_len == 16,
	       "ibv_query_port reaches query_port: active Ethernet port");
	expect(ibv_query_port(ctx, 2, &pattr) == EINVAL, "ibv_query_port returns kernel errno");

	pd = ibv_alloc_pd(ctx);
	expect(pd && pd->handle == 0x10 && pd->context == ctx && to_spd(pd)->pdn == 7 &&
	       !kern.bad_layout, "ibv_alloc_pd: ALLOC_PD with sroce udata, pdn parsed");
	if (pd)
		expect(!ibv_dealloc_pd(pd) && !kern.pd_handle, "ibv_dealloc_pd frees the handle");

	kern.fail_next = ENOMEM;
	errno = 0;
	pd = ibv_alloc_pd(ctx);
	expect(!pd && errno == ENOMEM, "ibv_alloc_pd failure returns NULL, errno from kernel");

	cmds = kern.cmds;
	errno = 0;
	expect(!ibv_create_cq(ctx, 16, NULL, NULL, 0) && errno == EOPNOTSUPP && cmds == kern.cmds,
	       "unimplemented op (create_cq) is EOPNOTSUPP without a command");

	async_fd = ctx->async_fd;
	expect(!ibv_close_device(ctx) && atomic_load(&vdev->refcount) == 1 &&
	       fcntl(async_fd, F_GETFD) < 0, "ibv_close_device reaches free_context");
	kern.fd = -1;
}

static void test_context_errors(struct verbs_device *vdev)
{
	struct ibv_context *ctx;

	errno = 0;
	ctx = open_ctx(vdev, SROCE_UVERBS_ABI_VERSION + 1, 0);
	expect(!ctx && errno == EPROTO && atomic_load(&vdev->refcount) == 1,
	       "alloc_context rejects a context ABI mismatch with EPROTO");
	if (ctx)
		ibv_close_device(ctx);

	errno = 0;
	ctx = open_ctx(vdev, SROCE_UVERBS_ABI_VERSION, EACCES);
	expect(!ctx && errno == EACCES && atomic_load(&vdev->refcount) == 1,
	       "alloc_context passes a GET_CONTEXT failure through");
	if (ctx)
		ibv_close_device(ctx);
	kern.fd = -1;
}

int main(int argc, char **argv)
{
	const struct verbs_device_ops *ops;
	struct verbs_device *vdev;
	void *handle;

	if (argc != 2) {
		fprintf(stderr, "usage: %s libsroce-rdmav34.so\n", argv[0]);
		return 2;
	}

	handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	expect(handle != NULL, "dlopen of the provider with libibverbs loaded");
	if (!handle)
		fprintf(stderr, "%s\n", dlerror());
	expect(nr_registered == 1 && registered, "constructor calls verbs_register_driver_34");
	test_exports(argv[1]);
	test_ibv_devices(argv[1]);

	ops = registered;
	if (ops) {
		expect(!strcmp(ops->name, "sroce") &&
		       ops->match_min_abi_version == SROCE_UVERBS_ABI_VERSION &&
		       ops->match_max_abi_version == SROCE_UVERBS_ABI_VERSION,
		       "device ops: name sroce, exact uverbs ABI match");
		expect(ops->match_table && !ops->match_device && table_matches(ops->match_table,
		       "sroce0") && table_matches(ops->match_table, "sroce12") &&
		       !table_matches(ops->match_table, "rxe0") &&
		       !table_matches(ops->match_table, "mlx5_0"),
		       "match table claims sroce* ibdev names only");
		expect(ops->alloc_device && ops->uninit_device && ops->alloc_context &&
		       !ops->import_context, "device ops: alloc/uninit device, alloc_context");
	}

	vdev = ops && ops->alloc_device ? new_device(ops) : NULL;
	expect(vdev != NULL, "alloc_device");
	if (vdev) {
		test_context(vdev);
		test_context_errors(vdev);
		free(vdev->sysfs);
		ops->uninit_device(vdev);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
