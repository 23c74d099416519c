// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the responder.  Executes the requests a QP receives: sends into
 * receive WQEs, RDMA writes, reads and atomics on its memory regions;
 * answers with ACK/NAK, read responses and atomic acknowledges; replays
 * duplicate reads and atomics from its responder resources.
 *
 * Owns struct sroce_resp and the consumer side of the QP's RQ (or its
 * share of the SRQ).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <rdma/ib_mad.h>

#include "sroce.h"
#include "sroce_hdr.h"

void sroce_resp_init(struct sroce_qp *qp)
{
	u32 epsn = qp->resp.epsn;

	memset(&qp->resp, 0, sizeof(qp->resp));
	qp->resp.epsn = epsn;
}

static int sroce_resp_fetch_rwqe(struct sroce_qp *qp)
{
	int err;

	if (qp->resp.have_rwqe)
		return 0;
	if (qp->srq)
		err = sroce_srq_fetch(qp->srq, &qp->resp.rwqe);
	else
		err = sroce_rwqe_fetch(&qp->rq, &qp->resp.rwqe);
	if (!err)
		qp->resp.have_rwqe = true;
	return err;
}

/* ---- answers ------------------------------------------------------- */

/*
 * An answer with room for @payload bytes, or (@by_ref, see
 * sroce_pkt_by_ref()) none: the payload is appended by reference.
 */
static struct sk_buff *sroce_resp_pkt(struct sroce_qp *qp, u8 opcode,
				      u32 psn, u32 payload, bool by_ref,
				      const struct sroce_opcode_info **info)
{
	unsigned int pad = (4 - (payload & 3)) & 3;
	struct sk_buff *skb;

	*info = sroce_opcode_info(opcode);
	skb = sroce_pkt_alloc(qp->sdev, &qp->path, (*info)->hdr_len,
			      by_ref ? 0 : payload + pad);
	if (!skb)
		return NULL;
	sroce_bth_init((void *)skb->data, opcode, false, pad,
		       IB_DEFAULT_PKEY_FULL, qp->dest_qpn, false, psn);
	if (pad)
		memset(skb->data + (*info)->hdr_len + payload, 0, pad);
	return skb;
}

static void sroce_set_aeth(struct sk_buff *skb,
			   const struct sroce_opcode_info *info, u8 syndrome,
			   u32 msn)
{
	struct sroce_aeth *aeth = sroce_hdr_at(skb->data, info->aeth_off);

	aeth->smsn = cpu_to_be32((u32)syndrome << 24 | (msn & 0xffffff));
}

static void sroce_resp_send_ack(struct sroce_qp *qp, u8 syndrome, u32 psn)
{
	const struct sroce_opcode_info *info;
	struct sk_buff *skb;

	skb = sroce_resp_pkt(qp, IB_OPCODE_RC_ACKNOWLEDGE, psn, 0, false,
			     &info);
	if (!skb)
		return;
	sroce_set_aeth(skb, info, syndrome, qp->resp.msn);
	sroce_qp_xmit(qp, &qp->path, skb);
}

static void sroce_resp_nak(struct sroce_qp *qp, enum sroce_nak_code code,
			   u32 psn)
{
	sroce_resp_send_ack(qp, SROCE_AETH_NAK | code, psn);
}

/* An error the requester must hear about, after which this QP is dead. */
static void sroce_resp_fatal(struct sroce_qp *qp, enum sroce_nak_code code,
			     u32 psn)
{
	sroce_resp_nak(qp, code, psn);
	sroce_qp_error(qp);
}

/* ---- responder resources (reads and atomics) ------------------------ */

static struct sroce_rd_atom *sroce_res_alloc(struct sroce_qp *qp)
{
	u32 n = max_t(u32, qp->max_dest_rd_atomic, 1);
	struct sroce_rd_atom *res = &qp->resp.res[qp->resp.res_next % n];

	qp->resp.res_next = (qp->resp.res_next + 1) % n;
	res->valid = true;
	return res;
}

static struct sroce_rd_atom *sroce_res_find(struct sroce_qp *qp, u32 psn)
{
	u32 n = max_t(u32, qp->max_dest_rd_atomic, 1), i;

	for (i = 0; i < n; i++) {
		struct sroce_rd_atom *res = &qp->resp.res[i];

		if (res->valid && sroce_psn_diff(psn, res->psn) >= 0 &&
		    sroce_psn_diff(res->last_psn, psn) >= 0)
			return res;
	}
	return NULL;
}

