// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory region registration through libibverbs on an sroce device.
 *
 *   mr_test DEV sizes        reg/dereg 1 B .. 256 MiB, unaligned, iova
 *   mr_test DEV keys         lkey == rkey, unique, freed keys not reused
 *   mr_test DEV access       access-flag rules, ODP refused, bad memory
 *   mr_test DEV rereg        ibv_rereg_mr: PD, access, translation
 *   mr_test DEV many [N]     exactly N registrations (default max_mr: less
 *                            the MRs kernel consumers hold), then ENOMEM
 *   mr_test DEV memlock      RLIMIT_MEMLOCK without CAP_IPC_LOCK
 *   mr_test DEV hold MIB     register MIB MiB in 1 MiB MRs, print
 *                            "ready", then wait (at most 120 s) to be
 *                            killed; with "exit" instead of waiting, exit
 *                            at once without deregistering
 *
 * Prints a line for each failed check ("FAIL: ...") and a summary; exits 0
 * when every check passed, 1 otherwise, 2 on bad usage or setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "testlib.h"

static int failures, passes;
static struct ibv_context *ctx;
static struct ibv_pd *pd;

#define CHECK(cond, ...)							\
	do {									\
		if (cond) {							\
			passes++;						\
		} else {							\
			failures++;						\
			printf("FAIL: %s:%d %s: ", __func__, __LINE__, #cond);	\
			printf(__VA_ARGS__);					\
			printf("\n");						\
		}								\
	} while (0)

static void die(const char *what)
{
	test_die("mr_test", what);
}

static void open_dev(const char *name)
{
	ctx = test_open_device("mr_test", name);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* Register, check what came back, deregister.  Returns the lkey or 0. */
static uint32_t reg_dereg(void *addr, size_t len, int access)
{
	struct ibv_mr *mr;
	uint32_t key;

	mr = ibv_reg_mr(pd, addr, len, access);
	CHECK(mr, "reg %p + %zu access %#x: %s", addr, len, access, strerror(errno));
	if (!mr)
		return 0;
	CHECK(mr->lkey == mr->rkey && mr->lkey, "lkey %#x rkey %#x", mr->lkey, mr->rkey);
	CHECK(mr->addr == addr && mr->length == len && mr->pd == pd, "mr %p %zu", mr->addr,
	      mr->length);
	key = mr->lkey;
	CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));
	return key;
}

