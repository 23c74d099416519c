/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: on-demand paged memory regions (sroce_odp.c).
 *
 * The MR verbs (sroce_mr.c) create an ODP region with sroce_odp_init()
 * and reach it through sroce_odp_ops like any other implementation; the
 * engines only ever see the memory seam (sroce_mem.h).  The design is in
 * Documentation/odp.md.
 */
#ifndef SROCE_ODP_H
#define SROCE_ODP_H

#include <rdma/ib_verbs.h>

#include "sroce_mem.h"

extern const struct sroce_mr_ops sroce_odp_ops;

int sroce_odp_init(struct sroce_mr *mr, u64 start, u64 length, u64 iova);
void sroce_odp_user_range(struct sroce_mr *mr, u64 *start, u64 *length);
u64 sroce_odp_resident_pages(struct sroce_mr *mr);
void sroce_odp_query_device(struct ib_device_attr *attr);

int sroce_advise_mr(struct ib_pd *pd,
		    enum ib_uverbs_advise_mr_advice advice, u32 flags,
		    struct ib_sge *sg_list, u32 num_sge,
		    struct uverbs_attr_bundle *attrs);
int sroce_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

#endif /* SROCE_ODP_H */
