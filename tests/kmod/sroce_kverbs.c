// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce_kverbs: the data path as a kernel consumer sees it.
 *
 * A test module, not part of the driver.  Loading it ("modprobe
 * sroce_kverbs device=sroce0") runs RC traffic between two kernel QPs of
 * the named device, over its 127.0.0.1 RoCE v2 GID, the way a ULP
 * (NFS/RDMA, iSER, NVMe-oF) drives a device: ib_alloc_pd() (whose local
 * DMA lkey comes from the driver's get_dma_mr), ib_alloc_cq() polled
 * directly and with completion events (req_notify_cq and the completion
 * handler), ib_create_qp(), ib_modify_qp() with a RoCE address vector,
 * ib_post_recv(), ib_post_send() of sends, sends with immediate, several
 * SGEs, 1 MiB RDMA WRITE and READ through the PD's global rkey; an atomic
 * that rkey does not permit (remote access error, then RESET and a new
 * connection); fast-registration MRs: ib_alloc_mr(), ib_map_mr_sg() in
 * several page sizes, IB_WR_REG_MR, I/O through the MR, IB_WR_LOCAL_INV,
 * ib_update_fast_reg_key() and re-registration, IB_WR_SEND_WITH_INV, bad
 * arguments; and a protection error that moves the QP to the error state
 * and flushes what is left.  Every payload is checked.
 *
 * The result is one kernel log line, "sroce_kverbs: N passed, N failed";
 * the module then refuses to stay loaded (-EAGAIN if everything passed,
 * -EINVAL otherwise), so a test only has to look at the exit status of
 * modprobe and at that line.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

static char *device = "sroce0";
module_param(device, charp, 0444);
MODULE_PARM_DESC(device, "RDMA device to test (default sroce0)");

#define KV_BUF_ORDER	9			/* 2 MiB per QP */
#define KV_BUF_SIZE	(PAGE_SIZE << KV_BUF_ORDER)
#define KV_WAIT_MS	10000

struct kv_side {
	struct ib_qp *qp;
	u8 *buf;
	u64 dma;
};

struct kv {
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;		/* IB_POLL_DIRECT, both QPs */
	struct kv_side s[2];
	u8 sgid_index;
	union ib_gid gid;
	unsigned int passed, failed;
};

#define KV_CHECK(kv, cond, fmt, ...)					\
	do {								\
		if (cond) {						\
			(kv)->passed++;					\
		} else {						\
			(kv)->failed++;					\
			pr_err("sroce_kverbs: FAILED line %d: " fmt "\n",	\
			       __LINE__, ##__VA_ARGS__);		\
		}							\
	} while (0)

/* ---- setup ---- */

static int kv_find_gid(struct kv *kv)
{
	const struct ib_gid_attr *attr;

	ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
			       (struct in6_addr *)kv->gid.raw);
	attr = rdma_find_gid(kv->dev, &kv->gid, IB_GID_TYPE_ROCE_UDP_ENCAP,
			     NULL);
	if (IS_ERR(attr))
		return PTR_ERR(attr);
	kv->sgid_index = attr->index;
	rdma_put_gid_attr(attr);
	return 0;
}

static struct ib_qp *kv_create_qp(struct kv *kv, struct ib_cq *scq,
				  struct ib_cq *rcq)
{
	struct ib_qp_init_attr init = {
		.send_cq = scq,
		.recv_cq = rcq,
		.cap = {
			.max_send_wr = 64,
			.max_recv_wr = 64,
			.max_send_sge = 4,
			.max_recv_sge = 4,
		},
		.sq_sig_type = IB_SIGNAL_ALL_WR,
		.qp_type = IB_QPT_RC,
	};

	return ib_create_qp(kv->pd, &init);
}

/* RESET -> INIT -> RTR -> RTS, connected to @dest_qpn on the same GID. */
static int kv_connect(struct kv *kv, struct ib_qp *qp, u32 dest_qpn)
{
	struct ib_qp_attr attr = {};
	int err;

	attr.qp_state = IB_QPS_INIT;
	attr.pkey_index = 0;
	attr.port_num = 1;
	attr.qp_access_flags = IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ |
			       IB_ACCESS_REMOTE_ATOMIC;
	err = ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (err)
		return err;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTR;
	attr.path_mtu = IB_MTU_1024;
	attr.dest_qp_num = dest_qpn;
	attr.rq_psn = 0x123;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 12;
	attr.ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&attr.ah_attr, 1);
	rdma_ah_set_grh(&attr.ah_attr, &kv->gid, 0, kv->sgid_index, 64, 0);
	err = ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_AV | IB_QP_PATH_MTU |
			   IB_QP_DEST_QPN | IB_QP_RQ_PSN |
			   IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER);
	if (err)
		return err;

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTS;
	attr.sq_psn = 0x123;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 4;
	return ib_modify_qp(qp, &attr, IB_QP_STATE | IB_QP_SQ_PSN |
			    IB_QP_TIMEOUT | IB_QP_RETRY_CNT |
			    IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC);
}

/* Poll @cq until @n completions arrived (or KV_WAIT_MS passed). */
static int kv_poll(struct ib_cq *cq, struct ib_wc *wc, int n)
{
	unsigned long end = jiffies + msecs_to_jiffies(KV_WAIT_MS);
	int got = 0, ret;

	while (got < n) {
		ret = ib_poll_cq(cq, n - got, wc + got);
		if (ret < 0)
			return ret;
		got += ret;
		if (got < n) {
			if (time_after(jiffies, end))
				break;
			usleep_range(100, 1000);
		}
	}
	return got;
}

static struct ib_sge kv_sge(struct kv *kv, int side, u32 off, u32 len)
{
	return (struct ib_sge) {
		.addr = kv->s[side].dma + off,
		.length = len,
		.lkey = kv->pd->local_dma_lkey,
	};
}

static int kv_post_recv(struct kv *kv, int side, u64 wr_id, u32 off, u32 len)
{
	struct ib_sge sge = kv_sge(kv, side, off, len);
	struct ib_recv_wr wr = {
		.wr_id = wr_id,
		.sg_list = &sge,
		.num_sge = 1,
	};

	return ib_post_recv(kv->s[side].qp, &wr, NULL);
}

