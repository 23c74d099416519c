// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: queue pairs (RC and UD).
 *
 * The kernel creates a QP together with its send and receive rings; the
 * provider maps them (wq.c) and posts by writing WQEs into the slots and
 * publishing them with a store-release of the ring's producer index.
 * Receive WQEs need nothing more.  The kernel's requester may be asleep
 * when send WQEs arrive, so post_send continues:
 *
 *	store-release(sq producer)
 *	full barrier
 *	if (sq_ctrl->kernel_idle)
 *		doorbell: a POST_SEND command with no work requests
 *
 * The kernel sets kernel_idle, issues a full barrier and re-reads the
 * producer before its requester sleeps, so either it sees the new WQEs or
 * the provider sees kernel_idle set and rings.  A busy requester costs no
 * system call.
 *
 * Sends are posted with ibv_post_send() or with the extended ibv_wr_*() API;
 * both write the same WQEs (struct sroce_send_wqe, then SGEs or inline data).
 *
 * Locking: sq.lock serialises the SQ's producers, held for a post_send call
 * or from wr_start to wr_complete/wr_abort (doorbells are rung after it is
 * dropped); rq.lock serialises post_recv.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sroce.h"

#define SROCE_QP_COMP_MASK	(IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS | \
				 IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)
#define SROCE_SEND_FLAGS	(IBV_SEND_FENCE | IBV_SEND_SIGNALED | IBV_SEND_SOLICITED | \
				 IBV_SEND_INLINE)
/* The operations each QP type may post; also the ibv_wr_*() builders offered. */
#define SROCE_UD_SEND_OPS	(IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM)
#define SROCE_RC_SEND_OPS	(SROCE_UD_SEND_OPS | IBV_QP_EX_WITH_RDMA_WRITE | \
				 IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM | IBV_QP_EX_WITH_RDMA_READ | \
				 IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP | \
				 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
/* Atomics act on 8 bytes; the local buffer, exactly that long, gets the original value. */
#define SROCE_ATOMIC_SIZE	8

/* Send opcodes sroce implements: the operation bit and the WQE opcode. */
static const struct {
	uint64_t op;		/* IBV_QP_EX_WITH_*, 0: op not offered */
	uint32_t wqe_opcode;	/* enum ib_uverbs_wr_opcode */
} sroce_send_opcodes[] = {
	[IBV_WR_RDMA_WRITE] = {
		IBV_QP_EX_WITH_RDMA_WRITE, IB_UVERBS_WR_RDMA_WRITE },
	[IBV_WR_RDMA_WRITE_WITH_IMM] = {
		IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM, IB_UVERBS_WR_RDMA_WRITE_WITH_IMM },
	[IBV_WR_SEND] = {
		IBV_QP_EX_WITH_SEND, IB_UVERBS_WR_SEND },
	[IBV_WR_SEND_WITH_IMM] = {
		IBV_QP_EX_WITH_SEND_WITH_IMM, IB_UVERBS_WR_SEND_WITH_IMM },
	[IBV_WR_RDMA_READ] = {
		IBV_QP_EX_WITH_RDMA_READ, IB_UVERBS_WR_RDMA_READ },
	[IBV_WR_ATOMIC_CMP_AND_SWP] = {
		IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP, IB_UVERBS_WR_ATOMIC_CMP_AND_SWP },
	[IBV_WR_ATOMIC_FETCH_AND_ADD] = {
		IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD, IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD },
};

static bool sroce_qp_allows(const struct sroce_qp *qp, enum ibv_wr_opcode op)
{
	return (unsigned int)op < sizeof(sroce_send_opcodes) / sizeof(sroce_send_opcodes[0]) &&
	       (qp->send_ops & sroce_send_opcodes[op].op);
}

static bool sroce_qp_is_ud(const struct sroce_qp *qp)
{
	return qp->vqp.qp.qp_type == IBV_QPT_UD;
}

