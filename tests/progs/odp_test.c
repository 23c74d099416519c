// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Semantics of on-demand paged (ODP) memory regions: RDMA on an ODP MR
 * must behave as if the device were a second MMU of the process, kept
 * coherent with the CPU page tables.  One process, QPs of one device
 * connected to each other (RC pairs, a UD pair), explicit ODP MRs
 * (ibv_reg_mr(..., IBV_ACCESS_ON_DEMAND)) and the implicit one
 * (ibv_reg_mr(pd, NULL, SIZE_MAX, ...ON_DEMAND)), and the CPU changing the
 * mappings under them: MADV_DONTNEED, munmap, mprotect, fork, MADV_PAGEOUT,
 * page migration, huge pages, and all of it at once under traffic.
 *
 * Usage: odp_test DEVICE GID_INDEX SUBTEST...   (or "all"; "list")
 *
 * Subtests (see the table at the end): coherence, footprint, dontneed,
 * munmap, mprotect, fork, pageout, hugepages, stress, and slowfault (not
 * in "all": it needs swap on a slow device); "hold" registers an
 * ODP MR, faults part of it in, prints "ready" and waits for SIGUSR1 (at
 * most 120 s), for a script to look at the counters meanwhile.
 *
 * Every check prints one line, "ok: SUBTEST: ..." or "not ok: SUBTEST:LINE:
 * ..."; a part that cannot run here prints "SKIP: SUBTEST: reason".  Every
 * payload is compared byte for byte, every wait and loop is bounded in
 * time.  The last line is "N passed, N failed[, N skipped]"; the exit
 * status is 1 if a check failed, 4 if nothing ran (all skipped), else 0;
 * 2 when the setup itself failed.
 *
 * Environment: ODP_STRESS_SECS (default 15), ODP_PAGEOUT_SECS (default 6):
 * how long the traffic under concurrent invalidation runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#include "testlib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE		(1 << 1)
#endif

#define KiB	(1024UL)
#define MiB	(1024UL * 1024)
#define GiB	(1024UL * MiB)
#define PAGE	4096UL

#define ACCESS_ALL (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

/* Longest wait for one completion; a fault under TCG can take a while. */
#define WC_SECS		20.0

static const char *dev_name;
static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid;
static int gid_index;
static const char *subtest = "setup";

static int passed, failed, skipped;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void check(bool ok, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(bool ok, int line, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	if (ok) {
		passed++;
		printf("ok: %s: ", subtest);
	} else {
		failed++;
		printf("not ok: %s:%d: ", subtest, line);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pthread_mutex_unlock(&out_lock);
}

#define CHECK(cond, ...)	check(!!(cond), __LINE__, __VA_ARGS__)

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	printf("# %s: ", subtest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pthread_mutex_unlock(&out_lock);
}

static void skip_part(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void skip_part(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	skipped++;
	printf("SKIP: %s: ", subtest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	pthread_mutex_unlock(&out_lock);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double env_secs(const char *name, double def)
{
	const char *s = getenv(name);
	double v = s ? atof(s) : 0;

	return v > 0 && v < 600 ? v : def;
}

/* ---- payloads ---- */

/* A pattern in which equal offsets of different pages differ. */
static uint8_t pat(size_t i, unsigned int seed)
{
	uint32_t v = (uint32_t)i * 2654435761u ^ (seed * 0x9e3779b9u + seed);

	return (uint8_t)(v >> 24 ^ v >> 11 ^ (i >> 12));
}

static void fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = pat(i, seed);
}

/* Offset of the first byte that differs from fill(seed), or -1. */
static long diff_fill(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != pat(i, seed))
			return (long)i;
	return -1;
}

static long diff_mem(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;

	if (!memcmp(a, b, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

static bool all_byte(const void *p, size_t len, uint8_t c)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

static bool is_zero(const void *p, size_t len)
{
	return all_byte(p, len, 0);
}

/* ---- memory ---- */

/* @len bytes of private anonymous memory at an @align-aligned address. */
static uint8_t *map_region(size_t len, size_t align, int extra)
{
	size_t tot = len + align;
	uint8_t *p, *a;

	p = mmap(NULL, tot, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, a - p);
	if (p + tot > a + len)
		munmap(a + len, p + tot - (a + len));
	return a;
}

/* The same at exactly @addr (after a munmap). */
static bool remap_fixed(uint8_t *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		       -1, 0);

	return p == addr;
}

/* kB value of a /proc/self/status field ("VmRSS"), -1 if absent. */
static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* AnonHugePages (kB) of the mapping that holds @addr, -1 if not found. */
static long anon_huge_kb(const void *addr)
{
	char line[512];
	uintptr_t a = (uintptr_t)addr, lo, hi;
	bool in = false;
	long v = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14)) {
			v = strtol(line + 14, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* /proc/self/pagemap entry of the page at @addr (bit 63 present, 62 swap). */
static uint64_t pagemap(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / PAGE * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

#define PM_PRESENT(e)	(((e) >> 63) & 1)
#define PM_SWAPPED(e)	(((e) >> 62) & 1)
#define PM_PFN(e)	((e) & ((1ULL << 55) - 1))

/* ---- counters ---- */

/*
 * A port counter of the device (hw_counters), -1 if it does not exist.
 * ib_core caches the values for RDMA_HW_STATS_DEFAULT_LIFESPAN (10 ms):
 * wait that long, so a read after an event sees it.
 */
static long long counter(const char *name)
{
	char path[256], buf[64];
	long long v = -1;
	FILE *f;

	usleep(15000);
	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s", dev_name, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

/* ---- memory regions ---- */

enum kind { K_EXPLICIT, K_IMPLICIT, K_PINNED };
static const char *const kind_name[] = { "explicit", "implicit", "pinned" };

static struct ibv_mr *implicit_mr;

static struct ibv_mr *get_implicit(void)
{
	if (!implicit_mr)
		implicit_mr = ibv_reg_mr(pd, NULL, SIZE_MAX,
					 ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
	return implicit_mr;
}

/* A buffer and the key that covers it: its own MR, or the implicit one. */
struct mreg {
	uint8_t *buf;
	size_t len;
	struct ibv_mr *mr;	/* own MR; NULL for the implicit one */
	uint32_t key;		/* lkey == rkey on sroce */
	uint32_t rkey;
};

static int mreg_init(struct mreg *m, uint8_t *buf, size_t len, enum kind k,
		     int extra)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	if (k == K_IMPLICIT) {
		struct ibv_mr *imr = get_implicit();

		if (!imr)
			return -1;
		m->key = imr->lkey;
		m->rkey = imr->rkey;
		return 0;
	}
	m->mr = ibv_reg_mr(pd, buf, len, ACCESS_ALL | extra |
			   (k == K_EXPLICIT ? IBV_ACCESS_ON_DEMAND : 0));
	if (!m->mr)
		return -1;
	m->key = m->mr->lkey;
	m->rkey = m->mr->rkey;
	return 0;
}

static void mreg_fini(struct mreg *m)
{
	if (m->mr)
		ibv_dereg_mr(m->mr);
	m->mr = NULL;
}

/* ---- queue pairs ---- */

/* qp[0] is the requester of every test, qp[1] the responder. */
struct pair {
	struct ibv_cq *cq[2];
	struct ibv_qp *qp[2];
	bool ud;
	struct ibv_ah *ah;
};

static void pair_destroy(struct pair *p)
{
	if (p->ah)
		ibv_destroy_ah(p->ah);
	for (int i = 0; i < 2; i++) {
		if (p->qp[i])
			ibv_destroy_qp(p->qp[i]);
		if (p->cq[i])
			ibv_destroy_cq(p->cq[i]);
	}
	memset(p, 0, sizeof(*p));
}

/* Local ACK timeout of new RC QPs: 4.096 us * 2^qp_timeout (14: 67 ms). */
static int qp_timeout = 14;

static int pair_connect_rc(struct pair *p)
{
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};

	for (int i = 0; i < 2; i++)
		if (ibv_modify_qp(p->qp[i], &init, IBV_QP_STATE |
				  IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS))
			return -1;
	for (int i = 0; i < 2; i++) {
		struct ibv_qp_attr rtr = {
			.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
			.dest_qp_num = p->qp[!i]->qp_num, .rq_psn = 1000 + !i,
			.max_dest_rd_atomic = 16, .min_rnr_timer = 1,
			.ah_attr = {
				.is_global = 1, .port_num = 1,
				.grh = { .dgid = gid, .sgid_index = gid_index,
					 .hop_limit = 64 },
			},
		};
		/* rnr_retry 7: retry forever, as ODP applications do */
		struct ibv_qp_attr rts = {
			.qp_state = IBV_QPS_RTS, .sq_psn = 1000 + i,
			.timeout = qp_timeout, .retry_cnt = 7, .rnr_retry = 7,
			.max_rd_atomic = 16,
		};

		if (ibv_modify_qp(p->qp[i], &rtr, IBV_QP_STATE | IBV_QP_AV |
				  IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				  IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
			return -1;
		if (ibv_modify_qp(p->qp[i], &rts, IBV_QP_STATE | IBV_QP_SQ_PSN |
				  IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				  IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
			return -1;
	}
	return 0;
}

static int pair_connect_ud(struct pair *p)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qkey = 0x11111111,
	};
	struct ibv_ah_attr ah_attr = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = gid, .sgid_index = gid_index, .hop_limit = 64 },
	};

	for (int i = 0; i < 2; i++) {
		attr.qp_state = IBV_QPS_INIT;
		if (ibv_modify_qp(p->qp[i], &attr, IBV_QP_STATE |
				  IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY))
			return -1;
		attr.qp_state = IBV_QPS_RTR;
		if (ibv_modify_qp(p->qp[i], &attr, IBV_QP_STATE))
			return -1;
		attr.qp_state = IBV_QPS_RTS;
		attr.sq_psn = 0;
		if (ibv_modify_qp(p->qp[i], &attr, IBV_QP_STATE | IBV_QP_SQ_PSN))
			return -1;
	}
	p->ah = ibv_create_ah(pd, &ah_attr);
	return p->ah ? 0 : -1;
}

static int pair_create(struct pair *p, bool ud)
{
	struct ibv_qp_init_attr attr = {
		.qp_type = ud ? IBV_QPT_UD : IBV_QPT_RC,
		.cap = {
			.max_send_wr = 64, .max_recv_wr = 64,
			.max_send_sge = 2, .max_recv_sge = 2,
		},
	};

	memset(p, 0, sizeof(*p));
	p->ud = ud;
	for (int i = 0; i < 2; i++) {
		p->cq[i] = ibv_create_cq(ctx, 256, NULL, NULL, 0);
		if (!p->cq[i])
			goto err;
		attr.send_cq = attr.recv_cq = p->cq[i];
		p->qp[i] = ibv_create_qp(pd, &attr);
		if (!p->qp[i])
			goto err;
	}
	if (ud ? pair_connect_ud(p) : pair_connect_rc(p))
		goto err;
	return 0;
err:
	pair_destroy(p);
	return -1;
}

/* A new connected pair or a failed check (returns false). */
static bool new_pair(struct pair *p, bool ud)
{
	int ret = pair_create(p, ud);

	if (ret)
		CHECK(false, "create %s QP pair: %s", ud ? "UD" : "RC",
		      strerror(errno));
	return !ret;
}

static int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_attr attr;
	struct ibv_qp_init_attr init;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

/* Poll one completion within @secs: 1, 0 on timeout, -1 on error. */
static int wait_wc(struct ibv_cq *cq, struct ibv_wc *wc, double secs)
{
	double end = now() + secs;
	int n;

	memset(wc, 0, sizeof(*wc));
	do {
		n = ibv_poll_cq(cq, 1, wc);
		if (n)
			return n < 0 ? -1 : 1;
		usleep(50);
	} while (now() < end);
	return 0;
}

#define ST_POST		(-1)	/* post failed */
#define ST_TIMEOUT	(-2)	/* no completion in time */

static const char *st_str(int st)
{
	if (st == ST_POST)
		return "post failed";
	if (st == ST_TIMEOUT)
		return "no completion";
	return ibv_wc_status_str(st);
}

static int post_recv(struct ibv_qp *qp, void *addr, uint32_t len, uint32_t key,
		     uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)addr, len, key };
	struct ibv_recv_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

/* An RDMA WRITE(_WITH_IMM), READ or SEND on qp; not waited for. */
static int post_op(struct ibv_qp *qp, enum ibv_wr_opcode op, void *laddr,
		   uint32_t len, uint32_t lkey, void *raddr, uint32_t rkey,
		   uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lkey };
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED, .imm_data = htobe32(0xabcd0123),
		.wr.rdma = { (uintptr_t)raddr, rkey },
	};
	struct ibv_send_wr *bad;

	return ibv_post_send(qp, &wr, &bad);
}

static int post_atomic(struct ibv_qp *qp, enum ibv_wr_opcode op, void *res,
		       uint32_t lkey, void *target, uint32_t rkey,
		       uint64_t cmp_add, uint64_t swap, uint64_t id)
{
	struct ibv_sge sge = { (uintptr_t)res, 8, lkey };
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.atomic = { (uintptr_t)target, cmp_add, swap, rkey },
	};
	struct ibv_send_wr *bad;

	return ibv_post_send(qp, &wr, &bad);
}

/* One WRITE or READ from qp[0]: its completion status (or ST_*). */
static int do_rw(struct pair *p, enum ibv_wr_opcode op, void *laddr,
		 uint32_t len, uint32_t lkey, void *raddr, uint32_t rkey)
{
	struct ibv_wc wc;
	int n;
	int ret = post_op(p->qp[0], op, laddr, len, lkey, raddr, rkey, 1);

	if (ret) {
		note("post_send: %s", strerror(ret));
		return ST_POST;
	}
	n = wait_wc(p->cq[0], &wc, WC_SECS);
	return n == 1 ? (int)wc.status : ST_TIMEOUT;
}

static int do_atomic(struct pair *p, enum ibv_wr_opcode op, void *res,
		     uint32_t lkey, void *target, uint32_t rkey,
		     uint64_t cmp_add, uint64_t swap)
{
	struct ibv_wc wc;

	if (post_atomic(p->qp[0], op, res, lkey, target, rkey, cmp_add, swap, 2))
		return ST_POST;
	return wait_wc(p->cq[0], &wc, WC_SECS) == 1 ? (int)wc.status : ST_TIMEOUT;
}

/*
 * SEND (or WRITE_WITH_IMM to @raddr) of @len bytes at @src to a receive
 * buffer @dst of @dlen bytes posted on qp[1].  Returns the sender's status;
 * *rst and *rlen get the receiver's (ST_TIMEOUT if none came).
 */
static int do_send(struct pair *p, void *src, uint32_t len, uint32_t skey,
		   void *dst, uint32_t dlen, uint32_t dkey, int *rst,
		   uint32_t *rlen, struct ibv_wc *rwc_out)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge = { (uintptr_t)src, len, skey };
	struct ibv_wc wc, rwc;
	int st;

	*rst = ST_TIMEOUT;
	*rlen = 0;
	if (post_recv(p->qp[1], dst, dlen, dkey, 3))
		return ST_POST;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = 4;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (p->ud) {
		wr.wr.ud.ah = p->ah;
		wr.wr.ud.remote_qpn = p->qp[1]->qp_num;
		wr.wr.ud.remote_qkey = 0x11111111;
	}
	if (ibv_post_send(p->qp[0], &wr, &bad))
		return ST_POST;
	st = wait_wc(p->cq[0], &wc, WC_SECS) == 1 ? (int)wc.status : ST_TIMEOUT;
	if (wait_wc(p->cq[1], &rwc, st == IBV_WC_SUCCESS ? WC_SECS : 1) == 1) {
		*rst = rwc.status;
		*rlen = rwc.byte_len;
		if (rwc_out)
			*rwc_out = rwc;
	}
	return st;
}

/* WRITE_WITH_IMM: like do_send, the receive WQE has no buffer. */
static int do_write_imm(struct pair *p, void *src, uint32_t len, uint32_t skey,
			void *raddr, uint32_t rkey, struct ibv_wc *rwc)
{
	struct ibv_recv_wr rwr = { .wr_id = 5, .num_sge = 0 }, *rbad;
	struct ibv_wc wc;
	int st;

	memset(rwc, 0, sizeof(*rwc));
	rwc->status = ST_TIMEOUT;
	if (ibv_post_recv(p->qp[1], &rwr, &rbad))
		return ST_POST;
	if (post_op(p->qp[0], IBV_WR_RDMA_WRITE_WITH_IMM, src, len, skey, raddr,
		    rkey, 6))
		return ST_POST;
	st = wait_wc(p->cq[0], &wc, WC_SECS) == 1 ? (int)wc.status : ST_TIMEOUT;
	if (wait_wc(p->cq[1], rwc, st == IBV_WC_SUCCESS ? WC_SECS : 1) != 1)
		rwc->status = ST_TIMEOUT;
	return st;
}

#define CHECK_ST(st, want, ...) do {					\
	int st_ = (st);							\
	char what_[160];						\
									\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	CHECK(st_ == (int)(want), "%s: %s%s%s", what_, st_str(st_),	\
	      st_ == (int)(want) ? "" : ", want ",			\
	      st_ == (int)(want) ? "" : st_str(want));			\
} while (0)

#define CHECK_FILL(p, len, seed, ...) do {				\
	long d_ = diff_fill((p), (len), (seed));			\
	char what_[160];						\
									\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	if (d_ < 0)							\
		CHECK(true, "%s: payload verified (%zu bytes)", what_,	\
		      (size_t)(len));					\
	else								\
		CHECK(false, "%s: payload differs at byte %ld", what_, d_); \
} while (0)

