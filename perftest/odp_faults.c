// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP fault throughput and invalidation cost, in one process (two RC QPs
 * of one device connected to each other).  Each iteration drops the ODP
 * buffer (MADV_DONTNEED), then times how fast its pages come back:
 *
 *   prefetch    ibv_advise_mr(PREFETCH_WRITE, FLUSH) over the buffer
 *   rdma-write  RDMA WRITE into it (faults on the responder side)
 *   rdma-read   RDMA READ into it (faults on the requester side)
 *
 * and how long MADV_DONTNEED takes on the faulted ODP buffer
 * (invalidate-odp: the MMU notifier tears the translation down) against
 * the same on memory that no MR covers (invalidate-plain).
 */
#include <string.h>

#include "pt.h"

#define CHUNK	(64u << 10)

enum method { M_PREFETCH, M_WRITE, M_READ, M_INVAL_ODP, M_INVAL_PLAIN, M_N };

static const char *const method_name[M_N] = {
	"prefetch", "rdma-write", "rdma-read", "invalidate-odp",
	"invalidate-plain",
};

struct faults {
	struct pt_ctx *c;
	struct ibv_qp *qa, *qb;
	struct pt_buf odp;		/* the buffer under test */
	struct pt_buf peer;		/* pinned, the other end of RDMA */
	struct pt_buf plain;		/* no MR: invalidation baseline */
	size_t len;
};

/* Fault the whole ODP buffer in through method @m. */
static int fault_in(struct faults *F, enum method m)
{
	struct pt_ctx *c = F->c;

	switch (m) {
	case M_PREFETCH:
		return pt_buf_prefetch(c, &F->odp, F->odp.p, F->len, true);
	case M_WRITE:
		/* qa writes from the pinned buffer into the ODP one */
		return pt_rdma_range(c, F->qa, IBV_WR_RDMA_WRITE, F->peer.p,
				     F->peer.lkey, (uintptr_t)F->odp.p,
				     F->odp.rkey, F->len, CHUNK, false);
	case M_READ:
		/* qa reads from the pinned buffer into the ODP one */
		return pt_rdma_range(c, F->qa, IBV_WR_RDMA_READ, F->odp.p,
				     F->odp.lkey, (uintptr_t)F->peer.p,
				     F->peer.rkey, F->len, CHUNK, false);
	default:
		return -1;
	}
}

/* One iteration of @m; returns the timed part in ns, or 0 on error. */
static uint64_t one(struct faults *F, enum method m)
{
	uint64_t t0;

	if (m == M_INVAL_PLAIN) {
		memset(F->plain.p, 1, F->len);
		t0 = pt_now_ns();
		if (pt_drop(F->c, F->plain.p, F->len))
			return 0;
		return pt_now_ns() - t0 ?: 1;
	}
	if (m == M_INVAL_ODP) {
		if (pt_drop(F->c, F->odp.p, F->len) ||
		    fault_in(F, M_WRITE))
			return 0;
		t0 = pt_now_ns();
		if (pt_drop(F->c, F->odp.p, F->len))
			return 0;
		return pt_now_ns() - t0 ?: 1;
	}
	if (pt_drop(F->c, F->odp.p, F->len))
		return 0;
	t0 = pt_now_ns();
	if (fault_in(F, m))
		return 0;
	return pt_now_ns() - t0 ?: 1;
}

