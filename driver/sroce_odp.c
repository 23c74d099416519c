// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: on-demand paged (ODP) memory regions.
 *
 * An ODP region is a secondary MMU for part of a process's address space.
 * Its translation table -- our "NIC page table" -- is the dma_list of an
 * ib_umem_odp: one entry per page of the region, holding the page's
 * kernel virtual address (sroce is registered without a DMA device, so
 * ib_core's virtual DMA maps a page to its linear-map address) and, in
 * the low bits, ODP_READ_ALLOWED_BIT and ODP_WRITE_ALLOWED_BIT.  Nothing
 * is pinned: entries are filled by page faults (hmm_range_fault, through
 * ib_umem_odp_map_dma_and_lock()) when the data path needs them, and
 * cleared by the MMU interval notifier when the CPU page tables change.
 *
 * THE PROTOCOL (Documentation/mm/hmm.rst).  Per table, one mutex, the
 * ib_umem_odp's umem_mutex, guards the entries and the sequence count of
 * the notifier:
 *  - fault: mmu_interval_read_begin(), hmm_range_fault() without the
 *    mutex, lock, mmu_interval_read_retry() (retry from the start if an
 *    invalidation ran meanwhile), install the entries -- all inside
 *    ib_umem_odp_map_dma_and_lock(), which returns with the mutex held;
 *  - access: with the mutex held, an entry with the needed bits names a
 *    page the CPU page tables map there right now, so the copy is done
 *    under the mutex, never after dropping it;
 *  - invalidate (sroce_odp_invalidate()): lock (trylock when the range is
 *    not blockable, and give up with false if that fails), set the
 *    sequence, clear the entries (or only their write bit, see
 *    sroce_odp_keeps_reads()), unlock.  When it returns, no copy uses a
 *    page of the range and none can start on it without a new fault.
 * Nothing is allocated with the mutex held: reclaim may invalidate, and
 * the invalidation takes the mutex.
 *
 * IMPLICIT REGIONS (start 0, length U64_MAX) cover the whole address
 * space.  The root ib_umem_odp has no table; children of
 * SROCE_ODP_CHILD_SIZE bytes, each an ib_umem_odp with its own notifier
 * and table, are created on the first access to their chunk and kept in
 * @children.  A child whose last page is invalidated (munmap) is
 * reclaimed by @reclaim_work.  @children_rwsem: accesses hold it for read
 * across lookup, fault and copy of a child; reclaim and release take it
 * for write to remove children, so a child is never freed under an
 * access.  Lock order: children_rwsem -> mmap lock (inside the fault) ->
 * umem_mutex.  The notifier takes only umem_mutex.
 *
 * Bytes are reached with the linear map, so this needs a kernel without
 * highmem (every 64-bit one).
 */

#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <rdma/ib_umem_odp.h>
#include <rdma/rdma_netlink.h>
#include <rdma/uverbs_ioctl.h>

#include "sroce.h"
#include "sroce_odp.h"

#if IS_ENABLED(CONFIG_HIGHMEM)
#error "sroce ODP reaches pages through the linear map: no highmem kernels"
#endif

/* Chunk of an implicit region: 16 MiB, 4096 entries, 64 KiB of table. */
#define SROCE_ODP_CHILD_SHIFT	24
#define SROCE_ODP_CHILD_SIZE	(1ULL << SROCE_ODP_CHILD_SHIFT)

/* Most bytes one fault call maps; most bytes copied per mutex hold. */
#define SROCE_ODP_FAULT_BYTES	(2ULL << 20)
#define SROCE_ODP_LOCK_BYTES	(256ULL << 10)

/*
 * Attempts of one fault that ib_umem_odp_map_dma_and_lock() gives up with
 * -EBUSY (see sroce_odp_umem_xfer()); each takes up to 1 s.
 */
#define SROCE_ODP_BUSY_TRIES	6

/* Children the reclaim and release walks free per pass. */
#define SROCE_ODP_BATCH		16

/*
 * struct sroce_odp - the ODP part of an MR (mr->odp).
 * @mr: the MR; immutable.
 * @umem: the region's table, or the root of an implicit region; immutable.
 * @implicit: covers the whole address space; immutable.
 * @va: user address of byte mr->iova (explicit regions); immutable.
 * @children, @children_rwsem, @reclaim_work: implicit regions; see the
 *   top of this file.
 * @stats: per-MR counters, SROCE_STAT_ODP_FAULTS.. in order; atomic, any
 *   context.
 */
struct sroce_odp {
	struct sroce_mr *mr;
	struct ib_umem_odp *umem;
	bool implicit;
	u64 va;

	struct xarray children;
	struct rw_semaphore children_rwsem;
	struct work_struct reclaim_work;

	atomic64_t stats[SROCE_ODP_NSTATS];
};

static void sroce_odp_count(struct sroce_odp *sodp, enum sroce_stat i, u64 n)
{
	if (!n)
		return;
	sroce_stat_add(sodp->mr->sdev, i, n);
	atomic64_add(n, &sodp->stats[i - SROCE_STAT_ODP_FAULTS]);
}

/* ---- invalidation ---- */

/*
 * Events after which the CPU page table entries of the range still map
 * the same pages, readable, and only lost write permission:
 *  - PROTECTION_PAGE: write-protection of single PTEs -- page_mkclean()
 *    before writeback, fork() making the parent's private pages
 *    copy-on-write, the dirty-tracking helpers;
 *  - SOFT_DIRTY: clear_refs resetting the soft-dirty bits, which
 *    write-protects the PTEs.
 * A page can only be replaced or unmapped later through another
 * invalidation (CLEAR for a COW break, UNMAP, MIGRATE, ...), which tears
 * the entry down before the page can be freed; so keeping the read
 * translation never lets the device read a page the process no longer
 * maps there.  Write permission is revoked (and the page marked dirty if
 * the device may have written it, as the unmap path does), so the next
 * device write faults for write -- breaking COW in the parent after
 * fork(), re-dirtying a cleaned file page.
 * PROTECTION_VMA (mprotect(), NUMA hinting) may take read permission away
 * too (PROT_NONE, protnone PTEs): it tears down like everything else.
 */
static bool sroce_odp_keeps_reads(enum mmu_notifier_event event)
{
	return event == MMU_NOTIFY_PROTECTION_PAGE ||
	       event == MMU_NOTIFY_SOFT_DIRTY;
}

static enum sroce_stat sroce_odp_event_stat(enum mmu_notifier_event event)
{
	switch (event) {
	case MMU_NOTIFY_UNMAP:
		return SROCE_STAT_ODP_INV_UNMAP;
	case MMU_NOTIFY_CLEAR:
		return SROCE_STAT_ODP_INV_CLEAR;
	case MMU_NOTIFY_PROTECTION_VMA:
		return SROCE_STAT_ODP_INV_PROTECTION_VMA;
	case MMU_NOTIFY_PROTECTION_PAGE:
		return SROCE_STAT_ODP_INV_PROTECTION_PAGE;
	case MMU_NOTIFY_SOFT_DIRTY:
		return SROCE_STAT_ODP_INV_SOFT_DIRTY;
	case MMU_NOTIFY_RELEASE:
		return SROCE_STAT_ODP_INV_RELEASE;
	case MMU_NOTIFY_MIGRATE:
		return SROCE_STAT_ODP_INV_MIGRATE;
	default:
		return SROCE_STAT_ODP_INV_OTHER;
	}
}

/* Clear the write bit of the entries in [start, end); umem_mutex held. */
static u64 sroce_odp_revoke_write(struct ib_umem_odp *odp, u64 start, u64 end)
{
	u64 page_size = BIT_ULL(odp->page_shift), addr, n = 0;
	unsigned long idx;
	struct page *page;
	dma_addr_t entry;

	lockdep_assert_held(&odp->umem_mutex);
	for (addr = ALIGN_DOWN(start, page_size); addr < end; addr += page_size) {
		idx = (addr - ib_umem_start(odp)) >> odp->page_shift;
		entry = odp->dma_list[idx];
		if (!(entry & ODP_WRITE_ALLOWED_BIT))
			continue;
		page = hmm_pfn_to_page(odp->pfn_list[(addr - ib_umem_start(odp)) >>
						     PAGE_SHIFT]);
		set_page_dirty(compound_head(page));
		odp->dma_list[idx] = entry & ~ODP_WRITE_ALLOWED_BIT;
		n++;
	}
	return n;
}

static bool sroce_odp_invalidate(struct mmu_interval_notifier *mni,
				 const struct mmu_notifier_range *range,
				 unsigned long cur_seq)
{
	struct ib_umem_odp *odp = container_of(mni, struct ib_umem_odp, notifier);
	struct sroce_odp *sodp;
	u64 start, end, before;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&odp->umem_mutex);
	else if (!mutex_trylock(&odp->umem_mutex))
		return false;	/* the caller (OOM reaper) comes back later */

	mmu_interval_set_seq(mni, cur_seq);

	/*
	 * NULL only between the notifier's insertion and the end of
	 * sroce_odp_init() or of the child's creation: nothing is mapped
	 * yet, so there is nothing to tear down.
	 */
	sodp = READ_ONCE(odp->private);
	if (!sodp)
		goto out;

	start = max_t(u64, ib_umem_start(odp), range->start);
	end = min_t(u64, ib_umem_end(odp), range->end);
	sroce_odp_count(sodp, sroce_odp_event_stat(range->event), 1);
	if (sroce_odp_keeps_reads(range->event)) {
		sroce_odp_count(sodp, SROCE_STAT_ODP_PAGES_WRITE_REVOKED,
				sroce_odp_revoke_write(odp, start, end));
	} else {
		before = odp->npages;
		ib_umem_odp_unmap_dma_pages(odp, start, end);
		sroce_odp_count(sodp, SROCE_STAT_ODP_PAGES_INVALIDATED,
				before - odp->npages);
	}
	if (sodp->implicit && !odp->npages)
		queue_work(sroce_wq, &sodp->reclaim_work);
out:
	mutex_unlock(&odp->umem_mutex);
	return true;
}

