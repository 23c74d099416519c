// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Registration cost by size: ibv_reg_mr + ibv_dereg_mr of a buffer,
 * pinned vs explicit ODP vs implicit ODP (one registration of the whole
 * address space; its cost does not depend on the size).  The buffer is
 * touched first, so pinned registration measures pinning, not page
 * allocation.
 */
#include <string.h>

#include "pt.h"

static void sizes(const struct pt_opts *o, size_t *sz, int *n)
{
	size_t max = o->max_size ? o->max_size : 256u << 20;

	*n = 0;
	if (o->nsizes) {
		sz[(*n)++] = o->sizes[0];
		return;
	}
	for (size_t s = PT_PAGE; s <= max && *n < PT_MAX_SIZES; s <<= 2)
		sz[(*n)++] = s;
}

struct cost {
	double reg_avg, reg_min, dereg_avg;
};

static int measure(struct pt_ctx *c, struct pt_buf *b, enum pt_mem mem,
		   size_t size, struct cost *out)
{
	unsigned int access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	double reg = 0, dereg = 0, min = 0;
	uint64_t n = c->o->iters;

	for (uint64_t i = 0; i < n; i++) {
		struct pt_buf t = *b;
		uint64_t t0, t1, t2;

		t.len = size;
		t0 = pt_now_ns();
		if (pt_buf_reg(c, &t, mem, access))
			return -1;
		t1 = pt_now_ns();
		pt_buf_dereg(&t);
		t2 = pt_now_ns();
		reg += t1 - t0;
		dereg += t2 - t1;
		if (!i || t1 - t0 < min)
			min = t1 - t0;
	}
	out->reg_avg = reg / n / 1e3;
	out->reg_min = min / 1e3;
	out->dereg_avg = dereg / n / 1e3;
	return 0;
}

int pt_run_reg_cost(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	size_t sz[PT_MAX_SIZES];
	struct pt_buf b;
	bool want[3];
	int n, rows = 0, rc = 2;
	FILE *f = c->out;

	if (pt_local_modes(c, want, 0))
		return 2;
	sizes(o, sz, &n);
	if (pt_buf_alloc(c, &b, sz[n - 1]))
		return 2;
	for (size_t off = 0; off < b.len; off += PT_PAGE)
		b.p[off] = 1;

	if (o->json) {
		fprintf(f, "{");
		pt_json_str(f, "tool", c->prog, false);
		pt_json_str(f, "device", ibv_get_device_name(c->ctx->device), true);
		fprintf(f, ", \"hugepages\": %s, \"thp\": %s, \"results\": [",
			o->hugepages ? "true" : "false", o->thp ? "true" : "false");
	} else {
		pt_table_line(f);
		fprintf(f, "                    Memory registration cost\n");
		fprintf(f, " Device         : %-16s Buffer         : touched, %s\n",
			ibv_get_device_name(c->ctx->device),
			o->hugepages ? "hugetlbfs" : o->thp ? "THP" : "4K pages");
		pt_table_line(f);
		fprintf(f, " #bytes       #iterations  mode      reg avg[usec]  "
			"reg min[usec]  dereg avg[usec]  vs pinned\n");
	}
	for (int i = 0; i < n; i++) {
		struct cost cost[3];

		for (int m = 0; m < 3; m++) {
			if (!want[m])
				continue;
			if (measure(c, &b, m, sz[i], &cost[m]))
				goto out;
		}
		for (int m = 0; m < 3; m++) {
			double ratio = want[PT_MEM_PINNED] && cost[m].reg_avg > 0 ?
				cost[PT_MEM_PINNED].reg_avg / cost[m].reg_avg : 0;

			if (!want[m])
				continue;
			if (o->json) {
				fprintf(f, "%s{\"bytes\": %zu, \"iterations\": %llu, ",
					rows++ ? ", " : "", sz[i],
					(unsigned long long)o->iters);
				pt_json_str(f, "mode", pt_mem_name(m), false);
				fprintf(f, ", \"reg_avg_usec\": %.2f, "
					"\"reg_min_usec\": %.2f, "
					"\"dereg_avg_usec\": %.2f, "
					"\"speedup_vs_pinned\": %.2f}",
					cost[m].reg_avg, cost[m].reg_min,
					cost[m].dereg_avg, ratio);
			} else {
				fprintf(f, " %-12zu %-12llu %-9s %-14.2f %-14.2f "
					"%-16.2f ", sz[i],
					(unsigned long long)o->iters,
					pt_mem_name(m), cost[m].reg_avg,
					cost[m].reg_min, cost[m].dereg_avg);
				if (ratio > 0)
					fprintf(f, "%.2fx\n", ratio);
				else
					fprintf(f, "-\n");
			}
			fflush(f);
		}
	}
	rc = 0;
out:
	if (o->json)
		fprintf(f, "], \"status\": \"%s\"}\n", rc ? "fail" : "ok");
	else
		pt_table_line(f);
	pt_buf_free(&b);
	return rc;
}
