// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Options: one table, perftest's letters where perftest has them.  The
 * table drives getopt_long, --help and the check that an option applies
 * to the tool.  Every error names the option and exits non-zero.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

enum opt_id {
	O_DEV = 'd', O_PORT = 'i', O_GID = 'x', O_SIZE = 's', O_ALL = 'a',
	O_ITERS = 'n', O_DURATION = 'D', O_TX = 't', O_RX = 'r',
	O_CQMOD = 'Q', O_MTU = 'm', O_CONN = 'c', O_ATOMIC = 'A',
	O_TCP = 'p', O_IGNORE_F = 'F', O_HELP = 'h',
	O_GBITS = 256, O_JSON, O_VERIFY, O_LOOPBACK, O_ODP, O_IMPLICIT,
	O_PREFETCH, O_HUGE, O_THP, O_TOUCH, O_SIDE, O_CHURN, O_CHURN_SIZE,
	O_BUF, O_MODES, O_MAX_SIZE, O_FRESH, O_VERSION,
};

struct optdef {
	int id;
	const char *lng;
	const char *arg;		/* argument name; NULL: a flag */
	unsigned int cls;		/* tools it applies to */
	const char *help;
};

static const struct optdef optdefs[] = {
	{ O_DEV, "ib-dev", "DEV", PT_CLS_ALL,
	  "RDMA device (default: the first one)" },
	{ O_PORT, "ib-port", "PORT", PT_CLS_ALL, "device port (default 1)" },
	{ O_GID, "gid-index", "N", PT_CLS_XFER | PT_CLS_LOCAL,
	  "GID index (default: a RoCE v2 GID, IPv4-mapped first)" },
	{ O_SIZE, "size", "BYTES", PT_CLS_ALL,
	  "message size (K, M, G suffixes; default 65536, lat 2, atomic 8)" },
	{ O_ALL, "all", NULL, PT_CLS_XFER | PT_CLS_REG, "every size 2^1 .. 2^23" },
	{ O_ITERS, "iters", "N", PT_CLS_XFER | PT_CLS_REG | PT_CLS_FAULTS,
	  "iterations per size (default 5000 bw, 1000 lat)" },
	{ O_DURATION, "duration", "SECS", PT_CLS_XFER,
	  "run each size for SECS seconds instead of -n iterations" },
	{ O_TX, "tx-depth", "N", PT_CLS_XFER,
	  "send queue depth: WRs in flight (default 128, lat 1)" },
	{ O_RX, "rx-depth", "N", PT_CLS_XFER,
	  "receives posted ahead (send tests, default 512)" },
	{ O_CQMOD, "cq-mod", "N", PT_CLS_BW,
	  "signal one WR in N (default min(100, tx-depth/2))" },
	{ O_MTU, "mtu", "BYTES", PT_CLS_XFER,
	  "path MTU 256..4096 (default: the port's active MTU)" },
	{ O_CONN, "connection", "RC|UD", PT_CLS_XFER,
	  "transport (UD: send tests only; default RC)" },
	{ O_ATOMIC, "atomic_type", "TYPE", PT_CLS_XFER,
	  "atomic tests: FETCH_AND_ADD (default) or CMP_AND_SWAP" },
	{ O_TCP, "port", "PORT", PT_CLS_XFER,
	  "TCP port of the out-of-band exchange (default 18515)" },
	{ O_GBITS, "report_gbits", NULL, PT_CLS_BW,
	  "report bandwidth in Gb/s instead of MB/s (2^20 bytes)" },
	{ O_JSON, "json", NULL, PT_CLS_ALL,
	  "print the results as one JSON document instead of tables" },
	{ O_VERIFY, "verify", NULL, PT_CLS_XFER,
	  "check every payload (or the final memory contents); a mismatch "
	  "fails the run" },
	{ O_LOOPBACK, "loopback", NULL, PT_CLS_XFER,
	  "run the server in a thread of this process (one command)" },
	{ O_ODP, "odp", NULL, PT_CLS_XFER | PT_CLS_LOCAL,
	  "on-demand paged MR (IBV_ACCESS_ON_DEMAND)" },
	{ O_IMPLICIT, "odp-implicit", NULL, PT_CLS_XFER | PT_CLS_LOCAL,
	  "implicit ODP MR covering the whole address space" },
	{ O_PREFETCH, "prefetch", NULL, PT_CLS_XFER,
	  "ibv_advise_mr(PREFETCH_WRITE, FLUSH) the buffer before each "
	  "size (ODP modes)" },
	{ O_HUGE, "hugepages", NULL, PT_CLS_ALL,
	  "buffers from hugetlbfs (MAP_HUGETLB, 2 MiB pages)" },
	{ O_THP, "thp", NULL, PT_CLS_ALL,
	  "buffers 2 MiB aligned with MADV_HUGEPAGE (transparent huge pages)" },
	{ O_TOUCH, "first-touch", NULL, PT_CLS_BW,
	  "fresh pages every pass over the buffer: MADV_DONTNEED between "
	  "passes, not timed (ODP modes)" },
	{ O_SIDE, "fault-side", "SIDE", PT_CLS_BW,
	  "buffer dropped by --first-touch and --churn: local, remote or "
	  "both (default both)" },
	{ O_CHURN, "churn", "N", PT_CLS_BW,
	  "a thread invalidates --churn-size bytes of the buffer every N "
	  "messages (MADV_DONTNEED; ODP modes)" },
	{ O_CHURN_SIZE, "churn-size", "BYTES", PT_CLS_BW,
	  "bytes invalidated per churn step (default 64K)" },
	{ O_BUF, "buffer-size", "BYTES", PT_CLS_BW,
	  "buffer per side; messages cycle through it (default "
	  "min(tx-depth * size, 8M), at least one message)" },
	{ O_MODES, "modes", "LIST", PT_CLS_REG | PT_CLS_FOOT,
	  "memory modes to compare: pinned,odp,implicit (default all)" },
	{ O_MAX_SIZE, "max-size", "BYTES", PT_CLS_REG,
	  "largest size of -a (default 256M)" },
	{ O_FRESH, "fresh", NULL, PT_CLS_REG,
	  "register a new, never touched mmap each time (what an application "
	  "allocating a buffer sees); munmap after dereg" },
	{ O_IGNORE_F, "cpu-freq", NULL, PT_CLS_ALL,
	  "accepted for perftest compatibility (-F); no effect" },
	{ O_VERSION, "version", NULL, PT_CLS_ALL, "print the version" },
	{ O_HELP, "help", NULL, PT_CLS_ALL, "this help" },
};

