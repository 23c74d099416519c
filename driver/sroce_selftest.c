// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: self-test of memory regions and the memory seam, run at module
 * load when the module parameter selftest=1 is given (sroce_main.c).
 *
 * No sroce device exists at that point and none is created: the test
 * allocates an unregistered ib_device with nothing but an MR table, two
 * PDs, and builds MRs with the driver's own constructors:
 *  - page-array MRs over kernel pages (the implementation behind pinned
 *    user MRs, with freely chosen iova, page offset and bounds);
 *  - DMA MRs (get_dma_mr) over kmalloc and vmalloc buffers;
 *  - when the loading process has a user address space (modprobe/insmod
 *    do), real pinned user MRs through sroce_reg_user_mr() over memory it
 *    maps into that process for the duration of the test, including a
 *    copy from a workqueue (no mm) and after the memory was unmapped.
 * It covers keys (stale keys, reuse of an index), sroce_mr_check() (PD,
 * access, bounds, state), copies across page boundaries, atomics and their
 * alignment rules, the SGE walker with buffers and skbs and its completion
 * statuses, rereg in place and by replacement, deregistration while an
 * engine holds a reference, and fast-registration MRs (REG_MR, keys,
 * translation through a page list, invalidation waiting for a reference).
 * The result is one line in the kernel log:
 * "sroce: selftest: N passed, N failed, N skipped"; any failure makes the
 * module load fail with -EINVAL.
 */

#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "sroce.h"

#define ST_PAGES	3
#define ST_ALL		(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ | \
			 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)
#define ST_WAIT		msecs_to_jiffies(10000)

struct sroce_st {
	struct sroce_dev *sdev;
	struct sroce_pd *pd;
	struct sroce_pd *pd2;
	unsigned int passed;
	unsigned int failed;
	unsigned int skipped;
};

static bool st_expect(struct sroce_st *st, bool ok, const char *what, int line)
{
	if (ok) {
		st->passed++;
	} else {
		st->failed++;
		pr_err("sroce: selftest: FAILED at line %d: %s\n", line, what);
	}
	return ok;
}

#define EXPECT(st, cond)	st_expect(st, (cond), #cond, __LINE__)

/* Byte @pos of every test region's pattern. */
static u8 st_pattern(u64 pos, u8 seed)
{
	return (u8)(pos * 31 + (pos >> 8) + seed);
}

static void st_fill(u8 *buf, size_t len, u64 pos, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = st_pattern(pos + i, seed);
}

static bool st_is_pattern(const u8 *buf, size_t len, u64 pos, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != st_pattern(pos + i, seed))
			return false;
	return true;
}

/* ---- kernel pages, read and written behind the MR's back ---- */

struct st_pages {
	struct page *page[ST_PAGES];
};

static int st_pages_alloc(struct st_pages *p, u8 seed)
{
	void *kaddr;
	int i;

	for (i = 0; i < ST_PAGES; i++) {
		p->page[i] = alloc_page(GFP_KERNEL);
		if (!p->page[i])
			goto err;
		kaddr = kmap_local_page(p->page[i]);
		st_fill(kaddr, PAGE_SIZE, (u64)i * PAGE_SIZE, seed);
		kunmap_local(kaddr);
	}
	return 0;

err:
	while (i--)
		__free_page(p->page[i]);
	return -ENOMEM;
}

static void st_pages_free(struct st_pages *p)
{
	int i;

	for (i = 0; i < ST_PAGES; i++)
		__free_page(p->page[i]);
}

/* Copy bytes [pos, pos + len) of the pages into or out of @buf. */
static void st_pages_rw(struct st_pages *p, u64 pos, u8 *buf, size_t len, bool write)
{
	unsigned int off, n;
	void *kaddr;

	while (len) {
		off = offset_in_page(pos);
		n = min_t(size_t, len, PAGE_SIZE - off);
		kaddr = kmap_local_page(p->page[pos >> PAGE_SHIFT]);
		if (write)
			memcpy(kaddr + off, buf, n);
		else
			memcpy(buf, kaddr + off, n);
		kunmap_local(kaddr);
		pos += n;
		buf += n;
		len -= n;
	}
}

static struct sroce_mr *st_pages_mr(struct sroce_st *st, struct st_pages *p,
				    unsigned int page_off, u64 iova, u64 len, int access)
{
	return sroce_mr_create_pages(st->pd, p->page, ST_PAGES, page_off, iova, len, access);
}

static void st_dereg(struct sroce_mr *mr)
{
	sroce_dereg_mr(&mr->ibmr, NULL);
}

/* No MR has @key; a reference taken by mistake is dropped again. */
static bool st_no_mr(struct sroce_st *st, u32 key)
{
	struct sroce_mr *mr = sroce_mr_get(st->sdev, key);

	if (mr)
		sroce_mr_put(mr);
	return !mr;
}

/* ---- keys and lookups ---- */

