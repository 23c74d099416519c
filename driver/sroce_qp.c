// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: queue pairs - verbs, the state machine, work queue rings and the
 * per-QP work item that runs the engines.
 */

#include <linux/if_vlan.h>
#include <linux/interrupt.h>
#include <linux/vmalloc.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "sroce.h"
#include "sroce_hdr.h"

/* Faults, prefetches, reclaim: work that may sleep for long. */
struct workqueue_struct *sroce_wq;
/* The QP engines (sroce_qp_work). */
struct workqueue_struct *sroce_engine_wq;

static const char * const sroce_qp_state_name[] = {
	[IB_QPS_RESET] = "RESET", [IB_QPS_INIT] = "INIT", [IB_QPS_RTR] = "RTR",
	[IB_QPS_RTS] = "RTS", [IB_QPS_SQD] = "SQD", [IB_QPS_SQE] = "SQE",
	[IB_QPS_ERR] = "ERR",
};

/* ---- work queue rings ---------------------------------------------- */

/**
 * sroce_wq_alloc - allocate a ring the kernel consumes
 * @wq: the ring
 * @entries: entries wanted (rounded up to a power of two)
 * @max_sge: SGEs per entry, for the caller's bookkeeping
 * @hdr_size: bytes before the first slot (ring header and controls)
 * @slot_size: bytes of one entry (rounded up to a power of two)
 * @udata: user queue (memory mapped by the library) or NULL (kernel)
 * @info: user queues: the mmap offset and size for the library
 * @slot_offset: where the first slot starts
 */
int sroce_wq_alloc(struct sroce_wq *wq, u32 entries, u32 max_sge,
		   size_t hdr_size, size_t slot_size, struct ib_udata *udata,
		   struct sroce_mmap_info *info, u32 *slot_offset)
{
	struct sroce_ucontext *uc;
	size_t off, total;
	void *mem;

	memset(wq, 0, sizeof(*wq));
	spin_lock_init(&wq->lock);
	wq->log2_entries = order_base_2(max(entries, 1U));
	wq->log2_stride = order_base_2(slot_size);
	wq->mask = (1U << wq->log2_entries) - 1;
	wq->max_sge = max_sge;
	off = ALIGN(hdr_size, SROCE_RING_ALIGN);
	total = off + ((size_t)1 << (wq->log2_entries + wq->log2_stride));

	if (udata) {
		uc = rdma_udata_to_drv_context(udata, struct sroce_ucontext,
					       ibuc);
		wq->mmap = sroce_mmap_alloc(&uc->ibuc, total, info);
		if (IS_ERR(wq->mmap)) {
			int err = PTR_ERR(wq->mmap);

			wq->mmap = NULL;
			return err;
		}
		mem = wq->mmap->kaddr;
	} else {
		mem = vzalloc(total);
		if (!mem)
			return -ENOMEM;
		wq->kmem = mem;
	}
	wq->hdr = mem;
	wq->slots = mem + off;
	*slot_offset = off;
	return 0;
}

void sroce_wq_free(struct sroce_wq *wq)
{
	if (wq->mmap)
		sroce_mmap_remove(wq->mmap);
	vfree(wq->kmem);
	wq->mmap = NULL;
	wq->kmem = NULL;
	wq->hdr = NULL;
}

void *sroce_wq_slot(struct sroce_wq *wq, u32 index)
{
	return wq->slots + ((size_t)(index & wq->mask) << wq->log2_stride);
}

/*
 * Entries posted and not yet taken by the kernel.  The producer index is
 * written by user space for user queues: one that claims more entries
 * than the ring has is not believed (the ring then looks empty).
 */
u32 sroce_wq_avail(struct sroce_wq *wq)
{
	u32 prod = smp_load_acquire(&wq->hdr->producer);
	u32 n = prod - wq->consumer;

	return n > wq->mask + 1 ? 0 : n;
}

/* Publish the kernel's consumer index: the slots before it are free. */
static void sroce_wq_publish_consumer(struct sroce_wq *wq)
{
	smp_store_release(&wq->hdr->consumer, wq->consumer);
}

/*
 * Take the next receive WQE of @wq (a QP's RQ; SRQs go through
 * sroce_srq_fetch), copying and validating it.  Returns 0, -EAGAIN when
 * the queue is empty, -EINVAL for a malformed WQE (it is consumed).
 */
int sroce_rwqe_fetch(struct sroce_wq *wq, struct sroce_rwqe *rwqe)
{
	const struct sroce_recv_wqe *slot;
	u32 i, n;

	if (!sroce_wq_avail(wq))
		return -EAGAIN;
	slot = sroce_wq_slot(wq, wq->consumer);
	memcpy(&rwqe->wqe, slot, sizeof(rwqe->wqe));
	n = rwqe->wqe.num_sge;
	wq->consumer++;
	sroce_wq_publish_consumer(wq);
	if (n > wq->max_sge)
		return -EINVAL;
	memcpy(rwqe->sge, slot + 1, n * sizeof(struct ib_sge));
	rwqe->length = 0;
	for (i = 0; i < n; i++) {
		if (check_add_overflow(rwqe->length, rwqe->sge[i].length,
				       &rwqe->length))
			return -EINVAL;
	}
	return 0;
}

/* ---- QP lookup and scheduling -------------------------------------- */

