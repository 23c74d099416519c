// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory modes: how a buffer is allocated (4K pages, hugetlbfs, THP) and
 * registered (pinned, explicit ODP, implicit ODP), prefetch, dropping
 * pages, the process's memory footprint, payload patterns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pt.h"

const char *pt_mem_name(enum pt_mem mem)
{
	switch (mem) {
	case PT_MEM_PINNED: return "pinned";
	case PT_MEM_ODP: return "odp";
	case PT_MEM_IMPLICIT: return "implicit";
	}
	return "?";
}

/*
 * Anonymous private memory, page aligned, untouched: mmap rather than
 * malloc so that MADV_DONTNEED gives the pages back and RSS says what
 * the registration did.
 */
int pt_buf_alloc(struct pt_ctx *c, struct pt_buf *b, size_t len)
{
	size_t align = c->o->hugepages || c->o->thp ? PT_HUGE_PAGE : PT_PAGE;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	uint8_t *p;

	memset(b, 0, sizeof(*b));
	b->len = len;
	b->map_len = (len + align - 1) & ~(align - 1);
	if (c->o->hugepages) {
		p = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
			 flags | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED) {
			pt_err(c, "--hugepages: mmap of %zu bytes with "
			       "MAP_HUGETLB: %s (reserve pages with "
			       "sysctl vm.nr_hugepages=N)", b->map_len,
			       strerror(errno));
			return -1;
		}
	} else if (c->o->thp) {
		/* over-allocate to align on 2 MiB, trim both ends */
		uint8_t *raw = mmap(NULL, b->map_len + PT_HUGE_PAGE,
				    PROT_READ | PROT_WRITE, flags, -1, 0);
		size_t head;

		if (raw == MAP_FAILED) {
			pt_err(c, "mmap %zu: %s", b->map_len, strerror(errno));
			return -1;
		}
		head = -(uintptr_t)raw & (PT_HUGE_PAGE - 1);
		p = raw + head;
		if (head)
			munmap(raw, head);
		munmap(p + b->map_len, PT_HUGE_PAGE - head);
		if (madvise(p, b->map_len, MADV_HUGEPAGE)) {
			pt_err(c, "--thp: madvise(MADV_HUGEPAGE): %s",
			       strerror(errno));
			munmap(p, b->map_len);
			return -1;
		}
	} else {
		p = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED) {
			pt_err(c, "mmap %zu: %s", b->map_len, strerror(errno));
			return -1;
		}
	}
	b->p = p;
	return 0;
}

void pt_buf_free(struct pt_buf *b)
{
	if (b->p)
		munmap(b->p, b->map_len);
	b->p = NULL;
}

int pt_buf_reg(struct pt_ctx *c, struct pt_buf *b, enum pt_mem mem,
	       unsigned int access)
{
	access |= IBV_ACCESS_LOCAL_WRITE;
	if (c->o->hugepages && mem != PT_MEM_PINNED)
		access |= IBV_ACCESS_HUGETLB;
	b->mem = mem;
	switch (mem) {
	case PT_MEM_PINNED:
		b->mr = ibv_reg_mr(c->pd, b->p, b->len, access);
		break;
	case PT_MEM_ODP:
		b->mr = ibv_reg_mr(c->pd, b->p, b->len,
				   access | IBV_ACCESS_ON_DEMAND);
		break;
	case PT_MEM_IMPLICIT:
		b->mr = ibv_reg_mr(c->pd, NULL, SIZE_MAX,
				   access | IBV_ACCESS_ON_DEMAND);
		break;
	}
	if (!b->mr) {
		int err = errno;

		pt_err(c, "ibv_reg_mr (%s, %zu bytes): %s%s", pt_mem_name(mem),
		       mem == PT_MEM_IMPLICIT ? SIZE_MAX : b->len,
		       strerror(err), err == ENOMEM && mem == PT_MEM_PINNED ?
		       " (RLIMIT_MEMLOCK? see ulimit -l)" : "");
		return -1;
	}
	b->lkey = b->mr->lkey;
	b->rkey = b->mr->rkey;
	return 0;
}

void pt_buf_dereg(struct pt_buf *b)
{
	if (b->mr)
		ibv_dereg_mr(b->mr);
	b->mr = NULL;
}

