// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RC and UD traffic between two QPs of one sroce device, with payload
 * verification: every operation, sizes across MTU boundaries, several
 * SGEs, inline data, immediates, solicited events, RNR back-pressure,
 * and the error completions of bad remote and local accesses.
 *
 * Usage: traffic_test [-l] DEVICE [GID_INDEX [PEER_DEVICE PEER_GID_INDEX]]
 * With a peer, the first QP of each pair (the requester of every test)
 * is on DEVICE and the second on PEER_DEVICE, which may be another
 * implementation (rdma_rxe): the two talk over the wire between their
 * GIDs, and swapping the arguments tests the other direction.
 * -l: the link loses or reorders packets (tc netem).  RC must still
 * deliver every byte, given more time; left out are the tests whose
 * outcome hangs on one unacknowledged packet: UD delivery, and the fatal
 * NAK of a remote access error (after it the responder answers nothing,
 * so losing it turns the error into a retry timeout, in any RoCE).
 * Its QPs also wait longer before a retransmission (timeout 16, 268 ms,
 * instead of 67 ms): seven of those must outlast a loaded TCG guest's
 * stalls on top of netem's delay.
 * Prints one line per check and "N passed, N failed"; exit 0 iff none
 * failed.
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok: %s:%d: ", __func__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#define BUF_SIZE	(4u << 20)

/* A device with the GID its QPs use. */
struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	union ibv_gid gid;
	int gid_index;
};

/* sides[0]: DEVICE, the requesters; sides[1]: the responders' device */
static struct side sides[2];
/*
 * The requesters are sroce's.  Otherwise (rdma_rxe) the local side of an
 * error is that implementation's business, not the wire's: rxe on 6.1
 * reports a bad lkey as IBV_WC_LOC_QP_OP_ERR and flushes a receive queue
 * only when its responder runs next.
 */
static bool req_sroce = true;
static bool lossy;		/* -l */

