// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues through libibverbs on an sroce device.
 *
 *   cq_test DEV sizes        create/destroy CQs of many sizes up to max_cqe;
 *                            max_cqe + 1, 0, negative sizes and bad
 *                            completion vectors fail with EINVAL
 *   cq_test DEV cq_ex        ibv_create_cq_ex: the wc_flags the CQE carries
 *                            work, timestamps/flow tags/TM info, parent
 *                            domains and IGNORE_OVERRUN are EOPNOTSUPP
 *   cq_test DEV empty        polling an empty CQ (poll_cq, start_poll)
 *   cq_test DEV resize       resize up and down, limits, after resize the CQ
 *                            still polls empty; extended CQs too
 *   cq_test DEV notify       req_notify_cq with a completion channel: no
 *                            event without a completion; destroying a CQ
 *                            that is armed on a channel; channel lifetime
 *   cq_test DEV threads      pollers racing resizes and re-arms
 *   cq_test DEV many [N]     exactly N CQs (default max_cq) can be created,
 *                            the next one fails with ENOMEM; after
 *                            destroying them one can be created again
 *   cq_test DEV hold N [exit]
 *                            create N CQs of several kinds, print "ready",
 *                            then wait (at most 120 s) to be killed; with
 *                            "exit", exit at once without destroying them
 *
 * Prints one line per check ("ok ..." or "FAIL: ..."); exits 0 when every
 * check passed, 1 otherwise, 2 on bad usage or setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "testlib.h"

static int failures;
static struct ibv_context *ctx;
static struct ibv_device_attr attr;

