/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce libibverbs provider: provider objects.
 *
 * Each object embeds its libibverbs base object as the first member, so the
 * pointer libibverbs hands back converts with a container_of() (to_xxx()).
 */
#ifndef SROCE_H
#define SROCE_H

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

struct sroce_context {
	struct verbs_context ibv_ctx;
	uint32_t features;	/* enum sroce_context_features */
	uint32_t page_size;	/* kernel page size, granularity of queue mmaps */
};

struct sroce_pd {
	struct ibv_pd ibv_pd;
	uint32_t pdn;
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

_Static_assert(offsetof(struct sroce_alloc_ucontext_resp_full, drv) ==
	       sizeof(struct ib_uverbs_get_context_resp), "ucontext udata follows core resp");
_Static_assert(offsetof(struct sroce_alloc_pd_resp_full, drv) ==
	       sizeof(struct ib_uverbs_alloc_pd_resp), "pd udata follows core resp");

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

#endif /* SROCE_H */
