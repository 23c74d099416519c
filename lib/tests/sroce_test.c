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
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sroce.h"

#define FAKE_FW_VER	((1ULL << 32) | (2ULL << 16) | 3)
#define FAKE_VENDOR_ID	0x5e7
#define FAKE_CAP_FLAGS	(IBV_DEVICE_RC_RNR_NAK_GEN | IBV_DEVICE_MEM_MGT_EXTENSIONS | \
			 IBV_DEVICE_PORT_ACTIVE_EVENT)

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

/* ---- fake kernel side of CQs: commands and rings ---- */

/*
 * One CQ at a time.  Its rings live in memfds: the fake kernel keeps its own
 * mapping, and the provider's mmap() of the command fd at a ring's offset is
 * redirected to the memfd (see mmap() below), so both sides share the memory
 * as they would with the real driver.
 */
#define FAKE_CQ_RINGS	4
#define FAKE_CQ_OFF	0x10000

struct fake_ring {
	int memfd;			/* -1 when unused */
	size_t size;
	struct sroce_ring_hdr *hdr;	/* the fake kernel's mapping */
	uint32_t mask;
	void *user_addr;		/* the provider's mapping, last seen */
};

static struct {
	uint32_t handle;		/* 0 when no CQ is live */
	int ring;			/* index in rings[] of the live ring */
	uint32_t producer;		/* the kernel's producer index */
	uint32_t bad_log2;		/* answer create with this log2_entries */
	int notify_calls;
	uint32_t notify_solicited;
	struct fake_ring rings[FAKE_CQ_RINGS];
} fcq;

static void fake_cq_init(void)
{
	int i;

	memset(&fcq, 0, sizeof(fcq));
	for (i = 0; i < FAKE_CQ_RINGS; i++)
		fcq.rings[i].memfd = -1;
}

static void fake_ring_free(struct fake_ring *r)
{
	if (r->memfd < 0)
		return;
	munmap(r->hdr, r->size);
	close(r->memfd);
	memset(r, 0, sizeof(*r));
	r->memfd = -1;
}

/* A ring for cqe entries, as the driver sizes it; returns its index or -1. */
static int fake_ring_alloc(uint32_t cqe, struct sroce_mmap_info *info, uint32_t *log2)
{
	struct fake_ring *r;
	uint32_t slots = 2;
	int i;

	for (i = 0; i < FAKE_CQ_RINGS && fcq.rings[i].memfd >= 0; i++)
		;
	if (i == FAKE_CQ_RINGS)
		return -1;
	r = &fcq.rings[i];
	while (slots < cqe + 1)
		slots <<= 1;
	r->size = (sizeof(struct sroce_ring_hdr) + slots * sizeof(struct sroce_cqe) + 4095) &
		  ~(size_t)4095;
	r->memfd = memfd_create("fake-cq-ring", MFD_CLOEXEC);
	if (r->memfd < 0 || ftruncate(r->memfd, r->size))
		return -1;
	r->hdr = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->hdr == MAP_FAILED)
		return -1;
	r->mask = slots - 1;
	*log2 = 0;
	while ((1U << *log2) < slots)
		(*log2)++;
	info->offset = FAKE_CQ_OFF * (i + 1);
	info->size = r->size;
	info->reserved = 0;
	return i;
}

static struct sroce_cqe *fake_slot(struct fake_ring *r, uint32_t i)
{
	return (struct sroce_cqe *)(r->hdr + 1) + (i & r->mask);
}

/* The producer side of the driver: write an entry, publish it. */
static int fake_cq_post(const struct sroce_cqe *cqe)
{
	struct fake_ring *r = &fcq.rings[fcq.ring];
	uint32_t consumer = __atomic_load_n(&r->hdr->consumer, __ATOMIC_ACQUIRE);

	if (fcq.producer - consumer >= r->mask)
		return -1;
	*fake_slot(r, fcq.producer) = *cqe;
	fcq.producer++;
	__atomic_store_n(&r->hdr->producer, fcq.producer, __ATOMIC_RELEASE);
	return 0;
}

static void fake_cq_set_index(uint32_t index)
{
	struct fake_ring *r = &fcq.rings[fcq.ring];

	fcq.producer = index;
	r->hdr->producer = index;
	r->hdr->consumer = index;
}

/* CREATE_CQ and EX_CREATE_CQ: returns 0 or an errno value. */
static int fake_cq_create(uint32_t cqe, uint32_t *handle, uint32_t *resp_cqe,
			  struct sroce_create_cq_resp *drv)
{
	uint32_t log2;
	int ring;

	if (fcq.handle)
		return ENOMEM;
	if (!cqe || cqe > 65535)
		return EINVAL;
	ring = fake_ring_alloc(cqe, &drv->ring, &log2);
	if (ring < 0)
		return ENOMEM;
	*handle = 0x20;
	*resp_cqe = fcq.rings[ring].mask;
	drv->log2_entries = fcq.bad_log2 ? fcq.bad_log2 : log2;
	drv->reserved = 0;
	fcq.handle = *handle;
	fcq.ring = ring;
	fcq.producer = 0;
	return 0;
}

/* EX_CREATE_CQ: the extended layout of ibv_create_cq_ex(). */
static ssize_t fake_cq_ex_write(const struct ib_uverbs_cmd_hdr *hdr, size_t len)
{
	const struct ib_uverbs_ex_cmd_hdr *ex = (const void *)(hdr + 1);
	const struct ib_uverbs_ex_create_cq *cmd = (const void *)(ex + 1);
	struct sroce_create_cq_ex_resp_full *resp = resp_ptr(ex->response);
	int err;

	if (len != sizeof(*hdr) + sizeof(*ex) + sizeof(*cmd) || hdr->in_words * 8 != sizeof(*cmd) ||
	    ex->provider_in_words || hdr->out_words * 8 != sizeof(resp->ibv_resp) ||
	    ex->provider_out_words * 8 != sizeof(resp->drv) || cmd->comp_mask || cmd->flags) {
		kern.bad_layout++;
		return kern_fail(EINVAL);
	}
	err = fake_cq_create(cmd->cqe, &resp->ibv_resp.base.cq_handle, &resp->ibv_resp.base.cqe,
			     &resp->drv);
	if (err)
		return kern_fail(err);
	resp->ibv_resp.comp_mask = 0;
	resp->ibv_resp.response_length = sizeof(resp->ibv_resp);
	return len;
}

static ssize_t fake_cq_write(const struct ib_uverbs_cmd_hdr *hdr, size_t in, size_t out,
			     size_t len)
{
	const void *payload = hdr + 1;

	switch (hdr->command) {
	case IB_USER_VERBS_CMD_CREATE_CQ: {
		const struct ib_uverbs_create_cq *cmd = payload;
		struct sroce_create_cq_resp_full *resp = resp_ptr(cmd->response);
		int err;

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		err = fake_cq_create(cmd->cqe, &resp->ibv_resp.cq_handle, &resp->ibv_resp.cqe,
				     &resp->drv);
		return err ? kern_fail(err) : (ssize_t)len;
	}
	case IB_USER_VERBS_CMD_RESIZE_CQ: {
		const struct ib_uverbs_resize_cq *cmd = payload;
		struct sroce_resize_cq_resp_full *resp = resp_ptr(cmd->response);
		struct fake_ring *old = &fcq.rings[fcq.ring], *new;
		uint32_t log2, consumer, i;
		int ring;

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		if (!fcq.handle || cmd->cq_handle != fcq.handle)
			return kern_fail(EINVAL);
		consumer = old->hdr->consumer;
		if (cmd->cqe < 1 || cmd->cqe > 65535 || fcq.producer - consumer > cmd->cqe)
			return kern_fail(EINVAL);
		ring = fake_ring_alloc(cmd->cqe, &resp->drv.ring, &log2);
		if (ring < 0)
			return kern_fail(ENOMEM);
		new = &fcq.rings[ring];
		for (i = consumer; i != fcq.producer; i++)
			*fake_slot(new, i) = *fake_slot(old, i);
		new->hdr->consumer = consumer;
		new->hdr->producer = fcq.producer;
		resp->ibv_resp.cqe = new->mask;
		resp->drv.log2_entries = log2;
		/* The old ring stays readable through the provider's mapping. */
		fcq.ring = ring;
		return len;
	}
	case IB_USER_VERBS_CMD_REQ_NOTIFY_CQ: {
		const struct ib_uverbs_req_notify_cq *cmd = payload;

		if (in != sizeof(*hdr) + sizeof(*cmd))
			goto bad_layout;
		if (!fcq.handle || cmd->cq_handle != fcq.handle)
			return kern_fail(EINVAL);
		fcq.notify_calls++;
		fcq.notify_solicited = cmd->solicited_only;
		return len;
	}
	case IB_USER_VERBS_CMD_DESTROY_CQ: {
		const struct ib_uverbs_destroy_cq *cmd = payload;
		struct ib_uverbs_destroy_cq_resp *resp = resp_ptr(cmd->response);
		int i;

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		if (!fcq.handle || cmd->cq_handle != fcq.handle)
			return kern_fail(EINVAL);
		memset(resp, 0, sizeof(*resp));
		fcq.handle = 0;
		for (i = 0; i < FAKE_CQ_RINGS; i++)
			fake_ring_free(&fcq.rings[i]);
		return len;
	}
	default:
		return kern_fail(EOPNOTSUPP);
	}

bad_layout:
	kern.bad_layout++;
	return kern_fail(EINVAL);
}

/* ---- fake kernel side of QPs, SRQs and AHs: commands and rings ---- */

/*
 * Work queue rings (SQ, RQ, SRQ) live in memfds like the CQ's, at offsets
 * from FAKE_WQ_OFF on (see mmap() below), laid out as the driver lays them
 * out: ring header (and struct sroce_sq_ctrl for an SQ), then 2^n slots of
 * 2^m bytes.  Device limits the fake reports in QUERY_DEVICE follow.
 */
#define FAKE_WQ_RINGS		12
#define FAKE_WQ_OFF		0x1000000
#define FAKE_MAX_QP_WR		256
#define FAKE_MAX_SGE		4
#define FAKE_MAX_SRQ_WR		128
#define FAKE_MAX_SRQ_SGE	3
#define FAKE_QPS		4
#define FAKE_AHS		4

struct fake_wq {
	int memfd;			/* -1 when unused */
	size_t size;
	struct sroce_ring_hdr *hdr;	/* the fake kernel's mapping */
	uint8_t *slots;
	uint32_t mask;
	uint32_t stride;
	void *user_addr;		/* the provider's mapping, last seen */
};

/* A live QP as the fake kernel knows it; handle 0 when the entry is free. */
struct fake_qp {
	uint32_t handle;
	uint32_t qpn;
	uint8_t qp_type;
	bool srq;
	int sq, rq;			/* indices in fwq.rings, -1 for none */
	struct ibv_qp_cap cap;		/* what was granted */
	uint32_t state;			/* last MODIFY_QP state */
	uint32_t modify_mask;
	uint32_t dest_qpn;
	unsigned int doorbells;
};

static struct {
	struct fake_wq rings[FAKE_WQ_RINGS];
	struct fake_qp qps[FAKE_QPS];
	uint32_t start_index;		/* initial producer/consumer of new rings */
	enum {
		FAKE_QP_OK,
		FAKE_QP_SMALL_STRIDE,	/* SQ slots too small for the granted caps */
		FAKE_QP_NOT_EMPTY,	/* SQ producer != consumer */
		FAKE_QP_SRQ_WITH_RQ,	/* an RQ ring for a QP with an SRQ */
	} corrupt;			/* for the next CREATE_QP only */
	unsigned int qp_core_resp;	/* core CREATE_QP response bytes libibverbs used */
	unsigned int srq_core_resp;
	unsigned int destroyed_qps;
	unsigned int bad_doorbells;
	/* the SRQ, one at a time */
	uint32_t srq_handle;
	int srq_ring;
	uint32_t srq_max_wr, srq_max_sge, srq_limit;
	uint32_t srq_modify_mask;
	/* AHs: handle i + 1 has ah_num FAKE_AH_NUM + i */
	bool ah_live[FAKE_AHS];
	uint8_t ah_port, ah_sgid_index;
	union ibv_gid ah_dgid;
} fwq;

#define FAKE_AH_NUM		0x500
#define FAKE_QP_HANDLE		0x40
#define FAKE_QPN		0x111

static void fake_wq_init(void)
{
	int i;

	memset(&fwq, 0, sizeof(fwq));
	for (i = 0; i < FAKE_WQ_RINGS; i++)
		fwq.rings[i].memfd = -1;
	fwq.srq_ring = -1;
}

