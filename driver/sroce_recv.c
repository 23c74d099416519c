// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: packet dispatch.  sroce_rcv() runs in softirq (UDP encap_rcv) or
 * in a requester's work (loopback fast path).  It only finds the packet's
 * QP and queues the packet there; all protocol work and every touch of
 * memory regions happen in the QP's work item.
 */

#include <rdma/ib_mad.h>

#include "sroce.h"
#include "sroce_hdr.h"

/*
 * P_Key check (IBTA 10.9.3): the port's table holds only the default
 * P_Key 0xffff (full member), so a packet matches when its low 15 bits
 * are the default partition's; either membership may talk to a full
 * member.  This also holds for QP1, which accepts every P_Key in the
 * table.
 */
static bool sroce_pkey_ok(u16 pkey)
{
	return (pkey & 0x7fff) == (IB_DEFAULT_PKEY_FULL & 0x7fff);
}

void sroce_rcv(struct sroce_dev *sdev, struct sk_buff *skb,
	       struct sroce_qp **run)
{
	const struct sroce_opcode_info *info;
	struct sroce_bth *bth;
	struct sroce_qp *qp;
	enum ib_qp_state state;

	if (!pskb_may_pull(skb, sizeof(*bth)))
		goto short_pkt;
	bth = (void *)skb->data;
	info = sroce_opcode_info(bth->opcode);
	if (!(info->flags & SROCE_OP_VALID)) {
		sroce_stat_inc(sdev, SROCE_STAT_RX_BAD_OPCODE);
		goto drop;
	}
	if (!pskb_may_pull(skb, info->hdr_len))
		goto short_pkt;
	bth = (void *)skb->data;
	if (!sroce_pkey_ok(sroce_bth_pkey(bth))) {
		sroce_stat_inc(sdev, SROCE_STAT_RX_BAD_PKEY);
		goto drop;
	}

	qp = sroce_qp_get(sdev, sroce_bth_qpn(bth));
	if (!qp) {
		sroce_stat_inc(sdev, SROCE_STAT_RX_UNKNOWN_QP);
		goto drop;
	}
	state = READ_ONCE(qp->state);
	if (!!(info->flags & SROCE_OP_UD) != sroce_qp_is_ud(qp) ||
	    state < IB_QPS_RTR || state == IB_QPS_ERR) {
		sroce_stat_inc(sdev, SROCE_STAT_RX_BAD_QP_STATE);
		goto drop_qp;
	}
	if (skb_queue_len(&qp->rxq) >= SROCE_MAX_RXQ) {
		sroce_stat_inc(sdev, SROCE_STAT_RX_QP_OVERFLOW);
		goto drop_qp;
	}
	/*
	 * The engines read the headers directly (pulled into the linear
	 * part above) and the payload with skb_copy_bits().
	 */
	skb_queue_tail(&qp->rxq, skb);
	if (run) {
		*run = qp;	/* the sender runs it, and puts it */
		return;
	}
	sroce_qp_schedule(qp);
	sroce_qp_put(qp);
	return;

drop_qp:
	sroce_qp_put(qp);
	goto drop;
short_pkt:
	sroce_stat_inc(sdev, SROCE_STAT_RX_SHORT);
drop:
	kfree_skb(skb);
}