static void t_sizes(void)
{
	static const size_t sizes[] = {
		1, 2, 63, 4095, 4096, 4097, 8192, 65536 + 17, 1 << 20, 16 << 20, 256 << 20,
	};
	static const size_t offs[] = { 0, 1, 7, 4095 };
	size_t big = (256 << 20) + 8192;
	char *buf = map_anon(big);
	struct ibv_mr *mr;
	unsigned int i, j;

	memset(buf, 0x5a, big);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++)
			reg_dereg(buf + offs[j], sizes[i],
				  IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				  IBV_ACCESS_REMOTE_READ);

	/* An iova other than the address, with the same page offset. */
	mr = ibv_reg_mr_iova(pd, buf + 100, 3 * 4096, 0x10000000 + 100, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr, "reg_mr_iova: %s", strerror(errno));
	if (mr)
		CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));
	/* ib_core wants the same page offset. */
	errno = 0;
	mr = ibv_reg_mr_iova(pd, buf + 100, 4096, 0x10000000, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!mr && errno == EINVAL, "iova page offset differs: %p errno %d", (void *)mr,
	      errno);
	if (mr)
		ibv_dereg_mr(mr);
	/* Zero-based: iova 0. */
	mr = ibv_reg_mr_iova(pd, buf, 8192, 0, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr, "zero-based: %s", strerror(errno));
	if (mr)
		CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));
	munmap(buf, big);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void t_keys(void)
{
	enum { N = 64, LOOPS = 1000 };
	char *buf = map_anon(N * 4096);
	static uint32_t seen[N + LOOPS];
	struct ibv_mr *mr[N];
	unsigned int i, nseen = 0, dups = 0;
	uint32_t freed;

	for (i = 0; i < N; i++) {
		mr[i] = ibv_reg_mr(pd, buf + i * 4096, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (!mr[i])
			die("ibv_reg_mr");
		seen[nseen++] = mr[i]->lkey;
	}
	for (i = 0; i < N; i++)
		if (mr[i]->lkey != mr[i]->rkey || !mr[i]->lkey)
			dups++;
	CHECK(!dups, "%u MRs with lkey != rkey or key 0", dups);

	/*
	 * Deregister and register again and again: the key just freed must
	 * not come back, and no key of this run may repeat.
	 */
	for (i = 0; i < LOOPS; i++) {
		unsigned int k = i % N;

		freed = mr[k]->lkey;
		if (ibv_dereg_mr(mr[k]))
			die("ibv_dereg_mr");
		mr[k] = ibv_reg_mr(pd, buf + k * 4096, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (!mr[k])
			die("ibv_reg_mr");
		if (mr[k]->lkey == freed)
			dups++;
		seen[nseen++] = mr[k]->lkey;
	}
	CHECK(!dups, "%u registrations got the key just freed", dups);
	qsort(seen, nseen, sizeof(seen[0]), cmp_u32);
	for (i = 1; i < nseen; i++)
		if (seen[i] == seen[i - 1])
			dups++;
	CHECK(!dups, "%u keys handed out twice in %u registrations", dups, nseen);
	for (i = 0; i < N; i++)
		ibv_dereg_mr(mr[i]);
	munmap(buf, N * 4096);
}

/* REG_MR straight to the kernel, bypassing the provider's checks. */
static int raw_reg_mr(void *addr, size_t len, uint32_t access, uint32_t *handle)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_reg_mr cmd;
	} req;
	struct ib_uverbs_reg_mr_resp resp;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.hdr.command = IB_USER_VERBS_CMD_REG_MR;
	req.hdr.in_words = sizeof(req) / 4;
	req.hdr.out_words = sizeof(resp) / 4;
	req.cmd.response = (uintptr_t)&resp;
	req.cmd.start = (uintptr_t)addr;
	req.cmd.length = len;
	req.cmd.hca_va = (uintptr_t)addr;
	req.cmd.pd_handle = pd->handle;
	req.cmd.access_flags = access;
	if (write(ctx->cmd_fd, &req, sizeof(req)) != sizeof(req))
		return errno;
	*handle = resp.mr_handle;
	return 0;
}

static void t_access(void)
{
	static const int good[] = {
		0,
		IBV_ACCESS_LOCAL_WRITE,
		IBV_ACCESS_REMOTE_READ,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_RELAXED_ORDERING,
		IBV_ACCESS_ON_DEMAND,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_ON_DEMAND,
	};
	static const struct { int access; int err; } bad[] = {
		{ IBV_ACCESS_REMOTE_WRITE, EINVAL },
		{ IBV_ACCESS_REMOTE_ATOMIC, EINVAL },
		{ IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ, EINVAL },
		{ IBV_ACCESS_LOCAL_WRITE | (1 << 15), EINVAL },
		{ IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND, EINVAL },
	};
	char *buf = map_anon(3 * 4096);
	char *ro;
	struct ibv_mr *mr;
	uint32_t handle;
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		reg_dereg(buf + 10, 5000, good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		mr = ibv_reg_mr(pd, buf, 4096, bad[i].access);
		CHECK(!mr && errno == bad[i].err, "access %#x: mr %p errno %d, want %d",
		      bad[i].access, (void *)mr, errno, bad[i].err);
		if (mr)
			ibv_dereg_mr(mr);
	}

	/* The kernel refuses a length of 0 */
	err = raw_reg_mr(buf, 0, IBV_ACCESS_LOCAL_WRITE, &handle);
	CHECK(err == EINVAL, "kernel REG_MR of 0 bytes: %d", err);

	/*
	 * Memory that is not there (straight to the kernel: libibverbs'
	 * madvise() would fail first), or not writable for a writable MR.
	 */
	munmap(buf + 4096, 4096);
	err = raw_reg_mr(buf, 3 * 4096, 0, &handle);
	CHECK(err == EFAULT, "hole in the range: %d", err);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap");
	errno = 0;
	mr = ibv_reg_mr(pd, ro, 4096, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!mr && errno == EFAULT, "read-only memory, writable MR: mr %p errno %d",
	      (void *)mr, errno);
	if (mr)
		ibv_dereg_mr(mr);
	reg_dereg(ro, 4096, IBV_ACCESS_REMOTE_READ);
	munmap(ro, 4096);
	munmap(buf, 4096);
	munmap(buf + 2 * 4096, 4096);
}