struct sroce_qp *sroce_qp_get(struct sroce_dev *sdev, u32 qpn)
{
	struct sroce_qp *qp;

	rcu_read_lock();
	qp = xa_load(&sdev->qp_xa, qpn);
	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	rcu_read_unlock();
	return qp;
}

void sroce_qp_put(struct sroce_qp *qp)
{
	if (refcount_dec_and_test(&qp->ref))
		complete(&qp->released);
}

/*
 * Let the QPs that complete into @cq finish the work they were already
 * given (a doorbell, received packets): a resize of @cq then counts the
 * completions of the work requests posted before it, as on a device that
 * completes them at once (rdma-core's test_resize_cq posts UD sends and
 * expects a shrink below their completions to fail).  Sleeps.
 */
void sroce_qp_flush_cq_work(struct sroce_dev *sdev, struct sroce_cq *cq)
{
	struct sroce_qp *qp;
	unsigned long qpn;

	xa_lock(&sdev->qp_xa);
	xa_for_each(&sdev->qp_xa, qpn, qp) {
		/* destroy_qp erases a QP before it frees it */
		if ((qp->scq != cq && qp->rcq != cq) ||
		    !refcount_inc_not_zero(&qp->ref))
			continue;
		xa_unlock(&sdev->qp_xa);
		flush_work(&qp->work);
		/* and for an inline run */
		mutex_lock(&qp->engine_mutex);
		mutex_unlock(&qp->engine_mutex);
		sroce_qp_put(qp);
		xa_lock(&sdev->qp_xa);
	}
	xa_unlock(&sdev->qp_xa);
}

void sroce_qp_schedule(struct sroce_qp *qp)
{
	queue_work(sroce_engine_wq, &qp->work);
}

/*
 * Transmit flow control.  A QP's packets leave through the IP stack, whose
 * queues are not sroce's: on a veth pair every packet waits in the peer's
 * per-CPU backlog (netdev_max_backlog packets) until softirq delivers it,
 * and what does not fit is dropped.  The engines run in a high-priority
 * worker that produces packets far faster than a starved ksoftirqd
 * delivers them: when rdma_rxe read 3 MB from sroce (traffic_test), 1900
 * of the response packets were dropped there, and more on every retry.
 * So, as rdma_rxe does, each packet is charged to its QP until the stack
 * lets go of it - the skb destructor runs when the receiver's IP layer
 * orphans it, when a NIC has sent it, or when it is dropped - and the
 * engines that send bursts (requester, read responses) pause once
 * SROCE_TX_HIGH packets are in flight; the destructor schedules the work
 * again when fewer than SROCE_TX_LOW are.  Single answers (ACK, NAK,
 * atomic ACK) are charged but never wait.  Each charged packet holds a
 * QP reference, so destroy_qp waits for them (they only sit in queues
 * that drain or drop); the loopback fast path gives the charge back on
 * delivery.
 */
static void sroce_qp_skb_done(struct sk_buff *skb)
{
	struct sroce_qp *qp = skb_shinfo(skb)->destructor_arg;

	/* full barrier: pairs with the one in sroce_qp_tx_full() */
	if (atomic_dec_return(&qp->tx_inflight) < SROCE_TX_LOW &&
	    test_and_clear_bit(0, &qp->tx_waiting))
		sroce_qp_schedule(qp);
	sroce_qp_put(qp);
}

/* Does @qp wait for one WR only, of at most one packet of payload? */
static bool sroce_qp_one_small_wr(struct sroce_qp *qp)
{
	u32 outstanding = smp_load_acquire(&qp->sq.hdr->producer) -
			  qp->sq.consumer;

	if (outstanding == 0)
		return true;		/* an answer of the responder */
	return outstanding == 1 &&
	       qp->swqes[qp->sq.consumer & qp->sq.mask].length <=
	       qp->mtu_bytes;
}

/* sroce_pkt_xmit() for a packet of @qp, charged to it.  In the QP's work. */
int sroce_qp_xmit(struct sroce_qp *qp, const struct sroce_path *path,
		  struct sk_buff *skb)
{
	struct sroce_qp *peer = NULL;
	int err;

	qp->tx_burst++;
	/* A QP being destroyed sends its last packets uncharged. */
	if (refcount_inc_not_zero(&qp->ref)) {
		atomic_inc(&qp->tx_inflight);
		/* no zerocopy flags: the arg is the destructor's (as AF_XDP) */
		skb_shinfo(skb)->destructor_arg = qp;
		skb->destructor = sroce_qp_skb_done;
	}
	err = sroce_pkt_xmit(qp->sdev, path, skb,
			     qp->engine_inline ? &peer : NULL);
	/*
	 * Nest the peer's run only when the QP waits for this one message
	 * and it fits in one packet each way (the latency pattern): with
	 * more WRs outstanding, or a message of several packets, the peer's
	 * own work answers on its CPU while this one goes on copying.
	 */
	if (peer && !qp->engine_outer && !sroce_qp_one_small_wr(qp)) {
		sroce_qp_schedule(peer);
		sroce_qp_put(peer);
		peer = NULL;
	}
	/* a QP of this host got the packet (inline runs only) */
	if (peer) {
		if (!qp->engine_outer)
			sroce_qp_run(peer, qp);		/* let it answer now */
		else if (peer != qp->engine_outer)
			sroce_qp_schedule(peer);
		/* else the run this one is nested in takes it afterwards */
		sroce_qp_put(peer);
	}
	return err;
}

