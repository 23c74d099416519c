// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: completion queues.
 *
 * The ring protocol, the locking rules and the contract for producers are
 * described at struct sroce_cq in sroce.h.  This file has two layers: the
 * queue code (sroce_cq_ring_*, sroce_cq_init/swap_ring/fini, sroce_cq_post),
 * which knows rings but not devices or uverbs, and the verbs on top of it,
 * which validate attributes, count CQs per device and talk to user space.
 */

#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <rdma/restrack.h>
#include <rdma/uverbs_ioctl.h>

#include "sroce.h"

static size_t sroce_cq_ring_bytes(u32 slots)
{
	return sizeof(struct sroce_ring_hdr) +
	       (size_t)slots * sizeof(struct sroce_cqe);
}

/**
 * sroce_cq_ring_alloc - allocate an empty ring for @cqe completions
 * @ring: filled in
 * @cqe: entries it must hold, 1 .. SROCE_MAX_CQE
 * @ibuc: the user context that maps the ring, or NULL for a kernel ring
 * @info: for a user ring, filled with the mmap offset and size
 *
 * The ring gets roundup_pow_of_two(@cqe + 1) slots and holds one entry less
 * than that, at least @cqe.  Sleeps.
 *
 * Return: 0 or -errno.
 */
int sroce_cq_ring_alloc(struct sroce_cq_ring *ring, u32 cqe,
			struct ib_ucontext *ibuc, struct sroce_mmap_info *info)
{
	size_t bytes;
	void *mem;
	u32 slots;

	memset(ring, 0, sizeof(*ring));
	if (!cqe || cqe > SROCE_MAX_CQE)
		return -EINVAL;
	slots = roundup_pow_of_two(cqe + 1);
	bytes = sroce_cq_ring_bytes(slots);
	if (ibuc) {
		ring->mmap = sroce_mmap_alloc(ibuc, bytes, info);
		if (IS_ERR(ring->mmap)) {
			int err = PTR_ERR(ring->mmap);

			ring->mmap = NULL;
			return err;
		}
		mem = ring->mmap->kaddr;
	} else {
		mem = vzalloc(bytes);
		if (!mem)
			return -ENOMEM;
		ring->qps = kvcalloc(slots, sizeof(*ring->qps), GFP_KERNEL);
		if (!ring->qps) {
			vfree(mem);
			return -ENOMEM;
		}
	}
	ring->hdr = mem;
	ring->cqes = mem + sizeof(struct sroce_ring_hdr);
	ring->mask = slots - 1;
	return 0;
}

/*
 * Free a ring no CQ uses (any more).  A user ring's memory lives on for as
 * long as a process still maps it; the kernel does not touch it again.
 */
void sroce_cq_ring_free(struct sroce_cq_ring *ring)
{
	if (!ring->hdr)
		return;
	if (ring->mmap) {
		sroce_mmap_remove(ring->mmap);
	} else {
		kvfree(ring->qps);
		vfree(ring->hdr);
	}
	memset(ring, 0, sizeof(*ring));
}

/* Make @ring, fresh from sroce_cq_ring_alloc(), the ring of a new @cq. */
void sroce_cq_init(struct sroce_cq *cq, struct sroce_cq_ring *ring)
{
	spin_lock_init(&cq->lock);
	cq->ring = *ring;
	memset(ring, 0, sizeof(*ring));
	cq->producer = 0;
	cq->notify = 0;
	cq->overflowed = false;
	cq->overflows = 0;
	cq->ibcq.cqe = cq->ring.mask;
}

/**
 * sroce_cq_swap_ring - move the completions of @cq to a new ring (resize)
 * @cq: the CQ
 * @ring: an empty ring of the same kind (user or kernel) as @cq's
 * @cqe: the size asked for; more unconsumed completions than that fail
 *
 * Copies the unconsumed entries, in order and at the same indices, into
 * @ring and makes it the ring of @cq.  On success @ring holds the old ring,
 * which the caller frees after this returns.  Any context.
 *
 * Return: 0, or -EINVAL if more than @cqe completions are unconsumed (or
 * the consumer index of a user ring is corrupt); @ring is then left as it
 * was.
 */