#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

/* What an option means to a local tool, where that differs. */
static const struct {
	int id;
	unsigned int cls;
	const char *help;
} local_help[] = {
	{ O_SIZE, PT_CLS_REG, "one buffer size instead of the -a ladder "
			      "(K, M, G suffixes)" },
	{ O_SIZE, PT_CLS_FAULTS, "buffer size (K, M, G suffixes; default 4M)" },
	{ O_SIZE, PT_CLS_FOOT, "buffer size (K, M, G suffixes; default 64M)" },
	{ O_ALL, PT_CLS_REG, "sizes 4K .. --max-size by factors of 4 "
			     "(the default)" },
	{ O_ITERS, PT_CLS_LOCAL, "repetitions per size and mode (default 10)" },
};

static const char *help_of(const struct pt_tool *t, const struct optdef *d)
{
	for (size_t i = 0; i < sizeof(local_help) / sizeof(local_help[0]); i++)
		if (local_help[i].id == d->id && (local_help[i].cls & t->cls))
			return local_help[i].help;
	return d->help;
}

void pt_usage(const struct pt_tool *t, const char *prog, FILE *f)
{
	char left[40];

	fprintf(f, "%s: %s\n\n", prog, t->summary);
	if (t->cls & PT_CLS_XFER)
		fprintf(f, "usage: %s [options]            server\n"
			"       %s [options] HOST       client\n"
			"       %s [options] --loopback both, in one process\n",
			prog, prog, prog);
	else
		fprintf(f, "usage: %s [options]\n", prog);
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];

		if (!(d->cls & t->cls))
			continue;
		if (d->id < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->id,
				 d->lng, d->arg ? "=" : "",
				 d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->lng,
				 d->arg ? "=" : "", d->arg ? d->arg : "");
		fprintf(f, "  %-28s %s\n", left, help_of(t, d));
	}
	fprintf(f, "\nExit status: 0 success, 1 bad usage, 2 setup failure, "
		"3 run or verification failure.\n");
}

