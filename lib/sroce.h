/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce libibverbs provider: provider objects.
 *
 * Each object embeds its libibverbs base object as the first member, so the
 * pointer libibverbs hands back converts with a container_of() (to_xxx()).
 */
#ifndef SROCE_H
#define SROCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sroce-verbs-abi.h"
#include "sroce-abi.h"

#define sroce_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define sroce_err(sctx, fmt, ...) \
	__verbs_log(&(sctx)->ibv_ctx, VERBS_LOG_ERR, "sroce: %s: " fmt, __func__, ##__VA_ARGS__)

struct sroce_device {
	struct verbs_device ibv_dev;
};

/* Device limits that create_qp and create_srq check requests against. */
struct sroce_limits {
	uint32_t max_qp_wr;
	uint32_t max_sge;
	uint32_t max_srq_wr;
	uint32_t max_srq_sge;
};

/*
 * @limits is queried on first use (sroce_get_limits(), wq.c): valid once
 * @limits_valid reads 1 with load-acquire; only the thread that claimed
 * @limits_claimed writes it.
 */
struct sroce_context {
	struct verbs_context ibv_ctx;
	uint32_t features;	/* enum sroce_context_features */
	uint32_t page_size;	/* kernel page size, granularity of queue mmaps */
	struct sroce_limits limits;
	int limits_claimed;
	int limits_valid;
};

struct sroce_pd {
	struct ibv_pd ibv_pd;
	uint32_t pdn;
};

struct sroce_mr {
	struct verbs_mr vmr;
};

/*
 * A CQ: the ring the kernel fills (uapi/sroce-abi.h), mapped from the
 * uverbs fd.  @lock serialises this process's consumers of the ring (see
 * cq.c); CQs created IBV_CREATE_CQ_ATTR_SINGLE_THREADED do without it.
 * @cur and @next are the state of an extended poll, valid between
 * start_poll and end_poll.
 */
struct sroce_cq {
	struct verbs_cq vcq;
	pthread_spinlock_t lock;
	bool single_threaded;
	struct sroce_ring_hdr *hdr;	/* the mapping; NULL when none */
	struct sroce_cqe *cqes;
	size_t map_size;
	uint32_t mask;			/* slots - 1 */
	const struct sroce_cqe *cur;	/* entry an extended poll is on */
	uint32_t next;			/* consumer index after @cur */
};

/*
 * A work queue ring the provider produces into and the kernel consumes: an
 * SQ, an RQ or an SRQ (wq.c).  @lock serialises this process's producers;
 * @producer is the next index to write, published to hdr->producer with a
 * store-release; @consumer is the last hdr->consumer seen (load-acquire).
 * At most @max_wr WQEs are outstanding.  A queue the kernel gave no ring
 * (an RQ with an SRQ, or a depth of 0) has @hdr NULL and @max_wr 0.
 */
struct sroce_wq {
	pthread_spinlock_t lock;
	struct sroce_ring_hdr *hdr;	/* the mapping */
	size_t map_size;
	uint8_t *slots;			/* slot 0 */
	uint32_t mask;			/* slots - 1 */
	uint32_t log2_stride;
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t max_inline;		/* SQ only */
	uint32_t producer;
	uint32_t consumer;
};

/* How the kernel laid out a ring (create response), and what it must hold. */
struct sroce_wq_layout {
	struct sroce_mmap_info map;
	uint32_t log2_entries;
	uint32_t log2_stride;
	uint32_t slot_offset;
	uint32_t first_slot;	/* bytes before the slots: header(s) */
	uint64_t wqe_size;	/* largest WQE the granted caps allow */
	uint32_t max_wr;	/* the granted caps */
	uint32_t max_sge;
	uint32_t max_inline;
};

/*
 * A QP.  @send_ops are the IBV_QP_EX_WITH_* operations its type allows.
 * @ex is the state of an extended post (ibv_wr_*), valid under sq.lock
 * from wr_start to wr_complete or wr_abort: @start is sq.producer at
 * wr_start, @err the first error, @wqe the WQE being built (its opcode
 * @op, data bytes @len, whether wr_set_ud_addr set its address @has_ud).
 */
struct sroce_qp {
	struct verbs_qp vqp;
	struct sroce_wq sq;
	struct sroce_wq rq;
	struct sroce_sq_ctrl *sq_ctrl;	/* in the SQ mapping */
	uint64_t send_ops;
	bool sig_all;
	struct {
		uint32_t start;
		int err;
		struct sroce_send_wqe *wqe;
		enum ibv_wr_opcode op;
		uint64_t len;
		bool has_ud;
	} ex;
};

struct sroce_srq {
	struct verbs_srq vsrq;
	struct sroce_wq rq;
	uint32_t srqn;
};

struct sroce_ah {
	struct ibv_ah ibv_ah;
	uint32_t ah_num;	/* what UD send WQEs name */
};

/* enum ib_wc_flags of the kernel, as struct sroce_cqe carries them. */
enum {
	SROCE_WC_GRH			= 1 << 0,
	SROCE_WC_WITH_IMM		= 1 << 1,
	SROCE_WC_WITH_INVALIDATE	= 1 << 2,
	SROCE_WC_IP_CSUM_OK		= 1 << 3,
};

/* The driver-private udata trailing each core command response. */
struct sroce_alloc_ucontext_resp_full {
	struct ib_uverbs_get_context_resp ibv_resp;
	struct sroce_alloc_ucontext_resp drv;
};

struct sroce_alloc_pd_resp_full {
	struct ib_uverbs_alloc_pd_resp ibv_resp;
	struct sroce_alloc_pd_resp drv;
};

struct sroce_create_cq_resp_full {
	struct ib_uverbs_create_cq_resp ibv_resp;
	struct sroce_create_cq_resp drv;
};

struct sroce_create_cq_ex_resp_full {
	struct ib_uverbs_ex_create_cq_resp ibv_resp;
	struct sroce_create_cq_resp drv;
};

struct sroce_resize_cq_resp_full {
	struct ib_uverbs_resize_cq_resp ibv_resp;
	struct sroce_resize_cq_resp drv;
};

struct sroce_create_qp_resp_full {
	struct ib_uverbs_ex_create_qp_resp ibv_resp;
	struct sroce_create_qp_resp drv;
};

struct sroce_create_srq_resp_full {
	struct ib_uverbs_create_srq_resp ibv_resp;
	struct sroce_create_srq_resp drv;
};

struct sroce_create_ah_resp_full {
	struct ib_uverbs_create_ah_resp ibv_resp;
	struct sroce_create_ah_resp drv;
};

_Static_assert(offsetof(struct sroce_create_qp_resp_full, drv) ==
	       sizeof(struct ib_uverbs_ex_create_qp_resp), "qp udata follows core resp");
_Static_assert(offsetof(struct sroce_create_srq_resp_full, drv) ==
	       sizeof(struct ib_uverbs_create_srq_resp), "srq udata follows core resp");
_Static_assert(offsetof(struct sroce_create_ah_resp_full, drv) ==
	       sizeof(struct ib_uverbs_create_ah_resp), "ah udata follows core resp");
_Static_assert(offsetof(struct sroce_alloc_ucontext_resp_full, drv) ==
	       sizeof(struct ib_uverbs_get_context_resp), "ucontext udata follows core resp");
_Static_assert(offsetof(struct sroce_alloc_pd_resp_full, drv) ==
	       sizeof(struct ib_uverbs_alloc_pd_resp), "pd udata follows core resp");
_Static_assert(offsetof(struct sroce_create_cq_resp_full, drv) ==
	       sizeof(struct ib_uverbs_create_cq_resp), "cq udata follows core resp");
_Static_assert(offsetof(struct sroce_create_cq_ex_resp_full, drv) ==
	       sizeof(struct ib_uverbs_ex_create_cq_resp), "cq_ex udata follows core resp");
_Static_assert(offsetof(struct sroce_resize_cq_resp_full, drv) ==
	       sizeof(struct ib_uverbs_resize_cq_resp), "resize udata follows core resp");

static inline struct sroce_device *to_sdev(struct verbs_device *vdev)
{
	return sroce_container_of(vdev, struct sroce_device, ibv_dev);
}

static inline struct sroce_context *to_sctx(struct ibv_context *ibctx)
{
	return sroce_container_of(ibctx, struct sroce_context, ibv_ctx.context);
}

static inline struct sroce_pd *to_spd(struct ibv_pd *ibpd)
{
	return sroce_container_of(ibpd, struct sroce_pd, ibv_pd);
}

static inline struct sroce_cq *to_scq(struct ibv_cq *ibcq)
{
	return sroce_container_of(ibcq, struct sroce_cq, vcq.cq);
}

static inline struct sroce_cq *ex_to_scq(struct ibv_cq_ex *ibcq)
{
	return sroce_container_of(ibcq, struct sroce_cq, vcq.cq_ex);
}

static inline struct sroce_mr *to_smr(struct verbs_mr *vmr)
{
	return sroce_container_of(vmr, struct sroce_mr, vmr);
}

static inline struct sroce_qp *to_sqp(struct ibv_qp *ibqp)
{
	return sroce_container_of(ibqp, struct sroce_qp, vqp.qp);
}

static inline struct sroce_qp *ex_to_sqp(struct ibv_qp_ex *ibqp)
{
	return sroce_container_of(ibqp, struct sroce_qp, vqp.qp_ex);
}

static inline struct sroce_srq *to_ssrq(struct ibv_srq *ibsrq)
{
	return sroce_container_of(ibsrq, struct sroce_srq, vsrq.srq);
}

static inline struct sroce_ah *to_sah(struct ibv_ah *ibah)
{
	return sroce_container_of(ibah, struct sroce_ah, ibv_ah);
}

/*
 * Ring indices (uapi/sroce-abi.h): the other side's index is read with a
 * load-acquire, one's own published with a store-release.
 */
static inline uint32_t sroce_load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void sroce_store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void *sroce_wq_slot(const struct sroce_wq *wq, uint32_t index)
{
	return wq->slots + ((size_t)(index & wq->mask) << wq->log2_stride);
}

/*
 * No room for another WQE.  Re-reads the kernel's consumer index only when
 * the cached one says full; its load-acquire orders the kernel's last reads
 * of the freed slots before our writes to them.
 */
static inline bool sroce_wq_full(struct sroce_wq *wq)
{
	if (!wq->max_wr)
		return true;
	if (wq->producer - wq->consumer < wq->max_wr)
		return false;
	wq->consumer = sroce_load_acquire(&wq->hdr->consumer);
	return wq->producer - wq->consumer >= wq->max_wr;
}

/* Make the WQEs written so far visible to the kernel. */
static inline void sroce_wq_publish(struct sroce_wq *wq)
{
	sroce_store_release(&wq->hdr->producer, wq->producer);
}

static inline void sroce_set_sge(struct sroce_sge *dst, const struct ibv_sge *src)
{
	dst->addr = src->addr;
	dst->length = src->length;
	dst->lkey = src->lkey;
}

/* mr.c */
struct ibv_mr *sroce_reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va,
			    int access);
