// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Device, PD, CQ and QP setup; connecting a QP to the peer described in
 * c->peer; the ODP capability check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <arpa/inet.h>

#include "pt.h"

#define PT_QKEY		0x11111111

static struct ibv_context *open_by_name(struct pt_ctx *c, const char *name)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list) {
		pt_err(c, "ibv_get_device_list: %s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (!name || !strcmp(ibv_get_device_name(list[i]), name))
			break;
	if (i == n) {
		if (name)
			pt_err(c, "no RDMA device %s", name);
		else
			pt_err(c, "no RDMA device");
	} else {
		ctx = ibv_open_device(list[i]);
		if (!ctx)
			pt_err(c, "ibv_open_device %s: %s",
			       ibv_get_device_name(list[i]), strerror(errno));
	}
	ibv_free_device_list(list);
	return ctx;
}

/*
 * The GID to use: -x, else a RoCE v2 GID (an IPv4-mapped one first, as
 * perftest does), else index 0 (InfiniBand).
 */
static int pick_gid(struct pt_ctx *c)
{
	struct ibv_gid_entry e;
	int best = -1;

	if (c->o->gid_index >= 0) {
		if (c->o->gid_index >= c->port.gid_tbl_len ||
		    ibv_query_gid_ex(c->ctx, c->o->ib_port, c->o->gid_index,
				     &e, 0)) {
			pt_err(c, "-x %d: no such GID on port %d",
			       c->o->gid_index, c->o->ib_port);
			return -1;
		}
		return c->o->gid_index;
	}
	if (c->port.link_layer != IBV_LINK_LAYER_ETHERNET)
		return 0;
	for (int i = 0; i < c->port.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(c->ctx, c->o->ib_port, i, &e, 0))
			continue;
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (e.gid.raw[10] == 0xff && e.gid.raw[11] == 0xff &&
		    !e.gid.global.subnet_prefix)
			return i;	/* ::ffff:a.b.c.d */
		if (best < 0)
			best = i;
	}
	if (best < 0) {
		pt_err(c, "port %d has no RoCE v2 GID (give -x)",
		       c->o->ib_port);
		return -1;
	}
	return best;
}

const char *pt_mtu_str(enum ibv_mtu mtu)
{
	static const char *const s[] = { "?", "256", "512", "1024", "2048",
					 "4096" };

	return mtu >= IBV_MTU_256 && mtu <= IBV_MTU_4096 ? s[mtu] : s[0];
}

/* Open the device, query it and its port, allocate the PD and CQs. */
int pt_open(struct pt_ctx *c)
{
	const struct pt_opts *o = c->o;
	int cqe = o->tx_depth + o->rx_depth + 16;

	c->ctx = open_by_name(c, o->dev_name);
	if (!c->ctx)
		return -1;
	if (ibv_query_device_ex(c->ctx, NULL, &c->dattr)) {
		pt_err(c, "ibv_query_device_ex: %s", strerror(errno));
		return -1;
	}
	if (ibv_query_port(c->ctx, o->ib_port, &c->port)) {
		pt_err(c, "ibv_query_port %d: %s", o->ib_port, strerror(errno));
		return -1;
	}
	if (c->port.state != IBV_PORT_ACTIVE) {
		pt_err(c, "port %d is not active", o->ib_port);
		return -1;
	}
	c->gid_index = pick_gid(c);
	if (c->gid_index < 0)
		return -1;
	c->mtu = o->mtu ? o->mtu : c->port.active_mtu;
	if (c->mtu > c->port.active_mtu) {
		pt_err(c, "-m %s exceeds the port's active MTU %s",
		       pt_mtu_str(c->mtu), pt_mtu_str(c->port.active_mtu));
		return -1;
	}
	c->pd = ibv_alloc_pd(c->ctx);
	if (!c->pd) {
		pt_err(c, "ibv_alloc_pd: %s", strerror(errno));
		return -1;
	}
	if (cqe > c->dattr.orig_attr.max_cqe)
		cqe = c->dattr.orig_attr.max_cqe;
	c->scq = ibv_create_cq(c->ctx, cqe, NULL, NULL, 0);
	c->rcq = ibv_create_cq(c->ctx, cqe, NULL, NULL, 0);
	if (!c->scq || !c->rcq) {
		pt_err(c, "ibv_create_cq %d: %s", cqe, strerror(errno));
		return -1;
	}
	return 0;
}

