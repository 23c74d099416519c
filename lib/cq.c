// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: completion queues.
 *
 * The kernel writes completions into a ring (struct sroce_ring_hdr followed
 * by 2^n struct sroce_cqe, uapi/sroce-abi.h) that the provider maps from the
 * uverbs fd at the offset the create (or resize) response gives.  Polling
 * needs no system call:
 *
 *	producer = load-acquire(hdr->producer)	entries before it are complete
 *	copy the entries consumer .. producer - 1
 *	store-release(hdr->consumer)		the kernel may reuse their slots
 *
 * The provider is the only writer of hdr->consumer.  It writes entries
 * only to drop those of a QP that was reset or destroyed (sroce_cq_clean()),
 * and only between the consumer and the producer index, slots the kernel
 * leaves alone until the consumer index passes them.  Arming
 * (req_notify_cq) and resizing are commands; the events of a completion
 * channel are libibverbs' business.
 *
 * Locking: cq->lock serialises the consumers of one CQ in this process:
 * poll_cq, an extended poll (held from a successful start_poll to
 * end_poll), and resize_cq, which holds it across the command and the
 * remapping, so that the consumer index the kernel copies from is stable
 * and no poll reads the old ring after the kernel moved to the new one.
 * CQs created with IBV_CREATE_CQ_ATTR_SINGLE_THREADED skip it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sroce.h"

/* What struct sroce_cqe carries, for ibv_create_cq_ex(). */
#define SROCE_CQ_WC_FLAGS	(IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_CVLAN)
#define SROCE_CQ_CREATE_FLAGS	IBV_CREATE_CQ_ATTR_SINGLE_THREADED
#define SROCE_CQ_COMP_MASK	IBV_CQ_INIT_ATTR_MASK_FLAGS
/* Sanity bound on a ring the kernel describes (it never makes one this big). */
#define SROCE_CQ_MAX_LOG2	24

static void sroce_cq_lock(struct sroce_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_lock(&cq->lock);
}

static void sroce_cq_unlock(struct sroce_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_unlock(&cq->lock);
}

static bool sroce_only(uint64_t bits, uint64_t supported)
{
	return !(bits & ~supported);
}

/* The kernel's enum ib_wc_flags to libibverbs' enum ibv_wc_flags. */
static unsigned int sroce_wc_flags(uint32_t kflags)
{
	unsigned int flags = 0;

	if (kflags & SROCE_WC_GRH)
		flags |= IBV_WC_GRH;
	if (kflags & SROCE_WC_WITH_IMM)
		flags |= IBV_WC_WITH_IMM;
	if (kflags & SROCE_WC_WITH_INVALIDATE)
		flags |= IBV_WC_WITH_INV;
	if (kflags & SROCE_WC_IP_CSUM_OK)
		flags |= IBV_WC_IP_CSUM_OK;
	return flags;
}

/* Our own consumer index: nobody else writes it. */
static uint32_t sroce_load_consumer(struct sroce_cq *cq)
{
	return __atomic_load_n(&cq->hdr->consumer, __ATOMIC_RELAXED);
}

/*
 * Entries ready to be consumed, 0 if none or if the indices make no sense
 * (the ring reads as zeros, or the consumer index is garbage, after the
 * device was removed under the process).
 */
static uint32_t sroce_cq_ready(struct sroce_cq *cq, uint32_t consumer)
{
	uint32_t ready = sroce_load_acquire(&cq->hdr->producer) - consumer;

	return ready > cq->mask ? 0 : ready;
}

/* A mapped ring, described by a create or resize response. */
struct sroce_cq_ring {
	struct sroce_ring_hdr *hdr;
	size_t size;
	uint32_t mask;
};