/* "64K" -> 65536.  0 or -1 with *err set. */
static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*v = n;
	return 0;
}

static int parse_int(const char *s, long min, long max, long *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 0);
	if (errno || end == s || *end || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

int pt_parse_modes(const char *prog, const char *list, bool want[3])
{
	static const char *const names[] = { "pinned", "odp", "implicit" };
	char buf[128], *tok, *save;

	want[0] = want[1] = want[2] = false;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < 3; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == 3) {
			fprintf(stderr, "%s: --modes: unknown mode '%s' "
				"(pinned, odp, implicit)\n", prog, tok);
			return -1;
		}
		want[i] = true;
	}
	return 0;
}

static int bad(const char *prog, const struct optdef *d, const char *arg,
	       const char *what)
{
	if (d->id < 256)
		fprintf(stderr, "%s: -%c/--%s: invalid value '%s': %s\n",
			prog, d->id, d->lng, arg, what);
	else
		fprintf(stderr, "%s: --%s: invalid value '%s': %s\n",
			prog, d->lng, arg, what);
	return -1;
}

static int set_opt(const char *prog, const struct optdef *d,
		   const char *arg, struct pt_opts *o)
{
	uint64_t u;
	long n;

	switch (d->id) {
	case O_DEV:
		o->dev_name = arg;
		break;
	case O_PORT:
		if (parse_int(arg, 1, 255, &n))
			return bad(prog, d, arg, "a port number 1..255");
		o->ib_port = n;
		break;
	case O_GID:
		if (parse_int(arg, 0, 65535, &n))
			return bad(prog, d, arg, "a GID index");
		o->gid_index = n;
		break;
	case O_SIZE:
		if (parse_size(arg, &u) || u == 0 || u > (1ULL << 31))
			return bad(prog, d, arg, "a size 1 .. 2G");
		o->sizes[0] = u;
		o->nsizes = 1;
		break;
	case O_ALL:
		o->all_sizes = true;
		break;
	case O_ITERS:
		if (parse_size(arg, &u) || u == 0)
			return bad(prog, d, arg, "a positive count");
		o->iters = u;
		o->iters_set = true;
		break;
	case O_DURATION:
		if (parse_int(arg, 1, 3600, &n))
			return bad(prog, d, arg, "seconds 1..3600");
		o->duration = n;
		break;
	case O_TX:
		if (parse_int(arg, 1, 8192, &n))
			return bad(prog, d, arg, "a depth 1..8192");
		o->tx_depth = n;
		break;
	case O_RX:
		if (parse_int(arg, 1, 8192, &n))
			return bad(prog, d, arg, "a depth 1..8192");
		o->rx_depth = n;
		break;
	case O_CQMOD:
		if (parse_int(arg, 1, 8192, &n))
			return bad(prog, d, arg, "1..8192");
		o->cq_mod = n;
		break;
	case O_MTU:
		if (parse_int(arg, 256, 4096, &n) || (n & (n - 1)))
			return bad(prog, d, arg, "256, 512, 1024, 2048 or 4096");
		o->mtu = n == 256 ? IBV_MTU_256 : n == 512 ? IBV_MTU_512 :
			 n == 1024 ? IBV_MTU_1024 : n == 2048 ? IBV_MTU_2048 :
			 IBV_MTU_4096;
		break;
	case O_CONN:
		if (!strcasecmp(arg, "RC"))
			o->ud = false;
		else if (!strcasecmp(arg, "UD"))
			o->ud = true;
		else
			return bad(prog, d, arg, "RC or UD");
		break;
	case O_ATOMIC:
		if (!strcasecmp(arg, "CMP_AND_SWAP"))
			o->cas = true;
		else if (!strcasecmp(arg, "FETCH_AND_ADD"))
			o->cas = false;
		else
			return bad(prog, d, arg, "CMP_AND_SWAP or FETCH_AND_ADD");
		break;
	case O_TCP:
		if (parse_int(arg, 1, 65535, &n))
			return bad(prog, d, arg, "a TCP port");
		o->tcp_port = n;
		break;
	case O_GBITS: o->gbits = true; break;
	case O_JSON: o->json = true; break;
	case O_VERIFY: o->verify = true; break;
	case O_LOOPBACK: o->loopback = true; break;
	case O_ODP: o->mem = PT_MEM_ODP; break;
	case O_IMPLICIT: o->mem = PT_MEM_IMPLICIT; break;
	case O_PREFETCH: o->prefetch = true; break;
	case O_HUGE: o->hugepages = true; break;
	case O_THP: o->thp = true; break;
	case O_TOUCH: o->first_touch = true; break;
	case O_SIDE:
		if (!strcmp(arg, "local"))
			o->fault_side = PT_SIDE_LOCAL;
		else if (!strcmp(arg, "remote"))
			o->fault_side = PT_SIDE_REMOTE;
		else if (!strcmp(arg, "both"))
			o->fault_side = PT_SIDE_LOCAL | PT_SIDE_REMOTE;
		else
			return bad(prog, d, arg, "local, remote or both");
		break;
	case O_CHURN:
		if (parse_size(arg, &u) || u == 0)
			return bad(prog, d, arg, "a positive count");
		o->churn_every = u;
		break;
	case O_CHURN_SIZE:
		if (parse_size(arg, &u) || u < PT_PAGE || u % PT_PAGE)
			return bad(prog, d, arg, "a multiple of 4096");
		o->churn_size = u;
		break;
	case O_BUF:
		if (parse_size(arg, &u) || u == 0 || u > (16ULL << 30))
			return bad(prog, d, arg, "a size 1 .. 16G");
		o->buf_size = u;
		break;
	case O_MODES: {
		bool want[3];

		if (pt_parse_modes(prog, arg, want))
			return -1;
		o->modes = arg;
		break;
	}
	case O_MAX_SIZE:
		if (parse_size(arg, &u) || u < PT_PAGE || u > (16ULL << 30))
			return bad(prog, d, arg, "a size 4K .. 16G");
		o->max_size = u;
		break;
	case O_FRESH:
		o->fresh = true;
		break;
	case O_IGNORE_F:
		break;
	}
	return 0;
}

