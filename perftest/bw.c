// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bandwidth engine, client side: keep --tx-depth WRs in flight, signal
 * one in --cq-mod, cycle through the buffer's slots.  With --first-touch
 * the client stops at the end of each pass over the buffer, waits for
 * the last completion and drops the pages (its own, the server's or
 * both); that pause is not timed.  With --churn a thread drops part of
 * the buffer while WRs are in flight.
 */
#include <string.h>

#include "pt.h"

struct bw_state {
	uint64_t posted;
	uint64_t completed;
	bool last_posted;
	bool time_up;			/* duration mode: post one last WR */
};

static int post_one(struct pt_ctx *c, struct pt_round *r,
		    struct bw_state *s, bool signaled)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = s->posted;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = signaled ? IBV_SEND_SIGNALED : 0;
	c->tool->kind->bw_wr(c, r, s->posted, s->posted % r->nslots, &wr,
			      &sge);
	ret = ibv_post_send(c->qp, &wr, &bad);
	if (ret) {
		pt_err(c, "ibv_post_send: %s", strerror(ret));
		return -1;
	}
	s->posted++;
	return 0;
}

static int reap(struct pt_ctx *c, struct pt_round *r, struct bw_state *s)
{
	struct ibv_wc wc[16];
	int n = pt_poll(c, c->scq, wc, 16);

	if (n <= 0)
		return n;
	s->completed = wc[n - 1].wr_id + 1;
	c->progress = s->completed;
	pt_sample_bw(r, pt_now_ns(), s->completed);
	return n;
}

/* Wait until everything posted has completed. */
static int drain(struct pt_ctx *c, struct pt_round *r, struct bw_state *s)
{
	while (s->completed < s->posted)
		if (reap(c, r, s) < 0)
			return -1;
	return 0;
}

static bool time_up(struct bw_state *s, uint64_t end_ns)
{
	static unsigned int tick;

	if (!s->time_up && !(++tick & 31) && pt_now_ns() >= end_ns)
		s->time_up = true;
	return s->time_up;
}

/*
 * ODP modes: the device's fault and RNR NAK counters around the timed
 * part.  With --prefetch and neither --first-touch nor --churn, a run
 * in steady state adds nothing to either.  Both counters cover the whole
 * device: in --loopback both sides, else this side only.
 */
static void odp_counters(struct pt_ctx *c, int64_t v[2])
{
	v[0] = pt_hw_counter(c, "odp_faults");
	v[1] = pt_hw_counter(c, "odp_rnr_naks");
}

static int64_t counter_delta(int64_t before, int64_t after)
{
	return before < 0 || after < before ? -1 : after - before;
}

int pt_bw_active(struct pt_ctx *c, struct pt_round *r)
{
	const struct pt_opts *o = c->o;
	struct bw_state s = { 0 };
	struct pt_churn *churn = NULL;
	int64_t cnt0[2] = { -1, -1 }, cnt1[2];
	uint64_t end_ns = 0;
	int ret = -1;

	c->progress = 0;
	r->passes = r->pages_dropped = r->excluded_ns = 0;
	/* first-touch: the first pass starts on dropped pages too */
	if (o->first_touch && pt_touch_pass(c, r))
		return -1;
	if (o->churn_every) {
		churn = pt_churn_start(c, r);
		if (!churn)
			return -1;
	}
	r->odp_faults_timed = r->odp_rnr_timed = -1;
	if (o->mem != PT_MEM_PINNED)
		odp_counters(c, cnt0);
	r->t_start = pt_now_ns();
	if (r->duration)
		end_ns = r->t_start + r->duration * 1000000000ull;

	for (;;) {
		while (!s.last_posted &&
		       s.posted - s.completed < (uint64_t)o->tx_depth) {
			uint64_t next = s.posted + 1;
			bool pass_end = o->first_touch && next % r->nslots == 0;
			bool last = r->iters ? next == r->iters :
					       time_up(&s, end_ns);

			if (post_one(c, r, &s, last || pass_end ||
				     next % o->cq_mod == 0))
				goto out;
			s.last_posted = last;
			if (pass_end)
				break;
		}
		if (s.last_posted && s.completed == s.posted)
			break;
		if (reap(c, r, &s) < 0)
			goto out;
		/* first-touch: a pass is over: drain, drop the pages */
		if (o->first_touch && !s.last_posted &&
		    s.posted % r->nslots == 0) {
			uint64_t t;

			if (drain(c, r, &s))
				goto out;
			t = pt_now_ns();
			if (pt_touch_pass(c, r))
				goto out;
			r->excluded_ns += pt_now_ns() - t;
		}
	}
	ret = 0;
out:
	r->t_end = pt_now_ns();
	r->done = s.completed;
	if (o->mem != PT_MEM_PINNED) {
		odp_counters(c, cnt1);
		r->odp_faults_timed = counter_delta(cnt0[0], cnt1[0]);
		r->odp_rnr_timed = counter_delta(cnt0[1], cnt1[1]);
	}
	if (churn && pt_churn_stop(churn, r))
		ret = -1;
	return ret;
}