int pt_create_qp(struct pt_ctx *c, enum ibv_qp_type type, int sq, int rq)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = c->scq, .recv_cq = c->rcq, .qp_type = type,
		.cap = {
			.max_send_wr = sq, .max_recv_wr = rq,
			.max_send_sge = 1, .max_recv_sge = 1,
		},
	};
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT, .port_num = c->o->ib_port,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	c->qp = ibv_create_qp(c->pd, &attr);
	if (!c->qp) {
		pt_err(c, "ibv_create_qp (%s, sq %d, rq %d): %s",
		       type == IBV_QPT_UD ? "UD" : "RC", sq, rq,
		       strerror(errno));
		return -1;
	}
	if (type == IBV_QPT_UD) {
		init.qkey = PT_QKEY;
		mask |= IBV_QP_QKEY;
	} else {
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	if (ibv_modify_qp(c->qp, &init, mask)) {
		pt_err(c, "modify QP to INIT: %s", strerror(errno));
		return -1;
	}
	if (ibv_query_gid(c->ctx, c->o->ib_port, c->gid_index, &c->self.gid)) {
		pt_err(c, "ibv_query_gid %d: %s", c->gid_index,
		       strerror(errno));
		return -1;
	}
	c->self.qpn = c->qp->qp_num;
	c->self.psn = lrand48() & 0xffffff;
	c->self.lid = c->port.lid;
	return 0;
}

static void fill_ah(struct pt_ctx *c, const struct pt_ep_info *peer,
		    struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	ah->port_num = c->o->ib_port;
	ah->dlid = peer->lid;
	if (c->port.link_layer == IBV_LINK_LAYER_ETHERNET ||
	    peer->gid.global.interface_id) {
		ah->is_global = 1;
		ah->grh.dgid = peer->gid;
		ah->grh.sgid_index = c->gid_index;
		ah->grh.hop_limit = 64;
	}
}

static int rc_rtr_rts(struct pt_ctx *c, struct ibv_qp *qp,
		      const struct pt_ep_info *peer, uint32_t sq_psn)
{
	int rd = c->dattr.orig_attr.max_qp_rd_atom;
	int dest_rd = c->dattr.orig_attr.max_qp_init_rd_atom;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = c->mtu,
		.dest_qp_num = peer->qpn, .rq_psn = peer->psn,
		.max_dest_rd_atomic = rd > 16 ? 16 : rd ? rd : 1,
		.min_rnr_timer = 12,
	};

	fill_ah(c, peer, &a.ah_attr);
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER)) {
		pt_err(c, "modify QP to RTR: %s", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = sq_psn;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = dest_rd > 16 ? 16 : dest_rd ? dest_rd : 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			  IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			  IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC)) {
		pt_err(c, "modify QP to RTS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Bring c->qp to RTS towards c->peer (RC) or create the AH (UD). */
int pt_connect(struct pt_ctx *c)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR };
	struct ibv_ah_attr ah;

	if (c->qp->qp_type == IBV_QPT_RC)
		return rc_rtr_rts(c, c->qp, &c->peer, c->self.psn);

	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE)) {
		pt_err(c, "modify UD QP to RTR: %s", strerror(errno));
		return -1;
	}
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = c->self.psn;
	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN)) {
		pt_err(c, "modify UD QP to RTS: %s", strerror(errno));
		return -1;
	}
	fill_ah(c, &c->peer, &ah);
	c->ah = ibv_create_ah(c->pd, &ah);
	if (!c->ah) {
		pt_err(c, "ibv_create_ah: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Two RC QPs of this context connected to each other (local tools: RDMA
 * between two buffers of one process).  They share c's CQs.
 */
int pt_local_pair(struct pt_ctx *c, struct ibv_qp **qa, struct ibv_qp **qb)
{
	struct pt_ep_info ea, eb;

	if (pt_create_qp(c, IBV_QPT_RC, 256, 16))
		return -1;
	*qa = c->qp;
	ea = c->self;
	if (pt_create_qp(c, IBV_QPT_RC, 256, 16))
		return -1;
	*qb = c->qp;
	eb = c->self;
	c->qp = NULL;
	if (rc_rtr_rts(c, *qa, &eb, ea.psn) || rc_rtr_rts(c, *qb, &ea, eb.psn))
		return -1;
	return 0;
}

void pt_close(struct pt_ctx *c)
{
	if (c->ah)
		ibv_destroy_ah(c->ah);
	if (c->qp)
		ibv_destroy_qp(c->qp);
	pt_buf_dereg(&c->buf);
	if (c->scq)
		ibv_destroy_cq(c->scq);
	if (c->rcq)
		ibv_destroy_cq(c->rcq);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->ctx)
		ibv_close_device(c->ctx);
	pt_buf_free(&c->buf);
	c->ah = NULL;
	c->qp = NULL;
	c->scq = c->rcq = NULL;
	c->pd = NULL;
	c->ctx = NULL;
}

static void odp_bits(char *s, size_t len, uint32_t caps)
{
	static const char *const names[] = { "SEND", "RECV", "WRITE", "READ",
					     "ATOMIC", "SRQ_RECV" };
	size_t n = 0;

	s[0] = 0;
	for (int i = 0; i < 6; i++)
		if (caps & (1u << i))
			n += snprintf(s + n, len - n, "%s%s", n ? "|" : "",
				      names[i]);
	if (!n)
		snprintf(s, len, "none");
}

