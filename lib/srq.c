// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: shared receive queues (basic SRQs).
 *
 * An SRQ is a receive ring like a QP's RQ (wq.c): the kernel allocates it,
 * the provider maps it and posts receive WQEs with no system call; the
 * responders of the QPs attached to it consume them.  Its size is fixed at
 * creation: the ABI has no way to hand out a new ring, so resizing
 * (IBV_SRQ_MAX_WR) is refused; arming the limit event is a command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sroce.h"

#define SROCE_SRQ_COMP_MASK	(IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD)

static int sroce_check_srq_attr(struct ibv_context *ibctx, const struct ibv_srq_attr *attr)
{
	struct sroce_limits lim;
	int ret;

	ret = sroce_get_limits(to_sctx(ibctx), &lim);
	if (ret)
		return ret;
	if (attr->max_wr > lim.max_srq_wr || attr->max_sge > lim.max_srq_sge)
		return EINVAL;
	return 0;
}

static struct sroce_srq *sroce_srq_alloc(void)
{
	struct sroce_srq *srq;

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	if (sroce_wq_init(&srq->rq)) {
		free(srq);
		return NULL;
	}
	return srq;
}

static void sroce_srq_free(struct sroce_srq *srq)
{
	sroce_wq_fini(&srq->rq);
	free(srq);
}

/* The kernel created the SRQ and granted @attr: map its ring. */
static int sroce_srq_map(struct sroce_srq *srq, struct ibv_context *ibctx,
			 const struct ibv_srq_attr *attr, const struct sroce_create_srq_resp *drv)
{
	const struct sroce_wq_layout rq = {
		.map = drv->rq,
		.log2_entries = drv->log2_entries,
		.log2_stride = drv->log2_stride,
		.slot_offset = drv->slot_offset,
		.first_slot = sizeof(struct sroce_ring_hdr),
		.wqe_size = sizeof(struct sroce_recv_wqe) +
			    (uint64_t)attr->max_sge * sizeof(struct sroce_sge),
		.max_wr = attr->max_wr,
		.max_sge = attr->max_sge,
	};
	int ret;

	ret = sroce_wq_map(ibctx, &srq->rq, &rq);
	if (ret) {
		sroce_err(to_sctx(ibctx), "cannot map the SRQ ring (%d)\n", ret);
		return ret;
	}
	srq->srqn = drv->srqn;
	return 0;
}

struct ibv_srq *sroce_create_srq(struct ibv_pd *pd, struct ibv_srq_init_attr *attr)
{
	struct sroce_create_srq_resp_full resp;
	struct ibv_create_srq cmd;
	struct sroce_srq *srq;
	int ret;

	ret = sroce_check_srq_attr(pd->context, &attr->attr);
	if (ret) {
		errno = ret;
		return NULL;
	}

	srq = sroce_srq_alloc();
	if (!srq) {
		errno = ENOMEM;
		return NULL;
	}

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd, sizeof(cmd), &resp.ibv_resp,
				 sizeof(resp));
	if (ret)
		goto err_free;

	ret = sroce_srq_map(srq, pd->context, &attr->attr, &resp.drv);
	if (ret)
		goto err_destroy;
	return &srq->vsrq.srq;

err_destroy:
	ibv_cmd_destroy_srq(&srq->vsrq.srq);
err_free:
	sroce_srq_free(srq);
	errno = ret;
	return NULL;
}

/*
 * Basic SRQs only.  libibverbs sends plain basic requests to create_srq;
 * this entry point sees the others and any direct caller.
 */
struct ibv_srq *sroce_create_srq_ex(struct ibv_context *ibctx, struct ibv_srq_init_attr_ex *attr)
{
	struct sroce_create_srq_resp_full resp;
	struct ibv_srq_init_attr_ex basic;
	struct ibv_create_xsrq cmd;
	struct sroce_srq *srq;
	int ret;

	if ((attr->comp_mask & ~SROCE_SRQ_COMP_MASK) ||
	    ((attr->comp_mask & IBV_SRQ_INIT_ATTR_TYPE) && attr->srq_type != IBV_SRQT_BASIC)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_PD) || !attr->pd) {
		errno = EINVAL;
		return NULL;
	}
	ret = sroce_check_srq_attr(ibctx, &attr->attr);
	if (ret) {
		errno = ret;
		return NULL;
	}

	srq = sroce_srq_alloc();
	if (!srq) {
		errno = ENOMEM;
		return NULL;
	}

	/* Spell the type out: the command's write path reads it regardless of comp_mask. */
	basic = *attr;
	basic.comp_mask |= IBV_SRQ_INIT_ATTR_TYPE;
	basic.srq_type = IBV_SRQT_BASIC;
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_srq_ex(ibctx, &srq->vsrq, &basic, &cmd, sizeof(cmd), &resp.ibv_resp,
				    sizeof(resp));
	if (ret)
		goto err_free;

	ret = sroce_srq_map(srq, ibctx, &basic.attr, &resp.drv);
	if (ret)
		goto err_destroy;

	/* What ibv_create_srq() does for the plain path. */
	srq->vsrq.srq.srq_context = attr->srq_context;
	srq->vsrq.srq.pd = attr->pd;
	srq->vsrq.srq.events_completed = 0;
	attr->attr.max_wr = basic.attr.max_wr;
	attr->attr.max_sge = basic.attr.max_sge;
	return &srq->vsrq.srq;

err_destroy:
	ibv_cmd_destroy_srq(&srq->vsrq.srq);
err_free:
	sroce_srq_free(srq);
	errno = ret;
	return NULL;
}

int sroce_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int attr_mask)
{
	struct ibv_modify_srq cmd;

	if (attr_mask & IBV_SRQ_MAX_WR)
		return EOPNOTSUPP;
	if (attr_mask & ~IBV_SRQ_LIMIT)
		return EINVAL;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int sroce_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
}

/* The ring is unmapped after the kernel let go of the SRQ. */
int sroce_destroy_srq(struct ibv_srq *ibsrq)
{
	int ret;

	ret = ibv_cmd_destroy_srq(ibsrq);
	if (ret)
		return ret;
	sroce_srq_free(to_ssrq(ibsrq));
	return 0;
}

int sroce_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad_wr)
{
	return sroce_wq_post_recv(&to_ssrq(ibsrq)->rq, wr, bad_wr);
}
