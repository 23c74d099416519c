/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: queue pairs, shared receive queues, address handles and the
 * transport engines (requester, completer, responder).
 *
 * EXECUTION.  All protocol work of a QP runs in one run of its engines
 * (sroce_qp_engines()): it drains the QP's receive queue of packets
 * (requests to the responder, responses to the completer), handles
 * timers, then lets the requester send.  A run is either the QP's work
 * item, qp->work, on sroce_engine_wq (unbound, high priority), or inline
 * (sroce_qp_run()): in the doorbell system call of a user QP whose path
 * is the loopback fast path, and, nested in such a run, in the QP that
 * received its packet.  qp->engine_mutex makes the runs of a QP
 * exclusive, so its three engines are serialised without further locks;
 * they run in process context and may sleep (MR copies, ODP faults).
 * Each engine owns its state struct (req, comp, resp below) and only its
 * own code writes it; the others call it through the narrow functions in
 * this header.
 *
 * RECEIVE.  sroce_rcv() (softirq or the loopback fast path) looks the QP up
 * under RCU, takes a reference, appends the skb to qp->rxq (bounded) and
 * queues qp->work - or, from an inline run, hands the QP back to run it
 * nested.  It never touches memory regions.
 *
 * STATE.  qp->state is written under qp->state_lock by modify_qp and by
 * the engines when they move the QP to ERR; the engines read it with
 * READ_ONCE() at the top of each step.  Verbs that change the QP
 * (modify, destroy) take qp->mutex, which serialises them against each
 * other; they stop the work item when they must (destroy, reset).
 */
#ifndef SROCE_QP_H
#define SROCE_QP_H

#include <linux/mutex.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "sroce-abi.h"
#include "sroce_net.h"

struct sroce_dev;
struct sroce_pd;
struct sroce_cq;
struct sroce_mmap_entry;

#define SROCE_MIN_QPN		16
#define SROCE_MAX_INLINE	512
#define SROCE_MAX_RXQ		4096	/* packets queued per QP before dropping */
#define SROCE_MAX_INFLIGHT	512	/* unacked request packets per RC QP */
#define SROCE_ACK_EVERY		64	/* request an ACK at least this often */
#define SROCE_WORK_BUDGET	256	/* packets per work run before requeue */
#define SROCE_RD_ATOM_SLOTS	SROCE_MAX_RD_ATOM
#define SROCE_TX_HIGH		64	/* packets in the IP stack: engines pause */
#define SROCE_TX_LOW		16	/* ... and resume below this */

/*
 * A work queue ring in which the kernel is the consumer (SQ, RQ, SRQ) and
 * the library, or a kernel consumer through post_send/post_recv, the
 * producer.  See uapi/sroce-abi.h for the protocol.  The kernel keeps its
 * own consumer index and never trusts the shared copy of the producer
 * beyond "at most @mask + 1 entries ahead".
 */
struct sroce_wq {
	struct sroce_ring_hdr *hdr;
	void *slots;
	u32 log2_entries;
	u32 log2_stride;
	u32 mask;
	u32 max_sge;
	u32 consumer;			/* next entry the kernel takes */
	u32 kprod;			/* kernel consumers: producer copy */
	spinlock_t lock;		/* kernel producers (post_send/recv) */
	struct sroce_mmap_entry *mmap;	/* user queues own their memory */
	void *kmem;			/* kernel queues: vmalloc memory */
};

/*
 * A send WQE as the kernel keeps it.  When the requester takes a WQE from
 * the ring it copies the slot into the QP's private copy (same stride) and
 * validates it there, so later changes of the shared slot by user space
 * cannot affect the kernel; @wqe points into that copy, the SGEs (or the
 * inline data) follow it.  The rest is the transport's progress.
 */
struct sroce_swqe {
	struct sroce_send_wqe *wqe;
	u32 length;			/* total payload bytes */
	u32 first_psn;
	u32 last_psn;
	u32 npkts;
	bool fetched;			/* copied and validated */
	bool started;			/* first request packet sent */
	bool posted;			/* all request packets sent once */
	bool done;			/* completed (response / ack seen) */
	bool failed;			/* local error: completes with */
	enum ib_wc_status fail_status;	/* this status when flushed */
	u32 resp_off;			/* read response bytes received */
	struct sroce_ah *ah;		/* UD: referenced while queued */
};

