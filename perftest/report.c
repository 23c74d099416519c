// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reporting: perftest's header and result columns, or one JSON document
 * (--json) written as the run goes: a header object, one result object
 * per message size, the status at the end.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "pt.h"

#define LINE "---------------------------------------------------------------------------------------"

static int json_results;		/* results written so far */

uint64_t pt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void pt_err(struct pt_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s: ", c->prog, c->server && c->o &&
		c->o->loopback ? " (server)" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int push(struct pt_round *r, uint64_t v)
{
	if (r->nsamples == r->cap) {
		uint64_t cap = r->cap ? 2 * r->cap : 4096;
		uint64_t *s;

		if (cap > (64u << 20))		/* 512 MiB of samples: enough */
			return -1;
		s = realloc(r->samples, cap * sizeof(*s));
		if (!s)
			return -1;
		r->samples = s;
		r->cap = cap;
	}
	r->samples[r->nsamples++] = v;
	return 0;
}

/* Bandwidth sample: @completed messages done at @t (ns). */
void pt_sample_bw(struct pt_round *r, uint64_t t, uint64_t completed)
{
	if (!push(r, t) && push(r, completed))
		r->nsamples--;
}

/* Latency sample: one iteration took @ns. */
void pt_sample_lat(struct pt_round *r, uint64_t ns)
{
	push(r, ns);
}

void pt_json_str(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "%s\"%s\": \"", comma ? ", " : "", key);
	for (; *val; val++) {
		if (*val == '"' || *val == '\\')
			fputc('\\', f);
		if ((unsigned char)*val >= 0x20)
			fputc(*val, f);
	}
	fputc('"', f);
}

void pt_table_line(FILE *f)
{
	fprintf(f, "%s\n", LINE);
}

static void gid_str(const union ibv_gid *g, char *s, size_t len)
{
	inet_ntop(AF_INET6, g->raw, s, len);
}

static const char *mem_desc(const struct pt_opts *o, char *s, size_t len)
{
	snprintf(s, len, "%s%s%s%s", pt_mem_name(o->mem),
		 o->prefetch ? ", prefetch" : "",
		 o->hugepages ? ", hugepages" : o->thp ? ", thp" : "",
		 o->first_touch ? ", first-touch" : "");
	return s;
}

void pt_report_header(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	const struct pt_kind *k = c->tool->kind;
	bool bw = c->tool->cls & PT_CLS_BW;
	const char *dev = ibv_get_device_name(c->ctx->device);
	char mem[64], lg[64], rg[64];
	FILE *f = c->out;

	if (!f)
		return;
	mem_desc(o, mem, sizeof(mem));
	if (o->json) {
		fprintf(f, "{");
		pt_json_str(f, "tool", c->prog, false);
		pt_json_str(f, "test", k->name, true);
		pt_json_str(f, "kind", bw ? "bw" : "lat", true);
		pt_json_str(f, "device", dev, true);
		fprintf(f, ", \"port\": %d, \"gid_index\": %d", o->ib_port,
			c->gid_index);
		pt_json_str(f, "transport", o->ud ? "UD" : "RC", true);
		pt_json_str(f, "memory", pt_mem_name(o->mem), true);
		fprintf(f, ", \"prefetch\": %s, \"hugepages\": %s, "
			"\"thp\": %s, \"first_touch\": %s, \"churn_every\": %llu,"
			" \"verify\": %s, \"mtu\": %s, \"tx_depth\": %d, "
			"\"buffer_bytes\": %zu, \"bw_unit\": \"%s\", "
			"\"lat_unit\": \"usec\", \"results\": [",
			o->prefetch ? "true" : "false",
			o->hugepages ? "true" : "false",
			o->thp ? "true" : "false",
			o->first_touch ? "true" : "false",
			(unsigned long long)o->churn_every,
			o->verify ? "true" : "false", pt_mtu_str(c->mtu),
			o->tx_depth, c->buf.len, o->gbits ? "Gb/s" : "MB/s");
		fflush(f);
		return;
	}
	gid_str(&c->self.gid, lg, sizeof(lg));
	gid_str(&c->peer.gid, rg, sizeof(rg));
	fprintf(f, "%s\n", LINE);
	fprintf(f, "                    %s %s Test\n", k->title,
		bw ? "BW" : "Latency");
	fprintf(f, " Device         : %-16s Transport type : %s\n", dev,
		o->ud ? "UD" : "RC");
	fprintf(f, " Memory         : %s\n", mem);
	fprintf(f, " Buffer         : %zu bytes per side\n", c->buf.len);
	fprintf(f, " Mtu            : %-16s Link type      : %s\n",
		pt_mtu_str(c->mtu),
		c->port.link_layer == IBV_LINK_LAYER_ETHERNET ? "Ethernet" : "IB");
	fprintf(f, " GID index      : %-16d TX depth       : %d\n",
		c->gid_index, o->tx_depth);
	if (o->churn_every)
		fprintf(f, " Churn          : %zu bytes every %llu messages "
			"(%s)\n", o->churn_size,
			(unsigned long long)o->churn_every,
			o->fault_side == PT_SIDE_LOCAL ? "local" :
			o->fault_side == PT_SIDE_REMOTE ? "remote" : "both");
	if (o->verify)
		fprintf(f, " Verify         : payloads checked\n");
	fprintf(f, " local address:  QPN 0x%04x PSN 0x%06x RKey 0x%08x VAddr 0x%016llx\n"
		"                 GID %s\n", c->self.qpn, c->self.psn,
		c->self.rkey, (unsigned long long)c->self.addr, lg);
	fprintf(f, " remote address: QPN 0x%04x PSN 0x%06x RKey 0x%08x VAddr 0x%016llx\n"
		"                 GID %s\n", c->peer.qpn, c->peer.psn,
		c->peer.rkey, (unsigned long long)c->peer.addr, rg);
	fprintf(f, "%s\n", LINE);
	if (bw)
		fprintf(f, " #bytes     #iterations    BW peak[%s]    "
			"BW average[%s]   MsgRate[Mpps]\n",
			o->gbits ? "Gb/sec" : "MB/sec",
			o->gbits ? "Gb/sec" : "MB/sec");
	else
		fprintf(f, " #bytes #iterations    t_min[usec]    t_max[usec]  "
			"t_typical[usec]    t_avg[usec]    t_stdev[usec]   "
			"99%% percentile[usec]   99.9%% percentile[usec] \n");
	fflush(f);
}