static void fake_wq_free(int i)
{
	struct fake_wq *r;

	if (i < 0)
		return;
	r = &fwq.rings[i];
	if (r->memfd < 0)
		return;
	munmap(r->hdr, r->size);
	close(r->memfd);
	memset(r, 0, sizeof(*r));
	r->memfd = -1;
}

static uint32_t pow2_at_least(uint32_t n, uint32_t min)
{
	uint32_t v = min;

	while (v < n)
		v <<= 1;
	return v;
}

static uint32_t log2_of(uint32_t v)
{
	uint32_t l = 0;

	while ((1U << l) < v)
		l++;
	return l;
}

/* A ring of @entries slots of @stride bytes after @first bytes; index or -1. */
static int fake_wq_alloc(uint32_t entries, uint32_t stride, uint32_t first,
			 struct sroce_mmap_info *info)
{
	struct fake_wq *r;
	int i;

	for (i = 0; i < FAKE_WQ_RINGS && fwq.rings[i].memfd >= 0; i++)
		;
	if (i == FAKE_WQ_RINGS)
		return -1;
	r = &fwq.rings[i];
	r->size = (first + (size_t)entries * stride + 4095) & ~(size_t)4095;
	r->memfd = memfd_create("fake-wq-ring", MFD_CLOEXEC);
	if (r->memfd < 0 || ftruncate(r->memfd, r->size))
		return -1;
	r->hdr = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->hdr == MAP_FAILED)
		return -1;
	r->slots = (uint8_t *)r->hdr + first;
	/* Garbage in the slots: a field the provider does not write shows. */
	memset(r->slots, 0xa5, (size_t)entries * stride);
	r->mask = entries - 1;
	r->stride = stride;
	r->hdr->producer = fwq.start_index;
	r->hdr->consumer = fwq.start_index;
	info->offset = FAKE_WQ_OFF * (uint64_t)(i + 1);
	info->size = r->size;
	info->reserved = 0;
	return i;
}

static void *fake_wq_slot(int ring, uint32_t index)
{
	struct fake_wq *r = &fwq.rings[ring];

	return r->slots + (size_t)(index & r->mask) * r->stride;
}

static struct fake_qp *fake_qp_find(uint32_t handle)
{
	int i;

	for (i = 0; i < FAKE_QPS; i++)
		if (handle && fwq.qps[i].handle == handle)
			return &fwq.qps[i];
	return NULL;
}

static struct sroce_sq_ctrl *fake_sq_ctrl(const struct fake_qp *q)
{
	return (struct sroce_sq_ctrl *)(fwq.rings[q->sq].hdr + 1);
}

static ssize_t fake_create_qp(const struct ib_uverbs_create_qp *cmd, size_t out, size_t len)
{
	const size_t drv_len = sizeof(struct sroce_create_qp_resp);
	struct ib_uverbs_create_qp_resp *core = resp_ptr(cmd->response);
	struct sroce_create_qp_resp *drv;
	uint32_t sq_entries, sq_stride, rq_entries, rq_stride, data;
	struct fake_qp *q = NULL;
	size_t core_len;
	int i;

	/*
	 * libibverbs picks the layout of the legacy write from the uverbs ABI
	 * version it read from sysfs (none here): the core response is the v3
	 * (8 bytes), v4 (28) or current (32) one; the sroce udata follows it.
	 */
	core_len = out - drv_len;
	if (out < drv_len || (core_len != 8 && core_len != 28 && core_len != sizeof(*core))) {
		kern.bad_layout++;
		return kern_fail(EINVAL);
	}
	fwq.qp_core_resp = core_len;
	if (cmd->pd_handle != kern.pd_handle || !fcq.handle || cmd->send_cq_handle != fcq.handle ||
	    cmd->recv_cq_handle != fcq.handle ||
	    (cmd->is_srq && cmd->srq_handle != fwq.srq_handle) ||
	    (cmd->qp_type != IB_UVERBS_QPT_RC && cmd->qp_type != IB_UVERBS_QPT_UD))
		return kern_fail(EINVAL);
	for (i = 0; i < FAKE_QPS && !q; i++)
		if (!fwq.qps[i].handle)
			q = &fwq.qps[i];
	if (!q)
		return kern_fail(ENOMEM);

	memset(q, 0, sizeof(*q));
	q->qp_type = cmd->qp_type;
	q->srq = cmd->is_srq;
	q->rq = -1;
	/* Depths round up to a power of two; SGE counts and inline as asked. */
	q->cap.max_send_sge = cmd->max_send_sge;
	q->cap.max_inline_data = cmd->max_inline_data;
	q->cap.max_recv_sge = q->srq ? 0 : cmd->max_recv_sge;
	sq_entries = pow2_at_least(cmd->max_send_wr, 2);
	data = cmd->max_send_sge * 16 > cmd->max_inline_data ? cmd->max_send_sge * 16 :
	       cmd->max_inline_data;
	sq_stride = pow2_at_least(sizeof(struct sroce_send_wqe) + data, 64);
	q->cap.max_send_wr = core_len >= 28 ? sq_entries : cmd->max_send_wr;

	drv = (void *)((uint8_t *)core + core_len);
	memset(drv, 0, drv_len);
	q->sq = fake_wq_alloc(sq_entries, sq_stride, 192, &drv->sq);
	if (q->sq < 0)
		return kern_fail(ENOMEM);
	fake_sq_ctrl(q)->kernel_idle = 1;
	drv->sq_log2_entries = log2_of(sq_entries);
	drv->sq_log2_stride = log2_of(sq_stride);
	drv->sq_slot_offset = 192;
	if (!q->srq || fwq.corrupt == FAKE_QP_SRQ_WITH_RQ) {
		rq_entries = pow2_at_least(cmd->max_recv_wr, 2);
		rq_stride = pow2_at_least(sizeof(struct sroce_recv_wqe) +
					  cmd->max_recv_sge * 16, 32);
		q->cap.max_recv_wr = q->srq ? 0 : core_len >= 28 ? rq_entries : cmd->max_recv_wr;
		q->rq = fake_wq_alloc(rq_entries, rq_stride, 128, &drv->rq);
		if (q->rq < 0) {
			fake_wq_free(q->sq);
			return kern_fail(ENOMEM);
		}
		drv->rq_log2_entries = log2_of(rq_entries);
		drv->rq_log2_stride = log2_of(rq_stride);
		drv->rq_slot_offset = 128;
	}
	if (fwq.corrupt == FAKE_QP_SMALL_STRIDE)
		drv->sq_log2_stride = log2_of(sq_stride) - 1;
	if (fwq.corrupt == FAKE_QP_NOT_EMPTY)
		fwq.rings[q->sq].hdr->producer++;
	fwq.corrupt = FAKE_QP_OK;

	q->handle = FAKE_QP_HANDLE + (q - fwq.qps);
	q->qpn = FAKE_QPN + (q - fwq.qps);
	q->state = IBV_QPS_RESET;
	memset(core, 0, core_len);
	core->qp_handle = q->handle;
	core->qpn = q->qpn;
	if (core_len >= 28) {
		core->max_send_wr = q->cap.max_send_wr;
		core->max_recv_wr = q->cap.max_recv_wr;
		core->max_send_sge = q->cap.max_send_sge;
		core->max_recv_sge = q->cap.max_recv_sge;
		core->max_inline_data = q->cap.max_inline_data;
	}
	return len;
}

static ssize_t fake_create_srq(const struct ib_uverbs_create_srq *cmd, size_t out, size_t len)
{
	const size_t drv_len = sizeof(struct sroce_create_srq_resp);
	struct ib_uverbs_create_srq_resp *core = resp_ptr(cmd->response);
	struct sroce_create_srq_resp *drv;
	uint32_t entries, stride;
	size_t core_len;

	/* As for CREATE_QP: the v5 (4 bytes) or current (16) core response. */
	core_len = out - drv_len;
	if (out < drv_len || (core_len != 4 && core_len != sizeof(*core))) {
		kern.bad_layout++;
		return kern_fail(EINVAL);
	}
	fwq.srq_core_resp = core_len;
	if (fwq.srq_handle)
		return kern_fail(ENOMEM);
	if (cmd->pd_handle != kern.pd_handle || !cmd->max_wr)
		return kern_fail(EINVAL);

	entries = pow2_at_least(cmd->max_wr, 2);
	stride = pow2_at_least(sizeof(struct sroce_recv_wqe) + cmd->max_sge * 16, 32);
	drv = (void *)((uint8_t *)core + core_len);
	memset(drv, 0, drv_len);
	fwq.srq_ring = fake_wq_alloc(entries, stride, 128, &drv->rq);
	if (fwq.srq_ring < 0)
		return kern_fail(ENOMEM);
	drv->log2_entries = log2_of(entries);
	drv->log2_stride = log2_of(stride);
	drv->slot_offset = 128;
	drv->srqn = 0x77;
	fwq.srq_handle = 0x60;
	fwq.srq_max_wr = core_len >= sizeof(*core) ? entries : cmd->max_wr;
	fwq.srq_max_sge = cmd->max_sge;
	fwq.srq_limit = cmd->srq_limit;
	memset(core, 0, core_len);
	core->srq_handle = fwq.srq_handle;
	if (core_len >= sizeof(*core)) {
		core->max_wr = fwq.srq_max_wr;
		core->max_sge = fwq.srq_max_sge;
		core->srqn = drv->srqn;
	}
	return len;
}