static const struct mmu_interval_notifier_ops sroce_odp_mni_ops = {
	.invalidate = sroce_odp_invalidate,
};

/* ---- faults and the walk over one table ---- */

/*
 * Translate [va, va + bcnt) with @need (ODP_*_ALLOWED_BIT), faulting the
 * pages in if @fault, else only what the CPU maps now.  Called without
 * umem_mutex; returns with it held and the number of pages walked, or a
 * negative errno without it.
 */
static int sroce_odp_map(struct sroce_odp *sodp, struct ib_umem_odp *odp,
			 u64 va, u64 bcnt, u64 need, bool fault)
{
	u64 before = READ_ONCE(odp->npages);
	int ret;

	ret = ib_umem_odp_map_dma_and_lock(odp, va, bcnt, need, fault);
	if (ret < 0) {
		/* -EBUSY is retried; the caller counts it if it gives up */
		if (fault && ret != -EBUSY)
			sroce_odp_count(sodp, SROCE_STAT_ODP_FAULT_FAILURES, 1);
		return ret;
	}
	if (fault)
		sroce_odp_count(sodp, SROCE_STAT_ODP_FAULTS, 1);
	if (odp->npages > before)
		sroce_odp_count(sodp, SROCE_STAT_ODP_PAGES_MAPPED,
				odp->npages - before);
	return ret;
}