/*
 * Send the read response packets of qp->resp.read_res from read_psn on.
 * Transmit flow control may pause it (returns false): then the rest goes
 * out from sroce_resp_resume(), before any later request is looked at.
 */
static bool sroce_resp_read_continue(struct sroce_qp *qp)
{
	struct sroce_rd_atom *res = qp->resp.read_res;
	u32 psn = qp->resp.read_psn, mtu = qp->mtu_bytes;
	u32 pkt = sroce_psn_diff(psn, res->psn);
	u32 off = pkt * mtu, npkts = max(1U, DIV_ROUND_UP(res->len, mtu));
	struct sroce_mr *mr;
	bool done = true;

	mr = res->len ? sroce_mr_get(qp->sdev, res->rkey) : NULL;
	/* checked again: a fast-reg MR may have been re-registered since */
	if (mr && sroce_mr_check(mr, qp->pd, res->va, res->len,
				 IB_ACCESS_REMOTE_READ)) {
		sroce_mr_put(mr);
		mr = NULL;
	}
	if (res->len && !mr) {
		qp->resp.read_res = NULL;
		sroce_resp_fatal(qp, SROCE_NAK_REM_ACCESS, psn);
		return true;
	}
	for (; pkt < npkts; pkt++, off += mtu, psn = sroce_psn_add(psn, 1)) {
		const struct sroce_opcode_info *info;
		u32 len = min(res->len - off, mtu);
		struct sk_buff *skb;
		u8 opcode;
		int err;

		if (npkts == 1)
			opcode = IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY;
		else if (pkt == 0)
			opcode = IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST;
		else if (pkt == npkts - 1)
			opcode = IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST;
		else
			opcode = IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE;

		if (sroce_qp_tx_full(qp)) {
			done = false;
			break;
		}
		/* a read's target may change under it anyway */
		skb = sroce_resp_pkt(qp, opcode, psn, len,
				     sroce_pkt_by_ref(&qp->path, len, 1),
				     &info);
		if (!skb)
			break;
		if (info->flags & SROCE_OP_AETH)
			sroce_set_aeth(skb, info, SROCE_AETH_ACK |
				       SROCE_AETH_ACK_UNLIMITED, qp->resp.msn);
		if (len) {
			err = sroce_mr_copy_skb(mr, res->va + off, skb,
						info->hdr_len, len,
						SROCE_FROM_MR);
			if (err) {
				kfree_skb(skb);
				sroce_resp_fatal(qp, SROCE_NAK_REM_ACCESS, psn);
				break;
			}
		}
		sroce_qp_xmit(qp, &qp->path, skb);
	}
	if (mr)
		sroce_mr_put(mr);
	qp->resp.read_psn = psn;
	if (done)
		qp->resp.read_res = NULL;
	return done;
}

/* Answer the read of @res from response @psn on (a new or replayed read). */
static void sroce_resp_read_send(struct sroce_qp *qp, struct sroce_rd_atom *res,
				 u32 psn)
{
	qp->resp.read_res = res;
	qp->resp.read_psn = psn;
	sroce_resp_read_continue(qp);
}

/*
 * Before the QP's next packet: finish a read response that transmit flow
 * control paused.  Returns false while it is still paused.
 */
bool sroce_resp_resume(struct sroce_qp *qp)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (!qp->resp.read_res)
		return true;
	if (state != IB_QPS_RTR && state != IB_QPS_RTS &&
	    state != IB_QPS_SQD && state != IB_QPS_SQE) {
		qp->resp.read_res = NULL;
		return true;
	}
	return sroce_resp_read_continue(qp);
}

/* Check a remote access; returns the MR referenced or NULL (NAK sent). */
static struct sroce_mr *sroce_resp_mr(struct sroce_qp *qp, u32 rkey, u64 va,
				      u32 len, int access, u32 psn)
{
	struct sroce_mr *mr;

	if (!(qp->access & access)) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return NULL;
	}
	mr = sroce_mr_get(qp->sdev, rkey);
	if (!mr || sroce_mr_check(mr, qp->pd, va, len, access) ||
	    mr->key != rkey) {
		if (mr)
			sroce_mr_put(mr);
		sroce_resp_fatal(qp, SROCE_NAK_REM_ACCESS, psn);
		return NULL;
	}
	return mr;
}