int sroce_cq_swap_ring(struct sroce_cq *cq, struct sroce_cq_ring *ring,
		       u32 cqe)
{
	struct sroce_cq_ring *old = &cq->ring;
	unsigned long flags;
	u32 consumer, used, i;
	int err = 0;

	spin_lock_irqsave(&cq->lock, flags);
	if (!old->hdr || !ring->mmap != !old->mmap) {
		err = -EINVAL;
		goto out;
	}
	/* Pairs with the consumer's store-release: its reads are done. */
	consumer = smp_load_acquire(&old->hdr->consumer);
	used = cq->producer - consumer;
	if (used > old->mask || used > cqe || used > ring->mask) {
		err = -EINVAL;
		goto out;
	}
	/* At most SROCE_MAX_CQE iterations. */
	for (i = consumer; i != cq->producer; i++) {
		ring->cqes[i & ring->mask] = old->cqes[i & old->mask];
		if (ring->qps)
			ring->qps[i & ring->mask] = old->qps[i & old->mask];
	}
	WRITE_ONCE(ring->hdr->consumer, consumer);
	/* The entries are in place before anyone can see the producer. */
	smp_store_release(&ring->hdr->producer, cq->producer);
	swap(*old, *ring);
	cq->ibcq.cqe = old->mask;
out:
	spin_unlock_irqrestore(&cq->lock, flags);
	return err;
}

/*
 * Tear down the ring of a CQ that is being destroyed.  Posts that still
 * reach the CQ after this find no ring and fail (see struct sroce_cq).
 * Sleeps.
 */
void sroce_cq_fini(struct sroce_cq *cq)
{
	struct sroce_cq_ring ring;
	unsigned long flags;

	spin_lock_irqsave(&cq->lock, flags);
	ring = cq->ring;
	memset(&cq->ring, 0, sizeof(cq->ring));
	cq->notify = 0;
	spin_unlock_irqrestore(&cq->lock, flags);
	sroce_cq_ring_free(&ring);
}

static void sroce_cq_report_overflow(struct sroce_cq *cq)
{
	struct ib_cq *ibcq = &cq->ibcq;
	struct ib_event event = {
		.device = ibcq->device,
		.element.cq = ibcq,
		.event = IB_EVENT_CQ_ERR,
	};

	if (ibcq->event_handler)
		ibcq->event_handler(&event, ibcq->cq_context);
}

/**
 * sroce_cq_post - add a completion to a CQ (the producer side)
 * @cq: the CQ
 * @cqe: the completion, in the ABI format (values of enum ib_wc_status,
 *	 ib_wc_opcode and ib_wc_flags; an invalidated rkey goes into
 *	 imm_data in CPU byte order, as uverbs does)
 * @qp: the QP the completion belongs to, reported as ib_wc.qp to kernel
 *	consumers; not stored for user CQs
 * @solicited: the completion satisfies a solicited-only notification
 *	request (a received message with the solicited event bit)
 *
 * Takes the CQ lock; call from process or softirq context with no lock held
 * that a completion or event handler might take: after dropping the CQ lock
 * this calls ibcq->comp_handler if the CQ was armed for this completion, and
 * ibcq->event_handler (IB_EVENT_CQ_ERR) on the first overflow.  Who may post
 * when is described at struct sroce_cq.
 *
 * Return: 0; -ENOSPC if the ring is full (the completion is dropped and
 * counted); -ESHUTDOWN if the CQ is being destroyed.
 */
int sroce_cq_post(struct sroce_cq *cq, const struct sroce_cqe *cqe,
		  struct ib_qp *qp, bool solicited)
{
	struct sroce_cq_ring *ring = &cq->ring;
	struct ib_cq *ibcq = &cq->ibcq;
	bool notify = false, report;
	unsigned long flags;
	u32 consumer, slot;

