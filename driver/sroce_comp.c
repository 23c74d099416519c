// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the completer.  Processes the responses of an RC QP's peer
 * (ACK, NAK, RNR NAK, read responses, atomic acknowledges), completes send
 * WQEs in order, and runs the retransmission and RNR timers.
 *
 * Owns struct sroce_comp and the SQ's consumer index (a WQE's slot is
 * given back to the producer when it completes).  Talks to the requester
 * only through sroce_req_rewind() and by reading the requester's next PSN.
 */

#include "sroce.h"
#include "sroce_hdr.h"

static void sroce_comp_timeout(struct timer_list *t)
{
	struct sroce_qp *qp = from_timer(qp, t, comp.timer);

	WRITE_ONCE(qp->comp.timer_fired, true);
	sroce_qp_schedule(qp);
}

static void sroce_comp_rnr_timeout(struct timer_list *t)
{
	struct sroce_qp *qp = from_timer(qp, t, comp.rnr_timer);

	WRITE_ONCE(qp->comp.rnr_fired, true);
	sroce_qp_schedule(qp);
}

void sroce_comp_init(struct sroce_qp *qp)
{
	struct sroce_comp *comp = &qp->comp;

	comp->acked_psn = 0;
	comp->retries = 0;
	comp->rnr_retries = 0;
	comp->timer_fired = false;
	comp->rnr_fired = false;
	comp->gap = false;
	timer_setup(&comp->timer, sroce_comp_timeout, 0);
	timer_setup(&comp->rnr_timer, sroce_comp_rnr_timeout, 0);
}

void sroce_comp_stop(struct sroce_qp *qp)
{
	del_timer_sync(&qp->comp.timer);
	del_timer_sync(&qp->comp.rnr_timer);
}

/* 4.096 us * 2^timeout, at least one jiffy; 0 means "wait forever". */
static unsigned long sroce_comp_timeout_jiffies(struct sroce_qp *qp)
{
	u64 ns = 4096ULL << qp->timeout;

	return max(1UL, nsecs_to_jiffies(ns));
}

static bool sroce_comp_outstanding(struct sroce_qp *qp)
{
	return sroce_psn_diff(qp->req.psn, qp->comp.acked_psn) > 0;
}

/* The requester sent a packet: make sure the retransmission timer runs. */
void sroce_comp_sent(struct sroce_qp *qp)
{
	if (qp->timeout && !timer_pending(&qp->comp.timer))
		mod_timer(&qp->comp.timer,
			  jiffies + sroce_comp_timeout_jiffies(qp));
}

static u8 sroce_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case IB_WR_RDMA_READ:
		return IB_WC_RDMA_READ;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	case IB_WR_REG_MR:
		return IB_WC_REG_MR;
	case IB_WR_LOCAL_INV:
		return IB_WC_LOCAL_INV;
	default:
		return IB_WC_SEND;
	}
}

/*
 * Complete the oldest WQE of the send queue, @swqe, with @status: a CQE
 * if it is signalled or failed, then its slot goes back to the producer.
 */
void sroce_complete_send(struct sroce_qp *qp, struct sroce_swqe *swqe,
			 enum ib_wc_status status)
{
	struct sroce_send_wqe *wqe = swqe->wqe;
	struct sroce_cqe cqe = {
		.wr_id = wqe->wr_id,
		.status = status,
		.opcode = sroce_wc_opcode(wqe->opcode),
		.byte_len = swqe->length,
		.qp_num = qp->ibqp.qp_num,
	};
	bool signal = status != IB_WC_SUCCESS || qp->sq_sig_all ||
		      (wqe->send_flags & IB_SEND_SIGNALED);

	if (WARN_ON_ONCE(swqe != &qp->swqes[qp->sq.consumer & qp->sq.mask]))
		return;

	if (swqe->ah) {
		sroce_ah_put(swqe->ah);
		swqe->ah = NULL;
	}
	/* a read or atomic in flight gives its credit back */
	if (swqe->posted && qp->req.rd_atom &&
	    (wqe->opcode == IB_WR_RDMA_READ ||
	     wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	     wqe->opcode == IB_WR_ATOMIC_FETCH_AND_ADD))
		qp->req.rd_atom--;
	/*
	 * The requester was rewound to resend this read or atomic, and its
	 * late response completed it first: move the requester past it, to
	 * the PSN after it, where any WQE sent after it started.
	 */
	if (swqe->done && qp->req.next == qp->sq.consumer) {
		qp->req.next++;
		qp->req.wqe_off = 0;
		qp->req.psn = sroce_psn_add(swqe->last_psn, 1);
	}
	swqe->fetched = false;
	swqe->started = false;
	swqe->posted = false;
	swqe->done = false;