static int sroce_cq_map_ring(struct ibv_context *ibctx, const struct sroce_mmap_info *info,
			     uint32_t log2_entries, struct sroce_cq_ring *ring)
{
	uint64_t need;
	void *mem;

	if (log2_entries < 1 || log2_entries > SROCE_CQ_MAX_LOG2)
		return EPROTO;
	need = sizeof(struct sroce_ring_hdr) +
	       ((uint64_t)1 << log2_entries) * sizeof(struct sroce_cqe);
	if (info->size < need)
		return EPROTO;

	mem = mmap(NULL, info->size, PROT_READ | PROT_WRITE, MAP_SHARED, ibctx->cmd_fd,
		   info->offset);
	if (mem == MAP_FAILED)
		return errno;

	ring->hdr = mem;
	ring->size = info->size;
	ring->mask = (1U << log2_entries) - 1;
	return 0;
}

static void sroce_cq_set_ring(struct sroce_cq *cq, const struct sroce_cq_ring *ring)
{
	cq->hdr = ring->hdr;
	cq->cqes = (struct sroce_cqe *)(ring->hdr + 1);
	cq->map_size = ring->size;
	cq->mask = ring->mask;
}

static void sroce_cq_unmap(struct sroce_cq *cq)
{
	if (cq->hdr)
		munmap(cq->hdr, cq->map_size);
	cq->hdr = NULL;
	cq->cqes = NULL;
}

/* ---- polling ---- */

static void sroce_cqe_to_wc(const struct sroce_cqe *cqe, struct ibv_wc *wc)
{
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	/* imm_data, or the invalidated rkey in host order (same union) */
	wc->imm_data = cqe->imm_data;
	wc->qp_num = cqe->qp_num;
	wc->src_qp = cqe->src_qp;
	wc->wc_flags = sroce_wc_flags(cqe->wc_flags);
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
}

int sroce_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct sroce_cq *cq = to_scq(ibcq);
	uint32_t consumer, ready;
	int n;

	sroce_cq_lock(cq);
	if (!cq->hdr) {
		sroce_cq_unlock(cq);
		return -1;
	}
	consumer = sroce_load_consumer(cq);
	ready = sroce_cq_ready(cq, consumer);
	for (n = 0; n < num_entries && (uint32_t)n < ready; n++)
		sroce_cqe_to_wc(&cq->cqes[(consumer + n) & cq->mask], &wc[n]);
	if (n)
		sroce_store_release(&cq->hdr->consumer, consumer + n);
	sroce_cq_unlock(cq);
	return n;
}

/*
 * Drop the unpolled completions of QP @qpn from @ibcq, keeping the order of
 * the others.  A QP moved to RESET (or destroyed) leaves nothing behind in
 * its CQs, as with mlx4 and mlx5: an application that resets a QP after an
 * error and uses it again must not poll the flushed completions of its
 * previous life.  Call after the kernel stopped the QP: the kernel writes no
 * completion for it any more.  Survivors move towards the producer index,
 * newest first, then the consumer index skips the freed slots.
 */
void sroce_cq_clean(struct ibv_cq *ibcq, uint32_t qpn)
{
	struct sroce_cq *cq = to_scq(ibcq);
	uint32_t consumer, ready, i, freed = 0;

	sroce_cq_lock(cq);
	if (!cq->hdr)
		goto out;
	consumer = sroce_load_consumer(cq);
	ready = sroce_cq_ready(cq, consumer);
	for (i = ready; i-- > 0;) {
		const struct sroce_cqe *cqe = &cq->cqes[(consumer + i) & cq->mask];

		if (cqe->qp_num == qpn)
			freed++;
		else if (freed)
			cq->cqes[(consumer + i + freed) & cq->mask] = *cqe;
	}
	if (freed)
		sroce_store_release(&cq->hdr->consumer, consumer + freed);
out:
	sroce_cq_unlock(cq);
}

/*
 * Extended polling: start_poll takes the lock and stays on the first entry,
 * next_poll releases the entry it was on and moves on, end_poll releases
 * the last one and the lock.  The application calls end_poll after a
 * successful start_poll only, whatever next_poll returned.
 */
static void sroce_cq_ex_load(struct sroce_cq *cq)
{
	cq->cur = &cq->cqes[cq->next & cq->mask];
	cq->next++;
	cq->vcq.cq_ex.wr_id = cq->cur->wr_id;
	cq->vcq.cq_ex.status = cq->cur->status;
}

