// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the requester.  Takes WQEs from the send queue, turns them into
 * request packets (segmented by the path MTU for RC), and hands RC WQEs to
 * the completer, which completes them when the responder acknowledges.
 *
 * Owns struct sroce_req.  The completer asks for a retransmission with
 * sroce_req_rewind(); nothing else writes requester state.
 */

#include <rdma/ib_addr.h>
#include <rdma/ib_mad.h>

#include "sroce.h"
#include "sroce_hdr.h"

static void sroce_req_fail(struct sroce_qp *qp, struct sroce_swqe *swqe,
			   enum ib_wc_status status);

void sroce_req_init(struct sroce_qp *qp)
{
	memset(&qp->req, 0, sizeof(qp->req));
	qp->req.next = qp->sq.consumer;
}

/*
 * Go back to @psn (go-back-N): the completer saw a sequence error NAK, a
 * timeout, an RNR NAK or a lost read response.  Takes effect at the next
 * requester step.
 */
void sroce_req_rewind(struct sroce_qp *qp, u32 psn)
{
	qp->req.need_rewind = true;
	qp->req.rewind_psn = psn;
}

static bool sroce_wqe_is_rd_atom(const struct sroce_send_wqe *wqe)
{
	return wqe->opcode == IB_WR_RDMA_READ ||
	       wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	       wqe->opcode == IB_WR_ATOMIC_FETCH_AND_ADD;
}

static void sroce_req_do_rewind(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	u32 psn = req->rewind_psn;
	struct sroce_swqe *swqe;
	s32 pkt;
	u32 i;

	req->need_rewind = false;
	/*
	 * Nothing to go back to when psn was not sent since the last rewind:
	 * a late sequence-error NAK from before it (reordered on the wire)
	 * can name a PSN past what was sent again so far, and "resending"
	 * from there would start a WQE beyond its last packet.
	 */
	if (sroce_psn_diff(psn, req->psn) >= 0)
		return;
	req->rd_atom = 0;
	for (i = qp->sq.consumer; i != req->next; i++) {
		swqe = &qp->swqes[i & qp->sq.mask];
		if (!swqe->done && sroce_psn_diff(swqe->last_psn, psn) >= 0)
			break;
		/*
		 * Done (its response is in), or entirely before the rewind
		 * point: it keeps its read/atomic credit until it completes.
		 */
		if (swqe->posted && sroce_wqe_is_rd_atom(swqe->wqe))
			req->rd_atom++;
	}
	/*
	 * Nothing at or after psn left to send again.  This is also the
	 * case when psn was asked for a response that arrived since (a
	 * reordered read response, its WQE now done): the WQE at next has
	 * not been fetched then, so there is nothing to resend from.
	 */
	if (i == req->next && req->wqe_off == 0)
		return;

	/* Resend from WQE i, at the packet that carries psn. */
	req->next = i;
	swqe = &qp->swqes[i & qp->sq.mask];
	pkt = sroce_psn_diff(psn, swqe->first_psn);
	if (pkt < 0)
		pkt = 0;
	if (swqe->wqe->opcode == IB_WR_RDMA_READ) {
		/* re-request only what has not arrived */
		pkt = swqe->resp_off / qp->mtu_bytes;
		req->wqe_off = swqe->resp_off;
	} else if (sroce_wqe_is_rd_atom(swqe->wqe)) {
		pkt = 0;
		req->wqe_off = 0;
	} else {
		req->wqe_off = pkt * qp->mtu_bytes;
	}
	req->psn = sroce_psn_add(swqe->first_psn, pkt);
	swqe->posted = false;
	for (i = req->next + 1; i != qp->sq.consumer + qp->sq.mask + 1; i++) {
		swqe = &qp->swqes[i & qp->sq.mask];
		if (!swqe->fetched)
			break;
		swqe->posted = false;
	}
}

