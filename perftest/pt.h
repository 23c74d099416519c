/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared library of the sroce benchmark tools: options, device and QP
 * setup, memory modes, the out-of-band exchange, reporting.  Prototypes
 * are grouped by the file that defines them.
 *
 * A tool is one entry of pt_tools[] (tools.c): either a transfer test
 * (a struct pt_kind run by the bandwidth or latency engine, client and
 * server connected over TCP like perftest) or a local tool with its own
 * run function.
 */
#ifndef SROCE_PT_H
#define SROCE_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <infiniband/verbs.h>

#define PT_VERSION		"1.0"
#define PT_DEFAULT_PORT		18515
#define PT_MAX_SIZES		32
#define PT_PAGE			4096UL
#define PT_HUGE_PAGE		(2UL << 20)

enum pt_mem {
	PT_MEM_PINNED,
	PT_MEM_ODP,
	PT_MEM_IMPLICIT,
};

/* Which buffer a memory action (first-touch, churn) applies to. */
enum {
	PT_SIDE_LOCAL	= 1 << 0,
	PT_SIDE_REMOTE	= 1 << 1,
};

/* Where an option applies: a mask of tool classes (struct pt_tool.cls). */
enum {
	PT_CLS_BW	= 1 << 0,
	PT_CLS_LAT	= 1 << 1,
	PT_CLS_REG	= 1 << 2,	/* reg_cost */
	PT_CLS_FAULTS	= 1 << 3,	/* odp_faults */
	PT_CLS_FOOT	= 1 << 4,	/* footprint */
	PT_CLS_LOCAL	= PT_CLS_REG | PT_CLS_FAULTS | PT_CLS_FOOT,
	PT_CLS_XFER	= PT_CLS_BW | PT_CLS_LAT,
	PT_CLS_ALL	= PT_CLS_XFER | PT_CLS_LOCAL,
};

struct pt_opts {
	const char *dev_name;		/* -d; NULL: the first device */
	int ib_port;			/* -i */
	int gid_index;			/* -x; -1: a RoCE v2 GID, IPv4 first */
	size_t sizes[PT_MAX_SIZES];	/* -s, or -a: 2 .. 8 MiB */
	int nsizes;
	bool all_sizes;
	uint64_t iters;			/* -n */
	bool iters_set;
	unsigned int duration;		/* -D seconds; 0: -n iterations */
	int tx_depth;			/* -t */
	int rx_depth;			/* -r */
	int cq_mod;			/* -Q: one signaled WR every cq_mod */
	enum ibv_mtu mtu;		/* -m; 0: the port's active MTU */
	bool ud;			/* -c UD */
	bool cas;			/* -A CMP_AND_SWAP */
	bool gbits;			/* --report_gbits */
	int tcp_port;			/* -p */
	const char *server;		/* client: the server's host name */
	bool loopback;			/* server and client in this process */
	bool json;
	bool verify;
	enum pt_mem mem;
	bool prefetch;
	bool hugepages;
	bool thp;
	bool first_touch;
	unsigned int fault_side;	/* PT_SIDE_* for first-touch and churn */
	uint64_t churn_every;		/* 0: no churn */
	size_t churn_size;
	size_t buf_size;		/* 0: derived from sizes and depth */
	const char *modes;		/* local tools: pinned,odp,implicit */
	size_t max_size;		/* reg_cost -a: largest size */
	bool fresh;			/* reg_cost: a new untouched mmap per reg */
};

/* Endpoint description exchanged with the peer (text line on the wire). */
struct pt_ep_info {
	uint32_t qpn;
	uint32_t psn;
	uint32_t rkey;
	uint64_t addr;
	uint64_t len;
	uint16_t lid;
	union ibv_gid gid;
};

/* A benchmark buffer and the memory region that covers it. */
struct pt_buf {
	uint8_t *p;
	size_t len;
	size_t map_len;
	struct ibv_mr *mr;		/* the implicit MR in PT_MEM_IMPLICIT */
	uint32_t lkey;
	uint32_t rkey;
	enum pt_mem mem;
};

/* Per message size: what the client announces and both sides agree on. */
struct pt_round {
	size_t size;
	uint64_t iters;			/* 0: run for duration seconds */
	unsigned int duration;
	size_t stride;			/* bytes between slots */
	uint32_t nslots;
	uint32_t seed;			/* payload pattern of this round */
	/* results, filled by the engines */
	uint64_t done;			/* messages completed */
	uint64_t t_start, t_end;	/* ns, timed part only */
	uint64_t excluded_ns;		/* first-touch drops, not timed */
	uint64_t *samples;		/* bw: (t, completed) pairs; lat: ns */
	uint64_t nsamples, cap;
	uint64_t passes;		/* first-touch passes */
	uint64_t pages_dropped;		/* first-touch pages given back */
	uint64_t churns;		/* churn invalidations */
	/* ODP modes: device counters during the timed part; -1 unknown */
	int64_t odp_faults_timed;	/* odp_faults */
	int64_t odp_rnr_timed;		/* odp_rnr_naks */
	bool dropped_here;		/* first-touch drops this side's slots */
	bool churned_here;		/* churn drops this side's pages */
	bool ended;			/* server: the client's E came */
	uint64_t end_count;		/* ... with this message count */
	bool verified;
	bool verify_failed;
	char why[160];			/* verification failure */
};