	/*
	 * Give the slot back before the completion becomes visible: an
	 * application that reaps the CQE may post again at once and must
	 * find the room the completion promised.  The CQE was built from
	 * the private copy, which only this work rewrites.
	 */
	qp->sq.consumer++;
	smp_store_release(&qp->sq.hdr->consumer, qp->sq.consumer);
	if (signal)
		sroce_cq_post(qp->scq, &cqe, &qp->ibqp, false);
}

/* The oldest WQE not completed, if the requester has started sending it. */
static struct sroce_swqe *sroce_comp_oldest(struct sroce_qp *qp)
{
	struct sroce_swqe *swqe = &qp->swqes[qp->sq.consumer & qp->sq.mask];

	return swqe->fetched && swqe->started ? swqe : NULL;
}

static bool sroce_is_rd_atom(struct sroce_swqe *swqe)
{
	u32 op = swqe->wqe->opcode;

	return op == IB_WR_RDMA_READ || op == IB_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * A later response shows that the response of a read or atomic is missing
 * from @psn on.  The requester re-issues the request from there, but the
 * responder then sends the whole rest of the read again.  sroce used to
 * ask on every later packet - the rest of the stream is still on its way
 * and each of its packets shows the same gap - and on a link losing 1% of
 * the packets (tc netem) one 3 MB read then made the responder send 1.9
 * million packets in five minutes without finishing; a link that merely
 * reorders made it replay for responses that were only late.  So the
 * request is re-issued once per gap, and only when the gap has persisted
 * for a quarter of the retransmission timeout (at least two jiffies)
 * while later responses kept arriving.  A gap after which nothing arrives
 * is the retransmission timer's.
 */
static void sroce_comp_resp_lost(struct sroce_qp *qp, u32 psn)
{
	struct sroce_comp *comp = &qp->comp;
	unsigned long wait = max(2UL, sroce_comp_timeout_jiffies(qp) / 4);

	if (!comp->gap || comp->gap_psn != psn) {
		comp->gap = true;
		comp->gap_asked = false;
		comp->gap_psn = psn;
		comp->gap_since = jiffies;
		return;
	}
	if (comp->gap_asked || time_before(jiffies, comp->gap_since + wait))
		return;
	comp->gap_asked = true;
	sroce_req_rewind(qp, psn);
}

/*
 * Everything up to and including @psn is acknowledged: complete the WQEs
 * it covers.  A read or atomic whose response has not arrived although a
 * later PSN is acknowledged lost its response: ask for it again.
 */
static void sroce_comp_ack(struct sroce_qp *qp, u32 psn)
{
	struct sroce_swqe *swqe;

	if (sroce_psn_diff(psn, qp->comp.acked_psn) >= 0)
		qp->comp.acked_psn = sroce_psn_add(psn, 1);

	while ((swqe = sroce_comp_oldest(qp))) {
		if (!swqe->posted && !swqe->done)
			break;
		if (sroce_psn_diff(psn, swqe->last_psn) < 0 && !swqe->done)
			break;
		if (sroce_is_rd_atom(swqe) && !swqe->done) {
			sroce_comp_resp_lost(qp, sroce_psn_add(swqe->first_psn,
					     swqe->resp_off / qp->mtu_bytes));
			break;
		}
		sroce_complete_send(qp, swqe, IB_WC_SUCCESS);
	}

	qp->comp.retries = qp->retry_cnt;
	qp->comp.rnr_retries = qp->rnr_retry;
	if (sroce_comp_outstanding(qp))
		mod_timer(&qp->comp.timer, jiffies + sroce_comp_timeout_jiffies(qp));
	else
		del_timer(&qp->comp.timer);
}

/* A fatal error answer for the oldest WQE: complete it, QP to error. */
static void sroce_comp_fatal(struct sroce_qp *qp, enum ib_wc_status status)
{
	struct sroce_swqe *swqe = sroce_comp_oldest(qp);

	if (swqe) {
		swqe->failed = true;
		swqe->fail_status = status;
	}
	sroce_qp_error(qp);
}

/* RNR timer codes (IBTA table 45) in microseconds. */
static const u32 sroce_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

static void sroce_comp_rnr(struct sroce_qp *qp, u32 psn, u8 code)
{
	unsigned long delay = usecs_to_jiffies(sroce_rnr_usecs[code & 0x1f]);

	sroce_stat_inc(qp->sdev, SROCE_STAT_RNR_NAKS_RCVD);
	if (qp->comp.rnr_retries == 0) {
		sroce_comp_fatal(qp, IB_WC_RNR_RETRY_EXC_ERR);
		return;
	}
	if (qp->comp.rnr_retries != 7)
		qp->comp.rnr_retries--;
	/* everything before psn was received */
	sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
	sroce_req_rewind(qp, psn);
	qp->req.rnr_until = jiffies + max(1UL, delay);
	mod_timer(&qp->comp.rnr_timer, qp->req.rnr_until);
}

static void sroce_comp_aeth(struct sroce_qp *qp, u32 psn, u32 smsn)
{
	u8 syn = smsn >> 24;

	switch (syn & SROCE_AETH_TYPE_MASK) {
	case SROCE_AETH_ACK:
		sroce_comp_ack(qp, psn);
		break;
	case SROCE_AETH_RNR_NAK:
		sroce_comp_rnr(qp, psn, syn & 0x1f);
		break;
	case SROCE_AETH_NAK:
		switch (syn & 0x1f) {
		case SROCE_NAK_PSN_SEQ_ERR:
			/* the responder expects psn: all before it arrived */
			sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
			sroce_req_rewind(qp, psn);
			break;
		case SROCE_NAK_INVALID_REQ:
			sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
			sroce_comp_fatal(qp, IB_WC_REM_INV_REQ_ERR);
			break;
		case SROCE_NAK_REM_ACCESS:
			sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
			sroce_comp_fatal(qp, IB_WC_REM_ACCESS_ERR);
			break;
		default:
			sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
			sroce_comp_fatal(qp, IB_WC_REM_OP_ERR);
			break;
		}
		break;
	default:
		/* reserved syndrome: ignore the packet */
		break;
	}
}

static void sroce_comp_read_resp(struct sroce_qp *qp, struct sk_buff *skb,
				 const struct sroce_opcode_info *info, u32 psn)
{
	struct sroce_bth *bth = (void *)skb->data;
	struct sroce_swqe *swqe;
	u32 expect, len;
	int err;

	/* Responses acknowledge the requests before this read. */
	sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
	swqe = sroce_comp_oldest(qp);
	if (!swqe || swqe->wqe->opcode != IB_WR_RDMA_READ || swqe->done)
		return;		/* stale or duplicate response */

	expect = sroce_psn_add(swqe->first_psn, swqe->resp_off / qp->mtu_bytes);
	if (psn != expect) {
		if (sroce_psn_diff(psn, expect) > 0)
			sroce_comp_resp_lost(qp, expect);	/* one got lost */
		return;
	}

	len = skb->len - info->hdr_len - sroce_bth_pad(bth);
	if (len > swqe->length - swqe->resp_off ||
	    ((info->flags & SROCE_OP_LAST) && swqe->resp_off + len != swqe->length) ||
	    (!(info->flags & SROCE_OP_LAST) && len != qp->mtu_bytes)) {
		sroce_comp_fatal(qp, IB_WC_BAD_RESP_ERR);
		return;
	}
	err = sroce_sge_copy_skb(qp->sdev, qp->pd, sroce_swqe_sge(swqe),
				 swqe->wqe->num_sge, swqe->resp_off, skb,
				 info->hdr_len, len, SROCE_TO_MR);
	if (err) {
		sroce_comp_fatal(qp, sroce_sge_wc_status(err));
		return;
	}
	swqe->resp_off += len;
	if (info->flags & SROCE_OP_AETH)
		qp->comp.retries = qp->retry_cnt;
	if (info->flags & SROCE_OP_LAST) {
		swqe->done = true;
		sroce_comp_ack(qp, psn);
	}
}

static void sroce_comp_atomic_ack(struct sroce_qp *qp, struct sk_buff *skb,
				  const struct sroce_opcode_info *info, u32 psn)
{
	struct sroce_atmack *ack = sroce_hdr_at(skb->data, info->atmack_off);
	struct sroce_swqe *swqe;
	u64 orig;
	int err;

	sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
	swqe = sroce_comp_oldest(qp);
	if (!swqe || !sroce_is_rd_atom(swqe) ||
	    swqe->wqe->opcode == IB_WR_RDMA_READ || swqe->first_psn != psn ||
	    swqe->done)
		return;
	orig = be64_to_cpu(ack->orig);
	err = sroce_sge_copy(qp->sdev, qp->pd, sroce_swqe_sge(swqe),
			     swqe->wqe->num_sge, 0, &orig, sizeof(orig),
			     SROCE_TO_MR);
	if (err) {
		sroce_comp_fatal(qp, sroce_sge_wc_status(err));
		return;
	}
	swqe->done = true;
	sroce_comp_ack(qp, psn);
}

/* A response packet for this QP (in its work). */
void sroce_comp_rcv(struct sroce_qp *qp, struct sk_buff *skb)
{
	struct sroce_bth *bth = (void *)skb->data;
	const struct sroce_opcode_info *info = sroce_opcode_info(bth->opcode);
	enum ib_qp_state state = READ_ONCE(qp->state);
	u32 psn = sroce_bth_psn(bth);

	if (qp->ibqp.qp_type != IB_QPT_RC ||
	    (state != IB_QPS_RTS && state != IB_QPS_SQD))
		goto drop;
	/* Only responses to what was sent are meaningful. */
	if (sroce_psn_diff(psn, qp->req.psn) >= 0 &&
	    !(qp->req.need_rewind))
		goto drop;

	switch (bth->opcode) {
	case IB_OPCODE_RC_ACKNOWLEDGE:
		sroce_comp_aeth(qp, psn, be32_to_cpu(((struct sroce_aeth *)
				sroce_hdr_at(bth, info->aeth_off))->smsn));
		break;
	case IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE: {
		u32 smsn = be32_to_cpu(((struct sroce_aeth *)
				sroce_hdr_at(bth, info->aeth_off))->smsn);

		if ((smsn >> 24) & SROCE_AETH_TYPE_MASK)
			sroce_comp_aeth(qp, psn, smsn);
		else
			sroce_comp_atomic_ack(qp, skb, info, psn);
		break;
	}
	case IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST:
	case IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY:
	case IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST: {
		u32 smsn = be32_to_cpu(((struct sroce_aeth *)
				sroce_hdr_at(bth, info->aeth_off))->smsn);

		if ((smsn >> 24) & SROCE_AETH_TYPE_MASK) {
			sroce_comp_aeth(qp, psn, smsn);
			break;
		}
		sroce_comp_read_resp(qp, skb, info, psn);
		break;
	}
	case IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE:
		sroce_comp_read_resp(qp, skb, info, psn);
		break;
	default:
		goto drop;
	}
	/* the work runs the requester next: the window may have opened */
	consume_skb(skb);
	return;
drop:
	kfree_skb(skb);
}

/* Timers that fired since the last work run (in the QP's work). */
void sroce_comp_timers(struct sroce_qp *qp)
{
	struct sroce_comp *comp = &qp->comp;

	if (READ_ONCE(comp->rnr_fired)) {
		WRITE_ONCE(comp->rnr_fired, false);
		qp->req.rnr_until = 0;
	}
	if (!READ_ONCE(comp->timer_fired))
		return;
	WRITE_ONCE(comp->timer_fired, false);
	if (READ_ONCE(qp->state) != IB_QPS_RTS &&
	    READ_ONCE(qp->state) != IB_QPS_SQD)
		return;
	if (!sroce_comp_outstanding(qp) || qp->req.rnr_until)
		return;
	if (comp->retries == 0) {
		sroce_comp_fatal(qp, IB_WC_RETRY_EXC_ERR);
		return;
	}
	comp->retries--;
	comp->gap = false;
	sroce_stat_inc(qp->sdev, SROCE_STAT_RETRANSMITS);
	sroce_req_rewind(qp, comp->acked_psn);
	mod_timer(&comp->timer, jiffies + sroce_comp_timeout_jiffies(qp));
}
