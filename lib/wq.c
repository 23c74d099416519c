// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: work queue rings, shared by QPs and SRQs.
 *
 * An SQ, RQ or SRQ is a ring (struct sroce_ring_hdr, then 2^n slots of
 * 2^m bytes, uapi/sroce-abi.h) that the kernel allocates and the provider
 * maps from the uverbs fd at the offset the create response gives.  The
 * provider produces, the kernel consumes:
 *
 *	write the WQE into slot (producer & mask)
 *	store-release(hdr->producer)		the kernel may read the slot
 *	...
 *	load-acquire(hdr->consumer)		the kernel is done with the slots
 *						before it: they may be rewritten
 *
 * The provider writes only the slots and hdr->producer, and keeps at most
 * max_wr WQEs outstanding (producer - consumer), the depth the kernel
 * granted.  Posting receive WQEs needs no system call: the kernel's
 * responder consumes them as requests arrive.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sroce.h"

/* Sanity bounds on a ring the kernel describes. */
#define SROCE_WQ_MAX_LOG2		24
#define SROCE_WQ_MIN_LOG2_STRIDE	4	/* a receive WQE header is 16 bytes */
#define SROCE_WQ_MAX_LOG2_STRIDE	16

/*
 * Device limits for create-time checks, queried once per context.  Threads
 * racing here each query; the first to claim the cache fills it and then
 * publishes it with a store-release of limits_valid.
 */
int sroce_get_limits(struct sroce_context *ctx, struct sroce_limits *limits)
{
	struct ibv_device_attr attr;
	int ret;

	if (__atomic_load_n(&ctx->limits_valid, __ATOMIC_ACQUIRE)) {
		*limits = ctx->limits;
		return 0;
	}

	ret = ibv_query_device(&ctx->ibv_ctx.context, &attr);
	if (ret)
		return ret;
	limits->max_qp_wr = attr.max_qp_wr;
	limits->max_sge = attr.max_sge;
	limits->max_srq_wr = attr.max_srq_wr;
	limits->max_srq_sge = attr.max_srq_sge;

	if (!__atomic_exchange_n(&ctx->limits_claimed, 1, __ATOMIC_ACQ_REL)) {
		ctx->limits = *limits;
		__atomic_store_n(&ctx->limits_valid, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int sroce_wq_init(struct sroce_wq *wq)
{
	memset(wq, 0, sizeof(*wq));
	return pthread_spin_init(&wq->lock, PTHREAD_PROCESS_PRIVATE);
}

/* Unmap the ring (if any) and release the lock; the queue must be idle. */
void sroce_wq_fini(struct sroce_wq *wq)
{
	if (wq->hdr)
		munmap(wq->hdr, wq->map_size);
	wq->hdr = NULL;
	pthread_spin_destroy(&wq->lock);
}

static bool sroce_wq_layout_ok(const struct sroce_wq_layout *l)
{
	uint64_t entries;

	if (l->log2_entries > SROCE_WQ_MAX_LOG2 || l->log2_stride < SROCE_WQ_MIN_LOG2_STRIDE ||
	    l->log2_stride > SROCE_WQ_MAX_LOG2_STRIDE)
		return false;
	entries = (uint64_t)1 << l->log2_entries;
	return l->max_wr <= entries && l->wqe_size <= (1U << l->log2_stride) &&
	       l->slot_offset >= l->first_slot && !(l->slot_offset % SROCE_RING_ALIGN) &&
	       l->slot_offset + (entries << l->log2_stride) <= l->map.size;
}

/*
 * Map the ring the kernel described in a create response; on failure
 * nothing is mapped and the caller destroys the kernel object.  A ring of
 * size 0 is a queue of depth 0 (max_wr must say so).  Returns 0 or an
 * errno value: EPROTO when the description is inconsistent.
 */
int sroce_wq_map(struct ibv_context *ibctx, struct sroce_wq *wq,
		 const struct sroce_wq_layout *layout)
{
	void *mem;

	if (!layout->map.size)
		return layout->max_wr ? EPROTO : 0;
	if (!sroce_wq_layout_ok(layout))
		return EPROTO;

	mem = mmap(NULL, layout->map.size, PROT_READ | PROT_WRITE, MAP_SHARED, ibctx->cmd_fd,
		   layout->map.offset);
	if (mem == MAP_FAILED)
		return errno;

	wq->hdr = mem;
	wq->map_size = layout->map.size;
	wq->slots = (uint8_t *)mem + layout->slot_offset;
	wq->mask = (1U << layout->log2_entries) - 1;
	wq->log2_stride = layout->log2_stride;
	wq->max_wr = layout->max_wr;
	wq->max_sge = layout->max_sge;
	wq->max_inline = layout->max_inline;
	/* A new ring is empty, at whatever index the kernel chose. */
	wq->producer = wq->hdr->producer;
	wq->consumer = sroce_load_acquire(&wq->hdr->consumer);
	if (wq->producer != wq->consumer) {
		munmap(mem, layout->map.size);
		wq->hdr = NULL;
		return EPROTO;
	}
	return 0;
}

static void sroce_write_recv(struct sroce_wq *wq, const struct ibv_recv_wr *wr)
{
	struct sroce_recv_wqe *wqe = sroce_wq_slot(wq, wq->producer);
	struct sroce_sge *sge = (struct sroce_sge *)(wqe + 1);
	int i;

	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	for (i = 0; i < wr->num_sge; i++)
		sroce_set_sge(&sge[i], &wr->sg_list[i]);
}

/*
 * Post receive WQEs to an RQ or SRQ: the WQEs before *bad_wr are posted
 * whatever the return value.  EINVAL for too many SGEs, ENOMEM when the
 * queue is full.
 */
int sroce_wq_post_recv(struct sroce_wq *wq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr)
{
	uint32_t start;
	int ret = 0;

	*bad_wr = NULL;
	pthread_spin_lock(&wq->lock);
	start = wq->producer;
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > wq->max_sge)
			ret = EINVAL;
		else if (sroce_wq_full(wq))
			ret = ENOMEM;
		if (ret) {
			*bad_wr = wr;
			break;
		}
		sroce_write_recv(wq, wr);
		wq->producer++;
	}
	if (wq->producer != start)
		sroce_wq_publish(wq);
	pthread_spin_unlock(&wq->lock);
	return ret;
}