/*
 * Walk the translated prefix of [va, va + len): every page up to the
 * first one whose entry lacks @need.  COPY moves the bytes; the other
 * modes only look.  umem_mutex held.  Returns the bytes walked; *err is
 * set if a copy failed.
 */
static u64 sroce_odp_walk(struct ib_umem_odp *odp, u64 va, u64 len, u64 need,
			  struct sroce_xfer *x, int *err)
{
	u64 page_mask = BIT_ULL(odp->page_shift) - 1, done = 0, off, n;
	dma_addr_t entry;
	void *kaddr;

	lockdep_assert_held(&odp->umem_mutex);
	while (done < len) {
		entry = odp->dma_list[(va + done - ib_umem_start(odp)) >>
				      odp->page_shift];
		if ((entry & need) != need)
			break;
		off = (va + done) & page_mask;
		n = min(len - done, page_mask + 1 - off);
		if (x->mode == SROCE_XFER_COPY) {
			kaddr = (void *)(uintptr_t)(entry & ODP_DMA_ADDR_MASK);
			*err = sroce_xfer_bytes(x, kaddr + off, n);
			if (*err)
				break;
		}
		done += n;
	}
	return done;
}

/*
 * One walk (see enum sroce_xfer_mode) over [va, va + len), which lies in
 * the table of @odp.  Process context.
 */