/*
 * Does the device do what @mem needs for the operations @rc (RC) and
 * @ud (UD) of this run?  Prints what is missing and returns -1.
 */
int pt_check_odp(struct pt_ctx *c, enum pt_mem mem, uint32_t rc, uint32_t ud)
{
	const struct ibv_odp_caps *caps = &c->dattr.odp_caps;
	const char *dev = ibv_get_device_name(c->ctx->device);
	char have[64], need[64];

	if (mem == PT_MEM_PINNED)
		return 0;
	if (!(caps->general_caps & IBV_ODP_SUPPORT)) {
		pt_err(c, "%s does not support on-demand paging: "
		       "ibv_query_device_ex odp_caps.general_caps lacks "
		       "IBV_ODP_SUPPORT (%s needs it)", dev,
		       mem == PT_MEM_ODP ? "--odp" : "--odp-implicit");
		return -1;
	}
	if (mem == PT_MEM_IMPLICIT &&
	    !(caps->general_caps & IBV_ODP_SUPPORT_IMPLICIT)) {
		pt_err(c, "%s does not support implicit ODP: odp_caps."
		       "general_caps lacks IBV_ODP_SUPPORT_IMPLICIT", dev);
		return -1;
	}
	if ((caps->per_transport_caps.rc_odp_caps & rc) != rc) {
		odp_bits(have, sizeof(have), caps->per_transport_caps.rc_odp_caps);
		odp_bits(need, sizeof(need), rc);
		pt_err(c, "%s: ODP with RC supports %s; this test needs %s",
		       dev, have, need);
		return -1;
	}
	if ((caps->per_transport_caps.ud_odp_caps & ud) != ud) {
		odp_bits(have, sizeof(have), caps->per_transport_caps.ud_odp_caps);
		odp_bits(need, sizeof(need), ud);
		pt_err(c, "%s: ODP with UD supports %s; this test needs %s",
		       dev, have, need);
		return -1;
	}
	return 0;
}

/*
 * Poll up to @n completions; any status but success is reported and
 * returns -1.
 */
int pt_poll(struct pt_ctx *c, struct ibv_cq *cq, struct ibv_wc *wc, int n)
{
	int got = ibv_poll_cq(cq, n, wc);

	if (got < 0) {
		pt_err(c, "ibv_poll_cq: %d", got);
		return -1;
	}
	for (int i = 0; i < got; i++) {
		if (wc[i].status != IBV_WC_SUCCESS) {
			pt_err(c, "completion error: %s (%d), opcode %d, "
			       "wr_id %llu, vendor_err 0x%x",
			       ibv_wc_status_str(wc[i].status), wc[i].status,
			       wc[i].opcode, (unsigned long long)wc[i].wr_id,
			       wc[i].vendor_err);
			return -1;
		}
	}
	return got;
}

/*
 * Local tools: move [0, len) between a local and a remote buffer with
 * @op (RDMA WRITE or READ) on @qp, in @chunk-byte WRs, 64 in flight; wait
 * for all of them.
 */
int pt_rdma_range(struct pt_ctx *c, struct ibv_qp *qp, enum ibv_wr_opcode op,
		  void *laddr, uint32_t lkey, uint64_t raddr, uint32_t rkey,
		  size_t len, size_t chunk, bool same_local)
{
	uint64_t posted = 0, done = 0, n = (len + chunk - 1) / chunk;
	struct ibv_wc wc[16];
	int got;

	while (done < n) {
		while (posted < n && posted - done < 64) {
			size_t off = posted * chunk;
			struct ibv_sge sge = {
				.addr = (uintptr_t)laddr +
					(same_local ? 0 : off),
				.length = len - off < chunk ? len - off : chunk,
				.lkey = lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = posted, .sg_list = &sge, .num_sge = 1,
				.opcode = op,
				.send_flags = (posted % 16 == 15 || posted == n - 1) ?
					      IBV_SEND_SIGNALED : 0,
				.wr.rdma = { .remote_addr = raddr + off,
					     .rkey = rkey },
			}, *bad;
			int ret = ibv_post_send(qp, &wr, &bad);

			if (ret) {
				pt_err(c, "ibv_post_send: %s", strerror(ret));
				return -1;
			}
			posted++;
		}
		got = pt_poll(c, c->scq, wc, 16);
		if (got < 0)
			return -1;
		if (got)
			done = wc[got - 1].wr_id + 1;
	}
	return 0;
}

/*
 * A port counter of the device (ports/N/hw_counters/@name in sysfs, what
 * "rdma statistic show link DEV/N" shows), or -1 if the device has none.
 * ib_core refreshes the sysfs values at most every 10 ms.
 */
int64_t pt_hw_counter(struct pt_ctx *c, const char *name)
{
	char path[256];
	uint64_t v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/%d/hw_counters/%s",
		 ibv_get_device_name(c->ctx->device), c->o->ib_port, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%" SCNu64, &v);
	fclose(f);
	return n == 1 && v <= INT64_MAX ? (int64_t)v : -1;
}
