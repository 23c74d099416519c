// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Latency engine helpers: one message at a time, loops that end after -n
 * iterations or -D seconds (the server learns the end from the client's
 * E line), send WRs signaled one in 16 so the send queue never fills.
 */
#include <sched.h>
#include <string.h>

#include "pt.h"

#define LAT_SIGNAL	16
#define LAT_UNACKED	48	/* the QP's send queue holds at least 64 */
#define LAT_SPIN_CHECK	4096	/* spins between out-of-band checks */
#define LAT_SPIN_YIELD	1024	/* then give the CPU to the device's
				   workers (software devices, small VMs) */

bool pt_lat_more(struct pt_ctx *c, struct pt_round *r, uint64_t i)
{
	if (r->iters)
		return i < r->iters;
	if (c->server)
		return !r->ended;
	return pt_now_ns() < r->t_start + r->duration * 1000000000ull;
}

static int reap_sq(struct pt_ctx *c, bool block_until_done)
{
	unsigned int spins = 0;
	struct ibv_wc wc[8];
	int n;

	do {
		n = pt_poll(c, c->scq, wc, 8);
		if (n < 0)
			return -1;
		if (n)
			c->sq_done = wc[n - 1].wr_id + 1;
		else if (++spins > LAT_SPIN_YIELD)
			sched_yield();
	} while (block_until_done && c->sq_done < c->sq_posted);
	return 0;
}

/*
 * Post @wr (its wr_id is overwritten).  @wait: signaled, and return once
 * it has completed (read and atomic latency).
 */
int pt_lat_post(struct pt_ctx *c, struct ibv_send_wr *wr, bool wait)
{
	struct ibv_send_wr *bad;
	int ret;

	wr->wr_id = c->sq_posted;
	if (wait || c->sq_posted % LAT_SIGNAL == LAT_SIGNAL - 1)
		wr->send_flags |= IBV_SEND_SIGNALED;
	else
		wr->send_flags &= ~IBV_SEND_SIGNALED;
	ret = ibv_post_send(c->qp, wr, &bad);
	if (ret) {
		pt_err(c, "ibv_post_send: %s", strerror(ret));
		return -1;
	}
	c->sq_posted++;
	if (wait)
		return reap_sq(c, true);
	if (c->sq_posted - c->sq_done > LAT_UNACKED) {
		/* wait for the last signaled WR, never an unsignaled one */
		uint64_t target = c->sq_posted - c->sq_posted % LAT_SIGNAL;

		while (c->sq_done < target)
			if (reap_sq(c, false))
				return -1;
	}
	return 0;
}

/*
 * Every few thousand spins: the server takes the client's control lines
 * (returns 1 once the round ended), the client makes sure the server is
 * still there.
 */
static int spin_check(struct pt_ctx *c, struct pt_round *r)
{
	char line[64];

	if (c->server) {
		int ret = pt_ctl_serve(c, r, false, &r->end_count);

		if (ret == 1)
			r->ended = true;
		return ret;
	}
	switch (pt_recv(c, line, sizeof(line), 0)) {
	case 0:
		return 0;
	case 1:
		pt_err(c, "out-of-band: unexpected '%s'", line);
	}
	return -1;
}

/* Wait for *@p == @val.  0: it came, 1: the round ended, -1: error. */
int pt_lat_wait_mem(struct pt_ctx *c, struct pt_round *r,
		    volatile uint8_t *p, uint8_t val)
{
	unsigned int spins = 0;

	while (*p != val) {
		if (++spins > LAT_SPIN_YIELD)
			sched_yield();
		if (spins % LAT_SPIN_CHECK == 0) {
			int ret = spin_check(c, r);

			if (ret)
				return ret;
		}
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return 0;
}

/* Wait for one completion on @cq, like pt_lat_wait_mem. */
int pt_lat_wait_cq(struct pt_ctx *c, struct pt_round *r, struct ibv_cq *cq,
		   struct ibv_wc *wc)
{
	unsigned int spins = 0;
	int n;

	while (!(n = pt_poll(c, cq, wc, 1))) {
		if (++spins > LAT_SPIN_YIELD)
			sched_yield();
		if (spins % LAT_SPIN_CHECK == 0) {
			int ret = spin_check(c, r);

			if (ret)
				return ret;
		}
	}
	return n < 0 ? -1 : 0;
}

/*
 * The latency loop of the kinds the requester completes alone (read,
 * atomic): one signaled WR at a time, timed from post to completion.
 * @build makes the WR of iteration @i; @verify, if set, checks its
 * result when --verify is on (0, or -1 with r->why filled in).
 */
int pt_lat_one_sided(struct pt_ctx *c, struct pt_round *r, pt_lat_build_fn build,
		     pt_lat_verify_fn verify)
{
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	uint64_t i;

	r->t_start = pt_now_ns();
	for (i = 0; pt_lat_more(c, r, i); i++) {
		uint64_t t0 = pt_now_ns();

		memset(&wr, 0, sizeof(wr));
		build(c, r, i, &wr, &sge);
		wr.sg_list = &sge;
		wr.num_sge = 1;
		if (pt_lat_post(c, &wr, true))
			return -1;
		pt_sample_lat(r, pt_now_ns() - t0);
		if (verify && c->o->verify && verify(c, r, i)) {
			r->verify_failed = true;
			return -1;
		}
	}
	r->t_end = pt_now_ns();
	r->done = i;
	if (verify && c->o->verify)
		r->verified = true;
	return 0;
}
