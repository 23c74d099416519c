// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory footprint of each memory mode: the process's RSS, pinned
 * (VmPin, where MR pins are accounted) and locked (VmLck) memory after
 * each step of a buffer's life: allocated (untouched), registered, every
 * page written by RDMA, deregistered.  A pinned MR grows RSS and VmPin
 * at registration; an ODP MR grows RSS only as RDMA touches pages, and
 * never VmPin.
 */
#include <string.h>

#include "pt.h"

#define CHUNK	(64u << 10)

enum { P_ALLOC, P_REG, P_RDMA, P_DEREG, P_N };

static const char *const phase_name[P_N] = {
	"allocated", "registered", "after-rdma", "deregistered",
};

static void row(struct pt_ctx *c, enum pt_mem mem, int phase, size_t len,
		uint64_t base_rss, int *rows)
{
	uint64_t rss, pin, lck;
	FILE *f = c->out;

	pt_footprint(&rss, &pin, &lck);
	if (c->o->json) {
		fprintf(f, "%s{", (*rows)++ ? ", " : "");
		pt_json_str(f, "mode", pt_mem_name(mem), false);
		pt_json_str(f, "phase", phase_name[phase], true);
		fprintf(f, ", \"bytes\": %zu, \"rss_kb\": %llu, "
			"\"rss_delta_kb\": %lld, \"pinned_kb\": %llu, "
			"\"locked_kb\": %llu}", len, (unsigned long long)rss,
			(long long)(rss - base_rss), (unsigned long long)pin,
			(unsigned long long)lck);
	} else {
		fprintf(f, " %-9s %-13s %-12zu %-10llu %-11lld %-11llu %llu\n",
			pt_mem_name(mem), phase_name[phase], len,
			(unsigned long long)rss, (long long)(rss - base_rss),
			(unsigned long long)pin, (unsigned long long)lck);
	}
	fflush(f);
}

static int one_mode(struct pt_ctx *c, enum pt_mem mem, struct ibv_qp *qa,
		    struct pt_buf *src, size_t len, int *rows)
{
	unsigned int acc = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	uint64_t base, pin, lck;
	struct pt_buf b;
	int ret = -1;

	pt_footprint(&base, &pin, &lck);
	if (pt_buf_alloc(c, &b, len))
		return -1;
	row(c, mem, P_ALLOC, len, base, rows);
	if (pt_buf_reg(c, &b, mem, acc))
		goto out;
	row(c, mem, P_REG, len, base, rows);
	/* the same 64 KiB source written over every page of the buffer */
	if (pt_rdma_range(c, qa, IBV_WR_RDMA_WRITE, src->p, src->lkey,
			  (uintptr_t)b.p, b.rkey, len, CHUNK, true))
		goto out;
	if (b.p[len - 1] != 0x77 || b.p[0] != 0x77) {
		pt_err(c, "verify: %s buffer does not hold what RDMA wrote",
		       pt_mem_name(mem));
		goto out;
	}
	row(c, mem, P_RDMA, len, base, rows);
	pt_buf_dereg(&b);
	row(c, mem, P_DEREG, len, base, rows);
	ret = 0;
out:
	pt_buf_dereg(&b);
	pt_buf_free(&b);
	return ret;
}

int pt_run_footprint(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	size_t len = o->nsizes ? o->sizes[0] : 64u << 20;
	struct ibv_qp *qa = NULL, *qb = NULL;
	struct pt_buf src = { 0 };
	int rows = 0, rc = 2;
	bool want[3];
	FILE *f = c->out;

	len = (len + PT_PAGE - 1) & ~(PT_PAGE - 1);
	if (pt_local_modes(c, want, IBV_ODP_SUPPORT_WRITE))
		return 2;
	if (pt_buf_alloc(c, &src, CHUNK) ||
	    pt_buf_reg(c, &src, PT_MEM_PINNED, 0) ||
	    pt_local_pair(c, &qa, &qb))
		goto out;
	memset(src.p, 0x77, CHUNK);
	if (o->json) {
		fprintf(f, "{");
		pt_json_str(f, "tool", c->prog, false);
		pt_json_str(f, "device", ibv_get_device_name(c->ctx->device), true);
		fprintf(f, ", \"results\": [");
	} else {
		pt_table_line(f);
		fprintf(f, "                    Memory footprint per mode\n");
		fprintf(f, " Device         : %-16s Buffer         : %zu bytes%s\n",
			ibv_get_device_name(c->ctx->device), len,
			o->hugepages ? ", hugepages" : o->thp ? ", thp" : "");
		pt_table_line(f);
		fprintf(f, " mode      phase         #bytes       RSS[KiB]   "
			"+RSS[KiB]   VmPin[KiB]  VmLck[KiB]\n");
	}
	for (int m = 0; m < 3; m++)
		if (want[m] && one_mode(c, m, qa, &src, len, &rows))
			goto out;
	rc = 0;
out:
	if (o->json)
		fprintf(f, "], \"status\": \"%s\"}\n", rc ? "fail" : "ok");
	else if (!rc)
		pt_table_line(f);
	if (qa)
		ibv_destroy_qp(qa);
	if (qb)
		ibv_destroy_qp(qb);
	pt_buf_dereg(&src);
	pt_buf_free(&src);
	return rc;
}