/*
 * Should a bursting engine stop sending?  If so, the work runs again
 * without the engine's help: after a yield (sroce_qp_yield()) when this
 * run has sent SROCE_WORK_BUDGET packets, else when the destructor of one
 * of the QP's packets finds room.  In the QP's work.
 */
bool sroce_qp_tx_full(struct sroce_qp *qp)
{
	if (qp->tx_burst >= SROCE_WORK_BUDGET) {
		qp->tx_yield = true;
		return true;
	}
	if (atomic_read(&qp->tx_inflight) < SROCE_TX_HIGH)
		return false;
	set_bit(0, &qp->tx_waiting);
	smp_mb__after_atomic();
	/* a destructor that ran before the bit was set did not see it */
	return atomic_read(&qp->tx_inflight) >= SROCE_TX_LOW;
}

/*
 * The work stopped at a budget with more to do.  Run again at once,
 * unless network softirqs wait on this CPU: the work's worker has a high
 * priority (nice -20), and once softirq processing was handed to
 * ksoftirqd (nice 0), 6.1 leaves all of it there, so a worker that keeps
 * requeueing itself starves the delivery of the packets it just sent and
 * of the answers to them for hundreds of milliseconds.  Under a 5 ms
 * netem delay (whose queue takes packets, and the transmit charge, at
 * once) a replayed 3 MB read response did exactly that: the peer's
 * retransmission timer fired while the responses sat in the backlog, its
 * retries asked for more replays, and it ran out of retries.  Then the
 * work comes back a jiffy later, and ksoftirqd gets the CPU meanwhile.
 */
static void sroce_qp_yield(struct sroce_qp *qp)
{
	unsigned int pending;

	preempt_disable();
	pending = local_softirq_pending();
	preempt_enable();
	if (pending & (BIT(NET_TX_SOFTIRQ) | BIT(NET_RX_SOFTIRQ)))
		mod_timer(&qp->yield_timer, jiffies + 1);
	else
		sroce_qp_schedule(qp);
}

static void sroce_qp_yield_timeout(struct timer_list *t)
{
	struct sroce_qp *qp = from_timer(qp, t, yield_timer);

	sroce_qp_schedule(qp);
}

static void sroce_qp_set_state(struct sroce_qp *qp, enum ib_qp_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&qp->state_lock, flags);
	if (qp->state != state)
		pr_debug("sroce: qp %u %s -> %s\n", qp->ibqp.qp_num,
			 sroce_qp_state_name[qp->state],
			 sroce_qp_state_name[state]);
	WRITE_ONCE(qp->state, state);
	spin_unlock_irqrestore(&qp->state_lock, flags);
}

/*
 * Move the QP to the error state from an engine (process context, in the
 * QP's work): report the fatal event and let the next work run flush both
 * work queues.
 */
void sroce_qp_error(struct sroce_qp *qp)
{
	struct ib_event ev = {
		.device = qp->ibqp.device,
		.element.qp = &qp->ibqp,
		.event = IB_EVENT_QP_FATAL,
	};

	if (READ_ONCE(qp->state) == IB_QPS_ERR)
		return;
	sroce_qp_set_state(qp, IB_QPS_ERR);
	if (qp->ibqp.event_handler)
		qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
	sroce_qp_schedule(qp);
}

/*
 * Kernel side of the SQ doorbell protocol (uapi/sroce-abi.h): the engines
 * are about to go idle.  Returns false when new WQEs arrived meanwhile and
 * they must run again.
 */
static bool sroce_qp_going_idle(struct sroce_qp *qp)
{
	WRITE_ONCE(qp->sq_ctrl->kernel_idle, 1);
	smp_mb();
	if (qp->req.next != smp_load_acquire(&qp->sq.hdr->producer) &&
	    (READ_ONCE(qp->state) == IB_QPS_RTS ||
	     READ_ONCE(qp->state) == IB_QPS_ERR)) {
		WRITE_ONCE(qp->sq_ctrl->kernel_idle, 0);
		return false;
	}
	return true;
}

/*
 * One run of the QP's engines, qp->engine_mutex held: the packets queued
 * for the QP (requests to the responder, responses to the completer), the
 * timers that fired, then the requester.  When the requester's packets
 * were answered within the run (an inline run of the peer on this host,
 * see sroce_qp_xmit()), the answers are taken in one more pass.
 */