#define CHECK(cond, ...)							\
	do {									\
		if (cond) {							\
			printf("ok %s:%d %s\n", __func__, __LINE__, #cond);	\
		} else {							\
			failures++;						\
			printf("FAIL: %s:%d %s: ", __func__, __LINE__, #cond);	\
			printf(__VA_ARGS__);					\
			printf("\n");						\
		}								\
	} while (0)

static void die(const char *what)
{
	test_die("cq_test", what);
}

static void open_dev(const char *name)
{
	ctx = test_open_device("cq_test", name);
	if (ibv_query_device(ctx, &attr))
		die("ibv_query_device");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A CQ reports 2^n - 1 entries, at least what was asked for. */
static bool cqe_ok(int got, int asked)
{
	return got >= asked && !((got + 1) & got);
}

/* ibv_create_cq() is expected to fail: with which errno? */
static int create_cq_errno(int cqe, struct ibv_comp_channel *ch, int vector)
{
	struct ibv_cq *cq;

	errno = 0;
	cq = ibv_create_cq(ctx, cqe, NULL, ch, vector);
	if (cq) {
		ibv_destroy_cq(cq);
		return 0;
	}
	return errno;
}

static void test_sizes(void)
{
	int sizes[] = { 1, 2, 3, 4, 7, 8, 15, 16, 31, 100, 1000, 4095, 4096,
			attr.max_cqe / 2, attr.max_cqe - 1, attr.max_cqe };
	struct ibv_cq *cq;
	unsigned int i;
	int err;

	CHECK(attr.max_cqe == 65535, "max_cqe %d", attr.max_cqe);
	CHECK(attr.max_cq == 16384, "max_cq %d", attr.max_cq);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cq = ibv_create_cq(ctx, sizes[i], NULL, NULL, 0);
		CHECK(cq && cqe_ok(cq->cqe, sizes[i]), "size %d: cq %p cqe %d (%s)", sizes[i],
		      (void *)cq, cq ? cq->cqe : -1, strerror(errno));
		if (cq) {
			err = ibv_destroy_cq(cq);
			CHECK(!err, "destroy size %d: %s", sizes[i], strerror(err));
		}
	}
	/* Reported size never exceeds max_cqe. */
	cq = ibv_create_cq(ctx, attr.max_cqe, NULL, NULL, 0);
	CHECK(cq && cq->cqe == attr.max_cqe, "max_cqe CQ reports %d", cq ? cq->cqe : -1);
	if (cq)
		ibv_destroy_cq(cq);

	err = create_cq_errno(attr.max_cqe + 1, NULL, 0);
	CHECK(err == EINVAL, "max_cqe + 1: %s", strerror(err));
	err = create_cq_errno(0, NULL, 0);
	CHECK(err == EINVAL, "0 entries: %s", strerror(err));
	err = create_cq_errno(-1, NULL, 0);
	CHECK(err == EINVAL, "-1 entries: %s", strerror(err));
	err = create_cq_errno(16, NULL, ctx->num_comp_vectors);
	CHECK(err == EINVAL, "comp_vector num_comp_vectors: %s", strerror(err));
	err = create_cq_errno(16, NULL, -1);
	CHECK(err == EINVAL, "comp_vector -1: %s", strerror(err));
	err = create_cq_errno(16, NULL, ctx->num_comp_vectors - 1);
	CHECK(err == 0, "comp_vector num_comp_vectors - 1: %s", strerror(err));
}

static struct ibv_cq_ex *create_cq_ex(uint64_t wc_flags, uint32_t comp_mask, uint32_t flags)
{
	struct ibv_cq_init_attr_ex cq_attr = {
		.cqe = 32,
		.wc_flags = wc_flags,
		.comp_mask = comp_mask,
		.flags = flags,
	};

	errno = 0;
	return ibv_create_cq_ex(ctx, &cq_attr);
}

static void test_cq_ex(void)
{
	static const uint64_t good[] = {
		0, IBV_WC_EX_WITH_BYTE_LEN, IBV_WC_EX_WITH_IMM, IBV_WC_EX_WITH_QP_NUM,
		IBV_WC_EX_WITH_SRC_QP, IBV_WC_EX_WITH_SLID, IBV_WC_EX_WITH_SL,
		IBV_WC_EX_WITH_DLID_PATH_BITS, IBV_WC_STANDARD_FLAGS, IBV_WC_EX_WITH_CVLAN,
		IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_CVLAN,
	};
	static const uint64_t bad[] = {
		IBV_WC_EX_WITH_COMPLETION_TIMESTAMP,
		IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK,
		IBV_WC_EX_WITH_FLOW_TAG, IBV_WC_EX_WITH_TM_INFO,
		IBV_WC_STANDARD_FLAGS | IBV_WC_EX_WITH_COMPLETION_TIMESTAMP,
	};
	struct ibv_poll_cq_attr pattr = {};
	struct ibv_cq_ex *cq;
	struct ibv_wc wc;
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cq = create_cq_ex(good[i], 0, 0);
		CHECK(cq && cqe_ok(ibv_cq_ex_to_cq(cq)->cqe, 32), "wc_flags %#lx: %s",
		      (unsigned long)good[i], strerror(errno));
		if (!cq)
			continue;
		CHECK(ibv_start_poll(cq, &pattr) == ENOENT, "start_poll on empty, flags %#lx",
		      (unsigned long)good[i]);
		CHECK(ibv_poll_cq(ibv_cq_ex_to_cq(cq), 1, &wc) == 0, "poll_cq on an extended CQ");
		CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), "destroy");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cq = create_cq_ex(bad[i], 0, 0);
		CHECK(!cq && errno == EOPNOTSUPP, "wc_flags %#lx: %s", (unsigned long)bad[i],
		      strerror(errno));
		if (cq)
			ibv_destroy_cq(ibv_cq_ex_to_cq(cq));
	}

	cq = create_cq_ex(IBV_WC_STANDARD_FLAGS, IBV_CQ_INIT_ATTR_MASK_FLAGS,
			  IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN);
	CHECK(!cq && errno == EOPNOTSUPP, "IGNORE_OVERRUN: %s", strerror(errno));
	cq = create_cq_ex(IBV_WC_STANDARD_FLAGS, IBV_CQ_INIT_ATTR_MASK_PD, 0);
	CHECK(!cq && errno == EOPNOTSUPP, "parent domain: %s", strerror(errno));

	cq = create_cq_ex(IBV_WC_STANDARD_FLAGS, IBV_CQ_INIT_ATTR_MASK_FLAGS,
			  IBV_CREATE_CQ_ATTR_SINGLE_THREADED);
	CHECK(cq, "SINGLE_THREADED: %s", strerror(errno));
	if (cq) {
		CHECK(ibv_start_poll(cq, &pattr) == ENOENT, "start_poll, single-threaded");
		pattr.comp_mask = 1;
		CHECK(ibv_start_poll(cq, &pattr) == EINVAL, "start_poll with unknown comp_mask");
		pattr.comp_mask = 0;
		CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cq)), "destroy");
	}

	{
		struct ibv_cq_init_attr_ex big = {
			.cqe = attr.max_cqe + 1,
			.wc_flags = IBV_WC_STANDARD_FLAGS,
		};

		errno = 0;
		cq = ibv_create_cq_ex(ctx, &big);
		CHECK(!cq && errno == EINVAL, "cq_ex max_cqe + 1: %s", strerror(errno));
	}
}