static bool sroce_op_is_atomic(enum ibv_wr_opcode op)
{
	return op == IBV_WR_ATOMIC_CMP_AND_SWP || op == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

static bool sroce_op_has_imm(enum ibv_wr_opcode op)
{
	return op == IBV_WR_SEND_WITH_IMM || op == IBV_WR_RDMA_WRITE_WITH_IMM;
}

/* Inline data is for operations that carry local data to the peer. */
static bool sroce_op_takes_inline(enum ibv_wr_opcode op)
{
	return op == IBV_WR_SEND || op == IBV_WR_SEND_WITH_IMM || op == IBV_WR_RDMA_WRITE ||
	       op == IBV_WR_RDMA_WRITE_WITH_IMM;
}

/*
 * Called after publishing send WQEs, without sq.lock: ring the doorbell if
 * the kernel's requester is idle.  The full barrier orders the
 * store-release of the producer before the read of kernel_idle (and pairs
 * with the kernel's barrier between setting kernel_idle and re-reading the
 * producer).
 */
static int sroce_sq_doorbell(struct sroce_qp *qp)
{
	struct ib_uverbs_post_send_resp resp;
	struct ibv_post_send cmd;
	ssize_t n;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&qp->sq_ctrl->kernel_idle, __ATOMIC_RELAXED))
		return 0;

	memset(&cmd, 0, sizeof(cmd));
	cmd.hdr.command = IB_USER_VERBS_CMD_POST_SEND;
	cmd.hdr.in_words = sizeof(cmd) / 4;
	cmd.hdr.out_words = sizeof(resp) / 4;
	cmd.core_payload.response = (uintptr_t)&resp;
	cmd.core_payload.qp_handle = qp->vqp.qp.handle;
	/* No work requests; the kernel still insists on a sane WR size. */
	cmd.core_payload.wqe_size = sizeof(struct ib_uverbs_send_wr);
	n = write(qp->vqp.qp.context->cmd_fd, &cmd, sizeof(cmd));
	if (n == sizeof(cmd))
		return 0;
	return n < 0 ? errno : EIO;
}

/* ---- send WQEs ---- */

/* Write the header of the send WQE at sq.producer: no data, no address yet. */
static struct sroce_send_wqe *sroce_wqe_start(struct sroce_qp *qp, uint64_t wr_id,
					       enum ibv_wr_opcode op, unsigned int flags)
{
	struct sroce_send_wqe *wqe = sroce_wq_slot(&qp->sq, qp->sq.producer);
	const struct sroce_send_wqe hdr = {
		.wr_id = wr_id,
		.opcode = sroce_send_opcodes[op].wqe_opcode,
		.send_flags = flags | (qp->sig_all ? IBV_SEND_SIGNALED : 0),
	};

	*wqe = hdr;
	return wqe;
}

static void sroce_wqe_rdma(struct sroce_send_wqe *wqe, uint32_t rkey, uint64_t remote_addr)
{
	wqe->wr.rdma.remote_addr = remote_addr;
	wqe->wr.rdma.rkey = rkey;
}

static void sroce_wqe_atomic(struct sroce_send_wqe *wqe, uint32_t rkey, uint64_t remote_addr,
			     uint64_t compare_add, uint64_t swap)
{
	wqe->wr.atomic.remote_addr = remote_addr;
	wqe->wr.atomic.compare_add = compare_add;
	wqe->wr.atomic.swap = swap;
	wqe->wr.atomic.rkey = rkey;
}

static void sroce_wqe_ud(struct sroce_send_wqe *wqe, struct ibv_ah *ah, uint32_t remote_qpn,
			 uint32_t remote_qkey)
{
	wqe->wr.ud.ah_num = to_sah(ah)->ah_num;
	wqe->wr.ud.remote_qpn = remote_qpn;
	wqe->wr.ud.remote_qkey = remote_qkey;
}

/* The data part of a send WQE: SGEs, or the inline bytes. */
static struct sroce_sge *sroce_wqe_sges(struct sroce_send_wqe *wqe)
{
	return (struct sroce_sge *)(wqe + 1);
}

static uint8_t *sroce_wqe_inline(struct sroce_send_wqe *wqe)
{
	return (uint8_t *)(wqe + 1);
}