#define CHECK_MEM(a, b, len, ...) do {					\
	long d_ = diff_mem((a), (b), (len));				\
	char what_[160];						\
									\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	if (d_ < 0)							\
		CHECK(true, "%s: payload verified (%zu bytes)", what_,	\
		      (size_t)(len));					\
	else								\
		CHECK(false, "%s: payload differs at byte %ld", what_, d_); \
} while (0)

static void check_err_state(struct ibv_qp *qp, const char *what)
{
	int s = qp_state(qp);

	CHECK(s == IBV_QPS_ERR, "%s: QP in error state (state %d)", what, s);
}

/* ==== coherence ======================================================== */

/*
 * Bump allocation of never-touched bytes in a big region: small pieces
 * from the first 15 MiB, each followed by an untouched guard page; big
 * pieces (1 MiB) straddle the 16 MiB boundaries (the implicit MR's chunks).
 */
#define COH_LEN		(96 * MiB)
#define COH_BIG		(1 * MiB)

struct bump {
	uint8_t *base;
	size_t next;
	size_t big;
};

static uint8_t *take(struct bump *b, size_t len, size_t misalign)
{
	size_t off = (b->next + PAGE - 1) & ~(PAGE - 1);

	b->next = off + ((len + misalign + PAGE - 1) & ~(PAGE - 1)) + PAGE;
	if (b->next > 15 * MiB) {
		fprintf(stderr, "odp_test: bump allocator exhausted\n");
		exit(2);
	}
	return b->base + off + misalign;
}

static uint8_t *take_big(struct bump *b)
{
	b->big += 16 * MiB;
	if (b->big + COH_BIG > COH_LEN) {
		fprintf(stderr, "odp_test: big allocator exhausted\n");
		exit(2);
	}
	return b->base + b->big - COH_BIG / 2;
}

struct coh_cfg {
	const char *name;
	enum kind lk, rk;	/* local (requester) and remote MR */
	bool nohuge;		/* MADV_NOHUGEPAGE on both buffers */
};

static void coh_run(const struct coh_cfg *c)
{
	struct bump la = {}, rb = {};
	struct mreg lm, rm;
	struct pair p, u;
	struct ibv_wc rwc;
	uint32_t rlen;
	int st, rst;
	char tag[64];

	la.base = map_region(COH_LEN, 16 * MiB, 0);
	rb.base = map_region(COH_LEN, 16 * MiB, 0);
	if (!la.base || !rb.base) {
		CHECK(false, "%s: mmap: %s", c->name, strerror(errno));
		return;
	}
	if (c->nohuge) {
		madvise(la.base, COH_LEN, MADV_NOHUGEPAGE);
		madvise(rb.base, COH_LEN, MADV_NOHUGEPAGE);
	}
	st = mreg_init(&lm, la.base, COH_LEN, c->lk, 0);
	CHECK(!st, "%s: register local %s MR: %s", c->name, kind_name[c->lk],
	      st ? strerror(errno) : "ok");
	rst = mreg_init(&rm, rb.base, COH_LEN, c->rk, 0);
	CHECK(!rst, "%s: register remote %s MR: %s", c->name, kind_name[c->rk],
	      rst ? strerror(errno) : "ok");
	if (st || rst || !new_pair(&p, false))
		goto out_mr;

	/* SEND/RECV: CPU-written source, never-touched receive buffer */
	{
		static const size_t sizes[] = { 1, PAGE + 100, COH_BIG };

		for (int i = 0; i < 3; i++) {
			size_t len = sizes[i];
			bool big = len == COH_BIG;
			uint8_t *src = big ? take_big(&la) : take(&la, len, 100 * i);
			uint8_t *dst = big ? take_big(&rb) : take(&rb, len, 37 * i);

			snprintf(tag, sizeof(tag), "%s: SEND %zu", c->name, len);
			fill(src, len, 10 + i);
			st = do_send(&p, src, len, lm.key, dst, len + 64, rm.key,
				     &rst, &rlen, NULL);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s sender", tag);
			CHECK(rst == IBV_WC_SUCCESS && rlen == len,
			      "%s receiver: %s, %u bytes", tag, st_str(rst), rlen);
			CHECK_FILL(dst, len, 10 + i, "%s to an untouched buffer", tag);
			CHECK(big || is_zero(dst + len, 64),
			      "%s: nothing written past the message", tag);
		}
		/* never-touched source: zeros arrive */
		uint8_t *src = take(&la, 64 * KiB, 0);
		uint8_t *dst = take(&rb, 64 * KiB, 0);

		memset(dst, 0xee, 64 * KiB);
		st = do_send(&p, src, 64 * KiB, lm.key, dst, 64 * KiB, rm.key,
			     &rst, &rlen, NULL);
		CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS,
		      "%s: SEND from an untouched buffer: %s/%s", c->name,
		      st_str(st), st_str(rst));
		CHECK(is_zero(dst, 64 * KiB), "%s: SEND from an untouched buffer: zeros received",
		      c->name);
	}

	/* RDMA WRITE, and the CPU changing both sides afterwards */
	{
		static const size_t sizes[] = { 1, PAGE + 100, COH_BIG };

		for (int i = 0; i < 3; i++) {
			size_t len = sizes[i];
			bool big = len == COH_BIG;
			uint8_t *src = big ? take_big(&la) : take(&la, len, 200 + i);
			uint8_t *dst = big ? take_big(&rb) : take(&rb, len, 3000 + i);
			uint8_t *back = big ? take_big(&la) : take(&la, len, 5);

			snprintf(tag, sizeof(tag), "%s: WRITE %zu", c->name, len);
			fill(src, len, 20 + i);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, src, len, lm.key, dst, rm.rkey);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s", tag);
			CHECK_FILL(dst, len, 20 + i, "%s to untouched memory, CPU reads", tag);
			CHECK(big || is_zero(dst + len, 64), "%s: nothing written past it", tag);

			/* CPU rewrites the target: RDMA READ sees it */
			fill(dst, len, 30 + i);
			st = do_rw(&p, IBV_WR_RDMA_READ, back, len, lm.key, dst, rm.rkey);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s: READ back", tag);
			CHECK_FILL(back, len, 30 + i, "%s: CPU rewrote the target, READ", tag);
			/* CPU rewrites the source: the next WRITE carries it */
			fill(src, len, 40 + i);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, src, len, lm.key, dst, rm.rkey);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s again", tag);
			CHECK_FILL(dst, len, 40 + i, "%s: CPU rewrote the source, WRITE", tag);
		}
	}

	/* RDMA WRITE WITH IMMEDIATE */
	{
		for (int i = 0; i < 2; i++) {
			size_t len = i ? COH_BIG : 64 * KiB + 3;
			uint8_t *src = i ? take_big(&la) : take(&la, len, 0);
			uint8_t *dst = i ? take_big(&rb) : take(&rb, len, 1);
			struct ibv_wc w;

			snprintf(tag, sizeof(tag), "%s: WRITE_WITH_IMM %zu", c->name, len);
			fill(src, len, 50 + i);
			st = do_write_imm(&p, src, len, lm.key, dst, rm.rkey, &w);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s", tag);
			CHECK((int)w.status == IBV_WC_SUCCESS &&
			      w.opcode == IBV_WC_RECV_RDMA_WITH_IMM &&
			      (w.wc_flags & IBV_WC_WITH_IMM) &&
			      be32toh(w.imm_data) == 0xabcd0123 && w.byte_len == len,
			      "%s: receiver %s, opcode %d, %u bytes", tag,
			      st_str(w.status), w.opcode, w.byte_len);
			CHECK_FILL(dst, len, 50 + i, "%s to untouched memory, CPU reads", tag);
		}
	}

	/* RDMA READ: CPU-written remote, never-touched local target */
	{
		static const size_t sizes[] = { 1, PAGE + 100, COH_BIG };

		for (int i = 0; i < 3; i++) {
			size_t len = sizes[i];
			bool big = len == COH_BIG;
			uint8_t *src = big ? take_big(&rb) : take(&rb, len, 11 + i);
			uint8_t *dst = big ? take_big(&la) : take(&la, len, 300 + i);

			snprintf(tag, sizeof(tag), "%s: READ %zu", c->name, len);
			fill(src, len, 60 + i);
			st = do_rw(&p, IBV_WR_RDMA_READ, dst, len, lm.key, src, rm.rkey);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s", tag);
			CHECK_FILL(dst, len, 60 + i, "%s into untouched memory, CPU reads", tag);
			CHECK(big || is_zero(dst + len, 64), "%s: nothing written past it", tag);
		}
		uint8_t *src = take(&rb, 64 * KiB, 0);
		uint8_t *dst = take(&la, 64 * KiB, 0);

		memset(dst, 0xee, 64 * KiB);
		st = do_rw(&p, IBV_WR_RDMA_READ, dst, 64 * KiB, lm.key, src, rm.rkey);
		CHECK_ST(st, IBV_WC_SUCCESS, "%s: READ of untouched memory", c->name);
		CHECK(is_zero(dst, 64 * KiB), "%s: READ of untouched memory returns zeros",
		      c->name);
	}

	/* atomics on never-touched words, then on CPU-changed ones */
	{
		uint64_t *w = (uint64_t *)take(&rb, 8, 64);
		uint64_t *res = (uint64_t *)take(&la, 8, 128);
		bool ok = true;

		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, res, lm.key, w,
			       rm.rkey, 5, 0);
		CHECK(st == IBV_WC_SUCCESS && *res == 0 && *w == 5,
		      "%s: FETCH_ADD on an untouched word: %s, orig %" PRIu64 " now %" PRIu64,
		      c->name, st_str(st), *res, *w);
		*w = 0x1122334455667788ULL;
		st = do_atomic(&p, IBV_WR_ATOMIC_CMP_AND_SWP, res, lm.key, w,
			       rm.rkey, 0x1122334455667788ULL, 0xfeedULL);
		CHECK(st == IBV_WC_SUCCESS && *res == 0x1122334455667788ULL &&
		      *w == 0xfeed, "%s: CMP_SWP sees the CPU's value: %s, orig %#" PRIx64
		      " now %#" PRIx64, c->name, st_str(st), *res, *w);
		st = do_atomic(&p, IBV_WR_ATOMIC_CMP_AND_SWP, res, lm.key, w,
			       rm.rkey, 1, 2);
		CHECK(st == IBV_WC_SUCCESS && *res == 0xfeed && *w == 0xfeed,
		      "%s: CMP_SWP mismatch leaves the word: %s", c->name, st_str(st));
		res = (uint64_t *)take(&la, 8, 0);
		w = (uint64_t *)take(&rb, 8, 8);
		st = do_atomic(&p, IBV_WR_ATOMIC_CMP_AND_SWP, res, lm.key, w,
			       rm.rkey, 0, 77);
		CHECK(st == IBV_WC_SUCCESS && *res == 0 && *w == 77,
		      "%s: CMP_SWP on an untouched word: %s", c->name, st_str(st));
		for (int i = 0; i < 20 && ok; i++) {
			uint64_t v = 0x0101010101010101ULL * (i + 3) + i;

			*w = v;
			*res = 0xdead;
			st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, res, lm.key,
				       w, rm.rkey, i, 0);
			ok = st == IBV_WC_SUCCESS && *res == v && *w == v + i;
		}
		CHECK(ok, "%s: 20 FETCH_ADDs on a word the CPU rewrites each time", c->name);
	}

	/* CPU and device taking turns on the same pages */
	{
		uint8_t *a = take(&la, 8 * KiB, 123), *b = take(&rb, 8 * KiB, 321);
		bool ok = true;
		int r;
		double end = now() + 30;

		for (r = 0; r < 30 && ok && now() < end; r++) {
			fill(a, 8 * KiB, 1000 + r);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, a, 8 * KiB, lm.key, b, rm.rkey);
			ok = st == IBV_WC_SUCCESS && diff_fill(b, 8 * KiB, 1000 + r) < 0;
			if (!ok)
				break;
			fill(b, 8 * KiB, 2000 + r);
			st = do_rw(&p, IBV_WR_RDMA_READ, a, 8 * KiB, lm.key, b, rm.rkey);
			ok = st == IBV_WC_SUCCESS && diff_fill(a, 8 * KiB, 2000 + r) < 0;
		}
		CHECK(ok && r == 30, "%s: 30 rounds of CPU write / RDMA WRITE / CPU write / RDMA READ on the same pages (round %d: %s)",
		      c->name, r, st_str(st));
	}
	pair_destroy(&p);

	/* UD SEND/RECV */
	if (new_pair(&u, true)) {
		struct ibv_port_attr pa;
		size_t mtu = 1024;

		if (!ibv_query_port(ctx, 1, &pa))
			mtu = 128u << pa.active_mtu;
		for (int i = 0; i < 3; i++) {
			size_t len = i == 0 ? 1 : i == 1 ? mtu / 2 + 7 : mtu;
			uint8_t *src = take(&la, len, PAGE - 20);
			uint8_t *dst = take(&rb, len + 40, PAGE - 40 - i);

			snprintf(tag, sizeof(tag), "%s: UD SEND %zu", c->name, len);
			if (i < 2)
				fill(src, len, 70 + i);
			st = do_send(&u, src, len, lm.key, dst, len + 40, rm.key,
				     &rst, &rlen, &rwc);
			CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
			      rlen == len + 40, "%s: %s/%s, %u bytes", tag,
			      st_str(st), st_str(rst), rlen);
			if (i < 2)
				CHECK_FILL(dst + 40, len, 70 + i, "%s across a page, untouched buffers", tag);
			else
				CHECK(is_zero(dst + 40, len), "%s from an untouched buffer: zeros", tag);
		}
		pair_destroy(&u);
	}