static void sroce_qp_engines(struct sroce_qp *qp)
{
	int budget = SROCE_WORK_BUDGET, pass;
	bool rx_paused = false;
	struct sk_buff *skb;
	int ret;

	WRITE_ONCE(qp->sq_ctrl->kernel_idle, 0);
	qp->tx_burst = 0;
	qp->tx_yield = false;

	for (pass = 0; ; pass++) {
		for (; budget > 0; budget--) {
			const struct sroce_bth *bth;

			/*
			 * A read response paused by transmit flow control
			 * goes out before the next packet is taken: the
			 * packets of a QP are handled in order.  Its
			 * destructors, or the yield below, schedule the work.
			 */
			if (!sroce_resp_resume(qp)) {
				rx_paused = true;
				break;
			}
			skb = skb_dequeue(&qp->rxq);
			if (!skb)
				break;
			bth = (void *)skb->data;

			if (sroce_opcode_info(bth->opcode)->flags & SROCE_OP_REQ)
				sroce_resp_rcv(qp, skb);
			else
				sroce_comp_rcv(qp, skb);
		}

		sroce_comp_timers(qp);
		if (READ_ONCE(qp->state) == IB_QPS_ERR) {
			sroce_req_flush(qp);
			sroce_resp_flush(qp);
		}
		ret = sroce_req_step(qp);
		if (pass || rx_paused || budget <= 0 || qp->tx_yield ||
		    skb_queue_empty(&qp->rxq))
			break;
	}

	/*
	 * Run again when there is more to do; when the requester is blocked
	 * on the peer, a response or a timer schedules the work and the
	 * library needs no doorbell (kernel_idle stays 0).
	 */
	if (ret > 0 || qp->tx_yield ||
	    (!rx_paused && !skb_queue_empty(&qp->rxq)))
		sroce_qp_yield(qp);
	else if (ret == 0 && !sroce_qp_going_idle(qp))
		sroce_qp_schedule(qp);
}

static void sroce_qp_work(struct work_struct *work)
{
	struct sroce_qp *qp = container_of(work, struct sroce_qp, work);

	mutex_lock(&qp->engine_mutex);
	sroce_qp_engines(qp);
	mutex_unlock(&qp->engine_mutex);
}

/*
 * Inline runs.  The engines normally run in qp->work.
 * Where waking a worker costs a context switch on the latency path, they
 * run at once in the caller's context instead: a user QP's doorbell runs
 * the QP's engines in the post_send system call, and a packet such a run
 * sends to an idle QP of this host over the loopback fast path runs that
 * QP's engines too, nested in the sender's run (sroce_qp_xmit()), as
 * rdma_rxe runs its responder in the sender's context; the sender then
 * takes the answers in its next pass.  Runs of the work, and senders with
 * more than one WR outstanding or a message of more than one packet,
 * leave the peer to its own work: a busy QP pair keeps its two CPUs.
 * qp->engine_mutex keeps the runs of a QP exclusive: the work waits for
 * it, inline runs only try it and
 * schedule the work when it is taken, so no run ever waits for another
 * QP's.  A nested run (@outer: the run it is nested in) starts none:
 * nesting is one level deep.  Process context; may sleep.
 */
void sroce_qp_run(struct sroce_qp *qp, struct sroce_qp *outer)
{
	might_sleep();
	if (!mutex_trylock(&qp->engine_mutex)) {
		sroce_qp_schedule(qp);
		return;
	}
	qp->engine_inline = true;
	qp->engine_outer = outer;
	sroce_qp_engines(qp);
	qp->engine_inline = false;
	qp->engine_outer = NULL;
	mutex_unlock(&qp->engine_mutex);
}

/* ---- create / destroy ---------------------------------------------- */

static int sroce_qp_check_cap(struct sroce_dev *sdev,
			      struct ib_qp_init_attr *init)
{
	struct ib_qp_cap *cap = &init->cap;

	if (!cap->max_send_wr || cap->max_send_wr > SROCE_MAX_QP_WR ||
	    cap->max_send_sge > SROCE_MAX_SGE ||
	    cap->max_inline_data > SROCE_MAX_INLINE)
		return -EINVAL;
	if (init->srq) {
		/* the receive side is the SRQ's */
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
	} else if (!cap->max_recv_wr || cap->max_recv_wr > SROCE_MAX_QP_WR ||
		   cap->max_recv_sge > SROCE_MAX_SGE) {
		return -EINVAL;
	}
	return 0;
}

static size_t sroce_sq_slot_size(struct ib_qp_cap *cap)
{
	size_t body = max_t(size_t, cap->max_send_sge * sizeof(struct sroce_sge),
			    cap->max_inline_data);

	return roundup_pow_of_two(sizeof(struct sroce_send_wqe) +
				  max_t(size_t, body, sizeof(struct sroce_sge)));
}

static size_t sroce_rq_slot_size(u32 max_sge)
{
	return roundup_pow_of_two(sizeof(struct sroce_recv_wqe) +
				  max(max_sge, 1U) * sizeof(struct sroce_sge));
}