/* Combinations that make no sense, found before anything is opened. */
static int check_opts(const struct pt_tool *t, const char *prog,
		      struct pt_opts *o)
{
	const struct pt_kind *k = t->kind;
	bool odp = o->mem != PT_MEM_PINNED;

#define REFUSE(...) do {						\
		fprintf(stderr, "%s: ", prog);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, " (see --help)\n");			\
		return -1;						\
	} while (0)

	if (o->all_sizes && o->nsizes)
		REFUSE("-a and -s exclude each other");
	if (o->duration && o->iters_set)
		REFUSE("-D and -n exclude each other");
	if (o->hugepages && o->thp)
		REFUSE("--hugepages and --thp exclude each other");
	if (o->prefetch && !odp)
		REFUSE("--prefetch needs --odp or --odp-implicit");
	if (o->first_touch && !odp)
		REFUSE("--first-touch needs --odp or --odp-implicit "
		       "(dropping pages under a pinned MR breaks it)");
	if (o->churn_every && !odp)
		REFUSE("--churn needs --odp or --odp-implicit");
	if (o->fault_side && !o->first_touch && !o->churn_every)
		REFUSE("--fault-side goes with --first-touch or --churn");
	if (o->churn_size && !o->churn_every)
		REFUSE("--churn-size goes with --churn");
	if (o->first_touch && o->duration)
		REFUSE("--first-touch needs -n iterations, not -D");
	if (!o->fault_side)
		o->fault_side = PT_SIDE_LOCAL | PT_SIDE_REMOTE;
	if (!o->churn_size)
		o->churn_size = 64 << 10;
	if (o->max_size && !o->all_sizes)
		REFUSE("--max-size goes with -a");

	if (!k)
		return 0;
	if (o->ud && !k->odp_ud)
		REFUSE("-c UD works with the send tests only");
	if (k->fixed_size) {
		if ((o->nsizes && o->sizes[0] != k->fixed_size) || o->all_sizes)
			REFUSE("%s messages are %zu bytes: no -s or -a",
			       k->name, k->fixed_size);
	}
	if (o->cas && strcmp(k->name, "atomic"))
		REFUSE("-A applies to the atomic tests");
	if (o->server && o->loopback)
		REFUSE("--loopback runs its own server: no HOST");
	if (o->cq_mod && o->cq_mod > o->tx_depth && o->tx_depth)
		REFUSE("--cq-mod must not exceed --tx-depth");
	/*
	 * --first-touch and --churn zero the pages they drop; --verify
	 * compares against the pattern the source held, so only the
	 * target may be dropped.
	 */
	if (o->verify && (o->first_touch || o->churn_every) && k->fixed_size)
		REFUSE("--verify cannot check atomics whose counters "
		       "--first-touch or --churn drop");
	if (o->verify && (o->first_touch || o->churn_every)) {
		unsigned int src = k->source_local ? PT_SIDE_LOCAL :
						     PT_SIDE_REMOTE;

		if (o->fault_side & src)
			REFUSE("--verify with --first-touch or --churn needs "
			       "--fault-side=%s (dropped source pages read "
			       "back as zeros)",
			       k->source_local ? "remote" : "local");
	}
	return 0;