static int sroce_odp_umem_xfer(struct sroce_odp *sodp, struct ib_umem_odp *odp,
			       u64 va, u64 len, struct sroce_xfer *x)
{
	u64 need = ODP_READ_ALLOWED_BIT, n, fault_bytes = SROCE_ODP_FAULT_BYTES;
	int err = 0, ret, busy = 0;

	if (x->dir == SROCE_TO_MR)
		need |= ODP_WRITE_ALLOWED_BIT;

	mutex_lock(&odp->umem_mutex);
	while (len) {
		n = sroce_odp_walk(odp, va, min(len, SROCE_ODP_LOCK_BYTES),
				   need, x, &err);
		if (err)
			break;
		va += n;
		len -= n;
		if (!len)
			break;
		if (n) {
			/* a long copy: let invalidations in between */
			mutex_unlock(&odp->umem_mutex);
			cond_resched();
			mutex_lock(&odp->umem_mutex);
			continue;
		}

		/* The page at va lacks a translation with @need. */
		if (x->mode == SROCE_XFER_CHECK) {
			err = -EAGAIN;
			break;
		}
		n = min(len, fault_bytes);
		mutex_unlock(&odp->umem_mutex);
		ret = sroce_odp_map(sodp, odp, va, n, need,
				    x->mode != SROCE_XFER_SNAPSHOT);
		if (ret == -EBUSY && ++busy < SROCE_ODP_BUSY_TRIES) {
			/*
			 * Not a bad address: invalidations anywhere in this
			 * table's interval (the whole MR, or the 16 MiB child)
			 * kept racing with the fault for the 1 s that
			 * ib_umem_odp_map_dma_and_lock() retries
			 * (HMM_RANGE_DEFAULT_TIMEOUT), e.g. reclaim or
			 * migration of other pages of the MR.  That is no
			 * reason to fail the access: try again, with a quarter
			 * of the range (done sooner), down to one page.
			 */
			fault_bytes = max(fault_bytes >> 2, BIT_ULL(odp->page_shift));
			mutex_lock(&odp->umem_mutex);
			continue;
		}
		if (ret < 0) {
			if (ret == -EBUSY && x->mode != SROCE_XFER_SNAPSHOT)
				sroce_odp_count(sodp, SROCE_STAT_ODP_FAULT_FAILURES, 1);
			return -EFAULT;
		}
		/*
		 * Locked again.  A fault translated at least the page at va
		 * (the next walk makes progress); a snapshot translated what
		 * was there, and the rest stays untranslated: move past it.
		 */
		if (x->mode == SROCE_XFER_SNAPSHOT) {
			va += n;
			len -= n;
		}
	}
	mutex_unlock(&odp->umem_mutex);
	return err;
}