static void st_keys(struct sroce_st *st)
{
	struct sroce_mr_table *tbl = &st->sdev->mrs;
	struct sroce_mr *a, *b, *got;
	u32 ka, kb, index;
	struct st_pages p;

	if (!EXPECT(st, !st_pages_alloc(&p, 1)))
		return;

	a = st_pages_mr(st, &p, 0, 0x10000, PAGE_SIZE, ST_ALL);
	if (!EXPECT(st, !IS_ERR(a)))
		goto out;
	ka = a->key;
	index = ka >> SROCE_MR_KEY_SHIFT;
	EXPECT(st, ka && a->ibmr.lkey == ka && a->ibmr.rkey == ka);
	EXPECT(st, index >= 1 && index <= SROCE_MAX_MR);

	got = sroce_mr_get(st->sdev, ka);
	EXPECT(st, got == a);
	if (got)
		sroce_mr_put(got);
	EXPECT(st, st_no_mr(st, ka ^ 1));
	EXPECT(st, st_no_mr(st, ka + (1 << SROCE_MR_KEY_SHIFT)));
	EXPECT(st, st_no_mr(st, 0));
	EXPECT(st, st_no_mr(st, U32_MAX));

	st_dereg(a);
	EXPECT(st, st_no_mr(st, ka));

	/* Hand the same index out again: the old key must stay dead. */
	xa_lock(&tbl->xa);
	tbl->next = index;
	xa_unlock(&tbl->xa);
	b = st_pages_mr(st, &p, 0, 0x10000, PAGE_SIZE, ST_ALL);
	if (!EXPECT(st, !IS_ERR(b)))
		goto out;
	kb = b->key;
	EXPECT(st, kb >> SROCE_MR_KEY_SHIFT == index);
	EXPECT(st, kb != ka);
	EXPECT(st, st_no_mr(st, ka));
	got = sroce_mr_get(st->sdev, kb);
	EXPECT(st, got == b);
	if (got)
		sroce_mr_put(got);
	st_dereg(b);
	EXPECT(st, st_no_mr(st, kb));
out:
	st_pages_free(&p);
}

/* ---- sroce_mr_check() ---- */

static void st_check(struct sroce_st *st)
{
	const u64 base = 0x7f0000001000ULL, len = 2 * PAGE_SIZE;
	struct sroce_mr *mr, *ro;
	struct st_pages p;

	if (!EXPECT(st, !st_pages_alloc(&p, 2)))
		return;
	mr = st_pages_mr(st, &p, 0, base, len, IB_ACCESS_LOCAL_WRITE);
	ro = st_pages_mr(st, &p, 0, base, len, IB_ACCESS_REMOTE_READ);
	if (!EXPECT(st, !IS_ERR(mr) && !IS_ERR(ro)))
		goto out;

	EXPECT(st, sroce_mr_check(mr, st->pd, base, len, 0) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, len, IB_ACCESS_LOCAL_WRITE) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd2, base, 1, 0) == -EPERM);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, 1, IB_ACCESS_REMOTE_WRITE) == -EACCES);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, 1, IB_ACCESS_REMOTE_READ) == -EACCES);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, 8, IB_ACCESS_REMOTE_ATOMIC) == -EACCES);
	EXPECT(st, sroce_mr_check(ro, st->pd, base, 1, IB_ACCESS_REMOTE_READ) == 0);
	EXPECT(st, sroce_mr_check(ro, st->pd, base, 1, IB_ACCESS_LOCAL_WRITE) == -EACCES);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, 1, IB_ACCESS_MW_BIND) == -EINVAL);

	EXPECT(st, sroce_mr_check(mr, st->pd, base - 1, 1, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, base - 1, 2, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, base, len + 1, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, base + len - 1, 1, 0) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd, base + len - 1, 2, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, base + len, 0, 0) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd, base + len, 1, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, base + 1, U64_MAX, 0) == -ERANGE);
	EXPECT(st, sroce_mr_check(mr, st->pd, U64_MAX, 2, 0) == -ERANGE);
out:
	if (!IS_ERR(mr))
		st_dereg(mr);
	if (!IS_ERR(ro))
		st_dereg(ro);
	st_pages_free(&p);
}

/* ---- copies and atomics on page arrays ---- */

static void st_pages_copy(struct sroce_st *st)
{
	/* iova and page offset deliberately unrelated (no user MR does that) */
	const unsigned int page_off = 100;
	const u64 base = 0x123456789000ULL + 7;
	const u64 len = ST_PAGES * PAGE_SIZE - page_off - 50;
	static const struct { u64 off, len; } cases[] = {
		{ 0, 1 }, { 0, 64 }, { PAGE_SIZE - 101, 2 }, { PAGE_SIZE - 110, 20 },
		{ 10, 2 * PAGE_SIZE }, { 0, ST_PAGES * PAGE_SIZE - 150 },
		{ ST_PAGES * PAGE_SIZE - 151, 1 },
	};
	struct sroce_mr *mr;
	struct st_pages p;
	u8 *buf, *chk;
	int i;

	buf = kmalloc(ST_PAGES * PAGE_SIZE, GFP_KERNEL);
	chk = kmalloc(ST_PAGES * PAGE_SIZE, GFP_KERNEL);
	if (!EXPECT(st, buf && chk && !st_pages_alloc(&p, 3)))
		goto out_free;
	mr = st_pages_mr(st, &p, page_off, base, len, ST_ALL);
	if (!EXPECT(st, !IS_ERR(mr)))
		goto out_pages;
	EXPECT(st, mr->iova == base && mr->length == len);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 off = cases[i].off, n = cases[i].len;

		memset(buf, 0, n);
		EXPECT(st, sroce_mr_copy(mr, base + off, buf, n, SROCE_FROM_MR) == 0);
		EXPECT(st, st_is_pattern(buf, n, page_off + off, 3));

		/* Write a different pattern, check it and its neighbours. */
		st_fill(buf, n, off, 77);
		EXPECT(st, sroce_mr_copy(mr, base + off, buf, n, SROCE_TO_MR) == 0);
		st_pages_rw(&p, page_off + off, chk, n, false);
		EXPECT(st, st_is_pattern(chk, n, off, 77));
		if (off) {
			st_pages_rw(&p, page_off + off - 1, chk, 1, false);
			EXPECT(st, chk[0] == st_pattern(page_off + off - 1, 3));
		}
		st_pages_rw(&p, page_off + off + n, chk, 1, false);
		EXPECT(st, chk[0] == st_pattern(page_off + off + n, 3));
		/* restore */
		st_fill(chk, n, page_off + off, 3);
		st_pages_rw(&p, page_off + off, chk, n, true);
	}

	/* Out of bounds: refused, nothing touched. */
	memset(buf, 0xee, 16);
	EXPECT(st, sroce_mr_copy(mr, base - 1, buf, 2, SROCE_TO_MR) == -ERANGE);
	EXPECT(st, sroce_mr_copy(mr, base + len - 1, buf, 2, SROCE_TO_MR) == -ERANGE);
	EXPECT(st, sroce_mr_copy(mr, base + len, buf, 0, SROCE_TO_MR) == 0);
	st_pages_rw(&p, page_off - 1, chk, 1, false);
	EXPECT(st, chk[0] == st_pattern(page_off - 1, 3));
	st_pages_rw(&p, page_off + len - 1, chk, 2, false);
	EXPECT(st, st_is_pattern(chk, 2, page_off + len - 1, 3));

	st_dereg(mr);