out_mr:
	mreg_fini(&lm);
	mreg_fini(&rm);
	munmap(la.base, COH_LEN);
	munmap(rb.base, COH_LEN);
}

static void t_coherence(void)
{
	static const struct coh_cfg cfgs[] = {
		{ "explicit", K_EXPLICIT, K_EXPLICIT, true },
		{ "explicit-thp", K_EXPLICIT, K_EXPLICIT, false },
		{ "implicit", K_IMPLICIT, K_IMPLICIT, false },
		{ "implicit-to-explicit", K_IMPLICIT, K_EXPLICIT, true },
		{ "explicit-to-implicit", K_EXPLICIT, K_IMPLICIT, true },
		{ "pinned-to-explicit", K_PINNED, K_EXPLICIT, true },
		{ "explicit-to-pinned", K_EXPLICIT, K_PINNED, true },
	};
	long long f0 = counter("odp_faults");

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		coh_run(&cfgs[i]);
	CHECK(counter("odp_faults") > f0, "odp_faults counter moved (%lld -> %lld)",
	      f0, counter("odp_faults"));
}

/* ==== registration footprint =========================================== */

static int cap_ipc_lock(bool on)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	if (on)
		data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective |= CAP_TO_MASK(CAP_IPC_LOCK);
	else
		data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data);
}

struct vmstat {
	long rss, lck, pin;
};

static struct vmstat vmstat(void)
{
	struct vmstat s = { status_kb("VmRSS"), status_kb("VmLck"), status_kb("VmPin") };

	return s;
}

/*
 * The part with RLIMIT_MEMLOCK 0 and without CAP_IPC_LOCK (root passes any
 * memlock limit with it) runs in a child that drops the capability before
 * it opens the device: uverbs refuses write() commands from a process
 * whose credentials changed after it opened the file (ib_safe_file_access).
 */