/* ibv_advise_mr over [addr, addr + len), synchronously (FLUSH). */
int pt_buf_prefetch(struct pt_ctx *c, struct pt_buf *b, void *addr,
		    size_t len, bool write)
{
	enum ibv_advise_mr_advice adv = write ?
		IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE :
		IBV_ADVISE_MR_ADVICE_PREFETCH;
	/* one SGE covers at most 2^32 - 1 bytes */
	while (len) {
		uint32_t n = len > (1u << 30) ? 1u << 30 : len;
		struct ibv_sge sge = {
			.addr = (uintptr_t)addr, .length = n, .lkey = b->lkey,
		};
		int ret = ibv_advise_mr(c->pd, adv, IBV_ADVISE_MR_FLAG_FLUSH,
					&sge, 1);

		if (ret) {
			pt_err(c, "ibv_advise_mr(%s, FLUSH): %s%s",
			       write ? "PREFETCH_WRITE" : "PREFETCH",
			       strerror(ret), ret == EOPNOTSUPP ?
			       " (the provider has no advise_mr)" : "");
			return -1;
		}
		addr = (uint8_t *)addr + n;
		len -= n;
	}
	return 0;
}

/* Give pages back (MADV_DONTNEED): the next access faults a fresh page. */
int pt_drop(struct pt_ctx *c, void *addr, size_t len)
{
	uintptr_t align = c->o->hugepages ? PT_HUGE_PAGE : PT_PAGE;
	uintptr_t a = (uintptr_t)addr & ~(align - 1);
	uintptr_t end = ((uintptr_t)addr + len + align - 1) & ~(align - 1);

	if (madvise((void *)a, end - a, MADV_DONTNEED)) {
		pt_err(c, "madvise(MADV_DONTNEED): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* VmRSS, VmPin (pinned_vm: MR pins) and VmLck (mlock) in KiB. */
int pt_footprint(uint64_t *rss_kb, uint64_t *pin_kb, uint64_t *lck_kb)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];

	*rss_kb = *pin_kb = *lck_kb = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "VmRSS: %" SCNu64, &v) == 1)
			*rss_kb = v;
		else if (sscanf(line, "VmPin: %" SCNu64, &v) == 1)
			*pin_kb = v;
		else if (sscanf(line, "VmLck: %" SCNu64, &v) == 1)
			*lck_kb = v;
	}
	fclose(f);
	return 0;
}

/*
 * Payload pattern of slot @slot in round @seed: never all zero, differs
 * between neighbouring slots and rounds.
 */
void pt_pattern(uint8_t *p, size_t len, uint32_t seed, uint32_t slot)
{
	uint32_t x = seed * 2654435761u + slot * 40503u + 1;

	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(x >> 24) | 1;
		x = x * 1103515245u + 12345u;
	}
}

/* 0 if @p holds the pattern, else -1 with the first bad offset. */
int pt_pattern_check(const uint8_t *p, size_t len, uint32_t seed,
		     uint32_t slot, size_t *bad)
{
	uint32_t x = seed * 2654435761u + slot * 40503u + 1;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != ((uint8_t)(x >> 24) | 1)) {
			*bad = i;
			return -1;
		}
		x = x * 1103515245u + 12345u;
	}
	return 0;
}

/*
 * The memory modes a local tool compares: --modes, else the one of
 * --odp/--odp-implicit, else all three.  Each ODP mode must be supported
 * for the operations @rc (RC ODP caps); the error says how to go on.
 */
int pt_local_modes(struct pt_ctx *c, bool want[3], uint32_t rc)
{
	const char *list = c->o->modes;

	if (!list)
		list = c->o->mem == PT_MEM_ODP ? "odp" :
		       c->o->mem == PT_MEM_IMPLICIT ? "implicit" :
		       "pinned,odp,implicit";
	if (pt_parse_modes(c->prog, list, want))
		return -1;
	for (int m = PT_MEM_ODP; m <= PT_MEM_IMPLICIT; m++) {
		if (want[m] && pt_check_odp(c, m, rc, 0)) {
			if (want[PT_MEM_PINNED])
				fprintf(stderr, "%s: --modes pinned measures "
					"pinned memory only\n", c->prog);
			return -1;
		}
	}
	return 0;
}