out_pages:
	st_pages_free(&p);
out_free:
	kfree(buf);
	kfree(chk);
}

static void st_atomics(struct sroce_st *st)
{
	const u64 base = 0x40000000ULL, len = 2 * PAGE_SIZE;
	const u64 w = base + PAGE_SIZE + 24;	/* a word in the second page */
	struct sroce_mr *mr, *odd;
	struct st_pages p;
	u64 orig = 0, v = 0x1122334455667788ULL;

	if (!EXPECT(st, !st_pages_alloc(&p, 4)))
		return;
	mr = st_pages_mr(st, &p, 0, base, len, ST_ALL);
	/* iova aligned, memory behind it not: must be refused, not split */
	odd = st_pages_mr(st, &p, 3, base, len, ST_ALL);
	if (!EXPECT(st, !IS_ERR(mr) && !IS_ERR(odd)))
		goto out;

	st_pages_rw(&p, w - base, (u8 *)&v, 8, true);
	EXPECT(st, sroce_mr_atomic(mr, w, SROCE_ATOMIC_CMP_SWP, 1, 2, &orig) == 0);
	EXPECT(st, orig == v);
	st_pages_rw(&p, w - base, (u8 *)&orig, 8, false);
	EXPECT(st, orig == v);
	EXPECT(st, sroce_mr_atomic(mr, w, SROCE_ATOMIC_CMP_SWP, v, 42, &orig) == 0);
	EXPECT(st, orig == v);
	st_pages_rw(&p, w - base, (u8 *)&orig, 8, false);
	EXPECT(st, orig == 42);
	EXPECT(st, sroce_mr_atomic(mr, w, SROCE_ATOMIC_FETCH_ADD, U64_MAX, 0, &orig) == 0);
	EXPECT(st, orig == 42);
	st_pages_rw(&p, w - base, (u8 *)&orig, 8, false);
	EXPECT(st, orig == 41);

	EXPECT(st, sroce_mr_atomic(mr, w + 4, SROCE_ATOMIC_FETCH_ADD, 1, 0, &orig) == -EINVAL);
	EXPECT(st, sroce_mr_atomic(mr, base - 8, SROCE_ATOMIC_FETCH_ADD, 1, 0, &orig) == -ERANGE);
	EXPECT(st, sroce_mr_atomic(mr, base + len - 8, SROCE_ATOMIC_FETCH_ADD, 1, 0, &orig) == 0);
	EXPECT(st, sroce_mr_atomic(mr, base + len, SROCE_ATOMIC_FETCH_ADD, 1, 0, &orig) == -ERANGE);
	EXPECT(st, sroce_mr_atomic(mr, w, 7, 1, 0, &orig) == -EINVAL);
	EXPECT(st, sroce_mr_atomic(odd, w, SROCE_ATOMIC_FETCH_ADD, 1, 0, &orig) == -EINVAL);
out:
	if (!IS_ERR(mr))
		st_dereg(mr);
	if (!IS_ERR(odd))
		st_dereg(odd);
	st_pages_free(&p);
}

/* ---- the kernel DMA MR over kmalloc and vmalloc memory ---- */