struct end {
	struct side *side;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	uint8_t *buf;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll one completion within @secs; returns 1, 0 on timeout, -1 error. */
static int poll_one(struct ibv_cq *cq, struct ibv_wc *wc, double secs)
{
	double end = now() + secs * (lossy ? 6 : 1);
	int n;

	do {
		n = ibv_poll_cq(cq, 1, wc);
		if (n)
			return n;
		usleep(100);
	} while (now() < end);
	return 0;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

static int sq_depth = 256;

/* @e on side @s (0 requester, 1 responder) */
static int end_create(struct end *e, int s, enum ibv_qp_type type,
		      int max_inline)
{
	struct ibv_qp_init_attr attr = {
		.qp_type = type,
		.cap = {
			.max_send_wr = sq_depth, .max_recv_wr = 256,
			.max_send_sge = 4, .max_recv_sge = 4,
			.max_inline_data = max_inline,
		},
	};

	e->side = &sides[s];
	e->buf = aligned_alloc(4096, BUF_SIZE);
	if (!e->buf)
		return -1;
	memset(e->buf, 0, BUF_SIZE);
	e->mr = ibv_reg_mr(e->side->pd, e->buf, BUF_SIZE,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
	e->cq = ibv_create_cq(e->side->ctx, 1024, NULL, NULL, 0);
	if (!e->mr || !e->cq)
		return -1;
	attr.send_cq = e->cq;
	attr.recv_cq = e->cq;
	e->qp = ibv_create_qp(e->side->pd, &attr);
	return e->qp ? 0 : -1;
}

static void end_destroy(struct end *e)
{
	if (e->qp)
		ibv_destroy_qp(e->qp);
	if (e->cq)
		ibv_destroy_cq(e->cq);
	if (e->mr)
		ibv_dereg_mr(e->mr);
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

static int rc_connect(struct end *a, struct end *b, int rnr_retry,
		      int timeout)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	struct end *ends[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		if (ibv_modify_qp(ends[i]->qp, &attr, IBV_QP_STATE |
				  IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS))
			return -1;
	}
	for (int i = 0; i < 2; i++) {
		struct ibv_qp_attr rtr = {
			.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
			.dest_qp_num = ends[!i]->qp->qp_num, .rq_psn = 100 + !i,
			.max_dest_rd_atomic = 16, .min_rnr_timer = 1,
			.ah_attr = {
				.is_global = 1, .port_num = 1,
				.grh = { .dgid = ends[!i]->side->gid,
					 .sgid_index = ends[i]->side->gid_index,
					 .hop_limit = 64 },
			},
		};
		struct ibv_qp_attr rts = {
			.qp_state = IBV_QPS_RTS, .sq_psn = 100 + i,
			.timeout = timeout, .retry_cnt = 7,
			.rnr_retry = rnr_retry, .max_rd_atomic = 16,
		};

		if (ibv_modify_qp(ends[i]->qp, &rtr, IBV_QP_STATE |
				  IBV_QP_AV | IBV_QP_PATH_MTU |
				  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
			return -1;
		if (ibv_modify_qp(ends[i]->qp, &rts, IBV_QP_STATE |
				  IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				  IBV_QP_MAX_QP_RD_ATOMIC))
			return -1;
	}
	return 0;
}

static int post_recv(struct end *e, size_t off, size_t len, uint64_t id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)e->buf + off, .length = len,
		.lkey = e->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(e->qp, &wr, &bad);
}

static int post_send(struct end *e, enum ibv_wr_opcode op, size_t off,
		     size_t len, struct end *peer, size_t roff, int flags,
		     uint64_t id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)e->buf + off, .length = len,
		.lkey = e->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED | flags,
		.imm_data = htobe32(0x12345678),
	};
	struct ibv_send_wr *bad;

	if (peer) {
		wr.wr.rdma.remote_addr = (uintptr_t)peer->buf + roff;
		wr.wr.rdma.rkey = peer->mr->rkey;
	}
	return ibv_post_send(e->qp, &wr, &bad);
}

static void test_send_sizes(struct end *a, struct end *b)
{
	static const size_t sizes[] = { 0, 1, 3, 64, 1023, 1024, 1025, 4096,
					65536, 1u << 20 };
	struct ibv_wc wc;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		int ret;

		fill(a->buf, len, i);
		memset(b->buf, 0xee, len + 16);
		CHECK(!post_recv(b, 0, len + 16, 7), "post_recv");
		ret = post_send(a, i & 1 ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
				0, len, NULL, 0, 0, 8);
		CHECK(!ret, "post_send: %s", strerror(ret));
		CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
		      wc.opcode == IBV_WC_SEND && wc.wr_id == 8,
		      "send %zu: sender status %d", len, wc.status);
		CHECK(poll_one(b->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
		      wc.opcode == IBV_WC_RECV && wc.byte_len == len &&
		      wc.wr_id == 7 && wc.qp_num == b->qp->qp_num,
		      "send %zu: recv status %d len %u", len, wc.status,
		      wc.byte_len);
		if (i & 1)
			CHECK((wc.wc_flags & IBV_WC_WITH_IMM) &&
			      be32toh(wc.imm_data) == 0x12345678, "imm");
		CHECK(!memcmp(a->buf, b->buf, len) && b->buf[len] == 0xee,
		      "send %zu: payload", len);
	}
}

static void test_write_read(struct end *a, struct end *b)
{
	static const size_t sizes[] = { 1, 1024, 3000, 65536, 3u << 20 };
	struct ibv_wc wc;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];

		fill(a->buf, len, 50 + i);
		memset(b->buf + 64, 0, len);
		CHECK(!post_send(a, IBV_WR_RDMA_WRITE, 0, len, b, 64, 0, 1),
		      "post write");
		CHECK(poll_one(a->cq, &wc, 20) == 1 && wc.status == IBV_WC_SUCCESS &&
		      wc.opcode == IBV_WC_RDMA_WRITE, "write %zu: %d", len,
		      wc.status);
		CHECK(!memcmp(a->buf, b->buf + 64, len), "write %zu: payload", len);

		fill(b->buf + 128, len, 90 + i);
		memset(a->buf + 4096, 0, len);
		CHECK(!post_send(a, IBV_WR_RDMA_READ, 4096, len, b, 128, 0, 2),
		      "post read");
		CHECK(poll_one(a->cq, &wc, 20) == 1 && wc.status == IBV_WC_SUCCESS &&
		      wc.opcode == IBV_WC_RDMA_READ && wc.byte_len == len,
		      "read %zu: %d", len, wc.status);
		CHECK(!memcmp(a->buf + 4096, b->buf + 128, len),
		      "read %zu: payload", len);
	}

	/* write with immediate consumes a receive WQE */
	fill(a->buf, 5000, 7);
	CHECK(!post_recv(b, 0, 0, 77), "post_recv");
	CHECK(!post_send(a, IBV_WR_RDMA_WRITE_WITH_IMM, 0, 5000, b, 8192, 0, 3),
	      "post write imm");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
	      "write imm sender %d", wc.status);
	CHECK(poll_one(b->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
	      wc.opcode == IBV_WC_RECV_RDMA_WITH_IMM && wc.wr_id == 77 &&
	      be32toh(wc.imm_data) == 0x12345678,
	      "write imm receiver %d op %d", wc.status, wc.opcode);
	CHECK(!memcmp(a->buf, b->buf + 8192, 5000), "write imm payload");
}