static void footprint_child(void)
{
	const size_t size = 1 * GiB;
	struct rlimit zero = { 0, 0 };
	struct vmstat s0, s1, s2;
	struct ibv_mr *mr, *imr, *pmr, *lmr;
	uint8_t *big, *loc;
	struct pair p;
	double t0, t_odp;
	int st;

	CHECK(!setrlimit(RLIMIT_MEMLOCK, &zero), "RLIMIT_MEMLOCK set to 0");
	st = cap_ipc_lock(false);
	CHECK(!st, "CAP_IPC_LOCK dropped: %s", st ? strerror(errno) : "ok");
	ctx = test_open_device("odp_test", dev_name);
	pd = ibv_alloc_pd(ctx);
	implicit_mr = NULL;
	if (!pd) {
		CHECK(false, "alloc_pd in the child: %s", strerror(errno));
		return;
	}

	big = map_region(size, 2 * MiB, 0);
	loc = map_region(4 * MiB, 2 * MiB, 0);
	if (!big || !loc) {
		CHECK(false, "mmap 1 GiB (MAP_NORESERVE): %s", strerror(errno));
		return;
	}
	s0 = vmstat();
	t0 = now();
	mr = ibv_reg_mr(pd, big, size, ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
	t_odp = now() - t0;
	s1 = vmstat();
	CHECK(mr, "register 1 GiB ODP with RLIMIT_MEMLOCK 0: %s",
	      mr ? "ok" : strerror(errno));
	note("1 GiB ODP registration took %.3f ms", t_odp * 1e3);
	note("VmRSS %ld -> %ld kB, VmLck %ld -> %ld kB, VmPin %ld -> %ld kB",
	     s0.rss, s1.rss, s0.lck, s1.lck, s0.pin, s1.pin);
	CHECK(s1.rss - s0.rss < 1024, "1 GiB ODP registration grew VmRSS by %ld kB (< 1024)",
	      s1.rss - s0.rss);
	CHECK(s1.lck == s0.lck, "VmLck unchanged (%ld kB)", s1.lck);
	CHECK(s1.pin == s0.pin, "VmPin unchanged (%ld kB)", s1.pin);

	imr = ibv_reg_mr(pd, NULL, SIZE_MAX, ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
	CHECK(imr, "register implicit ODP with RLIMIT_MEMLOCK 0: %s",
	      imr ? "ok" : strerror(errno));
	lmr = ibv_reg_mr(pd, loc, 4 * MiB, ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
	CHECK(lmr, "register 4 MiB ODP: %s", lmr ? "ok" : strerror(errno));

	/* it works, with memlock 0, and only what is touched becomes resident */
	if (mr && imr && lmr && new_pair(&p, false)) {
		uint8_t *target = big + 512 * MiB + 3 * PAGE + 123;

		fill(loc, 64 * KiB, 7);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, loc, 64 * KiB, lmr->lkey, target,
			   mr->rkey);
		CHECK_ST(st, IBV_WC_SUCCESS, "RDMA WRITE 64 KiB into the middle of the 1 GiB MR");
		st = do_rw(&p, IBV_WR_RDMA_READ, loc + MiB, 64 * KiB, imr->lkey,
			   target, mr->rkey);
		CHECK_ST(st, IBV_WC_SUCCESS, "RDMA READ it back (implicit MR as local key)");
		CHECK_FILL(target, 64 * KiB, 7, "the CPU sees the WRITE");
		CHECK_FILL(loc + MiB, 64 * KiB, 7, "the READ");
		s2 = vmstat();
		note("after traffic: VmRSS %ld kB, VmPin %ld kB", s2.rss, s2.pin);
		/* 64 KiB + 64 KiB, possibly two transparent huge pages */
		CHECK(s2.rss - s1.rss < 6 * 1024,
		      "VmRSS grew by %ld kB (< 6144: only the touched pages)",
		      s2.rss - s1.rss);
		CHECK(s2.pin == s0.pin && s2.lck == s0.lck, "still nothing pinned or locked");
		pair_destroy(&p);
	}

	/* the same pinned, for comparison */
	s1 = vmstat();
	pmr = ibv_reg_mr(pd, big, size, ACCESS_ALL);
	CHECK(!pmr, "register 1 GiB pinned with RLIMIT_MEMLOCK 0 fails: %s",
	      pmr ? "it succeeded" : strerror(errno));
	if (pmr)
		ibv_dereg_mr(pmr);
	pmr = ibv_reg_mr(pd, loc + 2 * MiB, 64 * KiB, ACCESS_ALL);
	CHECK(!pmr, "even 64 KiB pinned fails with RLIMIT_MEMLOCK 0: %s",
	      pmr ? "it succeeded" : strerror(errno));
	if (pmr)
		ibv_dereg_mr(pmr);
	s2 = vmstat();
	CHECK(s2.pin == s1.pin && s2.rss - s1.rss < 1024,
	      "failed pinning left VmPin (%ld kB) and VmRSS (+%ld kB) alone",
	      s2.pin, s2.rss - s1.rss);
	if (mr) {
		t0 = now();
		ibv_dereg_mr(mr);
		note("deregistering it took %.3f ms", (now() - t0) * 1e3);
	}
	if (imr)
		ibv_dereg_mr(imr);
	if (lmr)
		ibv_dereg_mr(lmr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

/* Run @fn in a child process; its checks add to ours. */
static void run_in_child(void (*fn)(void))
{
	int fds[2], counts[3] = { 0, 0, 0 }, status = 0;
	pid_t pid;

	if (pipe(fds)) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		CHECK(false, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		int p0 = passed, f0 = failed, s0 = skipped;

		close(fds[0]);
		alarm(300);
		fn();
		counts[0] = passed - p0;
		counts[1] = failed - f0;
		counts[2] = skipped - s0;
		fflush(stdout);
		_exit(write(fds[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 3);
	}
	close(fds[1]);
	if (read(fds[0], counts, sizeof(counts)) != sizeof(counts))
		memset(counts, 0, sizeof(counts));
	close(fds[0]);
	waitpid(pid, &status, 0);
	passed += counts[0];
	failed += counts[1];
	skipped += counts[2];
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child finished (status %#x)", status);
}

static void t_footprint(void)
{
	struct vmstat s1, s2;
	struct ibv_mr *pmr;
	uint8_t *pin;
	double t0, t_pin;

	run_in_child(footprint_child);

	/* pinned, with the limit the parent has (root): VmPin shows it */
	pin = map_region(16 * MiB, 2 * MiB, 0);
	if (!pin) {
		CHECK(false, "mmap: %s", strerror(errno));
		return;
	}
	s1 = vmstat();
	t0 = now();
	pmr = ibv_reg_mr(pd, pin, 16 * MiB, ACCESS_ALL);
	t_pin = now() - t0;
	s2 = vmstat();
	CHECK(pmr, "16 MiB pinned registers with the normal limit: %s",
	      pmr ? "ok" : strerror(errno));
	note("16 MiB pinned registration took %.3f ms: VmPin %ld -> %ld kB, VmRSS %ld -> %ld kB",
	     t_pin * 1e3, s1.pin, s2.pin, s1.rss, s2.rss);
	CHECK(s2.pin - s1.pin == 16 * 1024, "pinned: VmPin grew by 16384 kB (%ld)",
	      s2.pin - s1.pin);
	CHECK(s2.rss - s1.rss >= 16 * 1024 - 64, "pinned: VmRSS grew by the 16 MiB (%ld kB)",
	      s2.rss - s1.rss);
	if (pmr) {
		ibv_dereg_mr(pmr);
		CHECK(status_kb("VmPin") == s1.pin, "VmPin back after dereg (%ld kB)",
		      status_kb("VmPin"));
	}
	munmap(pin, 16 * MiB);
}

/* ==== MADV_DONTNEED ==================================================== */

static void dontneed_run(enum kind k, bool thp)
{
	const size_t len = 4 * MiB, msg = 1 * MiB;
	const size_t hole = 64 * KiB, hlen = 128 * KiB;
	uint8_t *R, *L, *exp, *Z;
	struct mreg rm, lm;
	struct pair p;
	long long inv0, pg0, inv1, pg1;
	int st, rst;
	uint32_t rlen;
	char name[32];

	snprintf(name, sizeof(name), "%s%s", kind_name[k], thp ? "-thp" : "");
	R = map_region(len, 2 * MiB, 0);
	L = map_region(len, 2 * MiB, 0);
	exp = malloc(msg);
	if (!R || !L || !exp) {
		CHECK(false, "%s: allocate: %s", name, strerror(errno));
		return;
	}
	if (!thp) {
		madvise(R, len, MADV_NOHUGEPAGE);
		madvise(L, len, MADV_NOHUGEPAGE);
	}
	if (mreg_init(&rm, R, len, k, 0) || mreg_init(&lm, L, len, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}
	if (!new_pair(&p, false))
		goto out;

	fill(R, msg, 1);
	st = do_rw(&p, IBV_WR_RDMA_READ, L, msg, lm.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L, msg, 1) < 0,
	      "%s: READ 1 MiB of CPU-written memory: %s", name, st_str(st));

	inv0 = counter("odp_inv_clear");
	pg0 = counter("odp_pages_invalidated");
	CHECK(!madvise(R + hole, hlen, MADV_DONTNEED), "%s: MADV_DONTNEED 128 KiB of it", name);
	inv1 = counter("odp_inv_clear");
	pg1 = counter("odp_pages_invalidated");
	CHECK(inv1 > inv0 && pg1 - pg0 >= (long long)(hlen / PAGE),
	      "%s: invalidation counted: odp_inv_clear +%lld, odp_pages_invalidated +%lld",
	      name, inv1 - inv0, pg1 - pg0);

	fill(exp, msg, 1);
	memset(exp + hole, 0, hlen);
	memset(L + MiB, 0xee, msg);
	st = do_rw(&p, IBV_WR_RDMA_READ, L + MiB, msg, lm.key, R, rm.rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "%s: READ after DONTNEED", name);
	CHECK_MEM(L + MiB, exp, msg, "%s: READ returns zeros in the dropped range, data around it", name);

	/* WRITE into the dropped range (and its edges): lands in the new pages */
	fill(L + 2 * MiB, hlen + 200, 2);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L + 2 * MiB, hlen + 200, lm.key,
		   R + hole - 100, rm.rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "%s: WRITE over the dropped range", name);
	memcpy(exp + hole - 100, L + 2 * MiB, hlen + 200);
	CHECK_MEM(R, exp, msg, "%s: the CPU sees the WRITE in the new pages", name);
	st = do_rw(&p, IBV_WR_RDMA_READ, L + MiB, msg, lm.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_mem(L + MiB, exp, msg) < 0,
	      "%s: and READ sees it too: %s", name, st_str(st));

	/* dropped, then read by the CPU (the shared zero page), then WRITE */
	CHECK(!madvise(R + hole, hlen, MADV_DONTNEED), "%s: DONTNEED again", name);
	CHECK(is_zero(R + hole, hlen), "%s: the CPU reads zeros (zero page mapped)", name);
	memset(L + MiB, 0xee, hlen);
	st = do_rw(&p, IBV_WR_RDMA_READ, L + MiB, hlen, lm.key, R + hole, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && is_zero(L + MiB, hlen),
	      "%s: READ of zero-page-backed memory returns zeros: %s", name, st_str(st));
	fill(L + 2 * MiB, hlen, 3);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L + 2 * MiB, hlen, lm.key, R + hole, rm.rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "%s: WRITE over zero-page-backed memory", name);
	CHECK_FILL(R + hole, hlen, 3, "%s: the CPU sees the WRITE (COW of the zero page)", name);
	Z = map_region(64 * KiB, PAGE, 0);
	CHECK(Z && is_zero(Z, 64 * KiB), "%s: the shared zero page is still zero", name);
	if (Z)
		munmap(Z, 64 * KiB);

	/* local side: dropped send source and READ target */
	{
		uint8_t *src = L + 3 * MiB, *dst = R + 2 * MiB;

		fill(src, 64 * KiB, 4);
		st = do_send(&p, src, 64 * KiB, lm.key, dst, 64 * KiB, rm.key,
			     &rst, &rlen, NULL);
		CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
		      diff_fill(dst, 64 * KiB, 4) < 0, "%s: SEND of CPU data: %s/%s",
		      name, st_str(st), st_str(rst));
		madvise(src, 64 * KiB, MADV_DONTNEED);
		st = do_send(&p, src, 64 * KiB, lm.key, dst, 64 * KiB, rm.key,
			     &rst, &rlen, NULL);
		CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
		      is_zero(dst, 64 * KiB),
		      "%s: SEND from a dropped local range sends zeros: %s/%s",
		      name, st_str(st), st_str(rst));

		fill(R + 3 * MiB, 64 * KiB, 5);
		st = do_rw(&p, IBV_WR_RDMA_READ, src, 64 * KiB, lm.key,
			   R + 3 * MiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(src, 64 * KiB, 5) < 0,
		      "%s: READ into the dropped local range: %s", name, st_str(st));
		madvise(src, 64 * KiB, MADV_DONTNEED);
		fill(R + 3 * MiB, 64 * KiB, 6);
		st = do_rw(&p, IBV_WR_RDMA_READ, src, 64 * KiB, lm.key,
			   R + 3 * MiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(src, 64 * KiB, 6) < 0,
		      "%s: READ into a range dropped after the device mapped it: %s",
		      name, st_str(st));
	}

	/* atomics on a dropped word */
	{
		uint64_t *w = (uint64_t *)(R + 2 * MiB + 512 * KiB);
		uint64_t *res = (uint64_t *)(L + 3 * MiB + 512 * KiB);

		*w = 77;
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, res, lm.key, w,
			       rm.rkey, 1, 0);
		CHECK(st == IBV_WC_SUCCESS && *res == 77 && *w == 78,
		      "%s: FETCH_ADD: %s", name, st_str(st));
		madvise((void *)w, PAGE, MADV_DONTNEED);
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, res, lm.key, w,
			       rm.rkey, 1, 0);
		CHECK(st == IBV_WC_SUCCESS && *res == 0 && *w == 1,
		      "%s: FETCH_ADD on a dropped word sees 0: %s, orig %" PRIu64
		      " now %" PRIu64, name, st_str(st), *res, *w);
	}
	pair_destroy(&p);
out:
	mreg_fini(&rm);
	mreg_fini(&lm);
	munmap(R, len);
	munmap(L, len);
	free(exp);
}

static void t_dontneed(void)
{
	dontneed_run(K_EXPLICIT, false);
	dontneed_run(K_EXPLICIT, true);
	dontneed_run(K_IMPLICIT, false);
	dontneed_run(K_IMPLICIT, true);
}

/* ==== munmap =========================================================== */

struct mu_traffic {
	struct pair *p;
	uint8_t *L, *L2, *R;
	uint32_t lkey, rkey;
	double secs;
	atomic_int iters;
	int bad_payload;
	int err_status, err_op;
	bool timed_out;
};

static void *mu_traffic_fn(void *arg)
{
	struct mu_traffic *t = arg;
	double end = now() + t->secs;
	const uint32_t len = 256 * KiB;
	int i, st;

	for (i = 0; i < 1000000 && now() < end; i++) {
		size_t off = (size_t)(i % 32) * len;

		fill(t->L, len, 100 + i);
		st = do_rw(t->p, IBV_WR_RDMA_WRITE, t->L, len, t->lkey, t->R + off, t->rkey);
		if (st != IBV_WC_SUCCESS) {
			t->err_status = st;
			t->err_op = IBV_WR_RDMA_WRITE;
			break;
		}
		memset(t->L2, 0, len);
		st = do_rw(t->p, IBV_WR_RDMA_READ, t->L2, len, t->lkey, t->R + off, t->rkey);
		if (st != IBV_WC_SUCCESS) {
			t->err_status = st;
			t->err_op = IBV_WR_RDMA_READ;
			break;
		}
		if (diff_mem(t->L, t->L2, len) >= 0)
			t->bad_payload++;
		atomic_fetch_add(&t->iters, 1);
	}
	if (!t->err_status && now() >= end)
		t->timed_out = true;
	return NULL;
}

static void munmap_run(enum kind k)
{
	const size_t rlen = 16 * MiB, llen = 1 * MiB;
	uint8_t *R, *L, *L2, *V;
	struct mreg rm, lm, l2m, vm;
	struct pair p;
	struct ibv_wc rwc;
	int st, rst;
	uint32_t n;
	long long un0;
	const char *name = kind_name[k];

	/* R: the remote range that goes away, a whole 16 MiB chunk */
	R = map_region(rlen, 16 * MiB, 0);
	L = map_region(llen, 2 * MiB, 0);
	L2 = map_region(llen, 2 * MiB, 0);
	V = map_region(llen, 2 * MiB, 0);
	if (!R || !L || !L2 || !V) {
		CHECK(false, "%s: mmap: %s", name, strerror(errno));
		return;
	}
	if (mreg_init(&rm, R, rlen, k, 0) || mreg_init(&lm, L, llen, k, 0) ||
	    mreg_init(&l2m, L2, llen, k, 0) || mreg_init(&vm, V, llen, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}

	if (!new_pair(&p, false))
		goto out;
	fill(L, 256 * KiB, 1);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 256 * KiB, lm.key, R + MiB, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R + MiB, 256 * KiB, 1) < 0,
	      "%s: WRITE before munmap: %s", name, st_str(st));
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, 256 * KiB, l2m.key, R + MiB, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, 256 * KiB, 1) < 0,
	      "%s: READ before munmap: %s", name, st_str(st));
	pair_destroy(&p);

	un0 = counter("odp_inv_unmap");
	CHECK(!munmap(R, rlen), "%s: munmap the remote range (16 MiB)", name);
	CHECK(counter("odp_inv_unmap") > un0, "%s: odp_inv_unmap counted (%lld -> %lld)",
	      name, un0, counter("odp_inv_unmap"));

	/* remote accesses: REM_ACCESS_ERR at the requester, QP in error */
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 4096, lm.key, R + MiB, rm.rkey);
		CHECK_ST(st, IBV_WC_REM_ACCESS_ERR, "%s: WRITE to the unmapped range", name);
		check_err_state(p.qp[0], "after the failed WRITE");
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, 4096, l2m.key, R + MiB, rm.rkey);
		CHECK_ST(st, IBV_WC_REM_ACCESS_ERR, "%s: READ of the unmapped range", name);
		check_err_state(p.qp[0], "after the failed READ");
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key,
			       R + MiB, rm.rkey, 1, 0);
		CHECK_ST(st, IBV_WC_REM_ACCESS_ERR, "%s: FETCH_ADD on the unmapped range", name);
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		/* the receive buffer is gone: the receiver's local protection */
		st = do_send(&p, L, 4096, lm.key, R + MiB, 4096, rm.key, &rst, &n, NULL);
		CHECK(st == IBV_WC_REM_OP_ERR || st == IBV_WC_REM_ACCESS_ERR,
		      "%s: SEND into an unmapped receive buffer: sender %s (want remote operation or access error)",
		      name, st_str(st));
		CHECK_ST(rst, IBV_WC_LOC_PROT_ERR, "%s: ... receiver", name);
		pair_destroy(&p);
	}

	/* local SGEs in an unmapped range: local protection error */
	CHECK(!munmap(L2, llen), "%s: munmap a local range", name);
	fill(V, 64 * KiB, 2);
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, 4096, l2m.key, V, vm.rkey);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: READ into an unmapped local range", name);
		check_err_state(p.qp[0], "after the failed local READ target");
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L2, 4096, l2m.key, V, vm.rkey);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: WRITE from an unmapped local range", name);
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_send(&p, L2, 4096, l2m.key, V, 4096, vm.key, &rst, &n, NULL);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: SEND from an unmapped local range", name);
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key, V,
			       vm.rkey, 1, 0);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: FETCH_ADD result into an unmapped range", name);
		pair_destroy(&p);
	}

	/* mapped again at the same addresses: the same MRs work again */
	CHECK(remap_fixed(R, rlen) && remap_fixed(L2, llen),
	      "%s: mmap MAP_FIXED at the same addresses", name);
	if (new_pair(&p, false)) {
		fill(L, 256 * KiB, 3);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 256 * KiB, lm.key, R + MiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(R + MiB, 256 * KiB, 3) < 0,
		      "%s: WRITE to the new mapping, same MR: %s", name, st_str(st));
		fill(R + 5 * MiB, 256 * KiB, 4);
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, 256 * KiB, l2m.key, R + 5 * MiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, 256 * KiB, 4) < 0,
		      "%s: READ of the new mapping into the new local mapping: %s",
		      name, st_str(st));
		fill(L2, 8 * KiB, 5);
		st = do_send(&p, L2, 8 * KiB, l2m.key, R + 9 * MiB, 8 * KiB, rm.key,
			     &rst, &n, &rwc);
		CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
		      diff_fill(R + 9 * MiB, 8 * KiB, 5) < 0,
		      "%s: SEND between the new mappings: %s/%s", name, st_str(st),
		      st_str(rst));
		*(uint64_t *)(R + 15 * MiB) = 10;
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key,
			       R + 15 * MiB, rm.rkey, 5, 0);
		CHECK(st == IBV_WC_SUCCESS && *(uint64_t *)L2 == 10 &&
		      *(uint64_t *)(R + 15 * MiB) == 15,
		      "%s: FETCH_ADD on the new mapping: %s", name, st_str(st));
		pair_destroy(&p);
	}

	/* munmap while traffic runs */
	if (new_pair(&p, false)) {
		struct mu_traffic t = {
			.p = &p, .L = L, .L2 = L2, .R = R, .lkey = lm.key,
			.rkey = rm.rkey, .secs = 60,
		};
		pthread_t th;
		double end = now() + 30;
		int it;

		/* both local buffers in L, under one key */
		t.L2 = L + 512 * KiB;
		pthread_create(&th, NULL, mu_traffic_fn, &t);
		while (atomic_load(&t.iters) < 3 && now() < end && !t.err_status)
			usleep(1000);
		usleep(20000);
		it = atomic_load(&t.iters);
		CHECK(!munmap(R, rlen), "%s: munmap during traffic, after %d rounds", name, it);
		pthread_join(th, NULL);
		CHECK(it >= 3 && t.bad_payload == 0,
		      "%s: traffic before the munmap: %d rounds, %d bad payloads",
		      name, atomic_load(&t.iters), t.bad_payload);
		CHECK(!t.timed_out && t.err_status == IBV_WC_REM_ACCESS_ERR,
		      "%s: traffic stopped with %s on %s", name,
		      t.timed_out ? "nothing (timed out)" : st_str(t.err_status),
		      t.err_op == IBV_WR_RDMA_WRITE ? "WRITE" : "READ");
		check_err_state(p.qp[0], "after munmap under traffic");
		pair_destroy(&p);
	}
	CHECK(remap_fixed(R, rlen), "%s: mmap again after the traffic", name);
	if (new_pair(&p, false)) {
		fill(L, 256 * KiB, 6);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 256 * KiB, lm.key, R + 2 * MiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(R + 2 * MiB, 256 * KiB, 6) < 0,
		      "%s: WRITE works again with new QPs: %s", name, st_str(st));
		pair_destroy(&p);
	}
out:
	mreg_fini(&rm);
	mreg_fini(&lm);
	mreg_fini(&l2m);
	mreg_fini(&vm);
	munmap(R, rlen);
	munmap(L, llen);
	munmap(L2, llen);
	munmap(V, llen);
}