static void st_dma_buf(struct sroce_st *st, struct sroce_mr *mr, u8 *kbuf, size_t size)
{
	u64 at = (uintptr_t)kbuf + PAGE_SIZE - 5, orig = 0;
	u8 tmp[16];

	st_fill(kbuf, size, 0, 5);
	EXPECT(st, sroce_mr_check(mr, st->pd, at, 10, IB_ACCESS_LOCAL_WRITE) == 0);
	EXPECT(st, sroce_mr_copy(mr, at, tmp, 10, SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(tmp, 10, PAGE_SIZE - 5, 5));
	st_fill(tmp, 10, 0, 99);
	EXPECT(st, sroce_mr_copy(mr, at, tmp, 10, SROCE_TO_MR) == 0);
	EXPECT(st, st_is_pattern(kbuf + PAGE_SIZE - 5, 10, 0, 99));
	EXPECT(st, kbuf[PAGE_SIZE - 6] == st_pattern(PAGE_SIZE - 6, 5));
	EXPECT(st, kbuf[PAGE_SIZE + 5] == st_pattern(PAGE_SIZE + 5, 5));

	*(u64 *)(kbuf + 2 * PAGE_SIZE) = 1000;
	EXPECT(st, sroce_mr_atomic(mr, (uintptr_t)kbuf + 2 * PAGE_SIZE,
				   SROCE_ATOMIC_FETCH_ADD, 24, 0, &orig) == 0);
	EXPECT(st, orig == 1000 && *(u64 *)(kbuf + 2 * PAGE_SIZE) == 1024);
}

static void st_dma(struct sroce_st *st)
{
	const size_t size = ST_PAGES * PAGE_SIZE;
	struct ib_mr *ibmr, *ibro;
	struct sroce_mr *mr;
	u8 *kbuf, *vbuf, tmp[8];

	kbuf = kmalloc(size, GFP_KERNEL);
	vbuf = vmalloc(size);
	ibmr = sroce_get_dma_mr(&st->pd->ibpd, IB_ACCESS_LOCAL_WRITE);
	ibro = sroce_get_dma_mr(&st->pd->ibpd, 0);
	if (!EXPECT(st, kbuf && vbuf && !IS_ERR(ibmr) && !IS_ERR(ibro)))
		goto out;
	mr = to_smr(ibmr);

	st_dma_buf(st, mr, kbuf, size);
	st_dma_buf(st, mr, vbuf, size);

	EXPECT(st, sroce_mr_check(mr, st->pd, (uintptr_t)kbuf, 8, IB_ACCESS_REMOTE_READ) ==
		   -EACCES);
	EXPECT(st, sroce_mr_check(to_smr(ibro), st->pd, (uintptr_t)kbuf, 8,
				  IB_ACCESS_LOCAL_WRITE) == -EACCES);
	EXPECT(st, sroce_mr_check(mr, st->pd2, (uintptr_t)kbuf, 8, 0) == -EPERM);
	/* Not a kernel address: refused, not dereferenced. */
	EXPECT(st, sroce_mr_copy(mr, 0x1000, tmp, 8, SROCE_FROM_MR) == -EFAULT);
	EXPECT(st, sroce_get_dma_mr(&st->pd->ibpd, IB_ACCESS_REMOTE_WRITE) ==
		   ERR_PTR(-EINVAL));
	EXPECT(st, sroce_get_dma_mr(&st->pd->ibpd, IB_ACCESS_ON_DEMAND) ==
		   ERR_PTR(-EOPNOTSUPP));
out:
	if (!IS_ERR(ibmr))
		sroce_dereg_mr(ibmr, NULL);
	if (!IS_ERR(ibro))
		sroce_dereg_mr(ibro, NULL);
	kfree(kbuf);
	vfree(vbuf);
}

/* ---- the SGE walker ---- */

static void st_sge(struct sroce_st *st)
{
	const u64 base = 0x200000;
	struct ib_mr *dma = NULL;
	struct sroce_mr *mr = NULL, *ro = NULL;
	struct sk_buff *skb = NULL, *skb2 = NULL;
	struct page *frag = NULL;
	struct ib_sge sgl[4];
	struct st_pages p;
	u8 *vbuf, *buf, *exp;
	u32 dead;
	int i;

	vbuf = vmalloc(2 * PAGE_SIZE);
	buf = kzalloc(512, GFP_KERNEL);
	exp = kzalloc(512, GFP_KERNEL);
	if (!EXPECT(st, vbuf && buf && exp && !st_pages_alloc(&p, 6)))
		goto out_free;
	mr = st_pages_mr(st, &p, 0, base, ST_PAGES * PAGE_SIZE, IB_ACCESS_LOCAL_WRITE);
	ro = st_pages_mr(st, &p, 0, base, ST_PAGES * PAGE_SIZE, 0);
	dma = sroce_get_dma_mr(&st->pd->ibpd, IB_ACCESS_LOCAL_WRITE);
	if (!EXPECT(st, !IS_ERR(mr) && !IS_ERR(ro) && !IS_ERR(dma)))
		goto out;
	st_fill(vbuf, 2 * PAGE_SIZE, 0, 9);

	/* 100 B at +10, an empty SGE with a bogus key, 60 B across a vmalloc
	 * page boundary, 50 B across the last page boundary: 210 B.
	 */
	sgl[0] = (struct ib_sge){ .addr = base + 10, .length = 100, .lkey = mr->key };
	sgl[1] = (struct ib_sge){ .addr = 0, .length = 0, .lkey = 0xdead00 };
	sgl[2] = (struct ib_sge){ .addr = (uintptr_t)vbuf + PAGE_SIZE - 30, .length = 60,
				  .lkey = dma->lkey };
	sgl[3] = (struct ib_sge){ .addr = base + 2 * PAGE_SIZE - 5, .length = 50,
				  .lkey = mr->key };
	st_fill(exp, 100, 10, 6);
	st_fill(exp + 100, 60, PAGE_SIZE - 30, 9);
	st_fill(exp + 160, 50, 2 * PAGE_SIZE - 5, 6);

	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 210, SROCE_FROM_MR) == 0);
	EXPECT(st, !memcmp(buf, exp, 210));
	memset(buf, 0, 512);
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 95, buf, 70, SROCE_FROM_MR) == 0);
	EXPECT(st, !memcmp(buf, exp + 95, 70));
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 210, buf, 0, SROCE_FROM_MR) == 0);

	/* Scatter a new pattern and read it back behind the walker's back. */
	st_fill(exp, 210, 0, 123);
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, exp, 210, SROCE_TO_MR) == 0);
	st_pages_rw(&p, 10, buf, 100, false);
	EXPECT(st, !memcmp(buf, exp, 100));
	EXPECT(st, !memcmp(vbuf + PAGE_SIZE - 30, exp + 100, 60));
	st_pages_rw(&p, 2 * PAGE_SIZE - 5, buf, 50, false);
	EXPECT(st, !memcmp(buf, exp + 160, 50));

	/* Failures and the completion status each one maps to. */
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 211, SROCE_TO_MR);
	EXPECT(st, i == -EMSGSIZE && sroce_sge_wc_status(i) == IB_WC_LOC_LEN_ERR);
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 4, 200, buf, 11, SROCE_FROM_MR);
	EXPECT(st, i == -EMSGSIZE);
	i = sroce_sge_copy(st->sdev, st->pd2, sgl, 4, 0, buf, 10, SROCE_FROM_MR);
	EXPECT(st, i == -EPERM && sroce_sge_wc_status(i) == IB_WC_LOC_PROT_ERR);
	sgl[0].lkey = mr->key ^ 0x80;
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 10, SROCE_FROM_MR);
	EXPECT(st, i == -ENOENT && sroce_sge_wc_status(i) == IB_WC_LOC_PROT_ERR);
	sgl[0].lkey = ro->key;
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 10, SROCE_FROM_MR) == 0);
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 10, SROCE_TO_MR);
	EXPECT(st, i == -EACCES && sroce_sge_wc_status(i) == IB_WC_LOC_PROT_ERR);
	sgl[0].lkey = mr->key;
	sgl[0].addr = base + ST_PAGES * PAGE_SIZE - 50;
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 100, SROCE_FROM_MR);
	EXPECT(st, i == -ERANGE && sroce_sge_wc_status(i) == IB_WC_LOC_PROT_ERR);
	/* ... but the touched part of it is fine */
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 50, SROCE_FROM_MR) == 0);
	sgl[0].addr = base + 10;

	/* skbs: 100 B linear + 110 B in a page fragment. */
	frag = alloc_page(GFP_KERNEL);
	skb = alloc_skb(128, GFP_KERNEL);
	skb2 = alloc_skb(128, GFP_KERNEL);
	if (!EXPECT(st, frag && skb && skb2))
		goto out;
	get_page(frag);		/* one reference for each skb */
	st_fill(skb_put(skb, 100), 100, 0, 44);
	st_fill(page_address(frag), 110, 100, 44);
	skb_fill_page_desc(skb, 0, frag, 0, 110);
	skb->len += 110;
	skb->data_len += 110;
	skb_put(skb2, 100);
	skb_fill_page_desc(skb2, 0, frag, 1024, 110);
	skb2->len += 110;
	skb2->data_len += 110;
	frag = NULL;

	EXPECT(st, sroce_sge_copy_skb(st->sdev, st->pd, sgl, 4, 0, skb, 0, 210,
				      SROCE_TO_MR) == 0);
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, sgl, 4, 0, buf, 210, SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(buf, 210, 0, 44));
	EXPECT(st, sroce_sge_copy_skb(st->sdev, st->pd, sgl, 4, 5, skb2, 3, 200,
				      SROCE_FROM_MR) == 0);
	EXPECT(st, !skb_copy_bits(skb2, 3, buf, 200) && st_is_pattern(buf, 200, 5, 44));
	EXPECT(st, sroce_sge_copy_skb(st->sdev, st->pd, sgl, 4, 0, skb, 1, 210,
				      SROCE_TO_MR) == -EINVAL);
	EXPECT(st, sroce_mr_copy_skb(mr, base + 10, skb, 90, 20, SROCE_FROM_MR) == 0);
	EXPECT(st, !skb_copy_bits(skb, 90, buf, 20) && st_is_pattern(buf, 20, 0, 44));

	/* A deregistered lkey is refused. */
	dead = mr->key;
	st_dereg(mr);
	mr = NULL;
	sgl[0].lkey = dead;
	i = sroce_sge_copy(st->sdev, st->pd, sgl, 1, 0, buf, 10, SROCE_FROM_MR);
	EXPECT(st, i == -ENOENT);