/* Whether the QP can take this work request; 0 or EINVAL. */
static int sroce_check_send_wr(const struct sroce_qp *qp, const struct ibv_send_wr *wr)
{
	uint64_t len = 0;
	int i;

	if (!sroce_qp_allows(qp, wr->opcode) || (wr->send_flags & ~SROCE_SEND_FLAGS) ||
	    wr->num_sge < 0)
		return EINVAL;
	for (i = 0; i < wr->num_sge; i++)
		len += wr->sg_list[i].length;

	if (wr->send_flags & IBV_SEND_INLINE) {
		if (!sroce_op_takes_inline(wr->opcode) || len > qp->sq.max_inline)
			return EINVAL;
	} else if ((uint32_t)wr->num_sge > qp->sq.max_sge) {
		return EINVAL;
	}
	if (sroce_op_is_atomic(wr->opcode) &&
	    ((wr->wr.atomic.remote_addr % SROCE_ATOMIC_SIZE) || len != SROCE_ATOMIC_SIZE))
		return EINVAL;
	if (sroce_qp_is_ud(qp) && !wr->wr.ud.ah)
		return EINVAL;
	return 0;
}

/* Write a checked work request into the slot at sq.producer. */
static void sroce_write_send(struct sroce_qp *qp, const struct ibv_send_wr *wr)
{
	struct sroce_send_wqe *wqe;
	uint32_t len = 0;
	uint8_t *data;
	int i;

	wqe = sroce_wqe_start(qp, wr->wr_id, wr->opcode, wr->send_flags);
	if (sroce_op_has_imm(wr->opcode))
		wqe->imm_data = wr->imm_data;

	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		sroce_wqe_rdma(wqe, wr->wr.rdma.rkey, wr->wr.rdma.remote_addr);
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		sroce_wqe_atomic(wqe, wr->wr.atomic.rkey, wr->wr.atomic.remote_addr,
				 wr->wr.atomic.compare_add, wr->wr.atomic.swap);
		break;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		sroce_wqe_atomic(wqe, wr->wr.atomic.rkey, wr->wr.atomic.remote_addr,
				 wr->wr.atomic.compare_add, 0);
		break;
	default:
		break;
	}
	if (sroce_qp_is_ud(qp))
		sroce_wqe_ud(wqe, wr->wr.ud.ah, wr->wr.ud.remote_qpn, wr->wr.ud.remote_qkey);

	if (wr->send_flags & IBV_SEND_INLINE) {
		data = sroce_wqe_inline(wqe);
		for (i = 0; i < wr->num_sge; i++) {
			memcpy(data + len, (const void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		wqe->num_sge = len;
	} else {
		for (i = 0; i < wr->num_sge; i++)
			sroce_set_sge(&sroce_wqe_sges(wqe)[i], &wr->sg_list[i]);
		wqe->num_sge = wr->num_sge;
	}
}

/*
 * The work requests before *bad_wr are posted whatever the return value:
 * EINVAL for a request the QP cannot take (or any request on a QP in
 * RESET), ENOMEM when the SQ is full, or the doorbell's error (then
 * *bad_wr is NULL: everything was queued, the kernel was not told).
 */
int sroce_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	uint32_t start;
	int ret = 0, err;

	*bad_wr = NULL;
	/* A QP in RESET takes no work requests; libibverbs tracks the state. */
	if (ibqp->state == IBV_QPS_RESET) {
		*bad_wr = wr;
		return EINVAL;
	}

	pthread_spin_lock(&qp->sq.lock);
	start = qp->sq.producer;
	for (; wr; wr = wr->next) {
		ret = sroce_check_send_wr(qp, wr);
		if (!ret && sroce_wq_full(&qp->sq))
			ret = ENOMEM;
		if (ret) {
			*bad_wr = wr;
			break;
		}
		sroce_write_send(qp, wr);
		qp->sq.producer++;
	}
	if (qp->sq.producer == start) {
		pthread_spin_unlock(&qp->sq.lock);
		return ret;
	}
	sroce_wq_publish(&qp->sq);
	pthread_spin_unlock(&qp->sq.lock);

	err = sroce_sq_doorbell(qp);
	return ret ? ret : err;
}

int sroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	/*
	 * A QP attached to an SRQ receives into the SRQ's WQEs.  A receive
	 * posted to a QP in RESET is an immediate error (from INIT on it is
	 * queued); libibverbs tracks the state.
	 */
	if (ibqp->srq || ibqp->state == IBV_QPS_RESET) {
		*bad_wr = wr;
		return EINVAL;
	}
	return sroce_wq_post_recv(&to_sqp(ibqp)->rq, wr, bad_wr);
}

/* ---- extended send API (ibv_wr_*) ---- */

