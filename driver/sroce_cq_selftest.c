// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: self-test of the CQ queue code, run at module load when the module
 * parameter selftest=1 is given (sroce_main.c), after the memory-seam test.
 *
 * No device exists at that point; the test drives the queue code under the
 * CQ verbs directly, on kernel rings of CQs that belong to no device, with
 * its own completion and event handlers.  It covers ring sizing, posting
 * and polling (order, every field of the ib_wc, partial polls), index
 * wrap-around at 2^32, a full ring (drop, -ENOSPC, one IB_EVENT_CQ_ERR, the
 * overflow count, recovery), notification (NEXT_COMP, SOLICITED, error
 * completions, REPORT_MISSED_EVENTS, handlers called without the CQ lock),
 * resize with unconsumed completions (grow, shrink, shrink too far), posts
 * after destroy, and a producer thread racing a consumer that polls, re-arms
 * and resizes.  The result is one line in the kernel log:
 * "sroce: cq selftest: N passed, N failed"; any failure makes the module
 * load fail with -EINVAL.
 */

#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "sroce.h"

#define CST_RACE_COUNT		100000
#define CST_RACE_TIME		msecs_to_jiffies(30000)

/* The QP the test's completions belong to; only its address is used. */
static struct ib_qp cst_qp;

struct cst {
	unsigned int passed;
	unsigned int failed;
	/* what the handlers saw */
	atomic_t comp_calls;
	atomic_t err_events;
	bool handler_under_lock;
	bool bad_event;
};

static bool cst_expect(struct cst *st, bool ok, const char *what, int line)
{
	if (ok) {
		st->passed++;
	} else {
		st->failed++;
		pr_err("sroce: cq selftest: FAILED at line %d: %s\n", line, what);
	}
	return ok;
}

#define EXPECT(st, cond)	cst_expect(st, (cond), #cond, __LINE__)

static void cst_comp_handler(struct ib_cq *ibcq, void *context)
{
	struct cst *st = context;

	if (spin_is_locked(&to_scq(ibcq)->lock))
		st->handler_under_lock = true;
	atomic_inc(&st->comp_calls);
}

static void cst_event_handler(struct ib_event *event, void *context)
{
	struct cst *st = context;

	if (event->event != IB_EVENT_CQ_ERR || !event->element.cq)
		st->bad_event = true;
	else if (spin_is_locked(&to_scq(event->element.cq)->lock))
		st->handler_under_lock = true;
	atomic_inc(&st->err_events);
}

/* A kernel CQ for @cqe completions that belongs to no device. */
static struct sroce_cq *cst_cq_create(struct cst *st, u32 cqe)
{
	struct sroce_cq_ring ring;
	struct sroce_cq *cq;

	cq = kzalloc(sizeof(*cq), GFP_KERNEL);
	if (!cq)
		return NULL;
	if (sroce_cq_ring_alloc(&ring, cqe, NULL, NULL)) {
		kfree(cq);
		return NULL;
	}
	sroce_cq_init(cq, &ring);
	cq->ibcq.comp_handler = cst_comp_handler;
	cq->ibcq.event_handler = cst_event_handler;
	cq->ibcq.cq_context = st;
	return cq;
}

static void cst_cq_destroy(struct sroce_cq *cq)
{
	if (!cq)
		return;
	sroce_cq_fini(cq);
	kfree(cq);
}

/* A completion whose every field derives from @n. */
static void cst_cqe(struct sroce_cqe *cqe, u64 n)
{
	memset(cqe, 0, sizeof(*cqe));
	cqe->wr_id = 0x5eed0000000000ULL + n;
	cqe->status = IB_WC_SUCCESS;
	cqe->opcode = n & 1 ? IB_WC_RECV : IB_WC_SEND;
	cqe->byte_len = (u32)n * 3;
	cqe->imm_data = cpu_to_be32((u32)n ^ 0xabcd0000);
	cqe->qp_num = 0x100 + (n & 0xff);
	cqe->src_qp = 0x200 + (n & 0xff);
	cqe->wc_flags = n & 1 ? IB_WC_WITH_IMM | IB_WC_GRH : 0;
	cqe->pkey_index = 0;
	cqe->slid = (u16)n;
	cqe->sl = n & 7;
	cqe->dlid_path_bits = (n >> 3) & 0x7f;
	cqe->network_hdr_type = RDMA_NETWORK_IPV4;
	cqe->smac[0] = 0x02;
	cqe->smac[5] = (u8)n;
	cqe->vlan_id = n & 0xfff;
}