out:
	kfree_skb(skb);
	kfree_skb(skb2);
	if (frag)
		__free_page(frag);
	if (!IS_ERR_OR_NULL(mr))
		st_dereg(mr);
	if (!IS_ERR_OR_NULL(ro))
		st_dereg(ro);
	if (!IS_ERR_OR_NULL(dma))
		sroce_dereg_mr(dma, NULL);
	st_pages_free(&p);
out_free:
	vfree(vbuf);
	kfree(buf);
	kfree(exp);
}

/* ---- deregistration while an engine holds a reference ---- */

struct st_work {
	struct work_struct work;
	struct completion done;
	struct sroce_mr *mr;
	u64 iova;
	u8 *buf;
	size_t len;
	int err;
};

static void st_dereg_work(struct work_struct *work)
{
	struct st_work *w = container_of(work, struct st_work, work);

	st_dereg(w->mr);
	complete(&w->done);
}

static void st_dereg_in_use(struct sroce_st *st)
{
	const u64 base = 0x1000;
	struct sroce_mr *mr, *ref;
	struct st_work w = {};
	struct st_pages p;
	unsigned long deadline;
	u8 buf[32];
	u32 key;

	if (!EXPECT(st, !st_pages_alloc(&p, 8)))
		return;
	mr = st_pages_mr(st, &p, 0, base, PAGE_SIZE, ST_ALL);
	if (!EXPECT(st, !IS_ERR(mr)))
		goto out;
	key = mr->key;
	ref = sroce_mr_get(st->sdev, key);
	if (!EXPECT(st, ref == mr)) {
		if (ref)
			sroce_mr_put(ref);
		st_dereg(mr);
		goto out;
	}

	INIT_WORK_ONSTACK(&w.work, st_dereg_work);
	init_completion(&w.done);
	w.mr = mr;
	queue_work(system_unbound_wq, &w.work);

	/* Deregistration starts: lookups and checks fail at once ... */
	deadline = jiffies + ST_WAIT;
	while (sroce_mr_check(ref, st->pd, base, 1, 0) != -ENOENT &&
	       time_before(jiffies, deadline))
		msleep(5);
	EXPECT(st, sroce_mr_check(ref, st->pd, base, 1, 0) == -ENOENT);
	EXPECT(st, st_no_mr(st, key));
	/* ... but it waits for us, and our copy still works. */
	EXPECT(st, !wait_for_completion_timeout(&w.done, msecs_to_jiffies(200)));
	EXPECT(st, sroce_mr_copy(ref, base + 8, buf, sizeof(buf), SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(buf, sizeof(buf), 8, 8));
	sroce_mr_put(ref);
	EXPECT(st, wait_for_completion_timeout(&w.done, ST_WAIT));
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
out:
	st_pages_free(&p);
}

/* ---- fast-registration MRs: REG_MR, invalidation, lookups ---- */

struct st_inv_work {
	struct work_struct work;
	struct completion done;
	struct sroce_st *st;
	u32 key;
	int err;
};

static void st_inv_work(struct work_struct *work)
{
	struct st_inv_work *w = container_of(work, struct st_inv_work, work);

	w->err = sroce_frmr_invalidate(w->st->sdev, w->st->pd, w->key);
	complete(&w->done);
}

/*
 * Map pages 2 and 0 of @p (in that order, the first from byte @off on) as
 * a page list in PAGE_SIZE pages, as ib_map_mr_sg() would.
 */
static int st_frmr_map(struct sroce_mr *mr, struct st_pages *p,
		       unsigned int off)
{
	struct scatterlist sg[2];

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], p->page[2], PAGE_SIZE - off, off);
	sg_set_page(&sg[1], p->page[0], PAGE_SIZE, 0);
	sg_dma_address(&sg[0]) = (uintptr_t)page_address(p->page[2]) + off;
	sg_dma_len(&sg[0]) = PAGE_SIZE - off;
	sg_dma_address(&sg[1]) = (uintptr_t)page_address(p->page[0]);
	sg_dma_len(&sg[1]) = PAGE_SIZE;
	mr->ibmr.page_size = PAGE_SIZE;
	return sroce_map_mr_sg(&mr->ibmr, sg, 2, NULL);
}