static void test_atomics(struct end *a, struct end *b)
{
	uint64_t *target = (uint64_t *)(b->buf + 1024 * 1024);
	uint64_t *result = (uint64_t *)(a->buf + 2048);
	struct ibv_sge sge = {
		.addr = (uintptr_t)result, .length = 8, .lkey = a->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;

	*target = 40;
	wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	wr.wr.atomic.remote_addr = (uintptr_t)target;
	wr.wr.atomic.rkey = b->mr->rkey;
	wr.wr.atomic.compare_add = 2;
	CHECK(!ibv_post_send(a->qp, &wr, &bad), "post faa");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
	      wc.opcode == IBV_WC_FETCH_ADD, "faa %d", wc.status);
	CHECK(*result == 40 && *target == 42, "faa values %lu %lu",
	      (unsigned long)*result, (unsigned long)*target);

	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.compare_add = 42;
	wr.wr.atomic.swap = 1000;
	CHECK(!ibv_post_send(a->qp, &wr, &bad), "post cas");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
	      wc.opcode == IBV_WC_COMP_SWAP, "cas %d", wc.status);
	CHECK(*result == 42 && *target == 1000, "cas values");
	wr.wr.atomic.compare_add = 1;	/* no match: unchanged */
	wr.wr.atomic.swap = 5;
	CHECK(!ibv_post_send(a->qp, &wr, &bad), "post cas");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
	      "cas2 %d", wc.status);
	CHECK(*result == 1000 && *target == 1000, "cas mismatch values");
}

static void test_multi_sge_inline(struct end *a, struct end *b)
{
	struct ibv_sge sge[3] = {
		{ (uintptr_t)a->buf + 0, 100, a->mr->lkey },
		{ (uintptr_t)a->buf + 5000, 2000, a->mr->lkey },
		{ (uintptr_t)a->buf + 9000, 7, a->mr->lkey },
	};
	struct ibv_send_wr wr = {
		.wr_id = 9, .sg_list = sge, .num_sge = 3,
		.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;

	fill(a->buf, 10000, 3);
	CHECK(!post_recv(b, 0, 4096, 1), "post_recv");
	CHECK(!ibv_post_send(a->qp, &wr, &bad), "post 3-sge send");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
	      "sge send %d", wc.status);
	CHECK(poll_one(b->cq, &wc, 10) == 1 && wc.byte_len == 2107, "sge recv");
	CHECK(!memcmp(b->buf, a->buf, 100) &&
	      !memcmp(b->buf + 100, a->buf + 5000, 2000) &&
	      !memcmp(b->buf + 2100, a->buf + 9000, 7), "sge payload");

	/* inline: the buffer may change right after posting */
	wr.num_sge = 1;
	sge[0].length = 60;
	wr.send_flags |= IBV_SEND_INLINE;
	fill(a->buf, 60, 11);
	memcpy(a->buf + 20000, a->buf, 60);
	CHECK(!post_recv(b, 0, 4096, 2), "post_recv");
	CHECK(!ibv_post_send(a->qp, &wr, &bad), "post inline");
	memset(a->buf, 0, 60);
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
	      "inline %d", wc.status);
	CHECK(poll_one(b->cq, &wc, 10) == 1 && wc.byte_len == 60 &&
	      !memcmp(b->buf, a->buf + 20000, 60), "inline payload");
}