static void sroce_resp_read(struct sroce_qp *qp, struct sk_buff *skb,
			    const struct sroce_opcode_info *info, u32 psn)
{
	struct sroce_reth *reth = sroce_hdr_at(skb->data, info->reth_off);
	u32 len = be32_to_cpu(reth->len), npkts;
	struct sroce_rd_atom *res;
	struct sroce_mr *mr;

	if (len) {
		mr = sroce_resp_mr(qp, be32_to_cpu(reth->rkey),
				   be64_to_cpu(reth->va), len,
				   IB_ACCESS_REMOTE_READ, psn);
		if (!mr)
			return;
		sroce_mr_put(mr);
	} else if (!(qp->access & IB_ACCESS_REMOTE_READ)) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}
	npkts = max(1U, DIV_ROUND_UP(len, qp->mtu_bytes));
	res = sroce_res_alloc(qp);
	res->opcode = IB_OPCODE_RC_RDMA_READ_REQUEST;
	res->psn = psn;
	res->last_psn = sroce_psn_add(psn, npkts - 1);
	res->va = be64_to_cpu(reth->va);
	res->rkey = be32_to_cpu(reth->rkey);
	res->len = len;
	qp->resp.msn++;
	qp->resp.epsn = sroce_psn_add(psn, npkts);
	sroce_resp_read_send(qp, res, psn);
}

static void sroce_resp_atomic(struct sroce_qp *qp, struct sk_buff *skb,
			      const struct sroce_opcode_info *info, u32 psn)
{
	struct sroce_atmeth *a = sroce_hdr_at(skb->data, info->atmeth_off);
	const struct sroce_opcode_info *ainfo;
	u64 va = be64_to_cpu(a->va), orig;
	struct sroce_rd_atom *res;
	struct sroce_mr *mr;
	struct sk_buff *ack;
	int err;

	if (va & 7) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}
	mr = sroce_resp_mr(qp, be32_to_cpu(a->rkey), va, 8,
			   IB_ACCESS_REMOTE_ATOMIC, psn);
	if (!mr)
		return;
	if (((struct sroce_bth *)skb->data)->opcode == IB_OPCODE_RC_COMPARE_SWAP)
		err = sroce_mr_atomic(mr, va, SROCE_ATOMIC_CMP_SWP,
				      be64_to_cpu(a->compare),
				      be64_to_cpu(a->swap_add), &orig);
	else
		err = sroce_mr_atomic(mr, va, SROCE_ATOMIC_FETCH_ADD,
				      be64_to_cpu(a->swap_add), 0, &orig);
	sroce_mr_put(mr);
	if (err) {
		sroce_resp_fatal(qp, SROCE_NAK_REM_ACCESS, psn);
		return;
	}
	res = sroce_res_alloc(qp);
	res->opcode = IB_OPCODE_RC_COMPARE_SWAP;
	res->psn = psn;
	res->last_psn = psn;
	res->orig = orig;
	qp->resp.msn++;
	qp->resp.epsn = sroce_psn_add(psn, 1);

	ack = sroce_resp_pkt(qp, IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE, psn, 0,
			     false, &ainfo);
	if (!ack)
		return;
	sroce_set_aeth(ack, ainfo, SROCE_AETH_ACK | SROCE_AETH_ACK_UNLIMITED,
		       qp->resp.msn);
	((struct sroce_atmack *)sroce_hdr_at(ack->data, ainfo->atmack_off))->orig =
		cpu_to_be64(orig);
	sroce_qp_xmit(qp, &qp->path, ack);
}

/* A duplicate request (PSN before the expected one). */
static void sroce_resp_duplicate(struct sroce_qp *qp, struct sk_buff *skb,
				 const struct sroce_opcode_info *info, u32 psn)
{
	struct sroce_rd_atom *res;

	sroce_stat_inc(qp->sdev, SROCE_STAT_DUP_REQUESTS);
	if (info->flags & (SROCE_OP_READ | SROCE_OP_ATOMIC)) {
		res = sroce_res_find(qp, psn);
		if (!res)
			return;	/* too old to replay: the requester gives up */
		if (info->flags & SROCE_OP_READ) {
			sroce_resp_read_send(qp, res, psn);
		} else {
			const struct sroce_opcode_info *ainfo;
			struct sk_buff *ack;

			ack = sroce_resp_pkt(qp, IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE,
					     psn, 0, false, &ainfo);
			if (!ack)
				return;
			sroce_set_aeth(ack, ainfo, SROCE_AETH_ACK |
				       SROCE_AETH_ACK_UNLIMITED, qp->resp.msn);
			((struct sroce_atmack *)sroce_hdr_at(ack->data,
					ainfo->atmack_off))->orig =
				cpu_to_be64(res->orig);
			sroce_qp_xmit(qp, &qp->path, ack);
		}
		return;
	}
	/* A send or write already executed: acknowledge it again. */
	if ((info->flags & SROCE_OP_LAST) || sroce_bth_ackreq((void *)skb->data))
		sroce_resp_send_ack(qp, SROCE_AETH_ACK | SROCE_AETH_ACK_UNLIMITED,
				    sroce_psn_add(qp->resp.epsn, SROCE_PSN_MASK));
}

