// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RDMA WRITE.  Bandwidth: the client writes its slots into the server's
 * slots; --verify checks the server's slots after the round.  Latency:
 * ping-pong as in perftest, each side writing into the other's receive
 * slot and polling the last byte of its own.
 */
#include <string.h>

#include "pt.h"

#define RX_SLOT		0
#define TX_SLOT		1

static void write_wr(struct pt_ctx *c, struct pt_round *r, uint32_t slot,
		     uint32_t rslot, struct ibv_send_wr *wr,
		     struct ibv_sge *sge)
{
	sge->addr = (uintptr_t)pt_slot(c, r, slot);
	sge->length = r->size;
	sge->lkey = c->buf.lkey;
	wr->opcode = IBV_WR_RDMA_WRITE;
	wr->wr.rdma.remote_addr = pt_rslot(c, r, rslot);
	wr->wr.rdma.rkey = c->peer.rkey;
}

static void write_bw_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
			uint32_t slot, struct ibv_send_wr *wr,
			struct ibv_sge *sge)
{
	(void)i;
	write_wr(c, r, slot, slot, wr, sge);
}

/*
 * Client slots hold the pattern (the source); the server's are cleared
 * when they are to be checked.  Latency: both send slots hold the
 * pattern, both receive slots start cleared.
 */
static void write_prepare(struct pt_ctx *c, struct pt_round *r)
{
	bool lat = c->tool->cls & PT_CLS_LAT;

	if (lat) {
		memset(pt_slot(c, r, RX_SLOT), 0, r->size);
		pt_pattern(pt_slot(c, r, TX_SLOT), r->size, r->seed, TX_SLOT);
		return;
	}
	for (uint32_t s = 0; s < r->nslots; s++) {
		if (!c->server)
			pt_pattern(pt_slot(c, r, s), r->size, r->seed, s);
		else if (c->o->verify)
			memset(pt_slot(c, r, s), 0, r->size);
	}
}

/* Server, bandwidth: every slot written holds the client's pattern. */
static int write_check(struct pt_ctx *c, struct pt_round *r)
{
	if (c->tool->cls & PT_CLS_LAT)
		return 0;		/* checked at every iteration */
	return pt_check_written(c, r, r->end_count, "what the client wrote");
}

/* The last byte of the message says which iteration it belongs to. */
static uint8_t mark(uint64_t i)
{
	return i % 255 + 1;
}

static int write_lat(struct pt_ctx *c, struct pt_round *r)
{
	uint8_t *rx = pt_slot(c, r, RX_SLOT), *tx = pt_slot(c, r, TX_SLOT);
	volatile uint8_t *flag = rx + r->size - 1;
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	uint64_t i, t0 = 0;
	size_t bad;
	int ret;

	r->t_start = pt_now_ns();
	for (i = 0; pt_lat_more(c, r, i); i++) {
		memset(&wr, 0, sizeof(wr));
		write_wr(c, r, TX_SLOT, RX_SLOT, &wr, &sge);
		wr.sg_list = &sge;
		wr.num_sge = 1;
		if (c->server) {
			/* server: wait for the client's write, answer it */
			ret = pt_lat_wait_mem(c, r, flag, mark(i));
			if (ret == 1)
				break;
			if (ret)
				return -1;
			tx[r->size - 1] = mark(i);
			if (pt_lat_post(c, &wr, false))
				return -1;
		} else {
			t0 = pt_now_ns();
			tx[r->size - 1] = mark(i);
			if (pt_lat_post(c, &wr, false) ||
			    pt_lat_wait_mem(c, r, flag, mark(i)))
				return -1;
			pt_sample_lat(r, pt_now_ns() - t0);
		}
		if (c->o->verify && r->size > 1 &&
		    pt_pattern_check(rx, r->size - 1, r->seed, TX_SLOT, &bad)) {
			snprintf(r->why, sizeof(r->why), "iteration %llu: byte "
				 "%zu differs from what the peer wrote",
				 (unsigned long long)i, bad);
			r->verify_failed = true;
			return -1;
		}
	}
	r->t_end = pt_now_ns();
	r->done = i;
	if (c->o->verify)
		r->verified = true;
	return 0;
}

const struct pt_kind pt_kind_write = {
	.name = "write",
	.title = "RDMA_Write",
	.access = IBV_ACCESS_REMOTE_WRITE,
	.odp_rc = IBV_ODP_SUPPORT_WRITE,
	.source_local = true,
	.pingpong = true,
	.bw_wr = write_bw_wr,
	.prepare = write_prepare,
	.check = write_check,
	.check_on_server = true,
	.lat = write_lat,
};