static void test_empty(void)
{
	struct ibv_poll_cq_attr pattr = {};
	struct ibv_wc wc[64];
	struct ibv_cq_ex *cqx;
	struct ibv_cq *cq;
	int i, bad = 0;

	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	CHECK(cq, "create: %s", strerror(errno));
	if (!cq)
		return;
	for (i = 0; i < 10000; i++)
		bad += ibv_poll_cq(cq, 64, wc) != 0;
	CHECK(bad == 0, "%d of 10000 polls of an empty CQ returned non-zero", bad);
	CHECK(ibv_poll_cq(cq, 1, wc) == 0 && ibv_poll_cq(cq, 0, wc) == 0, "poll 1 and 0");
	CHECK(!ibv_destroy_cq(cq), "destroy");

	cqx = create_cq_ex(IBV_WC_STANDARD_FLAGS, 0, 0);
	CHECK(cqx, "create_cq_ex: %s", strerror(errno));
	if (!cqx)
		return;
	for (i = 0, bad = 0; i < 10000; i++)
		bad += ibv_start_poll(cqx, &pattr) != ENOENT;
	CHECK(bad == 0, "%d of 10000 start_polls of an empty CQ did not return ENOENT", bad);
	CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)), "destroy");
}

static void test_resize(void)
{
	int steps[] = { 100, 3, 1, 4096, attr.max_cqe, 1, 63, 64, 17 };
	struct ibv_cq_ex *cqx;
	struct ibv_wc wc[4];
	struct ibv_cq *cq;
	unsigned int i;
	int err;

	cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	CHECK(cq && cq->cqe == 1, "create 1: %s", strerror(errno));
	if (!cq)
		return;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		err = ibv_resize_cq(cq, steps[i]);
		CHECK(!err && cqe_ok(cq->cqe, steps[i]), "resize to %d: %s, cqe %d", steps[i],
		      strerror(err), cq->cqe);
		CHECK(ibv_poll_cq(cq, 4, wc) == 0, "poll after resize to %d", steps[i]);
	}
	err = ibv_resize_cq(cq, 0);
	CHECK(err == EINVAL, "resize to 0: %s", strerror(err));
	err = ibv_resize_cq(cq, -5);
	CHECK(err == EINVAL, "resize to -5: %s", strerror(err));
	err = ibv_resize_cq(cq, attr.max_cqe + 1);
	CHECK(err == EINVAL, "resize to max_cqe + 1: %s", strerror(err));
	CHECK(cqe_ok(cq->cqe, 17) && ibv_poll_cq(cq, 4, wc) == 0,
	      "failed resizes leave the CQ usable (cqe %d)", cq->cqe);
	CHECK(!ibv_destroy_cq(cq), "destroy");

	cqx = create_cq_ex(IBV_WC_STANDARD_FLAGS, 0, 0);
	CHECK(cqx, "create_cq_ex: %s", strerror(errno));
	if (!cqx)
		return;
	err = ibv_resize_cq(ibv_cq_ex_to_cq(cqx), 500);
	CHECK(!err && cqe_ok(ibv_cq_ex_to_cq(cqx)->cqe, 500), "resize extended CQ: %s",
	      strerror(err));
	CHECK(ibv_start_poll(cqx, &(struct ibv_poll_cq_attr){}) == ENOENT,
	      "start_poll after resize");
	CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)), "destroy");
}

/* Wait up to @ms for the channel's fd to become readable: 1 yes, 0 no. */
static int channel_ready(struct ibv_comp_channel *ch, int ms)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };

	return poll(&pfd, 1, ms);
}