/* ---- sends and writes ---------------------------------------------- */

/*
 * Back-pressure for on-demand paged targets.  Faulting the pages of a
 * send or write in here would stall this QP's engine for as long as the
 * fault takes (a swap-in, a huge range, a wait for the mmap lock) while
 * the requester's retransmission timer runs and eats its retry count.
 * Instead, when @check (sroce_mr_prepare() or sroce_sge_prepare() in
 * CHECK mode) says the target is not resident, answer RNR NAK for this
 * packet, as a real ODP NIC does, and fault the rest of the message in
 * from a work item of its own (struct sroce_odp_fault): the requester
 * waits min_rnr_timer and resends from this PSN, and every resend is
 * answered with RNR NAK again while the fault runs - RNR retries are not
 * timeouts - so a fault of any length does not make it give up.  Once the
 * fault is done the resend is copied; what could not be faulted in makes
 * that copy fail with the right NAK (the failed fault is remembered for
 * its PSN, so the retry is not answered with RNR again).
 * Returns what the caller does with the packet.
 */
enum sroce_odp_verdict {
	SROCE_ODP_COPY,		/* copy it (resident, or the fault failed) */
	SROCE_ODP_WAIT,		/* RNR NAK sent, a fault is running */
	SROCE_ODP_FAULT,	/* RNR NAK sent, start the fault */
};

static enum sroce_odp_verdict sroce_resp_odp_rnr(struct sroce_qp *qp, u32 psn,
						 int check)
{
	struct sroce_odp_fault *f = &qp->odp_fault;
	int state = atomic_read_acquire(&f->state);
	enum sroce_odp_verdict v = SROCE_ODP_FAULT;

	if (state == SROCE_ODP_FAULT_DONE) {
		atomic_set(&f->state, SROCE_ODP_FAULT_IDLE);
		if (check == -EAGAIN && f->err && f->psn == psn)
			return SROCE_ODP_COPY;	/* fails: the right NAK */
	}
	if (check != -EAGAIN)
		return SROCE_ODP_COPY;
	if (state == SROCE_ODP_FAULT_RUNNING)
		v = SROCE_ODP_WAIT;
	sroce_stat_inc(qp->sdev, SROCE_STAT_RNR_NAKS_SENT);
	sroce_stat_inc(qp->sdev, SROCE_STAT_ODP_RNR_NAKS);
	sroce_resp_send_ack(qp, SROCE_AETH_RNR_NAK | (qp->min_rnr_timer & 0x1f),
			    psn);
	return v;
}

/*
 * Start the fault after the RNR NAK for @psn: [@off, @off + @len) of @mr
 * (a write target), or from offset @off of the current receive WQE's
 * SGEs when @mr is NULL.  The QP's work only.
 */
static void sroce_resp_odp_start(struct sroce_qp *qp, u32 psn,
				 struct sroce_mr *mr, u64 off, u64 len)
{
	struct sroce_odp_fault *f = &qp->odp_fault;

	f->psn = psn;
	f->off = off;
	f->len = len;
	f->mr = NULL;
	if (mr) {
		/* the fault's own reference; none if dereg has begun */
		f->mr = sroce_mr_get(qp->sdev, mr->key);
		if (!f->mr) {
			f->err = -ENOENT;
			atomic_set_release(&f->state, SROCE_ODP_FAULT_DONE);
			return;
		}
	} else {
		f->num_sge = qp->resp.rwqe.wqe.num_sge;
		memcpy(f->sge, qp->resp.rwqe.sge, f->num_sge * sizeof(f->sge[0]));
	}
	atomic_set(&f->state, SROCE_ODP_FAULT_RUNNING);
	queue_work(sroce_wq, &f->work);
}

