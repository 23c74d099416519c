// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: memory regions.
 *
 * Registration is entirely the kernel's business (it pins the pages, or
 * sets up an on-demand paged region, and hands out lkey == rkey); REG_MR
 * and REREG_MR carry no sroce-specific data.  ibv_advise_mr() goes to the
 * kernel, which faults the ranges in.  Return conventions as in sroce.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sroce.h"

struct ibv_mr *sroce_reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va,
			    int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct sroce_mr *mr;
	int ret;

	mr = calloc(1, sizeof(*mr));
	if (!mr) {
		errno = ENOMEM;
		return NULL;
	}

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, &mr->vmr, &cmd, sizeof(cmd),
			     &resp, sizeof(resp));
	if (ret) {
		free(mr);
		errno = ret;
		return NULL;
	}
	return &mr->vmr.ibv_mr;
}

/*
 * The kernel keeps the keys when only the PD or the permissions change and
 * the pinned pages allow it, and hands out new ones otherwise;
 * ibv_cmd_rereg_mr() stores whatever it answers.
 */
int sroce_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd, void *addr,
		   size_t length, int access)
{
	struct ib_uverbs_rereg_mr_resp resp;
	struct ibv_rereg_mr cmd;
	int ret;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_rereg_mr(vmr, flags, addr, length, (uintptr_t)addr, access, pd, &cmd,
			       sizeof(cmd), &resp, sizeof(resp));
	if (ret)
		errno = ret;
	return ret;
}

int sroce_dereg_mr(struct verbs_mr *vmr)
{
	int ret;

	ret = ibv_cmd_dereg_mr(vmr);
	if (ret)
		return ret;

	free(to_smr(vmr));
	return 0;
}

/*
 * Prefetch ranges of on-demand paged MRs.  The kernel checks the SGEs and
 * either faults the pages in before answering (IBV_ADVISE_MR_FLAG_FLUSH)
 * or queues the work.
 */
int sroce_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
		    struct ibv_sge *sg_list, uint32_t num_sge)
{
	return ibv_cmd_advise_mr(pd, advice, flags, sg_list, num_sge);
}