static void kv_fill(u8 *p, u32 len, u8 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

/* ---- tests ---- */

/* Sends of several sizes, one with immediate data, one with two SGEs. */
static void kv_t_send(struct kv *kv)
{
	static const u32 sizes[] = { 1, 100, 4096, 3000 };
	struct ib_wc wc[8];
	struct ib_sge sge[2];
	struct ib_send_wr wr;
	int i, n, idx, err;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		err = kv_post_recv(kv, 1, 100 + i, i * 8192, 8192);
		KV_CHECK(kv, !err, "post_recv %d: %d", i, err);
	}
	memset(kv->s[1].buf, 0, 4 * 8192);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		kv_fill(kv->s[0].buf + i * 8192, sizes[i], i);
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = i;
		wr.opcode = i == 1 ? IB_WR_SEND_WITH_IMM : IB_WR_SEND;
		wr.ex.imm_data = cpu_to_be32(0xabcd0000 + i);
		wr.send_flags = IB_SEND_SIGNALED;
		if (i == 3) {
			/* two SGEs: 1000 + 2000 bytes */
			sge[0] = kv_sge(kv, 0, i * 8192, 1000);
			sge[1] = kv_sge(kv, 0, i * 8192 + 1000, 2000);
			wr.num_sge = 2;
		} else {
			sge[0] = kv_sge(kv, 0, i * 8192, sizes[i]);
			wr.num_sge = 1;
		}
		wr.sg_list = sge;
		err = ib_post_send(kv->s[0].qp, &wr, NULL);
		KV_CHECK(kv, !err, "post_send %d: %d", i, err);
	}

	n = kv_poll(kv->cq, wc, 2 * ARRAY_SIZE(sizes));
	KV_CHECK(kv, n == 2 * ARRAY_SIZE(sizes), "send: %d completions", n);
	for (i = 0; i < n; i++) {
		KV_CHECK(kv, wc[i].status == IB_WC_SUCCESS,
			 "send: wr_id %llu status %d", wc[i].wr_id, wc[i].status);
		if (wc[i].wr_id < 100 || wc[i].status != IB_WC_SUCCESS)
			continue;
		idx = wc[i].wr_id - 100;
		KV_CHECK(kv, wc[i].opcode == IB_WC_RECV &&
			 wc[i].byte_len == sizes[idx] &&
			 !!(wc[i].wc_flags & IB_WC_WITH_IMM) == (idx == 1) &&
			 (idx != 1 ||
			  wc[i].ex.imm_data == cpu_to_be32(0xabcd0001)),
			 "recv %d: opcode %d len %u flags %#x", idx,
			 wc[i].opcode, wc[i].byte_len, wc[i].wc_flags);
		KV_CHECK(kv, !memcmp(kv->s[1].buf + idx * 8192,
				     kv->s[0].buf + idx * 8192, sizes[idx]),
			 "recv %d: payload differs", idx);
	}
}

static int kv_rdma(struct kv *kv, enum ib_wr_opcode op, u32 loff, u32 roff,
		   u32 len, u64 wr_id)
{
	struct ib_sge sge = kv_sge(kv, 0, loff, len);
	struct ib_rdma_wr wr = {
		.wr = {
			.wr_id = wr_id,
			.opcode = op,
			.send_flags = IB_SEND_SIGNALED,
			.sg_list = &sge,
			.num_sge = 1,
		},
		.remote_addr = kv->s[1].dma + roff,
		.rkey = kv->pd->unsafe_global_rkey,
	};

	return ib_post_send(kv->s[0].qp, &wr.wr, NULL);
}

/* WRITE 1 MiB (many packets) to the peer, READ it back elsewhere. */
static void kv_t_write_read(struct kv *kv)
{
	const u32 len = 1 << 20;
	struct ib_wc wc;
	int n, err;

	kv_fill(kv->s[0].buf, len, 42);
	memset(kv->s[1].buf, 0, len);
	err = kv_rdma(kv, IB_WR_RDMA_WRITE, 0, 0, len, 1);
	KV_CHECK(kv, !err, "post write: %d", err);
	n = kv_poll(kv->cq, &wc, 1);
	KV_CHECK(kv, n == 1 && wc.status == IB_WC_SUCCESS &&
		 wc.opcode == IB_WC_RDMA_WRITE, "write: n %d status %d", n,
		 wc.status);
	KV_CHECK(kv, !memcmp(kv->s[0].buf, kv->s[1].buf, len),
		 "write: payload differs");

	memset(kv->s[0].buf + len, 0, len);
	err = kv_rdma(kv, IB_WR_RDMA_READ, len, 0, len, 2);
	KV_CHECK(kv, !err, "post read: %d", err);
	n = kv_poll(kv->cq, &wc, 1);
	KV_CHECK(kv, n == 1 && wc.status == IB_WC_SUCCESS &&
		 wc.opcode == IB_WC_RDMA_READ && wc.byte_len == len,
		 "read: n %d status %d len %u", n, wc.status, wc.byte_len);
	KV_CHECK(kv, !memcmp(kv->s[0].buf + len, kv->s[1].buf, len),
		 "read: payload differs");
}

/*
 * Both QPs to RESET and connected again, after an error moved them to the
 * error state; what the error flushed is drained from the CQ.
 */
static void kv_reconnect(struct kv *kv)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_RESET };
	struct ib_wc wc[16];
	int i, n, err;

	for (i = 0; i < 2; i++) {
		err = ib_modify_qp(kv->s[i].qp, &attr, IB_QP_STATE);
		KV_CHECK(kv, !err, "reset qp %d: %d", i, err);
	}
	err = kv_connect(kv, kv->s[0].qp, kv->s[1].qp->qp_num) ?:
	      kv_connect(kv, kv->s[1].qp, kv->s[0].qp->qp_num);
	KV_CHECK(kv, !err, "reconnect: %d", err);
	/* nothing of the QPs' previous life is left in the CQ */
	n = ib_poll_cq(kv->cq, ARRAY_SIZE(wc), wc);
	for (i = 0; i < n; i++)
		KV_CHECK(kv, wc[i].status == IB_WC_WR_FLUSH_ERR,
			 "after reset: wr_id %llu status %d", wc[i].wr_id,
			 wc[i].status);
}