static void t_munmap(void)
{
	munmap_run(K_EXPLICIT);
	munmap_run(K_IMPLICIT);
}

/* ==== mprotect ========================================================= */

static void mprotect_run(enum kind k)
{
	const size_t len = 2 * MiB;
	uint8_t *R, *L, *L2, *exp;
	struct mreg rm, lm, l2m;
	struct pair p;
	int st, rst;
	uint32_t n;
	long long pv0;
	const char *name = kind_name[k];

	R = map_region(len, 2 * MiB, 0);
	L = map_region(len, 2 * MiB, 0);
	L2 = map_region(len, 2 * MiB, 0);
	exp = malloc(len);
	if (!R || !L || !L2 || !exp) {
		CHECK(false, "%s: allocate: %s", name, strerror(errno));
		return;
	}
	if (mreg_init(&rm, R, len, k, 0) || mreg_init(&lm, L, len, k, 0) ||
	    mreg_init(&l2m, L2, len, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}
	fill(R, len, 1);
	fill(exp, len, 1);

	if (new_pair(&p, false)) {
		fill(L, 64 * KiB, 2);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 64 * KiB, lm.key, R, rm.rkey);
		memcpy(exp, L, 64 * KiB);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(R, exp, len) < 0,
		      "%s: WRITE to read-write memory: %s", name, st_str(st));

		pv0 = counter("odp_inv_protection_vma");
		CHECK(!mprotect(R, len, PROT_READ), "%s: mprotect(PROT_READ) the target", name);
		CHECK(counter("odp_inv_protection_vma") > pv0,
		      "%s: odp_inv_protection_vma counted (%lld -> %lld)", name, pv0,
		      counter("odp_inv_protection_vma"));
		fill(L, 64 * KiB, 3);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 64 * KiB, lm.key, R + PAGE, rm.rkey);
		CHECK_ST(st, IBV_WC_REM_ACCESS_ERR, "%s: WRITE to read-only memory", name);
		check_err_state(p.qp[0], "after the WRITE to read-only memory");
		CHECK_MEM(R, exp, len, "%s: read-only memory unchanged", name);
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, 256 * KiB, l2m.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, exp, 256 * KiB) < 0,
		      "%s: READ of read-only memory works (new QPs): %s", name, st_str(st));
		st = do_send(&p, L, 4096, lm.key, L2 + MiB, 4096, l2m.key, &rst, &n, NULL);
		CHECK(st == IBV_WC_SUCCESS, "%s: SEND still fine: %s", name, st_str(st));
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key, R + 8,
			       rm.rkey, 1, 0);
		CHECK_ST(st, IBV_WC_REM_ACCESS_ERR, "%s: FETCH_ADD on read-only memory", name);
		pair_destroy(&p);
	}
	if (new_pair(&p, false)) {
		/* a receive buffer that is read-only */
		st = do_send(&p, L, 4096, lm.key, R + MiB, 4096, rm.key, &rst, &n, NULL);
		CHECK(st == IBV_WC_REM_OP_ERR || st == IBV_WC_REM_ACCESS_ERR,
		      "%s: SEND into a read-only receive buffer: sender %s", name, st_str(st));
		CHECK_ST(rst, IBV_WC_LOC_PROT_ERR, "%s: ... receiver", name);
		pair_destroy(&p);
	}
	CHECK_MEM(R, exp, len, "%s: read-only memory still unchanged", name);

	CHECK(!mprotect(R, len, PROT_READ | PROT_WRITE), "%s: mprotect back to read-write", name);
	if (new_pair(&p, false)) {
		fill(L, 64 * KiB, 4);
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 64 * KiB, lm.key, R + PAGE, rm.rkey);
		memcpy(exp + PAGE, L, 64 * KiB);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(R, exp, len) < 0,
		      "%s: WRITE works again (new QPs), the CPU sees it: %s", name, st_str(st));
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, len, l2m.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, exp, len) < 0,
		      "%s: READ of all of it: %s", name, st_str(st));
		st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key,
			       R + 2 * PAGE, rm.rkey, 1, 0);
		CHECK(st == IBV_WC_SUCCESS && *(uint64_t *)L2 == *(uint64_t *)(exp + 2 * PAGE) &&
		      *(uint64_t *)(R + 2 * PAGE) == *(uint64_t *)(exp + 2 * PAGE) + 1,
		      "%s: FETCH_ADD works again: %s", name, st_str(st));
		pair_destroy(&p);
	}

	/* local side: read-only source fine, read-only target not */
	CHECK(!mprotect(L, len, PROT_READ), "%s: mprotect(PROT_READ) the local buffer", name);
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 64 * KiB, lm.key, R + 512 * KiB, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(R + 512 * KiB, L, 64 * KiB) < 0,
		      "%s: WRITE from a read-only local buffer: %s", name, st_str(st));
		st = do_send(&p, L, 8 * KiB, lm.key, R + MiB, 8 * KiB, rm.key, &rst, &n, NULL);
		CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
		      diff_mem(R + MiB, L, 8 * KiB) < 0,
		      "%s: SEND from a read-only local buffer: %s/%s", name, st_str(st),
		      st_str(rst));
		st = do_rw(&p, IBV_WR_RDMA_READ, L + 256 * KiB, 4096, lm.key, R, rm.rkey);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: READ into a read-only local buffer", name);
		check_err_state(p.qp[0], "after the READ into read-only memory");
		pair_destroy(&p);
	}
	CHECK(!mprotect(L, len, PROT_NONE), "%s: mprotect(PROT_NONE) the local buffer", name);
	if (new_pair(&p, false)) {
		st = do_send(&p, L, 4096, lm.key, R + MiB, 4096, rm.key, &rst, &n, NULL);
		CHECK_ST(st, IBV_WC_LOC_PROT_ERR, "%s: SEND from an inaccessible local buffer", name);
		pair_destroy(&p);
	}
	CHECK(!mprotect(L, len, PROT_READ | PROT_WRITE), "%s: local buffer read-write again", name);
	if (new_pair(&p, false)) {
		st = do_rw(&p, IBV_WR_RDMA_READ, L + 256 * KiB, 64 * KiB, lm.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(L + 256 * KiB, R, 64 * KiB) < 0,
		      "%s: READ into it works again: %s", name, st_str(st));
		pair_destroy(&p);
	}
	mreg_fini(&rm);
	mreg_fini(&lm);
	mreg_fini(&l2m);
	munmap(R, len);
	munmap(L, len);
	munmap(L2, len);
	free(exp);
}

static void t_mprotect(void)
{
	mprotect_run(K_EXPLICIT);
	mprotect_run(K_IMPLICIT);
}

/* ==== fork ============================================================= */

/* Page ranges of the fork test's 1 MiB buffer (in pages). */
#define FK_P1	0	/* the parent writes after fork (COW break) */
#define FK_P2	16	/* the device writes after fork */
#define FK_P3	32	/* nobody writes; the device reads */
#define FK_P4	48	/* FETCH_ADD word */
#define FK_P5	64	/* the child writes its copy first */
#define FK_N	16

static int child_wait_byte(int fd, double secs)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	if (poll(&pfd, 1, (int)(secs * 1000)) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

static void fork_run(enum kind k)
{
	const size_t len = 1 * MiB;
	uint8_t *R, *L, *L2, *A;
	struct mreg rm, lm, l2m;
	struct pair p;
	int to_child[2], to_parent[2], st, status = -1;
	long long pp0, wr0;
	pid_t pid;
	const char *name = kind_name[k];
	uint64_t v;

	R = map_region(len, 2 * MiB, 0);
	L = map_region(len, 2 * MiB, 0);
	L2 = map_region(len, 2 * MiB, 0);
	A = malloc(len);
	if (!R || !L || !L2 || !A) {
		CHECK(false, "%s: allocate: %s", name, strerror(errno));
		return;
	}
	if (k == K_EXPLICIT)
		madvise(R, len, MADV_NOHUGEPAGE);
	if (mreg_init(&rm, R, len, k, 0) || mreg_init(&lm, L, len, k, 0) ||
	    mreg_init(&l2m, L2, len, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}
	if (!new_pair(&p, false))
		goto out;

	/* A everywhere, written by the device too: writable entries exist */
	fill(A, len, 1);
	memcpy(R, A, len);
	memcpy(L, A, len);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, len / 2, lm.key, R, rm.rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "%s: WRITE before fork", name);
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, len, l2m.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, A, len) < 0,
	      "%s: READ before fork: %s", name, st_str(st));

	if (pipe(to_child) || pipe(to_parent)) {
		CHECK(false, "pipe: %s", strerror(errno));
		goto out_pair;
	}
	pp0 = counter("odp_inv_protection_page");
	wr0 = counter("odp_pages_write_revoked");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		CHECK(false, "fork: %s", strerror(errno));
		goto out_pair;
	}
	if (pid == 0) {
		/* the child: no verbs; keeps its copy, checks it is untouched */
		int bad = 0;

		close(to_child[1]);
		close(to_parent[0]);
		fill(R + FK_P5 * PAGE, FK_N * PAGE, 99);
		if (write(to_parent[1], "w", 1) != 1)
			_exit(3);
		if (child_wait_byte(to_child[0], 60) != 'g')
			_exit(2);
		/* its own writes, and A everywhere else */
		if (diff_fill(R + FK_P5 * PAGE, FK_N * PAGE, 99) >= 0)
			bad++;
		if (diff_mem(R, A, FK_P5 * PAGE) >= 0)
			bad++;
		if (diff_mem(R + (FK_P5 + FK_N) * PAGE, A + (FK_P5 + FK_N) * PAGE,
			     len - (FK_P5 + FK_N) * PAGE) >= 0)
			bad++;
		_exit(bad ? 1 : 0);
	}
	close(to_child[0]);
	close(to_parent[1]);

	note("%s: fork: odp_inv_protection_page +%lld, odp_pages_write_revoked +%lld",
	     name, counter("odp_inv_protection_page") - pp0,
	     counter("odp_pages_write_revoked") - wr0);
	CHECK(counter("odp_inv_protection_page") > pp0 &&
	      counter("odp_pages_write_revoked") > wr0,
	      "%s: fork write-protected the parent's pages: write permission revoked, reads kept",
	      name);
	CHECK(child_wait_byte(to_parent[0], 60) == 'w', "%s: the child wrote its copy", name);

	/* P1: the parent writes (COW break); the device sees the new page */
	fill(R + FK_P1 * PAGE, FK_N * PAGE, 2);
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, FK_N * PAGE, l2m.key, R + FK_P1 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, FK_N * PAGE, 2) < 0,
	      "%s: after the parent's COW break, READ sees the parent's data: %s",
	      name, st_str(st));
	fill(L, FK_N * PAGE, 3);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, FK_N * PAGE, lm.key, R + FK_P1 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R + FK_P1 * PAGE, FK_N * PAGE, 3) < 0,
	      "%s: ... and WRITE lands in the parent's page: %s", name, st_str(st));

	/* P2: still shared with the child: a device write breaks COW for the parent */
	fill(L, FK_N * PAGE, 4);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, FK_N * PAGE, lm.key, R + FK_P2 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R + FK_P2 * PAGE, FK_N * PAGE, 4) < 0,
	      "%s: WRITE to pages shared with the child lands in the parent's: %s",
	      name, st_str(st));

	/* P3: shared, read */
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, FK_N * PAGE, l2m.key, R + FK_P3 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, A + FK_P3 * PAGE, FK_N * PAGE) < 0,
	      "%s: READ of shared pages: %s", name, st_str(st));

	/* P4: atomic on a shared page */
	memcpy(&v, R + FK_P4 * PAGE, 8);
	st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L2, l2m.key, R + FK_P4 * PAGE,
		       rm.rkey, 1, 0);
	CHECK(st == IBV_WC_SUCCESS && *(uint64_t *)L2 == v &&
	      *(uint64_t *)(R + FK_P4 * PAGE) == v + 1,
	      "%s: FETCH_ADD on a shared page, the parent sees it: %s", name, st_str(st));

	/* P5: the child wrote its copy; the device still sees the parent's */
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, FK_N * PAGE, l2m.key, R + FK_P5 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, A + FK_P5 * PAGE, FK_N * PAGE) < 0,
	      "%s: READ after the child's COW break sees the parent's data: %s",
	      name, st_str(st));
	fill(L, FK_N * PAGE, 5);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, FK_N * PAGE, lm.key, R + FK_P5 * PAGE, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R + FK_P5 * PAGE, FK_N * PAGE, 5) < 0,
	      "%s: WRITE after the child's COW break lands in the parent's: %s",
	      name, st_str(st));

	/* everything else is still A for the parent too */
	memcpy(L2, R, len);
	{
		bool ok = true;

		for (size_t pg = 0; pg < len / PAGE; pg++) {
			if (pg < FK_P3 || (pg >= FK_P4 && pg < FK_P4 + 1) ||
			    (pg >= FK_P5 && pg < FK_P5 + FK_N))
				continue;
			if (diff_mem(L2 + pg * PAGE, A + pg * PAGE, PAGE) >= 0)
				ok = false;
		}
		CHECK(ok, "%s: the parent's untouched pages are unchanged", name);
	}

	if (write(to_child[1], "g", 1) != 1)
		CHECK(false, "tell the child");
	{
		double end = now() + 60;
		pid_t w = 0;

		while (now() < end && (w = waitpid(pid, &status, WNOHANG)) == 0)
			usleep(10000);
		if (w == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s: the child's copy was never the target (child status %#x)", name, status);
	close(to_child[1]);
	close(to_parent[0]);
out_pair:
	pair_destroy(&p);
out:
	mreg_fini(&rm);
	mreg_fini(&lm);
	mreg_fini(&l2m);
	munmap(R, len);
	munmap(L, len);
	munmap(L2, len);
	free(A);
}

static void t_fork(void)
{
	fork_run(K_EXPLICIT);
	fork_run(K_IMPLICIT);
}

/* ==== pageout and migration ============================================ */

static bool have_swap(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;
}

static int numa_nodes(void)
{
	char path[64];
	int n = 0;

	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", i);
		if (access(path, F_OK) == 0)
			n++;
	}
	return n;
}

/* Migrate the page at @addr: to another node, or by soft-offlining it. */
static int soft_offline_budget = 256;