static inline struct ib_sge *sroce_swqe_sge(struct sroce_swqe *swqe)
{
	return (struct ib_sge *)(swqe->wqe + 1);
}

static inline void *sroce_swqe_inline(struct sroce_swqe *swqe)
{
	return swqe->wqe + 1;
}

struct sroce_rwqe {
	struct sroce_recv_wqe wqe;
	struct ib_sge sge[SROCE_MAX_SGE];
	u32 length;
};

/*
 * An address handle's resolved path.  Separate from the ib_ah (which
 * ib_core frees when destroy_ah returns, possibly in atomic context) and
 * reference counted: the AH table holds one reference, each queued UD WQE
 * that names it another; the last put frees it after an RCU grace period
 * (lookups are RCU).
 */
struct sroce_ah {
	refcount_t ref;
	struct rcu_head rcu;
	u32 ah_num;
	struct sroce_pd *pd;		/* compared only */
	struct sroce_path path;
};

struct sroce_ibah {
	struct ib_ah ibah;
	struct sroce_ah *ah;
	struct rdma_ah_attr attr;	/* for query_ah, no sgid_attr ref */
};

static inline struct sroce_ibah *to_sibah(struct ib_ah *ibah)
{
	return container_of(ibah, struct sroce_ibah, ibah);
}

struct sroce_srq {
	struct ib_srq ibsrq;
	struct sroce_wq rq;
	spinlock_t lock;		/* consumers: responders of several QPs */
	u32 srqn;
	u32 limit;			/* armed limit, 0 = disarmed */
};

static inline struct sroce_srq *to_ssrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct sroce_srq, ibsrq);
}

/* Requester: owns the SQ's consumer side up to completion. */
struct sroce_req {
	u32 next;			/* SQ index of the next WQE to send */
	u32 psn;			/* next PSN to use */
	u32 wqe_off;			/* bytes of WQE @next already sent */
	u32 rd_atom;			/* READ/ATOMIC requests outstanding */
	bool need_rewind;		/* completer asked for go-back-N */
	u32 rewind_psn;
	unsigned long rnr_until;	/* jiffies: wait after an RNR NAK */
};

/* Completer: owns completion of SQ WQEs, ACK tracking and retries. */
struct sroce_comp {
	u32 acked_psn;			/* oldest unacknowledged PSN */
	u32 retries;			/* transport retries left */
	u32 rnr_retries;		/* RNR retries left (7 = infinite) */
	struct timer_list timer;	/* retransmission */
	bool timer_fired;
	struct timer_list rnr_timer;
	bool rnr_fired;
	/* a read/atomic response missing (sroce_comp_resp_lost) */
	bool gap;			/* seen at @gap_psn, since @gap_since */
	bool gap_asked;			/* request re-issued for it */
	u32 gap_psn;
	unsigned long gap_since;
};

/* Read/atomic responder resources: replay of duplicate requests. */
struct sroce_rd_atom {
	bool valid;
	u8 opcode;
	u32 psn;
	u32 last_psn;
	u64 va;
	u32 rkey;
	u32 len;
	u64 orig;			/* atomic: result to replay */
};

/* Responder: owns the RQ/SRQ consumer side and the expected PSN. */
struct sroce_resp {
	u32 epsn;			/* expected PSN */
	u32 msn;
	bool nak_sent;			/* PSN sequence NAK outstanding */
	bool rnr_sent;
	/* message in progress */
	bool in_send;
	struct sroce_rwqe rwqe;
	bool have_rwqe;
	u32 send_off;
	bool in_write;
	u64 write_va;
	u32 write_rkey;
	u32 write_resid;
	u32 write_off;
	/* ACK owed */
	bool ack_pending;
	u32 ack_psn;
	struct sroce_rd_atom res[SROCE_RD_ATOM_SLOTS];
	u32 res_next;
	/* read response paused by transmit flow control, next PSN to send */
	struct sroce_rd_atom *read_res;
	u32 read_psn;
};