/* The write commands of QPs, SRQs and AHs; in/out are byte counts. */
static ssize_t fake_wq_write(const struct ib_uverbs_cmd_hdr *hdr, size_t in, size_t out,
			     size_t len)
{
	const void *payload = hdr + 1;
	struct fake_qp *q;

	switch (hdr->command) {
	case IB_USER_VERBS_CMD_CREATE_QP:
		if (in != sizeof(*hdr) + sizeof(struct ib_uverbs_create_qp))
			goto bad_layout;
		return fake_create_qp(payload, out, len);
	case IB_USER_VERBS_CMD_MODIFY_QP: {
		const struct ib_uverbs_modify_qp *cmd = payload;

		if (in != sizeof(*hdr) + sizeof(*cmd))
			goto bad_layout;
		q = fake_qp_find(cmd->qp_handle);
		if (!q)
			return kern_fail(EINVAL);
		q->modify_mask = cmd->attr_mask;
		if (cmd->attr_mask & IBV_QP_STATE)
			q->state = cmd->qp_state;
		if (cmd->attr_mask & IBV_QP_DEST_QPN)
			q->dest_qpn = cmd->dest_qp_num;
		return len;
	}
	case IB_USER_VERBS_CMD_QUERY_QP: {
		const struct ib_uverbs_query_qp *cmd = payload;
		struct ib_uverbs_query_qp_resp *resp = resp_ptr(cmd->response);

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		q = fake_qp_find(cmd->qp_handle);
		if (!q)
			return kern_fail(EINVAL);
		memset(resp, 0, sizeof(*resp));
		resp->qp_state = q->state;
		resp->dest_qp_num = q->dest_qpn;
		resp->max_send_wr = q->cap.max_send_wr;
		resp->max_recv_wr = q->cap.max_recv_wr;
		resp->max_send_sge = q->cap.max_send_sge;
		resp->max_recv_sge = q->cap.max_recv_sge;
		resp->max_inline_data = q->cap.max_inline_data;
		return len;
	}
	case IB_USER_VERBS_CMD_DESTROY_QP: {
		const struct ib_uverbs_destroy_qp *cmd = payload;
		struct ib_uverbs_destroy_qp_resp *resp = resp_ptr(cmd->response);

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		q = fake_qp_find(cmd->qp_handle);
		if (!q)
			return kern_fail(EINVAL);
		resp->events_reported = 0;
		fake_wq_free(q->sq);
		fake_wq_free(q->rq);
		memset(q, 0, sizeof(*q));
		fwq.destroyed_qps++;
		return len;
	}
	case IB_USER_VERBS_CMD_POST_SEND: {
		const struct ib_uverbs_post_send *cmd = payload;
		struct ib_uverbs_post_send_resp *resp = resp_ptr(cmd->response);

		/* Only the doorbell form: no work requests in the command. */
		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp) || cmd->wr_count ||
		    cmd->sge_count || cmd->wqe_size < sizeof(struct ib_uverbs_send_wr)) {
			fwq.bad_doorbells++;
			goto bad_layout;
		}
		q = fake_qp_find(cmd->qp_handle);
		if (!q)
			return kern_fail(EINVAL);
		q->doorbells++;
		resp->bad_wr = 0;
		return len;
	}
	case IB_USER_VERBS_CMD_CREATE_SRQ:
		if (in != sizeof(*hdr) + sizeof(struct ib_uverbs_create_srq))
			goto bad_layout;
		return fake_create_srq(payload, out, len);
	case IB_USER_VERBS_CMD_MODIFY_SRQ: {
		const struct ib_uverbs_modify_srq *cmd = payload;

		if (in != sizeof(*hdr) + sizeof(*cmd))
			goto bad_layout;
		if (!fwq.srq_handle || cmd->srq_handle != fwq.srq_handle)
			return kern_fail(EINVAL);
		fwq.srq_modify_mask = cmd->attr_mask;
		if (cmd->attr_mask & IBV_SRQ_LIMIT)
			fwq.srq_limit = cmd->srq_limit;
		return len;
	}
	case IB_USER_VERBS_CMD_QUERY_SRQ: {
		const struct ib_uverbs_query_srq *cmd = payload;
		struct ib_uverbs_query_srq_resp *resp = resp_ptr(cmd->response);

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		if (!fwq.srq_handle || cmd->srq_handle != fwq.srq_handle)
			return kern_fail(EINVAL);
		memset(resp, 0, sizeof(*resp));
		resp->max_wr = fwq.srq_max_wr;
		resp->max_sge = fwq.srq_max_sge;
		resp->srq_limit = fwq.srq_limit;
		return len;
	}
	case IB_USER_VERBS_CMD_DESTROY_SRQ: {
		const struct ib_uverbs_destroy_srq *cmd = payload;
		struct ib_uverbs_destroy_srq_resp *resp = resp_ptr(cmd->response);

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		if (!fwq.srq_handle || cmd->srq_handle != fwq.srq_handle)
			return kern_fail(EINVAL);
		resp->events_reported = 0;
		fake_wq_free(fwq.srq_ring);
		fwq.srq_ring = -1;
		fwq.srq_handle = 0;
		return len;
	}
	case IB_USER_VERBS_CMD_CREATE_AH: {
		const struct ib_uverbs_create_ah *cmd = payload;
		struct sroce_create_ah_resp_full *resp = resp_ptr(cmd->response);
		int i;

		if (in != sizeof(*hdr) + sizeof(*cmd) || out != sizeof(*resp))
			goto bad_layout;
		if (cmd->pd_handle != kern.pd_handle || !cmd->attr.is_global)
			return kern_fail(EINVAL);
		for (i = 0; i < FAKE_AHS && fwq.ah_live[i]; i++)
			;
		if (i == FAKE_AHS)
			return kern_fail(ENOMEM);
		fwq.ah_live[i] = true;
		fwq.ah_port = cmd->attr.port_num;
		fwq.ah_sgid_index = cmd->attr.grh.sgid_index;
		memcpy(fwq.ah_dgid.raw, cmd->attr.grh.dgid, 16);
		resp->ibv_resp.ah_handle = i + 1;
		resp->drv.ah_num = FAKE_AH_NUM + i;
		resp->drv.reserved = 0;
		return len;
	}
	case IB_USER_VERBS_CMD_DESTROY_AH: {
		const struct ib_uverbs_destroy_ah *cmd = payload;

		if (in != sizeof(*hdr) + sizeof(*cmd))
			goto bad_layout;
		if (!cmd->ah_handle || cmd->ah_handle > FAKE_AHS ||
		    !fwq.ah_live[cmd->ah_handle - 1])
			return kern_fail(EINVAL);
		fwq.ah_live[cmd->ah_handle - 1] = false;
		return len;
	}
	default:
		return kern_fail(EOPNOTSUPP);
	}

bad_layout:
	kern.bad_layout++;
	return kern_fail(EINVAL);
}

/* The provider maps WQ rings from the command fd: hand it the memfd. */
static void *fake_wq_mmap(void *addr, size_t len, int prot, int flags, off_t off)
{
	struct fake_wq *r;
	long i;

	i = off / FAKE_WQ_OFF - 1;
	if (off % FAKE_WQ_OFF || i < 0 || i >= FAKE_WQ_RINGS || fwq.rings[i].memfd < 0 ||
	    len > fwq.rings[i].size) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = &fwq.rings[i];
	r->user_addr = (void *)syscall(SYS_mmap, addr, len, prot, flags, r->memfd, 0);
	return r->user_addr;
}

