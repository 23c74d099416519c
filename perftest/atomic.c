// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Atomics: fetch-and-add of 1 (default) or compare-and-swap (-A) on
 * 8-byte slots of the server.  The k-th operation on a slot expects k
 * there, so after the round each server slot holds the number of
 * operations aimed at it (both kinds); the server checks that.  Latency
 * checks the value each operation returns.
 */
#include <string.h>

#include "pt.h"

static void atomic_wr(struct pt_ctx *c, struct pt_round *r, uint64_t k,
		      uint32_t slot, struct ibv_send_wr *wr,
		      struct ibv_sge *sge)
{
	sge->addr = (uintptr_t)pt_slot(c, r, slot);
	sge->length = 8;
	sge->lkey = c->buf.lkey;
	wr->wr.atomic.remote_addr = pt_rslot(c, r, slot);
	wr->wr.atomic.rkey = c->peer.rkey;
	if (c->o->cas) {
		wr->opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
		wr->wr.atomic.compare_add = k;
		wr->wr.atomic.swap = k + 1;
	} else {
		wr->opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		wr->wr.atomic.compare_add = 1;
	}
}

static void atomic_bw_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
			 uint32_t slot, struct ibv_send_wr *wr,
			 struct ibv_sge *sge)
{
	atomic_wr(c, r, i / r->nslots, slot, wr, sge);
}

static void atomic_prepare(struct pt_ctx *c, struct pt_round *r)
{
	memset(c->buf.p, 0, (size_t)r->nslots * r->stride);
}

static int atomic_check(struct pt_ctx *c, struct pt_round *r)
{
	bool lat = c->tool->cls & PT_CLS_LAT;
	uint64_t n = r->end_count;

	/* latency: every operation went to slot 0 */
	for (uint32_t s = 0; s < r->nslots; s++) {
		uint64_t want = lat ? (s ? 0 : n) :
			n / r->nslots + (s < n % r->nslots);
		uint64_t got = *(volatile uint64_t *)pt_slot(c, r, s);

		if (got != want) {
			snprintf(r->why, sizeof(r->why), "slot %u holds %llu "
				 "after %llu operations, expected %llu", s,
				 (unsigned long long)got,
				 (unsigned long long)n,
				 (unsigned long long)want);
			return -1;
		}
	}
	return 0;
}

/* latency: operation i on slot 0, which then held i */
static void atomic_lat_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
			  struct ibv_send_wr *wr, struct ibv_sge *sge)
{
	atomic_wr(c, r, i, 0, wr, sge);
}

static int atomic_lat_verify(struct pt_ctx *c, struct pt_round *r, uint64_t i)
{
	uint64_t got = *(volatile uint64_t *)pt_slot(c, r, 0);

	if (got == i)
		return 0;
	snprintf(r->why, sizeof(r->why), "operation %llu returned %llu",
		 (unsigned long long)i, (unsigned long long)got);
	return -1;
}

static int atomic_lat(struct pt_ctx *c, struct pt_round *r)
{
	return pt_lat_one_sided(c, r, atomic_lat_wr, atomic_lat_verify);
}

const struct pt_kind pt_kind_atomic = {
	.name = "atomic",
	.title = "Atomic",
	.access = IBV_ACCESS_REMOTE_ATOMIC,
	.odp_rc = IBV_ODP_SUPPORT_ATOMIC,
	.fixed_size = 8,
	.source_local = false,
	.bw_wr = atomic_bw_wr,
	.prepare = atomic_prepare,
	.check = atomic_check,
	.check_on_server = true,
	.lat = atomic_lat,
};
