// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Registration cost by size: ibv_reg_mr + ibv_dereg_mr of a buffer,
 * pinned vs explicit ODP vs implicit ODP (one registration of the whole
 * address space; its cost does not depend on the size).
 *
 * By default one buffer is touched first and registered again and again,
 * so pinned registration measures pinning, not page allocation.  With
 * --fresh every registration gets a new anonymous mmap that nothing has
 * touched, as an application registering the buffer it just allocated:
 * pinning faults in (and zeroes) every page, ODP maps nothing.  The
 * buffer is unmapped after the dereg (that time is reported apart), and
 * the growth of RSS, VmPin and VmLck from before to after the
 * registration is reported per mode.
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
	double reg_avg, reg_min, dereg_avg, unmap_avg;
	/* --fresh: growth across the last registration, KiB */
	long long rss_kb, pin_kb, lck_kb;
};

/* --fresh: one registration of a new, untouched buffer of @size. */
static int fresh_one(struct pt_ctx *c, enum pt_mem mem, size_t size,
		     unsigned int access, uint64_t ns[3], struct cost *out)
{
	uint64_t rss0, pin0, lck0, rss1, pin1, lck1, t0, t1, t2, t3;
	struct pt_buf t;

	if (pt_buf_alloc(c, &t, size))
		return -1;
	pt_footprint(&rss0, &pin0, &lck0);
	t0 = pt_now_ns();
	if (pt_buf_reg(c, &t, mem, access)) {
		pt_buf_free(&t);
		return -1;
	}
	t1 = pt_now_ns();
	pt_footprint(&rss1, &pin1, &lck1);
	t2 = pt_now_ns();
	pt_buf_dereg(&t);
	t3 = pt_now_ns();
	pt_buf_free(&t);
	ns[0] = t1 - t0;
	ns[1] = t3 - t2;
	ns[2] = pt_now_ns() - t3;
	out->rss_kb = (long long)rss1 - (long long)rss0;
	out->pin_kb = (long long)pin1 - (long long)pin0;
	out->lck_kb = (long long)lck1 - (long long)lck0;
	return 0;
}

static int measure(struct pt_ctx *c, struct pt_buf *b, enum pt_mem mem,
		   size_t size, struct cost *out)
{
	unsigned int access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	double reg = 0, dereg = 0, unmap = 0, min = 0;
	uint64_t n = c->o->iters;

	memset(out, 0, sizeof(*out));
	for (uint64_t i = 0; i < n; i++) {
		uint64_t ns[3] = { 0 };

		if (c->o->fresh) {
			if (fresh_one(c, mem, size, access, ns, out))
				return -1;
		} else {
			struct pt_buf t = *b;
			uint64_t t0, t1;

			t.len = size;
			t0 = pt_now_ns();
			if (pt_buf_reg(c, &t, mem, access))
				return -1;
			t1 = pt_now_ns();
			pt_buf_dereg(&t);
			ns[0] = t1 - t0;
			ns[1] = pt_now_ns() - t1;
		}
		reg += ns[0];
		dereg += ns[1];
		unmap += ns[2];
		if (!i || ns[0] < min)
			min = ns[0];
	}
	out->reg_avg = reg / n / 1e3;
	out->reg_min = min / 1e3;
	out->dereg_avg = dereg / n / 1e3;
	out->unmap_avg = unmap / n / 1e3;
	return 0;
}

int pt_run_reg_cost(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	size_t sz[PT_MAX_SIZES];
	struct pt_buf b = { 0 };
	bool want[3];
	int n, rows = 0, rc = 2;
	FILE *f = c->out;

	if (pt_local_modes(c, want, 0))
		return 2;
	sizes(o, sz, &n);
	if (!o->fresh) {
		if (pt_buf_alloc(c, &b, sz[n - 1]))
			return 2;
		for (size_t off = 0; off < b.len; off += PT_PAGE)
			b.p[off] = 1;
	}

	if (o->json) {
		fprintf(f, "{");
		pt_json_str(f, "tool", c->prog, false);
		pt_json_str(f, "device", ibv_get_device_name(c->ctx->device), true);
		fprintf(f, ", \"fresh\": %s, \"hugepages\": %s, \"thp\": %s, "
			"\"results\": [", o->fresh ? "true" : "false",
			o->hugepages ? "true" : "false", o->thp ? "true" : "false");
	} else {
		pt_table_line(f);
		fprintf(f, "                    Memory registration cost\n");
		fprintf(f, " Device         : %-16s Buffer         : %s, %s\n",
			ibv_get_device_name(c->ctx->device),
			o->fresh ? "fresh mmap" : "touched",
			o->hugepages ? "hugetlbfs" : o->thp ? "THP" : "4K pages");
		pt_table_line(f);
		fprintf(f, " #bytes       #iterations  mode      reg avg[usec]  "
			"reg min[usec]  dereg avg[usec]  vs pinned%s\n",
			o->fresh ? "  munmap[usec]  +RSS[KiB]  +VmPin[KiB]  "
				   "+VmLck[KiB]" : "");
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
				fprintf(f, "%s{\"bytes\": %zu, \"iterations\": %llu, "
					"\"fresh\": %s, ", rows++ ? ", " : "",
					sz[i], (unsigned long long)o->iters,
					o->fresh ? "true" : "false");
				pt_json_str(f, "mode", pt_mem_name(m), false);
				fprintf(f, ", \"reg_avg_usec\": %.2f, "
					"\"reg_min_usec\": %.2f, "
					"\"dereg_avg_usec\": %.2f, "
					"\"speedup_vs_pinned\": %.2f",
					cost[m].reg_avg, cost[m].reg_min,
					cost[m].dereg_avg, ratio);
				if (o->fresh)
					fprintf(f, ", \"unmap_avg_usec\": %.2f, "
						"\"rss_delta_kb\": %lld, "
						"\"pinned_delta_kb\": %lld, "
						"\"locked_delta_kb\": %lld",
						cost[m].unmap_avg, cost[m].rss_kb,
						cost[m].pin_kb, cost[m].lck_kb);
				fprintf(f, "}");
			} else {
				fprintf(f, " %-12zu %-12llu %-9s %-14.2f %-14.2f "
					"%-16.2f ", sz[i],
					(unsigned long long)o->iters,
					pt_mem_name(m), cost[m].reg_avg,
					cost[m].reg_min, cost[m].dereg_avg);
				if (ratio > 0)
					fprintf(f, "%-9.2fx", ratio);
				else
					fprintf(f, "%-10s", "-");
				if (o->fresh)
					fprintf(f, " %-13.2f %-10lld %-12lld %lld",
						cost[m].unmap_avg, cost[m].rss_kb,
						cost[m].pin_kb, cost[m].lck_kb);
				fprintf(f, "\n");
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