void sroce_resp_odp_fault_work(struct work_struct *work)
{
	struct sroce_odp_fault *f = container_of(work, struct sroce_odp_fault,
						 work);
	struct sroce_qp *qp = container_of(f, struct sroce_qp, odp_fault);
	int err;

	if (f->mr) {
		err = sroce_mr_prepare(f->mr, f->off, f->len, SROCE_TO_MR,
				       SROCE_XFER_FAULT);
		sroce_mr_put(f->mr);
		f->mr = NULL;
	} else {
		err = sroce_sge_prepare(qp->sdev, qp->pd, f->sge, f->num_sge,
					f->off, f->len, SROCE_TO_MR,
					SROCE_XFER_FAULT);
	}
	f->err = err;
	atomic_set_release(&f->state, SROCE_ODP_FAULT_DONE);
}

/* QP reset and destroy: no fault runs or holds an MR after this. */
void sroce_resp_odp_fault_stop(struct sroce_qp *qp)
{
	struct sroce_odp_fault *f = &qp->odp_fault;

	if (cancel_work_sync(&f->work) && f->mr)
		sroce_mr_put(f->mr);
	f->mr = NULL;
	atomic_set(&f->state, SROCE_ODP_FAULT_IDLE);
}

/*
 * SEND_LAST/ONLY_WITH_INVALIDATE, after the data is placed: invalidate
 * the fast-reg MR the IETH names (see sroce_frmr_invalidate(); kernel
 * consumers' MRs of this QP's PD only).  On success the receive WC
 * carries the rkey (in @imm, CPU order, as sroce_cq_post() wants it).  An
 * rkey that cannot be invalidated completes the receive WQE with a remote
 * invalid request error (as rdma_rxe does), NAKs the request as invalid,
 * so the requester hears of it at once, and moves the QP to the error
 * state; returns true then.
 */
static bool sroce_resp_invalidate(struct sroce_qp *qp, struct sroce_bth *bth,
				  const struct sroce_opcode_info *info, u32 psn,
				  __be32 *imm)
{
	struct sroce_resp *resp = &qp->resp;
	u32 rkey = sroce_ieth_rkey(sroce_hdr_at(bth, info->ieth_off));

	if (!sroce_frmr_invalidate(qp->sdev, qp->pd, rkey)) {
		*imm = (__force __be32)rkey;
		return false;
	}
	sroce_complete_recv(qp, &resp->rwqe, IB_WC_REM_INV_REQ_ERR, IB_WC_RECV,
			    0, 0, 0, 0, false, NULL);
	resp->have_rwqe = false;
	resp->in_send = false;
	sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
	return true;
}

static void sroce_resp_send(struct sroce_qp *qp, struct sk_buff *skb,
			    const struct sroce_opcode_info *info, u32 psn,
			    u32 len)
{
	struct sroce_resp *resp = &qp->resp;
	struct sroce_bth *bth = (void *)skb->data;
	int err;

	if (info->flags & SROCE_OP_FIRST) {
		err = sroce_resp_fetch_rwqe(qp);
		if (err == -EAGAIN) {
			/* no receive WQE: receiver not ready */
			sroce_stat_inc(qp->sdev, SROCE_STAT_RNR_NAKS_SENT);
			sroce_resp_send_ack(qp, SROCE_AETH_RNR_NAK |
					    (qp->min_rnr_timer & 0x1f), psn);
			return;
		}
		if (err) {
			sroce_resp_fatal(qp, SROCE_NAK_REM_OP_ERR, psn);
			return;
		}
		resp->send_off = 0;
		resp->in_send = true;
	} else if (!resp->in_send) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}

	if (resp->send_off + len > resp->rwqe.length) {
		sroce_complete_recv(qp, &resp->rwqe, IB_WC_LOC_LEN_ERR,
				    IB_WC_RECV, 0, 0, 0, 0, false, NULL);
		resp->have_rwqe = false;
		resp->in_send = false;
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}
	/*
	 * ODP: the receive WQE stays fetched and the state as it is, so the
	 * resent packet continues exactly here.
	 */
	switch (sroce_resp_odp_rnr(qp, psn,
				   sroce_sge_prepare(qp->sdev, qp->pd, resp->rwqe.sge,
						     resp->rwqe.wqe.num_sge,
						     resp->send_off, len, SROCE_TO_MR,
						     SROCE_XFER_CHECK))) {
	case SROCE_ODP_FAULT:
		sroce_resp_odp_start(qp, psn, NULL, resp->send_off,
				     resp->rwqe.length - resp->send_off);
		return;
	case SROCE_ODP_WAIT:
		return;
	case SROCE_ODP_COPY:
		break;
	}
	err = sroce_sge_copy_skb(qp->sdev, qp->pd, resp->rwqe.sge,
				 resp->rwqe.wqe.num_sge, resp->send_off, skb,
				 info->hdr_len, len, SROCE_TO_MR);
	if (err) {
		sroce_complete_recv(qp, &resp->rwqe, sroce_sge_wc_status(err),
				    IB_WC_RECV, 0, 0, 0, 0, false, NULL);
		resp->have_rwqe = false;
		resp->in_send = false;
		sroce_resp_fatal(qp, SROCE_NAK_REM_OP_ERR, psn);
		return;
	}
	resp->send_off += len;
	resp->epsn = sroce_psn_add(psn, 1);

	if (info->flags & SROCE_OP_LAST) {
		__be32 imm = 0;
		u32 flags = 0;

		if (info->flags & SROCE_OP_IMMDT) {
			imm = ((struct sroce_immdt *)
			       sroce_hdr_at(bth, info->immdt_off))->imm;
			flags |= IB_WC_WITH_IMM;
		}
		if ((info->flags & SROCE_OP_IETH) &&
		    sroce_resp_invalidate(qp, bth, info, psn, &imm))
			return;
		if (info->flags & SROCE_OP_IETH)
			flags |= IB_WC_WITH_INVALIDATE;
		resp->msn++;
		sroce_complete_recv(qp, &resp->rwqe, IB_WC_SUCCESS, IB_WC_RECV,
				    resp->send_off, flags, imm, 0,
				    bth->flags & SROCE_BTH_SE, NULL);
		resp->have_rwqe = false;
		resp->in_send = false;
	}
}