int sroce_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		    struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_qp *qp = to_sqp(ibqp);
	struct sroce_create_qp_resp resp = {};
	u32 qpn;
	int err;

	BUILD_BUG_ON(sizeof(struct sroce_sge) != sizeof(struct ib_sge));

	/*
	 * GSI: ib_mad's QP1 of the port, a kernel QP.  RoCE has no subnet
	 * management, so there is no SMI QP (QP0): IB_QPT_SMI is refused
	 * like every other type sroce does not implement.
	 */
	if (init->qp_type == IB_QPT_GSI) {
		if (udata || init->port_num != 1)
			return -EINVAL;
	} else if (init->qp_type != IB_QPT_RC && init->qp_type != IB_QPT_UD) {
		return -EOPNOTSUPP;
	}
	if (init->create_flags)
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	err = sroce_qp_check_cap(sdev, init);
	if (err)
		return err;
	if (atomic_inc_return(&sdev->num_qp) > SROCE_MAX_QP) {
		err = -ENOMEM;
		goto err_count;
	}

	qp->sdev = sdev;
	qp->pd = to_spd(ibqp->pd);
	qp->scq = to_scq(init->send_cq);
	qp->rcq = to_scq(init->recv_cq);
	qp->srq = init->srq ? to_ssrq(init->srq) : NULL;
	qp->is_user = !!udata;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->max_inline = init->cap.max_inline_data;
	qp->state = IB_QPS_RESET;
	qp->mtu = IB_MTU_256;
	qp->mtu_bytes = 256;
	if (init->qp_type == IB_QPT_GSI)
		qp->qkey = IB_QP1_QKEY;
	mutex_init(&qp->mutex);
	spin_lock_init(&qp->state_lock);
	refcount_set(&qp->ref, 1);
	init_completion(&qp->released);
	skb_queue_head_init(&qp->rxq);
	INIT_WORK(&qp->work, sroce_qp_work);
	mutex_init(&qp->engine_mutex);
	INIT_WORK(&qp->odp_fault.work, sroce_resp_odp_fault_work);
	atomic_set(&qp->odp_fault.state, SROCE_ODP_FAULT_IDLE);
	atomic_set(&qp->tx_inflight, 0);
	timer_setup(&qp->yield_timer, sroce_qp_yield_timeout, 0);

	err = sroce_wq_alloc(&qp->sq, init->cap.max_send_wr,
			     init->cap.max_send_sge,
			     sizeof(struct sroce_ring_hdr) +
			     sizeof(struct sroce_sq_ctrl),
			     sroce_sq_slot_size(&init->cap), udata, &resp.sq,
			     &resp.sq_slot_offset);
	if (err)
		goto err_count;
	qp->sq_ctrl = (void *)(qp->sq.hdr + 1);
	WRITE_ONCE(qp->sq_ctrl->kernel_idle, 1);

	if (!qp->srq) {
		err = sroce_wq_alloc(&qp->rq, init->cap.max_recv_wr,
				     init->cap.max_recv_sge,
				     sizeof(struct sroce_ring_hdr),
				     sroce_rq_slot_size(init->cap.max_recv_sge),
				     udata, &resp.rq, &resp.rq_slot_offset);
		if (err)
			goto err_sq;
	}

	qp->swqes = kvcalloc(qp->sq.mask + 1, sizeof(*qp->swqes), GFP_KERNEL);
	qp->sq_copy = kvmalloc(((size_t)qp->sq.mask + 1) << qp->sq.log2_stride,
			       GFP_KERNEL);
	if (!qp->swqes || !qp->sq_copy) {
		err = -ENOMEM;
		goto err_rq;
	}

	/* Report what the rings really hold. */
	init->cap.max_send_wr = qp->sq.mask + 1;
	init->cap.max_inline_data = qp->max_inline;
	if (!qp->srq)
		init->cap.max_recv_wr = qp->rq.mask + 1;

	sroce_req_init(qp);
	sroce_comp_init(qp);
	sroce_resp_init(qp);

	resp.sq_log2_entries = qp->sq.log2_entries;
	resp.sq_log2_stride = qp->sq.log2_stride;
	resp.rq_log2_entries = qp->srq ? 0 : qp->rq.log2_entries;
	resp.rq_log2_stride = qp->srq ? 0 : qp->rq.log2_stride;
	if (udata) {
		err = ib_copy_to_udata(udata, &resp,
				       min(sizeof(resp), udata->outlen));
		if (err)
			goto err_rq;
	}

	/*
	 * Publish last: receive may find the QP from now on.  The GSI QP is
	 * QP1 on the wire, one per device (-EBUSY for a second one); other
	 * QPs are numbered from SROCE_MIN_QPN.
	 */
	if (init->qp_type == IB_QPT_GSI) {
		qpn = SROCE_GSI_QPN;
		err = xa_insert(&sdev->qp_xa, qpn, qp, GFP_KERNEL);
	} else {
		err = xa_alloc_cyclic(&sdev->qp_xa, &qpn, qp,
				      XA_LIMIT(SROCE_MIN_QPN, SROCE_QPN_MASK),
				      &sdev->qp_next, GFP_KERNEL);
	}
	if (err < 0)
		goto err_rq;
	ibqp->qp_num = qpn;
	return 0;

err_rq:
	kvfree(qp->sq_copy);
	kvfree(qp->swqes);
	if (!qp->srq)
		sroce_wq_free(&qp->rq);
err_sq:
	sroce_wq_free(&qp->sq);
err_count:
	atomic_dec(&sdev->num_qp);
	return err;
}

/* Stop everything that could run for the QP: timers, work, packets. */
static void sroce_qp_quiesce(struct sroce_qp *qp)
{
	sroce_comp_stop(qp);
	del_timer_sync(&qp->yield_timer);
	cancel_work_sync(&qp->work);
	/* an inline run (sroce_qp_run()) in progress ends */
	mutex_lock(&qp->engine_mutex);
	mutex_unlock(&qp->engine_mutex);
	sroce_resp_odp_fault_stop(qp);
	skb_queue_purge(&qp->rxq);
}