/*
 * The PD's global rkey grants remote read and write only (what
 * IB_PD_UNSAFE_GLOBAL_RKEY asks for): an atomic through it is a remote
 * access error, and both QPs go to the error state.  Then both are reset
 * and connected again, which must give working QPs.
 */
static void kv_t_atomic_denied(struct kv *kv)
{
	u64 *target = (u64 *)(kv->s[1].buf + 4096);
	struct ib_sge sge = kv_sge(kv, 0, 8192, 8);
	struct ib_atomic_wr wr = {
		.wr = {
			.wr_id = 3,
			.opcode = IB_WR_ATOMIC_FETCH_AND_ADD,
			.send_flags = IB_SEND_SIGNALED,
			.sg_list = &sge,
			.num_sge = 1,
		},
		.remote_addr = kv->s[1].dma + 4096,
		.compare_add = 5,
		.rkey = kv->pd->unsafe_global_rkey,
	};
	struct ib_wc wc[4];
	int n, err;

	*target = 1000;
	err = ib_post_send(kv->s[0].qp, &wr.wr, NULL);
	KV_CHECK(kv, !err, "post fetch-add: %d", err);
	n = kv_poll(kv->cq, wc, 1);
	KV_CHECK(kv, n == 1 && wc[0].status == IB_WC_REM_ACCESS_ERR &&
		 *target == 1000, "fetch-add without remote atomic: n %d "
		 "status %d target %llu", n, wc[0].status, *target);

	kv_reconnect(kv);
	kv_t_write_read(kv);
}

/* ---- fast-registration MRs (what NFS/RDMA, iSER, NVMe-oF use) ---- */

#define KV_FR_PAGES	16

/* One piece of a scatterlist: @len bytes at @off of a side's buffer. */
struct kv_piece {
	u32 off;
	u32 len;
};

/*
 * DMA-map @n pieces of side @side's buffer as a scatterlist and
 * ib_map_mr_sg() them into @mr in @page_size pages.  Returns what
 * ib_map_mr_sg() returned; the scatterlist stays mapped in @sg.
 */
static int kv_map(struct kv *kv, struct ib_mr *mr, struct scatterlist *sg,
		  int side, const struct kv_piece *p, int n,
		  unsigned int *sg_offset, unsigned int page_size)
{
	int i, nents;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++)
		sg_set_buf(&sg[i], kv->s[side].buf + p[i].off, p[i].len);
	nents = ib_dma_map_sg(kv->dev, sg, n, DMA_BIDIRECTIONAL);
	if (nents != n)
		return -EIO;
	return ib_map_mr_sg(mr, sg, n, sg_offset, page_size);
}

static void kv_unmap(struct kv *kv, struct scatterlist *sg, int n)
{
	ib_dma_unmap_sg(kv->dev, sg, n, DMA_BIDIRECTIONAL);
}

/* Post one send WR on side @side's QP and return its completion status. */
static int kv_post_wait(struct kv *kv, int side, struct ib_send_wr *wr,
			struct ib_wc *wc)
{
	int err, n;

	err = ib_post_send(kv->s[side].qp, wr, NULL);
	if (err)
		return err;
	n = kv_poll(kv->cq, wc, 1);
	return n == 1 ? 0 : -ETIMEDOUT;
}

/* IB_WR_REG_MR of @mr (its current rkey) with @access on side @side. */
static int kv_reg(struct kv *kv, int side, struct ib_mr *mr, int access,
		  u64 wr_id)
{
	struct ib_reg_wr wr = {
		.wr = {
			.wr_id = wr_id,
			.opcode = IB_WR_REG_MR,
			.send_flags = IB_SEND_SIGNALED,
		},
		.mr = mr,
		.key = mr->rkey,
		.access = access,
	};
	struct ib_wc wc = {};
	int err;

	err = kv_post_wait(kv, side, &wr.wr, &wc);
	if (err)
		return -1;
	if (wc.status == IB_WC_SUCCESS &&
	    (wc.opcode != IB_WC_REG_MR || wc.wr_id != wr_id))
		return -2;
	return wc.status;
}

/* IB_WR_LOCAL_INV of @key on side @side. */
static int kv_inv(struct kv *kv, int side, u32 key, u64 wr_id)
{
	struct ib_send_wr wr = {
		.wr_id = wr_id,
		.opcode = IB_WR_LOCAL_INV,
		.send_flags = IB_SEND_SIGNALED,
		.ex.invalidate_rkey = key,
	};
	struct ib_wc wc = {};
	int err;

	err = kv_post_wait(kv, side, &wr, &wc);
	if (err)
		return -1;
	if (wc.status == IB_WC_SUCCESS &&
	    (wc.opcode != IB_WC_LOCAL_INV || wc.wr_id != wr_id))
		return -2;
	return wc.status;
}

/* RDMA @op of @len bytes between side 0 at @loff and (@rkey, @raddr). */
static int kv_rdma_key(struct kv *kv, enum ib_wr_opcode op, u32 loff,
		       u64 raddr, u32 rkey, u32 len)
{
	struct ib_sge sge = kv_sge(kv, 0, loff, len);
	struct ib_rdma_wr wr = {
		.wr = {
			.wr_id = 77,
			.opcode = op,
			.send_flags = IB_SEND_SIGNALED,
			.sg_list = &sge,
			.num_sge = 1,
		},
		.remote_addr = raddr,
		.rkey = rkey,
	};
	struct ib_wc wc = {};

	if (kv_post_wait(kv, 0, &wr.wr, &wc))
		return -1;
	return wc.status;
}

/* Do the pieces of side 1 hold @src (their concatenation) from @skip on? */
static bool kv_pieces_equal(struct kv *kv, const struct kv_piece *p, int n,
			    u32 skip, const u8 *src, u32 len)
{
	u32 done = 0, off, chunk;
	int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= p[i].len) {
			skip -= p[i].len;
			continue;
		}
		off = p[i].off + skip;
		chunk = min(p[i].len - skip, len - done);
		if (memcmp(kv->s[1].buf + off, src + done, chunk))
			return false;
		done += chunk;
		skip = 0;
	}
	return done == len;
}