static void sroce_resp_write(struct sroce_qp *qp, struct sk_buff *skb,
			     const struct sroce_opcode_info *info, u32 psn,
			     u32 len)
{
	struct sroce_resp *resp = &qp->resp;
	struct sroce_bth *bth = (void *)skb->data;
	struct sroce_mr *mr = NULL;
	int err;

	/*
	 * The immediate of the last packet needs a receive WQE: without one
	 * answer RNR before touching anything, so the retry finds the
	 * write exactly where it was.
	 */
	if ((info->flags & SROCE_OP_IMMDT) && sroce_resp_fetch_rwqe(qp)) {
		sroce_stat_inc(qp->sdev, SROCE_STAT_RNR_NAKS_SENT);
		sroce_resp_send_ack(qp, SROCE_AETH_RNR_NAK |
				    (qp->min_rnr_timer & 0x1f), psn);
		return;
	}

	if (info->flags & SROCE_OP_FIRST) {
		struct sroce_reth *reth = sroce_hdr_at(bth, info->reth_off);

		resp->write_va = be64_to_cpu(reth->va);
		resp->write_rkey = be32_to_cpu(reth->rkey);
		resp->write_resid = be32_to_cpu(reth->len);
		resp->write_off = 0;
		resp->in_write = true;
		if (!(qp->access & IB_ACCESS_REMOTE_WRITE)) {
			resp->in_write = false;
			sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
			return;
		}
	} else if (!resp->in_write) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}

	if (len > resp->write_resid ||
	    ((info->flags & SROCE_OP_LAST) && len != resp->write_resid) ||
	    (!(info->flags & SROCE_OP_LAST) && len != qp->mtu_bytes)) {
		resp->in_write = false;
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}
	if (len) {
		mr = sroce_resp_mr(qp, resp->write_rkey,
				   resp->write_va + resp->write_off, len,
				   IB_ACCESS_REMOTE_WRITE, psn);
		if (!mr) {
			resp->in_write = false;
			return;
		}
		/* ODP: the write state stays, the resent packet continues here */
		switch (sroce_resp_odp_rnr(qp, psn,
					   sroce_mr_prepare(mr, resp->write_va +
							    resp->write_off, len,
							    SROCE_TO_MR,
							    SROCE_XFER_CHECK))) {
		case SROCE_ODP_FAULT:
			sroce_resp_odp_start(qp, psn, mr, resp->write_va +
					     resp->write_off, resp->write_resid);
			fallthrough;
		case SROCE_ODP_WAIT:
			sroce_mr_put(mr);
			return;
		case SROCE_ODP_COPY:
			break;
		}
		err = sroce_mr_copy_skb(mr, resp->write_va + resp->write_off,
					skb, info->hdr_len, len, SROCE_TO_MR);
		sroce_mr_put(mr);
		if (err) {
			resp->in_write = false;
			sroce_resp_fatal(qp, SROCE_NAK_REM_ACCESS, psn);
			return;
		}
	}
	resp->write_off += len;
	resp->write_resid -= len;
	resp->epsn = sroce_psn_add(psn, 1);

	if (!(info->flags & SROCE_OP_LAST))
		return;
	resp->in_write = false;
	resp->msn++;
	if (info->flags & SROCE_OP_IMMDT) {
		__be32 imm = ((struct sroce_immdt *)
			      sroce_hdr_at(bth, info->immdt_off))->imm;

		sroce_complete_recv(qp, &resp->rwqe, IB_WC_SUCCESS,
				    IB_WC_RECV_RDMA_WITH_IMM, resp->write_off,
				    IB_WC_WITH_IMM, imm, 0,
				    bth->flags & SROCE_BTH_SE, NULL);
		resp->have_rwqe = false;
	}
}