struct pt_ctx;

/*
 * A transfer test: what one operation does.  The engines (bw.c, lat.c)
 * drive the loops and call these hooks; each kind lives in its own file.
 */
struct pt_kind {
	const char *name;		/* "write" */
	const char *title;		/* "RDMA_Write" (perftest's header) */
	unsigned int access;		/* remote access the MRs need */
	uint32_t odp_rc;		/* IBV_ODP_SUPPORT_* needed with RC */
	uint32_t odp_ud;		/* ... with UD; 0: UD not supported */
	size_t fixed_size;		/* atomics: 8 */
	bool source_local;		/* the data source is the client */
	bool pingpong;			/* latency: both sides run lat(), RTT/2 */
	/* Build the i-th bandwidth WR for slot @slot (client). */
	void (*bw_wr)(struct pt_ctx *c, struct pt_round *r, uint64_t i,
		      uint32_t slot, struct ibv_send_wr *wr,
		      struct ibv_sge *sge);
	/* Bandwidth passive side (server); NULL: wait for the end. */
	int (*bw_passive)(struct pt_ctx *c, struct pt_round *r);
	/* Before a round, on each side (fill or clear buffers). */
	void (*prepare)(struct pt_ctx *c, struct pt_round *r);
	/* After a round, on the side holding the results; 0 or -1. */
	int (*check)(struct pt_ctx *c, struct pt_round *r);
	bool check_on_server;		/* check() runs on the server */
	/* Latency loop of one side. */
	int (*lat)(struct pt_ctx *c, struct pt_round *r);
};

struct pt_tool {
	const char *name;		/* "write_bw" -> binary sr_write_bw */
	unsigned int cls;		/* PT_CLS_* */
	const struct pt_kind *kind;	/* transfer tests */
	int (*run)(struct pt_ctx *c);	/* local tools */
	const char *summary;		/* --help first line */
};

/* One side of a transfer test, or the device of a local tool. */
struct pt_ctx {
	const struct pt_opts *o;
	const struct pt_tool *tool;
	const char *prog;
	bool server;
	FILE *out;			/* report stream; NULL: quiet */

	struct ibv_context *ctx;
	struct ibv_device_attr_ex dattr;
	struct ibv_port_attr port;
	struct ibv_pd *pd;
	struct ibv_cq *scq;
	struct ibv_cq *rcq;
	struct ibv_qp *qp;
	struct ibv_ah *ah;
	int gid_index;
	enum ibv_mtu mtu;
	struct pt_buf buf;
	struct pt_ep_info self;
	struct pt_ep_info peer;

	int sock;			/* out-of-band TCP connection */
	pthread_mutex_t sock_lock;	/* the churn thread sends too */
	char rxbuf[512];
	size_t rxlen;

	volatile uint64_t progress;	/* messages done (churn thread) */
	uint64_t rx_posted;		/* receives posted, all rounds */
	uint64_t rx_done;		/* receives completed, all rounds */
	uint64_t sq_posted;		/* latency loops: send WRs posted */
	uint64_t sq_done;		/* ... and known complete */
	unsigned long long rng;
};

/* opts.c */
int pt_parse(const struct pt_tool *t, const char *prog, int argc,
	     char **argv, struct pt_opts *o);
void pt_usage(const struct pt_tool *t, const char *prog, FILE *f);
int pt_parse_modes(const char *prog, const char *list, bool want[3]);

/* dev.c */
int pt_open(struct pt_ctx *c);
int pt_create_qp(struct pt_ctx *c, enum ibv_qp_type type, int sq, int rq);
int pt_connect(struct pt_ctx *c);
void pt_close(struct pt_ctx *c);
int pt_check_odp(struct pt_ctx *c, enum pt_mem mem, uint32_t rc, uint32_t ud);
int64_t pt_hw_counter(struct pt_ctx *c, const char *name);
const char *pt_mtu_str(enum ibv_mtu mtu);
int pt_poll(struct pt_ctx *c, struct ibv_cq *cq, struct ibv_wc *wc, int n);
int pt_local_pair(struct pt_ctx *c, struct ibv_qp **a, struct ibv_qp **b);
int pt_rdma_range(struct pt_ctx *c, struct ibv_qp *qp, enum ibv_wr_opcode op,
		  void *laddr, uint32_t lkey, uint64_t raddr, uint32_t rkey,
		  size_t len, size_t chunk, bool same_local);

/* mem.c */
const char *pt_mem_name(enum pt_mem mem);
int pt_buf_alloc(struct pt_ctx *c, struct pt_buf *b, size_t len);
int pt_buf_reg(struct pt_ctx *c, struct pt_buf *b, enum pt_mem mem,
	       unsigned int access);