static int migrate_page(void *addr, int nodes)
{
	if (nodes > 1) {
		void *pages[1] = { addr };
		int status = -1, node;
		int cur = -1;

		if (syscall(SYS_move_pages, 0, 1, pages, NULL, &cur, 0))
			return -1;
		node = cur == 0 ? 1 : 0;
		if (syscall(SYS_move_pages, 0, 1, pages, &node, &status, MPOL_MF_MOVE))
			return -1;
		return status == node ? 0 : -1;
	}
	if (soft_offline_budget <= 0)
		return -1;
	soft_offline_budget--;
	return madvise(addr, PAGE, MADV_SOFT_OFFLINE);
}

struct po_disturb {
	uint8_t *R, *L;
	size_t len;
	double secs;
	int nodes;
	bool migrate;
	atomic_bool stop;
	int pageouts, migrations, compactions;
};

static void *po_disturb_fn(void *arg)
{
	struct po_disturb *d = arg;
	double end = now() + d->secs, next_compact = now() + d->secs / 2;
	unsigned int seed = 12345;
	int i;

	for (i = 0; i < 100000 && now() < end && !atomic_load(&d->stop); i++) {
		uint8_t *base = rand_r(&seed) & 1 ? d->R : d->L;
		size_t off = (size_t)(rand_r(&seed) % (d->len / (256 * KiB))) * 256 * KiB;

		if (!madvise(base + off, 256 * KiB, MADV_PAGEOUT))
			d->pageouts++;
		if (d->migrate && i % 4 == 0 &&
		    !migrate_page(base + off + (size_t)(rand_r(&seed) % 64) * PAGE, d->nodes))
			d->migrations++;
		if (now() > next_compact) {
			int fd = open("/proc/sys/vm/compact_memory", O_WRONLY);

			if (fd >= 0) {
				if (write(fd, "1", 1) == 1)
					d->compactions++;
				close(fd);
			}
			next_compact = end + 1;
		}
		usleep(2000);
	}
	return NULL;
}

static void pageout_run(enum kind k)
{
	const size_t len = 8 * MiB, chunk = 256 * KiB;
	uint8_t *R, *L, *L2;
	struct mreg rm, lm, l2m;
	struct pair p;
	int st, swapped = 0, present = 0, nodes = numa_nodes();
	long long pg0, f0;
	const char *name = kind_name[k];
	bool can_migrate = true;

	R = map_region(len, 2 * MiB, 0);
	L = map_region(len, 2 * MiB, 0);
	L2 = map_region(len, 2 * MiB, 0);
	if (!R || !L || !L2) {
		CHECK(false, "%s: mmap: %s", name, strerror(errno));
		return;
	}
	if (k == K_EXPLICIT) {
		madvise(R, len, MADV_NOHUGEPAGE);
		madvise(L, len, MADV_NOHUGEPAGE);
	}
	if (mreg_init(&rm, R, len, k, 0) || mreg_init(&lm, L, len, k, 0) ||
	    mreg_init(&l2m, L2, len, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}
	/*
	 * A READ cannot be answered with RNR NAK: a responder swapping its
	 * source back in is only covered by the requester's timeout (as on
	 * any ODP NIC).  268 ms x 8 tries, for TCG under a pageout storm.
	 */
	qp_timeout = 16;
	if (!new_pair(&p, false)) {
		qp_timeout = 14;
		goto out;
	}
	qp_timeout = 14;

	/* pageout: the device's next access swaps the pages back in */
	fill(R, len, 1);
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, len, l2m.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, len, 1) < 0,
	      "%s: READ 8 MiB: %s", name, st_str(st));
	pg0 = counter("odp_pages_invalidated");
	f0 = counter("odp_faults");
	CHECK(!madvise(R, len, MADV_PAGEOUT), "%s: MADV_PAGEOUT the 8 MiB: %s", name,
	      strerror(errno));
	for (size_t i = 0; i < len / PAGE; i++) {
		uint64_t e = pagemap(R + i * PAGE);

		swapped += PM_SWAPPED(e);
		present += PM_PRESENT(e);
	}
	note("%s: after MADV_PAGEOUT: %d pages swapped out, %d present", name, swapped, present);
	CHECK(swapped > 0, "%s: pages really went to swap (%d of %zu)", name, swapped, len / PAGE);
	CHECK(counter("odp_pages_invalidated") - pg0 >= swapped,
	      "%s: odp_pages_invalidated +%lld (>= the %d swapped)", name,
	      counter("odp_pages_invalidated") - pg0, swapped);
	memset(L2, 0, len);
	st = do_rw(&p, IBV_WR_RDMA_READ, L2, len, l2m.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, len, 1) < 0,
	      "%s: READ of swapped-out memory returns the data: %s", name, st_str(st));
	CHECK(counter("odp_faults") > f0, "%s: the device faulted again", name);
	madvise(R, len, MADV_PAGEOUT);
	fill(L, len, 2);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, len, lm.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R, len, 2) < 0,
	      "%s: WRITE to swapped-out memory, the CPU sees it: %s", name, st_str(st));

	/* migration of pages the device has mapped */
	{
		uint64_t before[16], after;
		int moved = 0, failed_mig = 0;

		fill(R, 64 * PAGE, 3);
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, 64 * PAGE, l2m.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, 64 * PAGE, 3) < 0,
		      "%s: READ before migration: %s", name, st_str(st));
		for (int i = 0; i < 16; i++) {
			before[i] = PM_PFN(pagemap(R + i * 4 * PAGE));
			if (migrate_page(R + i * 4 * PAGE, nodes)) {
				failed_mig++;
				continue;
			}
			after = PM_PFN(pagemap(R + i * 4 * PAGE));
			moved += after != before[i] && after && before[i];
		}
		if (failed_mig == 16) {
			can_migrate = false;
			skip_part("%s: cannot migrate pages here (%s, %d NUMA node(s)): %s",
				  name, nodes > 1 ? "move_pages" : "MADV_SOFT_OFFLINE",
				  nodes, strerror(errno));
		} else {
			note("%s: %d of 16 pages migrated (%s), %d failed", name, moved,
			     nodes > 1 ? "move_pages" : "soft offline", failed_mig);
			CHECK(moved > 0, "%s: pages moved to new page frames (%d)", name, moved);
			memset(L2, 0, 64 * PAGE);
			st = do_rw(&p, IBV_WR_RDMA_READ, L2, 64 * PAGE, l2m.key, R, rm.rkey);
			CHECK(st == IBV_WC_SUCCESS && diff_fill(L2, 64 * PAGE, 3) < 0,
			      "%s: READ after migration: %s", name, st_str(st));
			fill(L, 64 * PAGE, 4);
			for (int i = 0; i < 16; i++)
				migrate_page(R + i * 4 * PAGE + PAGE, nodes);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 64 * PAGE, lm.key, R, rm.rkey);
			CHECK(st == IBV_WC_SUCCESS && diff_fill(R, 64 * PAGE, 4) < 0,
			      "%s: WRITE after migration lands in the new pages: %s",
			      name, st_str(st));
		}
	}

	/* all of it under traffic */
	{
		struct po_disturb d = {
			.R = R, .L = L, .len = len, .nodes = nodes,
			.secs = env_secs("ODP_PAGEOUT_SECS", 6), .migrate = can_migrate,
		};
		pthread_t th;
		double end;
		long bad = 0, errs = 0, it;
		int last_st = IBV_WC_SUCCESS;

		pg0 = counter("odp_pages_invalidated");
		f0 = counter("odp_faults");
		end = now() + d.secs;
		pthread_create(&th, NULL, po_disturb_fn, &d);
		for (it = 0; it < 100000 && now() < end; it++) {
			size_t off = (size_t)(it % (len / chunk)) * chunk;

			fill(L + off, chunk, 100 + it);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, L + off, chunk, lm.key, R + off, rm.rkey);
			if (st != IBV_WC_SUCCESS) {
				errs++;
				last_st = st;
				break;
			}
			st = do_rw(&p, IBV_WR_RDMA_READ, L2 + off, chunk, l2m.key, R + off, rm.rkey);
			if (st != IBV_WC_SUCCESS) {
				errs++;
				last_st = st;
				break;
			}
			bad += diff_fill(L2 + off, chunk, 100 + it) >= 0;
			bad += diff_fill(R + off, chunk, 100 + it) >= 0;
		}
		atomic_store(&d.stop, true);
		pthread_join(th, NULL);
		note("%s: %ld rounds of 256 KiB WRITE+READ under %d pageouts, %d migrations, %d compactions",
		     name, it, d.pageouts, d.migrations, d.compactions);
		CHECK(errs == 0, "%s: no error completions under pageout/migration (%s)", name,
		      st_str(last_st));
		CHECK(it > 0 && bad == 0, "%s: every payload verified (%ld rounds, %ld bad)",
		      name, it, bad);
		CHECK(d.pageouts > 0, "%s: pages were paged out during traffic (%d)", name,
		      d.pageouts);
		CHECK(counter("odp_pages_invalidated") > pg0 && counter("odp_faults") > f0,
		      "%s: invalidations (+%lld pages) and re-faults (+%lld) during traffic",
		      name, counter("odp_pages_invalidated") - pg0,
		      counter("odp_faults") - f0);
		/* everything still there */
		memset(L2, 0, len);
		st = do_rw(&p, IBV_WR_RDMA_READ, L2, len, l2m.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(L2, R, len) < 0,
		      "%s: final READ of all 8 MiB equals the CPU's view: %s", name, st_str(st));
	}
	pair_destroy(&p);
out:
	mreg_fini(&rm);
	mreg_fini(&lm);
	mreg_fini(&l2m);
	munmap(R, len);
	munmap(L, len);
	munmap(L2, len);
}

static void t_pageout(void)
{
	if (!have_swap()) {
		skip_part("no swap device (the script sets up zram): MADV_PAGEOUT cannot swap");
		return;
	}
	pageout_run(K_EXPLICIT);
	pageout_run(K_IMPLICIT);
}

/* ==== slow faults ====================================================== */

/*
 * A responder fault that takes longer than the requester's whole
 * retransmission budget (retry_cnt + 1 timeouts) must not make the
 * requester give up: for SEND and WRITE the responder answers RNR NAK
 * (RNR retries are not timeouts; 7 is "retry forever") until the page is
 * there.  The script puts swap on a device whose reads take ~2 s (dm-delay
 * over zram), so swapping a target page back in is such a fault.  READ and
 * atomics cannot be answered with RNR NAK; they need a timeout longer than
 * the fault, and then must complete too.
 */
static int swapped_pages(uint8_t *p, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len / PAGE; i++)
		n += PM_SWAPPED(pagemap(p + i * PAGE));
	return n;
}

/* Page @p (@len bytes) out; true if all of it went to swap. */
static bool page_out(const char *name, uint8_t *p, size_t len)
{
	int n;

	if (madvise(p, len, MADV_PAGEOUT)) {
		CHECK(false, "%s: MADV_PAGEOUT: %s", name, strerror(errno));
		return false;
	}
	n = swapped_pages(p, len);
	if (n != (int)(len / PAGE))
		note("%s: only %d of %zu pages swapped out", name, n, len / PAGE);
	return n > 0;
}

static void slowfault_run(enum kind k)
{
	const size_t len = 8 * PAGE;	/* one swap-in cluster */
	const char *name = kind_name[k];
	uint8_t *R, *L;
	struct mreg rm, lm;
	struct pair p;
	int st, rst;
	uint32_t n;
	double t0;

	R = map_region(2 * MiB, 2 * MiB, 0);
	L = map_region(2 * MiB, 2 * MiB, 0);
	if (!R || !L) {
		CHECK(false, "%s: mmap: %s", name, strerror(errno));
		return;
	}
	madvise(R, 2 * MiB, MADV_NOHUGEPAGE);
	if (mreg_init(&rm, R, 2 * MiB, k, 0) || mreg_init(&lm, L, 2 * MiB, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}

	/* WRITE, default timeout: the fault outlasts all retransmissions */
	qp_timeout = 14;
	if (new_pair(&p, false)) {
		fill(R, len, 1);
		fill(L, PAGE, 2);
		st = do_rw(&p, IBV_WR_RDMA_READ, L + MiB, len, lm.key, R, rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_fill(L + MiB, len, 1) < 0,
		      "%s: READ of the target while resident: %s", name, st_str(st));
		if (page_out(name, R, len)) {
			t0 = now();
			st = do_rw(&p, IBV_WR_RDMA_WRITE, L, PAGE, lm.key, R + 3 * PAGE,
				   rm.rkey);
			note("%s: WRITE into a swapped-out page completed after %.2f s", name,
			     now() - t0);
			CHECK_ST(st, IBV_WC_SUCCESS,
				 "%s: WRITE into a page whose swap-in outlasts the QP's 8 x 67 ms retransmission budget",
				 name);
			CHECK(diff_mem(R + 3 * PAGE, L, PAGE) < 0 &&
			      diff_fill(R, 3 * PAGE, 1) < 0,
			      "%s: ... the CPU sees it, and the data around it", name);
		} else {
			skip_part("%s: MADV_PAGEOUT swapped nothing out", name);
		}
		pair_destroy(&p);
	}

	/* SEND into a swapped-out receive buffer */
	if (new_pair(&p, false)) {
		if (page_out(name, R, len)) {
			fill(L, 2 * PAGE, 3);
			t0 = now();
			st = do_send(&p, L, 2 * PAGE, lm.key, R + 2 * PAGE, 2 * PAGE, rm.key,
				     &rst, &n, NULL);
			note("%s: SEND into a swapped-out buffer completed after %.2f s", name,
			     now() - t0);
			CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS,
			      "%s: SEND into a receive buffer whose swap-in outlasts the retransmission budget: %s/%s",
			      name, st_str(st), st_str(rst));
			CHECK(diff_mem(R + 2 * PAGE, L, 2 * PAGE) < 0,
			      "%s: ... the CPU sees it", name);
		}
		pair_destroy(&p);
	}

	/* READ and atomics: no RNR; a timeout of 1 s (8.6 s budget) covers it */
	qp_timeout = 18;
	if (new_pair(&p, false)) {
		if (page_out(name, R, len)) {
			memset(L + MiB, 0, len);
			t0 = now();
			st = do_rw(&p, IBV_WR_RDMA_READ, L + MiB, len, lm.key, R, rm.rkey);
			note("%s: READ of swapped-out memory completed after %.2f s", name,
			     now() - t0);
			CHECK(st == IBV_WC_SUCCESS && diff_mem(L + MiB, R, len) < 0,
			      "%s: READ of swapped-out memory (timeout 1 s): %s", name,
			      st_str(st));
		}
		if (page_out(name, R, len)) {
			uint64_t v;

			t0 = now();
			st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L + MiB, lm.key,
				       R + 5 * PAGE, rm.rkey, 1, 0);
			note("%s: FETCH_ADD on swapped-out memory completed after %.2f s", name,
			     now() - t0);
			memcpy(&v, R + 5 * PAGE, 8);
			CHECK(st == IBV_WC_SUCCESS && *(uint64_t *)(L + MiB) + 1 == v,
			      "%s: FETCH_ADD on swapped-out memory (timeout 1 s): %s", name,
			      st_str(st));
		}
		pair_destroy(&p);
	}
	qp_timeout = 14;
	mreg_fini(&rm);
	mreg_fini(&lm);
	munmap(R, 2 * MiB);
	munmap(L, 2 * MiB);
}