static void st_frmr(struct sroce_st *st)
{
	const int access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ;
	struct st_inv_work w = { .st = st };
	struct sroce_mr *mr, *ref;
	struct ib_mr *ibmr;
	struct st_pages p;
	u32 key0, key;
	u8 buf[64];

	EXPECT(st, PTR_ERR(sroce_alloc_mr(&st->pd->ibpd, IB_MR_TYPE_SG_GAPS,
					  4)) == -EOPNOTSUPP);
	EXPECT(st, PTR_ERR(sroce_alloc_mr(&st->pd->ibpd, IB_MR_TYPE_DMA,
					  4)) == -EINVAL);
	if (!EXPECT(st, !st_pages_alloc(&p, 21)))
		return;
	ibmr = sroce_alloc_mr(&st->pd->ibpd, IB_MR_TYPE_MEM_REG, 4);
	if (!EXPECT(st, !IS_ERR(ibmr)))
		goto out;
	mr = to_smr(ibmr);
	key0 = mr->key;
	/* FREE: no lookup succeeds, not even with its key */
	EXPECT(st, st_no_mr(st, key0));
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd, key0, access) ==
		   -EINVAL);	/* nothing mapped yet */

	EXPECT(st, st_frmr_map(mr, &p, 100) == 2);
	EXPECT(st, ibmr->iova == (uintptr_t)page_address(p.page[2]) + 100 &&
		   ibmr->length == 2 * PAGE_SIZE - 100);
	key = (key0 & ~SROCE_MR_KEY_MASK) | ((key0 + 0x33) & SROCE_MR_KEY_MASK);
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd2, key, access) ==
		   -EPERM);
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd, key,
				       IB_ACCESS_REMOTE_WRITE) == -EINVAL);
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd, key, access) == 0);
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd, key, access) ==
		   -EBUSY);
	EXPECT(st, st_no_mr(st, key0));

	/* the translation: page 2 from byte 100, then page 0 */
	ref = sroce_mr_get(st->sdev, key);
	if (!EXPECT(st, ref == mr)) {
		if (ref)
			sroce_mr_put(ref);
		goto out_dereg;
	}
	EXPECT(st, !sroce_mr_check(ref, st->pd, ibmr->iova + PAGE_SIZE - 132,
				   64, IB_ACCESS_REMOTE_READ));
	EXPECT(st, sroce_mr_check(ref, st->pd, ibmr->iova, 8,
				  IB_ACCESS_REMOTE_WRITE) == -EACCES);
	EXPECT(st, sroce_mr_copy(ref, ibmr->iova + PAGE_SIZE - 132, buf, 64,
				 SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(buf, 32, 3 * PAGE_SIZE - 32, 21) &&
		   st_is_pattern(buf + 32, 32, 0, 21));

	/* invalidation: lookups fail at once, but it waits for @ref */
	EXPECT(st, sroce_frmr_invalidate(st->sdev, st->pd, key0) == -EACCES);
	EXPECT(st, sroce_frmr_invalidate(st->sdev, st->pd2, key) == -EPERM);
	INIT_WORK_ONSTACK(&w.work, st_inv_work);
	init_completion(&w.done);
	w.key = key;
	queue_work(system_unbound_wq, &w.work);
	msleep(50);
	EXPECT(st, st_no_mr(st, key));
	EXPECT(st, !wait_for_completion_timeout(&w.done, msecs_to_jiffies(200)));
	EXPECT(st, sroce_mr_copy(ref, ibmr->iova, buf, 16, SROCE_FROM_MR) == 0);
	sroce_mr_put(ref);
	EXPECT(st, wait_for_completion_timeout(&w.done, ST_WAIT) && !w.err);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	EXPECT(st, st_no_mr(st, key));
	/* again (FREE, same key): allowed, nothing changes */
	EXPECT(st, sroce_frmr_invalidate(st->sdev, st->pd, key) == 0);

	/* re-registration with another key and page offset */
	EXPECT(st, st_frmr_map(mr, &p, 0) == 2);
	key0 = key;
	key = (key & ~SROCE_MR_KEY_MASK) | ((key + 1) & SROCE_MR_KEY_MASK);
	EXPECT(st, sroce_frmr_register(st->sdev, st->pd, key, access) == 0);
	EXPECT(st, st_no_mr(st, key0));
	EXPECT(st, sroce_sge_copy(st->sdev, st->pd, &(struct ib_sge) {
			.addr = ibmr->iova + PAGE_SIZE - 8, .length = 16,
			.lkey = key }, 1, 0, buf, 16, SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(buf, 8, 3 * PAGE_SIZE - 8, 21) &&
		   st_is_pattern(buf + 8, 8, 0, 21));
	/* a key that names no fast-reg MR */
	EXPECT(st, sroce_frmr_invalidate(st->sdev, st->pd, 0xffffff00) ==
		   -ENOENT);
out_dereg:
	st_dereg(mr);	/* registered: dereg directly */
out:
	st_pages_free(&p);
}

/* ---- pinned user memory of the loading process ---- */

static void st_copy_work(struct work_struct *work)
{
	struct st_work *w = container_of(work, struct st_work, work);

	w->err = sroce_mr_copy(w->mr, w->iova, w->buf, w->len, SROCE_FROM_MR);
	complete(&w->done);
}

static void st_user_rereg(struct sroce_st *st, unsigned long uaddr)
{
	const u64 hca = 0x5000000000ULL;
	struct ib_mr *ib, *ib2;
	struct sroce_mr *mr;

	/* In place: PD and permissions, same key. */
	ib = sroce_reg_user_mr(&st->pd->ibpd, uaddr, PAGE_SIZE, hca, IB_ACCESS_LOCAL_WRITE, NULL);
	if (!EXPECT(st, !IS_ERR(ib)))
		return;
	mr = to_smr(ib);
	EXPECT(st, !sroce_rereg_user_mr(ib, IB_MR_REREG_PD, 0, 0, 0, 0, &st->pd2->ibpd, NULL));
	EXPECT(st, sroce_mr_check(mr, st->pd2, hca, 1, 0) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd, hca, 1, 0) == -EPERM);
	EXPECT(st, !sroce_rereg_user_mr(ib, IB_MR_REREG_ACCESS, 0, 0, 0,
					IB_ACCESS_REMOTE_READ, &st->pd2->ibpd, NULL));
	EXPECT(st, sroce_mr_check(mr, st->pd2, hca, 1, IB_ACCESS_REMOTE_READ) == 0);
	EXPECT(st, sroce_mr_check(mr, st->pd2, hca, 1, IB_ACCESS_LOCAL_WRITE) == -EACCES);
	/* Pinned -> on-demand paged: a new MR (freed here, never swapped in). */
	ib2 = sroce_rereg_user_mr(ib, IB_MR_REREG_ACCESS, 0, 0, 0, IB_ACCESS_ON_DEMAND,
				  &st->pd2->ibpd, NULL);
	if (EXPECT(st, !IS_ERR_OR_NULL(ib2))) {
		EXPECT(st, ib2->lkey != ib->lkey && to_smr(ib2)->odp);
		sroce_dereg_mr(ib2, NULL);
	}
	/* New translation: a new MR that ib_core would swap in. */
	ib2 = sroce_rereg_user_mr(ib, IB_MR_REREG_TRANS, uaddr + PAGE_SIZE, 100,
				  uaddr + PAGE_SIZE, 0, &st->pd2->ibpd, NULL);
	if (EXPECT(st, !IS_ERR_OR_NULL(ib2))) {
		EXPECT(st, ib2->lkey != ib->lkey && to_smr(ib2)->length == 100);
		EXPECT(st, sroce_mr_check(to_smr(ib2), st->pd2, uaddr + PAGE_SIZE, 100,
					  IB_ACCESS_REMOTE_READ) == 0);
		sroce_dereg_mr(ib2, NULL);
	}
	sroce_dereg_mr(ib, NULL);

	/* Read-only pins cannot become writable in place. */
	ib = sroce_reg_user_mr(&st->pd->ibpd, uaddr, PAGE_SIZE, uaddr, 0, NULL);
	if (!EXPECT(st, !IS_ERR(ib)))
		return;
	ib2 = sroce_rereg_user_mr(ib, IB_MR_REREG_ACCESS, 0, 0, 0, IB_ACCESS_LOCAL_WRITE,
				  &st->pd->ibpd, NULL);
	if (EXPECT(st, !IS_ERR_OR_NULL(ib2))) {
		EXPECT(st, ib2->lkey != ib->lkey);
		EXPECT(st, sroce_mr_check(to_smr(ib2), st->pd, uaddr, PAGE_SIZE,
					  IB_ACCESS_LOCAL_WRITE) == 0);
		sroce_dereg_mr(ib2, NULL);
	}
	sroce_dereg_mr(ib, NULL);
}

