// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A tool's life: parse options, then either run a local tool on the
 * device, or set up one side of a transfer test (server, client, or both
 * with --loopback: the server in a thread, over TCP on 127.0.0.1), agree
 * on the buffer layout of each message size with the peer, run the
 * engine, verify, report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "pt.h"

#define EXIT_USAGE	1
#define EXIT_SETUP	2
#define EXIT_RUN	3

#define UD_GRH		40
#define DEFAULT_BUF	(8u << 20)

static size_t round_stride(size_t n)
{
	size_t a = n >= PT_PAGE ? PT_PAGE : 64;

	return (n + a - 1) & ~(a - 1);
}

static bool is_lat(const struct pt_ctx *c)
{
	return c->tool->cls & PT_CLS_LAT;
}

/*
 * Slots of a round.  Bandwidth: as many slots of the message as fit in
 * the buffer (default min(tx-depth, 8 MiB) worth), at least one.
 * Latency: a receive and a send slot.  Atomics: 8-byte slots.  Send
 * tests and latency use the layout of the largest size for every size
 * (receives stay posted across sizes).
 */
static void layout(const struct pt_ctx *c, size_t size, size_t *stride,
		   uint32_t *nslots)
{
	const struct pt_opts *o = c->o;
	const struct pt_kind *k = c->tool->kind;
	size_t buf;

	if (k->fixed_size) {
		*stride = k->fixed_size;
		*nslots = is_lat(c) ? 2 : o->tx_depth > 512 ? 512 : o->tx_depth;
		return;
	}
	if (is_lat(c) || k == &pt_kind_send)
		size = o->sizes[o->nsizes - 1];
	*stride = round_stride(size + (o->ud ? UD_GRH : 0));
	if (is_lat(c)) {
		*nslots = 2;
		return;
	}
	buf = o->buf_size;
	if (!buf) {
		buf = (size_t)o->tx_depth * *stride;
		if (buf > DEFAULT_BUF)
			buf = DEFAULT_BUF;
	}
	*nslots = buf / *stride ? buf / *stride : 1;
	if (*nslots > (1u << 20))
		*nslots = 1u << 20;
}

static size_t buffer_len(const struct pt_ctx *c)
{
	size_t len = 0, stride;
	uint32_t nslots;

	for (int i = 0; i < c->o->nsizes; i++) {
		layout(c, c->o->sizes[i], &stride, &nslots);
		if (stride * nslots > len)
			len = stride * nslots;
	}
	return len;
}

static void defaults(const struct pt_tool *t, struct pt_opts *o)
{
	bool lat = t->cls & PT_CLS_LAT, local = t->cls & PT_CLS_LOCAL;
	const struct pt_kind *k = t->kind;

	if (!o->tx_depth)
		o->tx_depth = lat ? 1 : 128;
	if (!o->rx_depth)
		o->rx_depth = lat ? 16 : 512;
	if (!o->cq_mod)
		o->cq_mod = o->tx_depth / 2 > 100 ? 100 :
			    o->tx_depth / 2 ? o->tx_depth / 2 : 1;
	if (!o->iters && !o->duration)
		o->iters = local ? 10 : lat ? 1000 : 5000;
	if (local)
		return;
	if (o->all_sizes) {
		o->nsizes = 0;
		for (size_t s = 2; s <= (8u << 20); s <<= 1)
			o->sizes[o->nsizes++] = s;
	} else if (!o->nsizes) {
		o->sizes[0] = k->fixed_size ? k->fixed_size : lat ? 2 : 65536;
		o->nsizes = 1;
	}
}

/* UD messages fit one MTU: -a stops there, -s beyond it is an error. */
static int check_ud_sizes(struct pt_ctx *c, struct pt_opts *o)
{
	size_t mtu = 128u << c->mtu;

	if (!o->ud)
		return 0;
	if (o->all_sizes) {
		while (o->nsizes > 1 && o->sizes[o->nsizes - 1] > mtu)
			o->nsizes--;
		return 0;
	}
	if (o->sizes[0] > mtu) {
		pt_err(c, "-c UD: -s %zu exceeds the MTU (%zu)", o->sizes[0],
		       mtu);
		return -1;
	}
	return 0;
}