/* ---- RC request dispatch ------------------------------------------- */

static void sroce_resp_rc(struct sroce_qp *qp, struct sk_buff *skb)
{
	struct sroce_bth *bth = (void *)skb->data;
	const struct sroce_opcode_info *info = sroce_opcode_info(bth->opcode);
	u32 psn = sroce_bth_psn(bth);
	s32 d = sroce_psn_diff(psn, qp->resp.epsn);
	u32 len;

	if (d < 0) {
		sroce_resp_duplicate(qp, skb, info, psn);
		return;
	}
	if (d > 0) {
		/* a packet got lost: NAK once, until the expected one comes */
		sroce_stat_inc(qp->sdev, SROCE_STAT_RX_BAD_PSN);
		if (!qp->resp.nak_sent) {
			qp->resp.nak_sent = true;
			sroce_resp_nak(qp, SROCE_NAK_PSN_SEQ_ERR, qp->resp.epsn);
		}
		return;
	}
	qp->resp.nak_sent = false;

	len = skb->len - info->hdr_len - sroce_bth_pad(bth);
	if (skb->len < info->hdr_len + sroce_bth_pad(bth) ||
	    len > qp->mtu_bytes) {
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);
		return;
	}

	if (info->flags & SROCE_OP_SEND)
		sroce_resp_send(qp, skb, info, psn, len);
	else if (info->flags & SROCE_OP_WRITE)
		sroce_resp_write(qp, skb, info, psn, len);
	else if (info->flags & SROCE_OP_READ)
		sroce_resp_read(qp, skb, info, psn);
	else if (info->flags & SROCE_OP_ATOMIC)
		sroce_resp_atomic(qp, skb, info, psn);
	else
		sroce_resp_fatal(qp, SROCE_NAK_INVALID_REQ, psn);

	/* ACK what the requester asked to be acknowledged. */
	if (READ_ONCE(qp->state) != IB_QPS_ERR &&
	    qp->resp.epsn == sroce_psn_add(psn, 1) &&
	    (info->flags & (SROCE_OP_SEND | SROCE_OP_WRITE)) &&
	    sroce_bth_ackreq(bth))
		sroce_resp_send_ack(qp, SROCE_AETH_ACK | SROCE_AETH_ACK_UNLIMITED,
				    psn);
}

/* ---- UD ------------------------------------------------------------ */

/* The 40-byte GRH area of a UD receive: the IP header of the packet. */
static void sroce_resp_grh(const struct sroce_pkt_info *pi, u32 paylen,
			   u8 *grh)
{
	memset(grh, 0, 40);
	if (pi->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(grh + 20);

		ip->version = 4;
		ip->ihl = 5;
		ip->tos = pi->tos;
		ip->tot_len = htons(20 + 8 + paylen);
		ip->ttl = pi->ttl;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = pi->saddr.v4;
		ip->daddr = pi->daddr.v4;
		/* consumers tell IPv4 from IPv6 by a valid checksum */
		ip_send_check(ip);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)grh;

		ip6->version = 6;
		ip6->priority = pi->tos >> 4;
		ip6->flow_lbl[0] = (pi->tos & 0xf) << 4;
		ip6->payload_len = htons(8 + paylen);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = pi->ttl;
		ip6->saddr = pi->saddr.v6;
		ip6->daddr = pi->daddr.v6;
	}
}