static bool cst_wc_is(const struct ib_wc *wc, u64 n, struct ib_qp *qp)
{
	struct sroce_cqe want;

	cst_cqe(&want, n);
	return wc->wr_id == want.wr_id && wc->status == want.status &&
	       wc->opcode == want.opcode && wc->byte_len == want.byte_len &&
	       wc->qp == qp && wc->ex.imm_data == want.imm_data &&
	       wc->src_qp == want.src_qp && wc->wc_flags == want.wc_flags &&
	       wc->slid == want.slid && wc->sl == want.sl &&
	       wc->dlid_path_bits == want.dlid_path_bits &&
	       wc->port_num == 1 && wc->smac[0] == 0x02 &&
	       wc->smac[5] == (u8)n && wc->vlan_id == want.vlan_id &&
	       wc->network_hdr_type == want.network_hdr_type;
}

static int cst_post(struct sroce_cq *cq, u64 n, bool solicited)
{
	struct sroce_cqe cqe;

	cst_cqe(&cqe, n);
	return sroce_cq_post(cq, &cqe, &cst_qp, solicited);
}

/* Post @count completions numbered from @first; return how many went in. */
static int cst_post_many(struct sroce_cq *cq, u64 first, int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (cst_post(cq, first + i, false))
			break;
	return i;
}

/* Poll up to @count completions and check they are @first, @first + 1... */
static int cst_poll_expect(struct sroce_cq *cq, u64 first, int count)
{
	struct ib_wc wc[8];
	int got = 0, n, i;

	while (got < count) {
		n = sroce_poll_cq(&cq->ibcq, min_t(int, count - got, 8), wc);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (!cst_wc_is(&wc[i], first + got + i, &cst_qp))
				return -EBADMSG;
		got += n;
	}
	return got;
}

static void cst_sizes(struct cst *st)
{
	static const u32 sizes[] = { 1, 2, 3, 4, 7, 8, 100, 4095, 4096,
				     SROCE_MAX_CQE };
	struct sroce_cq_ring ring;
	struct sroce_cq *cq;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		cq = cst_cq_create(st, sizes[i]);
		if (!EXPECT(st, cq))
			continue;
		EXPECT(st, cq->ibcq.cqe >= sizes[i]);
		EXPECT(st, cq->ibcq.cqe == cq->ring.mask);
		EXPECT(st, is_power_of_2(cq->ring.mask + 1));
		EXPECT(st, cq->ring.mask + 1 == roundup_pow_of_two(sizes[i] + 1));
		EXPECT(st, cq->ring.cqes == (void *)(cq->ring.hdr + 1));
		/* It holds exactly ibcq->cqe completions. */
		EXPECT(st, cst_post_many(cq, 0, cq->ibcq.cqe + 1) == cq->ibcq.cqe);
		EXPECT(st, cst_poll_expect(cq, 0, cq->ibcq.cqe) == cq->ibcq.cqe);
		cst_cq_destroy(cq);
	}
	EXPECT(st, roundup_pow_of_two(SROCE_MAX_CQE + 1) - 1 == SROCE_MAX_CQE);
	EXPECT(st, sroce_cq_ring_alloc(&ring, 0, NULL, NULL) == -EINVAL);
	EXPECT(st, sroce_cq_ring_alloc(&ring, SROCE_MAX_CQE + 1, NULL, NULL) == -EINVAL);
}

static void cst_post_poll(struct cst *st)
{
	struct sroce_cqe cqe;
	struct sroce_cq *cq;
	struct ib_wc wc[4];

	cq = cst_cq_create(st, 16);
	if (!EXPECT(st, cq))
		return;
	EXPECT(st, sroce_poll_cq(&cq->ibcq, 4, wc) == 0);
	EXPECT(st, cst_post_many(cq, 1, 10) == 10);
	EXPECT(st, READ_ONCE(cq->ring.hdr->producer) == 10);
	EXPECT(st, READ_ONCE(cq->ring.hdr->consumer) == 0);
	EXPECT(st, cst_poll_expect(cq, 1, 3) == 3);
	EXPECT(st, READ_ONCE(cq->ring.hdr->consumer) == 3);
	EXPECT(st, cst_poll_expect(cq, 4, 7) == 7);
	EXPECT(st, sroce_poll_cq(&cq->ibcq, 4, wc) == 0);
	EXPECT(st, sroce_poll_cq(&cq->ibcq, 0, wc) == 0);

	/* An invalidated rkey is carried in CPU byte order. */
	cst_cqe(&cqe, 42);
	cqe.wc_flags = IB_WC_WITH_INVALIDATE;
	cqe.imm_data = (__force __be32)0x1234abcdU;
	EXPECT(st, sroce_cq_post(cq, &cqe, NULL, false) == 0);
	EXPECT(st, sroce_poll_cq(&cq->ibcq, 4, wc) == 1);
	EXPECT(st, wc[0].ex.invalidate_rkey == 0x1234abcdU && !wc[0].qp);
	EXPECT(st, wc[0].wc_flags == IB_WC_WITH_INVALIDATE);
	cst_cq_destroy(cq);
}