void pt_buf_dereg(struct pt_buf *b);
void pt_buf_free(struct pt_buf *b);
int pt_buf_prefetch(struct pt_ctx *c, struct pt_buf *b, void *addr,
		    size_t len, bool write);
int pt_drop(struct pt_ctx *c, void *addr, size_t len);
int pt_local_modes(struct pt_ctx *c, bool want[3], uint32_t rc);
int pt_footprint(uint64_t *rss_kb, uint64_t *pin_kb, uint64_t *lck_kb);
void pt_pattern(uint8_t *p, size_t len, uint32_t seed, uint32_t slot);
int pt_pattern_check(const uint8_t *p, size_t len, uint32_t seed,
		     uint32_t slot, size_t *bad);

/* oob.c */
int pt_oob_listen(struct pt_ctx *c, int port, int *bound);
int pt_oob_accept(struct pt_ctx *c, int lfd);
int pt_oob_connect(struct pt_ctx *c, const char *host, int port);
int pt_send(struct pt_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pt_recv(struct pt_ctx *c, char *line, size_t len, int timeout_ms);
int pt_exchange(struct pt_ctx *c);
int pt_ctl_serve(struct pt_ctx *c, struct pt_round *r, bool wait,
		 uint64_t *end_count);
int pt_ctl_drop(struct pt_ctx *c);

/* report.c */
uint64_t pt_now_ns(void);
void pt_sample_bw(struct pt_round *r, uint64_t t, uint64_t completed);
void pt_sample_lat(struct pt_round *r, uint64_t ns);
void pt_report_header(struct pt_ctx *c);
void pt_report_bw(struct pt_ctx *c, struct pt_round *r);
void pt_report_lat(struct pt_ctx *c, struct pt_round *r);
void pt_report_end(struct pt_ctx *c, int rc);
void pt_json_str(FILE *f, const char *key, const char *val, bool comma);
void pt_table_line(FILE *f);
void pt_err(struct pt_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* run.c */
int pt_main(const char *tool, int argc, char **argv);

/* bw.c, lat.c: the engines */
int pt_bw_active(struct pt_ctx *c, struct pt_round *r);
bool pt_lat_more(struct pt_ctx *c, struct pt_round *r, uint64_t i);
int pt_lat_post(struct pt_ctx *c, struct ibv_send_wr *wr, bool wait);
int pt_lat_wait_mem(struct pt_ctx *c, struct pt_round *r,
		    volatile uint8_t *p, uint8_t val);
int pt_lat_wait_cq(struct pt_ctx *c, struct pt_round *r, struct ibv_cq *cq,
		   struct ibv_wc *wc);
typedef void (*pt_lat_build_fn)(struct pt_ctx *c, struct pt_round *r,
				uint64_t i, struct ibv_send_wr *wr,
				struct ibv_sge *sge);
typedef int (*pt_lat_verify_fn)(struct pt_ctx *c, struct pt_round *r,
				uint64_t i);
int pt_lat_one_sided(struct pt_ctx *c, struct pt_round *r, pt_lat_build_fn build,
		     pt_lat_verify_fn verify);

/* touch.c, churn.c: ODP memory actions */
int pt_touch_pass(struct pt_ctx *c, struct pt_round *r);
int pt_touch_serve(struct pt_ctx *c, struct pt_round *r);
int pt_check_written(struct pt_ctx *c, struct pt_round *r, uint64_t n,
		     const char *what);
int pt_check_bytes(struct pt_round *r, const uint8_t *p, size_t len,
		   uint32_t slot, size_t *bad);
struct pt_churn;
struct pt_churn *pt_churn_start(struct pt_ctx *c, struct pt_round *r);
int pt_churn_stop(struct pt_churn *ch, struct pt_round *r);
int pt_churn_serve(struct pt_ctx *c, const char *line);

/* write.c read.c send.c atomic.c */
extern const struct pt_kind pt_kind_write;
extern const struct pt_kind pt_kind_read;
extern const struct pt_kind pt_kind_send;
extern const struct pt_kind pt_kind_atomic;

/* reg_cost.c odp_faults.c footprint.c */
int pt_run_reg_cost(struct pt_ctx *c);
int pt_run_odp_faults(struct pt_ctx *c);
int pt_run_footprint(struct pt_ctx *c);

/* tools.c */
extern const struct pt_tool pt_tools[];
const struct pt_tool *pt_tool_find(const char *name);

static inline uint8_t *pt_slot(struct pt_ctx *c, struct pt_round *r,
			       uint32_t slot)
{
	return c->buf.p + (size_t)slot * r->stride;
}

static inline uint64_t pt_rslot(struct pt_ctx *c, struct pt_round *r,
				uint32_t slot)
{
	return c->peer.addr + (uint64_t)slot * r->stride;
}

#endif /* SROCE_PT_H */