static u32 kv_pieces_len(const struct kv_piece *p, int n)
{
	u32 len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += p[i].len;
	return len;
}

static int kv_qp_state(struct kv *kv, int side)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr;

	if (ib_query_qp(kv->s[side].qp, &attr, IB_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

/* ib_alloc_mr() limits and types, and what the device advertises. */
static void kv_t_frmr_alloc(struct kv *kv)
{
	u32 max = kv->dev->attrs.max_fast_reg_page_list_len;
	struct ib_mr *mr;

	KV_CHECK(kv, max >= KV_FR_PAGES, "max_fast_reg_page_list_len %u", max);
	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, 0);
	KV_CHECK(kv, IS_ERR(mr) && PTR_ERR(mr) == -EINVAL,
		 "alloc_mr 0 pages: %d", PTR_ERR_OR_ZERO(mr));
	if (!IS_ERR(mr))
		ib_dereg_mr(mr);
	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, max + 1);
	KV_CHECK(kv, IS_ERR(mr) && PTR_ERR(mr) == -EINVAL,
		 "alloc_mr max + 1 pages: %d", PTR_ERR_OR_ZERO(mr));
	if (!IS_ERR(mr))
		ib_dereg_mr(mr);
	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_SG_GAPS, KV_FR_PAGES);
	KV_CHECK(kv, IS_ERR(mr) && PTR_ERR(mr) == -EOPNOTSUPP,
		 "alloc_mr SG_GAPS: %d", PTR_ERR_OR_ZERO(mr));
	if (!IS_ERR(mr))
		ib_dereg_mr(mr);
	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, max);
	KV_CHECK(kv, !IS_ERR(mr) && mr->lkey && mr->lkey == mr->rkey &&
		 mr->type == IB_MR_TYPE_MEM_REG, "alloc_mr max pages: %d",
		 PTR_ERR_OR_ZERO(mr));
	if (!IS_ERR(mr))
		KV_CHECK(kv, !ib_dereg_mr(mr), "dereg of a never registered MR");
}

/*
 * map_mr_sg in page size @ps: three pieces of side 1's buffer, out of
 * order, the first starting inside a page (and @sgoff bytes into it), the
 * last ending inside one; then REG_MR, and RDMA WRITE, RDMA READ and a
 * SEND (the MR's lkey in the receive SGE) through it, each checked
 * against where the bytes must land; LOCAL_INV; dereg.
 */
static void kv_t_frmr_io(struct kv *kv, unsigned int ps, unsigned int sgoff)
{
	const struct kv_piece p[3] = {
		{ 5 * ps + 100, ps - 100 },	/* ends on a page boundary */
		{ 2 * ps, 2 * ps },
		{ 9 * ps, 1000 },		/* ends inside a page */
	};
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |
			   IB_ACCESS_REMOTE_READ;
	u32 len = kv_pieces_len(p, 3) - sgoff, rlen;
	unsigned int off = sgoff;
	struct scatterlist sg[3];
	struct ib_sge rsge, ssge;
	struct ib_recv_wr rwr = {};
	struct ib_send_wr swr = {};
	struct ib_wc wc[2];
	struct ib_mr *mr;
	u8 *src = kv->s[0].buf, *back = kv->s[0].buf + (1 << 20);
	int n, st;

	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr), "ps %u: alloc_mr: %d", ps,
		 PTR_ERR_OR_ZERO(mr));
	if (IS_ERR(mr))
		return;
	memset(kv->s[1].buf, 0, 10 * ps + 4096);
	n = kv_map(kv, mr, sg, 1, p, 3, sgoff ? &off : NULL, ps);
	KV_CHECK(kv, n == 3 && mr->iova == (uintptr_t)kv->s[1].buf +
		 p[0].off + sgoff && mr->length == len && mr->page_size == ps,
		 "ps %u: map_mr_sg %d iova %#llx length %llu", ps, n,
		 mr->iova, mr->length);
	if (n != 3)
		goto out;
	ib_update_fast_reg_key(mr, 0x5a);
	st = kv_reg(kv, 1, mr, access, 30);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "ps %u: REG_MR: %d", ps, st);

	/* RDMA WRITE of the whole range */
	kv_fill(src, len, ps >> 10);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey, len);
	KV_CHECK(kv, st == IB_WC_SUCCESS &&
		 kv_pieces_equal(kv, p, 3, sgoff, src, len),
		 "ps %u: write through the MR: %d", ps, st);

	/* RDMA READ of a middle part, across piece boundaries */
	rlen = len - 300;
	memset(back, 0, rlen);
	st = kv_rdma_key(kv, IB_WR_RDMA_READ, 1 << 20, mr->iova + 150,
			 mr->rkey, rlen);
	KV_CHECK(kv, st == IB_WC_SUCCESS && !memcmp(back, src + 150, rlen),
		 "ps %u: read through the MR: %d", ps, st);

	/* SEND landing in a receive SGE that names the MR's lkey */
	memset(kv->s[1].buf, 0, 10 * ps + 4096);
	rsge = (struct ib_sge) { .addr = mr->iova + 10, .length = len - 10,
				 .lkey = mr->lkey };
	rwr.wr_id = 31;
	rwr.sg_list = &rsge;
	rwr.num_sge = 1;
	kv_fill(src, len - 10, 3);
	ssge = kv_sge(kv, 0, 0, min(len - 10, 4000U));
	swr.wr_id = 32;
	swr.opcode = IB_WR_SEND;
	swr.sg_list = &ssge;
	swr.num_sge = 1;
	st = ib_post_recv(kv->s[1].qp, &rwr, NULL) ?:
	     ib_post_send(kv->s[0].qp, &swr, NULL);
	n = st ? 0 : kv_poll(kv->cq, wc, 2);
	KV_CHECK(kv, n == 2 && wc[0].status == IB_WC_SUCCESS &&
		 wc[1].status == IB_WC_SUCCESS &&
		 kv_pieces_equal(kv, p, 3, sgoff + 10, src, ssge.length),
		 "ps %u: send into the MR: n %d status %d %d", ps, n,
		 wc[0].status, wc[1].status);

	st = kv_inv(kv, 1, mr->rkey, 33);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "ps %u: LOCAL_INV: %d", ps, st);
	kv_unmap(kv, sg, 3);