static void test_many_unsignaled(struct end *a, struct end *b)
{
	int posted_recv = 0, recvd = 0, signalled = 0, reaped = 0, ok = 1;
	struct ibv_wc wc;
	double deadline = now() + 60;

	/* 1000 one-byte sends, one in 50 signalled: the rings wrap */
	for (int i = 0; i < 1000 && ok && now() < deadline; i++) {
		while (posted_recv - recvd >= 60) {
			if (poll_one(b->cq, &wc, 10) != 1 ||
			    wc.status != IBV_WC_SUCCESS ||
			    wc.wr_id != (uint64_t)recvd ||
			    b->buf[(recvd % 64) * 64] != (uint8_t)recvd) {
				ok = 0;
				break;
			}
			recvd++;
		}
		if (!ok || post_recv(b, (i % 64) * 64, 64, i)) {
			ok = 0;
			break;
		}
		posted_recv++;
		a->buf[i % 256] = (uint8_t)i;
		while (signalled - reaped > 3) {
			if (poll_one(a->cq, &wc, 10) != 1 ||
			    wc.status != IBV_WC_SUCCESS) {
				ok = 0;
				break;
			}
			reaped++;
		}
		{
			struct ibv_sge sge = {
				(uintptr_t)a->buf + i % 256, 1, a->mr->lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = i, .sg_list = &sge, .num_sge = 1,
				.opcode = IBV_WR_SEND,
				.send_flags = i % 50 == 49 ? IBV_SEND_SIGNALED : 0,
			}, *bad;

			if (ibv_post_send(a->qp, &wr, &bad)) {
				ok = 0;
				break;
			}
			signalled += i % 50 == 49;
		}
	}
	while (ok && recvd < posted_recv) {
		if (poll_one(b->cq, &wc, 10) != 1 || wc.status != IBV_WC_SUCCESS ||
		    b->buf[(recvd % 64) * 64] != (uint8_t)recvd)
			ok = 0;
		recvd++;
	}
	while (ok && reaped < signalled) {
		if (poll_one(a->cq, &wc, 10) != 1 || wc.status != IBV_WC_SUCCESS)
			ok = 0;
		reaped++;
	}
	CHECK(ok && recvd == 1000, "unsignaled stream: %d received", recvd);
}