static void report(struct faults *F, enum method m, double avg_ns,
		   double min_ns, int *rows)
{
	const struct pt_opts *o = F->c->o;
	double pages = (double)F->len / PT_PAGE;
	FILE *f = F->c->out;

	if (o->json) {
		fprintf(f, "%s{", (*rows)++ ? ", " : "");
		pt_json_str(f, "method", method_name[m], false);
		fprintf(f, ", \"bytes\": %zu, \"iterations\": %llu, "
			"\"pages\": %.0f, \"usec_avg\": %.1f, \"usec_min\": %.1f, "
			"\"pages_per_sec\": %.0f, \"usec_per_page\": %.3f}",
			F->len, (unsigned long long)o->iters, pages,
			avg_ns / 1e3, min_ns / 1e3, pages / avg_ns * 1e9,
			avg_ns / 1e3 / pages);
	} else {
		fprintf(f, " %-17s %-10zu %-12llu %-8.0f %-14.1f %-12.1f "
			"%-10.3f %.1f\n", method_name[m], F->len,
			(unsigned long long)o->iters, pages, avg_ns / 1e3,
			pages / avg_ns * 1e6, avg_ns / 1e3 / pages,
			F->len / avg_ns * 1e9 / (1 << 20));
	}
	fflush(f);
}

int pt_run_odp_faults(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	enum pt_mem mem = o->mem == PT_MEM_IMPLICIT ? PT_MEM_IMPLICIT :
						      PT_MEM_ODP;
	unsigned int acc = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	struct faults F = { .c = c };
	int rows = 0, rc = 2;
	FILE *f = c->out;

	F.len = o->nsizes ? o->sizes[0] : 4u << 20;
	F.len = (F.len + PT_PAGE - 1) & ~(PT_PAGE - 1);
	if (pt_check_odp(c, mem, IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ,
			 0))
		return 2;
	if (pt_buf_alloc(c, &F.odp, F.len) ||
	    pt_buf_reg(c, &F.odp, mem, acc) ||
	    pt_buf_alloc(c, &F.peer, F.len) ||
	    pt_buf_reg(c, &F.peer, PT_MEM_PINNED, acc) ||
	    pt_buf_alloc(c, &F.plain, F.len) ||
	    pt_local_pair(c, &F.qa, &F.qb))
		goto out;
	memset(F.peer.p, 0x5a, F.len);

	if (o->json) {
		fprintf(f, "{");
		pt_json_str(f, "tool", c->prog, false);
		pt_json_str(f, "device", ibv_get_device_name(c->ctx->device), true);
		pt_json_str(f, "memory", pt_mem_name(mem), true);
		fprintf(f, ", \"results\": [");
	} else {
		pt_table_line(f);
		fprintf(f, "                    ODP fault throughput\n");
		fprintf(f, " Device         : %-16s Memory         : %s%s\n",
			ibv_get_device_name(c->ctx->device), pt_mem_name(mem),
			o->hugepages ? ", hugepages" : o->thp ? ", thp" : "");
		pt_table_line(f);
		fprintf(f, " method            #bytes     #iterations  pages    "
			"t_avg[usec]    Kpages/s     usec/page  MB/sec\n");
	}
	for (int m = 0; m < M_N; m++) {
		double sum = 0, min = 0;

		for (uint64_t i = 0; i < o->iters; i++) {
			uint64_t ns = one(&F, m);

			if (!ns)
				goto out;
			sum += ns;
			if (!i || ns < min)
				min = ns;
		}
		report(&F, m, sum / o->iters, min, &rows);
	}
	/* the data written last must be there (rdma-write, then rdma-read) */
	if (pt_drop(c, F.odp.p, F.len) || fault_in(&F, M_READ))
		goto out;
	for (size_t i = 0; i < F.len; i += PT_PAGE / 2) {
		if (F.odp.p[i] != 0x5a) {
			pt_err(c, "verify: byte %zu of the ODP buffer is 0x%02x "
			       "after RDMA READ, expected 0x5a", i, F.odp.p[i]);
			goto out;
		}
	}
	rc = 0;
out:
	if (o->json)
		fprintf(f, "], \"status\": \"%s\"}\n", rc ? "fail" : "ok");
	else if (!rc)
		pt_table_line(f);
	if (F.qa)
		ibv_destroy_qp(F.qa);
	if (F.qb)
		ibv_destroy_qp(F.qb);
	pt_buf_dereg(&F.odp);
	pt_buf_dereg(&F.peer);
	pt_buf_free(&F.odp);
	pt_buf_free(&F.peer);
	pt_buf_free(&F.plain);
	return rc;
}