static int sroce_start_poll(struct ibv_cq_ex *ibcq, struct ibv_poll_cq_attr *attr)
{
	struct sroce_cq *cq = ex_to_scq(ibcq);

	if (attr->comp_mask)
		return EINVAL;

	sroce_cq_lock(cq);
	if (!cq->hdr) {
		sroce_cq_unlock(cq);
		return EIO;
	}
	cq->next = sroce_load_consumer(cq);
	if (!sroce_cq_ready(cq, cq->next)) {
		cq->cur = NULL;
		sroce_cq_unlock(cq);
		return ENOENT;
	}
	sroce_cq_ex_load(cq);
	return 0;
}

static int sroce_next_poll(struct ibv_cq_ex *ibcq)
{
	struct sroce_cq *cq = ex_to_scq(ibcq);

	if (!cq->cur)
		return ENOENT;
	/* Done with the current entry. */
	sroce_store_release(&cq->hdr->consumer, cq->next);
	if (!sroce_cq_ready(cq, cq->next)) {
		cq->cur = NULL;
		return ENOENT;
	}
	sroce_cq_ex_load(cq);
	return 0;
}

static void sroce_end_poll(struct ibv_cq_ex *ibcq)
{
	struct sroce_cq *cq = ex_to_scq(ibcq);

	if (cq->cur)
		sroce_store_release(&cq->hdr->consumer, cq->next);
	cq->cur = NULL;
	sroce_cq_unlock(cq);
}

static enum ibv_wc_opcode sroce_read_opcode(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->opcode;
}

static uint32_t sroce_read_vendor_err(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->vendor_err;
}

static uint32_t sroce_read_byte_len(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->byte_len;
}

static __be32 sroce_read_imm_data(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->imm_data;
}

static uint32_t sroce_read_qp_num(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->qp_num;
}

static uint32_t sroce_read_src_qp(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->src_qp;
}

static unsigned int sroce_read_wc_flags(struct ibv_cq_ex *ibcq)
{
	return sroce_wc_flags(ex_to_scq(ibcq)->cur->wc_flags);
}

static uint32_t sroce_read_slid(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->slid;
}

static uint8_t sroce_read_sl(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->sl;
}

static uint8_t sroce_read_dlid_path_bits(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->dlid_path_bits;
}

static uint16_t sroce_read_cvlan(struct ibv_cq_ex *ibcq)
{
	return ex_to_scq(ibcq)->cur->vlan_id;
}

static void sroce_cq_ex_set_ops(struct sroce_cq *cq)
{
	struct ibv_cq_ex *ex = &cq->vcq.cq_ex;

	ex->start_poll = sroce_start_poll;
	ex->next_poll = sroce_next_poll;
	ex->end_poll = sroce_end_poll;
	ex->read_opcode = sroce_read_opcode;
	ex->read_vendor_err = sroce_read_vendor_err;
	ex->read_byte_len = sroce_read_byte_len;
	ex->read_imm_data = sroce_read_imm_data;
	ex->read_qp_num = sroce_read_qp_num;
	ex->read_src_qp = sroce_read_src_qp;
	ex->read_wc_flags = sroce_read_wc_flags;
	ex->read_slid = sroce_read_slid;
	ex->read_sl = sroce_read_sl;
	ex->read_dlid_path_bits = sroce_read_dlid_path_bits;
	ex->read_cvlan = sroce_read_cvlan;
}

/* ---- create, destroy, resize, notify ---- */

/*
 * The kernel created the CQ: map its ring.  On failure the caller destroys
 * the kernel object.
 */
static int sroce_cq_setup(struct sroce_cq *cq, struct ibv_context *ibctx,
			  const struct sroce_create_cq_resp *drv)
{
	struct sroce_cq_ring ring = {};
	int ret;

	ret = sroce_cq_map_ring(ibctx, &drv->ring, drv->log2_entries, &ring);
	if (ret) {
		sroce_err(to_sctx(ibctx), "cannot map the CQ ring (%d)\n", ret);
		return ret;
	}
	sroce_cq_set_ring(cq, &ring);
	return 0;
}

