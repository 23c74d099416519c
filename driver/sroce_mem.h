/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: memory regions and the memory seam.
 *
 * THE SEAM.  Every engine of the data path (requester, responder,
 * completer, receive) reaches the bytes of a memory region only through
 * the functions declared here:
 *
 *	sroce_mr_get()		key -> referenced MR (any context)
 *	sroce_mr_put()		drop that reference (any context)
 *	sroce_mr_check()	PD, state, bounds and access of one access
 *	sroce_mr_copy()		copy between a kernel buffer and an iova range
 *	sroce_mr_copy_skb()	the same with an skb as the other side
 *	sroce_mr_atomic()	8-byte compare-and-swap / fetch-and-add
 *	sroce_sge_copy()	the above over a list of local SGEs (lkeys)
 *	sroce_mr_prepare()	is a range resident? fault it in, or map what
 *	sroce_sge_prepare()	the CPU has mapped (ODP); no-ops when pinned
 *
 * How an MR finds its bytes is private to its implementation (struct
 * sroce_mr_ops): pinned user memory (an ib_umem turned into a page array)
 * the kernel DMA MR (kernel virtual addresses), and on-demand paged
 * regions (sroce_odp.c), with their faulting, retry and translation-table
 * lock behind the same calls.  Engines never look at pages, umems or the
 * ops vector.
 *
 * Contexts.  get/put/check never sleep and may be called from any context.
 * copy, copy_skb, atomic, sge_copy and the prepare calls may sleep (an ODP
 * region faults there): call them from process context only (the
 * engines' work items).
 *
 * KEYS.  lkey == rkey == index << 8 | key byte.  The index (1 ..
 * SROCE_MAX_MR) comes from a per-device xarray, allocated cyclically; the
 * key byte of an index is incremented each time the index is handed out
 * again, so the key of a deregistered MR does not match the MR that next
 * gets its index (only 256 reuses of the same index bring a key byte
 * back).  Key 0 is never valid.
 *
 * LIFETIME.  An MR holds one reference for its registration; every
 * successful sroce_mr_get() adds one.  Registration publishes the MR in
 * the xarray only once it is fully initialised.  Deregistration
 *   1. marks it invalid (sroce_mr_check() fails from now on),
 *   2. removes it from the xarray (no new lookup can find it),
 *   3. drops the registration reference and WAITS until every other
 *      reference is gone,
 *   4. then releases the memory behind it (unpins the pages) in its own
 *      process context, and frees the MR after an RCU grace period.
 * So "dereg while in use" is safe: an engine holding a reference may
 * finish its copy, and once dereg returns nothing touches the region any
 * more, which is what the verbs promise the application (and what ODP
 * needs: the application may unmap the memory right after).  The price
 * is the rule for engines: hold an MR reference only across one bounded
 * operation (one packet, one SGE list copy, one atomic), never while
 * waiting for another verb, a peer or a timer.
 *
 * FAST REGISTRATION (kernel consumers only).  An MR from alloc_mr
 * (IB_MR_TYPE_MEM_REG) is published at once but starts FREE: lookups find
 * it and every check fails.  Its key byte, translation, iova, length and
 * access change only by work requests: REG_MR (FREE -> VALID, with the
 * key the consumer chose through ib_update_fast_reg_key()), LOCAL_INV or
 * a received SEND_WITH_INV (VALID -> FREE).  The index never changes.
 * See struct sroce_frmr for the ordering against concurrent lookups.
 *
 * LOCKING.  See struct sroce_mr_table, struct sroce_mr, struct sroce_frmr.
 */
#ifndef SROCE_MEM_H
#define SROCE_MEM_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

struct ib_umem;
struct sroce_dev;
struct sroce_pd;
struct sroce_mr;
struct sroce_odp;

#define SROCE_MR_KEY_SHIFT	8
#define SROCE_MR_KEY_MASK	0xff

/*
 * struct sroce_mr_table - the memory regions of one device.
 *
 * @xa maps an index to its published MR.  Writers (registration, dereg)
 * run in process context and use the xarray's own lock; lookups use RCU
 * only.  An index is reserved (a NULL entry, invisible to lookups) while
 * its MR is being built, then the MR is stored.
 * @next is the cyclic allocation cursor, used under the xarray lock by
 * xa_alloc_cyclic().
 * @key_gen[i] is the key byte last handed out with index i.  Only the
 * holder of the reservation of index i reads or writes it.
 * @count is the number of MRs that exist (published or being torn down).
 */
struct sroce_mr_table {
	struct xarray xa;
	u32 next;
	u8 *key_gen;
	atomic_t count;
};

enum sroce_mr_state {
	SROCE_MR_VALID,
	SROCE_MR_INVALID,	/* deregistration has started */
	SROCE_MR_FREE,		/* fast-reg MR: not registered (yet, again) */
};

enum sroce_copy_dir {
	SROCE_TO_MR,		/* write the region (receive, RDMA WRITE target) */
	SROCE_FROM_MR,		/* read the region (send, RDMA READ source) */
};

/*
 * What a walk over a range does.  Only on-demand paged regions act on
 * anything but SROCE_XFER_COPY; for the others every range is resident.
 */
enum sroce_xfer_mode {
	SROCE_XFER_COPY,	/* move the bytes, faulting pages in as needed */
	SROCE_XFER_CHECK,	/* -EAGAIN unless resident with the access */
	SROCE_XFER_FAULT,	/* fault in, move nothing (prefetch) */
	SROCE_XFER_SNAPSHOT,	/* map what the CPU has mapped, no faults */
};

enum sroce_atomic_op {
	SROCE_ATOMIC_CMP_SWP,	/* if (*p == compare) *p = swap */
	SROCE_ATOMIC_FETCH_ADD,	/* *p += add */
};

/*
 * The other side of a copy: a kernel buffer or bytes of an skb.  Private
 * to sroce_mr.c and the MR implementations; engines use the wrappers.
 */
struct sroce_xfer {
	enum sroce_copy_dir dir;
	enum sroce_xfer_mode mode;
	void *buf;		/* when skb is NULL */
	struct sk_buff *skb;
	u32 skb_off;		/* next byte of skb */
};

/*
 * Implementation of one kind of MR.  Called with a reference held and the
 * range already checked against the MR's bounds.
 * @name: shown as "type" by "rdma -dd resource show mr".
 * @copy: walk @len bytes at @iova in @x->mode: move them to or from @x,
 *        or (ODP) check, fault or map them; may sleep.
 * @atomic: 8-byte aligned atomic at @iova; returns the original value.
 * @release: give back the memory behind the MR, after the last reference
 *           is gone; process context.
 */
struct sroce_mr_ops {
	const char *name;
	int (*copy)(struct sroce_mr *mr, u64 iova, u64 len,
		    struct sroce_xfer *x);
	int (*atomic)(struct sroce_mr *mr, u64 iova, enum sroce_atomic_op op,
		      u64 compare_add, u64 swap, u64 *orig);
	void (*release)(struct sroce_mr *mr);
};

/*
 * struct sroce_frmr - the mutable part of a fast-registration MR.
 *
 * @lock (a mutex: REG_MR and LOCAL_INV run in the engines' work items,
 * dereg in the consumer's process context) serialises the writers: REG_MR,
 * invalidation (LOCAL_INV, SEND_WITH_INV) and nothing else.  It is never
 * taken on the data path.
 *
 * The MR's @key, @iova, @length, @access and @pages/@npages/@page_shift/
 * @fbo here are written only under @lock while the MR is FREE, and no
 * engine uses them then; the data path reads them without a lock:
 *  - sroce_mr_get() on a fast-reg MR takes its reference, then (after a
 *    full barrier) reads @state with acquire and compares the key again:
 *    a reference is handed out only for a VALID MR with that key.
 *  - REG_MR writes everything, then sets VALID with release (cmpxchg from
 *    FREE, so a concurrent dereg's INVALID wins): whoever sees VALID sees
 *    the new translation and key.
 *  - invalidation sets FREE (cmpxchg from VALID), issues a full barrier,
 *    and WAITS until every reference but its own and the registration's
 *    is gone (wait_var_event on @ref; sroce_mr_put() wakes it).  A lookup
 *    racing with it either sees FREE and fails, or its reference is
 *    waited for.  So once LOCAL_INV completes (or the receive WC of a
 *    SEND_WITH_INV is written) nothing touches the old pages any more,
 *    and REG_MR never changes a translation somebody is using.
 * The waits are bounded: engines hold references only across one copy.
 *
 * @map/@map_n is the page list map_mr_sg() builds; it belongs to the
 * consumer (ib_map_mr_sg() context, no lock) until REG_MR copies it to
 * @pages.  The consumer must not map again before that REG_MR completes
 * (as with every device).  @max_pages bounds both arrays.
 */
struct sroce_frmr {
	struct mutex lock;
	u32 max_pages;
	u64 *map;		/* staged: page addresses (kernel virtual) */
	u32 map_n;
	u64 *pages;		/* active translation */
	u32 npages;
	u32 page_shift;		/* of the consumer's page size */
	u32 fbo;		/* offset of the first byte in pages[0] */
};

/*
 * struct sroce_mr - a memory region.
 *
 * Immutable once published: @sdev, @ops, @frmr, @key, @iova, @length and
 * the implementation's fields, except for fast-reg MRs (@frmr set): their
 * @key, @iova, @length, @access and translation change by work requests,
 * see struct sroce_frmr.  @pd and @access change only by an in-place
 * rereg, which ib_core serialises against dereg; they are written with
 * WRITE_ONCE() and read with READ_ONCE(), so a concurrent check sees the
 * old or the new value.  @pd is only ever compared, never dereferenced:
 * after a rereg the old PD may be gone.
 * @state goes VALID -> INVALID once, at the start of deregistration; a
 * fast-reg MR starts FREE and goes FREE <-> VALID any number of times
 * before that.
 * @ref and @released: see LIFETIME above.
 */
struct sroce_mr {
	struct ib_mr ibmr;
	struct sroce_dev *sdev;
	const struct sroce_mr_ops *ops;
	refcount_t ref;
	struct completion released;
	struct rcu_head rcu;

	u32 key;
	enum sroce_mr_state state;
	struct sroce_pd *pd;
	int access;		/* IB_ACCESS_* */
	u64 iova;		/* first byte */
	u64 length;

	/* page-array regions (pinned user memory, kernel pages) */
	struct ib_umem *umem;	/* owns the pins; NULL for kernel pages */
	struct page **pages;
	unsigned long npages;
	unsigned int page_off;	/* offset of @iova in pages[0] */

	/* on-demand paged regions (sroce_odp.c); NULL otherwise */
	struct sroce_odp *odp;

	/* fast-registration MRs (kernel consumers); NULL otherwise */
	struct sroce_frmr *frmr;
};

static inline struct sroce_mr *to_smr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct sroce_mr, ibmr);
}