/* Remember the first error of an extended post; wr_complete reports it. */
static void sroce_ex_fail(struct sroce_qp *qp, int err)
{
	if (!qp->ex.err)
		qp->ex.err = err;
}

/*
 * Finish the WQE being built: what only the whole WQE shows (an atomic's
 * local buffer, a UD destination) is checked here.
 */
static void sroce_ex_close(struct sroce_qp *qp)
{
	if (!qp->ex.wqe || qp->ex.err)
		return;
	if ((sroce_op_is_atomic(qp->ex.op) && qp->ex.len != SROCE_ATOMIC_SIZE) ||
	    (sroce_qp_is_ud(qp) && !qp->ex.has_ud))
		sroce_ex_fail(qp, EINVAL);
	qp->ex.wqe = NULL;
}

/* Start the next WQE of an extended post; NULL once the post has failed. */
static struct sroce_send_wqe *sroce_ex_next(struct ibv_qp_ex *ibqp, enum ibv_wr_opcode op)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);

	sroce_ex_close(qp);
	if (qp->ex.err)
		return NULL;
	if (ibqp->wr_flags & ~SROCE_SEND_FLAGS) {
		sroce_ex_fail(qp, EINVAL);
		return NULL;
	}
	if (sroce_wq_full(&qp->sq)) {
		sroce_ex_fail(qp, ENOMEM);
		return NULL;
	}

	/* Whether the data is inline is up to the data setter. */
	qp->ex.wqe = sroce_wqe_start(qp, ibqp->wr_id, op, ibqp->wr_flags & ~IBV_SEND_INLINE);
	qp->ex.op = op;
	qp->ex.len = 0;
	qp->ex.has_ud = false;
	qp->sq.producer++;
	return qp->ex.wqe;
}

/* The WQE a data or address setter applies to; NULL once the post has failed. */
static struct sroce_send_wqe *sroce_ex_cur(struct sroce_qp *qp)
{
	if (qp->ex.err)
		return NULL;
	if (!qp->ex.wqe)
		sroce_ex_fail(qp, EINVAL);
	return qp->ex.wqe;
}

static void sroce_wr_send(struct ibv_qp_ex *ibqp)
{
	sroce_ex_next(ibqp, IBV_WR_SEND);
}

static void sroce_wr_send_imm(struct ibv_qp_ex *ibqp, __be32 imm_data)
{
	struct sroce_send_wqe *wqe = sroce_ex_next(ibqp, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->imm_data = imm_data;
}

static void sroce_wr_rdma_write(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr)
{
	struct sroce_send_wqe *wqe = sroce_ex_next(ibqp, IBV_WR_RDMA_WRITE);

	if (wqe)
		sroce_wqe_rdma(wqe, rkey, remote_addr);
}

static void sroce_wr_rdma_write_imm(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr,
				    __be32 imm_data)
{
	struct sroce_send_wqe *wqe = sroce_ex_next(ibqp, IBV_WR_RDMA_WRITE_WITH_IMM);

	if (!wqe)
		return;
	wqe->imm_data = imm_data;
	sroce_wqe_rdma(wqe, rkey, remote_addr);
}

static void sroce_wr_rdma_read(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr)
{
	struct sroce_send_wqe *wqe = sroce_ex_next(ibqp, IBV_WR_RDMA_READ);

	if (wqe)
		sroce_wqe_rdma(wqe, rkey, remote_addr);
}

static void sroce_ex_atomic(struct ibv_qp_ex *ibqp, enum ibv_wr_opcode op, uint32_t rkey,
			    uint64_t remote_addr, uint64_t compare_add, uint64_t swap)
{
	struct sroce_send_wqe *wqe = sroce_ex_next(ibqp, op);

	if (!wqe)
		return;
	if (remote_addr % SROCE_ATOMIC_SIZE) {
		sroce_ex_fail(ex_to_sqp(ibqp), EINVAL);
		return;
	}
	sroce_wqe_atomic(wqe, rkey, remote_addr, compare_add, swap);
}

static void sroce_wr_atomic_cmp_swp(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr,
				    uint64_t compare, uint64_t swap)
{
	sroce_ex_atomic(ibqp, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr, compare, swap);
}

static void sroce_wr_atomic_fetch_add(struct ibv_qp_ex *ibqp, uint32_t rkey,
				      uint64_t remote_addr, uint64_t add)
{
	sroce_ex_atomic(ibqp, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr, add, 0);
}

static void sroce_wr_set_sge_list(struct ibv_qp_ex *ibqp, size_t num_sge,
				  const struct ibv_sge *sg_list)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);
	struct sroce_send_wqe *wqe = sroce_ex_cur(qp);
	size_t i;

	if (!wqe)
		return;
	if (num_sge > qp->sq.max_sge) {
		sroce_ex_fail(qp, EINVAL);
		return;
	}
	qp->ex.len = 0;
	for (i = 0; i < num_sge; i++) {
		sroce_set_sge(&sroce_wqe_sges(wqe)[i], &sg_list[i]);
		qp->ex.len += sg_list[i].length;
	}
	wqe->num_sge = num_sge;
	wqe->send_flags &= ~IBV_SEND_INLINE;
}