/* ---- implicit regions: children ---- */

/* The child covering @va, created if needed; children_rwsem held (read). */
static struct ib_umem_odp *sroce_odp_child(struct sroce_odp *sodp, u64 va)
{
	unsigned long idx = va >> SROCE_ODP_CHILD_SHIFT;
	struct ib_umem_odp *child, *old;

	lockdep_assert_held(&sodp->children_rwsem);
	child = xa_load(&sodp->children, idx);
	if (child)
		return child;

	child = ib_umem_odp_alloc_child(sodp->umem, (u64)idx << SROCE_ODP_CHILD_SHIFT,
					SROCE_ODP_CHILD_SIZE, &sroce_odp_mni_ops);
	if (IS_ERR(child))
		return child;
	WRITE_ONCE(child->private, sodp);

	/* Another access may have created it meanwhile (we hold read). */
	old = xa_cmpxchg(&sodp->children, idx, NULL, child, GFP_KERNEL);
	if (old) {
		ib_umem_odp_release(child);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
	}
	return child;
}

/*
 * Free children that have no translation left; all of them if @all
 * (deregistration).  Takes children_rwsem for write, releases the
 * children (which waits for their notifiers) after dropping it.
 */
static void sroce_odp_free_children(struct sroce_odp *sodp, bool all)
{
	struct ib_umem_odp *batch[SROCE_ODP_BATCH], *child;
	unsigned long idx;
	unsigned int n, i;
	bool empty;

	do {
		n = 0;
		down_write(&sodp->children_rwsem);
		xa_for_each(&sodp->children, idx, child) {
			if (!all) {
				mutex_lock(&child->umem_mutex);
				empty = !child->npages;
				mutex_unlock(&child->umem_mutex);
				if (!empty)
					continue;
			}
			xa_erase(&sodp->children, idx);
			batch[n++] = child;
			if (n == SROCE_ODP_BATCH)
				break;
		}
		up_write(&sodp->children_rwsem);
		for (i = 0; i < n; i++)
			ib_umem_odp_release(batch[i]);
		cond_resched();
	} while (n == SROCE_ODP_BATCH);
}

static void sroce_odp_reclaim_work(struct work_struct *work)
{
	sroce_odp_free_children(container_of(work, struct sroce_odp,
					     reclaim_work), false);
}

static int sroce_odp_implicit_xfer(struct sroce_odp *sodp, u64 va, u64 len,
				   struct sroce_xfer *x)
{
	struct ib_umem_odp *child;
	bool reclaim = false;
	int err = 0;
	u64 n;

	down_read(&sodp->children_rwsem);
	while (len) {
		n = min(len, SROCE_ODP_CHILD_SIZE - (va & (SROCE_ODP_CHILD_SIZE - 1)));
		child = sroce_odp_child(sodp, va);
		if (IS_ERR(child)) {
			err = PTR_ERR(child) == -ENOMEM ? -ENOMEM : -EFAULT;
			break;
		}
		err = sroce_odp_umem_xfer(sodp, child, va, n, x);
		if (err) {
			/* a failed fault may leave a new child empty */
			reclaim = err != -EAGAIN && !READ_ONCE(child->npages);
			break;
		}
		va += n;
		len -= n;
	}
	up_read(&sodp->children_rwsem);
	if (reclaim)
		queue_work(sroce_wq, &sodp->reclaim_work);
	return err;
}

/* ---- the MR implementation ---- */

static int sroce_odp_copy(struct sroce_mr *mr, u64 iova, u64 len,
			  struct sroce_xfer *x)
{
	struct sroce_odp *sodp = mr->odp;

	if (sodp->implicit)
		return sroce_odp_implicit_xfer(sodp, iova, len, x);
	return sroce_odp_umem_xfer(sodp, sodp->umem,
				   sodp->va + (iova - mr->iova), len, x);
}