static double bw_unit(const struct pt_opts *o, double bytes, double ns)
{
	if (ns <= 0)
		return 0;
	if (o->gbits)
		return bytes * 8 / ns;			/* Gb/s */
	return bytes / ns * 1e9 / (1 << 20);		/* MB/s, 2^20 */
}

/*
 * Peak: the best rate over any window of at least 1/20 of the messages
 * (and at least one signaled completion apart), from the samples
 * (time, completed) taken at each signaled completion.
 */
static double peak_rate(const struct pt_round *r, double *msgs_per_ns)
{
	uint64_t n = r->nsamples / 2, w, i = 0;
	const uint64_t *s = r->samples;
	double best = 0;

	if (n < 2)
		return 0;
	w = s[2 * (n - 1) + 1] / 20;
	if (!w)
		w = 1;
	for (uint64_t j = 1; j < n; j++) {
		while (i + 1 < j && s[2 * j + 1] - s[2 * (i + 1) + 1] >= w)
			i++;
		if (s[2 * j + 1] - s[2 * i + 1] >= w && s[2 * j] > s[2 * i]) {
			double rate = (double)(s[2 * j + 1] - s[2 * i + 1]) /
				      (s[2 * j] - s[2 * i]);

			if (rate > best)
				best = rate;
		}
	}
	*msgs_per_ns = best;
	return best;
}

static void json_round_common(struct pt_ctx *c, struct pt_round *r)
{
	FILE *f = c->out;

	fprintf(f, "%s{\"bytes\": %zu, \"iterations\": %llu", json_results++ ?
		", " : "", r->size, (unsigned long long)r->done);
	if (c->o->verify)
		fprintf(f, ", \"verified\": %s", r->verified &&
			!r->verify_failed ? "true" : "false");
	if (c->o->first_touch)
		fprintf(f, ", \"passes\": %llu, \"pages_dropped\": %llu, "
			"\"excluded_usec\": %.1f",
			(unsigned long long)r->passes,
			(unsigned long long)r->pages_dropped,
			r->excluded_ns / 1e3);
	if (c->o->churn_every)
		fprintf(f, ", \"churns\": %llu", (unsigned long long)r->churns);
}