static void t_rereg(void)
{
	char *buf = map_anon(4 * 4096);
	struct ibv_pd *pd2;
	struct ibv_mr *mr;
	uint32_t key;
	int ret;

	pd2 = ibv_alloc_pd(ctx);
	if (!pd2)
		die("ibv_alloc_pd");
	mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	if (!mr)
		die("ibv_reg_mr");
	key = mr->lkey;

	/* In place: same keys. */
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	CHECK(!ret && mr->lkey == key && mr->rkey == key, "rereg access: %d (%s) key %#x",
	      ret, strerror(errno), mr->lkey);
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, pd2, NULL, 0, 0);
	CHECK(!ret && mr->lkey == key && mr->pd == pd2, "rereg pd: %d (%s)", ret,
	      strerror(errno));
	/* The MR now holds pd2, so pd2 is busy. */
	errno = 0;
	CHECK(ibv_dealloc_pd(pd2) == EBUSY, "dealloc of a PD with an MR: %s", strerror(errno));
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_PD, pd, NULL, 0, 0);
	CHECK(!ret && mr->pd == pd, "rereg pd back: %d (%s)", ret, strerror(errno));

	/* Refused: bad access, ODP, no flags. */
	errno = 0;
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_REMOTE_WRITE);
	CHECK(ret && errno == EINVAL && mr->lkey == key, "rereg bad access: %d errno %d", ret,
	      errno);
	CHECK(ibv_rereg_mr(mr, 0, NULL, NULL, 0, 0), "rereg without flags succeeded");

	/* Pinned <-> on-demand paged: a new MR each time, new keys. */
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
	CHECK(!ret && mr->lkey != key, "rereg to ODP: %d (%s) key %#x", ret, strerror(errno),
	      mr->lkey);
	key = mr->lkey;
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND);
	CHECK(!ret && mr->lkey == key, "ODP rereg access in place: %d (%s) key %#x", ret,
	      strerror(errno), mr->lkey);
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!ret && mr->lkey != key, "rereg back to pinned: %d (%s) key %#x", ret,
	      strerror(errno), mr->lkey);
	key = mr->lkey;

	/* A new translation: a new MR, new keys. */
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_TRANSLATION, NULL, buf + 2 * 4096 + 5, 5000,
			   0);
	CHECK(!ret && mr->lkey != key && mr->lkey == mr->rkey && mr->addr == buf + 2 * 4096 + 5 &&
	      mr->length == 5000, "rereg translation: %d (%s) key %#x", ret, strerror(errno),
	      mr->lkey);
	CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));

	/* Read-only pins cannot become writable in place: new keys. */
	mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_REMOTE_READ);
	if (!mr)
		die("ibv_reg_mr");
	key = mr->lkey;
	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS | IBV_REREG_MR_CHANGE_PD, pd2, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE);
	CHECK(!ret && mr->lkey != key && mr->pd == pd2, "rereg ro -> rw: %d (%s)", ret,
	      strerror(errno));
	CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));
	CHECK(!ibv_dealloc_pd(pd2), "dealloc pd2: %s", strerror(errno));
	munmap(buf, 4 * 4096);
}

static void t_many(int fit)
{
	struct ibv_device_attr attr;
	struct ibv_mr **mrs;
	char *buf = map_anon(4096);
	struct timespec t0, t1;
	int i, n = 0, err = 0;

	if (ibv_query_device(ctx, &attr))
		die("ibv_query_device");
	if (fit <= 0)
		fit = attr.max_mr;
	mrs = calloc(fit + 1, sizeof(*mrs));
	if (!mrs)
		die("calloc");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i <= fit; i++) {
		mrs[i] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (!mrs[i]) {
			err = errno;
			break;
		}
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %d registrations in %.1f s, then errno %d\n", n,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9, err);
	CHECK(n == fit && err == ENOMEM, "%d MRs (want %d, max_mr %d), then errno %d",
	      n, fit, attr.max_mr, err);

	/* One freed slot is usable again. */
	if (n > 0) {
		CHECK(!ibv_dereg_mr(mrs[n / 2]), "dereg: %s", strerror(errno));
		mrs[n / 2] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		CHECK(mrs[n / 2], "reg after a dereg at the limit: %s", strerror(errno));
	}
	for (i = 0; i < n; i++)
		if (mrs[i] && ibv_dereg_mr(mrs[i]))
			err = -1;
	CHECK(err != -1, "dereg of all MRs");
	free(mrs);
	munmap(buf, 4096);
}