/* Device, QP, buffer and MR of one side; @buflen from the client. */
static int setup(struct pt_ctx *c, size_t buflen)
{
	const struct pt_kind *k = c->tool->kind;
	int sq = c->o->tx_depth, rq = 1;

	if (!c->ctx && pt_open(c))
		return -1;
	if (pt_check_odp(c, c->o->mem, c->o->ud ? 0 : k->odp_rc,
			 c->o->ud ? k->odp_ud : 0))
		return -1;
	if (is_lat(c) && sq < 64)
		sq = 64;
	if (k == &pt_kind_send)
		rq = c->o->rx_depth;
	if (pt_create_qp(c, c->o->ud ? IBV_QPT_UD : IBV_QPT_RC, sq + 1, rq))
		return -1;
	if (pt_buf_alloc(c, &c->buf, buflen) ||
	    pt_buf_reg(c, &c->buf, c->o->mem, k->access))
		return -1;
	c->self.addr = (uintptr_t)c->buf.p;
	c->self.len = buflen;
	c->self.rkey = c->buf.rkey;
	return 0;
}

static int prefetch(struct pt_ctx *c, struct pt_round *r)
{
	size_t len = (size_t)r->nslots * r->stride;

	if (!c->o->prefetch)
		return 0;
	return pt_buf_prefetch(c, &c->buf, c->buf.p,
			       len > c->buf.len ? c->buf.len : len, true);
}

/* Client: one message size. */
static int client_round(struct pt_ctx *c, struct pt_round *r)
{
	const struct pt_kind *k = c->tool->kind;
	const struct pt_opts *o = c->o;
	bool remote = o->fault_side & PT_SIDE_REMOTE;
	bool local = o->fault_side & PT_SIDE_LOCAL;
	unsigned long long got = 0, ns = 0;
	char line[256];
	int ret;

	/* what first-touch and churn do to each side's memory */
	r->dropped_here = o->first_touch && local;
	r->churned_here = o->churn_every && local;
	if (pt_send(c, "R %zu %llu %u %zu %u %u %d %d %d", r->size,
		    (unsigned long long)r->iters, r->duration, r->stride,
		    r->nslots, r->seed, o->verify, o->first_touch && remote,
		    o->churn_every && remote))
		return EXIT_SETUP;
	if (pt_recv(c, line, sizeof(line), 60000) != 1)
		return EXIT_SETUP;
	if (strcmp(line, "r ok")) {
		pt_err(c, "the server: %s", line + (line[0] ? 2 : 0));
		return EXIT_SETUP;
	}
	k->prepare(c, r);
	if (prefetch(c, r))
		return EXIT_SETUP;
	ret = is_lat(c) ? k->lat(c, r) : pt_bw_active(c, r);
	if (ret) {
		if (r->why[0])
			pt_err(c, "verify: %zu bytes: %s", r->size, r->why);
		return EXIT_RUN;
	}
	if (pt_send(c, "E %llu", (unsigned long long)r->done) ||
	    pt_recv(c, line, sizeof(line), 120000) != 1)
		return EXIT_RUN;
	if (!strncmp(line, "V fail", 6)) {
		pt_err(c, "verify: %zu bytes: the server: %s", r->size,
		       line + 7);
		r->verify_failed = true;
		return EXIT_RUN;
	}
	if (sscanf(line, "V ok %llu %llu", &got, &ns) != 2) {
		pt_err(c, "out-of-band: unexpected '%s'", line);
		return EXIT_RUN;
	}
	r->end_count = r->done;
	if (o->verify) {
		if (k->check && !k->check_on_server && k->check(c, r)) {
			pt_err(c, "verify: %zu bytes: %s", r->size, r->why);
			return EXIT_RUN;
		}
		r->verified = true;
	}
	if (is_lat(c)) {
		pt_report_lat(c, r);
	} else {
		pt_report_bw(c, r);
		if (o->ud && c->out && !o->json)
			fprintf(c->out, "   server received %llu of %llu "
				"messages\n", got, (unsigned long long)r->done);
	}
	return 0;
}

