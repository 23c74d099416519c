// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce libibverbs provider: address handles.
 *
 * The kernel resolves and keeps the address; the provider only remembers
 * the AH number the create response gives, which UD send WQEs carry
 * (struct sroce_send_wqe wr.ud.ah_num).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sroce.h"

struct ibv_ah *sroce_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct sroce_create_ah_resp_full resp;
	struct sroce_ah *ah;
	int ret;

	ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = ENOMEM;
		return NULL;
	}

	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_ah(pd, &ah->ibv_ah, attr, &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	ah->ah_num = resp.drv.ah_num;
	return &ah->ibv_ah;
}

int sroce_destroy_ah(struct ibv_ah *ibah)
{
	int ret;

	ret = ibv_cmd_destroy_ah(ibah);
	if (ret)
		return ret;
	free(to_sah(ibah));
	return 0;
}