/* The seam; see the top of this file. */
struct sroce_mr *sroce_mr_get(struct sroce_dev *sdev, u32 key);
void sroce_mr_put(struct sroce_mr *mr);
int sroce_mr_check(struct sroce_mr *mr, struct sroce_pd *pd, u64 iova, u64 len,
		   int access);
int sroce_mr_copy(struct sroce_mr *mr, u64 iova, void *buf, u64 len,
		  enum sroce_copy_dir dir);
int sroce_mr_copy_skb(struct sroce_mr *mr, u64 iova, struct sk_buff *skb,
		      u32 skb_off, u64 len, enum sroce_copy_dir dir);
int sroce_mr_atomic(struct sroce_mr *mr, u64 iova, enum sroce_atomic_op op,
		    u64 compare_add, u64 swap, u64 *orig);
int sroce_sge_copy(struct sroce_dev *sdev, struct sroce_pd *pd,
		   const struct ib_sge *sgl, u32 num_sge, u64 offset,
		   void *buf, u64 len, enum sroce_copy_dir dir);
int sroce_sge_copy_skb(struct sroce_dev *sdev, struct sroce_pd *pd,
		       const struct ib_sge *sgl, u32 num_sge, u64 offset,
		       struct sk_buff *skb, u32 skb_off, u64 len,
		       enum sroce_copy_dir dir);
