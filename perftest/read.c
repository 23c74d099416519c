// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RDMA READ.  The server's slots hold the pattern; the client reads them
 * into its own slots, which --verify checks after the round.  Latency:
 * one read at a time, its completion awaited.
 */
#include <string.h>

#include "pt.h"

static void read_bw_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
		       uint32_t slot, struct ibv_send_wr *wr,
		       struct ibv_sge *sge)
{
	(void)i;
	sge->addr = (uintptr_t)pt_slot(c, r, slot);
	sge->length = r->size;
	sge->lkey = c->buf.lkey;
	wr->opcode = IBV_WR_RDMA_READ;
	wr->wr.rdma.remote_addr = pt_rslot(c, r, slot);
	wr->wr.rdma.rkey = c->peer.rkey;
}

static void read_prepare(struct pt_ctx *c, struct pt_round *r)
{
	for (uint32_t s = 0; s < r->nslots; s++) {
		if (c->server)
			pt_pattern(pt_slot(c, r, s), r->size, r->seed, s);
		else if (c->o->verify)
			memset(pt_slot(c, r, s), 0, r->size);
	}
}

/* Client: every slot read holds the server's pattern. */
static int read_check(struct pt_ctx *c, struct pt_round *r)
{
	uint64_t n = r->done;

	if (c->tool->cls & PT_CLS_LAT)
		n = n ? 1 : 0;		/* latency reads slot 0 only */
	return pt_check_written(c, r, n, "the server's memory");
}

/* latency: every read comes from slot 0 */
static void read_lat_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
			struct ibv_send_wr *wr, struct ibv_sge *sge)
{
	read_bw_wr(c, r, i, 0, wr, sge);
}

static int read_lat(struct pt_ctx *c, struct pt_round *r)
{
	return pt_lat_one_sided(c, r, read_lat_wr, NULL);
}

const struct pt_kind pt_kind_read = {
	.name = "read",
	.title = "RDMA_Read",
	.access = IBV_ACCESS_REMOTE_READ,
	.odp_rc = IBV_ODP_SUPPORT_READ,
	.source_local = false,
	.bw_wr = read_bw_wr,
	.prepare = read_prepare,
	.check = read_check,
	.lat = read_lat,
};