static void test_notify(void)
{
	struct ibv_comp_channel *ch, *ch2;
	struct ibv_cq *cq, *cq2, *ev_cq;
	struct ibv_cq_ex *cqx;
	void *ev_ctx;
	int err, flags;

	ch = ibv_create_comp_channel(ctx);
	CHECK(ch, "create channel: %s", strerror(errno));
	if (!ch)
		return;
	cq = ibv_create_cq(ctx, 16, (void *)0x5eed, ch, 0);
	CHECK(cq && cq->channel == ch && cq->cq_context == (void *)0x5eed,
	      "create CQ on a channel: %s", strerror(errno));
	if (!cq)
		return;

	err = ibv_req_notify_cq(cq, 0);
	CHECK(!err, "arm next: %s", strerror(err));
	err = ibv_req_notify_cq(cq, 1);
	CHECK(!err, "arm solicited: %s", strerror(err));
	err = ibv_req_notify_cq(cq, 0);
	CHECK(!err, "re-arm next: %s", strerror(err));
	CHECK(channel_ready(ch, 300) == 0, "an event without a completion");

	flags = fcntl(ch->fd, F_GETFL);
	CHECK(flags >= 0 && !fcntl(ch->fd, F_SETFL, flags | O_NONBLOCK), "O_NONBLOCK");
	errno = 0;
	CHECK(ibv_get_cq_event(ch, &ev_cq, &ev_ctx) && errno == EAGAIN,
	      "ibv_get_cq_event on a quiet channel: %s", strerror(errno));

	/* A channel with a CQ on it cannot go away. */
	err = ibv_destroy_comp_channel(ch);
	CHECK(err == EBUSY, "destroy a channel in use: %s", strerror(err));

	/* Resize keeps the channel; still no event. */
	err = ibv_resize_cq(cq, 200);
	CHECK(!err, "resize an armed CQ: %s", strerror(err));
	CHECK(channel_ready(ch, 200) == 0, "an event after resize");

	/* A second CQ and an extended CQ on the same channel, all armed. */
	cq2 = ibv_create_cq(ctx, 1, NULL, ch, 0);
	CHECK(cq2 && !ibv_req_notify_cq(cq2, 1), "second armed CQ: %s", strerror(errno));
	{
		struct ibv_cq_init_attr_ex cattr = {
			.cqe = 8,
			.channel = ch,
			.wc_flags = IBV_WC_STANDARD_FLAGS,
		};

		cqx = ibv_create_cq_ex(ctx, &cattr);
		CHECK(cqx && !ibv_req_notify_cq(ibv_cq_ex_to_cq(cqx), 0),
		      "extended CQ on the channel: %s", strerror(errno));
	}
	CHECK(channel_ready(ch, 300) == 0, "an event with three armed CQs");

	/* Destroying armed CQs: no event, no hang. */
	CHECK(!ibv_destroy_cq(cq), "destroy an armed CQ");
	if (cq2)
		CHECK(!ibv_destroy_cq(cq2), "destroy the second");
	if (cqx)
		CHECK(!ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)), "destroy the extended one");
	CHECK(channel_ready(ch, 100) == 0, "an event after destroying the CQs");
	err = ibv_destroy_comp_channel(ch);
	CHECK(!err, "destroy the channel: %s", strerror(err));

	/* A CQ created on a channel and destroyed unarmed. */
	ch2 = ibv_create_comp_channel(ctx);
	CHECK(ch2, "second channel: %s", strerror(errno));
	if (!ch2)
		return;
	cq = ibv_create_cq(ctx, 4, NULL, ch2, 0);
	CHECK(cq, "CQ on the second channel: %s", strerror(errno));
	if (cq)
		CHECK(!ibv_destroy_cq(cq), "destroy unarmed");
	CHECK(!ibv_destroy_comp_channel(ch2), "destroy the second channel");
}

/* ---- threads: pollers racing resizes and re-arms ---- */

struct poller {
	struct ibv_cq *cq;
	volatile bool *stop;
	long polls;
	long nonzero;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	struct ibv_wc wc[8];
	int n;

	while (!*p->stop) {
		n = ibv_poll_cq(p->cq, 8, wc);
		p->polls++;
		if (n)
			p->nonzero++;
	}
	return NULL;
}