static void st_user(struct sroce_st *st)
{
	const size_t size = 4 * PAGE_SIZE, len = 3 * PAGE_SIZE;
	const u64 hca = 0x7a0000000000ULL + 100;	/* same page offset as start */
	struct st_work w = {};
	struct sroce_mr *mr;
	unsigned long uaddr;
	struct ib_mr *ib;
	u8 *kbuf, *tmp;
	u64 orig = 0, v;

	if (!current->mm || (current->flags & PF_KTHREAD)) {
		pr_info("sroce: selftest: no user address space, pinned user MRs skipped\n");
		st->skipped++;
		return;
	}

	kbuf = kmalloc(size, GFP_KERNEL);
	tmp = kmalloc(size, GFP_KERNEL);
	uaddr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (!EXPECT(st, kbuf && tmp && !IS_ERR_VALUE(uaddr)))
		goto out_free;
	st_fill(kbuf, size, 0, 11);
	if (!EXPECT(st, !copy_to_user((void __user *)uaddr, kbuf, size)))
		goto out_unmap;

	/* Argument checks of reg_user_mr. */
	EXPECT(st, sroce_reg_user_mr(&st->pd->ibpd, uaddr, 0, uaddr, 0, NULL) ==
		   ERR_PTR(-EINVAL));
	EXPECT(st, sroce_reg_user_mr(&st->pd->ibpd, uaddr, U64_MAX, uaddr, 0, NULL) ==
		   ERR_PTR(-EINVAL));
	EXPECT(st, sroce_reg_user_mr(&st->pd->ibpd, uaddr, 16, U64_MAX - 8, 0, NULL) ==
		   ERR_PTR(-EINVAL));
	EXPECT(st, sroce_reg_user_mr(&st->pd->ibpd, uaddr, 16, uaddr, IB_ACCESS_REMOTE_WRITE,
				     NULL) == ERR_PTR(-EINVAL));
	ib = sroce_reg_user_mr(&st->pd->ibpd, uaddr, 16, uaddr,
			       IB_ACCESS_LOCAL_WRITE | IB_ACCESS_ON_DEMAND, NULL);
	if (EXPECT(st, !IS_ERR(ib))) {
		EXPECT(st, to_smr(ib)->odp && !to_smr(ib)->npages);
		sroce_dereg_mr(ib, NULL);
	}

	ib = sroce_reg_user_mr(&st->pd->ibpd, uaddr + 100, len, hca, ST_ALL, NULL);
	if (!EXPECT(st, !IS_ERR(ib)))
		goto out_unmap;
	mr = to_smr(ib);
	EXPECT(st, mr->iova == hca && mr->length == len && mr->npages == 4);

	/* Read across every page boundary, at iova != user address. */
	EXPECT(st, sroce_mr_check(mr, st->pd, hca, len, IB_ACCESS_REMOTE_WRITE) == 0);
	EXPECT(st, sroce_mr_copy(mr, hca, tmp, len, SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(tmp, len, 100, 11));
	EXPECT(st, sroce_mr_copy(mr, hca - 1, tmp, 1, SROCE_FROM_MR) == -ERANGE);

	/* Write through the MR, read back through the process mapping. */
	st_fill(tmp, 300, 0, 66);
	EXPECT(st, sroce_mr_copy(mr, hca + PAGE_SIZE - 250, tmp, 300, SROCE_TO_MR) == 0);
	EXPECT(st, !copy_from_user(kbuf, (void __user *)uaddr, size));
	EXPECT(st, st_is_pattern(kbuf + 100 + PAGE_SIZE - 250, 300, 0, 66));
	EXPECT(st, kbuf[100 + PAGE_SIZE - 251] == st_pattern(100 + PAGE_SIZE - 251, 11));
	EXPECT(st, kbuf[100 + PAGE_SIZE + 50] == st_pattern(100 + PAGE_SIZE + 50, 11));

	/* Atomic on a word of the second page (iova 8-byte aligned). */
	v = 5;
	EXPECT(st, !copy_to_user((void __user *)(uaddr + 2 * PAGE_SIZE), &v, 8));
	EXPECT(st, sroce_mr_atomic(mr, hca - 100 + 2 * PAGE_SIZE, SROCE_ATOMIC_FETCH_ADD, 3, 0,
				   &orig) == 0);
	EXPECT(st, orig == 5 && !get_user(v, (u64 __user *)(uaddr + 2 * PAGE_SIZE)) && v == 8);
	EXPECT(st, sroce_mr_atomic(mr, hca - 100 + 2 * PAGE_SIZE + 4, SROCE_ATOMIC_FETCH_ADD,
				   3, 0, &orig) == -EINVAL);

	/* From a workqueue: no user address space at all. */
	INIT_WORK_ONSTACK(&w.work, st_copy_work);
	init_completion(&w.done);
	w.mr = mr;
	w.iova = hca - 100 + 2 * PAGE_SIZE;
	w.buf = tmp;
	w.len = 8;
	w.err = -EINPROGRESS;
	queue_work(system_unbound_wq, &w.work);
	EXPECT(st, wait_for_completion_timeout(&w.done, ST_WAIT));
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	EXPECT(st, w.err == 0 && *(u64 *)tmp == 8);

	/* The pins outlive the mapping: unmap, then read the old bytes. */
	vm_munmap(uaddr, size);
	uaddr = -EINVAL;
	EXPECT(st, sroce_mr_copy(mr, hca, tmp, 64, SROCE_FROM_MR) == 0);
	EXPECT(st, st_is_pattern(tmp, 64, 100, 11));
	sroce_dereg_mr(ib, NULL);

	uaddr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (EXPECT(st, !IS_ERR_VALUE(uaddr)))
		st_user_rereg(st, uaddr);
out_unmap:
	if (!IS_ERR_VALUE(uaddr))
		vm_munmap(uaddr, size);
out_free:
	kfree(kbuf);
	kfree(tmp);
}

/**
 * sroce_selftest_run - run the memory-region self-test
 *
 * Called from module init in the context of the loading process.
 * Return: 0 if every check passed, -EINVAL if one failed, -ENOMEM if the
 * test could not be set up.
 */
int sroce_selftest_run(void)
{
	struct sroce_st st = {};
	int err = -ENOMEM;

	pr_info("sroce: selftest: memory regions and the memory seam\n");
	st.sdev = ib_alloc_device(sroce_dev, ibdev);
	if (!st.sdev)
		return -ENOMEM;
	if (sroce_mr_table_init(&st.sdev->mrs))
		goto out_table;
	st.pd = kzalloc(sizeof(*st.pd), GFP_KERNEL);
	st.pd2 = kzalloc(sizeof(*st.pd2), GFP_KERNEL);
	if (!st.pd || !st.pd2)
		goto out_pd;
	st.pd->ibpd.device = &st.sdev->ibdev;
	st.pd2->ibpd.device = &st.sdev->ibdev;

	st_keys(&st);
	st_check(&st);
	st_pages_copy(&st);
	st_atomics(&st);
	st_dma(&st);
	st_sge(&st);
	st_dereg_in_use(&st);
	st_frmr(&st);
	st_user(&st);

	EXPECT(&st, !atomic_read(&st.sdev->mrs.count));
	pr_info("sroce: selftest: %u passed, %u failed, %u skipped\n",
		st.passed, st.failed, st.skipped);
	err = st.failed ? -EINVAL : 0;
out_pd:
	kfree(st.pd);
	kfree(st.pd2);
out_table:
	sroce_mr_table_destroy(&st.sdev->mrs);
	ib_dealloc_device(&st.sdev->ibdev);
	return err;
}