static int sroce_odp_atomic_umem(struct sroce_odp *sodp,
				 struct ib_umem_odp *odp, u64 va,
				 enum sroce_atomic_op op, u64 compare_add,
				 u64 swap, u64 *orig)
{
	const u64 need = ODP_READ_ALLOWED_BIT | ODP_WRITE_ALLOWED_BIT;
	dma_addr_t entry;
	void *kaddr;
	int err, i;

	mutex_lock(&odp->umem_mutex);
	entry = odp->dma_list[(va - ib_umem_start(odp)) >> odp->page_shift];
	if ((entry & need) != need) {
		mutex_unlock(&odp->umem_mutex);
		/* -EBUSY is no bad address: see sroce_odp_umem_xfer() */
		for (i = 0; i < SROCE_ODP_BUSY_TRIES; i++) {
			err = sroce_odp_map(sodp, odp, va, 8, need, true);
			if (err != -EBUSY)
				break;
		}
		if (err == -EBUSY)
			sroce_odp_count(sodp, SROCE_STAT_ODP_FAULT_FAILURES, 1);
		if (err < 0)
			return -EFAULT;
		/* locked, and the entry is translated for write */
		entry = odp->dma_list[(va - ib_umem_start(odp)) >> odp->page_shift];
	}
	kaddr = (void *)(uintptr_t)(entry & ODP_DMA_ADDR_MASK);
	err = sroce_atomic_kaddr(kaddr + (va & (BIT_ULL(odp->page_shift) - 1)),
				 op, compare_add, swap, orig);
	mutex_unlock(&odp->umem_mutex);
	return err;
}

static int sroce_odp_atomic(struct sroce_mr *mr, u64 iova,
			    enum sroce_atomic_op op, u64 compare_add,
			    u64 swap, u64 *orig)
{
	struct sroce_odp *sodp = mr->odp;
	struct ib_umem_odp *child;
	int err;

	if (!sodp->implicit)
		return sroce_odp_atomic_umem(sodp, sodp->umem,
					     sodp->va + (iova - mr->iova), op,
					     compare_add, swap, orig);

	down_read(&sodp->children_rwsem);
	child = sroce_odp_child(sodp, iova);
	if (IS_ERR(child))
		err = -EFAULT;
	else
		err = sroce_odp_atomic_umem(sodp, child, iova, op, compare_add,
					    swap, orig);
	up_read(&sodp->children_rwsem);
	return err;
}

/* After the last reference; process context. */
static void sroce_odp_release(struct sroce_mr *mr)
{
	struct sroce_odp *sodp = mr->odp;

	if (sodp->implicit) {
		sroce_odp_free_children(sodp, true);
		/* no notifier is left to queue it again */
		cancel_work_sync(&sodp->reclaim_work);
		xa_destroy(&sodp->children);
	}
	ib_umem_odp_release(sodp->umem);
	kfree(sodp);
	mr->odp = NULL;
}

const struct sroce_mr_ops sroce_odp_ops = {
	.name = "odp",
	.copy = sroce_odp_copy,
	.atomic = sroce_odp_atomic,
	.release = sroce_odp_release,
};

/**
 * sroce_odp_init - make @mr an on-demand paged region of the current process
 * @mr: allocated, not yet published, with its access flags set
 * @start: user address of the first byte; with @length U64_MAX and @start
 *         and @iova 0, the whole address space (implicit ODP)
 * @length: bytes
 * @iova: address of the first byte for the device
 *
 * Nothing is pinned and nothing is faulted in.  Undo with
 * sroce_odp_ops.release() until the MR is published.
 * Return: 0 or a negative errno.
 */