static int run_client(struct pt_ctx *c, const char *host, int port)
{
	struct pt_opts *o = (struct pt_opts *)c->o;
	size_t buflen;
	char line[256];
	int rc = EXIT_SETUP;

	if (pt_oob_connect(c, host, port))
		return EXIT_SETUP;
	/* device first: UD sizes depend on the MTU */
	if (pt_open(c) || check_ud_sizes(c, o))
		return EXIT_SETUP;
	buflen = buffer_len(c);
	if (pt_send(c, "H %s %s %d %zu", c->tool->name, PT_VERSION, o->ud,
		    buflen) ||
	    pt_recv(c, line, sizeof(line), 60000) != 1)
		return EXIT_SETUP;
	if (strcmp(line, "h ok")) {
		pt_err(c, "the server: %s", line + (line[0] ? 2 : 0));
		return EXIT_SETUP;
	}
	if (setup(c, buflen) || pt_exchange(c) || pt_connect(c))
		return EXIT_SETUP;
	pt_report_header(c);
	rc = 0;
	for (int i = 0; i < o->nsizes && !rc; i++) {
		struct pt_round r = {
			.size = o->sizes[i], .iters = o->iters,
			.duration = o->duration, .seed = i + 1,
		};

		layout(c, r.size, &r.stride, &r.nslots);
		rc = client_round(c, &r);
		free(r.samples);
	}
	if (!rc)
		pt_send(c, "Q");
	pt_report_end(c, rc);
	return rc;
}

/* Server: one message size, announced by the client's R line. */
static int server_round(struct pt_ctx *c, const char *line)
{
	const struct pt_kind *k = c->tool->kind;
	struct pt_round r = { 0 };
	unsigned long long iters;
	int verify, dropped, churned, rc = EXIT_RUN;

	if (sscanf(line, "R %zu %llu %u %zu %u %u %d %d %d", &r.size, &iters,
		   &r.duration, &r.stride, &r.nslots, &r.seed, &verify,
		   &dropped, &churned) != 9 ||
	    !r.nslots || (size_t)r.nslots * r.stride > c->buf.len) {
		pt_send(c, "r error bad round '%s'", line);
		return EXIT_SETUP;
	}
	r.iters = iters;
	r.dropped_here = dropped;
	r.churned_here = churned;
	k->prepare(c, &r);
	if (prefetch(c, &r)) {
		pt_send(c, "r error ibv_advise_mr failed on the server");
		return EXIT_SETUP;
	}
	if (pt_send(c, "r ok"))
		return EXIT_SETUP;
	if (is_lat(c) && k->pingpong) {
		if (k->lat(c, &r))
			goto fail;
	} else if (!is_lat(c) && k->bw_passive) {
		if (k->bw_passive(c, &r))
			goto fail;
	}
	if (!r.ended && pt_ctl_serve(c, &r, true, &r.end_count) != 1)
		return EXIT_RUN;
	if (verify && k->check && k->check_on_server && k->check(c, &r)) {
		pt_send(c, "V fail %s", r.why);
		pt_err(c, "verify: %zu bytes: %s", r.size, r.why);
		goto out;
	}
	rc = 0;
	pt_send(c, "V ok %llu %llu", (unsigned long long)r.done,
		(unsigned long long)(r.t_end - r.t_start));
	if (k->bw_passive && !is_lat(c)) {
		r.done = r.done ? r.done : r.end_count;
		pt_report_bw(c, &r);
	}
	goto out;
fail:
	if (r.why[0]) {
		pt_send(c, "V fail %s", r.why);
		pt_err(c, "verify: %zu bytes: %s", r.size, r.why);
	}
out:
	free(r.samples);
	return rc;
}