/*
 * ODP: the fault the responder starts after answering RNR NAK for a send
 * or write whose target is not resident (sroce_resp.c).  It runs in its
 * own work item, so the QP's engine keeps answering the requester's
 * retries with RNR NAK however long it takes.
 * @state: SROCE_ODP_FAULT_IDLE, _RUNNING (queued or running), _DONE (@err
 *   holds the result).  The work moves RUNNING -> DONE with release; the
 *   responder (the QP's work) reads it with acquire and is the only one
 *   to start a fault (IDLE -> RUNNING) or consume a result (DONE -> IDLE).
 * @psn: the packet answered with RNR NAK when the fault started.
 * @mr: the write target (referenced until the fault is done), or NULL:
 *   then @sge/@num_sge (a copy of the receive WQE's) from offset @off.
 */
struct sroce_odp_fault {
	struct work_struct work;
	atomic_t state;
	u32 psn;
	int err;
	struct sroce_mr *mr;
	struct ib_sge sge[SROCE_MAX_SGE];
	u32 num_sge;
	u64 off;
	u64 len;
};

enum {
	SROCE_ODP_FAULT_IDLE,
	SROCE_ODP_FAULT_RUNNING,
	SROCE_ODP_FAULT_DONE,
};

struct sroce_qp {
	struct ib_qp ibqp;
	struct sroce_dev *sdev;
	struct sroce_pd *pd;
	struct sroce_cq *scq;
	struct sroce_cq *rcq;
	struct sroce_srq *srq;
	bool is_user;

	struct mutex mutex;		/* modify/query/destroy */
	spinlock_t state_lock;		/* guards @state writes */
	enum ib_qp_state state;
	refcount_t ref;			/* lookups from receive */
	struct completion released;

	/* attributes (written under @mutex while the QP is not running) */
	int access;			/* qp_access_flags */
	u16 pkey_index;
	u32 qkey;
	u32 dest_qpn;
	enum ib_mtu mtu;
	u32 mtu_bytes;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
	u8 min_rnr_timer;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	u32 max_inline;
	bool sq_sig_all;
	struct sroce_path path;		/* RC: from the address vector */
	union ib_gid path_dgid;		/* for query_qp */
	bool path_valid;

	struct sroce_wq sq;
	struct sroce_sq_ctrl *sq_ctrl;
	struct sroce_swqe *swqes;	/* progress, one per SQ slot */
	void *sq_copy;			/* private copies of the SQ slots */
	struct sroce_wq rq;

	struct sk_buff_head rxq;
	struct work_struct work;	/* the engines, on sroce_engine_wq */
	/*
	 * Held while the engines run, by the work or inline (sroce_qp_run()),
	 * and by whoever rewrites engine state from outside (reset, a new SQ
	 * PSN).  Inline runs only trylock it (a nested run holds its
	 * sender's too), so nothing that holds it waits for another QP's.
	 * Taken before the MR and CQ locks the engines use.
	 */
	struct mutex engine_mutex;
	/* under engine_mutex: this run is inline, nested in @engine_outer's */
	bool engine_inline;
	struct sroce_qp *engine_outer;
	/* transmit flow control (sroce_qp_xmit) */
	atomic_t tx_inflight;		/* packets the IP stack still holds */
	unsigned long tx_waiting;	/* bit 0: an engine paused for room */
	u32 tx_burst;			/* packets sent in this work run */
	bool tx_yield;			/* the run stopped at its burst limit */
	struct timer_list yield_timer;	/* runs the work after a yield */

	struct sroce_req req;
	struct sroce_comp comp;
	struct sroce_odp_fault odp_fault;
	struct sroce_resp resp;
};

static inline struct sroce_qp *to_sqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct sroce_qp, ibqp);
}

/*
 * The GSI QP (QP1, created by ib_mad) is a UD QP with a fixed number and
 * Q_Key; every UD rule of the engines applies to it.
 */
#define SROCE_GSI_QPN		1

static inline bool sroce_qp_is_ud(const struct sroce_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI;
}