static void sroce_resp_ud(struct sroce_qp *qp, struct sk_buff *skb)
{
	struct sroce_bth *bth = (void *)skb->data;
	const struct sroce_opcode_info *info = sroce_opcode_info(bth->opcode);
	struct sroce_deth *deth = sroce_hdr_at(bth, info->deth_off);
	struct sroce_pkt_info *pi = sroce_pkt(skb);
	struct sroce_resp *resp = &qp->resp;
	u32 len, flags = 0;
	__be32 imm = 0;
	u8 grh[40];
	int err;

	if (be32_to_cpu(deth->qkey) != qp->qkey) {
		sroce_stat_inc(qp->sdev, SROCE_STAT_RX_BAD_QKEY);
		return;
	}
	if (skb->len < info->hdr_len + sroce_bth_pad(bth))
		return;
	len = skb->len - info->hdr_len - sroce_bth_pad(bth);
	if (sroce_resp_fetch_rwqe(qp))
		return;		/* UD: no receive WQE, silently dropped */

	if (len + 40 > resp->rwqe.length) {
		sroce_complete_recv(qp, &resp->rwqe, IB_WC_LOC_LEN_ERR,
				    IB_WC_RECV, 0, 0, 0, 0, false, pi);
		resp->have_rwqe = false;
		return;
	}
	sroce_resp_grh(pi, skb->len + SROCE_ICRC_SIZE, grh);
	err = sroce_sge_copy(qp->sdev, qp->pd, resp->rwqe.sge,
			     resp->rwqe.wqe.num_sge, 0, grh, sizeof(grh),
			     SROCE_TO_MR);
	if (!err)
		err = sroce_sge_copy_skb(qp->sdev, qp->pd, resp->rwqe.sge,
					 resp->rwqe.wqe.num_sge, sizeof(grh),
					 skb, info->hdr_len, len, SROCE_TO_MR);
	if (err) {
		sroce_complete_recv(qp, &resp->rwqe, sroce_sge_wc_status(err),
				    IB_WC_RECV, 0, 0, 0, 0, false, pi);
		resp->have_rwqe = false;
		sroce_qp_error(qp);
		return;
	}
	if (info->flags & SROCE_OP_IMMDT) {
		imm = ((struct sroce_immdt *)sroce_hdr_at(bth, info->immdt_off))->imm;
		flags |= IB_WC_WITH_IMM;
	}
	sroce_complete_recv(qp, &resp->rwqe, IB_WC_SUCCESS, IB_WC_RECV,
			    len + 40, flags, imm,
			    be32_to_cpu(deth->sqp) & SROCE_QPN_MASK,
			    bth->flags & SROCE_BTH_SE, pi);
	resp->have_rwqe = false;
}

/* A request packet for this QP (in its work). */
void sroce_resp_rcv(struct sroce_qp *qp, struct sk_buff *skb)
{
	enum ib_qp_state state = READ_ONCE(qp->state);

	if (state == IB_QPS_RTR || state == IB_QPS_RTS ||
	    state == IB_QPS_SQD || state == IB_QPS_SQE) {
		if (qp->ibqp.qp_type == IB_QPT_RC)
			sroce_resp_rc(qp, skb);
		else
			sroce_resp_ud(qp, skb);
	}
	consume_skb(skb);
}

/*
 * Flush the receive queue of a QP in the error state: every receive WQE
 * completes with IB_WC_WR_FLUSH_ERR.  An SRQ is not flushed: its WQEs
 * belong to the other QPs too.
 */
void sroce_resp_flush(struct sroce_qp *qp)
{
	struct sroce_resp *resp = &qp->resp;
	int n = SROCE_MAX_QP_WR + 1;

	if (resp->have_rwqe) {
		sroce_complete_recv(qp, &resp->rwqe, IB_WC_WR_FLUSH_ERR,
				    IB_WC_RECV, 0, 0, 0, 0, false, NULL);
		resp->have_rwqe = false;
	}
	resp->in_send = false;
	resp->in_write = false;
	resp->read_res = NULL;
	if (qp->srq)
		return;
	while (n-- > 0) {
		int err = sroce_rwqe_fetch(&qp->rq, &resp->rwqe);

		if (err == -EAGAIN)
			break;
		sroce_complete_recv(qp, &resp->rwqe, IB_WC_WR_FLUSH_ERR,
				    IB_WC_RECV, 0, 0, 0, 0, false, NULL);
	}
}
