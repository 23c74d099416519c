// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SEND/RECV over RC or UD.  Bandwidth: the server keeps receives posted
 * and (with --verify) checks every message as it completes; UD may lose
 * messages, the server says how many it got.  Latency: ping-pong.
 *
 * Receives stay posted from one round to the next, so the send tests use
 * one stride and slot count for all sizes (the largest; see run.c).  A
 * UD receive starts with the 40-byte GRH.
 */
#include <string.h>

#include "pt.h"

#define GRH_BYTES	40
#define RX_SLOT		0
#define TX_SLOT		1
#define UD_QUIET_NS	200000000ull	/* UD: the end once 200 ms pass quietly */

static bool is_lat(struct pt_ctx *c)
{
	return c->tool->cls & PT_CLS_LAT;
}

static size_t rx_off(struct pt_ctx *c)
{
	return c->o->ud ? GRH_BYTES : 0;
}

static int post_recvs(struct pt_ctx *c, struct pt_round *r, uint64_t window)
{
	while (c->rx_posted - c->rx_done < window) {
		uint32_t slot = is_lat(c) ? RX_SLOT : c->rx_posted % r->nslots;
		struct ibv_sge sge = {
			.addr = (uintptr_t)pt_slot(c, r, slot),
			.length = r->stride, .lkey = c->buf.lkey,
		};
		struct ibv_recv_wr wr = {
			.wr_id = c->rx_posted, .sg_list = &sge, .num_sge = 1,
		}, *bad;
		int ret = ibv_post_recv(c->qp, &wr, &bad);

		if (ret) {
			pt_err(c, "ibv_post_recv: %s", strerror(ret));
			return -1;
		}
		c->rx_posted++;
	}
	return 0;
}

/*
 * Receives in flight.  More receives than slots share slots; that is
 * safe with --verify too: receives that share a slot get messages that
 * also shared a sender slot, so the same bytes.
 */
static uint64_t window(struct pt_ctx *c, struct pt_round *r)
{
	(void)r;
	return c->o->rx_depth;
}

static void send_wr(struct pt_ctx *c, struct pt_round *r, uint32_t slot,
		    struct ibv_send_wr *wr, struct ibv_sge *sge)
{
	sge->addr = (uintptr_t)pt_slot(c, r, slot);
	sge->length = r->size;
	sge->lkey = c->buf.lkey;
	wr->opcode = IBV_WR_SEND;
	if (c->o->ud) {
		wr->wr.ud.ah = c->ah;
		wr->wr.ud.remote_qpn = c->peer.qpn;
		wr->wr.ud.remote_qkey = 0x11111111;
	}
}

static void send_bw_wr(struct pt_ctx *c, struct pt_round *r, uint64_t i,
		       uint32_t slot, struct ibv_send_wr *wr,
		       struct ibv_sge *sge)
{
	(void)i;
	send_wr(c, r, slot, wr, sge);
}

/*
 * Check the receive @wc: its length, and its payload against the
 * pattern of sender slot @want (UD: of any slot, messages may be lost).
 */
static int check_recv(struct pt_ctx *c, struct pt_round *r,
		      struct ibv_wc *wc, uint32_t want)
{
	uint32_t slot = is_lat(c) ? RX_SLOT : wc->wr_id % r->nslots;
	const uint8_t *p = pt_slot(c, r, slot) + rx_off(c);
	size_t bad = 0;

	if (wc->byte_len != r->size + rx_off(c)) {
		snprintf(r->why, sizeof(r->why), "message of %u bytes, "
			 "expected %zu", wc->byte_len, r->size + rx_off(c));
		return -1;
	}
	if (!c->o->verify)
		return 0;
	if (!pt_check_bytes(r, p, r->size, want, &bad))
		return 0;
	if (c->o->ud && !is_lat(c)) {
		for (uint32_t s = 0; s < r->nslots; s++)
			if (!pt_check_bytes(r, p, r->size, s, &bad))
				return 0;
	}
	snprintf(r->why, sizeof(r->why), "received message, byte %zu "
		 "differs from what was sent", bad);
	return -1;
}

static void send_prepare(struct pt_ctx *c, struct pt_round *r)
{
	if (is_lat(c)) {
		pt_pattern(pt_slot(c, r, TX_SLOT), r->size, r->seed, TX_SLOT);
	} else if (!c->server) {
		for (uint32_t s = 0; s < r->nslots; s++)
			pt_pattern(pt_slot(c, r, s), r->size, r->seed, s);
	}
	if (c->server || is_lat(c))
		post_recvs(c, r, window(c, r));
}

/* Server, bandwidth: receive until the client's count (RC) or quiet (UD). */
static int send_bw_passive(struct pt_ctx *c, struct pt_round *r)
{
	uint64_t received = 0, last = 0;
	unsigned int spins = 0;
	struct ibv_wc wc[16];

	for (;;) {
		int n = pt_poll(c, c->rcq, wc, 16);

		if (n < 0)
			return -1;
		for (int j = 0; j < n; j++) {
			if (!received)
				r->t_start = pt_now_ns();
			if (check_recv(c, r, &wc[j], received % r->nslots)) {
				r->verify_failed = true;
				return -1;
			}
			received++;
			c->rx_done++;
		}
		if (n) {
			r->t_end = last = pt_now_ns();
			if (post_recvs(c, r, window(c, r)))
				return -1;
			continue;
		}
		if (++spins % 1024 == 0 && !r->ended) {
			int ret = pt_ctl_serve(c, r, false, &r->end_count);

			if (ret < 0)
				return -1;
			if (ret == 1) {
				r->ended = true;
				if (!last)
					last = pt_now_ns();
			}
		}
		if (r->ended && received >= r->end_count)
			break;
		if (r->ended && c->o->ud && pt_now_ns() - last > UD_QUIET_NS)
			break;
	}
	r->done = received;
	if (c->o->verify)
		r->verified = true;
	return 0;
}

static int send_lat(struct pt_ctx *c, struct pt_round *r)
{
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	struct ibv_wc wc;
	uint64_t i, t0 = 0;
	int ret;

	r->t_start = pt_now_ns();
	for (i = 0; pt_lat_more(c, r, i); i++) {
		memset(&wr, 0, sizeof(wr));
		send_wr(c, r, TX_SLOT, &wr, &sge);
		wr.sg_list = &sge;
		wr.num_sge = 1;
		if (!c->server) {
			t0 = pt_now_ns();
			if (pt_lat_post(c, &wr, false))
				return -1;
		}
		ret = pt_lat_wait_cq(c, r, c->rcq, &wc);
		if (ret == 1 && c->server)
			break;
		if (ret)
			return -1;
		if (!c->server)
			pt_sample_lat(r, pt_now_ns() - t0);
		c->rx_done++;
		if (check_recv(c, r, &wc, TX_SLOT)) {
			r->verify_failed = true;
			return -1;
		}
		if (post_recvs(c, r, window(c, r)))
			return -1;
		if (c->server && pt_lat_post(c, &wr, false))
			return -1;
	}
	r->t_end = pt_now_ns();
	r->done = i;
	if (c->o->verify)
		r->verified = true;
	return 0;
}

const struct pt_kind pt_kind_send = {
	.name = "send",
	.title = "Send",
	.access = 0,
	.odp_rc = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV,
	.odp_ud = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV,
	.source_local = true,
	.pingpong = true,
	.bw_wr = send_bw_wr,
	.bw_passive = send_bw_passive,
	.prepare = send_prepare,
	.lat = send_lat,
};