static ssize_t kern_ex_write(const struct ib_uverbs_cmd_hdr *hdr, size_t len)
{
	const struct ib_uverbs_ex_cmd_hdr *ex = (const void *)(hdr + 1);
	struct ib_uverbs_ex_query_device_resp *resp;
	size_t out = hdr->out_words * 8;

	if ((hdr->command & IB_USER_VERBS_CMD_COMMAND_MASK) == IB_USER_VERBS_EX_CMD_CREATE_CQ)
		return fake_cq_ex_write(hdr, len);
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
	resp->base.max_qp_wr = FAKE_MAX_QP_WR;
	resp->base.max_sge = FAKE_MAX_SGE;
	resp->base.max_srq = 4;
	resp->base.max_srq_wr = FAKE_MAX_SRQ_WR;
	resp->base.max_srq_sge = FAKE_MAX_SRQ_SGE;
	resp->base.device_cap_flags = FAKE_CAP_FLAGS;
	if (out >= offsetof(typeof(*resp), device_cap_flags_ex) + 8)
		resp->device_cap_flags_ex = FAKE_CAP_FLAGS;
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
		resp->max_qp_wr = FAKE_MAX_QP_WR;
		resp->max_sge = FAKE_MAX_SGE;
		resp->max_srq = 4;
		resp->max_srq_wr = FAKE_MAX_SRQ_WR;
		resp->max_srq_sge = FAKE_MAX_SRQ_SGE;
		resp->device_cap_flags = FAKE_CAP_FLAGS;
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
	case IB_USER_VERBS_CMD_CREATE_CQ:
	case IB_USER_VERBS_CMD_RESIZE_CQ:
	case IB_USER_VERBS_CMD_REQ_NOTIFY_CQ:
	case IB_USER_VERBS_CMD_DESTROY_CQ:
		return fake_cq_write(hdr, in, out, len);
	case IB_USER_VERBS_CMD_CREATE_QP:
	case IB_USER_VERBS_CMD_MODIFY_QP:
	case IB_USER_VERBS_CMD_QUERY_QP:
	case IB_USER_VERBS_CMD_DESTROY_QP:
	case IB_USER_VERBS_CMD_POST_SEND:
	case IB_USER_VERBS_CMD_CREATE_SRQ:
	case IB_USER_VERBS_CMD_MODIFY_SRQ:
	case IB_USER_VERBS_CMD_QUERY_SRQ:
	case IB_USER_VERBS_CMD_DESTROY_SRQ:
	case IB_USER_VERBS_CMD_CREATE_AH:
	case IB_USER_VERBS_CMD_DESTROY_AH:
		return fake_wq_write(hdr, in, out, len);
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

/* The provider maps rings from the command fd: hand it the fake's memfd. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fake_ring *r;
	long i;

	if (kern.fd < 0 || fd != kern.fd)
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	if (off >= FAKE_WQ_OFF)
		return fake_wq_mmap(addr, len, prot, flags, off);
	i = off / FAKE_CQ_OFF - 1;
	if (off % FAKE_CQ_OFF || i < 0 || i >= FAKE_CQ_RINGS || fcq.rings[i].memfd < 0 ||
	    len > fcq.rings[i].size) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = &fcq.rings[i];
	r->user_addr = (void *)syscall(SYS_mmap, addr, len, prot, flags, r->memfd, 0);
	return r->user_addr;
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

/*
 * The ops table the provider hands libibverbs.  The test opens contexts by
 * calling alloc_context itself, so libibverbs' verbs_open_device() does not
 * run and the entry points it adds (such as vctx->create_cq_ex) are missing;
 * test_cq() puts back the one it needs from this table.
 */
static const struct verbs_context_ops *set_ops;

void verbs_set_ops(struct verbs_context *vctx, const struct verbs_context_ops *ops)
{
	void (*real)(struct verbs_context *vctx, const struct verbs_context_ops *ops);

	set_ops = ops;
	real = dlvsym(RTLD_NEXT, "verbs_set_ops", "IBVERBS_PRIVATE_34");
	if (real)
		real(vctx, ops);
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
	expect(!ret && dattr_ex.orig_attr.device_cap_flags ==
			       (FAKE_CAP_FLAGS & ~IBV_DEVICE_MEM_MGT_EXTENSIONS) &&
	       dattr_ex.device_cap_flags_ex ==
			       (FAKE_CAP_FLAGS & ~IBV_DEVICE_MEM_MGT_EXTENSIONS),
	       "ibv_query_device_ex: the kernel's fast-registration flag is hidden");
	ret = ibv_query_device(ctx, &dattr);
	expect(!ret && dattr.vendor_id == FAKE_VENDOR_ID && !strcmp(dattr.fw_ver, "1.2.3"),
	       "ibv_query_device (legacy QUERY_DEVICE) reaches query_device_ex");
	expect(!ret && dattr.device_cap_flags ==
			       (FAKE_CAP_FLAGS & ~IBV_DEVICE_MEM_MGT_EXTENSIONS),
	       "ibv_query_device: the kernel's fast-registration flag is hidden");

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
	expect(!ibv_alloc_td(ctx, &(struct ibv_td_init_attr){}) && errno == EOPNOTSUPP &&
	       cmds == kern.cmds, "unimplemented op (alloc_td) is EOPNOTSUPP without a command");

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

/* ---- CQs: create, poll from the ring, extended poll, resize, destroy ---- */

/* Completion number @n as the fake kernel writes it; kernel ib_wc_flags. */
static void cqe_of(struct sroce_cqe *cqe, uint32_t n, uint32_t kflags)
{
	memset(cqe, 0, sizeof(*cqe));
	cqe->wr_id = 0xc0ffee00000000ULL + n;
	cqe->status = n % 7 == 6 ? IBV_WC_REM_ACCESS_ERR : IBV_WC_SUCCESS;
	cqe->opcode = n & 1 ? IBV_WC_RECV : IBV_WC_RDMA_WRITE;
	cqe->vendor_err = n % 7 == 6 ? 0x42 : 0;
	cqe->byte_len = n * 100;
	cqe->imm_data = htobe32(n | 0x5a000000);
	cqe->qp_num = 0x11 + n;
	cqe->src_qp = 0x22 + n;
	cqe->wc_flags = kflags;
	cqe->pkey_index = 0;
	cqe->slid = 0x33 + n;
	cqe->sl = n & 7;
	cqe->dlid_path_bits = n & 0x7f;
	cqe->vlan_id = 0x100 + n;
}

static int post_n(uint32_t first, int count)
{
	struct sroce_cqe cqe;
	int i;

	for (i = 0; i < count; i++) {
		cqe_of(&cqe, first + i, 0);
		if (fake_cq_post(&cqe))
			break;
	}
	return i;
}

static int wc_is(const struct ibv_wc *wc, uint32_t n)
{
	struct sroce_cqe want;

	cqe_of(&want, n, 0);
	return wc->wr_id == want.wr_id && wc->status == want.status &&
	       wc->opcode == want.opcode && wc->vendor_err == want.vendor_err &&
	       wc->byte_len == want.byte_len && wc->imm_data == want.imm_data &&
	       wc->qp_num == want.qp_num && wc->src_qp == want.src_qp && !wc->wc_flags &&
	       wc->slid == want.slid && wc->sl == want.sl &&
	       wc->dlid_path_bits == want.dlid_path_bits;
}

/* Poll @count completions in batches of @batch, expect @first, @first + 1... */
static int poll_expect(struct ibv_cq *cq, uint32_t first, int count, int batch)
{
	struct ibv_wc wc[16];
	int got = 0, n, i;

	while (got < count) {
		n = ibv_poll_cq(cq, batch, wc);
		if (n <= 0)
			return got;
		for (i = 0; i < n; i++)
			if (!wc_is(&wc[i], first + got + i))
				return -1;
		got += n;
	}
	return got;
}

static int unmapped(const void *addr, size_t len)
{
	return addr && msync((void *)addr, len, MS_ASYNC) && errno == ENOMEM;
}

static uint32_t ring_consumer(void)
{
	return __atomic_load_n(&fcq.rings[fcq.ring].hdr->consumer, __ATOMIC_ACQUIRE);
}

static void test_cq_basic(struct ibv_context *ctx)
{
	static const struct {
		uint32_t kflags;
		unsigned int want;
	} flags[] = {
		{ 0x1, IBV_WC_GRH }, { 0x2, IBV_WC_WITH_IMM }, { 0x4, IBV_WC_WITH_INV },
		{ 0x8, IBV_WC_IP_CSUM_OK }, { 0x70, 0 }, { 0xf, IBV_WC_GRH | IBV_WC_WITH_IMM |
		IBV_WC_WITH_INV | IBV_WC_IP_CSUM_OK },
	};
	struct fake_ring *first;
	struct sroce_cqe cqe;
	void *user_addr;
	size_t user_size;
	struct ibv_wc wc[16];
	struct ibv_cq *cq;
	unsigned int i;
	int ok;

	cq = ibv_create_cq(ctx, 10, NULL, NULL, 0);
	expect(cq && cq->cqe == 15 && cq->handle == 0x20 && !kern.bad_layout,
	       "ibv_create_cq: CREATE_CQ with sroce udata, 15 entries for 10");
	if (!cq)
		return;
	first = &fcq.rings[fcq.ring];
	expect(first->user_addr && first->user_addr != (void *)first->hdr,
	       "create_cq maps the ring from the command fd");
	expect(ibv_poll_cq(cq, 16, wc) == 0 && ibv_poll_cq(cq, 0, wc) == 0,
	       "poll of an empty CQ returns 0");

	expect(post_n(1, 3) == 3 && poll_expect(cq, 1, 2, 2) == 2 && ring_consumer() == 2,
	       "poll returns the oldest entries, publishes the consumer index");
	expect(poll_expect(cq, 3, 1, 16) == 1 && ibv_poll_cq(cq, 16, wc) == 0,
	       "poll stops at the producer index");
	expect(post_n(4, 20) == 15 && poll_expect(cq, 4, 15, 4) == 15,
	       "a full ring (15 entries) polls back in order");

	fake_cq_set_index(0xfffffffa);
	expect(post_n(100, 12) == 12 && poll_expect(cq, 100, 12, 5) == 12 &&
	       ring_consumer() == 6, "indices wrap at 2^32");

	ok = 1;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cqe_of(&cqe, 0, flags[i].kflags);
		ok &= !fake_cq_post(&cqe) && ibv_poll_cq(cq, 1, wc) == 1 &&
		      wc[0].wc_flags == flags[i].want;
	}
	expect(ok, "wc_flags: kernel ib_wc_flags become ibv_wc_flags");

	/* The kernel's indices are garbage (a removed device): no entries. */
	fcq.rings[fcq.ring].hdr->producer = ring_consumer() + 1000;
	expect(ibv_poll_cq(cq, 16, wc) == 0, "poll ignores an impossible producer index");
	fake_cq_set_index(0);

	expect(!ibv_req_notify_cq(cq, 0) && fcq.notify_calls == 1 && !fcq.notify_solicited &&
	       !ibv_req_notify_cq(cq, 1) && fcq.notify_calls == 2 && fcq.notify_solicited,
	       "ibv_req_notify_cq sends REQ_NOTIFY_CQ (next / solicited only)");

	/* Resize with completions waiting: they move to the new ring. */
	expect(post_n(200, 5) == 5 && poll_expect(cq, 200, 1, 1) == 1 &&
	       !ibv_resize_cq(cq, 100) && cq->cqe == 127 && !kern.bad_layout,
	       "ibv_resize_cq: RESIZE_CQ, cqe from the kernel");
	expect(unmapped(first->user_addr, first->size) && fcq.rings[fcq.ring].user_addr,
	       "resize unmaps the old ring and maps the new one");
	expect(poll_expect(cq, 201, 4, 3) == 4 && post_n(205, 127) == 127 &&
	       poll_expect(cq, 205, 127, 16) == 127,
	       "the new ring holds the old entries, then 127");
	expect(post_n(400, 3) == 3 && ibv_resize_cq(cq, 2) == EINVAL && cq->cqe == 127 &&
	       poll_expect(cq, 400, 3, 16) == 3, "a failed resize leaves the CQ as it was");

	user_addr = fcq.rings[fcq.ring].user_addr;
	user_size = fcq.rings[fcq.ring].size;
	expect(!ibv_destroy_cq(cq) && !fcq.handle && unmapped(user_addr, user_size),
	       "ibv_destroy_cq: DESTROY_CQ, ring unmapped");
}

static void test_cq_ex(struct ibv_context *ctx)
{
	struct ibv_cq_init_attr_ex attr = {
		.cqe = 7,
		.wc_flags = IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_CVLAN,
	};
	struct ibv_poll_cq_attr pattr = {};
	static const uint64_t refused[] = {
		IBV_WC_EX_WITH_COMPLETION_TIMESTAMP, IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK,
		IBV_WC_EX_WITH_FLOW_TAG, IBV_WC_EX_WITH_TM_INFO,
	};
	struct sroce_cqe want;
	struct ibv_cq_ex *cq;
	unsigned int cmds, i;
	int ok, n;

	ok = 1;
	cmds = kern.cmds;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct ibv_cq_init_attr_ex bad = attr;

		bad.wc_flags |= refused[i];
		errno = 0;
		ok &= !ibv_create_cq_ex(ctx, &bad) && errno == EOPNOTSUPP;
	}
	expect(ok && cmds == kern.cmds,
	       "create_cq_ex refuses timestamps, flow tags, TM info without a command");

	ok = 1;
	{
		struct ibv_cq_init_attr_ex bad = attr;

		bad.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
		bad.flags = IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN;
		errno = 0;
		ok &= !ibv_create_cq_ex(ctx, &bad) && errno == EOPNOTSUPP;
		bad.comp_mask = IBV_CQ_INIT_ATTR_MASK_PD;
		errno = 0;
		ok &= !ibv_create_cq_ex(ctx, &bad) && errno == EOPNOTSUPP;
	}
	expect(ok && cmds == kern.cmds, "create_cq_ex refuses IGNORE_OVERRUN and parent domains");

	attr.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
	attr.flags = IBV_CREATE_CQ_ATTR_SINGLE_THREADED;
	cq = ibv_create_cq_ex(ctx, &attr);
	expect(cq && ibv_cq_ex_to_cq(cq)->cqe == 7 && !kern.bad_layout,
	       "ibv_create_cq_ex: standard wc_flags + CVLAN, single-threaded");
	if (!cq)
		return;

	expect(ibv_start_poll(cq, &pattr) == ENOENT, "start_poll on an empty CQ: ENOENT");
	pattr.comp_mask = 1;
	expect(ibv_start_poll(cq, &pattr) == EINVAL, "start_poll with an unknown comp_mask");
	pattr.comp_mask = 0;

	post_n(0, 7);
	ok = !ibv_start_poll(cq, &pattr);
	for (n = 0; ok; n++) {
		cqe_of(&want, n, 0);
		ok = cq->wr_id == want.wr_id && cq->status == want.status &&
		     ibv_wc_read_opcode(cq) == want.opcode &&
		     ibv_wc_read_vendor_err(cq) == want.vendor_err &&
		     ibv_wc_read_byte_len(cq) == want.byte_len &&
		     ibv_wc_read_imm_data(cq) == want.imm_data &&
		     ibv_wc_read_qp_num(cq) == want.qp_num &&
		     ibv_wc_read_src_qp(cq) == want.src_qp && !ibv_wc_read_wc_flags(cq) &&
		     ibv_wc_read_slid(cq) == want.slid && ibv_wc_read_sl(cq) == want.sl &&
		     ibv_wc_read_dlid_path_bits(cq) == want.dlid_path_bits &&
		     ibv_wc_read_cvlan(cq) == want.vlan_id;
		if (!ok)
			break;
		if (n == 2) {
			/* Stop after the third entry. */
			ibv_end_poll(cq);
			break;
		}
		ok = ibv_next_poll(cq) == 0;
	}
	expect(ok && n == 2 && ring_consumer() == 3,
	       "extended poll reads every field; end_poll consumes what was read");

	ok = !ibv_start_poll(cq, &pattr) && cq->wr_id == 0xc0ffee00000003ULL;
	for (n = 3; ok && !ibv_next_poll(cq); n++)
		;
	ibv_end_poll(cq);
	expect(ok && n == 6 && ring_consumer() == 7 &&
	       ibv_poll_cq(ibv_cq_ex_to_cq(cq), 1, &(struct ibv_wc){}) == 0,
	       "next_poll runs to ENOENT; the ring is empty after end_poll");

	expect(!ibv_destroy_cq(ibv_cq_ex_to_cq(cq)) && !fcq.handle, "destroy of an extended CQ");
}

static void test_cq_errors(struct ibv_context *ctx)
{
	unsigned int cmds;
	struct ibv_cq *cq;

	errno = 0;
	cq = ibv_create_cq(ctx, 70000, NULL, NULL, 0);
	expect(!cq && errno == EINVAL, "create_cq passes the kernel's EINVAL through");

	/* A response the provider cannot map: the kernel CQ is destroyed. */
	fcq.bad_log2 = 40;
	cmds = kern.cmds;
	errno = 0;
	cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	expect(!cq && errno == EPROTO && kern.cmds == cmds + 2 && !fcq.handle,
	       "create_cq with an impossible ring: EPROTO, CQ destroyed");
	fcq.bad_log2 = 0;
}

static void test_cq(struct verbs_device *vdev)
{
	struct ibv_context *ctx;

	fake_cq_init();
	ctx = open_ctx(vdev, SROCE_UVERBS_ABI_VERSION, 0);
	expect(ctx && set_ops && set_ops->create_cq && set_ops->create_cq_ex &&
	       set_ops->destroy_cq && set_ops->poll_cq && set_ops->req_notify_cq &&
	       set_ops->resize_cq && !set_ops->cq_event && !set_ops->modify_cq,
	       "ops: create_cq(_ex), destroy_cq, poll_cq, req_notify_cq, resize_cq");
	if (!ctx)
		return;
	/* What verbs_open_device() would add (it also runs verbs_init_cq()). */
	if (set_ops)
		verbs_get_ctx(ctx)->create_cq_ex = set_ops->create_cq_ex;
	test_cq_basic(ctx);
	test_cq_ex(ctx);
	test_cq_errors(ctx);
	ibv_close_device(ctx);
	kern.fd = -1;
}

/* ---- QPs, SRQs and AHs: create, post into the rings, doorbells, destroy ---- */

struct wq_env {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
};

/* A send WQE as uapi/sroce-abi.h says it must read: header, then data. */
struct want_wqe {
	struct sroce_send_wqe hdr;
	union {
		struct sroce_sge sge[FAKE_MAX_SGE];
		uint8_t bytes[256];
	} data;
	size_t data_len;
};

static void want_init(struct want_wqe *w, uint64_t wr_id, uint32_t opcode, uint32_t flags)
{
	memset(w, 0, sizeof(*w));
	w->hdr.wr_id = wr_id;
	w->hdr.opcode = opcode;
	w->hdr.send_flags = flags;
}

static void want_sges(struct want_wqe *w, const struct ibv_sge *sg, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		w->data.sge[i].addr = sg[i].addr;
		w->data.sge[i].length = sg[i].length;
		w->data.sge[i].lkey = sg[i].lkey;
	}
	w->hdr.num_sge = n;
	w->data_len = n * sizeof(struct sroce_sge);
}

static void want_inline(struct want_wqe *w, const void *bytes, size_t n)
{
	memcpy(w->data.bytes + w->data_len, bytes, n);
	w->data_len += n;
	w->hdr.num_sge = w->data_len;
	w->hdr.send_flags |= IBV_SEND_INLINE;
}

static void want_rdma(struct want_wqe *w, uint64_t addr, uint32_t rkey)
{
	w->hdr.wr.rdma.remote_addr = addr;
	w->hdr.wr.rdma.rkey = rkey;
}

static void want_atomic(struct want_wqe *w, uint64_t addr, uint32_t rkey, uint64_t cmp_add,
			uint64_t swap)
{
	w->hdr.wr.atomic.remote_addr = addr;
	w->hdr.wr.atomic.rkey = rkey;
	w->hdr.wr.atomic.compare_add = cmp_add;
	w->hdr.wr.atomic.swap = swap;
}

static int wqe_is(int ring, uint32_t index, const struct want_wqe *w)
{
	const uint8_t *slot = fake_wq_slot(ring, index);

	return !memcmp(slot, &w->hdr, sizeof(w->hdr)) &&
	       !memcmp(slot + sizeof(w->hdr), &w->data, w->data_len);
}

static uint32_t ring_prod(int ring)
{
	return __atomic_load_n(&fwq.rings[ring].hdr->producer, __ATOMIC_ACQUIRE);
}