static int run_server(struct pt_ctx *c, int lfd)
{
	struct pt_opts *o = (struct pt_opts *)c->o;
	char line[256], tool[64], ver[16];
	size_t buflen;
	int ud, rc = 0;

	if (pt_oob_accept(c, lfd))
		return EXIT_SETUP;
	close(lfd);
	if (pt_recv(c, line, sizeof(line), 60000) != 1 ||
	    sscanf(line, "H %63s %15s %d %zu", tool, ver, &ud, &buflen) != 4) {
		pt_err(c, "out-of-band: no hello from the client");
		return EXIT_SETUP;
	}
	if (strcmp(tool, c->tool->name) || strcmp(ver, PT_VERSION)) {
		pt_send(c, "h error this server runs sr_%s %s, not sr_%s %s",
			c->tool->name, PT_VERSION, tool, ver);
		pt_err(c, "the client runs sr_%s %s; this is sr_%s %s", tool,
		       ver, c->tool->name, PT_VERSION);
		return EXIT_USAGE;
	}
	o->ud = ud;
	if (setup(c, buflen)) {
		pt_send(c, "h error setup failed on the server");
		return EXIT_SETUP;
	}
	if (pt_send(c, "h ok") || pt_exchange(c) || pt_connect(c))
		return EXIT_SETUP;
	pt_report_header(c);
	for (;;) {
		if (pt_recv(c, line, sizeof(line), -1) != 1) {
			rc = EXIT_RUN;
			break;
		}
		if (!strcmp(line, "Q"))
			break;
		rc = server_round(c, line);
		if (rc)
			break;
	}
	pt_report_end(c, rc);
	return rc;
}

struct loop_server {
	struct pt_ctx c;
	struct pt_opts o;
	int lfd;
	int rc;
};

static void *loop_server_thread(void *arg)
{
	struct loop_server *ls = arg;

	ls->rc = run_server(&ls->c, ls->lfd);
	pt_close(&ls->c);
	if (ls->c.sock >= 0)
		close(ls->c.sock);
	return NULL;
}

static int run_xfer(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	struct loop_server *ls;
	pthread_t th;
	int lfd, port, rc;

	if (!o->loopback && !o->server) {
		c->server = true;
		lfd = pt_oob_listen(c, o->tcp_port, &port);
		if (lfd < 0)
			return EXIT_SETUP;
		return run_server(c, lfd);
	}
	if (!o->loopback)
		return run_client(c, o->server, o->tcp_port);

	/* --loopback: the server is a thread, on an ephemeral port */
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return EXIT_SETUP;
	ls->o = *o;
	ls->c = (struct pt_ctx) {
		.o = &ls->o, .tool = c->tool, .prog = c->prog, .server = true,
		.sock = -1,
	};
	pthread_mutex_init(&ls->c.sock_lock, NULL);
	ls->lfd = pt_oob_listen(c, 0, &port);
	if (ls->lfd < 0 ||
	    pthread_create(&th, NULL, loop_server_thread, ls)) {
		free(ls);
		return EXIT_SETUP;
	}
	rc = run_client(c, "127.0.0.1", port);
	if (rc) {
		/* unblock the server: it may wait for us on the socket */
		shutdown(c->sock, SHUT_RDWR);
	}
	pthread_join(th, NULL);
	if (!rc)
		rc = ls->rc;
	free(ls);
	return rc;
}

int pt_main(const char *name, int argc, char **argv)
{
	const struct pt_tool *t = pt_tool_find(name);
	static char prog[64];
	struct pt_opts o;
	struct pt_ctx c = { .sock = -1 };
	int rc;

	if (!t) {
		fprintf(stderr, "sr_%s: no such tool\n", name);
		return EXIT_USAGE;
	}
	snprintf(prog, sizeof(prog), "sr_%s", t->name);
	if (pt_parse(t, prog, argc, argv, &o))
		return EXIT_USAGE;
	defaults(t, &o);
	srand48(getpid() ^ pt_now_ns());
	c.o = &o;
	c.tool = t;
	c.prog = prog;
	c.out = stdout;
	pthread_mutex_init(&c.sock_lock, NULL);

	if (t->run) {
		if (pt_open(&c))
			rc = EXIT_SETUP;
		else
			rc = t->run(&c);
	} else {
		rc = run_xfer(&c);
	}
	pt_close(&c);
	if (c.sock >= 0)
		close(c.sock);
	return rc;
}