	spin_lock_irqsave(&cq->lock, flags);
	if (unlikely(!ring->hdr)) {
		spin_unlock_irqrestore(&cq->lock, flags);
		return -ESHUTDOWN;
	}

	/* Pairs with the consumer's store-release: it is done with the slot. */
	consumer = smp_load_acquire(&ring->hdr->consumer);
	if (unlikely(cq->producer - consumer >= ring->mask)) {
		cq->overflows++;
		report = !cq->overflowed;
		cq->overflowed = true;
		spin_unlock_irqrestore(&cq->lock, flags);
		if (report)
			sroce_cq_report_overflow(cq);
		return -ENOSPC;
	}

	slot = cq->producer & ring->mask;
	ring->cqes[slot] = *cqe;
	if (ring->qps)
		ring->qps[slot] = qp;
	cq->producer++;
	/* Pairs with the consumer's load-acquire: the entry is complete. */
	smp_store_release(&ring->hdr->producer, cq->producer);

	if (cq->notify == IB_CQ_NEXT_COMP ||
	    (cq->notify == IB_CQ_SOLICITED &&
	     (solicited || cqe->status != IB_WC_SUCCESS))) {
		cq->notify = 0;
		notify = true;
	}
	spin_unlock_irqrestore(&cq->lock, flags);

	if (notify && ibcq->comp_handler)
		ibcq->comp_handler(ibcq, ibcq->cq_context);
	return 0;
}

/* ---- verbs ---- */

int sroce_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		    struct sroce_create_cq_arg *arg)
{
	struct ib_udata *udata = sroce_create_cq_udata(arg);
	struct sroce_dev *sdev = to_sdev(ibcq->device);
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_create_cq_resp resp = {};
	struct sroce_ucontext *suc = NULL;
	struct sroce_cq_ring ring;
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (!attr->cqe || attr->cqe > SROCE_MAX_CQE)
		return -EINVAL;
	if (attr->comp_vector >= ibcq->device->num_comp_vectors)
		return -EINVAL;
	if (udata) {
		if (udata->inlen &&
		    !ib_is_udata_cleared(udata, 0, udata->inlen))
			return -EOPNOTSUPP;
		suc = rdma_udata_to_drv_context(udata, struct sroce_ucontext,
						ibuc);
	}

	if (atomic_inc_return(&sdev->num_cq) > SROCE_MAX_CQ) {
		err = -ENOMEM;
		goto err_count;
	}

	err = sroce_cq_ring_alloc(&ring, attr->cqe, suc ? &suc->ibuc : NULL,
				  &resp.ring);
	if (err)
		goto err_count;

	if (udata) {
		resp.log2_entries = ilog2(ring.mask + 1);
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto err_ring;
	}

	sroce_cq_init(cq, &ring);
	return 0;

err_ring:
	sroce_cq_ring_free(&ring);
err_count:
	atomic_dec(&sdev->num_cq);
	return err;
}

/* ib_core calls this only once no QP or SRQ uses the CQ. */
int sroce_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	sroce_cq_fini(to_scq(ibcq));
	atomic_dec(&to_sdev(ibcq->device)->num_cq);
	return 0;
}

int sroce_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_resize_cq_resp resp = {};
	struct sroce_ucontext *suc = NULL;
	struct sroce_cq_ring ring;
	int err;

	if (cqe < 1 || cqe > SROCE_MAX_CQE)
		return -EINVAL;
	if (udata) {
		if (udata->inlen &&
		    !ib_is_udata_cleared(udata, 0, udata->inlen))
			return -EOPNOTSUPP;
		suc = rdma_udata_to_drv_context(udata, struct sroce_ucontext,
						ibuc);
	}

	sroce_qp_flush_cq_work(to_sdev(ibcq->device), cq);
	err = sroce_cq_ring_alloc(&ring, cqe, suc ? &suc->ibuc : NULL,
				  &resp.ring);
	if (err)
		return err;

	/*
	 * Tell the library about the new ring before switching to it: once
	 * switched there is no way back, and a failed copy would leave the
	 * library polling a ring the kernel no longer fills.
	 */
	if (udata) {
		resp.log2_entries = ilog2(ring.mask + 1);
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto out_free;
	}

	err = sroce_cq_swap_ring(cq, &ring, cqe);