/* Copy slot @index into the private copy and validate it. */
static int sroce_swqe_fetch(struct sroce_qp *qp, u32 index)
{
	struct sroce_swqe *swqe = &qp->swqes[index & qp->sq.mask];
	size_t stride = (size_t)1 << qp->sq.log2_stride;
	struct sroce_send_wqe *wqe;
	struct ib_sge *sge;
	u32 i, len = 0;

	wqe = qp->sq_copy + ((size_t)(index & qp->sq.mask) << qp->sq.log2_stride);
	memcpy(wqe, sroce_wq_slot(&qp->sq, index), stride);
	memset(swqe, 0, sizeof(*swqe));
	swqe->wqe = wqe;
	swqe->fetched = true;

	if (sroce_qp_is_ud(qp)) {
		if (wqe->opcode != IB_WR_SEND && wqe->opcode != IB_WR_SEND_WITH_IMM)
			return -EINVAL;
		swqe->ah = sroce_ah_get(qp->sdev, wqe->wr.ud.ah_num, qp->pd);
		if (!swqe->ah)
			return -EINVAL;
	} else {
		switch (wqe->opcode) {
		case IB_WR_SEND:
		case IB_WR_SEND_WITH_IMM:
		case IB_WR_RDMA_WRITE:
		case IB_WR_RDMA_WRITE_WITH_IMM:
		case IB_WR_RDMA_READ:
			break;
		case IB_WR_ATOMIC_CMP_AND_SWP:
		case IB_WR_ATOMIC_FETCH_AND_ADD:
			if (wqe->wr.atomic.remote_addr & 7)
				return -EINVAL;
			break;
		case IB_WR_SEND_WITH_INV:
			if (qp->is_user)
				return -EINVAL;
			break;
		case IB_WR_REG_MR:
		case IB_WR_LOCAL_INV:
			/* kernel consumers only: the ring holds their data */
			if (qp->is_user || wqe->num_sge ||
			    (wqe->send_flags & IB_SEND_INLINE))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}

	if (wqe->send_flags & IB_SEND_INLINE) {
		if (wqe->num_sge > qp->max_inline ||
		    sroce_wqe_is_rd_atom(wqe))
			return -EINVAL;
		len = wqe->num_sge;
	} else {
		if (wqe->num_sge > qp->sq.max_sge)
			return -EINVAL;
		sge = sroce_swqe_sge(swqe);
		for (i = 0; i < wqe->num_sge; i++)
			if (check_add_overflow(len, sge[i].length, &len))
				return -EINVAL;
	}
	if (len > SROCE_MAX_MSG_SZ)
		return -EINVAL;
	if ((wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	     wqe->opcode == IB_WR_ATOMIC_FETCH_AND_ADD) && len != 8)
		return -EINVAL;
	if (sroce_qp_is_ud(qp) &&
	    len > ib_mtu_enum_to_int(iboe_get_mtu(READ_ONCE(qp->sdev->ndev->mtu))))
		return -EMSGSIZE;
	swqe->length = len;
	return 0;
}

/* Copy @len payload bytes at offset @off of the WQE's data into @skb. */
static int sroce_req_copy(struct sroce_qp *qp, struct sroce_swqe *swqe,
			  struct sk_buff *skb, u32 skb_off, u32 off, u32 len)
{
	if (!len)
		return 0;
	if (swqe->wqe->send_flags & IB_SEND_INLINE) {
		memcpy(skb->data + skb_off, (u8 *)sroce_swqe_inline(swqe) + off,
		       len);
		return 0;
	}
	return sroce_sge_copy_skb(qp->sdev, qp->pd, sroce_swqe_sge(swqe),
				  swqe->wqe->num_sge, off, skb, skb_off, len,
				  SROCE_FROM_MR);
}

static int sroce_req_send_ud(struct sroce_qp *qp, struct sroce_swqe *swqe)
{
	struct sroce_send_wqe *wqe = swqe->wqe;
	bool imm = wqe->opcode == IB_WR_SEND_WITH_IMM;
	unsigned int hdr = sizeof(struct sroce_bth) + sizeof(struct sroce_deth) +
			   (imm ? sizeof(struct sroce_immdt) : 0);
	unsigned int pad = (4 - (swqe->length & 3)) & 3;
	struct sroce_deth *deth;
	struct sroce_bth *bth;
	struct sk_buff *skb;
	u32 qkey;
	int err;

	skb = sroce_pkt_alloc(qp->sdev, &swqe->ah->path, hdr,
			      swqe->length + pad);
	if (!skb)
		return -ENOMEM;
	bth = (void *)skb->data;
	sroce_bth_init(bth, imm ? IB_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE :
			     IB_OPCODE_UD_SEND_ONLY,
		       wqe->send_flags & IB_SEND_SOLICITED, pad,
		       IB_DEFAULT_PKEY_FULL, wqe->wr.ud.remote_qpn, false,
		       qp->req.psn);
	deth = (void *)(bth + 1);
	/* IBTA: a Q_Key with the high bit set means "use the QP's Q_Key". */
	qkey = wqe->wr.ud.remote_qkey;
	if (qkey & 0x80000000)
		qkey = qp->qkey;
	deth->qkey = cpu_to_be32(qkey);
	deth->sqp = cpu_to_be32(qp->ibqp.qp_num);
	if (imm)
		((struct sroce_immdt *)(deth + 1))->imm = wqe->imm_data;
	err = sroce_req_copy(qp, swqe, skb, hdr, 0, swqe->length);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	if (pad)
		memset(skb->data + hdr + swqe->length, 0, pad);
	qp->req.psn = sroce_psn_add(qp->req.psn, 1);
	/*
	 * A datagram the network did not take (no route, link down, full
	 * queue: counted as tx_errors) is lost as on a wire; the send
	 * completes, and a MAD's sender retries on its own timeout.
	 */
	sroce_qp_xmit(qp, &swqe->ah->path, skb);
	return 0;
}

/* The RC opcode of the packet at @off of a @len byte message. */
static u8 sroce_rc_opcode(const struct sroce_send_wqe *wqe, u32 off, u32 len,
			  u32 mtu, bool *last)
{
	bool first = off == 0, end = off + mtu >= len;

	*last = end;
	switch (wqe->opcode) {
	case IB_WR_SEND:
		return first ? (end ? IB_OPCODE_RC_SEND_ONLY :
				      IB_OPCODE_RC_SEND_FIRST) :
			       (end ? IB_OPCODE_RC_SEND_LAST :
				      IB_OPCODE_RC_SEND_MIDDLE);
	case IB_WR_SEND_WITH_IMM:
		return first ? (end ? IB_OPCODE_RC_SEND_ONLY_WITH_IMMEDIATE :
				      IB_OPCODE_RC_SEND_FIRST) :
			       (end ? IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE :
				      IB_OPCODE_RC_SEND_MIDDLE);
	case IB_WR_SEND_WITH_INV:
		return first ? (end ? IB_OPCODE_RC_SEND_ONLY_WITH_INVALIDATE :
				      IB_OPCODE_RC_SEND_FIRST) :
			       (end ? IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE :
				      IB_OPCODE_RC_SEND_MIDDLE);
	case IB_WR_RDMA_WRITE:
		return first ? (end ? IB_OPCODE_RC_RDMA_WRITE_ONLY :
				      IB_OPCODE_RC_RDMA_WRITE_FIRST) :
			       (end ? IB_OPCODE_RC_RDMA_WRITE_LAST :
				      IB_OPCODE_RC_RDMA_WRITE_MIDDLE);
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return first ? (end ? IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE :
				      IB_OPCODE_RC_RDMA_WRITE_FIRST) :
			       (end ? IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE :
				      IB_OPCODE_RC_RDMA_WRITE_MIDDLE);
	case IB_WR_RDMA_READ:
		*last = true;
		return IB_OPCODE_RC_RDMA_READ_REQUEST;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		*last = true;
		return IB_OPCODE_RC_COMPARE_SWAP;
	default:
		*last = true;
		return IB_OPCODE_RC_FETCH_ADD;
	}
}

/* Send the next packet of RC WQE @swqe.  Returns 0 or -errno. */
static int sroce_req_send_rc(struct sroce_qp *qp, struct sroce_swqe *swqe)
{
	struct sroce_send_wqe *wqe = swqe->wqe;
	struct sroce_req *req = &qp->req;
	u32 mtu = qp->mtu_bytes, off = req->wqe_off;
	const struct sroce_opcode_info *info;
	u32 payload = 0, pad = 0;
	struct sroce_bth *bth;
	struct sk_buff *skb;
	bool last, ackreq, by_ref;
	u8 opcode;
	int err;

	opcode = sroce_rc_opcode(wqe, off, swqe->length, mtu, &last);
	info = sroce_opcode_info(opcode);
	if (info->flags & SROCE_OP_PAYLOAD) {
		payload = min(swqe->length - off, mtu);
		pad = (4 - (payload & 3)) & 3;
	}
	ackreq = last || sroce_psn_diff(req->psn, qp->comp.acked_psn) %
			 SROCE_ACK_EVERY == SROCE_ACK_EVERY - 1;

	/* the WQE completes after the responder has copied the payload */
	by_ref = !(wqe->send_flags & IB_SEND_INLINE) &&
		 sroce_pkt_by_ref(&qp->path, payload, wqe->num_sge);
	skb = sroce_pkt_alloc(qp->sdev, &qp->path, info->hdr_len,
			      by_ref ? 0 : payload + pad);
	if (!skb)
		return -ENOMEM;
	bth = (void *)skb->data;
	sroce_bth_init(bth, opcode,
		       last && (wqe->send_flags & IB_SEND_SOLICITED), pad,
		       IB_DEFAULT_PKEY_FULL, qp->dest_qpn, ackreq, req->psn);

	if (info->flags & SROCE_OP_RETH) {
		struct sroce_reth *reth = sroce_hdr_at(bth, info->reth_off);

		reth->va = cpu_to_be64(wqe->wr.rdma.remote_addr + off);
		reth->rkey = cpu_to_be32(wqe->wr.rdma.rkey);
		reth->len = cpu_to_be32(swqe->length - off);
	}
	if (info->flags & SROCE_OP_ATMETH) {
		struct sroce_atmeth *a = sroce_hdr_at(bth, info->atmeth_off);

		a->va = cpu_to_be64(wqe->wr.atomic.remote_addr);
		a->rkey = cpu_to_be32(wqe->wr.atomic.rkey);
		a->swap_add = cpu_to_be64(wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP ?
					  wqe->wr.atomic.swap :
					  wqe->wr.atomic.compare_add);
		a->compare = cpu_to_be64(wqe->wr.atomic.compare_add);
	}
	if (info->flags & SROCE_OP_IMMDT) {
		struct sroce_immdt *i = sroce_hdr_at(bth, info->immdt_off);

		i->imm = wqe->imm_data;
	}
	if (info->flags & SROCE_OP_IETH) {
		struct sroce_ieth *ieth = sroce_hdr_at(bth, info->ieth_off);

		/* imm_data holds ib_send_wr.ex.invalidate_rkey, CPU order */
		ieth->rkey = cpu_to_be32((__force u32)wqe->imm_data);
	}
	err = sroce_req_copy(qp, swqe, skb, info->hdr_len, off, payload);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	if (pad)
		memset(skb->data + info->hdr_len + payload, 0, pad);

	if (off == 0 || opcode == IB_OPCODE_RC_RDMA_READ_REQUEST) {
		if (off == 0)
			swqe->first_psn = req->psn;
		swqe->started = true;
		if (opcode == IB_OPCODE_RC_RDMA_READ_REQUEST) {
			u32 left = swqe->length - off;
			u32 n = max(1U, DIV_ROUND_UP(left, mtu));

			swqe->last_psn = sroce_psn_add(req->psn, n - 1);
			req->psn = sroce_psn_add(req->psn, n);
		} else if (info->flags & SROCE_OP_ATMETH) {
			swqe->last_psn = req->psn;
			req->psn = sroce_psn_add(req->psn, 1);
		} else {
			u32 n = max(1U, DIV_ROUND_UP(swqe->length, mtu));

			swqe->last_psn = sroce_psn_add(swqe->first_psn, n - 1);
			req->psn = sroce_psn_add(req->psn, 1);
		}
	} else {
		req->psn = sroce_psn_add(req->psn, 1);
	}
	req->wqe_off = last ? 0 : off + payload;
	if (last) {
		swqe->posted = true;
		if (sroce_wqe_is_rd_atom(wqe))
			req->rd_atom++;
	}

	/*
	 * A packet the network did not take (no route while the link is
	 * down, a full queue: counted as tx_errors) is a lost packet, as
	 * on a NIC's wire: the retransmission timer resends it, and a link
	 * that stays down ends in IB_WC_RETRY_EXC_ERR, not in a local error.
	 */
	sroce_qp_xmit(qp, &qp->path, skb);
	sroce_comp_sent(qp);
	return 0;
}

static bool sroce_wqe_is_local(const struct sroce_send_wqe *wqe)
{
	return wqe->opcode == IB_WR_REG_MR || wqe->opcode == IB_WR_LOCAL_INV;
}

/*
 * Execute the local operation @swqe (REG_MR, LOCAL_INV), which sends
 * nothing.  REG_MR runs when the requester reaches it; LOCAL_INV waits
 * until every WQE before it has completed, so no retransmission of an
 * earlier request can touch the region after it was invalidated (and
 * the data of an earlier RDMA READ has landed).  Executed once: after a
 * rewind the requester passes over it (done).  It completes here if it
 * is the oldest WQE, else the completer completes it in order after the
 * WQEs before it.  Returns 0 when done, -EAGAIN to wait, or an errno of
 * the operation (the WQE has failed then).
 */
static int sroce_req_local(struct sroce_qp *qp, struct sroce_swqe *swqe)
{
	struct sroce_send_wqe *wqe = swqe->wqe;
	struct sroce_req *req = &qp->req;
	bool oldest = req->next == qp->sq.consumer;
	int err;

	if (swqe->done)
		return 0;
	if ((wqe->send_flags & IB_SEND_FENCE) && req->rd_atom)
		return -EAGAIN;
	if (wqe->opcode == IB_WR_LOCAL_INV) {
		if (!oldest)
			return -EAGAIN;
		err = sroce_frmr_invalidate(qp->sdev, qp->pd,
					    (__force u32)wqe->imm_data);
	} else {
		const struct sroce_reg_wqe *reg = (const void *)&wqe->wr;

		err = sroce_frmr_register(qp->sdev, qp->pd, reg->key,
					  reg->access);
	}
	if (err) {
		sroce_req_fail(qp, swqe, sroce_frmr_wc_status(err));
		return err;
	}
	swqe->first_psn = sroce_psn_add(req->psn, SROCE_PSN_MASK);
	swqe->last_psn = swqe->first_psn;
	swqe->started = true;
	swqe->posted = true;
	swqe->done = true;
	return 0;
}

/*
 * A local error on @swqe: it will complete with @status, after the WQEs
 * before it (flushed), when the QP, now in error, flushes its queue.
 */
static void sroce_req_fail(struct sroce_qp *qp, struct sroce_swqe *swqe,
			   enum ib_wc_status status)
{
	swqe->failed = true;
	swqe->fail_status = status;
	sroce_qp_error(qp);
}

/*
 * Flush the send queue of a QP in the error state: every WQE posted and
 * not completed completes with IB_WC_WR_FLUSH_ERR, in order.
 */
void sroce_req_flush(struct sroce_qp *qp)
{
	u32 n = sroce_wq_avail(&qp->sq);
	u32 end = qp->sq.consumer + n, i;

	for (i = qp->sq.consumer; i != end; i++) {
		struct sroce_swqe *swqe = &qp->swqes[i & qp->sq.mask];

		if (!swqe->fetched)
			sroce_swqe_fetch(qp, i);
		sroce_complete_send(qp, swqe, swqe->failed ? swqe->fail_status :
					      IB_WC_WR_FLUSH_ERR);
	}
	qp->req.next = qp->sq.consumer;
	qp->req.wqe_off = 0;
	qp->req.rd_atom = 0;
}

/*
 * One requester step: send new request packets while the window allows.
 * Returns 1 when it stopped with work left that it can do right away, 0
 * when there is nothing to send, -EAGAIN when WQEs wait for an event that
 * will schedule the work again (an ACK, a response, a timer).
 */
int sroce_req_step(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	enum ib_qp_state state = READ_ONCE(qp->state);
	int budget = SROCE_WORK_BUDGET;
	struct sroce_swqe *swqe;
	u32 avail;
	int err;

	if (state != IB_QPS_RTS && state != IB_QPS_SQD)
		return 0;
	if (req->need_rewind)
		sroce_req_do_rewind(qp);
	if (req->rnr_until && time_before(jiffies, req->rnr_until))
		return -EAGAIN;		/* the RNR timer reschedules */
	req->rnr_until = 0;

	while (budget-- > 0) {
		avail = sroce_wq_avail(&qp->sq);
		if (req->next - qp->sq.consumer >= avail)
			return 0;	/* everything posted is sent */
		swqe = &qp->swqes[req->next & qp->sq.mask];
		if (!swqe->fetched) {
			if (state == IB_QPS_SQD)
				return 0;	/* drained: start nothing new */
			err = sroce_swqe_fetch(qp, req->next);
			if (err) {
				sroce_req_fail(qp, swqe, err == -EMSGSIZE ?
					       IB_WC_LOC_LEN_ERR :
					       IB_WC_LOC_QP_OP_ERR);
				return 0;
			}
		}

		/* transmit flow control: a packet destructor reschedules */
		if (sroce_qp_tx_full(qp))
			return -EAGAIN;

		if (sroce_qp_is_ud(qp)) {
			/* UD completes once sent; req->next == sq.consumer */
			err = sroce_req_send_ud(qp, swqe);
			if (err && err != -ENOBUFS) {
				sroce_req_fail(qp, swqe, sroce_sge_wc_status(err));
				return 0;
			}
			req->next++;
			sroce_complete_send(qp, swqe, IB_WC_SUCCESS);
			continue;
		}

		if (sroce_wqe_is_local(swqe->wqe)) {
			err = sroce_req_local(qp, swqe);
			if (err)
				return err == -EAGAIN ? -EAGAIN : 0;
			if (req->next++ == qp->sq.consumer)
				sroce_complete_send(qp, swqe, IB_WC_SUCCESS);
			continue;
		}
		if (swqe->posted) {
			req->next++;
			continue;
		}
		/* Blocked until responses come back (or the timer fires). */
		if (sroce_psn_diff(req->psn, qp->comp.acked_psn) >=
		    SROCE_MAX_INFLIGHT)
			return -EAGAIN;
		if (req->wqe_off == 0 && sroce_wqe_is_rd_atom(swqe->wqe) &&
		    req->rd_atom >= max_t(u32, qp->max_rd_atomic, 1))
			return -EAGAIN;
		if (req->wqe_off == 0 &&
		    (swqe->wqe->send_flags & IB_SEND_FENCE) && req->rd_atom)
			return -EAGAIN;

		err = sroce_req_send_rc(qp, swqe);
		if (err) {
			sroce_req_fail(qp, swqe, sroce_sge_wc_status(err));
			return 0;
		}
		if (swqe->posted)
			req->next++;
	}
	return 1;
}