static void cst_wrap(struct cst *st)
{
	struct sroce_cq *cq;

	cq = cst_cq_create(st, 7);
	if (!EXPECT(st, cq))
		return;
	/* Start just below 2^32: indices wrap while entries are queued. */
	cq->producer = 0xfffffffdU;
	cq->ring.hdr->producer = 0xfffffffdU;
	cq->ring.hdr->consumer = 0xfffffffdU;
	EXPECT(st, cst_post_many(cq, 100, 8) == 7);
	EXPECT(st, READ_ONCE(cq->ring.hdr->producer) == 4);
	EXPECT(st, cst_poll_expect(cq, 100, 5) == 5);
	EXPECT(st, cst_post_many(cq, 107, 5) == 5);
	EXPECT(st, cst_poll_expect(cq, 105, 7) == 7);
	EXPECT(st, READ_ONCE(cq->ring.hdr->consumer) == 9);
	cst_cq_destroy(cq);
}

static void cst_overflow(struct cst *st)
{
	struct sroce_cq *cq;

	atomic_set(&st->err_events, 0);
	cq = cst_cq_create(st, 3);
	if (!EXPECT(st, cq))
		return;
	EXPECT(st, cst_post_many(cq, 0, 3) == 3);
	EXPECT(st, cst_post(cq, 3, false) == -ENOSPC);
	EXPECT(st, atomic_read(&st->err_events) == 1);
	EXPECT(st, cst_post(cq, 3, true) == -ENOSPC);
	EXPECT(st, atomic_read(&st->err_events) == 1);
	EXPECT(st, cq->overflows == 2);
	/* Nothing was overwritten; room made by the consumer is usable. */
	EXPECT(st, cst_poll_expect(cq, 0, 1) == 1);
	EXPECT(st, cst_post(cq, 3, false) == 0);
	EXPECT(st, cst_poll_expect(cq, 1, 3) == 3);
	EXPECT(st, cq->overflows == 2);
	EXPECT(st, !st->bad_event);

	/* A corrupt consumer index makes the ring look full, no more. */
	cq->ring.hdr->consumer = cq->producer + 2;
	EXPECT(st, cst_post(cq, 9, false) == -ENOSPC);
	cq->ring.hdr->consumer = cq->producer;
	EXPECT(st, cst_post(cq, 9, false) == 0);
	cst_cq_destroy(cq);
}

static void cst_notify(struct cst *st)
{
	struct ib_cq *ibcq;
	struct sroce_cqe cqe;
	struct sroce_cq *cq;
	int calls;

	cq = cst_cq_create(st, 64);
	if (!EXPECT(st, cq))
		return;
	ibcq = &cq->ibcq;
	atomic_set(&st->comp_calls, 0);

	/* Disarmed: no call. */
	EXPECT(st, cst_post(cq, 0, true) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 0);

	/* NEXT_COMP: one call for the next completion, then disarmed. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_NEXT_COMP) == 0);
	EXPECT(st, cst_post(cq, 1, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 1);
	EXPECT(st, cst_post(cq, 2, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 1);

	/* SOLICITED: not for a plain success, yes for a solicited one. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_SOLICITED) == 0);
	EXPECT(st, cst_post(cq, 3, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 1);
	EXPECT(st, cst_post(cq, 4, true) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 2);
	EXPECT(st, cst_post(cq, 5, true) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 2);

	/* SOLICITED: an error completion satisfies it too. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_SOLICITED) == 0);
	cst_cqe(&cqe, 6);
	cqe.status = IB_WC_WR_FLUSH_ERR;
	EXPECT(st, sroce_cq_post(cq, &cqe, NULL, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 3);

	/* NEXT_COMP supersedes SOLICITED, in either order. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_SOLICITED) == 0);
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_NEXT_COMP) == 0);
	EXPECT(st, cst_post(cq, 7, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 4);
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_NEXT_COMP) == 0);
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_SOLICITED) == 0);
	EXPECT(st, cst_post(cq, 8, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 5);

	/* REPORT_MISSED_EVENTS: 1 while completions wait, 0 when empty. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_NEXT_COMP |
				       IB_CQ_REPORT_MISSED_EVENTS) == 1);
	calls = atomic_read(&st->comp_calls);
	EXPECT(st, cst_poll_expect(cq, 0, 6) == 6);
	EXPECT(st, sroce_poll_cq(ibcq, 1, &(struct ib_wc){}) == 1);
	EXPECT(st, cst_poll_expect(cq, 7, 2) == 2);
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_SOLICITED |
				       IB_CQ_REPORT_MISSED_EVENTS) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == calls);
	EXPECT(st, cst_post(cq, 9, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == calls + 1);

	/* Neither NEXT_COMP nor SOLICITED is not a request. */
	EXPECT(st, sroce_req_notify_cq(ibcq, IB_CQ_REPORT_MISSED_EVENTS) == -EINVAL);
	EXPECT(st, sroce_req_notify_cq(ibcq, 0) == -EINVAL);

	EXPECT(st, !st->handler_under_lock);
	cst_cq_destroy(cq);
}