static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		die("capget");
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data))
		die("capset");
}

static void t_memlock(void)
{
	struct rlimit rl = { .rlim_cur = 64 << 10, .rlim_max = 64 << 10 };
	char *buf = map_anon(256 << 10);
	struct ibv_mr *a, *b, *c;

	drop_ipc_lock();
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");

	/* 64 KiB may be pinned: two 32 KiB MRs, not a third. */
	a = ibv_reg_mr(pd, buf, 32 << 10, IBV_ACCESS_LOCAL_WRITE);
	b = ibv_reg_mr(pd, buf + (32 << 10), 32 << 10, IBV_ACCESS_LOCAL_WRITE);
	CHECK(a && b, "two 32 KiB MRs under a 64 KiB limit: %s", strerror(errno));
	errno = 0;
	c = ibv_reg_mr(pd, buf + (64 << 10), 4096, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!c && errno == ENOMEM, "over the limit: mr %p errno %d", (void *)c, errno);
	if (c)
		ibv_dereg_mr(c);
	/* Deregistration gives the pages back to the limit. */
	if (b)
		ibv_dereg_mr(b);
	c = ibv_reg_mr(pd, buf + (64 << 10), 32 << 10, IBV_ACCESS_LOCAL_WRITE);
	CHECK(c, "after a dereg: %s", strerror(errno));
	if (c)
		ibv_dereg_mr(c);
	errno = 0;
	c = ibv_reg_mr(pd, buf, 128 << 10, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!c && errno == ENOMEM, "one MR over the limit: mr %p errno %d", (void *)c, errno);
	if (c)
		ibv_dereg_mr(c);
	if (a)
		ibv_dereg_mr(a);

	/* No limit at all: pinning is not allowed. */
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	errno = 0;
	c = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!c && errno == EPERM, "RLIMIT_MEMLOCK 0: mr %p errno %d", (void *)c, errno);
	if (c)
		ibv_dereg_mr(c);
	munmap(buf, 256 << 10);
}

static void t_hold(int mib, bool wait)
{
	char *buf = map_anon((size_t)mib << 20);
	int i;

	memset(buf, 1, (size_t)mib << 20);
	for (i = 0; i < mib; i++)
		if (!ibv_reg_mr(pd, buf + ((size_t)i << 20), 1 << 20, IBV_ACCESS_LOCAL_WRITE))
			die("ibv_reg_mr");
	printf("ready %d\n", mib);
	fflush(stdout);
	if (!wait)
		_exit(0);
	sleep(120);
	_exit(3);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 3) {
		fprintf(stderr, "usage: mr_test DEV sizes|keys|access|rereg|many|memlock|"
			"hold MIB [exit]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	open_dev(argv[1]);
	cmd = argv[2];
	if (!strcmp(cmd, "sizes"))
		t_sizes();
	else if (!strcmp(cmd, "keys"))
		t_keys();
	else if (!strcmp(cmd, "access"))
		t_access();
	else if (!strcmp(cmd, "rereg"))
		t_rereg();
	else if (!strcmp(cmd, "many"))
		t_many(argc >= 4 ? atoi(argv[3]) : 0);
	else if (!strcmp(cmd, "memlock"))
		t_memlock();
	else if (!strcmp(cmd, "hold") && argc >= 4)
		t_hold(atoi(argv[3]), !(argc >= 5 && !strcmp(argv[4], "exit")));
	else {
		fprintf(stderr, "mr_test: unknown command %s\n", cmd);
		return 2;
	}

	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	printf("%s: %d checks passed, %d failed\n", cmd, passes, failures);
	return failures ? 1 : 0;
}