out_free:
	/* the old ring on success, the unused new one on failure */
	sroce_cq_ring_free(&ring);
	return err;
}

static void sroce_cqe_to_wc(const struct sroce_cqe *cqe, struct ib_qp *qp,
			    struct ib_wc *wc)
{
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->qp = qp;
	if (cqe->wc_flags & IB_WC_WITH_INVALIDATE)
		wc->ex.invalidate_rkey = (__force u32)cqe->imm_data;
	else
		wc->ex.imm_data = cqe->imm_data;
	wc->src_qp = cqe->src_qp;
	wc->slid = cqe->slid;
	wc->wc_flags = cqe->wc_flags;
	wc->pkey_index = cqe->pkey_index;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
	wc->port_num = 1;
	memcpy(wc->smac, cqe->smac, ETH_ALEN);
	wc->vlan_id = cqe->vlan_id;
	wc->network_hdr_type = cqe->network_hdr_type;
}

/*
 * Kernel consumers poll here, from any context.  A user CQ is polled from
 * its mapping by the library only: the uverbs POLL_CQ command is not
 * enabled (sroce_newlink()), and it is refused here as well, since its
 * ib_wc would need a kernel QP pointer that user completions lack.
 */
int sroce_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_cq_ring *ring = &cq->ring;
	unsigned long flags;
	u32 consumer, slot;
	int n = 0;

	spin_lock_irqsave(&cq->lock, flags);
	if (!ring->hdr || ring->mmap) {
		spin_unlock_irqrestore(&cq->lock, flags);
		return -EOPNOTSUPP;
	}
	/* A kernel ring: both indices are ours, the lock orders them. */
	consumer = ring->hdr->consumer;
	while (n < num_entries && consumer != cq->producer) {
		slot = consumer & ring->mask;
		sroce_cqe_to_wc(&ring->cqes[slot], ring->qps[slot], &wc[n]);
		consumer++;
		n++;
	}
	WRITE_ONCE(ring->hdr->consumer, consumer);
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

/*
 * Arm the CQ for the next completion, or the next solicited one.  With
 * IB_CQ_REPORT_MISSED_EVENTS, returns 1 if the CQ already holds completions
 * (the consumer must poll again rather than wait), 0 otherwise.
 */
int sroce_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct sroce_cq *cq = to_scq(ibcq);
	unsigned long irqflags;
	int ret = 0;

	if (!(flags & IB_CQ_SOLICITED_MASK))
		return -EINVAL;

	spin_lock_irqsave(&cq->lock, irqflags);
	if (flags & IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_NEXT_COMP;
	else if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_SOLICITED;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) && cq->ring.hdr &&
	    smp_load_acquire(&cq->ring.hdr->consumer) != cq->producer)
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}

/*
 * Driver attributes of "rdma resource show cq -dd".  ib_core may call this
 * while or after the CQ is destroyed (the ib_cq memory stays until it is
 * done): it reads only fields of struct sroce_cq, never the ring.
 */
int sroce_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct nlattr *table;
	unsigned long flags;
	u64 overflows;
	u32 slots;

	spin_lock_irqsave(&cq->lock, flags);
	slots = cq->ring.hdr ? cq->ring.mask + 1 : 0;
	overflows = cq->overflows;
	spin_unlock_irqrestore(&cq->lock, flags);

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_u32(msg, "slots", slots) ||
	    rdma_nl_put_driver_u64(msg, "overflows", overflows)) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}