static void cst_resize(struct cst *st)
{
	struct sroce_cq_ring ring;
	struct sroce_cq *cq;

	cq = cst_cq_create(st, 7);
	if (!EXPECT(st, cq))
		return;
	cq->producer = 0xfffffffeU;
	cq->ring.hdr->producer = 0xfffffffeU;
	cq->ring.hdr->consumer = 0xfffffffeU;
	EXPECT(st, cst_post_many(cq, 0, 6) == 6);
	EXPECT(st, cst_poll_expect(cq, 0, 1) == 1);

	/* Grow with 5 unconsumed completions across the index wrap. */
	if (EXPECT(st, !sroce_cq_ring_alloc(&ring, 100, NULL, NULL))) {
		EXPECT(st, sroce_cq_swap_ring(cq, &ring, 100) == 0);
		EXPECT(st, ring.mask == 7);	/* the old ring came back */
		sroce_cq_ring_free(&ring);
	}
	EXPECT(st, cq->ibcq.cqe == 127);
	EXPECT(st, cst_post_many(cq, 6, 100) == 100);

	/* Shrinking below the 105 unconsumed completions fails, harmlessly. */
	if (EXPECT(st, !sroce_cq_ring_alloc(&ring, 104, NULL, NULL))) {
		EXPECT(st, sroce_cq_swap_ring(cq, &ring, 104) == -EINVAL);
		EXPECT(st, ring.mask == 127 && cq->ring.mask == 127);
		sroce_cq_ring_free(&ring);
	}
	EXPECT(st, cst_poll_expect(cq, 1, 100) == 100);

	/* Shrink to exactly the 5 left. */
	if (EXPECT(st, !sroce_cq_ring_alloc(&ring, 5, NULL, NULL))) {
		EXPECT(st, sroce_cq_swap_ring(cq, &ring, 5) == 0);
		sroce_cq_ring_free(&ring);
	}
	EXPECT(st, cq->ibcq.cqe == 7);
	EXPECT(st, cst_post_many(cq, 106, 3) == 2);
	EXPECT(st, cst_poll_expect(cq, 101, 7) == 7);

	/* Arming survives a resize. */
	atomic_set(&st->comp_calls, 0);
	EXPECT(st, sroce_req_notify_cq(&cq->ibcq, IB_CQ_NEXT_COMP) == 0);
	if (EXPECT(st, !sroce_cq_ring_alloc(&ring, 1, NULL, NULL))) {
		EXPECT(st, sroce_cq_swap_ring(cq, &ring, 1) == 0);
		sroce_cq_ring_free(&ring);
	}
	EXPECT(st, cq->ibcq.cqe == 1);
	EXPECT(st, cst_post(cq, 200, false) == 0);
	EXPECT(st, atomic_read(&st->comp_calls) == 1);
	EXPECT(st, cst_post(cq, 201, false) == -ENOSPC);
	EXPECT(st, cst_poll_expect(cq, 200, 1) == 1);
	cst_cq_destroy(cq);
}