int sroce_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	struct sroce_dev *sdev = qp->sdev;
	u32 i;

	mutex_lock(&qp->mutex);
	sroce_qp_set_state(qp, IB_QPS_ERR);
	xa_erase(&sdev->qp_xa, ibqp->qp_num);
	/* No new lookup can find it; wait for receive to let go of it. */
	sroce_qp_put(qp);
	wait_for_completion(&qp->released);
	/*
	 * A lookup that found it just before the erase may still be about
	 * to try its refcount (and fail): ib_core frees the QP as soon as
	 * we return, so wait for such RCU readers to leave.
	 */
	synchronize_rcu();
	/* Timers and work may still requeue each other: stop both twice. */
	sroce_qp_quiesce(qp);
	sroce_qp_quiesce(qp);
	mutex_unlock(&qp->mutex);

	for (i = 0; i <= qp->sq.mask; i++) {
		if (qp->swqes[i].ah) {
			sroce_ah_put(qp->swqes[i].ah);
			qp->swqes[i].ah = NULL;
		}
	}
	if (qp->path_valid)
		sroce_path_release(&qp->path);
	kvfree(qp->sq_copy);
	kvfree(qp->swqes);
	if (!qp->srq)
		sroce_wq_free(&qp->rq);
	sroce_wq_free(&qp->sq);
	atomic_dec(&sdev->num_qp);
	return 0;
}

/* ---- modify / query ------------------------------------------------- */

static int sroce_qp_check_attr(struct sroce_qp *qp, struct ib_qp_attr *attr,
			       int mask)
{
	if ((mask & IB_QP_PORT) && attr->port_num != 1)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index >= SROCE_PKEY_TBL_LEN)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096))
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > SROCE_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > SROCE_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > SROCE_QPN_MASK)
		return -EINVAL;
	if ((mask & IB_QP_SQ_PSN) && attr->sq_psn > SROCE_PSN_MASK)
		return -EINVAL;
	if ((mask & IB_QP_RQ_PSN) && attr->rq_psn > SROCE_PSN_MASK)
		return -EINVAL;
	/* QP1 receives only MADs sent with the well-known GSI Q_Key. */
	if ((mask & IB_QP_QKEY) && qp->ibqp.qp_type == IB_QPT_GSI &&
	    attr->qkey != IB_QP1_QKEY)
		return -EINVAL;
	/*
	 * Only the remote bits mean anything for a QP.  Applications (and
	 * rdma-core's tests) pass their MR access flags here, ON_DEMAND
	 * included, and every device ignores those: so does sroce, as long
	 * as they are access flags at all.
	 */
	if ((mask & IB_QP_ACCESS_FLAGS) &&
	    (attr->qp_access_flags & ~IB_ACCESS_SUPPORTED))
		return -EINVAL;
	return 0;
}

/* Back to RESET: forget all work, as if the QP were new. */
static void sroce_qp_reset(struct sroce_qp *qp)
{
	u32 i;

	sroce_qp_quiesce(qp);
	/*
	 * A doorbell (inline run) or work queued meanwhile may still run
	 * the engines: they find the QP in RESET.
	 */
	mutex_lock(&qp->engine_mutex);
	for (i = 0; i <= qp->sq.mask; i++) {
		if (qp->swqes[i].ah)
			sroce_ah_put(qp->swqes[i].ah);
	}
	memset(qp->swqes, 0, (qp->sq.mask + 1) * sizeof(*qp->swqes));
	/* The kernel's consumers catch up with what is posted. */
	qp->sq.consumer = smp_load_acquire(&qp->sq.hdr->producer);
	smp_store_release(&qp->sq.hdr->consumer, qp->sq.consumer);
	if (!qp->srq) {
		qp->rq.consumer = smp_load_acquire(&qp->rq.hdr->producer);
		smp_store_release(&qp->rq.hdr->consumer, qp->rq.consumer);
	}
	sroce_req_init(qp);
	sroce_comp_init(qp);
	sroce_resp_init(qp);
	mutex_unlock(&qp->engine_mutex);
}