enum ib_wc_status sroce_sge_wc_status(int err);
int sroce_mr_prepare(struct sroce_mr *mr, u64 iova, u64 len,
		     enum sroce_copy_dir dir, enum sroce_xfer_mode mode);
int sroce_sge_prepare(struct sroce_dev *sdev, struct sroce_pd *pd,
		      const struct ib_sge *sgl, u32 num_sge, u64 offset,
		      u64 len, enum sroce_copy_dir dir,
		      enum sroce_xfer_mode mode);

/* For the implementations (sroce_mr.c, sroce_odp.c). */
int sroce_xfer_bytes(struct sroce_xfer *x, void *kaddr, unsigned int n);
int sroce_atomic_kaddr(void *kaddr, enum sroce_atomic_op op,
		       u64 compare_add, u64 swap, u64 *orig);

/* Device setup and teardown of the MR table (sroce_mr.c). */
int sroce_mr_table_init(struct sroce_mr_table *tbl);
void sroce_mr_table_destroy(struct sroce_mr_table *tbl);

/*
 * Fast registration, executed by the engines (sroce_mr.c): REG_MR and
 * invalidation (LOCAL_INV, SEND_WITH_INV) of the fast-reg MR @key names,
 * for a QP of @pd.  Process context; invalidation waits for the MR's
 * users (see struct sroce_frmr).  Return: 0, -ENOENT (no such MR, or
 * deregistration started), -EPERM (another PD), -EACCES (@key does not
 * match, or not a fast-reg MR), -EBUSY (REG_MR of a VALID MR), -EINVAL
 * (bad access flags, page size, or a length the mapped pages do not
 * cover).  sroce_frmr_wc_status() turns them into completion statuses.
 */
int sroce_frmr_register(struct sroce_dev *sdev, struct sroce_pd *pd, u32 key,
			int access);
int sroce_frmr_invalidate(struct sroce_dev *sdev, struct sroce_pd *pd,
			  u32 key);
enum ib_wc_status sroce_frmr_wc_status(int err);

/*
 * IB_WR_REG_MR in a kernel QP's send WQE: these fields overlay
 * sroce_send_wqe.wr (kernel rings are never mapped to user space).  The
 * MR is found again by the index of @key when the WQE executes, so no
 * pointer travels through the ring.
 */
struct sroce_reg_wqe {
	u32 key;
	u32 access;
};

struct sroce_send_wqe;
bool sroce_reg_wqe_set(struct sroce_send_wqe *wqe, const struct ib_reg_wr *reg,
		       struct ib_device *ibdev);

/* Kernel-page regions, for the self-test (sroce_mr.c). */
struct sroce_mr *sroce_mr_create_pages(struct sroce_pd *pd,
				       struct page **pages,
				       unsigned long npages,
				       unsigned int page_off, u64 iova,
				       u64 length, int access);

#endif /* SROCE_MEM_H */
