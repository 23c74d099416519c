// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: shared receive queues.  The ring is the same as a QP's RQ; the
 * responders of all QPs attached to the SRQ consume it, serialised by
 * srq->lock.
 */

#include <rdma/uverbs_ioctl.h>

#include "sroce.h"

static size_t sroce_srq_slot_size(u32 max_sge)
{
	return roundup_pow_of_two(sizeof(struct sroce_recv_wqe) +
				  max(max_sge, 1U) * sizeof(struct sroce_sge));
}

int sroce_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		     struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibsrq->device);
	struct sroce_srq *srq = to_ssrq(ibsrq);
	struct sroce_create_srq_resp resp = {};
	struct ib_srq_attr *attr = &init->attr;
	u32 id;
	int err;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (!attr->max_wr || attr->max_wr > SROCE_MAX_SRQ_WR ||
	    attr->max_sge > SROCE_MAX_SGE || attr->srq_limit > attr->max_wr)
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_srq) > SROCE_MAX_SRQ) {
		err = -ENOMEM;
		goto err_count;
	}
	spin_lock_init(&srq->lock);
	err = sroce_wq_alloc(&srq->rq, attr->max_wr, attr->max_sge,
			     sizeof(struct sroce_ring_hdr),
			     sroce_srq_slot_size(attr->max_sge), udata,
			     &resp.rq, &resp.slot_offset);
	if (err)
		goto err_count;
	srq->limit = attr->srq_limit;
	attr->max_wr = srq->rq.mask + 1;

	err = ida_alloc_max(&sdev->srq_ida, SROCE_MAX_SRQ - 1, GFP_KERNEL);
	if (err < 0)
		goto err_wq;
	id = err;
	srq->srqn = id;
	resp.log2_entries = srq->rq.log2_entries;
	resp.log2_stride = srq->rq.log2_stride;
	resp.srqn = id;
	if (udata) {
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto err_id;
	}
	return 0;

err_id:
	ida_free(&sdev->srq_ida, id);
err_wq:
	sroce_wq_free(&srq->rq);
err_count:
	atomic_dec(&sdev->num_srq);
	return err;
}

int sroce_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		     enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);
	unsigned long flags;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	/* The ring does not grow: resizing is not offered. */
	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;
	if (mask & IB_SRQ_LIMIT) {
		if (attr->srq_limit > srq->rq.mask + 1)
			return -EINVAL;
		spin_lock_irqsave(&srq->lock, flags);
		srq->limit = attr->srq_limit;
		spin_unlock_irqrestore(&srq->lock, flags);
	}
	return 0;
}

int sroce_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);

	attr->max_wr = srq->rq.mask + 1;
	attr->max_sge = srq->rq.max_sge;
	attr->srq_limit = READ_ONCE(srq->limit);
	return 0;
}

int sroce_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibsrq->device);
	struct sroce_srq *srq = to_ssrq(ibsrq);

	/* ib_core guarantees no QP uses the SRQ any more (usecnt). */
	ida_free(&sdev->srq_ida, srq->srqn);
	sroce_wq_free(&srq->rq);
	atomic_dec(&sdev->num_srq);
	return 0;
}

int sroce_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			const struct ib_recv_wr **bad_wr)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);

	if (srq->rq.mmap)
		return 0;	/* user SRQ: the library writes the ring */
	return sroce_post_recv_ring(&srq->rq, wr, bad_wr);
}

/*
 * Take a receive WQE for one of the attached QPs' responders.  Reports
 * the limit event (once per arming) when fewer than srq_limit WQEs are
 * left.
 */
int sroce_srq_fetch(struct sroce_srq *srq, struct sroce_rwqe *rwqe)
{
	struct ib_event ev = {
		.device = srq->ibsrq.device,
		.element.srq = &srq->ibsrq,
		.event = IB_EVENT_SRQ_LIMIT_REACHED,
	};
	unsigned long flags;
	bool limit = false;
	int err;

	spin_lock_irqsave(&srq->lock, flags);
	err = sroce_rwqe_fetch(&srq->rq, rwqe);
	if (!err && srq->limit && sroce_wq_avail(&srq->rq) < srq->limit) {
		srq->limit = 0;
		limit = true;
	}
	spin_unlock_irqrestore(&srq->lock, flags);
	if (limit && srq->ibsrq.event_handler)
		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
	return err;
}