int sroce_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_udata *udata)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	enum ib_qp_state cur, new;
	struct sroce_path path;
	int err;

	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	mutex_lock(&qp->mutex);
	cur = (mask & IB_QP_CUR_STATE) ? attr->cur_qp_state : qp->state;
	new = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	err = -EINVAL;
	if (!ib_modify_qp_is_ok(cur, new, ibqp->qp_type, mask))
		goto out;
	err = sroce_qp_check_attr(qp, attr, mask);
	if (err)
		goto out;

	if (mask & IB_QP_AV) {
		err = sroce_path_init(qp->sdev, &path, &attr->ah_attr,
				      ibqp->qp_num);
		if (err)
			goto out;
		if (qp->path_valid)
			sroce_path_release(&qp->path);
		qp->path = path;
		qp->path_valid = true;
		qp->path_dgid = rdma_ah_read_grh(&attr->ah_attr)->dgid;
	}
	if (mask & IB_QP_ACCESS_FLAGS)
		qp->access = attr->qp_access_flags &
			     (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ |
			      IB_ACCESS_REMOTE_ATOMIC | IB_ACCESS_LOCAL_WRITE);
	if (mask & IB_QP_PKEY_INDEX)
		qp->pkey_index = attr->pkey_index;
	if (mask & IB_QP_QKEY)
		qp->qkey = attr->qkey;
	if (mask & IB_QP_DEST_QPN)
		qp->dest_qpn = attr->dest_qp_num;
	if (mask & IB_QP_PATH_MTU) {
		qp->mtu = attr->path_mtu;
		qp->mtu_bytes = ib_mtu_enum_to_int(attr->path_mtu);
	}
	if (mask & IB_QP_TIMEOUT)
		qp->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qp->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qp->max_dest_rd_atomic = attr->max_dest_rd_atomic;

	if (!(mask & IB_QP_STATE) || new == cur) {
		err = 0;
		goto out;
	}

	/* Engines read their starting point while the QP is not running. */
	switch (new) {
	case IB_QPS_RESET:
		sroce_qp_set_state(qp, IB_QPS_RESET);
		sroce_qp_reset(qp);
		break;
	case IB_QPS_INIT:
		sroce_qp_set_state(qp, IB_QPS_INIT);
		break;
	case IB_QPS_RTR:
		if (mask & IB_QP_RQ_PSN)
			qp->resp.epsn = attr->rq_psn;
		sroce_qp_set_state(qp, IB_QPS_RTR);
		break;
	case IB_QPS_RTS:
		mutex_lock(&qp->engine_mutex);
		if (mask & IB_QP_SQ_PSN) {
			qp->req.psn = attr->sq_psn;
			qp->comp.acked_psn = attr->sq_psn;
		}
		qp->comp.retries = qp->retry_cnt;
		qp->comp.rnr_retries = qp->rnr_retry;
		mutex_unlock(&qp->engine_mutex);
		sroce_qp_set_state(qp, IB_QPS_RTS);
		sroce_qp_schedule(qp);
		break;
	case IB_QPS_SQD:
		sroce_qp_set_state(qp, IB_QPS_SQD);
		break;
	case IB_QPS_SQE:
		sroce_qp_set_state(qp, IB_QPS_SQE);
		break;
	case IB_QPS_ERR:
		sroce_qp_set_state(qp, IB_QPS_ERR);
		sroce_qp_schedule(qp);
		flush_work(&qp->work);
		break;
	}
	err = 0;
out:
	mutex_unlock(&qp->mutex);
	return err;
}

int sroce_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_qp_init_attr *init)
{
	struct sroce_qp *qp = to_sqp(ibqp);

	mutex_lock(&qp->mutex);
	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));
	attr->qp_state = READ_ONCE(qp->state);
	attr->cur_qp_state = attr->qp_state;
	attr->path_mtu = qp->mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qkey = qp->qkey;
	attr->rq_psn = qp->resp.epsn;
	attr->sq_psn = qp->req.psn;
	attr->dest_qp_num = qp->dest_qpn;
	attr->qp_access_flags = qp->access;
	attr->pkey_index = qp->pkey_index;
	attr->port_num = 1;
	attr->timeout = qp->timeout;
	attr->retry_cnt = qp->retry_cnt;
	attr->rnr_retry = qp->rnr_retry;
	attr->min_rnr_timer = qp->min_rnr_timer;
	attr->max_rd_atomic = qp->max_rd_atomic;
	attr->max_dest_rd_atomic = qp->max_dest_rd_atomic;
	attr->sq_draining = attr->qp_state == IB_QPS_SQD &&
			    qp->sq.consumer != qp->req.next;
	if (qp->path_valid) {
		rdma_ah_set_ah_flags(&attr->ah_attr, IB_AH_GRH);
		attr->ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
		rdma_ah_set_port_num(&attr->ah_attr, 1);
		rdma_ah_set_grh(&attr->ah_attr, NULL, qp->path.flow_label,
				qp->path.sgid_attr->index, qp->path.ttl,
				qp->path.tos);
		rdma_ah_set_dgid_raw(&attr->ah_attr, qp->path_dgid.raw);
	}
	attr->cap.max_send_wr = qp->sq.mask + 1;
	attr->cap.max_send_sge = qp->sq.max_sge;
	attr->cap.max_inline_data = qp->max_inline;
	if (!qp->srq) {
		attr->cap.max_recv_wr = qp->rq.mask + 1;
		attr->cap.max_recv_sge = qp->rq.max_sge;
	}
	init->event_handler = ibqp->event_handler;
	init->qp_context = ibqp->qp_context;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR :
					     IB_SIGNAL_REQ_WR;
	init->qp_type = ibqp->qp_type;
	init->port_num = 1;
	mutex_unlock(&qp->mutex);
	return 0;
}

/* ---- kernel consumers' post_send / post_recv ------------------------ */