static uint32_t ring_cons(int ring)
{
	return __atomic_load_n(&fwq.rings[ring].hdr->consumer, __ATOMIC_ACQUIRE);
}

/* The fake kernel is done with @n more WQEs of @ring. */
static void ring_consume(int ring, uint32_t n)
{
	__atomic_store_n(&fwq.rings[ring].hdr->consumer, ring_cons(ring) + n, __ATOMIC_RELEASE);
}

static void set_kernel_idle(const struct fake_qp *q, uint32_t idle)
{
	__atomic_store_n(&fake_sq_ctrl(q)->kernel_idle, idle, __ATOMIC_SEQ_CST);
}

static struct ibv_qp *new_qp(struct wq_env *e, enum ibv_qp_type type, struct ibv_srq *srq,
			     uint32_t depth, struct ibv_qp_cap *cap)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.srq = srq,
		.qp_type = type,
		.cap = {
			.max_send_wr = depth,
			.max_recv_wr = depth,
			.max_send_sge = 2,
			.max_recv_sge = 2,
			.max_inline_data = 64,
		},
	};
	struct ibv_qp *qp;

	qp = ibv_create_qp(e->pd, &attr);
	if (qp && cap)
		*cap = attr.cap;
	return qp;
}

static int to_rts(struct ibv_qp *qp)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qkey = 0x11111111,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	int ud = qp->qp_type == IBV_QPT_UD;
	int ret;

	ret = ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			    (ud ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS));
	attr.qp_state = IBV_QPS_RTR;
	attr.dest_qp_num = 0x222;
	attr.path_mtu = IBV_MTU_1024;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.port_num = 1;
	attr.max_dest_rd_atomic = 1;
	attr.min_rnr_timer = 12;
	ret = ret ? ret : ibv_modify_qp(qp, &attr, ud ? IBV_QP_STATE : IBV_QP_STATE | IBV_QP_AV |
			 IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			 IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	attr.qp_state = IBV_QPS_RTS;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 1;
	ret = ret ? ret : ibv_modify_qp(qp, &attr, ud ? IBV_QP_STATE | IBV_QP_SQ_PSN :
			 IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			 IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	return ret;
}

static uint8_t payload[256];

/* Post one send WR, expect success and the WQE at @index of the SQ ring. */
static int post_one(struct ibv_qp *qp, struct ibv_send_wr *wr, int ring, uint32_t index,
		    const struct want_wqe *w)
{
	struct ibv_send_wr *bad = wr;

	return !ibv_post_send(qp, wr, &bad) && !bad && ring_prod(ring) == index + 1 &&
	       wqe_is(ring, index, w);
}

static void test_qp_rc_send(struct wq_env *e)
{
	struct ibv_sge sge[3] = {
		{ .addr = 0x1000, .length = 100, .lkey = 0x21 },
		{ .addr = 0x2008, .length = 8, .lkey = 0x22 },
		{ .addr = 0x3000, .length = 1, .lkey = 0x23 },
	};
	struct ibv_send_wr wr, wr2, *bad;
	struct ibv_qp_cap cap;
	struct want_wqe w;
	struct fake_qp *q;
	struct ibv_qp *qp;
	uint32_t p, i;
	unsigned int cmds;
	int ok;

	qp = new_qp(e, IBV_QPT_RC, NULL, 7, &cap);
	expect(qp && !kern.bad_layout && qp->qp_num == FAKE_QPN && cap.max_send_wr >= 7 &&
	       cap.max_send_sge == 2 && cap.max_inline_data == 64,
	       "ibv_create_qp (RC): CREATE_QP with sroce udata, caps granted");
	if (!qp)
		return;
	printf("# CREATE_QP: legacy write, %u-byte core response\n", fwq.qp_core_resp);
	q = fake_qp_find(qp->handle);
	expect(q && fwq.rings[q->sq].user_addr && fwq.rings[q->rq].user_addr &&
	       fwq.rings[q->sq].user_addr != (void *)fwq.rings[q->sq].hdr,
	       "create_qp maps the SQ and RQ rings from the command fd");
	if (!q)
		return;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = 0x5e4d;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = sge;
	wr.num_sge = 2;
	p = ring_prod(q->sq);
	bad = NULL;
	expect(ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr && ring_prod(q->sq) == p &&
	       !q->doorbells, "post_send on a QP in RESET: EINVAL, nothing queued");

	expect(!to_rts(qp) && q->state == IBV_QPS_RTS && qp->state == IBV_QPS_RTS &&
	       (q->modify_mask & IBV_QP_SQ_PSN) && !kern.bad_layout,
	       "ibv_modify_qp: MODIFY_QP to INIT, RTR, RTS");

	/* SEND, 2 SGEs, requester idle: WQE, producer, one doorbell. */
	want_init(&w, 0x5e4d, IB_UVERBS_WR_SEND, IBV_SEND_SIGNALED);
	want_sges(&w, sge, 2);
	expect(post_one(qp, &wr, q->sq, p, &w) && q->doorbells == 1 && ring_cons(q->sq) == p,
	       "SEND: header and SGEs as the ABI says, producer published, doorbell");

	set_kernel_idle(q, 0);
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = IBV_SEND_FENCE | IBV_SEND_SOLICITED;
	wr.wr.rdma.remote_addr = 0xabcdef0123ULL;
	wr.wr.rdma.rkey = 0x77;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_RDMA_WRITE, IBV_SEND_FENCE | IBV_SEND_SOLICITED);
	want_sges(&w, sge, 2);
	want_rdma(&w, 0xabcdef0123ULL, 0x77);
	expect(post_one(qp, &wr, q->sq, p + 1, &w) && q->doorbells == 1,
	       "RDMA_WRITE with the requester busy: queued, no doorbell");

	wr.opcode = IBV_WR_RDMA_WRITE_WITH_IMM;
	wr.imm_data = htobe32(0x1234);
	wr.send_flags = 0;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_RDMA_WRITE_WITH_IMM, 0);
	want_sges(&w, sge, 2);
	want_rdma(&w, 0xabcdef0123ULL, 0x77);
	w.hdr.imm_data = htobe32(0x1234);
	ok = post_one(qp, &wr, q->sq, p + 2, &w);

	wr.opcode = IBV_WR_RDMA_READ;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_RDMA_READ, 0);
	want_sges(&w, sge, 2);
	want_rdma(&w, 0xabcdef0123ULL, 0x77);
	ok &= post_one(qp, &wr, q->sq, p + 3, &w);

	wr.opcode = IBV_WR_SEND_WITH_IMM;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_SEND_WITH_IMM, 0);
	want_sges(&w, sge, 2);
	w.hdr.imm_data = htobe32(0x1234);
	ok &= post_one(qp, &wr, q->sq, p + 4, &w);
	expect(ok && q->doorbells == 1, "RDMA_WRITE_WITH_IMM, RDMA_READ, SEND_WITH_IMM WQEs");

	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.sg_list = &sge[1];
	wr.num_sge = 1;
	wr.wr.atomic.remote_addr = 0x8000;
	wr.wr.atomic.compare_add = 5;
	wr.wr.atomic.swap = 6;
	wr.wr.atomic.rkey = 0x78;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, 0);
	want_sges(&w, &sge[1], 1);
	want_atomic(&w, 0x8000, 0x78, 5, 6);
	ok = post_one(qp, &wr, q->sq, p + 5, &w);
	wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD, 0);
	want_sges(&w, &sge[1], 1);
	want_atomic(&w, 0x8000, 0x78, 5, 0);
	ok &= post_one(qp, &wr, q->sq, p + 6, &w);
	expect(ok, "ATOMIC_CMP_AND_SWP and ATOMIC_FETCH_AND_ADD WQEs (no swap for fetch-add)");

	/* The kernel finished all 7; inline SEND of two buffers into slot 7. */
	ring_consume(q->sq, 7);
	set_kernel_idle(q, 1);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7 + 1;
	sge[0].addr = (uintptr_t)payload;
	sge[0].length = 10;
	sge[1].addr = (uintptr_t)payload + 100;
	sge[1].length = 54;
	wr.opcode = IBV_WR_SEND;
	wr.sg_list = sge;
	wr.num_sge = 2;
	wr.send_flags = IBV_SEND_INLINE;
	want_init(&w, 0x5e4d, IB_UVERBS_WR_SEND, 0);
	want_inline(&w, payload, 10);
	want_inline(&w, payload + 100, 54);
	expect(post_one(qp, &wr, q->sq, p + 7, &w) && q->doorbells == 2,
	       "inline SEND: 64 bytes copied after the header, num_sge is the byte count");

	/* Invalid requests: each refused alone, nothing queued, no doorbell. */
	p = ring_prod(q->sq);
	cmds = kern.cmds;
	ok = 1;
	sge[1].length = 55;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr;
	wr.opcode = IBV_WR_RDMA_READ;
	sge[1].length = 1;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr;
	wr.send_flags = 0;
	wr.num_sge = 3;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_IP_CSUM;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr;
	expect(ok && ring_prod(q->sq) == p && kern.cmds == cmds,
	       "inline over max_inline_data, inline READ, SGEs over max_send_sge, unknown flag: "
	       "EINVAL");

	ok = 1;
	wr.send_flags = 0;
	wr.opcode = IBV_WR_LOCAL_INV;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.opcode = IBV_WR_BIND_MW;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.opcode = IBV_WR_SEND_WITH_INV;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.opcode = IBV_WR_TSO;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.opcode = IBV_WR_ATOMIC_WRITE;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	sge[0].length = 8;
	wr.wr.atomic.remote_addr = 0x8004;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	wr.wr.atomic.remote_addr = 0x8000;
	sge[0].length = 4;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	sge[0].length = 16;
	ok &= ibv_post_send(qp, &wr, &bad) == EINVAL;
	expect(ok && ring_prod(q->sq) == p && kern.cmds == cmds,
	       "unimplemented opcodes, misaligned atomic, atomic buffer not 8 bytes: EINVAL");

	/* A list whose second WR is bad: the first is posted and rung. */
	sge[0].length = 8;
	wr.next = &wr2;
	wr2 = wr;
	wr2.next = NULL;
	wr2.num_sge = 5;
	bad = NULL;
	expect(ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr2 && ring_prod(q->sq) == p + 1 &&
	       q->doorbells == 3, "a bad WR in a list: those before it posted, *bad_wr at it");

	/* Queue full: granted depth outstanding, then ENOMEM. */
	wr.next = NULL;
	wr.opcode = IBV_WR_SEND;
	ring_consume(q->sq, ring_prod(q->sq) - ring_cons(q->sq));
	p = ring_prod(q->sq);
	set_kernel_idle(q, 0);
	ok = 1;
	for (i = 0; i < cap.max_send_wr; i++) {
		wr.wr_id = 100 + i;
		ok &= !ibv_post_send(qp, &wr, &bad);
	}
	wr.wr_id = 999;
	expect(ok && ibv_post_send(qp, &wr, &bad) == ENOMEM && bad == &wr &&
	       ring_prod(q->sq) == p + cap.max_send_wr,
	       "SQ full after max_send_wr outstanding WQEs: ENOMEM, *bad_wr");
	ring_consume(q->sq, 2);
	wr.next = &wr2;
	wr2 = wr;
	wr2.next = NULL;
	want_init(&w, 999, IB_UVERBS_WR_SEND, 0);
	want_sges(&w, sge, 1);
	expect(ibv_post_send(qp, &wr, &bad) == 0 && !bad &&
	       ring_prod(q->sq) == p + cap.max_send_wr + 2 &&
	       wqe_is(q->sq, p + cap.max_send_wr, &w) &&
	       ((struct sroce_send_wqe *)fake_wq_slot(q->sq, p + 2))->wr_id == 102,
	       "after the kernel consumed 2, two more fit; unconsumed WQEs stay untouched");

	expect(ring_cons(q->sq) == p + 2, "the provider never writes the consumer index");

	/* Recv side: RQ WQEs, no system call. */
	{
		struct ibv_recv_wr rwr = { .wr_id = 0xabc, .sg_list = sge, .num_sge = 2 };
		struct ibv_recv_wr rwr2 = rwr, *rbad = NULL;
		struct sroce_recv_wqe *rq_wqe;
		struct sroce_sge *rsge;
		uint32_t rp = ring_prod(q->rq);

		sge[0].length = 33;
		rwr.next = &rwr2;
		rwr2.wr_id = 0xabd;
		rwr2.num_sge = 1;
		cmds = kern.cmds;
		rq_wqe = fake_wq_slot(q->rq, rp);
		rsge = (struct sroce_sge *)(rq_wqe + 1);
		expect(!ibv_post_recv(qp, &rwr, &rbad) && !rbad && ring_prod(q->rq) == rp + 2 &&
		       kern.cmds == cmds && rq_wqe->wr_id == 0xabc && rq_wqe->num_sge == 2 &&
		       !rq_wqe->reserved && rsge[0].addr == sge[0].addr && rsge[0].length == 33 &&
		       rsge[0].lkey == sge[0].lkey && rsge[1].addr == sge[1].addr &&
		       rsge[1].lkey == sge[1].lkey &&
		       ((struct sroce_recv_wqe *)fake_wq_slot(q->rq, rp + 1))->num_sge == 1,
		       "post_recv: RQ WQEs as the ABI says, producer published, no command");
		rwr.next = NULL;
		rwr.num_sge = 3;
		expect(ibv_post_recv(qp, &rwr, &rbad) == EINVAL && rbad == &rwr &&
		       ring_prod(q->rq) == rp + 2, "post_recv with SGEs over max_recv_sge: EINVAL");
		rwr.num_sge = 1;
		ok = 1;
		for (i = 2; i < cap.max_recv_wr; i++)
			ok &= !ibv_post_recv(qp, &rwr, &rbad);
		expect(ok && ibv_post_recv(qp, &rwr, &rbad) == ENOMEM && rbad == &rwr &&
		       ring_prod(q->rq) == rp + cap.max_recv_wr && kern.cmds == cmds,
		       "RQ full after max_recv_wr: ENOMEM");
	}

	{
		struct ibv_qp_init_attr init;
		struct ibv_qp_attr attr;

		expect(!ibv_query_qp(qp, &attr, IBV_QP_STATE | IBV_QP_CAP, &init) &&
		       attr.qp_state == IBV_QPS_RTS && attr.cap.max_send_sge == 2 &&
		       init.cap.max_inline_data == 64 && !kern.bad_layout,
		       "ibv_query_qp: QUERY_QP, state and caps from the kernel");
	}

	{
		void *sq_addr = fwq.rings[q->sq].user_addr, *rq_addr = fwq.rings[q->rq].user_addr;
		size_t sq_size = fwq.rings[q->sq].size, rq_size = fwq.rings[q->rq].size;
		unsigned int destroyed = fwq.destroyed_qps;

		expect(!ibv_destroy_qp(qp) && fwq.destroyed_qps == destroyed + 1 &&
		       unmapped(sq_addr, sq_size) && unmapped(rq_addr, rq_size),
		       "ibv_destroy_qp: DESTROY_QP, both rings unmapped");
	}
}