static void sroce_wr_set_sge(struct ibv_qp_ex *ibqp, uint32_t lkey, uint64_t addr,
			     uint32_t length)
{
	const struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	sroce_wr_set_sge_list(ibqp, 1, &sge);
}

static void sroce_wr_set_inline_data_list(struct ibv_qp_ex *ibqp, size_t num_buf,
					  const struct ibv_data_buf *buf_list)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);
	struct sroce_send_wqe *wqe = sroce_ex_cur(qp);
	uint64_t len = 0;
	uint8_t *data;
	size_t i;

	if (!wqe)
		return;
	for (i = 0; i < num_buf; i++)
		len += buf_list[i].length;
	if (!sroce_op_takes_inline(qp->ex.op) || len > qp->sq.max_inline) {
		sroce_ex_fail(qp, EINVAL);
		return;
	}
	data = sroce_wqe_inline(wqe);
	for (i = 0; i < num_buf; i++) {
		memcpy(data, buf_list[i].addr, buf_list[i].length);
		data += buf_list[i].length;
	}
	wqe->num_sge = len;
	wqe->send_flags |= IBV_SEND_INLINE;
	qp->ex.len = len;
}

static void sroce_wr_set_inline_data(struct ibv_qp_ex *ibqp, void *addr, size_t length)
{
	const struct ibv_data_buf buf = { .addr = addr, .length = length };

	sroce_wr_set_inline_data_list(ibqp, 1, &buf);
}

static void sroce_wr_set_ud_addr(struct ibv_qp_ex *ibqp, struct ibv_ah *ah, uint32_t remote_qpn,
				 uint32_t remote_qkey)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);
	struct sroce_send_wqe *wqe = sroce_ex_cur(qp);

	if (!wqe)
		return;
	if (!ah) {
		sroce_ex_fail(qp, EINVAL);
		return;
	}
	sroce_wqe_ud(wqe, ah, remote_qpn, remote_qkey);
	qp->ex.has_ud = true;
}

static void sroce_wr_start(struct ibv_qp_ex *ibqp)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);

	pthread_spin_lock(&qp->sq.lock);
	qp->ex.start = qp->sq.producer;
	qp->ex.err = ibqp->qp_base.state == IBV_QPS_RESET ? EINVAL : 0;
	qp->ex.wqe = NULL;
}

/* Publish the WQEs built since wr_start, or none of them after an error. */
static int sroce_wr_complete(struct ibv_qp_ex *ibqp)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);
	int err;

	sroce_ex_close(qp);
	err = qp->ex.err;
	if (err)
		qp->sq.producer = qp->ex.start;
	if (qp->sq.producer == qp->ex.start) {
		pthread_spin_unlock(&qp->sq.lock);
		return err;
	}
	sroce_wq_publish(&qp->sq);
	pthread_spin_unlock(&qp->sq.lock);
	return sroce_sq_doorbell(qp);
}

static void sroce_wr_abort(struct ibv_qp_ex *ibqp)
{
	struct sroce_qp *qp = ex_to_sqp(ibqp);

	qp->sq.producer = qp->ex.start;
	qp->ex.wqe = NULL;
	pthread_spin_unlock(&qp->sq.lock);
}