int sroce_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd, void *addr,
		   size_t length, int access);
int sroce_dereg_mr(struct verbs_mr *vmr);
int sroce_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
		    struct ibv_sge *sg_list, uint32_t num_sge);

/* cq.c */
struct ibv_cq *sroce_create_cq(struct ibv_context *ibctx, int cqe,
			       struct ibv_comp_channel *channel, int comp_vector);
struct ibv_cq_ex *sroce_create_cq_ex(struct ibv_context *ibctx,
				     struct ibv_cq_init_attr_ex *attr);
int sroce_destroy_cq(struct ibv_cq *ibcq);
int sroce_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
int sroce_req_notify_cq(struct ibv_cq *ibcq, int solicited_only);
int sroce_resize_cq(struct ibv_cq *ibcq, int cqe);
void sroce_cq_clean(struct ibv_cq *ibcq, uint32_t qpn);

/* wq.c */
int sroce_get_limits(struct sroce_context *ctx, struct sroce_limits *limits);
int sroce_wq_init(struct sroce_wq *wq);
void sroce_wq_fini(struct sroce_wq *wq);
int sroce_wq_map(struct ibv_context *ibctx, struct sroce_wq *wq,
		 const struct sroce_wq_layout *layout);
int sroce_wq_post_recv(struct sroce_wq *wq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr);

/* qp.c */
struct ibv_qp *sroce_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *sroce_create_qp_ex(struct ibv_context *ibctx, struct ibv_qp_init_attr_ex *attr);
int sroce_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask);
int sroce_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		   struct ibv_qp_init_attr *init_attr);
int sroce_destroy_qp(struct ibv_qp *ibqp);
int sroce_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);
int sroce_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);

/* srq.c */
struct ibv_srq *sroce_create_srq(struct ibv_pd *pd, struct ibv_srq_init_attr *attr);
struct ibv_srq *sroce_create_srq_ex(struct ibv_context *ibctx, struct ibv_srq_init_attr_ex *attr);
int sroce_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int attr_mask);
int sroce_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int sroce_destroy_srq(struct ibv_srq *ibsrq);
int sroce_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad_wr);

/* ah.c */
struct ibv_ah *sroce_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int sroce_destroy_ah(struct ibv_ah *ibah);

#endif /* SROCE_H */