/*
 * A QP in RESET takes no receive WQE; moving a QP to RESET, or destroying
 * it, drops its unpolled completions from the CQ and keeps the others'.
 */
static void test_qp_reset(struct wq_env *e)
{
	struct ibv_sge sge = { .addr = 0x1000, .length = 8, .lkey = 0x21 };
	struct ibv_recv_wr rwr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1 }, *rbad;
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RESET };
	struct sroce_cqe cqe = {};
	struct ibv_qp *a, *b;
	struct ibv_wc wc[8];
	struct fake_qp *qa;
	uint64_t i;
	int n, ok;

	a = new_qp(e, IBV_QPT_RC, NULL, 4, NULL);
	b = new_qp(e, IBV_QPT_RC, NULL, 4, NULL);
	qa = a ? fake_qp_find(a->handle) : NULL;
	if (!qa || !b) {
		expect(0, "two QPs for the reset test");
		goto out;
	}
	while (ibv_poll_cq(e->cq, 8, wc) > 0)
		;
	rbad = NULL;
	expect(ibv_post_recv(a, &rwr, &rbad) == EINVAL && rbad == &rwr &&
	       ring_prod(qa->rq) == 0, "post_recv on a QP in RESET: EINVAL, nothing queued");
	if (to_rts(a) || to_rts(b)) {
		expect(0, "QPs to RTS for the reset test");
		goto out;
	}

	/* a1 b2 a3 b4 a5: resetting a leaves b2 b4, in order */
	ok = 1;
	for (i = 1; i <= 5; i++) {
		cqe.wr_id = i;
		cqe.qp_num = i & 1 ? a->qp_num : b->qp_num;
		ok &= !fake_cq_post(&cqe);
	}
	ok &= !ibv_modify_qp(a, &attr, IBV_QP_STATE);
	n = ibv_poll_cq(e->cq, 8, wc);
	expect(ok && n == 2 && wc[0].wr_id == 2 && wc[1].wr_id == 4 &&
	       wc[0].qp_num == b->qp_num && ibv_post_recv(a, &rwr, &rbad) == EINVAL,
	       "modify_qp to RESET drops the QP's unpolled completions, keeps the others");

	/* b6 a7 b8, then b is destroyed: a7 is left */
	ok = !to_rts(a);
	for (i = 6; i <= 8; i++) {
		cqe.wr_id = i;
		cqe.qp_num = i & 1 ? a->qp_num : b->qp_num;
		ok &= !fake_cq_post(&cqe);
	}
	ok &= !ibv_destroy_qp(b);
	b = NULL;
	n = ibv_poll_cq(e->cq, 8, wc);
	expect(ok && n == 1 && wc[0].wr_id == 7,
	       "destroy_qp drops the QP's unpolled completions, keeps the others");
out:
	if (a)
		ibv_destroy_qp(a);
	if (b)
		ibv_destroy_qp(b);
}

/* Producer and consumer indices wrap at 2^32; sq_sig_all signals every WQE. */
static void test_qp_wrap(struct wq_env *e)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_sge sge = { .addr = 0x1000, .length = 4, .lkey = 1 };
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_SEND,
		.sg_list = &sge,
		.num_sge = 1,
	};
	struct ibv_send_wr *bad;
	struct want_wqe w;
	struct fake_qp *q;
	struct ibv_qp *qp;
	int ok = 1;
	uint32_t i;

	fwq.start_index = 0xfffffffd;
	qp = ibv_create_qp(e->pd, &attr);
	fwq.start_index = 0;
	q = qp ? fake_qp_find(qp->handle) : NULL;
	if (!q || to_rts(qp)) {
		expect(0, "QP with ring indices near 2^32");
		return;
	}
	set_kernel_idle(q, 0);
	for (i = 0; i < 6; i++) {
		wr.wr_id = i;
		want_init(&w, i, IB_UVERBS_WR_SEND, IBV_SEND_SIGNALED);
		want_sges(&w, &sge, 1);
		ok &= post_one(qp, &wr, q->sq, 0xfffffffd + i, &w);
		ring_consume(q->sq, 1);
	}
	expect(ok && ring_prod(q->sq) == 3 && !ibv_post_send(qp, &wr, &bad),
	       "SQ indices wrap at 2^32 (provider starts from the ring's index); sq_sig_all "
	       "sets IB_SEND_SIGNALED in every WQE");
	ibv_destroy_qp(qp);
}

/*
 * Producers on several threads, the fake kernel consuming on another: every
 * WQE arrives exactly once, whole.  The requester stays busy (no doorbell:
 * the fake's command path is single-threaded).  A lost WQE stops everything
 * after MT_SECONDS instead of hanging.
 */
#define MT_THREADS	4
#define MT_POSTS	3000
#define MT_SECONDS	20

static int mt_stop;

struct mt_arg {
	struct ibv_qp *qp;
	uint32_t id;
	int failed;
};

static void *mt_post(void *p)
{
	struct mt_arg *a = p;
	struct ibv_sge sge = { .addr = 0x1000, .length = 4 };
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND, .sg_list = &sge, .num_sge = 1 };
	struct ibv_send_wr *bad;
	uint32_t i;
	int ret;

	for (i = 0; i < MT_POSTS; i++) {
		wr.wr_id = (uint64_t)a->id << 32 | i;
		sge.lkey = a->id;
		while ((ret = ibv_post_send(a->qp, &wr, &bad)) == ENOMEM &&
		       !__atomic_load_n(&mt_stop, __ATOMIC_RELAXED))
			sched_yield();
		if (ret)
			a->failed++;
	}
	return NULL;
}

static void test_qp_threads(struct wq_env *e)
{
	static uint8_t seen[MT_THREADS][MT_POSTS];
	struct mt_arg args[MT_THREADS];
	pthread_t threads[MT_THREADS];
	struct sroce_send_wqe *wqe;
	struct timespec start, now;
	struct sroce_sge *sge;
	uint32_t got = 0, cons, id, n;
	struct fake_qp *q;
	struct ibv_qp *qp;
	int ok = 1, i;

	qp = new_qp(e, IBV_QPT_RC, NULL, 16, NULL);
	q = qp ? fake_qp_find(qp->handle) : NULL;
	if (!q || to_rts(qp)) {
		expect(0, "QP for the multi-threaded post test");
		return;
	}
	set_kernel_idle(q, 0);
	memset(seen, 0, sizeof(seen));
	mt_stop = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < MT_THREADS; i++) {
		args[i] = (struct mt_arg){ .qp = qp, .id = i };
		if (pthread_create(&threads[i], NULL, mt_post, &args[i]))
			ok = 0;
	}
	cons = ring_cons(q->sq);
	while (ok && got < MT_THREADS * MT_POSTS) {
		if (ring_prod(q->sq) == cons) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec > MT_SECONDS)
				ok = 0;
			sched_yield();
			continue;
		}
		wqe = fake_wq_slot(q->sq, cons);
		sge = (struct sroce_sge *)(wqe + 1);
		id = wqe->wr_id >> 32;
		n = (uint32_t)wqe->wr_id;
		if (id >= MT_THREADS || n >= MT_POSTS || seen[id][n] || sge->lkey != id ||
		    wqe->num_sge != 1 || wqe->opcode != IB_UVERBS_WR_SEND)
			ok = 0;
		else
			seen[id][n] = 1;
		cons++;
		__atomic_store_n(&fwq.rings[q->sq].hdr->consumer, cons, __ATOMIC_RELEASE);
		got++;
	}
	__atomic_store_n(&mt_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < MT_THREADS; i++) {
		pthread_join(threads[i], NULL);
		ok &= !args[i].failed;
	}
	expect(ok && got == MT_THREADS * MT_POSTS && ring_prod(q->sq) == cons && !q->doorbells,
	       "4 threads post 12000 sends through a 16-deep SQ: each WQE arrives once, whole");
	ibv_destroy_qp(qp);
}

static void test_ud_ah(struct wq_env *e)
{
	struct ibv_ah_attr ah_attr = {
		.is_global = 1,
		.port_num = 1,
		.grh = { .sgid_index = 2, .hop_limit = 64 },
	};
	struct ibv_sge sge = { .addr = 0x4000, .length = 200, .lkey = 9 };
	struct ibv_send_wr wr = {
		.wr_id = 0xd0d0,
		.opcode = IBV_WR_SEND_WITH_IMM,
		.imm_data = htobe32(0xfeed),
		.sg_list = &sge,
		.num_sge = 1,
	};
	struct ibv_send_wr *bad;
	struct ibv_qp_cap cap;
	struct want_wqe w;
	struct fake_qp *q;
	struct ibv_ah *ah;
	struct ibv_qp *qp;
	unsigned int cmds;

	ah_attr.grh.dgid.raw[15] = 0x42;
	ah = ibv_create_ah(e->pd, &ah_attr);
	expect(ah && !kern.bad_layout && to_sah(ah)->ah_num == FAKE_AH_NUM && ah->handle == 1 &&
	       fwq.ah_sgid_index == 2 && fwq.ah_dgid.raw[15] == 0x42,
	       "ibv_create_ah: CREATE_AH, ah_num from the sroce udata");

	qp = new_qp(e, IBV_QPT_UD, NULL, 4, &cap);
	q = qp ? fake_qp_find(qp->handle) : NULL;
	expect(q && q->qp_type == IB_UVERBS_QPT_UD && !to_rts(qp), "UD QP created, RTS");
	if (!q || !ah)
		return;

	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = 0x345;
	wr.wr.ud.remote_qkey = 0x11111111;
	want_init(&w, 0xd0d0, IB_UVERBS_WR_SEND_WITH_IMM, 0);
	want_sges(&w, &sge, 1);
	w.hdr.imm_data = htobe32(0xfeed);
	w.hdr.wr.ud.ah_num = FAKE_AH_NUM;
	w.hdr.wr.ud.remote_qpn = 0x345;
	w.hdr.wr.ud.remote_qkey = 0x11111111;
	expect(post_one(qp, &wr, q->sq, ring_prod(q->sq), &w) && q->doorbells == 1,
	       "UD SEND_WITH_IMM: ah_num, remote QPN and Q_Key in the WQE");

	cmds = kern.cmds;
	wr.wr.ud.ah = NULL;
	expect(ibv_post_send(qp, &wr, &bad) == EINVAL && bad == &wr,
	       "UD send without an AH: EINVAL");
	wr.wr.ud.ah = ah;
	wr.opcode = IBV_WR_RDMA_WRITE;
	expect(ibv_post_send(qp, &wr, &bad) == EINVAL && kern.cmds == cmds,
	       "RDMA_WRITE on a UD QP: EINVAL");

	expect(!ibv_destroy_qp(qp) && !ibv_destroy_ah(ah) && !fwq.ah_live[0],
	       "ibv_destroy_ah: DESTROY_AH");
}