void pt_report_bw(struct pt_ctx *c, struct pt_round *r)
{
	const struct pt_opts *o = c->o;
	double ns = r->t_end - r->t_start - r->excluded_ns;
	double bytes = (double)r->done * r->size, peak_mpns = 0;
	double avg = bw_unit(o, bytes, ns), peak, rate;
	FILE *f = c->out;

	if (!f)
		return;
	peak_rate(r, &peak_mpns);
	peak = peak_mpns ? bw_unit(o, peak_mpns * r->size, 1) : avg;
	if (peak < avg)
		peak = avg;
	rate = ns > 0 ? r->done / ns * 1e3 : 0;	/* Mpps */
	if (o->json) {
		json_round_common(c, r);
		fprintf(f, ", \"bw_peak\": %.2f, \"bw_avg\": %.2f, "
			"\"msg_rate_mpps\": %.6f, \"usec\": %.1f",
			peak, avg, rate, ns / 1e3);
		if (o->first_touch)
			fprintf(f, ", \"pages_per_sec\": %.0f", ns > 0 ?
				r->pages_dropped / ns * 1e9 : 0);
		if (o->mem != PT_MEM_PINNED)
			fprintf(f, ", \"odp_faults_timed\": %lld, "
				"\"odp_rnr_naks_timed\": %lld",
				(long long)r->odp_faults_timed,
				(long long)r->odp_rnr_timed);
		fprintf(f, "}");
		fflush(f);
		return;
	}
	fprintf(f, " %-7zu    %-10llu       %-7.2f            %-7.2f\t\t   %-7.6f\n",
		r->size, (unsigned long long)r->done, peak, avg, rate);
	if (o->first_touch)
		fprintf(f, "   first-touch: %llu passes, %llu pages dropped, "
			"%.0f pages/s faulted back, %.1f ms not timed\n",
			(unsigned long long)r->passes,
			(unsigned long long)r->pages_dropped,
			ns > 0 ? r->pages_dropped / ns * 1e9 : 0,
			r->excluded_ns / 1e6);
	if (o->churn_every)
		fprintf(f, "   churn: %llu invalidations\n",
			(unsigned long long)r->churns);
	if (o->mem != PT_MEM_PINNED && r->odp_faults_timed >= 0)
		fprintf(f, "   device during the run: %lld odp_faults, "
			"%lld odp_rnr_naks\n", (long long)r->odp_faults_timed,
			(long long)r->odp_rnr_timed);
	fflush(f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void pt_report_lat(struct pt_ctx *c, struct pt_round *r)
{
	const struct pt_opts *o = c->o;
	double div = c->tool->kind->pingpong ? 2000.0 : 1000.0;
	uint64_t n = r->nsamples, *s = r->samples;
	double sum = 0, sq = 0, avg, sd, mn, mx, med, p99, p999;
	FILE *f = c->out;

	if (!f)
		return;
	if (!n) {
		mn = mx = med = p99 = p999 = avg = sd = 0;
	} else {
		qsort(s, n, sizeof(*s), cmp_u64);
		for (uint64_t i = 0; i < n; i++)
			sum += s[i] / div;
		avg = sum / n;
		for (uint64_t i = 0; i < n; i++)
			sq += (s[i] / div - avg) * (s[i] / div - avg);
		sd = sqrt(sq / n);
		mn = s[0] / div;
		mx = s[n - 1] / div;
		med = s[n / 2] / div;
		p99 = s[(uint64_t)(n * 0.99) < n ? (uint64_t)(n * 0.99) : n - 1] / div;
		p999 = s[(uint64_t)(n * 0.999) < n ? (uint64_t)(n * 0.999) : n - 1] / div;
	}
	if (o->json) {
		json_round_common(c, r);
		fprintf(f, ", \"t_min\": %.2f, \"t_max\": %.2f, "
			"\"t_typical\": %.2f, \"t_avg\": %.2f, \"t_stdev\": %.2f, "
			"\"p99\": %.2f, \"p99_9\": %.2f}",
			mn, mx, med, avg, sd, p99, p999);
		fflush(f);
		return;
	}
	fprintf(f, " %-7zu %-10llu    %-7.2f        %-7.2f      %-7.2f  \t%-7.2f     \t%-7.2f\t\t%-7.2f  \t\t%-7.2f\n",
		r->size, (unsigned long long)r->done, mn, mx, med, avg, sd,
		p99, p999);
	fflush(f);
}

/* Close the table or the JSON document; @rc: the run's exit status. */
void pt_report_end(struct pt_ctx *c, int rc)
{
	FILE *f = c->out;

	if (!f)
		return;
	if (c->o->json) {
		fprintf(f, "], \"status\": \"%s\"}\n", rc ? "fail" : "ok");
	} else {
		fprintf(f, "%s\n", LINE);
		if (c->o->verify && !rc)
			fprintf(f, " verify: ok\n");
	}
	fflush(f);
}