/* Offer the builders for @ops (a subset of qp->send_ops) and every setter. */
static void sroce_qp_set_ex_ops(struct sroce_qp *qp, uint64_t ops)
{
	struct ibv_qp_ex *ex = &qp->vqp.qp_ex;

	if (ops & IBV_QP_EX_WITH_SEND)
		ex->wr_send = sroce_wr_send;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_IMM)
		ex->wr_send_imm = sroce_wr_send_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE)
		ex->wr_rdma_write = sroce_wr_rdma_write;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
		ex->wr_rdma_write_imm = sroce_wr_rdma_write_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_READ)
		ex->wr_rdma_read = sroce_wr_rdma_read;
	if (ops & IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP)
		ex->wr_atomic_cmp_swp = sroce_wr_atomic_cmp_swp;
	if (ops & IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
		ex->wr_atomic_fetch_add = sroce_wr_atomic_fetch_add;

	ex->wr_set_sge = sroce_wr_set_sge;
	ex->wr_set_sge_list = sroce_wr_set_sge_list;
	ex->wr_set_inline_data = sroce_wr_set_inline_data;
	ex->wr_set_inline_data_list = sroce_wr_set_inline_data_list;
	if (sroce_qp_is_ud(qp))
		ex->wr_set_ud_addr = sroce_wr_set_ud_addr;

	ex->wr_start = sroce_wr_start;
	ex->wr_complete = sroce_wr_complete;
	ex->wr_abort = sroce_wr_abort;
}

/* ---- create, modify, query, destroy ---- */

static uint64_t sroce_type_send_ops(enum ibv_qp_type type)
{
	return type == IBV_QPT_UD ? SROCE_UD_SEND_OPS : SROCE_RC_SEND_OPS;
}

/* What can be refused without asking the kernel: 0 or an errno value. */
static int sroce_check_qp_attr(struct ibv_context *ibctx, const struct ibv_qp_init_attr_ex *attr)
{
	const struct ibv_qp_cap *cap = &attr->cap;
	struct sroce_limits lim;
	int ret;

	if (attr->qp_type != IBV_QPT_RC && attr->qp_type != IBV_QPT_UD)
		return EOPNOTSUPP;
	if (attr->comp_mask & ~SROCE_QP_COMP_MASK)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) && attr->create_flags)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	    (attr->send_ops_flags & ~sroce_type_send_ops(attr->qp_type)))
		return EOPNOTSUPP;
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || !attr->pd || !attr->send_cq ||
	    !attr->recv_cq)
		return EINVAL;

	ret = sroce_get_limits(to_sctx(ibctx), &lim);
	if (ret)
		return ret;
	if (cap->max_send_wr > lim.max_qp_wr || cap->max_send_sge > lim.max_sge)
		return EINVAL;
	if (!attr->srq && (cap->max_recv_wr > lim.max_qp_wr || cap->max_recv_sge > lim.max_sge))
		return EINVAL;
	return 0;
}

/*
 * Map the rings of a created QP; attr->cap holds what the kernel granted.
 * The SQ ring starts with the ring header and struct sroce_sq_ctrl, the RQ
 * ring with the header; a QP with an SRQ has no RQ ring.
 */
static int sroce_qp_map(struct sroce_qp *qp, struct ibv_context *ibctx,
			const struct ibv_qp_init_attr_ex *attr,
			const struct sroce_create_qp_resp *drv)
{
	const struct ibv_qp_cap *cap = &attr->cap;
	uint64_t sges = (uint64_t)cap->max_send_sge * sizeof(struct sroce_sge);
	const struct sroce_wq_layout sq = {
		.map = drv->sq,
		.log2_entries = drv->sq_log2_entries,
		.log2_stride = drv->sq_log2_stride,
		.slot_offset = drv->sq_slot_offset,
		.first_slot = sizeof(struct sroce_ring_hdr) + sizeof(struct sroce_sq_ctrl),
		.wqe_size = sizeof(struct sroce_send_wqe) +
			    (sges > cap->max_inline_data ? sges : cap->max_inline_data),
		.max_wr = cap->max_send_wr,
		.max_sge = cap->max_send_sge,
		.max_inline = cap->max_inline_data,
	};
	const struct sroce_wq_layout rq = {
		.map = drv->rq,
		.log2_entries = drv->rq_log2_entries,
		.log2_stride = drv->rq_log2_stride,
		.slot_offset = drv->rq_slot_offset,
		.first_slot = sizeof(struct sroce_ring_hdr),
		.wqe_size = sizeof(struct sroce_recv_wqe) +
			    (uint64_t)cap->max_recv_sge * sizeof(struct sroce_sge),
		.max_wr = cap->max_recv_wr,
		.max_sge = cap->max_recv_sge,
	};
	int ret;

	ret = sroce_wq_map(ibctx, &qp->sq, &sq);
	if (ret)
		return ret;
	if (qp->sq.hdr)
		qp->sq_ctrl = (struct sroce_sq_ctrl *)(qp->sq.hdr + 1);
	if (attr->srq)
		return drv->rq.size ? EPROTO : 0;
	return sroce_wq_map(ibctx, &qp->rq, &rq);
}