static void test_threads(void)
{
	volatile bool stop = false;
	struct poller p[4];
	pthread_t tid[4];
	int i, err, resizes, bad = 0, started = 0;
	struct ibv_cq *cq;
	double end;

	cq = ibv_create_cq(ctx, 32, NULL, NULL, 0);
	CHECK(cq, "create: %s", strerror(errno));
	if (!cq)
		return;
	for (i = 0; i < 4; i++) {
		p[i] = (struct poller){ .cq = cq, .stop = &stop };
		if (!pthread_create(&tid[i], NULL, poll_thread, &p[i]))
			started++;
		else
			break;
	}
	CHECK(started == 4, "started %d pollers", started);
	/* At most 200 resizes and 3 s. */
	end = now() + 3;
	for (resizes = 0; resizes < 200 && now() < end; resizes++) {
		err = ibv_resize_cq(cq, 1 + (resizes * 37) % 600);
		bad += err != 0;
		bad += ibv_req_notify_cq(cq, resizes & 1) != 0;
	}
	stop = true;
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < started; i++)
		bad += p[i].nonzero;
	CHECK(bad == 0, "%d failed resizes/arms or non-empty polls", bad);
	printf("# threads: %d resizes, %ld polls by the first poller\n", resizes, p[0].polls);
	CHECK(!ibv_destroy_cq(cq), "destroy");
}

/* ---- limits ---- */

static void test_many(long fit)
{
	struct ibv_cq **cqs, *cq;
	double start = now();
	int err = 0;
	long n, i;

	if (fit <= 0)
		fit = attr.max_cq;
	cqs = calloc(fit + 1, sizeof(*cqs));
	if (!cqs)
		die("calloc");
	/* Bounded by fit + 1 creations and 300 s. */
	for (n = 0; n <= fit && now() - start < 300; n++) {
		cqs[n] = ibv_create_cq(ctx, 1, NULL, NULL, 0);
		if (!cqs[n]) {
			err = errno;
			break;
		}
	}
	printf("# created %ld CQs in %.1f s\n", n, now() - start);
	CHECK(n == fit && err == ENOMEM, "created %ld of %ld, then: %s", n, fit, strerror(err));
	for (i = 0, err = 0; i < n; i++)
		err += ibv_destroy_cq(cqs[i]) != 0;
	CHECK(err == 0, "%d destroys failed", err);
	free(cqs);

	/* And the count came back: one more fits again. */
	cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	CHECK(cq, "create after destroying them all: %s", strerror(errno));
	if (cq)
		ibv_destroy_cq(cq);
}

/* CQs of every kind, some armed on channels, one resized, then hold or exit. */
static void hold(long count, bool exit_now)
{
	struct ibv_comp_channel *ch = NULL;
	struct ibv_cq *cq;
	long i;

	for (i = 0; i < count; i++) {
		if (i % 4 == 0) {
			ch = ibv_create_comp_channel(ctx);
			if (!ch)
				die("ibv_create_comp_channel");
		}
		if (i % 3 == 0) {
			struct ibv_cq_init_attr_ex cattr = {
				.cqe = 8 + i,
				.channel = ch,
				.wc_flags = IBV_WC_STANDARD_FLAGS,
			};
			struct ibv_cq_ex *cqx = ibv_create_cq_ex(ctx, &cattr);

			cq = cqx ? ibv_cq_ex_to_cq(cqx) : NULL;
		} else {
			cq = ibv_create_cq(ctx, 8 + i, NULL, i % 2 ? ch : NULL, 0);
		}
		if (!cq)
			die("create CQ");
		if (cq->channel && ibv_req_notify_cq(cq, i & 1))
			die("ibv_req_notify_cq");
		if (i % 5 == 0 && ibv_resize_cq(cq, 100 + i))
			die("ibv_resize_cq");
	}
	printf("ready %ld\n", count);
	fflush(stdout);
	if (exit_now)
		exit(0);
	sleep(120);
	exit(0);
}

int main(int argc, char **argv)
{
	const char *test;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: cq_test DEV sizes|cq_ex|empty|resize|notify|threads|"
			"many [N]|hold N [exit]\n");
		return 2;
	}
	open_dev(argv[1]);
	test = argv[2];
	if (!strcmp(test, "sizes"))
		test_sizes();
	else if (!strcmp(test, "cq_ex"))
		test_cq_ex();
	else if (!strcmp(test, "empty"))
		test_empty();
	else if (!strcmp(test, "resize"))
		test_resize();
	else if (!strcmp(test, "notify"))
		test_notify();
	else if (!strcmp(test, "threads"))
		test_threads();
	else if (!strcmp(test, "many"))
		test_many(argc > 3 ? atol(argv[3]) : 0);
	else if (!strcmp(test, "hold") && argc > 3)
		hold(atol(argv[3]), argc > 4 && !strcmp(argv[4], "exit"));
	else {
		fprintf(stderr, "cq_test: unknown test %s\n", test);
		return 2;
	}
	ibv_close_device(ctx);
	return failures ? 1 : 0;
}