static void t_slowfault(void)
{
	if (!have_swap()) {
		skip_part("no swap device (the script sets up a slow one)");
		return;
	}
	slowfault_run(K_EXPLICIT);
	slowfault_run(K_IMPLICIT);
}

/* ==== huge pages ======================================================= */

/* Traffic over a 4 MiB remote buffer R and a local L, across 2 MiB pages. */
static void huge_traffic(const char *name, struct mreg *rm, struct mreg *lm,
			 bool untouched)
{
	uint8_t *R = rm->buf, *L = lm->buf;
	const size_t msg = 1 * MiB;
	struct pair p;
	int st, rst;
	uint32_t n;

	if (!new_pair(&p, false))
		return;
	/* 1 MiB straddling the 2 MiB boundary, into untouched huge pages */
	fill(L, msg, 1);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, msg, lm->key, R + 3 * MiB / 2, rm->rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "%s: WRITE 1 MiB across the huge page boundary%s",
		 name, untouched ? " into untouched memory" : "");
	CHECK_FILL(R + 3 * MiB / 2, msg, 1, "%s: the CPU sees it", name);
	fill(R + 2 * MiB + msg, msg, 2);
	st = do_rw(&p, IBV_WR_RDMA_READ, L + 2 * MiB, msg, lm->key, R + 2 * MiB + msg,
		   rm->rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L + 2 * MiB, msg, 2) < 0,
	      "%s: READ 1 MiB of CPU data: %s", name, st_str(st));
	fill(L + MiB, 200 * KiB, 3);
	st = do_send(&p, L + MiB, 200 * KiB, lm->key, R + 2 * MiB - 100 * KiB,
		     200 * KiB, rm->key, &rst, &n, NULL);
	CHECK(st == IBV_WC_SUCCESS && rst == IBV_WC_SUCCESS &&
	      diff_fill(R + 2 * MiB - 100 * KiB, 200 * KiB, 3) < 0,
	      "%s: SEND 200 KiB across the boundary: %s/%s", name, st_str(st), st_str(rst));
	*(uint64_t *)(R + 2 * MiB + 8) = 41;
	st = do_atomic(&p, IBV_WR_ATOMIC_FETCH_AND_ADD, L + 3 * MiB, lm->key,
		       R + 2 * MiB + 8, rm->rkey, 1, 0);
	CHECK(st == IBV_WC_SUCCESS && *(uint64_t *)(L + 3 * MiB) == 41 &&
	      *(uint64_t *)(R + 2 * MiB + 8) == 42, "%s: FETCH_ADD: %s", name, st_str(st));
	/* the CPU rewrites, the device reads */
	fill(R, 4 * MiB, 4);
	st = do_rw(&p, IBV_WR_RDMA_READ, L, 4 * MiB, lm->key, R, rm->rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(L, 4 * MiB, 4) < 0,
	      "%s: READ all 4 MiB after the CPU rewrote it: %s", name, st_str(st));
	pair_destroy(&p);
}

static void huge_thp(enum kind k)
{
	const size_t len = 4 * MiB;
	uint8_t *R, *L;
	struct mreg rm, lm;
	char name[32];
	long kb;

	snprintf(name, sizeof(name), "thp-%s", kind_name[k]);
	R = map_region(len, 2 * MiB, 0);
	L = map_region(len, 2 * MiB, 0);
	if (!R || !L) {
		CHECK(false, "%s: mmap: %s", name, strerror(errno));
		return;
	}
	CHECK(!madvise(R, len, MADV_HUGEPAGE) && !madvise(L, len, MADV_HUGEPAGE),
	      "%s: MADV_HUGEPAGE", name);
	fill(L, len, 0);	/* local THPs by the CPU, remote by the device */
	if (mreg_init(&rm, R, len, k, 0) || mreg_init(&lm, L, len, k, 0)) {
		CHECK(false, "%s: register: %s", name, strerror(errno));
		return;
	}
	huge_traffic(name, &rm, &lm, true);
	kb = anon_huge_kb(R);
	note("%s: AnonHugePages of the remote buffer %ld kB, local %ld kB", name, kb,
	     anon_huge_kb(L));
	if (kb <= 0)
		skip_part("%s: the kernel gave the device's faults no transparent huge page", name);
	else
		CHECK(kb >= 2048, "%s: the device's faults built huge pages (%ld kB)", name, kb);

	/* split a huge page the device has mapped */
	{
		uint8_t *exp = malloc(len);
		struct pair p;
		int st;

		if (exp && new_pair(&p, false)) {
			fill(exp, len, 4);	/* what huge_traffic() left */
			memset(exp + 2 * MiB + 5 * PAGE, 0, PAGE);
			CHECK(!madvise(R + 2 * MiB + 5 * PAGE, PAGE, MADV_DONTNEED),
			      "%s: DONTNEED one 4 KiB page inside a huge page", name);
			CHECK_MEM(R, exp, len, "%s: the CPU sees zeros in that page only", name);
			memset(L, 0xee, 2 * MiB);
			st = do_rw(&p, IBV_WR_RDMA_READ, L, 2 * MiB, lm.key, R + 2 * MiB, rm.rkey);
			CHECK_ST(st, IBV_WC_SUCCESS, "%s: READ after the split", name);
			CHECK_MEM(L, exp + 2 * MiB, 2 * MiB,
				  "%s: READ after the split: zeros in that page, data around", name);
			pair_destroy(&p);
		}
		free(exp);
	}
	mreg_fini(&rm);
	mreg_fini(&lm);
	munmap(R, len);
	munmap(L, len);
}