#undef REFUSE
}

int pt_parse(const struct pt_tool *t, const char *prog, int argc,
	     char **argv, struct pt_opts *o)
{
	struct option lopts[NOPTS + 1];
	char sopts[3 * NOPTS + 2];
	size_t ns = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->ib_port = 1;
	o->gid_index = -1;
	o->tcp_port = PT_DEFAULT_PORT;

	sopts[ns++] = ':';		/* missing argument: ':' */
	for (size_t i = 0; i < NOPTS; i++) {
		lopts[i] = (struct option) {
			.name = optdefs[i].lng,
			.has_arg = optdefs[i].arg ? required_argument :
						    no_argument,
			.val = optdefs[i].id,
		};
		if (optdefs[i].id < 256) {
			sopts[ns++] = optdefs[i].id;
			if (optdefs[i].arg)
				sopts[ns++] = ':';
		}
	}
	memset(&lopts[NOPTS], 0, sizeof(lopts[NOPTS]));
	sopts[ns] = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct optdef *d = NULL;

		if (c == '?' || c == ':') {
			const char *what = c == '?' ? "unknown option" :
					   "missing argument for";

			if (optopt && optopt < 256)
				fprintf(stderr, "%s: %s -%c (see --help)\n",
					prog, what, optopt);
			else
				fprintf(stderr, "%s: %s '%s' (see --help)\n",
					prog, what, argv[optind - 1]);
			return -1;
		}
		for (size_t i = 0; i < NOPTS; i++)
			if (optdefs[i].id == c)
				d = &optdefs[i];
		if (!(d->cls & t->cls)) {
			fprintf(stderr, "%s: --%s does not apply to this tool "
				"(see --help)\n", prog, d->lng);
			return -1;
		}
		if (c == O_HELP) {
			pt_usage(t, prog, stdout);
			exit(0);
		}
		if (c == O_VERSION) {
			printf("%s %s\n", prog, PT_VERSION);
			exit(0);
		}
		if (set_opt(prog, d, optarg, o))
			return -1;
	}
	if (optind < argc) {
		if (!(t->cls & PT_CLS_XFER) || optind + 1 < argc) {
			fprintf(stderr, "%s: unexpected argument '%s' "
				"(see --help)\n", prog, argv[optind + (t->cls & PT_CLS_XFER ? 1 : 0)]);
			return -1;
		}
		o->server = argv[optind];
	}
	return check_opts(t, prog, o);
}