static int sroce_post_one_send(struct sroce_qp *qp, const struct ib_send_wr *wr)
{
	struct sroce_wq *sq = &qp->sq;
	struct sroce_send_wqe *wqe;
	u32 i, len = 0;
	u8 *p;

	if (wr->num_sge > sq->max_sge)
		return -EINVAL;
	if (sq->kprod - smp_load_acquire(&sq->hdr->consumer) > sq->mask)
		return -ENOMEM;

	wqe = sroce_wq_slot(sq, sq->kprod);
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	wqe->imm_data = wr->ex.imm_data;

	switch (wr->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
	case IB_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		wqe->wr.rdma.rkey = rdma_wr(wr)->rkey;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		wqe->wr.atomic.compare_add = atomic_wr(wr)->compare_add;
		wqe->wr.atomic.swap = atomic_wr(wr)->swap;
		wqe->wr.atomic.rkey = atomic_wr(wr)->rkey;
		break;
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		if (sroce_qp_is_ud(qp)) {
			wqe->wr.ud.ah_num = to_sibah(ud_wr(wr)->ah)->ah->ah_num;
			wqe->wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
			wqe->wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;
		}
		break;
	case IB_WR_SEND_WITH_INV:
		/* the rkey to invalidate is in imm_data (ex is a union) */
		if (qp->ibqp.qp_type != IB_QPT_RC)
			return -EINVAL;
		break;
	case IB_WR_LOCAL_INV:
		/* fast registration (sroce_mr.c): RC, no data */
		if (qp->ibqp.qp_type != IB_QPT_RC || wr->num_sge)
			return -EINVAL;
		break;
	case IB_WR_REG_MR:
		if (qp->ibqp.qp_type != IB_QPT_RC || wr->num_sge ||
		    !sroce_reg_wqe_set(wqe, reg_wr(wr), &qp->sdev->ibdev))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	if (wr->send_flags & IB_SEND_INLINE) {
		p = (u8 *)(wqe + 1);
		for (i = 0; i < wr->num_sge; i++) {
			if (len + wr->sg_list[i].length > qp->max_inline)
				return -EINVAL;
			memcpy(p + len, (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		wqe->num_sge = len;
	} else {
		memcpy(wqe + 1, wr->sg_list, wr->num_sge * sizeof(struct ib_sge));
		wqe->num_sge = wr->num_sge;
	}
	sq->kprod++;
	smp_store_release(&sq->hdr->producer, sq->kprod);
	return 0;
}

int sroce_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	unsigned long flags;
	int err = 0;

	/* A user QP's library wrote the ring itself: this is its doorbell. */
	if (qp->is_user) {
		if (qp->path.dst_dev)
			sroce_qp_run(qp, NULL);
		else
			sroce_qp_schedule(qp);
		return 0;
	}
	if (READ_ONCE(qp->state) < IB_QPS_RTS) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->sq.lock, flags);
	for (; wr; wr = wr->next) {
		err = sroce_post_one_send(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->sq.lock, flags);
	sroce_qp_schedule(qp);
	return err;
}

static int sroce_post_one_recv(struct sroce_wq *rq, const struct ib_recv_wr *wr)
{
	struct sroce_recv_wqe *wqe;

	if (wr->num_sge > rq->max_sge)
		return -EINVAL;
	if (rq->kprod - smp_load_acquire(&rq->hdr->consumer) > rq->mask)
		return -ENOMEM;
	wqe = sroce_wq_slot(rq, rq->kprod);
	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	memcpy(wqe + 1, wr->sg_list, wr->num_sge * sizeof(struct ib_sge));
	rq->kprod++;
	smp_store_release(&rq->hdr->producer, rq->kprod);
	return 0;
}

int sroce_post_recv_ring(struct sroce_wq *rq, const struct ib_recv_wr *wr,
			 const struct ib_recv_wr **bad_wr)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&rq->lock, flags);
	for (; wr; wr = wr->next) {
		err = sroce_post_one_recv(rq, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	return err;
}

int sroce_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	int err;

	if (qp->srq) {
		*bad_wr = wr;
		return -EINVAL;
	}
	/* A user QP posts receives without the kernel: nothing to do here. */
	if (qp->is_user)
		return 0;
	err = sroce_post_recv_ring(&qp->rq, wr, bad_wr);
	if (READ_ONCE(qp->state) == IB_QPS_ERR)
		sroce_qp_schedule(qp);
	return err;
}

/* ---- receive completions (used by the responder) ------------------- */

void sroce_complete_recv(struct sroce_qp *qp, struct sroce_rwqe *rwqe,
			 enum ib_wc_status status, enum ib_wc_opcode opcode,
			 u32 byte_len, u32 wc_flags, __be32 imm, u32 src_qp,
			 bool solicited, const struct sroce_pkt_info *pi)
{
	struct sroce_cqe cqe = {
		.wr_id = rwqe->wqe.wr_id,
		.status = status,
		.opcode = opcode,
		.byte_len = byte_len,
		.imm_data = imm,
		.qp_num = qp->ibqp.qp_num,
		.src_qp = src_qp,
		.wc_flags = wc_flags,
	};

	/*
	 * UD and GSI: the GRH area holds the IP header (sroce_resp_grh());
	 * ib_init_ah_attr_from_wc() reads its type from network_hdr_type and
	 * the VLAN of the GID it answers from from vlan_id.  pkey_index is
	 * 0, the only P_Key (sroce_rcv() checked it).
	 */
	if (pi && sroce_qp_is_ud(qp)) {
		cqe.network_hdr_type = pi->family == AF_INET ?
				       RDMA_NETWORK_IPV4 : RDMA_NETWORK_IPV6;
		cqe.wc_flags |= IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE;
		if (!qp->is_user && is_vlan_dev(qp->sdev->ndev)) {
			cqe.vlan_id = vlan_dev_vlan_id(qp->sdev->ndev);
			cqe.wc_flags |= IB_WC_WITH_VLAN;
		}
	}
	sroce_cq_post(qp->rcq, &cqe, &qp->ibqp, solicited);
}