static uint8_t *map_hugetlb(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void huge_tlb(void)
{
	const size_t len = 4 * MiB;
	uint8_t *R, *L, *R2, *R3;
	struct mreg rm, lm, rm2, rm3;
	int st;

	R = map_hugetlb(len);
	L = map_hugetlb(len);
	R2 = map_hugetlb(len);
	R3 = map_hugetlb(len);
	if (!R || !L || !R2 || !R3) {
		skip_part("hugetlb: mmap(MAP_HUGETLB) of 4 x 4 MiB failed: %s (set vm.nr_hugepages)",
			  strerror(errno));
		goto out_map;
	}
	fill(L, len, 0);
	st = mreg_init(&rm, R, len, K_EXPLICIT, IBV_ACCESS_HUGETLB);
	CHECK(!st, "hugetlb: register ODP with IBV_ACCESS_HUGETLB: %s", st ? strerror(errno) : "ok");
	if (mreg_init(&lm, L, len, K_EXPLICIT, IBV_ACCESS_HUGETLB)) {
		CHECK(false, "hugetlb: register the local buffer: %s", strerror(errno));
		mreg_fini(&rm);
		goto out_map;
	}
	if (!st)
		huge_traffic("hugetlb-explicit-HUGETLB", &rm, &lm, true);

	/* the same without the flag (4 KiB translation of huge pages) */
	if (!mreg_init(&rm2, R2, len, K_EXPLICIT, 0))
		huge_traffic("hugetlb-explicit-4k", &rm2, &lm, true);
	else
		CHECK(false, "hugetlb: register ODP without IBV_ACCESS_HUGETLB: %s", strerror(errno));

	/* through the implicit MR */
	if (!mreg_init(&rm3, R3, len, K_IMPLICIT, 0))
		huge_traffic("hugetlb-implicit", &rm3, &lm, true);
	else
		CHECK(false, "hugetlb: implicit MR: %s", strerror(errno));

	/* drop a huge page the device has mapped */
	if (!st) {
		struct pair p;

		if (madvise(R + 2 * MiB, 2 * MiB, MADV_DONTNEED)) {
			skip_part("hugetlb: MADV_DONTNEED on hugetlb: %s", strerror(errno));
		} else if (new_pair(&p, false)) {
			memset(L, 0xee, len);
			st = do_rw(&p, IBV_WR_RDMA_READ, L, len, lm.key, R, rm.rkey);
			CHECK(st == IBV_WC_SUCCESS && diff_fill(L, 2 * MiB, 4) < 0 &&
			      is_zero(L + 2 * MiB, 2 * MiB),
			      "hugetlb: READ after DONTNEED of the second huge page: data, then zeros: %s",
			      st_str(st));
			fill(L, len, 5);
			st = do_rw(&p, IBV_WR_RDMA_WRITE, L, len, lm.key, R, rm.rkey);
			CHECK(st == IBV_WC_SUCCESS && diff_fill(R, len, 5) < 0,
			      "hugetlb: WRITE into the new huge page, the CPU sees it: %s",
			      st_str(st));
			pair_destroy(&p);
		}
	}
	mreg_fini(&rm);
	mreg_fini(&lm);
	mreg_fini(&rm2);
	mreg_fini(&rm3);
out_map:
	if (R)
		munmap(R, len);
	if (L)
		munmap(L, len);
	if (R2)
		munmap(R2, len);
	if (R3)
		munmap(R3, len);
}

static void t_hugepages(void)
{
	huge_thp(K_EXPLICIT);
	huge_thp(K_IMPLICIT);
	huge_tlb();
}

/* ==== stress =========================================================== */

/*
 * Per worker (its own RC pair), remote buffer R and local L of 4 MiB:
 *  R [0, 512K)      WRITE target, verified (not disturbed)
 *  R [512K, 768K)   receive buffers, verified
 *  R [768K]         FETCH_ADD counter
 *  R [1M, 2M)       READ source, constant; the disturber toggles it
 *                   read-only / read-write (reads must keep working)
 *  R [2M, 4M)       WRITE target the disturber drops (MADV_DONTNEED):
 *                   every 1 KiB packet must read back as the data or zeros
 *  L [0, 1M)        4 constant source patterns; toggled read-only too
 *  L [1M, 2M)       READ targets, verified
 *  L [3M]           FETCH_ADD result
 */
#define ST_WORKERS	4
#define ST_LEN		(4 * MiB)
#define ST_MSG		(256 * KiB)
#define ST_PKT		1024

struct st_worker {
	int id;
	struct pair p;
	uint8_t *R, *L;
	struct mreg rm, lm;
	const volatile atomic_bool *stop;
	double hard_end;
	long iters, bytes, bad, chunk_bad, errs;
	int first_err;
	uint64_t faa;
};

static unsigned int st_seed(int w, int k)
{
	return 1000 + w * 16 + k;
}

static void *st_worker_fn(void *arg)
{
	struct st_worker *w = arg;
	struct ibv_wc wc;
	long i;

	for (i = 0; i < 10000000 && !atomic_load(w->stop) && now() < w->hard_end; i++) {
		int k = (int)((i + i / 8) % 4);
		uint8_t *src = w->L + k * ST_MSG;
		uint8_t *wt = w->R + (i % 2) * ST_MSG;
		uint8_t *rsrc = w->R + MiB + (i % 4) * ST_MSG;
		uint8_t *dt = w->R + 2 * MiB + (i % 8) * ST_MSG;
		uint8_t *back = w->L + MiB, *rd = w->L + MiB + ST_MSG;
		uint8_t *rbuf = w->R + 512 * KiB;
		int n = 0, want = 6, got_recv = 0;
		double end;

		memset(back, 0, ST_MSG);
		memset(rd, 0, ST_MSG);
		memset(rbuf, 0xee, 64 * KiB);
		if (post_recv(w->p.qp[1], rbuf, 64 * KiB, w->rm.key, 100) ||
		    post_op(w->p.qp[0], IBV_WR_RDMA_WRITE, src, ST_MSG, w->lm.key, wt,
			    w->rm.rkey, 1) ||
		    post_op(w->p.qp[0], IBV_WR_RDMA_READ, back, ST_MSG, w->lm.key, wt,
			    w->rm.rkey, 2) ||
		    post_op(w->p.qp[0], IBV_WR_RDMA_READ, rd, ST_MSG, w->lm.key, rsrc,
			    w->rm.rkey, 3) ||
		    post_op(w->p.qp[0], IBV_WR_RDMA_WRITE, src, ST_MSG, w->lm.key, dt,
			    w->rm.rkey, 4) ||
		    post_atomic(w->p.qp[0], IBV_WR_ATOMIC_FETCH_AND_ADD, w->L + 3 * MiB,
				w->lm.key, w->R + 768 * KiB, w->rm.rkey, 1, 0, 5) ||
		    post_op(w->p.qp[0], IBV_WR_SEND, src, 64 * KiB, w->lm.key, NULL, 0, 6)) {
			if (!w->errs++)
				w->first_err = ST_POST;
			break;
		}
		end = now() + 60;
		while ((n < want || !got_recv) && now() < end) {
			if (ibv_poll_cq(w->p.cq[1], 1, &wc) == 1) {
				got_recv = 1;
				if (wc.status != IBV_WC_SUCCESS) {
					/* the first error; flushes follow */
					if (!w->errs++)
						w->first_err = wc.status;
				}
				continue;
			}
			if (ibv_poll_cq(w->p.cq[0], 1, &wc) == 1) {
				n++;
				if (wc.status != IBV_WC_SUCCESS) {
					/* the first error; flushes follow */
					if (!w->errs++)
						w->first_err = wc.status;
				}
				continue;
			}
			usleep(100);
		}
		if (n < want || !got_recv) {
			if (!w->errs++)
				w->first_err = ST_TIMEOUT;
		}
		if (w->errs)
			break;
		w->faa++;
		w->bad += diff_fill(back, ST_MSG, st_seed(w->id, k)) >= 0;
		w->bad += diff_fill(rd, ST_MSG, st_seed(w->id, 4 + i % 4)) >= 0;
		w->bad += diff_fill(rbuf, 64 * KiB, st_seed(w->id, k)) >= 0;
		w->bad += *(uint64_t *)(w->L + 3 * MiB) != w->faa - 1;
		for (size_t c = 0; c < ST_MSG; c += ST_PKT) {
			/*
			 * This packet's data, or zeros where it was dropped
			 * since.  Byte by byte: the CPU's own read of a packet
			 * may straddle a concurrent drop (first bytes from the
			 * old page, the rest from the new zero page).  Stale
			 * data (an older pattern) or bytes from elsewhere still
			 * show: those differ from both almost everywhere.
			 */
			uint8_t chunk[ST_PKT];
			int other = 0, old = 0;

			memcpy(chunk, dt + c, ST_PKT);
			for (int b = 0; b < ST_PKT; b++) {
				if (chunk[b] && chunk[b] != src[c + b]) {
					other++;
					old += chunk[b] == pat(c + b, st_seed(w->id,
						(int)((i - 8 + (i - 8) / 8) % 4)));
				}
			}
			if (other) {
				if (!w->chunk_bad)
					note("worker %d round %ld: packet at +%zu of the dropped region: %d bytes neither data nor zero (%d of them the previous round's data)",
					     w->id, i, (size_t)(dt - w->R - 2 * MiB) + c,
					     other, old);
				w->chunk_bad++;
			}
		}
		w->bytes += 4 * ST_MSG + 64 * KiB;
	}
	w->iters = i;
	return NULL;
}

struct st_disturb {
	struct st_worker *w;
	const volatile atomic_bool *stop;
	double hard_end;
	long rounds, mprotects, dontneeds, failures;
};

static void *st_disturb_fn(void *arg)
{
	struct st_disturb *d = arg;
	unsigned int seed = 777;
	long r;

	for (r = 0; r < 10000000 && !atomic_load(d->stop) && now() < d->hard_end; r++) {
		for (int i = 0; i < ST_WORKERS; i++) {
			struct st_worker *w = &d->w[i];
			size_t off = (size_t)(rand_r(&seed) % 32) * 64 * KiB;
			size_t n = (size_t)(1 + rand_r(&seed) % 4) * 64 * KiB;

			if (off + n > 2 * MiB)
				n = 2 * MiB - off;
			if (mprotect(w->R + MiB, MiB, PROT_READ) ||
			    mprotect(w->L, MiB, PROT_READ))
				d->failures++;
			if (madvise(w->R + 2 * MiB + off, n, MADV_DONTNEED))
				d->failures++;
			d->dontneeds++;
			usleep(300 + rand_r(&seed) % 700);
			if (mprotect(w->R + MiB, MiB, PROT_READ | PROT_WRITE) ||
			    mprotect(w->L, MiB, PROT_READ | PROT_WRITE))
				d->failures++;
			d->mprotects += 2;
		}
		usleep(500 + rand_r(&seed) % 1500);
	}
	d->rounds = r;
	return NULL;
}

static void t_stress(void)
{
	struct st_worker w[ST_WORKERS];
	struct st_disturb d;
	pthread_t th[ST_WORKERS], dth;
	atomic_bool stop = false;
	double secs = env_secs("ODP_STRESS_SECS", 15), t0, el;
	long long pv0, cl0, pg0, rnr0;
	int ok_setup = 1;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < ST_WORKERS; i++) {
		enum kind k = i < 2 ? K_EXPLICIT : K_IMPLICIT;

		w[i].id = i;
		w[i].stop = &stop;
		w[i].R = map_region(ST_LEN, 2 * MiB, 0);
		w[i].L = map_region(ST_LEN, 2 * MiB, 0);
		if (!w[i].R || !w[i].L || mreg_init(&w[i].rm, w[i].R, ST_LEN, k, 0) ||
		    mreg_init(&w[i].lm, w[i].L, ST_LEN, k, 0) || !new_pair(&w[i].p, false)) {
			CHECK(false, "worker %d: setup: %s", i, strerror(errno));
			ok_setup = 0;
			break;
		}
		for (int s = 0; s < 4; s++) {
			fill(w[i].L + s * ST_MSG, ST_MSG, st_seed(i, s));
			fill(w[i].R + MiB + s * ST_MSG, ST_MSG, st_seed(i, 4 + s));
		}
	}
	if (!ok_setup)
		goto out;
	pv0 = counter("odp_inv_protection_vma");
	cl0 = counter("odp_inv_clear");
	pg0 = counter("odp_pages_invalidated");
	rnr0 = counter("odp_rnr_naks");

	t0 = now();
	d = (struct st_disturb){ .w = w, .stop = &stop, .hard_end = t0 + secs + 5 };
	for (int i = 0; i < ST_WORKERS; i++) {
		w[i].hard_end = t0 + secs + 5;
		pthread_create(&th[i], NULL, st_worker_fn, &w[i]);
	}
	pthread_create(&dth, NULL, st_disturb_fn, &d);
	while (now() < t0 + secs)
		usleep(100000);
	atomic_store(&stop, true);
	pthread_join(dth, NULL);
	for (int i = 0; i < ST_WORKERS; i++)
		pthread_join(th[i], NULL);
	el = now() - t0;

	note("%.1f s: disturber %ld rounds, %ld mprotects, %ld DONTNEEDs (%ld failed calls)",
	     el, d.rounds, d.mprotects, d.dontneeds, d.failures);
	CHECK(d.rounds > 0 && d.failures == 0, "the disturber ran (%ld rounds)", d.rounds);
	for (int i = 0; i < ST_WORKERS; i++) {
		struct st_worker *x = &w[i];

		note("worker %d (%s): %ld rounds, %.2f MB/s, %ld bad payloads, %ld bad packets, %ld errors",
		     i, i < 2 ? "explicit" : "implicit", x->iters, x->bytes / el / 1e6,
		     x->bad, x->chunk_bad, x->errs);
		CHECK(x->iters > 0 && x->errs == 0,
		      "worker %d: %ld rounds of 6 operations, no error completion (%s)",
		      i, x->iters, x->errs ? st_str(x->first_err) : "none");
		CHECK(x->bad == 0, "worker %d: undisturbed payloads verified (%ld bad)", i, x->bad);
		CHECK(x->chunk_bad == 0,
		      "worker %d: disturbed WRITE targets hold the data or zeros (%ld bad packets)",
		      i, x->chunk_bad);
	}
	note("counters: odp_inv_protection_vma +%lld, odp_inv_clear +%lld, odp_pages_invalidated +%lld, odp_rnr_naks +%lld",
	     counter("odp_inv_protection_vma") - pv0, counter("odp_inv_clear") - cl0,
	     counter("odp_pages_invalidated") - pg0, counter("odp_rnr_naks") - rnr0);
	CHECK(counter("odp_inv_protection_vma") > pv0 && counter("odp_inv_clear") > cl0,
	      "invalidations by mprotect and DONTNEED were counted");

	/* quiet again: everything verifies in full */
	for (int i = 0; i < ST_WORKERS; i++) {
		struct st_worker *x = &w[i];
		uint8_t *src = x->L + 2 * MiB;
		int st;

		if (x->errs) {
			pair_destroy(&x->p);
			if (!new_pair(&x->p, false))
				continue;
		}
		fill(src, MiB, 5000 + i);
		st = do_rw(&x->p, IBV_WR_RDMA_WRITE, src, MiB, x->lm.key, x->R + 2 * MiB,
			   x->rm.rkey);
		if (st == IBV_WC_SUCCESS)
			st = do_rw(&x->p, IBV_WR_RDMA_WRITE, src, MiB, x->lm.key,
				   x->R + 3 * MiB, x->rm.rkey);
		if (st != IBV_WC_SUCCESS)
			note("worker %d: final WRITE: %s; odp_rnr_naks %lld, retransmits %lld, rx_bad_psn %lld",
			     i, st_str(st), counter("odp_rnr_naks"), counter("retransmits"),
			     counter("rx_bad_psn"));
		CHECK(st == IBV_WC_SUCCESS && diff_fill(x->R + 2 * MiB, MiB, 5000 + i) < 0 &&
		      diff_fill(x->R + 3 * MiB, MiB, 5000 + i) < 0,
		      "worker %d: after the disturber stopped, WRITE of the disturbed 2 MiB verifies: %s",
		      i, st_str(st));
		memset(x->L + MiB, 0, MiB);
		st = do_rw(&x->p, IBV_WR_RDMA_READ, x->L + MiB, MiB, x->lm.key, x->R + MiB,
			   x->rm.rkey);
		CHECK(st == IBV_WC_SUCCESS && diff_mem(x->L + MiB, x->R + MiB, MiB) < 0,
		      "worker %d: READ of the toggled region verifies: %s", i, st_str(st));
		/* after an error, the last add may have run without its ACK */
		CHECK(*(uint64_t *)(x->R + 768 * KiB) == x->faa ||
		      (x->errs && *(uint64_t *)(x->R + 768 * KiB) == x->faa + 1),
		      "worker %d: FETCH_ADD counter %" PRIu64 " == %" PRIu64 " completed adds",
		      i, *(uint64_t *)(x->R + 768 * KiB), x->faa);
	}
out:
	for (int i = 0; i < ST_WORKERS; i++) {
		pair_destroy(&w[i].p);
		mreg_fini(&w[i].rm);
		mreg_fini(&w[i].lm);
		if (w[i].R)
			munmap(w[i].R, ST_LEN);
		if (w[i].L)
			munmap(w[i].L, ST_LEN);
	}
}

/* ==== hold: an ODP MR for a script to look at ========================== */

static void t_hold(void)
{
	uint8_t *R = map_region(MiB, 2 * MiB, 0), *L = map_region(MiB, 2 * MiB, 0);
	struct mreg rm, lm;
	struct pair p;
	sigset_t set;
	struct timespec ts = { 120, 0 };
	int st;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!R || !L || mreg_init(&rm, R, MiB, K_EXPLICIT, 0) ||
	    mreg_init(&lm, L, MiB, K_IMPLICIT, 0) || !new_pair(&p, false)) {
		CHECK(false, "setup: %s", strerror(errno));
		return;
	}
	fill(L, 256 * KiB, 1);
	st = do_rw(&p, IBV_WR_RDMA_WRITE, L, 256 * KiB, lm.key, R, rm.rkey);
	CHECK(st == IBV_WC_SUCCESS && diff_fill(R, 256 * KiB, 1) < 0,
	      "WRITE into the held ODP MR: %s", st_str(st));
	madvise(R, 64 * KiB, MADV_DONTNEED);
	st = do_rw(&p, IBV_WR_RDMA_READ, L, 128 * KiB, lm.key, R, rm.rkey);
	CHECK_ST(st, IBV_WC_SUCCESS, "READ after DONTNEED");
	printf("ready: explicit lkey %#x, implicit lkey %#x\n", rm.key, lm.key);
	fflush(stdout);
	sigtimedwait(&set, NULL, &ts);
	pair_destroy(&p);
	mreg_fini(&rm);
	munmap(R, MiB);
	munmap(L, MiB);
}

/* ==== main ============================================================= */

static const struct {
	const char *name;
	void (*fn)(void);
	bool in_all;
} tests[] = {
	{ "coherence", t_coherence, true },
	{ "footprint", t_footprint, true },
	{ "dontneed", t_dontneed, true },
	{ "munmap", t_munmap, true },
	{ "mprotect", t_mprotect, true },
	{ "fork", t_fork, true },
	{ "pageout", t_pageout, true },
	{ "hugepages", t_hugepages, true },
	{ "slowfault", t_slowfault, false },
	{ "stress", t_stress, true },
	{ "hold", t_hold, false },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static void run(size_t i)
{
	int p0 = passed, f0 = failed, s0 = skipped;
	double t0 = now();

	subtest = tests[i].name;
	printf("# === %s\n", subtest);
	tests[i].fn();
	printf("# %s: %d passed, %d failed, %d skipped in %.1f s\n", subtest,
	       passed - p0, failed - f0, skipped - s0, now() - t0);
}

int main(int argc, char **argv)
{
	struct ibv_device_attr_ex attr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < NTESTS; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: %s DEVICE GID_INDEX SUBTEST...|all  (%s list)\n",
			argv[0], argv[0]);
		return 2;
	}
	for (int a = 3; a < argc; a++) {
		size_t i;

		for (i = 0; i < NTESTS; i++)
			if (!strcmp(argv[a], tests[i].name))
				break;
		if (i == NTESTS && strcmp(argv[a], "all")) {
			fprintf(stderr, "odp_test: no subtest %s\n", argv[a]);
			return 2;
		}
	}
	dev_name = argv[1];
	gid_index = atoi(argv[2]);
	ctx = test_open_device("odp_test", dev_name);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		test_die("odp_test", "ibv_alloc_pd");
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		test_die("odp_test", "ibv_query_gid");
	if (ibv_query_device_ex(ctx, NULL, &attr))
		test_die("odp_test", "ibv_query_device_ex");
	if (!(attr.odp_caps.general_caps & IBV_ODP_SUPPORT) ||
	    !(attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT)) {
		printf("SKIP: %s does not advertise ODP (general caps %#" PRIx64 ")\n",
		       dev_name, (uint64_t)attr.odp_caps.general_caps);
		return 4;
	}

	for (int a = 3; a < argc; a++)
		for (size_t i = 0; i < NTESTS; i++)
			if (!strcmp(argv[a], tests[i].name) ||
			    (!strcmp(argv[a], "all") && tests[i].in_all))
				run(i);

	if (implicit_mr)
		ibv_dereg_mr(implicit_mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	subtest = "total";
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	if (failed)
		return 1;
	return passed ? 0 : 4;
}