static void test_srq(struct wq_env *e)
{
	struct ibv_srq_init_attr attr = { .attr = { .max_wr = 5, .max_sge = 1, .srq_limit = 0 } };
	struct ibv_sge sge = { .addr = 0x5000, .length = 64, .lkey = 3 };
	struct ibv_recv_wr wr = { .wr_id = 0x51, .sg_list = &sge, .num_sge = 1 }, *bad;
	struct sroce_recv_wqe *wqe;
	struct ibv_srq_attr sattr;
	struct ibv_qp *qp;
	struct ibv_srq *srq;
	struct fake_qp *q;
	unsigned int cmds;
	void *user_addr;
	size_t size;
	uint32_t p, i;
	int ok;

	srq = ibv_create_srq(e->pd, &attr);
	expect(srq && !kern.bad_layout && attr.attr.max_wr >= 5 && to_ssrq(srq)->srqn == 0x77 &&
	       fwq.rings[fwq.srq_ring].user_addr, "ibv_create_srq: CREATE_SRQ, ring mapped");
	if (!srq)
		return;
	printf("# CREATE_SRQ: legacy write, %u-byte core response\n", fwq.srq_core_resp);

	p = ring_prod(fwq.srq_ring);
	cmds = kern.cmds;
	wqe = fake_wq_slot(fwq.srq_ring, p);
	expect(!ibv_post_srq_recv(srq, &wr, &bad) && !bad && ring_prod(fwq.srq_ring) == p + 1 &&
	       kern.cmds == cmds && wqe->wr_id == 0x51 && wqe->num_sge == 1 && !wqe->reserved &&
	       ((struct sroce_sge *)(wqe + 1))->addr == 0x5000 &&
	       ((struct sroce_sge *)(wqe + 1))->length == 64 &&
	       ((struct sroce_sge *)(wqe + 1))->lkey == 3,
	       "post_srq_recv: WQE as the ABI says, producer published, no command");
	ok = 1;
	for (i = 1; i < attr.attr.max_wr; i++)
		ok &= !ibv_post_srq_recv(srq, &wr, &bad);
	expect(ok && ibv_post_srq_recv(srq, &wr, &bad) == ENOMEM && bad == &wr &&
	       kern.cmds == cmds, "SRQ full after max_wr: ENOMEM");
	wr.num_sge = 2;
	ring_consume(fwq.srq_ring, 1);
	expect(ibv_post_srq_recv(srq, &wr, &bad) == EINVAL && bad == &wr,
	       "post_srq_recv with SGEs over max_sge: EINVAL");
	wr.num_sge = 1;

	sattr.srq_limit = 3;
	sattr.max_wr = 100;
	expect(ibv_modify_srq(srq, &sattr, IBV_SRQ_MAX_WR) == EOPNOTSUPP && kern.cmds == cmds,
	       "modify_srq IBV_SRQ_MAX_WR: EOPNOTSUPP, no command (rings do not resize)");
	expect(!ibv_modify_srq(srq, &sattr, IBV_SRQ_LIMIT) && fwq.srq_limit == 3 &&
	       fwq.srq_modify_mask == IBV_SRQ_LIMIT && !kern.bad_layout,
	       "modify_srq IBV_SRQ_LIMIT: MODIFY_SRQ");
	memset(&sattr, 0, sizeof(sattr));
	expect(!ibv_query_srq(srq, &sattr) && sattr.srq_limit == 3 && sattr.max_sge == 1 &&
	       !kern.bad_layout, "ibv_query_srq: QUERY_SRQ");

	/* A QP attached to the SRQ has no RQ ring and refuses post_recv. */
	qp = new_qp(e, IBV_QPT_RC, srq, 4, NULL);
	q = qp ? fake_qp_find(qp->handle) : NULL;
	expect(q && q->rq < 0 && !to_sqp(qp)->rq.hdr && qp->srq == srq,
	       "create_qp with an SRQ: no RQ ring");
	if (qp) {
		struct ibv_recv_wr *qbad = NULL;

		expect(ibv_post_recv(qp, &wr, &qbad) == EINVAL && qbad == &wr,
		       "post_recv on a QP with an SRQ: EINVAL");
		ibv_destroy_qp(qp);
	}

	fwq.corrupt = FAKE_QP_SRQ_WITH_RQ;
	cmds = kern.cmds;
	errno = 0;
	qp = new_qp(e, IBV_QPT_RC, srq, 4, NULL);
	expect(!qp && errno == EPROTO && kern.cmds == cmds + 2,
	       "an RQ ring for a QP with an SRQ: EPROTO, QP destroyed");

	user_addr = fwq.rings[fwq.srq_ring].user_addr;
	size = fwq.rings[fwq.srq_ring].size;
	expect(!ibv_destroy_srq(srq) && !fwq.srq_handle && unmapped(user_addr, size),
	       "ibv_destroy_srq: DESTROY_SRQ, ring unmapped");

	/* create_srq_ex: basic SRQs only. */
	if (set_ops && set_ops->create_srq_ex) {
		struct ibv_srq_init_attr_ex ax = {
			.attr = { .max_wr = 3, .max_sge = 1 },
			.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_TYPE,
			.srq_type = IBV_SRQT_XRC,
			.pd = e->pd,
		};

		cmds = kern.cmds;
		errno = 0;
		ok = !set_ops->create_srq_ex(e->ctx, &ax) && errno == EOPNOTSUPP;
		ax.srq_type = IBV_SRQT_TM;
		errno = 0;
		ok &= !set_ops->create_srq_ex(e->ctx, &ax) && errno == EOPNOTSUPP;
		ax.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_CQ;
		errno = 0;
		ok &= !set_ops->create_srq_ex(e->ctx, &ax) && errno == EOPNOTSUPP;
		expect(ok && kern.cmds == cmds, "create_srq_ex refuses XRC, TM and CQ-bound SRQs");
		ax.comp_mask = IBV_SRQ_INIT_ATTR_PD;
		ax.srq_type = IBV_SRQT_XRC;	/* ignored without IBV_SRQ_INIT_ATTR_TYPE */
		ax.srq_context = &ax;
		srq = set_ops->create_srq_ex(e->ctx, &ax);
		expect(srq && !kern.bad_layout && srq->pd == e->pd && srq->srq_context == &ax &&
		       srq->context == e->ctx && ax.attr.max_wr >= 3 &&
		       !ibv_post_srq_recv(srq, &wr, &bad),
		       "create_srq_ex of a basic SRQ");
		if (srq)
			ibv_destroy_srq(srq);
	}
}

/* ---- the extended send API ---- */

static struct ibv_qp *new_qp_ex(struct wq_env *e, enum ibv_qp_type type, uint64_t ops)
{
	struct ibv_qp_init_attr_ex attr = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.qp_type = type,
		.cap = {
			.max_send_wr = 4,
			.max_recv_wr = 4,
			.max_send_sge = 2,
			.max_recv_sge = 1,
			.max_inline_data = 32,
		},
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = e->pd,
		.send_ops_flags = ops,
	};

	return ibv_create_qp_ex(e->ctx, &attr);
}

static void test_qp_ex_rc(struct wq_env *e)
{
	const uint64_t all = IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |
			     IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |
			     IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
			     IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
	struct ibv_sge sge[3] = {
		{ .addr = 0x1000, .length = 16, .lkey = 0x31 },
		{ .addr = 0x2000, .length = 8, .lkey = 0x32 },
		{ .addr = 0x3000, .length = 8, .lkey = 0x33 },
	};
	struct ibv_data_buf bufs[2] = {
		{ .addr = payload + 3, .length = 5 },
		{ .addr = payload + 50, .length = 27 },
	};
	struct want_wqe w[4];
	struct ibv_qp_ex *qpx;
	struct fake_qp *q;
	struct ibv_qp *qp;
	unsigned int db;
	uint32_t p;
	int ok;

	qp = new_qp_ex(e, IBV_QPT_RC, all);
	qpx = qp ? ibv_qp_to_qp_ex(qp) : NULL;
	q = qp ? fake_qp_find(qp->handle) : NULL;
	expect(qpx && q && qpx->wr_send && qpx->wr_send_imm && qpx->wr_rdma_write &&
	       qpx->wr_rdma_write_imm && qpx->wr_rdma_read && qpx->wr_atomic_cmp_swp &&
	       qpx->wr_atomic_fetch_add && !qpx->wr_bind_mw && !qpx->wr_local_inv &&
	       !qpx->wr_send_inv && !qpx->wr_send_tso && !qpx->wr_atomic_write &&
	       !qpx->wr_set_ud_addr && !qpx->wr_set_xrc_srqn && qpx->wr_set_sge &&
	       qpx->wr_set_sge_list && qpx->wr_set_inline_data &&
	       qpx->wr_set_inline_data_list && qpx->wr_start && qpx->wr_complete &&
	       qpx->wr_abort, "ibv_create_qp_ex (RC, 7 send ops): ibv_qp_ex with those builders");
	if (!q || !qpx || to_rts(qp))
		return;

	/* One batch of four, built as post_send would have built them. */
	p = ring_prod(q->sq);
	ibv_wr_start(qpx);
	qpx->wr_id = 1;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_sge_list(qpx, 2, sge);
	want_init(&w[0], 1, IB_UVERBS_WR_SEND, IBV_SEND_SIGNALED);
	want_sges(&w[0], sge, 2);
	qpx->wr_id = 2;
	qpx->wr_flags = IBV_SEND_SOLICITED;
	ibv_wr_rdma_write_imm(qpx, 0x91, 0x123456789ULL, htobe32(77));
	ibv_wr_set_inline_data_list(qpx, 2, bufs);
	want_init(&w[1], 2, IB_UVERBS_WR_RDMA_WRITE_WITH_IMM, IBV_SEND_SOLICITED);
	want_rdma(&w[1], 0x123456789ULL, 0x91);
	w[1].hdr.imm_data = htobe32(77);
	want_inline(&w[1], payload + 3, 5);
	want_inline(&w[1], payload + 50, 27);
	qpx->wr_id = 3;
	qpx->wr_flags = 0;
	ibv_wr_atomic_cmp_swp(qpx, 0x92, 0x9000, 10, 20);
	ibv_wr_set_sge(qpx, 0x33, 0x3000, 8);
	want_init(&w[2], 3, IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, 0);
	want_sges(&w[2], &sge[2], 1);
	want_atomic(&w[2], 0x9000, 0x92, 10, 20);
	qpx->wr_id = 4;
	ibv_wr_atomic_fetch_add(qpx, 0x93, 0x9008, 5);
	ibv_wr_set_sge(qpx, 0x33, 0x3000, 8);
	want_init(&w[3], 4, IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD, 0);
	want_sges(&w[3], &sge[2], 1);
	want_atomic(&w[3], 0x9008, 0x93, 5, 0);
	expect(ring_prod(q->sq) == p && !ibv_wr_complete(qpx) && ring_prod(q->sq) == p + 4 &&
	       q->doorbells == 1 && wqe_is(q->sq, p, &w[0]) && wqe_is(q->sq, p + 1, &w[1]) &&
	       wqe_is(q->sq, p + 2, &w[2]) && wqe_is(q->sq, p + 3, &w[3]),
	       "wr_send/rdma_write_imm/atomic_cmp_swp/atomic_fetch_add: the post_send WQEs, "
	       "published at wr_complete, one doorbell");
	ring_consume(q->sq, 4);

	p += 4;
	set_kernel_idle(q, 0);
	ibv_wr_start(qpx);
	qpx->wr_id = 5;
	qpx->wr_flags = IBV_SEND_INLINE;	/* the setter decides */
	ibv_wr_send_imm(qpx, htobe32(88));
	ibv_wr_set_inline_data(qpx, payload, 32);
	want_init(&w[0], 5, IB_UVERBS_WR_SEND_WITH_IMM, 0);
	w[0].hdr.imm_data = htobe32(88);
	want_inline(&w[0], payload, 32);
	qpx->wr_id = 6;
	qpx->wr_flags = IBV_SEND_FENCE;
	ibv_wr_rdma_read(qpx, 0x94, 0xa000);
	ibv_wr_set_sge(qpx, 0x31, 0x1000, 16);
	want_init(&w[1], 6, IB_UVERBS_WR_RDMA_READ, IBV_SEND_FENCE);
	want_rdma(&w[1], 0xa000, 0x94);
	want_sges(&w[1], sge, 1);
	qpx->wr_id = 7;
	qpx->wr_flags = 0;
	ibv_wr_rdma_write(qpx, 0x95, 0xb000);
	ibv_wr_set_sge_list(qpx, 0, NULL);
	want_init(&w[2], 7, IB_UVERBS_WR_RDMA_WRITE, 0);
	want_rdma(&w[2], 0xb000, 0x95);
	expect(!ibv_wr_complete(qpx) && ring_prod(q->sq) == p + 3 && q->doorbells == 1 &&
	       wqe_is(q->sq, p, &w[0]) && wqe_is(q->sq, p + 1, &w[1]) &&
	       wqe_is(q->sq, p + 2, &w[2]),
	       "wr_send_imm + inline, wr_rdma_read, zero-length wr_rdma_write; busy: no doorbell");
	ring_consume(q->sq, 3);
	p += 3;
	set_kernel_idle(q, 1);

	db = q->doorbells;
	ibv_wr_start(qpx);
	ibv_wr_send(qpx);
	ibv_wr_set_sge(qpx, 1, 2, 3);
	ibv_wr_abort(qpx);
	expect(ring_prod(q->sq) == p && q->doorbells == db, "wr_abort: nothing published");

	ok = 1;
	ibv_wr_start(qpx);
	ibv_wr_send(qpx);
	ibv_wr_set_sge_list(qpx, 3, sge);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_set_sge(qpx, 1, 2, 3);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_rdma_read(qpx, 1, 2);
	ibv_wr_set_inline_data(qpx, payload, 4);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_send(qpx);
	ibv_wr_set_inline_data(qpx, payload, 33);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_atomic_fetch_add(qpx, 1, 0x9004, 1);
	ibv_wr_set_sge(qpx, 1, 0x3000, 8);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_atomic_cmp_swp(qpx, 1, 0x9000, 1, 2);
	ibv_wr_set_sge(qpx, 1, 0x3000, 4);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	ibv_wr_atomic_cmp_swp(qpx, 1, 0x9000, 1, 2);
	ok &= ibv_wr_complete(qpx) == EINVAL;
	ibv_wr_start(qpx);
	qpx->wr_flags = IBV_SEND_IP_CSUM;
	ibv_wr_send(qpx);
	qpx->wr_flags = 0;
	ok &= ibv_wr_complete(qpx) == EINVAL;
	expect(ok && ring_prod(q->sq) == p && q->doorbells == db,
	       "wr_complete: EINVAL for too many SGEs, a setter without a WR, inline READ or "
	       "oversize, misaligned atomic or one without an 8-byte buffer, unknown flag; nothing "
	       "published");

	ibv_wr_start(qpx);
	ibv_wr_send(qpx);
	ibv_wr_send(qpx);
	ibv_wr_send(qpx);
	ibv_wr_send(qpx);
	ibv_wr_send(qpx);
	expect(ibv_wr_complete(qpx) == ENOMEM && ring_prod(q->sq) == p && q->doorbells == db,
	       "a batch over the SQ depth: ENOMEM, none of it published");

	ibv_wr_start(qpx);
	qpx->wr_id = 8;
	ibv_wr_send(qpx);
	expect(!ibv_wr_complete(qpx) && ring_prod(q->sq) == p + 1 && q->doorbells == db + 1,
	       "the next batch after a failed one goes through");
	ibv_destroy_qp(qp);
}