out:
	KV_CHECK(kv, !ib_dereg_mr(mr), "ps %u: dereg", ps);
}

/*
 * map_mr_sg takes the longest prefix that fits the rules and the MR:
 * a gap stops it, so does the MR's page count.
 */
static void kv_t_frmr_map_limits(struct kv *kv)
{
	const struct kv_piece gap[2] = { { 0, 4096 }, { 8192 + 8, 4096 } };
	const struct kv_piece big[1] = { { 0, (KV_FR_PAGES + 1) * 4096 } };
	struct scatterlist sg[2];
	struct ib_mr *mr;
	int n;

	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr), "alloc_mr: %d", PTR_ERR_OR_ZERO(mr));
	if (IS_ERR(mr))
		return;
	n = kv_map(kv, mr, sg, 1, gap, 2, NULL, 4096);
	KV_CHECK(kv, n == 1 && mr->length == 4096, "gap: %d length %llu", n,
		 mr->length);
	kv_unmap(kv, sg, 2);
	n = kv_map(kv, mr, sg, 1, big, 1, NULL, 4096);
	KV_CHECK(kv, n < 1 || mr->length < big[0].len,
		 "more pages than the MR has: %d length %llu", n, mr->length);
	kv_unmap(kv, sg, 1);
	n = kv_map(kv, mr, sg, 1, big, 1, NULL, 4096 + 512);
	KV_CHECK(kv, n < 0, "page size 4608: %d", n);
	kv_unmap(kv, sg, 1);
	ib_dereg_mr(mr);
}

/*
 * Re-registration with a new key: LOCAL_INV, ib_update_fast_reg_key(),
 * a new page list, REG_MR.  The new key reaches the new pages; the old
 * key is a remote access error for the requester (both QPs to error)
 * and changes nothing; after a LOCAL_INV the current key is refused too.
 */
static void kv_t_frmr_rereg(struct kv *kv)
{
	const struct kv_piece a[1] = { { 4096, 8192 } };
	const struct kv_piece b[2] = { { 40960 + 64, 4032 }, { 16384, 4096 } };
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |
			   IB_ACCESS_REMOTE_READ;
	u8 *src = kv->s[0].buf;
	struct scatterlist sg[2];
	u32 old_rkey, len;
	struct ib_mr *mr;
	int n, st;

	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr), "alloc_mr: %d", PTR_ERR_OR_ZERO(mr));
	if (IS_ERR(mr))
		return;
	n = kv_map(kv, mr, sg, 1, a, 1, NULL, 4096);
	kv_unmap(kv, sg, 1);
	ib_update_fast_reg_key(mr, 0x11);
	st = kv_reg(kv, 1, mr, access, 40);
	KV_CHECK(kv, n == 1 && st == IB_WC_SUCCESS, "first REG_MR: %d %d", n,
		 st);
	kv_fill(src, 8192, 1);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey, 8192);
	KV_CHECK(kv, st == IB_WC_SUCCESS && kv_pieces_equal(kv, a, 1, 0, src,
							    8192),
		 "write with the first key: %d", st);
	old_rkey = mr->rkey;

	st = kv_inv(kv, 1, mr->rkey, 41);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "LOCAL_INV: %d", st);
	ib_update_fast_reg_key(mr, 0x12);
	n = kv_map(kv, mr, sg, 1, b, 2, NULL, 4096);
	kv_unmap(kv, sg, 2);
	len = kv_pieces_len(b, 2);
	st = kv_reg(kv, 1, mr, access, 42);
	KV_CHECK(kv, n == 2 && st == IB_WC_SUCCESS && mr->rkey != old_rkey &&
		 (mr->rkey >> 8) == (old_rkey >> 8), "REG_MR with key %#x: %d",
		 mr->rkey, st);
	kv_fill(src, len, 2);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey, len);
	KV_CHECK(kv, st == IB_WC_SUCCESS && kv_pieces_equal(kv, b, 2, 0, src,
							    len),
		 "write with the new key: %d", st);

	/* the old key: refused, nothing written */
	kv_fill(src, 4096, 99);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, old_rkey, 4096);
	KV_CHECK(kv, st == IB_WC_REM_ACCESS_ERR && kv_qp_state(kv, 0) ==
		 IB_QPS_ERR, "write with the old key: %d", st);
	kv_fill(src, len, 2);
	KV_CHECK(kv, kv_pieces_equal(kv, b, 2, 0, src, len),
		 "the old key changed memory");
	kv_reconnect(kv);

	/* the current key after LOCAL_INV: refused as well */
	st = kv_inv(kv, 1, mr->rkey, 43);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "LOCAL_INV 2: %d", st);
	st = kv_rdma_key(kv, IB_WR_RDMA_READ, 0, mr->iova, mr->rkey, 64);
	KV_CHECK(kv, st == IB_WC_REM_ACCESS_ERR && kv_qp_state(kv, 0) ==
		 IB_QPS_ERR, "read after LOCAL_INV: %d", st);
	kv_reconnect(kv);
	/* invalidating a FREE MR with its last key is allowed */
	st = kv_inv(kv, 1, mr->rkey, 44);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "LOCAL_INV of a free MR: %d", st);
	/* a registered MR may be deregistered directly */
	st = kv_reg(kv, 1, mr, access, 45);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "REG_MR 3: %d", st);
	KV_CHECK(kv, !ib_dereg_mr(mr), "dereg of a valid MR");
}

/*
 * Bad REG_MR and LOCAL_INV complete with errors (and, as any error
 * completion, move the QP to the error state): REG_MR of a VALID MR, bad
 * access flags, LOCAL_INV with a wrong key byte, of an MR of another PD,
 * of a key that is no fast-reg MR, REG_MR of another PD's MR.  A REG_MR
 * whose key is not the MR's index is refused by post_send.
 */