static void test_rnr(struct end *a, struct end *b)
{
	struct ibv_wc wc;

	/* no receive posted: RNR NAK, retried until the receive shows up */
	fill(a->buf, 100, 1);
	CHECK(!post_send(a, IBV_WR_SEND, 0, 100, NULL, 0, 0, 5), "post");
	usleep(50000);
	CHECK(ibv_poll_cq(a->cq, 1, &wc) == 0, "completed without a receive");
	CHECK(!post_recv(b, 0, 100, 6), "post_recv");
	CHECK(poll_one(a->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
	      "rnr send %d", wc.status);
	CHECK(poll_one(b->cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
	      !memcmp(a->buf, b->buf, 100), "rnr recv");
}

static void test_remote_access_error(void)
{
	struct end a = {}, b = {};
	struct ibv_wc wc;

	CHECK(!end_create(&a, 0, IBV_QPT_RC, 0) &&
	      !end_create(&b, 1, IBV_QPT_RC, 0), "create");
	CHECK(!rc_connect(&a, &b, 7, 14), "connect");
	CHECK(!post_recv(&a, 0, 64, 100), "post_recv");
	/* write beyond the peer's region */
	CHECK(!post_send(&a, IBV_WR_RDMA_WRITE, 0, 64, &b, BUF_SIZE - 8, 0, 1),
	      "post");
	CHECK(!post_send(&a, IBV_WR_SEND, 0, 8, NULL, 0, 0, 2), "post 2");
	/* the send queue completes in order; the receive queue's flush may
	 * come before or between them (no order across queues) */
	{
		int seen_bad = 0, seen_send = 0, seen_recv = 0;

		for (int i = 0; i < 3; i++) {
			if (poll_one(a.cq, &wc, req_sroce || i < 2 ? 10 : 1) != 1)
				break;
			if (wc.wr_id == 1)
				seen_bad = wc.status == IBV_WC_REM_ACCESS_ERR &&
					   !seen_send;
			else if (wc.wr_id == 2)
				seen_send = wc.status == IBV_WC_WR_FLUSH_ERR;
			else if (wc.wr_id == 100)
				seen_recv = wc.status == IBV_WC_WR_FLUSH_ERR &&
					    wc.opcode == IBV_WC_RECV;
		}
		CHECK(seen_bad, "bad write: REM_ACCESS_ERR first");
		CHECK(seen_send, "later send flushed");
		CHECK(seen_recv || !req_sroce, "receive flushed");
	}
	{
		struct ibv_qp_attr attr;
		struct ibv_qp_init_attr init;

		CHECK(!ibv_query_qp(a.qp, &attr, IBV_QP_STATE, &init) &&
		      attr.qp_state == IBV_QPS_ERR, "requester in ERR");
	}
	end_destroy(&a);
	end_destroy(&b);

	/* local protection: bad lkey */
	CHECK(!end_create(&a, 0, IBV_QPT_RC, 0) &&
	      !end_create(&b, 1, IBV_QPT_RC, 0), "create");
	CHECK(!rc_connect(&a, &b, 7, 14), "connect");
	{
		struct ibv_sge sge = { (uintptr_t)a.buf, 8, a.mr->lkey ^ 0x100 };
		struct ibv_send_wr wr = {
			.wr_id = 3, .sg_list = &sge, .num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.rdma = { (uintptr_t)b.buf, b.mr->rkey },
		}, *bad;

		CHECK(!ibv_post_send(a.qp, &wr, &bad), "post");
		CHECK(poll_one(a.cq, &wc, 10) == 1 &&
		      (wc.status == IBV_WC_LOC_PROT_ERR ||
		       (!req_sroce && wc.status != IBV_WC_SUCCESS)),
		      "bad lkey: %d", wc.status);
	}
	end_destroy(&a);
	end_destroy(&b);
}

/* One-deep send queue, one read or atomic at a time (latency tools). */
static void test_serial_rd_atom(void)
{
	struct end a = {}, b = {};
	struct ibv_wc wc;
	int i, ok = 1;

	sq_depth = 1;
	CHECK(!end_create(&a, 0, IBV_QPT_RC, 0) &&
	      !end_create(&b, 1, IBV_QPT_RC, 0), "create");
	sq_depth = 256;
	CHECK(!rc_connect(&a, &b, 7, lossy ? 16 : 14), "connect");
	for (i = 0; i < 300 && ok; i++) {
		int ret;

		b.buf[256 + (i & 63)] = (uint8_t)i;
		if (i & 1) {
			ret = post_send(&a, IBV_WR_RDMA_READ, i & 63, 2, &b,
					256 + (i & 63), 0, i);
		} else {
			struct ibv_sge sge = { (uintptr_t)a.buf + 1024, 8,
					       a.mr->lkey };
			struct ibv_send_wr wr = {
				.wr_id = i, .sg_list = &sge, .num_sge = 1,
				.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.atomic = { .remote_addr = (uintptr_t)b.buf + 2048,
					       .compare_add = 1,
					       .rkey = b.mr->rkey },
			}, *bad;

			ret = ibv_post_send(a.qp, &wr, &bad);
		}
		if (ret) {
			printf("# serial %d: post %s\n", i, strerror(ret));
			ok = 0;
			break;
		}
		if (poll_one(a.cq, &wc, 5) != 1 || wc.status != IBV_WC_SUCCESS ||
		    wc.wr_id != (uint64_t)i) {
			printf("# serial %d: status %d wr_id %lu\n", i, wc.status,
			       (unsigned long)wc.wr_id);
			ok = 0;
		}
	}
	CHECK(ok, "serial reads and atomics, one-deep queue");
	end_destroy(&a);
	end_destroy(&b);
}

static void test_ud(void)
{
	struct end a = {}, b = {};
	struct ibv_ah_attr ah_attr = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = sides[1].gid, .sgid_index = sides[0].gid_index,
			 .hop_limit = 64 },
	};
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qkey = 0x11111111,
	};
	struct ibv_wc wc;
	struct ibv_ah *ah;

	CHECK(!end_create(&a, 0, IBV_QPT_UD, 0) && !end_create(&b, 1, IBV_QPT_UD, 0),
	      "create UD");
	for (int i = 0; i < 2; i++) {
		struct ibv_qp *qp = i ? b.qp : a.qp;

		attr.qp_state = IBV_QPS_INIT;
		CHECK(!ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				     IBV_QP_PORT | IBV_QP_QKEY), "init");
		attr.qp_state = IBV_QPS_RTR;
		CHECK(!ibv_modify_qp(qp, &attr, IBV_QP_STATE), "rtr");
		attr.qp_state = IBV_QPS_RTS;
		attr.sq_psn = 0;
		CHECK(!ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN),
		      "rts");
	}
	ah = ibv_create_ah(sides[0].pd, &ah_attr);
	CHECK(ah, "create_ah: %d", errno);
	if (!ah)
		goto out;
	for (int i = 0; i < 20; i++) {
		struct ibv_sge sge = { (uintptr_t)a.buf, 500 + i, a.mr->lkey };
		struct ibv_send_wr wr = {
			.wr_id = i, .sg_list = &sge, .num_sge = 1,
			.opcode = i & 1 ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
			.send_flags = IBV_SEND_SIGNALED,
			.imm_data = htobe32(i),
			.wr.ud = { .ah = ah, .remote_qpn = b.qp->qp_num,
				   .remote_qkey = 0x11111111 },
		}, *bad;

		fill(a.buf, 520, i);
		CHECK(!post_recv(&b, 0, 40 + 1024, 1000 + i), "post_recv");
		CHECK(!ibv_post_send(a.qp, &wr, &bad), "post UD");
		CHECK(poll_one(a.cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS,
		      "UD send %d", wc.status);
		CHECK(poll_one(b.cq, &wc, 10) == 1 && wc.status == IBV_WC_SUCCESS &&
		      wc.byte_len == 40 + 500 + (unsigned)i &&
		      wc.src_qp == a.qp->qp_num && (wc.wc_flags & IBV_WC_GRH),
		      "UD recv %d len %u src %u", wc.status, wc.byte_len,
		      wc.src_qp);
		CHECK(!memcmp(b.buf + 40, a.buf, 500 + i), "UD payload");
		/* an IPv4 GRH area carries the IP header, checksum valid */
		if (b.buf[20] == 0x45) {
			uint32_t sum = 0;

			for (int k = 20; k < 40; k += 2)
				sum += (b.buf[k] << 8) | b.buf[k + 1];
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			CHECK(sum == 0xffff, "UD IPv4 GRH checksum");
		}
	}
	/* wrong Q_Key: silently dropped */
	{
		struct ibv_sge sge = { (uintptr_t)a.buf, 10, a.mr->lkey };
		struct ibv_send_wr wr = {
			.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.ud = { .ah = ah, .remote_qpn = b.qp->qp_num,
				   .remote_qkey = 0x22222222 },
		}, *bad;

		CHECK(!post_recv(&b, 0, 100, 1), "post_recv");
		CHECK(!ibv_post_send(a.qp, &wr, &bad), "post");
		CHECK(poll_one(a.cq, &wc, 10) == 1, "sender completes");
		CHECK(poll_one(b.cq, &wc, 0.3) == 0, "bad qkey delivered");
	}
	ibv_destroy_ah(ah);
out:
	end_destroy(&a);
	end_destroy(&b);
}