int sroce_odp_init(struct sroce_mr *mr, u64 start, u64 length, u64 iova)
{
	struct ib_device *ibdev = &mr->sdev->ibdev;
	struct sroce_odp *sodp;
	struct ib_umem_odp *odp;
	int i;

	sodp = kzalloc(sizeof(*sodp), GFP_KERNEL);
	if (!sodp)
		return -ENOMEM;
	sodp->mr = mr;
	for (i = 0; i < SROCE_ODP_NSTATS; i++)
		atomic64_set(&sodp->stats[i], 0);

	if (!start && length == U64_MAX) {
		if (iova)
			goto err_inval;
		odp = ib_umem_odp_alloc_implicit(ibdev, mr->access);
		sodp->implicit = true;
		xa_init(&sodp->children);
		init_rwsem(&sodp->children_rwsem);
		INIT_WORK(&sodp->reclaim_work, sroce_odp_reclaim_work);
	} else {
		odp = ib_umem_odp_get(ibdev, start, length, mr->access,
				      &sroce_odp_mni_ops);
	}
	if (IS_ERR(odp)) {
		kfree(sodp);
		return PTR_ERR(odp);
	}
	sodp->umem = odp;
	sodp->va = start;
	mr->odp = sodp;
	mr->iova = iova;
	mr->length = length;
	/* Lets the notifier account and tear down from now on. */
	WRITE_ONCE(odp->private, sodp);
	return 0;

err_inval:
	kfree(sodp);
	return -EINVAL;
}

/* The user range of an explicit region (for a rereg that keeps it). */
void sroce_odp_user_range(struct sroce_mr *mr, u64 *start, u64 *length)
{
	*start = mr->odp->implicit ? 0 : mr->odp->va;
	*length = mr->length;
}

/* Pages translated right now (for "rdma resource show mr"). */
u64 sroce_odp_resident_pages(struct sroce_mr *mr)
{
	struct sroce_odp *sodp = mr->odp;
	struct ib_umem_odp *child;
	unsigned long idx;
	u64 n = 0;

	if (!sodp->implicit)
		return READ_ONCE(sodp->umem->npages);
	down_read(&sodp->children_rwsem);
	xa_for_each(&sodp->children, idx, child)
		n += READ_ONCE(child->npages);
	up_read(&sodp->children_rwsem);
	return n;
}

/* What sroce advertises: exactly what the engines fault for. */
void sroce_odp_query_device(struct ib_device_attr *attr)
{
	attr->kernel_cap_flags |= IBK_ON_DEMAND_PAGING;
	attr->odp_caps.general_caps = IB_ODP_SUPPORT | IB_ODP_SUPPORT_IMPLICIT;
	attr->odp_caps.per_transport_caps.rc_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
		IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
		IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV;
	attr->odp_caps.per_transport_caps.ud_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
		IB_ODP_SUPPORT_SRQ_RECV;
}

/* ---- prefetch (advise_mr) ---- */

struct sroce_prefetch_ent {
	struct sroce_mr *mr;	/* referenced */
	u64 iova;
	u32 len;
};

struct sroce_prefetch_work {
	struct work_struct work;
	enum sroce_copy_dir dir;
	enum sroce_xfer_mode mode;
	u32 num;
	struct sroce_prefetch_ent ent[];
};

static int sroce_prefetch_one(struct sroce_prefetch_ent *e,
			      enum sroce_copy_dir dir,
			      enum sroce_xfer_mode mode)
{
	sroce_odp_count(e->mr->odp, SROCE_STAT_ODP_PREFETCHES, 1);
	return sroce_mr_prepare(e->mr, e->iova, e->len, dir, mode);
}

static void sroce_prefetch_work_fn(struct work_struct *work)
{
	struct sroce_prefetch_work *pw =
		container_of(work, struct sroce_prefetch_work, work);
	u32 i;

	/* Asynchronous: nobody waits for the result (as on mlx5). */
	for (i = 0; i < pw->num; i++) {
		sroce_prefetch_one(&pw->ent[i], pw->dir, pw->mode);
		sroce_mr_put(pw->ent[i].mr);
	}
	kfree(pw);
}