static void kv_t_frmr_errors(struct kv *kv)
{
	const struct kv_piece a[1] = { { 0, 8192 } };
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
	const struct ib_send_wr *bad = NULL;
	struct scatterlist sg[1];
	struct ib_mr *mr, *mr2 = NULL;
	struct ib_pd *pd2;
	struct ib_reg_wr rwr;
	int n, st, err;

	pd2 = ib_alloc_pd(kv->dev, 0);
	KV_CHECK(kv, !IS_ERR(pd2), "second PD: %d", PTR_ERR_OR_ZERO(pd2));
	if (IS_ERR(pd2))
		return;
	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr), "alloc_mr: %d", PTR_ERR_OR_ZERO(mr));
	if (IS_ERR(mr))
		goto out_pd;
	n = kv_map(kv, mr, sg, 1, a, 1, NULL, 4096);
	kv_unmap(kv, sg, 1);
	KV_CHECK(kv, n == 1, "map: %d", n);

	/* remote write without local write */
	st = kv_reg(kv, 1, mr, IB_ACCESS_REMOTE_WRITE, 50);
	KV_CHECK(kv, st == IB_WC_LOC_QP_OP_ERR && kv_qp_state(kv, 1) ==
		 IB_QPS_ERR, "REG_MR with bad access: %d", st);
	kv_reconnect(kv);

	st = kv_reg(kv, 1, mr, access, 51);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "REG_MR: %d", st);
	st = kv_reg(kv, 1, mr, access, 52);
	KV_CHECK(kv, st == IB_WC_MW_BIND_ERR, "REG_MR of a valid MR: %d", st);
	kv_reconnect(kv);
	/* it stayed registered */
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey, 64);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "write after a failed REG_MR: %d",
		 st);

	st = kv_inv(kv, 1, mr->rkey ^ 0x80, 53);
	KV_CHECK(kv, st == IB_WC_LOC_PROT_ERR, "LOCAL_INV wrong key: %d", st);
	kv_reconnect(kv);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey, 64);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "still valid after it: %d", st);

	st = kv_inv(kv, 1, kv->pd->local_dma_lkey, 54);
	KV_CHECK(kv, st == IB_WC_LOC_PROT_ERR, "LOCAL_INV of the DMA MR: %d",
		 st);
	kv_reconnect(kv);
	st = kv_inv(kv, 1, 0xfffff00 | 0x42, 55);
	KV_CHECK(kv, st == IB_WC_LOC_PROT_ERR, "LOCAL_INV of no MR: %d", st);
	kv_reconnect(kv);

	mr2 = ib_alloc_mr(pd2, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr2), "alloc_mr pd2: %d", PTR_ERR_OR_ZERO(mr2));
	if (IS_ERR(mr2)) {
		mr2 = NULL;
		goto out;
	}
	n = kv_map(kv, mr2, sg, 1, a, 1, NULL, 4096);
	kv_unmap(kv, sg, 1);
	st = kv_reg(kv, 1, mr2, access, 56);
	KV_CHECK(kv, n == 1 && st == IB_WC_LOC_PROT_ERR,
		 "REG_MR of another PD's MR: %d", st);
	kv_reconnect(kv);
	st = kv_inv(kv, 1, mr2->rkey, 57);
	KV_CHECK(kv, st == IB_WC_LOC_PROT_ERR,
		 "LOCAL_INV of another PD's MR: %d", st);
	kv_reconnect(kv);

	/* a key with another MR's index: refused at post time */
	memset(&rwr, 0, sizeof(rwr));
	rwr.wr.opcode = IB_WR_REG_MR;
	rwr.mr = mr;
	rwr.key = mr2->rkey;
	rwr.access = access;
	err = ib_post_send(kv->s[1].qp, &rwr.wr, &bad);
	KV_CHECK(kv, err == -EINVAL && bad == &rwr.wr,
		 "REG_MR with another MR's key: %d", err);
	KV_CHECK(kv, kv_qp_state(kv, 1) == IB_QPS_RTS, "qp state after it");
out:
	st = kv_inv(kv, 1, mr->rkey, 58);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "final LOCAL_INV: %d", st);
	if (mr2)
		ib_dereg_mr(mr2);
	ib_dereg_mr(mr);
out_pd:
	ib_dealloc_pd(pd2);
}

/*
 * SEND_WITH_INV: the responder places the message, then invalidates the
 * rkey of the IETH and reports it in the receive WC; the rkey is dead
 * from then on.  A multi-packet send (SEND_FIRST ... SEND_LAST_WITH_INV)
 * and a single-packet one (SEND_ONLY_WITH_INV) after a re-registration;
 * an rkey that is no fast-reg MR fails on both sides.
 */