static void test_qp_ex_ud(struct wq_env *e)
{
	struct ibv_ah_attr ah_attr = { .is_global = 1, .port_num = 1 };
	struct ibv_qp_ex *qpx;
	struct want_wqe w;
	struct fake_qp *q;
	struct ibv_qp *qp;
	struct ibv_ah *ah;
	uint32_t p;

	ah = ibv_create_ah(e->pd, &ah_attr);
	qp = new_qp_ex(e, IBV_QPT_UD, IBV_QP_EX_WITH_SEND);
	qpx = qp ? ibv_qp_to_qp_ex(qp) : NULL;
	q = qp ? fake_qp_find(qp->handle) : NULL;
	expect(ah && qpx && q && qpx->wr_send && !qpx->wr_send_imm && qpx->wr_set_ud_addr &&
	       !qpx->wr_rdma_write, "ibv_create_qp_ex (UD, SEND): wr_send and wr_set_ud_addr");
	if (!ah || !q || !qpx || to_rts(qp))
		return;

	p = ring_prod(q->sq);
	ibv_wr_start(qpx);
	qpx->wr_id = 0x99;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_ud_addr(qpx, ah, 0x456, 0x22222222);
	ibv_wr_set_sge(qpx, 7, 0x6000, 0);
	want_init(&w, 0x99, IB_UVERBS_WR_SEND, IBV_SEND_SIGNALED);
	w.hdr.wr.ud.ah_num = to_sah(ah)->ah_num;
	w.hdr.wr.ud.remote_qpn = 0x456;
	w.hdr.wr.ud.remote_qkey = 0x22222222;
	w.hdr.num_sge = 1;
	w.data.sge[0].addr = 0x6000;
	w.data.sge[0].lkey = 7;
	w.data_len = sizeof(struct sroce_sge);
	expect(!ibv_wr_complete(qpx) && ring_prod(q->sq) == p + 1 && wqe_is(q->sq, p, &w) &&
	       q->doorbells == 1, "UD wr_send + wr_set_ud_addr: the post_send WQE");

	ibv_wr_start(qpx);
	ibv_wr_send(qpx);
	ibv_wr_set_sge(qpx, 7, 0x6000, 0);
	expect(ibv_wr_complete(qpx) == EINVAL && ring_prod(q->sq) == p + 1,
	       "UD WR without wr_set_ud_addr: EINVAL at wr_complete");
	ibv_destroy_qp(qp);
	ibv_destroy_ah(ah);
}

static void test_qp_create_errors(struct wq_env *e)
{
	static const struct {
		enum ibv_qp_type type;
		uint64_t ops;
	} refused[] = {
		{ IBV_QPT_UC, IBV_QP_EX_WITH_SEND },
		{ IBV_QPT_XRC_SEND, IBV_QP_EX_WITH_SEND },
		{ IBV_QPT_RAW_PACKET, IBV_QP_EX_WITH_SEND },
		{ IBV_QPT_RC, IBV_QP_EX_WITH_BIND_MW },
		{ IBV_QPT_RC, IBV_QP_EX_WITH_LOCAL_INV },
		{ IBV_QPT_RC, IBV_QP_EX_WITH_SEND_WITH_INV },
		{ IBV_QPT_RC, IBV_QP_EX_WITH_ATOMIC_WRITE },
		{ IBV_QPT_RC, IBV_QP_EX_WITH_TSO },
		{ IBV_QPT_UD, IBV_QP_EX_WITH_RDMA_WRITE },
		{ IBV_QPT_UD, IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD },
	};
	struct ibv_qp_init_attr_ex ax;
	struct ibv_qp *qp;
	unsigned int cmds, i, destroyed;
	int ok = 1;

	cmds = kern.cmds;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		errno = 0;
		qp = new_qp_ex(e, refused[i].type, refused[i].ops);
		ok &= !qp && errno == EOPNOTSUPP;
	}
	expect(ok && kern.cmds == cmds,
	       "create_qp_ex refuses UC/XRC/raw QPs and unimplemented send ops: EOPNOTSUPP");

	memset(&ax, 0, sizeof(ax));
	ax.send_cq = e->cq;
	ax.recv_cq = e->cq;
	ax.qp_type = IBV_QPT_RC;
	ax.cap.max_send_wr = 4;
	ax.cap.max_recv_wr = 4;
	ax.cap.max_send_sge = 1;
	ax.cap.max_recv_sge = 1;
	ax.pd = e->pd;
	ax.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS;
	ax.create_flags = IBV_QP_CREATE_SCATTER_FCS;
	errno = 0;
	ok = !ibv_create_qp_ex(e->ctx, &ax) && errno == EOPNOTSUPP;
	ax.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_MAX_TSO_HEADER;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EOPNOTSUPP;
	expect(ok && kern.cmds == cmds, "create_qp_ex refuses create flags and TSO: EOPNOTSUPP");

	ok = 1;
	ax.comp_mask = IBV_QP_INIT_ATTR_PD;
	ax.cap.max_send_wr = FAKE_MAX_QP_WR + 1;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EINVAL;
	ax.cap.max_send_wr = 4;
	ax.cap.max_recv_sge = FAKE_MAX_SGE + 1;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EINVAL;
	ax.cap.max_recv_sge = 1;
	ax.cap.max_send_sge = FAKE_MAX_SGE + 1;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EINVAL;
	ax.cap.max_send_sge = 1;
	ax.recv_cq = NULL;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EINVAL;
	ax.recv_cq = e->cq;
	expect(ok && kern.cmds == cmds,
	       "create_qp over the device's max_qp_wr/max_sge, or without a CQ: EINVAL");

	ax.cap.max_send_wr = FAKE_MAX_QP_WR;
	ax.cap.max_send_sge = FAKE_MAX_SGE;
	qp = ibv_create_qp_ex(e->ctx, &ax);
	expect(qp && !ibv_destroy_qp(qp), "create_qp at the device limits");

	ok = 1;
	ax.cap.max_send_wr = 4;
	destroyed = fwq.destroyed_qps;
	fwq.corrupt = FAKE_QP_SMALL_STRIDE;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EPROTO;
	fwq.corrupt = FAKE_QP_NOT_EMPTY;
	errno = 0;
	ok &= !ibv_create_qp_ex(e->ctx, &ax) && errno == EPROTO;
	for (i = 0; i < FAKE_WQ_RINGS; i++)
		ok &= fwq.rings[i].memfd < 0;
	expect(ok && fwq.destroyed_qps == destroyed + 2,
	       "SQ slots too small for the caps, or a non-empty new ring: EPROTO, QP destroyed");
}

static void test_qp(struct verbs_device *vdev)
{
	struct wq_env e = {};

	fake_cq_init();
	fake_wq_init();
	e.ctx = open_ctx(vdev, SROCE_UVERBS_ABI_VERSION, 0);
	expect(e.ctx && set_ops && set_ops->create_qp && set_ops->create_qp_ex &&
	       set_ops->modify_qp && set_ops->query_qp && set_ops->destroy_qp &&
	       set_ops->post_send && set_ops->post_recv && set_ops->create_srq &&
	       set_ops->create_srq_ex && set_ops->modify_srq && set_ops->query_srq &&
	       set_ops->destroy_srq && set_ops->post_srq_recv && set_ops->create_ah &&
	       set_ops->destroy_ah && !set_ops->bind_mw && !set_ops->open_qp &&
	       !set_ops->create_wq, "ops: QP, SRQ and AH verbs, nothing else");
	if (!e.ctx)
		return;
	/* verbs_set_ops() wires vctx->create_qp_ex itself. */
	expect(set_ops && verbs_get_ctx(e.ctx)->create_qp_ex == set_ops->create_qp_ex,
	       "ibv_create_qp_ex reaches create_qp_ex");
	e.pd = ibv_alloc_pd(e.ctx);
	e.cq = ibv_create_cq(e.ctx, 64, NULL, NULL, 0);
	if (e.pd && e.cq) {
		test_qp_rc_send(&e);
		test_qp_wrap(&e);
		test_qp_reset(&e);
		test_qp_threads(&e);
		test_ud_ah(&e);
		test_srq(&e);
		test_qp_ex_rc(&e);
		test_qp_ex_ud(&e);
		test_qp_create_errors(&e);
	} else {
		expect(0, "PD and CQ for the QP tests");
	}
	expect(!fwq.bad_doorbells && !kern.bad_layout, "every doorbell was a zero-WR POST_SEND");
	if (e.cq)
		ibv_destroy_cq(e.cq);
	if (e.pd)
		ibv_dealloc_pd(e.pd);
	ibv_close_device(e.ctx);
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
		test_cq(vdev);
		test_qp(vdev);
		free(vdev->sysfs);
		ops->uninit_device(vdev);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