/**
 * sroce_advise_mr - ibv_advise_mr(): prefetch ranges of ODP regions
 *
 * Every SGE must name an ODP MR of @ibpd (PREFETCH_WRITE: one with local
 * write) and lie inside it, else -ENOENT or -EINVAL and nothing is done.
 * With IB_UVERBS_ADVISE_MR_FLAG_FLUSH the pages are faulted in (or, for
 * PREFETCH_NO_FAULT, what the CPU maps is translated) before returning,
 * and a fault that fails is returned (-EFAULT); without it the work is
 * queued and 0 returned.  The queued work holds references on the MRs,
 * so a dereg waits for it.
 */
int sroce_advise_mr(struct ib_pd *ibpd,
		    enum ib_uverbs_advise_mr_advice advice, u32 flags,
		    struct ib_sge *sg_list, u32 num_sge,
		    struct uverbs_attr_bundle *attrs)
{
	struct sroce_dev *sdev = to_sdev(ibpd->device);
	struct sroce_pd *pd = to_spd(ibpd);
	struct sroce_prefetch_work *pw;
	enum sroce_xfer_mode mode;
	enum sroce_copy_dir dir;
	int access, err = 0;
	struct sroce_mr *mr;
	u32 i, n = 0;

	switch (advice) {
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH:
		dir = SROCE_FROM_MR;
		mode = SROCE_XFER_FAULT;
		access = 0;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		dir = SROCE_TO_MR;
		mode = SROCE_XFER_FAULT;
		access = IB_ACCESS_LOCAL_WRITE;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		dir = SROCE_FROM_MR;
		mode = SROCE_XFER_SNAPSHOT;
		access = 0;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EOPNOTSUPP;
	if (!num_sge)
		return 0;

	pw = kzalloc(struct_size(pw, ent, num_sge), GFP_KERNEL);
	if (!pw)
		return -ENOMEM;
	pw->dir = dir;
	pw->mode = mode;

	/* Check every SGE before doing anything. */
	for (n = 0; n < num_sge; n++) {
		mr = sroce_mr_get(sdev, sg_list[n].lkey);
		if (!mr) {
			err = -ENOENT;
			break;
		}
		pw->ent[n].mr = mr;
		pw->ent[n].iova = sg_list[n].addr;
		pw->ent[n].len = sg_list[n].length;
		if (!mr->odp) {
			err = -ENOENT;
			n++;
			break;
		}
		err = sroce_mr_check(mr, pd, sg_list[n].addr,
				     sg_list[n].length, access);
		if (err) {
			err = err == -ERANGE ? -EINVAL : -ENOENT;
			n++;
			break;
		}
	}
	if (err)
		goto out_put;

	if (!(flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH)) {
		pw->num = num_sge;
		INIT_WORK(&pw->work, sroce_prefetch_work_fn);
		queue_work(sroce_wq, &pw->work);
		return 0;
	}

	for (i = 0; i < num_sge; i++) {
		err = sroce_prefetch_one(&pw->ent[i], dir, mode);
		if (err)
			break;
	}
out_put:
	for (i = 0; i < n; i++)
		sroce_mr_put(pw->ent[i].mr);
	kfree(pw);
	return err;
}

/* Per-MR ODP counters for "rdma statistic mr". */
int sroce_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
#define SROCE_ODP_STAT_NAME(e, name)	name,
	static const char * const names[] = {
		SROCE_ODP_STATS(SROCE_ODP_STAT_NAME)
	};
#undef SROCE_ODP_STAT_NAME
	struct sroce_odp *sodp = to_smr(ibmr)->odp;
	struct nlattr *table;
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(names) != SROCE_ODP_NSTATS);
	if (!sodp)
		return 0;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < SROCE_ODP_NSTATS; i++) {
		if (rdma_nl_stat_hwcounter_entry(msg, names[i],
						 atomic64_read(&sodp->stats[i]))) {
			nla_nest_cancel(msg, table);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, table);
	return 0;
}