static void kv_t_send_inv(struct kv *kv)
{
	static const u32 sizes[2] = { 2500, 100 };
	const struct kv_piece a[1] = { { 65536, 8192 } };
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
	struct scatterlist sg[1];
	struct ib_send_wr swr;
	struct ib_sge ssge;
	struct ib_wc wc[2];
	struct ib_mr *mr;
	int i, n, st, err, r;

	mr = ib_alloc_mr(kv->pd, IB_MR_TYPE_MEM_REG, KV_FR_PAGES);
	KV_CHECK(kv, !IS_ERR(mr), "alloc_mr: %d", PTR_ERR_OR_ZERO(mr));
	if (IS_ERR(mr))
		return;
	n = kv_map(kv, mr, sg, 1, a, 1, NULL, 4096);
	kv_unmap(kv, sg, 1);
	KV_CHECK(kv, n == 1, "map: %d", n);

	for (i = 0; i < 2; i++) {
		ib_update_fast_reg_key(mr, 0x70 + i);
		st = kv_reg(kv, 1, mr, access, 60 + i);
		KV_CHECK(kv, st == IB_WC_SUCCESS, "REG_MR %d: %d", i, st);

		memset(kv->s[1].buf, 0, 8192);
		kv_fill(kv->s[0].buf, sizes[i], 20 + i);
		err = kv_post_recv(kv, 1, 70 + i, 0, 8192);
		memset(&swr, 0, sizeof(swr));
		ssge = kv_sge(kv, 0, 0, sizes[i]);
		swr.wr_id = 80 + i;
		swr.opcode = IB_WR_SEND_WITH_INV;
		swr.send_flags = IB_SEND_SIGNALED;
		swr.ex.invalidate_rkey = mr->rkey;
		swr.sg_list = &ssge;
		swr.num_sge = 1;
		err = err ?: ib_post_send(kv->s[0].qp, &swr, NULL);
		n = err ? 0 : kv_poll(kv->cq, wc, 2);
		KV_CHECK(kv, n == 2, "send with invalidate %d: %d %d", i, err, n);
		if (n != 2)
			continue;
		r = wc[0].wr_id == 70 + i ? 0 : 1;
		KV_CHECK(kv, wc[1 - r].status == IB_WC_SUCCESS &&
			 wc[1 - r].opcode == IB_WC_SEND &&
			 wc[1 - r].wr_id == 80 + i,
			 "send %d: status %d opcode %d", i, wc[1 - r].status,
			 wc[1 - r].opcode);
		KV_CHECK(kv, wc[r].status == IB_WC_SUCCESS &&
			 wc[r].opcode == IB_WC_RECV &&
			 wc[r].byte_len == sizes[i] &&
			 (wc[r].wc_flags & IB_WC_WITH_INVALIDATE) &&
			 !(wc[r].wc_flags & IB_WC_WITH_IMM) &&
			 wc[r].ex.invalidate_rkey == mr->rkey &&
			 !memcmp(kv->s[1].buf, kv->s[0].buf, sizes[i]),
			 "recv %d: status %d len %u flags %#x rkey %#x", i,
			 wc[r].status, wc[r].byte_len, wc[r].wc_flags,
			 wc[r].ex.invalidate_rkey);
		/* the rkey is invalid now */
		st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, mr->iova, mr->rkey,
				 64);
		KV_CHECK(kv, st == IB_WC_REM_ACCESS_ERR,
			 "write after send with invalidate %d: %d", i, st);
		kv_reconnect(kv);
	}

	/* an rkey that no fast-reg MR has: both sides fail */
	err = kv_post_recv(kv, 1, 72, 0, 8192);
	ssge = kv_sge(kv, 0, 0, 64);
	swr.wr_id = 82;
	swr.ex.invalidate_rkey = kv->pd->unsafe_global_rkey;
	err = err ?: ib_post_send(kv->s[0].qp, &swr, NULL);
	n = err ? 0 : kv_poll(kv->cq, wc, 2);
	r = n == 2 && wc[0].wr_id == 72 ? 0 : 1;
	KV_CHECK(kv, n == 2 && wc[r].status == IB_WC_REM_INV_REQ_ERR &&
		 wc[1 - r].status == IB_WC_REM_INV_REQ_ERR,
		 "send invalidating the global rkey: n %d status %d %d", n,
		 n > 0 ? wc[0].status : -1, n > 1 ? wc[1].status : -1);
	kv_reconnect(kv);
	st = kv_rdma_key(kv, IB_WR_RDMA_WRITE, 0, kv->s[1].dma,
			 kv->pd->unsafe_global_rkey, 64);
	KV_CHECK(kv, st == IB_WC_SUCCESS, "global rkey still works: %d", st);
	KV_CHECK(kv, !ib_dereg_mr(mr), "dereg");
}

/* Completion events: a CQ the core polls from softirq on notification. */
struct kv_done {
	struct ib_cqe cqe;
	struct completion done;
	enum ib_wc_status status;
};

static void kv_done_fn(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kv_done *d = container_of(wc->wr_cqe, struct kv_done, cqe);

	d->status = wc->status;
	complete(&d->done);
}

static void kv_t_events(struct kv *kv)
{
	struct kv_done sdone = { .cqe.done = kv_done_fn };
	struct kv_done rdone = { .cqe.done = kv_done_fn };
	struct ib_qp *a = NULL, *b = NULL;
	struct ib_sge rsge, ssge;
	struct ib_recv_wr rwr = {};
	struct ib_send_wr swr = {};
	struct ib_cq *cq;
	int err;

	init_completion(&sdone.done);
	init_completion(&rdone.done);
	cq = ib_alloc_cq(kv->dev, NULL, 16, 0, IB_POLL_SOFTIRQ);
	KV_CHECK(kv, !IS_ERR(cq), "alloc softirq cq: %d", PTR_ERR_OR_ZERO(cq));
	if (IS_ERR(cq))
		return;
	a = kv_create_qp(kv, cq, cq);
	b = kv_create_qp(kv, cq, cq);
	KV_CHECK(kv, !IS_ERR(a) && !IS_ERR(b), "create event qps");
	if (IS_ERR(a) || IS_ERR(b))
		goto out;
	err = kv_connect(kv, a, b->qp_num) ?: kv_connect(kv, b, a->qp_num);
	KV_CHECK(kv, !err, "connect event qps: %d", err);
	if (err)
		goto out;

	rsge = kv_sge(kv, 1, 0, 4096);
	rwr.wr_cqe = &rdone.cqe;
	rwr.sg_list = &rsge;
	rwr.num_sge = 1;
	ssge = kv_sge(kv, 0, 0, 512);
	swr.wr_cqe = &sdone.cqe;
	swr.opcode = IB_WR_SEND;
	swr.send_flags = IB_SEND_SIGNALED | IB_SEND_SOLICITED;
	swr.sg_list = &ssge;
	swr.num_sge = 1;
	kv_fill(kv->s[0].buf, 512, 9);
	err = ib_post_recv(b, &rwr, NULL) ?: ib_post_send(a, &swr, NULL);
	KV_CHECK(kv, !err, "post event traffic: %d", err);
	KV_CHECK(kv, wait_for_completion_timeout(&sdone.done,
						 msecs_to_jiffies(KV_WAIT_MS)) &&
		 sdone.status == IB_WC_SUCCESS, "send completion event");
	KV_CHECK(kv, wait_for_completion_timeout(&rdone.done,
						 msecs_to_jiffies(KV_WAIT_MS)) &&
		 rdone.status == IB_WC_SUCCESS &&
		 !memcmp(kv->s[0].buf, kv->s[1].buf, 512),
		 "receive completion event");
out:
	if (!IS_ERR_OR_NULL(a))
		ib_destroy_qp(a);
	if (!IS_ERR_OR_NULL(b))
		ib_destroy_qp(b);
	ib_free_cq(cq);
}