static struct sroce_cq *sroce_cq_alloc(bool single_threaded)
{
	struct sroce_cq *cq;

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;
	if (pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(cq);
		return NULL;
	}
	cq->single_threaded = single_threaded;
	return cq;
}

static void sroce_cq_free(struct sroce_cq *cq)
{
	sroce_cq_unmap(cq);
	pthread_spin_destroy(&cq->lock);
	free(cq);
}

struct ibv_cq *sroce_create_cq(struct ibv_context *ibctx, int cqe,
			       struct ibv_comp_channel *channel, int comp_vector)
{
	struct sroce_create_cq_resp_full resp;
	struct ibv_create_cq cmd;
	struct sroce_cq *cq;
	int ret;

	cq = sroce_cq_alloc(false);
	if (!cq) {
		errno = ENOMEM;
		return NULL;
	}

	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_cq(ibctx, cqe, channel, comp_vector, &cq->vcq.cq, &cmd,
				sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto err_free;

	ret = sroce_cq_setup(cq, ibctx, &resp.drv);
	if (ret)
		goto err_destroy;
	return &cq->vcq.cq;

err_destroy:
	ibv_cmd_destroy_cq(&cq->vcq.cq);
err_free:
	sroce_cq_free(cq);
	errno = ret;
	return NULL;
}

struct ibv_cq_ex *sroce_create_cq_ex(struct ibv_context *ibctx,
				     struct ibv_cq_init_attr_ex *attr)
{
	struct sroce_create_cq_ex_resp_full resp;
	struct ibv_create_cq_ex cmd;
	uint32_t flags = 0;
	struct sroce_cq *cq;
	int ret;

	/* No parent domain, no completion timestamps, no flow tags. */
	if (!sroce_only(attr->comp_mask, SROCE_CQ_COMP_MASK) ||
	    !sroce_only(attr->wc_flags, SROCE_CQ_WC_FLAGS)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) {
		flags = attr->flags;
		if (!sroce_only(flags, SROCE_CQ_CREATE_FLAGS)) {
			errno = EOPNOTSUPP;
			return NULL;
		}
	}

	cq = sroce_cq_alloc(flags & IBV_CREATE_CQ_ATTR_SINGLE_THREADED);
	if (!cq) {
		errno = ENOMEM;
		return NULL;
	}

	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_cq_ex(ibctx, attr, &cq->vcq, &cmd, sizeof(cmd), &resp.ibv_resp,
				   sizeof(resp), 0);
	if (ret)
		goto err_free;

	ret = sroce_cq_setup(cq, ibctx, &resp.drv);
	if (ret)
		goto err_destroy;
	sroce_cq_ex_set_ops(cq);
	return &cq->vcq.cq_ex;

err_destroy:
	ibv_cmd_destroy_cq(&cq->vcq.cq);
err_free:
	sroce_cq_free(cq);
	errno = ret;
	return NULL;
}

int sroce_destroy_cq(struct ibv_cq *ibcq)
{
	int ret;

	ret = ibv_cmd_destroy_cq(ibcq);
	if (ret)
		return ret;
	sroce_cq_free(to_scq(ibcq));
	return 0;
}

int sroce_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	return ibv_cmd_req_notify_cq(ibcq, solicited_only);
}

/*
 * The kernel copies the unconsumed completions into a new ring and answers
 * with its mapping; the old ring is dead once the command returns.  A failed
 * command leaves everything as it was.
 */
int sroce_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_resize_cq_resp_full resp;
	struct ibv_resize_cq cmd;
	struct sroce_cq_ring ring = {};
	int ret;

	sroce_cq_lock(cq);
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_resize_cq(ibcq, cqe, &cmd, sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto out;

	ret = sroce_cq_map_ring(ibcq->context, &resp.drv.ring, resp.drv.log2_entries, &ring);
	/* Either way the old ring will not see another completion. */
	sroce_cq_unmap(cq);
	if (ret) {
		sroce_err(to_sctx(ibcq->context), "cannot map the resized CQ ring (%d)\n", ret);
		goto out;
	}
	sroce_cq_set_ring(cq, &ring);
out:
	sroce_cq_unlock(cq);
	return ret;
}