static struct sroce_qp *sroce_qp_alloc(void)
{
	struct sroce_qp *qp;

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	if (sroce_wq_init(&qp->sq))
		goto err_free;
	if (sroce_wq_init(&qp->rq))
		goto err_sq;
	return qp;

err_sq:
	sroce_wq_fini(&qp->sq);
err_free:
	free(qp);
	return NULL;
}

static void sroce_qp_free(struct sroce_qp *qp)
{
	sroce_wq_fini(&qp->rq);
	sroce_wq_fini(&qp->sq);
	free(qp);
}

struct ibv_qp *sroce_create_qp_ex(struct ibv_context *ibctx, struct ibv_qp_init_attr_ex *attr)
{
	struct sroce_create_qp_resp_full resp;
	struct ibv_create_qp_ex cmd;
	struct sroce_qp *qp;
	int ret;

	ret = sroce_check_qp_attr(ibctx, attr);
	if (ret) {
		errno = ret;
		return NULL;
	}

	qp = sroce_qp_alloc();
	if (!qp) {
		errno = ENOMEM;
		return NULL;
	}
	qp->send_ops = sroce_type_send_ops(attr->qp_type);
	qp->sig_all = attr->sq_sig_all;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_qp_ex2(ibctx, &qp->vqp, attr, &cmd, sizeof(cmd), &resp.ibv_resp,
				    sizeof(resp));
	if (ret)
		goto err_free;

	ret = sroce_qp_map(qp, ibctx, attr, &resp.drv);
	if (ret) {
		sroce_err(to_sctx(ibctx), "cannot map the QP rings (%d)\n", ret);
		goto err_destroy;
	}
	/* After the command, which resets vqp.comp_mask. */
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		sroce_qp_set_ex_ops(qp, attr->send_ops_flags);
		qp->vqp.comp_mask |= VERBS_QP_EX;
	}
	return &qp->vqp.qp;

err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	sroce_qp_free(qp);
	errno = ret;
	return NULL;
}

struct ibv_qp *sroce_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct ibv_qp *qp;

	qp = sroce_create_qp_ex(pd->context, &attr_ex);
	if (qp)
		attr->cap = attr_ex.cap;
	return qp;
}

/* The kernel stopped the QP: drop its completions not yet polled. */
static void sroce_qp_clean_cqs(struct ibv_qp *ibqp)
{
	if (ibqp->recv_cq)
		sroce_cq_clean(ibqp->recv_cq, ibqp->qp_num);
	if (ibqp->send_cq && ibqp->send_cq != ibqp->recv_cq)
		sroce_cq_clean(ibqp->send_cq, ibqp->qp_num);
}

int sroce_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask)
{
	struct ibv_modify_qp cmd;
	int ret;

	memset(&cmd, 0, sizeof(cmd));
	ret = ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
	if (!ret && (attr_mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_RESET)
		sroce_qp_clean_cqs(ibqp);
	return ret;
}

int sroce_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		   struct ibv_qp_init_attr *init_attr)
{
	struct ibv_query_qp cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_query_qp(ibqp, attr, attr_mask, init_attr, &cmd, sizeof(cmd));
}

/* The rings are unmapped after the kernel let go of the QP. */
int sroce_destroy_qp(struct ibv_qp *ibqp)
{
	int ret;

	ret = ibv_cmd_destroy_qp(ibqp);
	if (ret)
		return ret;
	sroce_qp_clean_cqs(ibqp);
	sroce_qp_free(to_sqp(ibqp));
	return 0;
}