int main(int argc, char **argv)
{
	struct end a = {}, b = {};

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		lossy = true;
		argv++;
		argc--;
	}
	if (argc != 2 && argc != 3 && argc != 5) {
		fprintf(stderr, "usage: traffic_test [-l] DEVICE [GID_INDEX [PEER_DEVICE PEER_GID_INDEX]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < (argc == 5 ? 2 : 1); i++) {
		struct side *s = &sides[i];
		const char *name = argv[1 + 2 * i];

		s->gid_index = argc > 2 + 2 * i ? atoi(argv[2 + 2 * i]) : 1;
		s->ctx = test_open_device("traffic_test", name);
		if (!s->ctx || !(s->pd = ibv_alloc_pd(s->ctx)) ||
		    ibv_query_gid(s->ctx, 1, s->gid_index, &s->gid)) {
			fprintf(stderr, "cannot open %s\n", name);
			return 2;
		}
	}
	if (argc != 5)
		sides[1] = sides[0];
	req_sroce = !strncmp(argv[1], "sroce", 5);

	CHECK(!end_create(&a, 0, IBV_QPT_RC, 128) &&
	      !end_create(&b, 1, IBV_QPT_RC, 128),
	      "create RC");
	CHECK(!rc_connect(&a, &b, 7, lossy ? 16 : 14), "connect RC");
	printf("# send\n");
	test_send_sizes(&a, &b);
	test_write_read(&a, &b);
	test_atomics(&a, &b);
	test_multi_sge_inline(&a, &b);
	test_many_unsignaled(&a, &b);
	test_rnr(&a, &b);
	end_destroy(&a);
	end_destroy(&b);
	if (!lossy)
		test_remote_access_error();
	test_serial_rd_atom();
	if (!lossy)
		test_ud();

	for (int i = 0; i < (argc == 5 ? 2 : 1); i++) {
		ibv_dealloc_pd(sides[i].pd);
		ibv_close_device(sides[i].ctx);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