/*
 * A send from a bad lkey completes with a local protection error, the QP
 * goes to the error state and the WR behind it is flushed.  Run last: the
 * QP stays in error.
 */
static void kv_t_prot_error(struct kv *kv)
{
	struct ib_sge sge = kv_sge(kv, 0, 0, 64);
	struct ib_send_wr wr = {
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
		.sg_list = &sge,
		.num_sge = 1,
	};
	struct ib_qp_attr attr;
	struct ib_qp_init_attr init;
	struct ib_wc wc[2];
	int n, err;

	sge.lkey ^= 0x55;	/* no such MR */
	wr.wr_id = 10;
	err = ib_post_send(kv->s[0].qp, &wr, NULL);
	sge.lkey ^= 0x55;
	wr.wr_id = 11;
	err = err ?: ib_post_send(kv->s[0].qp, &wr, NULL);
	KV_CHECK(kv, !err, "post bad send: %d", err);
	n = kv_poll(kv->cq, wc, 2);
	KV_CHECK(kv, n == 2 && wc[0].wr_id == 10 &&
		 wc[0].status == IB_WC_LOC_PROT_ERR && wc[1].wr_id == 11 &&
		 wc[1].status == IB_WC_WR_FLUSH_ERR,
		 "bad lkey: n %d status %d, %d", n, wc[0].status,
		 n > 1 ? wc[1].status : -1);
	err = ib_query_qp(kv->s[0].qp, &attr, IB_QP_STATE, &init);
	KV_CHECK(kv, !err && attr.qp_state == IB_QPS_ERR, "qp state %d",
		 attr.qp_state);
}

static int kv_setup(struct kv *kv)
{
	int i, err;

	err = kv_find_gid(kv);
	if (err) {
		pr_err("sroce_kverbs: %s has no 127.0.0.1 RoCE v2 GID\n", device);
		return err;
	}
	kv->pd = ib_alloc_pd(kv->dev, IB_PD_UNSAFE_GLOBAL_RKEY);
	if (IS_ERR(kv->pd))
		return PTR_ERR(kv->pd);
	KV_CHECK(kv, kv->pd->local_dma_lkey && kv->pd->unsafe_global_rkey,
		 "PD keys: lkey %#x rkey %#x", kv->pd->local_dma_lkey,
		 kv->pd->unsafe_global_rkey);
	kv->cq = ib_alloc_cq(kv->dev, NULL, 256, 0, IB_POLL_DIRECT);
	if (IS_ERR(kv->cq))
		return PTR_ERR(kv->cq);
	for (i = 0; i < 2; i++) {
		kv->s[i].buf = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						      KV_BUF_ORDER);
		if (!kv->s[i].buf)
			return -ENOMEM;
		kv->s[i].dma = ib_dma_map_single(kv->dev, kv->s[i].buf,
						 KV_BUF_SIZE, DMA_BIDIRECTIONAL);
		if (ib_dma_mapping_error(kv->dev, kv->s[i].dma))
			return -ENOMEM;
		kv->s[i].qp = kv_create_qp(kv, kv->cq, kv->cq);
		if (IS_ERR(kv->s[i].qp))
			return PTR_ERR(kv->s[i].qp);
	}
	err = kv_connect(kv, kv->s[0].qp, kv->s[1].qp->qp_num);
	return err ?: kv_connect(kv, kv->s[1].qp, kv->s[0].qp->qp_num);
}

static void kv_teardown(struct kv *kv)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!IS_ERR_OR_NULL(kv->s[i].qp))
			ib_destroy_qp(kv->s[i].qp);
		if (kv->s[i].buf) {
			if (kv->s[i].dma)
				ib_dma_unmap_single(kv->dev, kv->s[i].dma,
						    KV_BUF_SIZE,
						    DMA_BIDIRECTIONAL);
			free_pages((unsigned long)kv->s[i].buf, KV_BUF_ORDER);
		}
	}
	if (!IS_ERR_OR_NULL(kv->cq))
		ib_free_cq(kv->cq);
	if (!IS_ERR_OR_NULL(kv->pd))
		ib_dealloc_pd(kv->pd);
}

static int __init kv_init(void)
{
	struct kv *kv;
	int err;

	kv = kzalloc(sizeof(*kv), GFP_KERNEL);
	if (!kv)
		return -ENOMEM;
	kv->dev = ib_device_get_by_name(device, RDMA_DRIVER_UNKNOWN);
	if (!kv->dev) {
		pr_err("sroce_kverbs: no device %s\n", device);
		kfree(kv);
		return -ENODEV;
	}

	err = kv_setup(kv);
	KV_CHECK(kv, !err, "setup: %d", err);
	if (!err) {
		kv_t_send(kv);
		kv_t_write_read(kv);
		kv_t_atomic_denied(kv);
		kv_t_frmr_alloc(kv);
		kv_t_frmr_io(kv, 4096, 0);
		kv_t_frmr_io(kv, 8192, 300);
		kv_t_frmr_io(kv, 65536, 0);
		kv_t_frmr_map_limits(kv);
		kv_t_frmr_rereg(kv);
		kv_t_frmr_errors(kv);
		kv_t_send_inv(kv);
		kv_t_events(kv);
		kv_t_prot_error(kv);	/* last: leaves a QP in error */
	}
	kv_teardown(kv);
	ib_device_put(kv->dev);

	pr_info("sroce_kverbs: %u passed, %u failed\n", kv->passed, kv->failed);
	err = kv->failed ? -EINVAL : -EAGAIN;
	kfree(kv);
	return err;
}
module_init(kv_init);

MODULE_DESCRIPTION("sroce test: kernel verbs consumer");
MODULE_LICENSE("Dual BSD/GPL");