extern struct workqueue_struct *sroce_wq;
extern struct workqueue_struct *sroce_engine_wq;

/* sroce_qp.c: QP verbs, state machine, rings */
int sroce_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		    struct ib_udata *udata);
int sroce_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_udata *udata);
int sroce_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_qp_init_attr *init);
int sroce_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int sroce_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr);
int sroce_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr);
struct sroce_qp *sroce_qp_get(struct sroce_dev *sdev, u32 qpn);
void sroce_qp_put(struct sroce_qp *qp);
void sroce_qp_schedule(struct sroce_qp *qp);
void sroce_qp_run(struct sroce_qp *qp, struct sroce_qp *outer);
void sroce_qp_error(struct sroce_qp *qp);
int sroce_qp_xmit(struct sroce_qp *qp, const struct sroce_path *path,
		  struct sk_buff *skb);
bool sroce_qp_tx_full(struct sroce_qp *qp);
int sroce_wq_alloc(struct sroce_wq *wq, u32 entries, u32 max_sge,
		   size_t hdr_size, size_t wqe_hdr, struct ib_udata *udata,
		   struct sroce_mmap_info *info, u32 *slot_offset);
void sroce_wq_free(struct sroce_wq *wq);
void *sroce_wq_slot(struct sroce_wq *wq, u32 index);
u32 sroce_wq_avail(struct sroce_wq *wq);
int sroce_rwqe_fetch(struct sroce_wq *wq, struct sroce_rwqe *rwqe);
int sroce_post_recv_ring(struct sroce_wq *rq, const struct ib_recv_wr *wr,
			 const struct ib_recv_wr **bad_wr);
void sroce_qp_flush_cq_work(struct sroce_dev *sdev, struct sroce_cq *cq);
void sroce_complete_recv(struct sroce_qp *qp, struct sroce_rwqe *rwqe,
			 enum ib_wc_status status, enum ib_wc_opcode opcode,
			 u32 byte_len, u32 wc_flags, __be32 imm, u32 src_qp,
			 bool solicited, const struct sroce_pkt_info *pi);

/* sroce_srq.c */
int sroce_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		     struct ib_udata *udata);
int sroce_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		     enum ib_srq_attr_mask mask, struct ib_udata *udata);
int sroce_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int sroce_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int sroce_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			const struct ib_recv_wr **bad_wr);
int sroce_srq_fetch(struct sroce_srq *srq, struct sroce_rwqe *rwqe);

/* sroce_ah.c */
int sroce_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		    struct ib_udata *udata);
int sroce_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
int sroce_destroy_ah(struct ib_ah *ibah, u32 flags);
struct sroce_ah *sroce_ah_get(struct sroce_dev *sdev, u32 ah_num,
			      struct sroce_pd *pd);
void sroce_ah_put(struct sroce_ah *ah);

/* sroce_req.c: requester */
void sroce_req_init(struct sroce_qp *qp);
int sroce_req_step(struct sroce_qp *qp);
void sroce_req_rewind(struct sroce_qp *qp, u32 psn);
void sroce_req_flush(struct sroce_qp *qp);

/* sroce_comp.c: completer */
void sroce_comp_init(struct sroce_qp *qp);
void sroce_comp_stop(struct sroce_qp *qp);
void sroce_comp_rcv(struct sroce_qp *qp, struct sk_buff *skb);
void sroce_comp_timers(struct sroce_qp *qp);
void sroce_comp_sent(struct sroce_qp *qp);
void sroce_comp_wqe_posted(struct sroce_qp *qp);
void sroce_complete_send(struct sroce_qp *qp, struct sroce_swqe *swqe,
			 enum ib_wc_status status);

/* sroce_resp.c: responder */
void sroce_resp_init(struct sroce_qp *qp);
void sroce_resp_rcv(struct sroce_qp *qp, struct sk_buff *skb);
void sroce_resp_flush(struct sroce_qp *qp);
bool sroce_resp_resume(struct sroce_qp *qp);
void sroce_resp_odp_fault_work(struct work_struct *work);
void sroce_resp_odp_fault_stop(struct sroce_qp *qp);

#endif /* SROCE_QP_H */