static void cst_destroyed(struct cst *st)
{
	struct sroce_cq *cq;
	struct ib_wc wc;

	cq = cst_cq_create(st, 4);
	if (!EXPECT(st, cq))
		return;
	EXPECT(st, cst_post(cq, 0, false) == 0);
	sroce_cq_fini(cq);
	EXPECT(st, cst_post(cq, 1, false) == -ESHUTDOWN);
	EXPECT(st, sroce_poll_cq(&cq->ibcq, 1, &wc) == -EOPNOTSUPP);
	EXPECT(st, sroce_req_notify_cq(&cq->ibcq, IB_CQ_NEXT_COMP |
				       IB_CQ_REPORT_MISSED_EVENTS) == 0);
	kfree(cq);
}

/* ---- a producer thread racing a consumer ---- */

struct cst_race {
	struct sroce_cq *cq;
	struct completion done;
	unsigned long deadline;
	bool stop;
	u64 posted;
	u64 full;		/* -ENOSPC answers: back-pressure */
	int error;		/* any other answer */
};

static int cst_producer(void *arg)
{
	struct cst_race *race = arg;
	int err;

	while (race->posted < CST_RACE_COUNT && !READ_ONCE(race->stop) &&
	       time_before(jiffies, race->deadline)) {
		err = cst_post(race->cq, race->posted, race->posted % 5 == 0);
		if (!err) {
			race->posted++;
		} else if (err == -ENOSPC) {
			race->full++;
			cond_resched();
		} else {
			race->error = err;
			break;
		}
	}
	complete(&race->done);
	return 0;
}

static void cst_race(struct cst *st)
{
	struct cst_race race = {};
	struct task_struct *task;
	struct sroce_cq_ring ring;
	struct ib_wc wc[16];
	u64 next = 0, resizes = 0;
	unsigned int i, round = 0;
	bool in_order = true;
	int n;

	race.cq = cst_cq_create(st, 31);
	if (!EXPECT(st, race.cq))
		return;
	init_completion(&race.done);
	race.deadline = jiffies + CST_RACE_TIME;
	atomic_set(&st->comp_calls, 0);

	task = kthread_run(cst_producer, &race, "sroce_cq_st");
	if (!EXPECT(st, !IS_ERR(task))) {
		cst_cq_destroy(race.cq);
		return;
	}

	while (next < CST_RACE_COUNT && in_order &&
	       time_before(jiffies, race.deadline)) {
		n = sroce_poll_cq(&race.cq->ibcq, ARRAY_SIZE(wc), wc);
		for (i = 0; i < n && in_order; i++, next++)
			in_order = cst_wc_is(&wc[i], next, &cst_qp);
		if (n > 0)
			continue;
		if (n < 0)
			break;
		/* Empty: re-arm, and resize now and then to a random size. */
		sroce_req_notify_cq(&race.cq->ibcq, ++round & 1 ?
				    IB_CQ_NEXT_COMP : IB_CQ_SOLICITED);
		if (round % 64 == 0 &&
		    !sroce_cq_ring_alloc(&ring, 8 + get_random_u32() % 1000, NULL, NULL)) {
			if (!sroce_cq_swap_ring(race.cq, &ring, ring.mask))
				resizes++;
			sroce_cq_ring_free(&ring);
		}
		cond_resched();
	}

	WRITE_ONCE(race.stop, true);
	if (!EXPECT(st, wait_for_completion_timeout(&race.done, 10 * HZ))) {
		/* The producer still runs: leak the CQ rather than free it. */
		return;
	}
	EXPECT(st, in_order);
	EXPECT(st, !race.error);
	EXPECT(st, race.posted == CST_RACE_COUNT);
	EXPECT(st, next == CST_RACE_COUNT);
	EXPECT(st, race.full == race.cq->overflows);
	EXPECT(st, atomic_read(&st->comp_calls) > 0);
	pr_info("sroce: cq selftest: race: %llu completions, %llu times full, %llu resizes, %d handler calls\n",
		next, race.full, resizes, atomic_read(&st->comp_calls));
	cst_cq_destroy(race.cq);
}

/**
 * sroce_cq_selftest - run the CQ self-test
 *
 * Return: 0 if every check passed, -EINVAL otherwise.
 */
int sroce_cq_selftest(void)
{
	struct cst st = {};

	pr_info("sroce: cq selftest: CQ rings, notification, overflow, resize\n");
	cst_sizes(&st);
	cst_post_poll(&st);
	cst_wrap(&st);
	cst_overflow(&st);
	cst_notify(&st);
	cst_resize(&st);
	cst_destroyed(&st);
	cst_race(&st);
	pr_info("sroce: cq selftest: %u passed, %u failed\n", st.passed,
		st.failed);
	return st.failed ? -EINVAL : 0;
}
