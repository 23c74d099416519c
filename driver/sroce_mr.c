// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: memory region verbs (reg_user_mr, rereg_user_mr, get_dma_mr,
 * alloc_mr, map_mr_sg, dereg_mr), key management, fast registration and
 * the memory seam the engines use.  The rules (keys, lifetime, contexts,
 * fast registration) are in sroce_mem.h.
 *
 * Four implementations exist:
 *  - page arrays: pinned user memory (the pages of an ib_umem) or kernel
 *    pages; bytes are reached with kmap_local_page(), so a copy needs
 *    neither the registering process nor its mm;
 *  - the kernel DMA MR: the device is registered without a DMA device,
 *    so ib_core hands kernel users kernel virtual addresses as DMA
 *    addresses; the MR spans the whole address space and translates each
 *    page of the linear map or of vmalloc space to its struct page;
 *  - fast-registration MRs of kernel consumers: a page list of kernel
 *    virtual addresses (the "DMA addresses" of a device without a DMA
 *    device) in blocks of the consumer's page size, set by REG_MR;
 *  - on-demand paged user memory, in sroce_odp.c.
 */

#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>
#include <rdma/ib_umem.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>
#include <rdma/uverbs_ioctl.h>

#include "sroce.h"
#include "sroce-abi.h"
#include "sroce_odp.h"

/* Access bits sroce_mr_check() understands. */
#define SROCE_MR_CHECK_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ | \
				 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)

/*
 * Access bits an MR may be registered with.  MW_BIND only permits binding
 * memory windows (which sroce refuses to create), ZERO_BASED is a hint
 * sroce has no use for, HUGETLB makes an ODP region use the huge page
 * size (a hint for pinned memory), the optional range (relaxed ordering,
 * ...) may always be ignored.  ON_DEMAND only for user memory.
 */
#define SROCE_MR_ACCESS		(SROCE_MR_CHECK_ACCESS | IB_ACCESS_MW_BIND | \
				 IB_ZERO_BASED | IB_ACCESS_HUGETLB | \
				 IB_ACCESS_ON_DEMAND | IB_ACCESS_OPTIONAL)

/*
 * The rules of ib_check_mr_access(), with sroce's answers: remote write or
 * atomic need local write (-EINVAL), unknown bits are invalid (-EINVAL),
 * known but unimplemented ones are -EOPNOTSUPP.
 */
static int sroce_mr_check_access_flags(int access)
{
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	if (access & ~IB_ACCESS_SUPPORTED)
		return -EINVAL;
	if (access & ~SROCE_MR_ACCESS)
		return -EOPNOTSUPP;
	return 0;
}

int sroce_mr_table_init(struct sroce_mr_table *tbl)
{
	xa_init_flags(&tbl->xa, XA_FLAGS_ALLOC);
	tbl->next = 1;
	atomic_set(&tbl->count, 0);
	tbl->key_gen = kvzalloc(SROCE_MAX_MR + 1, GFP_KERNEL);
	return tbl->key_gen ? 0 : -ENOMEM;
}

/* Every MR is gone: ib_core destroyed them before the device goes. */
void sroce_mr_table_destroy(struct sroce_mr_table *tbl)
{
	WARN_ON(atomic_read(&tbl->count) || !xa_empty(&tbl->xa));
	xa_destroy(&tbl->xa);
	kvfree(tbl->key_gen);
	tbl->key_gen = NULL;
}

static bool sroce_mr_in_range(const struct sroce_mr *mr, u64 iova, u64 len)
{
	return iova >= mr->iova && iova - mr->iova <= mr->length &&
	       len <= mr->length - (iova - mr->iova);
}

/* ---- the other side of a copy ---- */

/*
 * Append @n bytes at @kaddr (memory of a region) to the payload of @skb,
 * a packet built by reference (sroce_pkt_by_ref()): a fragment that
 * references each page, extending the previous one where the bytes
 * continue it.  Bytes in memory a packet may not hold a reference to
 * (slab objects, vmalloc space: kernel consumers' regions) are copied
 * into a new page fragment instead.
 */
static int sroce_skb_append(struct sk_buff *skb, void *kaddr, unsigned int n)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int off, len;
	struct page *page;
	void *copy;

	while (n) {
		off = offset_in_page(kaddr);
		len = min_t(unsigned int, n, PAGE_SIZE - off);
		page = NULL;
		if (virt_addr_valid(kaddr)) {
			page = virt_to_page(kaddr);
			if (!sendpage_ok(page))
				page = NULL;
		}
		if (page && skb_can_coalesce(skb, shinfo->nr_frags, page, off)) {
			skb_frag_size_add(&shinfo->frags[shinfo->nr_frags - 1],
					  len);
		} else {
			/* sroce_pkt_by_ref() bounds the fragments */
			if (WARN_ON_ONCE(shinfo->nr_frags >= MAX_SKB_FRAGS))
				return -EIO;
			if (page) {
				get_page(page);
			} else {
				copy = netdev_alloc_frag(len);
				if (!copy)
					return -ENOMEM;
				memcpy(copy, kaddr, len);
				page = virt_to_head_page(copy);
				off = copy - page_address(page);
			}
			skb_fill_page_desc(skb, shinfo->nr_frags, page, off,
					   len);
		}
		skb->len += len;
		skb->data_len += len;
		skb->truesize += len;
		kaddr += len;
		n -= len;
	}
	return 0;
}

int sroce_xfer_bytes(struct sroce_xfer *x, void *kaddr, unsigned int n)
{
	int err;

	if (!x->skb) {
		if (x->dir == SROCE_TO_MR)
			memcpy(kaddr, x->buf, n);
		else
			memcpy(x->buf, kaddr, n);
		x->buf += n;
		return 0;
	}

	if (x->dir == SROCE_TO_MR)
		err = skb_copy_bits(x->skb, x->skb_off, kaddr, n);
	else if (x->skb_off == x->skb->len)	/* built by reference */
		err = sroce_skb_append(x->skb, kaddr, n);
	else
		err = skb_store_bits(x->skb, x->skb_off, kaddr, n);
	x->skb_off += n;
	return err ? -EFAULT : 0;
}

int sroce_atomic_kaddr(void *kaddr, enum sroce_atomic_op op,
		       u64 compare_add, u64 swap, u64 *orig)
{
	atomic64_t *p = kaddr;

	switch (op) {
	case SROCE_ATOMIC_CMP_SWP:
		*orig = atomic64_cmpxchg(p, compare_add, swap);
		return 0;
	case SROCE_ATOMIC_FETCH_ADD:
		*orig = atomic64_fetch_add(compare_add, p);
		return 0;
	}
	return -EINVAL;
}

/* ---- page arrays: pinned user memory and kernel pages ---- */

/* Byte @iova of @mr is byte *off of pages[*idx]. */
static void sroce_pages_locate(const struct sroce_mr *mr, u64 iova,
			       unsigned long *idx, unsigned int *off)
{
	u64 pos = mr->page_off + (iova - mr->iova);

	*idx = pos >> PAGE_SHIFT;
	*off = offset_in_page(pos);
}

static int sroce_pages_copy(struct sroce_mr *mr, u64 iova, u64 len,
			    struct sroce_xfer *x)
{
	unsigned long idx;
	unsigned int off, n;
	void *kaddr;
	int err;

	sroce_pages_locate(mr, iova, &idx, &off);
	while (len) {
		if (WARN_ON_ONCE(idx >= mr->npages))
			return -EFAULT;
		n = min_t(u64, len, PAGE_SIZE - off);
		kaddr = kmap_local_page(mr->pages[idx]);
		err = sroce_xfer_bytes(x, kaddr + off, n);
		kunmap_local(kaddr);
		if (err)
			return err;
		len -= n;
		off = 0;
		idx++;
		cond_resched();
	}
	return 0;
}

static int sroce_pages_atomic(struct sroce_mr *mr, u64 iova,
			      enum sroce_atomic_op op, u64 compare_add,
			      u64 swap, u64 *orig)
{
	unsigned long idx;
	unsigned int off;
	void *kaddr;
	int err;

	sroce_pages_locate(mr, iova, &idx, &off);
	/* User MRs: iova and address share the page offset, so never. */
	if (off & 7)
		return -EINVAL;
	if (WARN_ON_ONCE(idx >= mr->npages))
		return -EFAULT;
	kaddr = kmap_local_page(mr->pages[idx]);
	err = sroce_atomic_kaddr(kaddr + off, op, compare_add, swap, orig);
	kunmap_local(kaddr);
	return err;
}

static void sroce_pages_release(struct sroce_mr *mr)
{
	kvfree(mr->pages);
	mr->pages = NULL;
	if (mr->umem)
		ib_umem_release(mr->umem);
	mr->umem = NULL;
}

static const struct sroce_mr_ops sroce_pages_ops = {
	.name = "pages",
	.copy = sroce_pages_copy,
	.atomic = sroce_pages_atomic,
	.release = sroce_pages_release,
};

/* ---- the kernel DMA MR: iova is a kernel virtual address ---- */

static struct page *sroce_kva_page(u64 addr)
{
	const void *p = (const void *)(uintptr_t)addr;

	if (virt_addr_valid(p))
		return virt_to_page(p);
	if (is_vmalloc_addr(p))
		return vmalloc_to_page(p);
	return NULL;
}

static int sroce_kva_copy(struct sroce_mr *mr, u64 iova, u64 len,
			  struct sroce_xfer *x)
{
	unsigned int off, n;
	struct page *page;
	void *kaddr;
	int err;

	while (len) {
		off = offset_in_page(iova);
		n = min_t(u64, len, PAGE_SIZE - off);
		page = sroce_kva_page(iova);
		if (!page)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		err = sroce_xfer_bytes(x, kaddr + off, n);
		kunmap_local(kaddr);
		if (err)
			return err;
		iova += n;
		len -= n;
		cond_resched();
	}
	return 0;
}

static int sroce_kva_atomic(struct sroce_mr *mr, u64 iova,
			    enum sroce_atomic_op op, u64 compare_add,
			    u64 swap, u64 *orig)
{
	struct page *page = sroce_kva_page(iova);
	void *kaddr;
	int err;

	if (!page)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	err = sroce_atomic_kaddr(kaddr + offset_in_page(iova), op, compare_add,
				 swap, orig);
	kunmap_local(kaddr);
	return err;
}

static void sroce_kva_release(struct sroce_mr *mr)
{
}

static const struct sroce_mr_ops sroce_kva_ops = {
	.name = "dma",
	.copy = sroce_kva_copy,
	.atomic = sroce_kva_atomic,
	.release = sroce_kva_release,
};

/* ---- fast-registration MRs: blocks of kernel virtual addresses ---- */

/* Consumer page sizes map_mr_sg accepts: powers of two in this range. */
#define SROCE_FRMR_MIN_PAGE_SHIFT	12
#define SROCE_FRMR_MAX_PAGE_SHIFT	31

/*
 * The kernel virtual address of byte @iova of a VALID fast-reg MR (the
 * caller holds a reference that sroce_mr_get() handed out), and in *room
 * the bytes from there to the end of its block; 0 if outside the pages.
 */
static u64 sroce_frmr_addr(const struct sroce_mr *mr, u64 iova, u64 *room)
{
	const struct sroce_frmr *f = mr->frmr;
	u64 pos = f->fbo + (iova - mr->iova);
	u64 mask = (1ULL << f->page_shift) - 1;
	u64 idx = pos >> f->page_shift;

	if (idx >= f->npages)
		return 0;
	*room = mask + 1 - (pos & mask);
	return f->pages[idx] + (pos & mask);
}

static int sroce_frmr_copy(struct sroce_mr *mr, u64 iova, u64 len,
			   struct sroce_xfer *x)
{
	struct page *page;
	u64 addr, room;
	unsigned int n;
	void *kaddr;
	int err;

	while (len) {
		addr = sroce_frmr_addr(mr, iova, &room);
		if (WARN_ON_ONCE(!addr))
			return -EFAULT;
		n = min3(len, room, (u64)(PAGE_SIZE - offset_in_page(addr)));
		page = sroce_kva_page(addr);
		if (!page)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		err = sroce_xfer_bytes(x, kaddr + offset_in_page(addr), n);
		kunmap_local(kaddr);
		if (err)
			return err;
		iova += n;
		len -= n;
		cond_resched();
	}
	return 0;
}

static int sroce_frmr_atomic(struct sroce_mr *mr, u64 iova,
			     enum sroce_atomic_op op, u64 compare_add,
			     u64 swap, u64 *orig)
{
	struct page *page;
	u64 addr, room;
	void *kaddr;
	int err;

	addr = sroce_frmr_addr(mr, iova, &room);
	if (WARN_ON_ONCE(!addr))
		return -EFAULT;
	if (addr & 7)
		return -EINVAL;
	page = sroce_kva_page(addr);
	if (!page)
		return -EFAULT;
	kaddr = kmap_local_page(page);
	err = sroce_atomic_kaddr(kaddr + offset_in_page(addr), op, compare_add,
				 swap, orig);
	kunmap_local(kaddr);
	return err;
}

static void sroce_frmr_free(struct sroce_frmr *f)
{
	kvfree(f->map);
	kvfree(f->pages);
	mutex_destroy(&f->lock);
	kfree(f);
}

static void sroce_frmr_release(struct sroce_mr *mr)
{
	sroce_frmr_free(mr->frmr);
	mr->frmr = NULL;
}

static const struct sroce_mr_ops sroce_frmr_ops = {
	.name = "frmr",
	.copy = sroce_frmr_copy,
	.atomic = sroce_frmr_atomic,
	.release = sroce_frmr_release,
};

/* ---- construction, publication, destruction ---- */

/*
 * A new MR with a reserved index and its key, not yet visible to lookups.
 * Undo with sroce_mr_abort() until sroce_mr_publish().
 */
static struct sroce_mr *sroce_mr_alloc(struct sroce_pd *pd,
				       const struct sroce_mr_ops *ops,
				       int access)
{
	struct sroce_dev *sdev = to_sdev(pd->ibpd.device);
	struct sroce_mr_table *tbl = &sdev->mrs;
	struct sroce_mr *mr;
	u32 index;
	int err;

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);

	/* A NULL entry reserves the index; xa_load() returns NULL for it. */
	err = xa_alloc_cyclic(&tbl->xa, &index, NULL,
			      XA_LIMIT(1, SROCE_MAX_MR), &tbl->next, GFP_KERNEL);
	if (err < 0) {
		kfree(mr);
		return ERR_PTR(err == -EBUSY ? -ENOMEM : err);
	}
	atomic_inc(&tbl->count);

	/* We hold the reservation of @index, so key_gen[index] is ours. */
	tbl->key_gen[index]++;
	mr->key = index << SROCE_MR_KEY_SHIFT | tbl->key_gen[index];

	mr->sdev = sdev;
	mr->ops = ops;
	mr->pd = pd;
	mr->access = access;
	mr->state = SROCE_MR_VALID;
	refcount_set(&mr->ref, 1);
	init_completion(&mr->released);
	return mr;
}

/* Undo sroce_mr_alloc() of an MR that was never published. */
static void sroce_mr_abort(struct sroce_mr *mr)
{
	struct sroce_mr_table *tbl = &mr->sdev->mrs;

	xa_erase(&tbl->xa, mr->key >> SROCE_MR_KEY_SHIFT);
	atomic_dec(&tbl->count);
	kfree(mr);
}

/* Everything is set up: make the MR reachable through its key. */
static int sroce_mr_publish(struct sroce_mr *mr)
{
	void *old;

	mr->ibmr.lkey = mr->key;
	mr->ibmr.rkey = mr->key;
	mr->ibmr.iova = mr->iova;
	mr->ibmr.length = mr->length;
	mr->ibmr.page_size = PAGE_SIZE;

	/* xa_store() orders the initialisation before the pointer. */
	old = xa_store(&mr->sdev->mrs.xa, mr->key >> SROCE_MR_KEY_SHIFT, mr,
		       GFP_KERNEL);
	return xa_err(old);
}

/* Deregistration; see LIFETIME in sroce_mem.h.  Process context. */
static void sroce_mr_destroy(struct sroce_mr *mr)
{
	struct sroce_mr_table *tbl = &mr->sdev->mrs;

	WRITE_ONCE(mr->state, SROCE_MR_INVALID);
	/*
	 * The index is still ours: a fast-reg MR's key byte moved on by
	 * REG_MRs, so the next MR with this index starts after the last one.
	 */
	if (mr->frmr)
		tbl->key_gen[mr->key >> SROCE_MR_KEY_SHIFT] =
			READ_ONCE(mr->key) & SROCE_MR_KEY_MASK;
	xa_erase(&tbl->xa, mr->key >> SROCE_MR_KEY_SHIFT);
	sroce_mr_put(mr);
	wait_for_completion(&mr->released);

	mr->ops->release(mr);
	atomic_dec(&tbl->count);
	/* A lookup may still be looking at it under RCU (and fail). */
	kfree_rcu(mr, rcu);
}

/* Fill the page array of @mr from the pinned pages of @umem. */
static int sroce_mr_umem_pages(struct sroce_mr *mr, struct ib_umem *umem)
{
	unsigned long first = umem->address & PAGE_MASK;
	unsigned long npages, i = 0;
	struct sg_page_iter piter;
	struct page **pages;

	npages = (PAGE_ALIGN(umem->address + umem->length) - first) >> PAGE_SHIFT;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	for_each_sgtable_page(&umem->sgt_append.sgt, &piter, 0) {
		if (i < npages)
			pages[i] = sg_page_iter_page(&piter);
		i++;
		if (!(i & 0xfff))
			cond_resched();
	}
	if (i != npages) {
		kvfree(pages);
		return -EFAULT;
	}

	mr->pages = pages;
	mr->npages = npages;
	mr->page_off = offset_in_page(umem->address);
	return 0;
}

/* Pin [start, start + length) of the current process as iova @iova. */
static struct sroce_mr *sroce_mr_new_user(struct sroce_pd *pd, u64 start,
					  u64 length, u64 iova, int access)
{
	struct sroce_dev *sdev = to_sdev(pd->ibpd.device);
	struct ib_umem *umem;
	struct sroce_mr *mr;
	u64 end;
	int err;

	err = sroce_mr_check_access_flags(access);
	if (err)
		return ERR_PTR(err);
	if (!length || check_add_overflow(start, length - 1, &end) ||
	    check_add_overflow(iova, length - 1, &end))
		return ERR_PTR(-EINVAL);

	if (access & IB_ACCESS_ON_DEMAND) {
		mr = sroce_mr_alloc(pd, &sroce_odp_ops, access);
		if (IS_ERR(mr))
			return mr;
		err = sroce_odp_init(mr, start, length, iova);
		if (err)
			goto err_abort;
		err = sroce_mr_publish(mr);
		if (err) {
			sroce_odp_ops.release(mr);
			goto err_abort;
		}
		return mr;
	}

	mr = sroce_mr_alloc(pd, &sroce_pages_ops, access);
	if (IS_ERR(mr))
		return mr;

	umem = ib_umem_get(&sdev->ibdev, start, length, access);
	if (IS_ERR(umem)) {
		err = PTR_ERR(umem);
		goto err_abort;
	}
	mr->umem = umem;

	err = sroce_mr_umem_pages(mr, umem);
	if (err)
		goto err_umem;

	mr->iova = iova;
	mr->length = length;
	err = sroce_mr_publish(mr);
	if (err)
		goto err_pages;
	return mr;

err_pages:
	kvfree(mr->pages);
err_umem:
	ib_umem_release(umem);
err_abort:
	sroce_mr_abort(mr);
	return ERR_PTR(err);
}

/**
 * sroce_mr_create_pages - an MR over kernel pages
 * @pd: protection domain
 * @pages: @npages pages; the caller keeps them alive until it
 *         deregisters the MR (sroce_dereg_mr()), which does not free them
 * @npages: number of pages
 * @page_off: offset of byte @iova in pages[0]
 * @iova: address of the first byte
 * @length: bytes
 * @access: IB_ACCESS_* flags
 *
 * The same implementation as pinned user memory, without the pinning.
 * Return: the MR, published, or an ERR_PTR.
 */
struct sroce_mr *sroce_mr_create_pages(struct sroce_pd *pd,
				       struct page **pages,
				       unsigned long npages,
				       unsigned int page_off, u64 iova,
				       u64 length, int access)
{
	struct sroce_mr *mr;
	u64 end;
	int err;

	err = sroce_mr_check_access_flags(access);
	if (err)
		return ERR_PTR(err);
	if (access & IB_ACCESS_ON_DEMAND)
		return ERR_PTR(-EOPNOTSUPP);
	if (!length || page_off >= PAGE_SIZE ||
	    check_add_overflow(iova, length - 1, &end) ||
	    length > (u64)npages * PAGE_SIZE - page_off)
		return ERR_PTR(-EINVAL);

	mr = sroce_mr_alloc(pd, &sroce_pages_ops, access);
	if (IS_ERR(mr))
		return mr;

	mr->pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!mr->pages) {
		err = -ENOMEM;
		goto err_abort;
	}
	memcpy(mr->pages, pages, npages * sizeof(*pages));
	mr->npages = npages;
	mr->page_off = page_off;
	mr->iova = iova;
	mr->length = length;
	err = sroce_mr_publish(mr);
	if (err)
		goto err_pages;
	return mr;

err_pages:
	kvfree(mr->pages);
err_abort:
	sroce_mr_abort(mr);
	return ERR_PTR(err);
}

/* ---- verbs ---- */

struct ib_mr *sroce_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				u64 virt_addr, int access,
				struct ib_udata *udata)
{
	struct sroce_mr *mr;

	/* REG_MR carries no driver data in either direction. */
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return ERR_PTR(-EOPNOTSUPP);

	mr = sroce_mr_new_user(to_spd(ibpd), start, length, virt_addr, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	return &mr->ibmr;
}

/*
 * Changes of the PD or of the permissions happen in place (same keys)
 * unless they need the pages pinned writable when they were not, or turn
 * on-demand paging on or off; a new translation, or that, builds a new MR,
 * which ib_core swaps in for the old one and then deregisters the old one.
 * An ODP region stays in place for any permission change: its pages are
 * faulted writable only when a write needs them.
 */
struct ib_mr *sroce_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				  u64 length, u64 virt_addr, int access,
				  struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sroce_mr *mr = to_smr(ibmr);
	struct sroce_pd *pd = ibpd ? to_spd(ibpd) : mr->pd;
	struct sroce_mr *new;
	int err;

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return ERR_PTR(-EOPNOTSUPP);
	if (!mr->umem && !mr->odp)
		return ERR_PTR(-EINVAL);

	if (flags & IB_MR_REREG_ACCESS) {
		err = sroce_mr_check_access_flags(access);
		if (err)
			return ERR_PTR(err);
	} else {
		access = mr->access;
	}

	if (!(flags & IB_MR_REREG_TRANS) &&
	    (mr->odp ? (access & IB_ACCESS_ON_DEMAND) :
	     !(access & IB_ACCESS_ON_DEMAND) &&
	     (mr->umem->writable || !ib_access_writable(access)))) {
		WRITE_ONCE(mr->pd, pd);
		WRITE_ONCE(mr->access, access);
		return NULL;
	}

	if (!(flags & IB_MR_REREG_TRANS)) {
		if (mr->odp) {
			sroce_odp_user_range(mr, &start, &length);
		} else {
			start = mr->umem->address;
			length = mr->umem->length;
		}
		virt_addr = mr->iova;
	}
	new = sroce_mr_new_user(pd, start, length, virt_addr, access);
	if (IS_ERR(new))
		return ERR_CAST(new);
	return &new->ibmr;
}

/*
 * The MR of kernel PDs (ib_alloc_pd() makes one when the device has no
 * local_dma_lkey): DMA addresses are kernel virtual addresses here.
 */
struct ib_mr *sroce_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct sroce_mr *mr;
	int err;

	err = sroce_mr_check_access_flags(access);
	if (err)
		return ERR_PTR(err);
	if (access & IB_ACCESS_ON_DEMAND)
		return ERR_PTR(-EOPNOTSUPP);

	mr = sroce_mr_alloc(to_spd(ibpd), &sroce_kva_ops, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->iova = 0;
	mr->length = U64_MAX;
	err = sroce_mr_publish(mr);
	if (err) {
		sroce_mr_abort(mr);
		return ERR_PTR(err);
	}
	return &mr->ibmr;
}

/*
 * A fast-registration MR for kernel consumers (ib_alloc_mr()): published
 * FREE, with room for @max_num_sg pages in the consumer's page size.
 * Only IB_MR_TYPE_MEM_REG: no SG_GAPS (IBK_SG_GAPS_REG is not claimed)
 * and no integrity MRs.
 */
struct ib_mr *sroce_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type mr_type,
			     u32 max_num_sg)
{
	struct sroce_frmr *f;
	struct sroce_mr *mr;
	int err;

	if (mr_type == IB_MR_TYPE_SG_GAPS || mr_type == IB_MR_TYPE_INTEGRITY)
		return ERR_PTR(-EOPNOTSUPP);
	if (mr_type != IB_MR_TYPE_MEM_REG)
		return ERR_PTR(-EINVAL);
	if (!max_num_sg || max_num_sg > SROCE_MAX_FRMR_PAGES)
		return ERR_PTR(-EINVAL);

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	mutex_init(&f->lock);
	f->max_pages = max_num_sg;
	f->page_shift = PAGE_SHIFT;
	f->map = kvcalloc(max_num_sg, sizeof(*f->map), GFP_KERNEL);
	f->pages = kvcalloc(max_num_sg, sizeof(*f->pages), GFP_KERNEL);
	if (!f->map || !f->pages) {
		err = -ENOMEM;
		goto err_free;
	}

	mr = sroce_mr_alloc(to_spd(ibpd), &sroce_frmr_ops, 0);
	if (IS_ERR(mr)) {
		err = PTR_ERR(mr);
		goto err_free;
	}
	mr->frmr = f;
	mr->state = SROCE_MR_FREE;
	err = sroce_mr_publish(mr);
	if (err) {
		sroce_mr_abort(mr);
		goto err_free;
	}
	return &mr->ibmr;

err_free:
	sroce_frmr_free(f);
	return ERR_PTR(err);
}

static int sroce_frmr_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct sroce_frmr *f = to_smr(ibmr)->frmr;

	if (f->map_n >= f->max_pages)
		return -ENOMEM;
	f->map[f->map_n++] = addr;
	return 0;
}

/*
 * ib_map_mr_sg(): build the page list of a fast-reg MR in the page size
 * ib_core stored in ibmr->page_size; a later REG_MR makes it the MR's
 * translation.  Any context (ULPs map under spinlocks); no lock: the
 * list is the consumer's until REG_MR (see struct sroce_frmr).
 * Return: the number of SG entries mapped, or -EINVAL.
 */
int sroce_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		    unsigned int *sg_offset)
{
	struct sroce_mr *mr = to_smr(ibmr);
	u64 page_size = ibmr->page_size;

	if (!mr->frmr || !is_power_of_2(page_size) ||
	    page_size < (1ULL << SROCE_FRMR_MIN_PAGE_SHIFT) ||
	    page_size > (1ULL << SROCE_FRMR_MAX_PAGE_SHIFT))
		return -EINVAL;
	mr->frmr->map_n = 0;
	return ib_sg_to_pages(ibmr, sg, sg_nents, sg_offset,
			      sroce_frmr_set_page);
}

/* Driver attributes shown by "rdma -dd resource show mr". */
int sroce_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct sroce_mr *mr = to_smr(ibmr);
	struct nlattr *table;

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_string(msg, "type", mr->ops->name) ||
	    rdma_nl_put_driver_u64(msg, "npages", mr->odp ?
				   sroce_odp_resident_pages(mr) : mr->frmr ?
				   READ_ONCE(mr->frmr->npages) : mr->npages)) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}

/* Waits for engines still using the MR; see LIFETIME in sroce_mem.h. */
int sroce_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	sroce_mr_destroy(to_smr(ibmr));
	return 0;
}

/* ---- the seam ---- */

/**
 * sroce_mr_get - look up the MR a key names and take a reference
 * @sdev: device
 * @key: lkey or rkey
 *
 * Any context.  Release with sroce_mr_put(), soon: see sroce_mem.h.
 * Return: the MR, or NULL if no registered MR has this key.
 */
struct sroce_mr *sroce_mr_get(struct sroce_dev *sdev, u32 key)
{
	struct sroce_mr *mr;

	rcu_read_lock();
	mr = xa_load(&sdev->mrs.xa, key >> SROCE_MR_KEY_SHIFT);
	if (mr && (READ_ONCE(mr->key) != key ||
		   !refcount_inc_not_zero(&mr->ref)))
		mr = NULL;
	rcu_read_unlock();
	if (!mr || !mr->frmr)
		return mr;

	/*
	 * Fast-reg MR: the reference is in place before VALID and the key
	 * are read (the barrier pairs with the one of the invalidation's
	 * cmpxchg), so an invalidation either waits for this reference or
	 * is seen here; acquire pairs with REG_MR's release of VALID.
	 */
	smp_mb();
	if (smp_load_acquire(&mr->state) != SROCE_MR_VALID ||
	    READ_ONCE(mr->key) != key) {
		sroce_mr_put(mr);
		return NULL;
	}
	return mr;
}

/* A reference by index whatever the key or state (fast registration). */
static struct sroce_mr *sroce_mr_get_index(struct sroce_dev *sdev, u32 index)
{
	struct sroce_mr *mr;

	rcu_read_lock();
	mr = xa_load(&sdev->mrs.xa, index);
	if (mr && !refcount_inc_not_zero(&mr->ref))
		mr = NULL;
	rcu_read_unlock();
	return mr;
}

/*
 * Any context.  The last reference lets a waiting dereg go on; for a
 * fast-reg MR any put may let a waiting invalidation go on.
 */
void sroce_mr_put(struct sroce_mr *mr)
{
	bool frmr = mr->frmr;

	if (refcount_dec_and_test(&mr->ref)) {
		complete(&mr->released);
		return;
	}
	if (frmr) {
		/*
		 * Only the address is used from here on: the MR may be gone.
		 * The barrier orders the decrement before the waiter check.
		 */
		smp_mb();
		wake_up_var(&mr->ref);
	}
}

/* ---- fast registration: REG_MR and invalidation ---- */

/* See sroce_mem.h. */
int sroce_frmr_register(struct sroce_dev *sdev, struct sroce_pd *pd, u32 key,
			int access)
{
	struct sroce_frmr *f;
	struct sroce_mr *mr;
	u64 iova, length, page_size, end;
	u32 shift, fbo, n;
	int err = 0;

	mr = sroce_mr_get_index(sdev, key >> SROCE_MR_KEY_SHIFT);
	if (!mr)
		return -ENOENT;
	f = mr->frmr;
	if (!f) {
		sroce_mr_put(mr);
		return -EACCES;
	}

	mutex_lock(&f->lock);
	if (READ_ONCE(mr->pd) != pd) {
		err = -EPERM;
		goto out;
	}
	switch (READ_ONCE(mr->state)) {
	case SROCE_MR_FREE:
		break;
	case SROCE_MR_VALID:
		err = -EBUSY;
		goto out;
	default:
		err = -ENOENT;
		goto out;
	}
	if (sroce_mr_check_access_flags(access) ||
	    (access & IB_ACCESS_ON_DEMAND)) {
		err = -EINVAL;
		goto out;
	}

	/* What the consumer's ib_map_mr_sg() left in the ib_mr. */
	iova = mr->ibmr.iova;
	length = mr->ibmr.length;
	page_size = mr->ibmr.page_size;
	n = f->map_n;
	if (!is_power_of_2(page_size) ||
	    page_size < (1ULL << SROCE_FRMR_MIN_PAGE_SHIFT) ||
	    page_size > (1ULL << SROCE_FRMR_MAX_PAGE_SHIFT) ||
	    !n || n > f->max_pages) {
		err = -EINVAL;
		goto out;
	}
	shift = ilog2(page_size);
	fbo = iova & (page_size - 1);
	if (length > ((u64)n << shift) - fbo ||
	    (length && check_add_overflow(iova, length - 1, &end))) {
		err = -EINVAL;
		goto out;
	}

	/* FREE: nobody uses the translation (see struct sroce_frmr). */
	memcpy(f->pages, f->map, n * sizeof(*f->pages));
	f->npages = n;
	f->page_shift = shift;
	f->fbo = fbo;
	WRITE_ONCE(mr->iova, iova);
	WRITE_ONCE(mr->length, length);
	WRITE_ONCE(mr->access, access);
	WRITE_ONCE(mr->key, key);
	/* publish; a deregistration that started meanwhile wins */
	if (cmpxchg_release(&mr->state, SROCE_MR_FREE, SROCE_MR_VALID) !=
	    SROCE_MR_FREE)
		err = -ENOENT;
out:
	mutex_unlock(&f->lock);
	sroce_mr_put(mr);
	return err;
}

/*
 * See sroce_mem.h.  Invalidating a FREE MR with its last key is allowed
 * and changes nothing.
 */
int sroce_frmr_invalidate(struct sroce_dev *sdev, struct sroce_pd *pd,
			  u32 key)
{
	enum sroce_mr_state old;
	struct sroce_frmr *f;
	struct sroce_mr *mr;
	int err = 0;

	mr = sroce_mr_get_index(sdev, key >> SROCE_MR_KEY_SHIFT);
	if (!mr)
		return -ENOENT;
	f = mr->frmr;
	if (!f) {
		sroce_mr_put(mr);
		return -EACCES;
	}

	mutex_lock(&f->lock);
	if (READ_ONCE(mr->pd) != pd) {
		err = -EPERM;
		goto out;
	}
	if (READ_ONCE(mr->key) != key) {
		err = -EACCES;
		goto out;
	}
	/* A successful cmpxchg is a full barrier: see sroce_mr_get(). */
	old = cmpxchg(&mr->state, SROCE_MR_VALID, SROCE_MR_FREE);
	if (old == SROCE_MR_INVALID) {
		err = -ENOENT;
		goto out;
	}
	/* Wait for the users of the old translation: all but ours and dereg's. */
	if (old == SROCE_MR_VALID)
		wait_var_event(&mr->ref, refcount_read(&mr->ref) <= 2);
out:
	mutex_unlock(&f->lock);
	sroce_mr_put(mr);
	return err;
}

/*
 * post_send of IB_WR_REG_MR by a kernel consumer (any context): @reg->mr
 * must be a fast-reg MR of @ibdev whose index @reg->key keeps (what
 * ib_update_fast_reg_key() does).  Everything else is checked when the
 * WQE executes.  Returns false for a WR to refuse.
 */
bool sroce_reg_wqe_set(struct sroce_send_wqe *wqe, const struct ib_reg_wr *reg,
		       struct ib_device *ibdev)
{
	struct sroce_reg_wqe *r = (struct sroce_reg_wqe *)&wqe->wr;
	struct sroce_mr *mr;

	BUILD_BUG_ON(sizeof(*r) > sizeof(wqe->wr));
	if (!reg->mr || reg->mr->device != ibdev)
		return false;
	mr = to_smr(reg->mr);
	if (!mr->frmr || (READ_ONCE(mr->key) >> SROCE_MR_KEY_SHIFT) !=
			 (reg->key >> SROCE_MR_KEY_SHIFT))
		return false;
	r->key = reg->key;
	r->access = reg->access;
	return true;
}

/*
 * The completion status of a failed REG_MR or LOCAL_INV: a key that names
 * no fast-reg MR of the QP's PD is a local protection error; REG_MR of a
 * VALID MR is a memory management operation error (IB_WC_MW_BIND_ERR,
 * the status Linux has for it); bad arguments are a local QP operation
 * error.
 */
enum ib_wc_status sroce_frmr_wc_status(int err)
{
	switch (err) {
	case 0:
		return IB_WC_SUCCESS;
	case -ENOENT:
	case -EPERM:
	case -EACCES:
		return IB_WC_LOC_PROT_ERR;
	case -EBUSY:
		return IB_WC_MW_BIND_ERR;
	default:
		return IB_WC_LOC_QP_OP_ERR;
	}
}

/**
 * sroce_mr_check - may @pd access [@iova, @iova + @len) of @mr this way?
 * @mr: a referenced MR
 * @pd: PD of the QP doing the access
 * @iova: first byte
 * @len: bytes; 0 is allowed anywhere from the first byte to one past the
 *       last
 * @access: IB_ACCESS_LOCAL_WRITE, _REMOTE_READ, _REMOTE_WRITE and/or
 *          _REMOTE_ATOMIC needed; 0 for a local read
 *
 * Any context.  Return: 0, -ENOENT (deregistration has started), -EPERM
 * (another PD), -EACCES (permission missing), -ERANGE (outside the MR,
 * including a range that wraps), -EINVAL (unknown @access bits).
 */
int sroce_mr_check(struct sroce_mr *mr, struct sroce_pd *pd, u64 iova, u64 len,
		   int access)
{
	if (access & ~SROCE_MR_CHECK_ACCESS)
		return -EINVAL;
	if (READ_ONCE(mr->state) != SROCE_MR_VALID)
		return -ENOENT;
	if (READ_ONCE(mr->pd) != pd)
		return -EPERM;
	if (access & ~READ_ONCE(mr->access))
		return -EACCES;
	if (!sroce_mr_in_range(mr, iova, len))
		return -ERANGE;
	return 0;
}

static int sroce_mr_xfer(struct sroce_mr *mr, u64 iova, u64 len,
			 struct sroce_xfer *x)
{
	might_sleep();
	if (!sroce_mr_in_range(mr, iova, len))
		return -ERANGE;
	if (!len || (x->mode != SROCE_XFER_COPY && !mr->odp))
		return 0;
	return mr->ops->copy(mr, iova, len, x);
}

/**
 * sroce_mr_copy - copy between a kernel buffer and an iova range of an MR
 * @mr: a referenced MR, checked with sroce_mr_check()
 * @iova: first byte in the MR
 * @buf: kernel buffer of @len bytes
 * @len: bytes
 * @dir: SROCE_TO_MR (buf -> MR) or SROCE_FROM_MR (MR -> buf)
 *
 * Process context; may sleep.  The range is checked again against the
 * MR's bounds, not against its permissions.
 * Return: 0, -ERANGE (outside the MR), -EFAULT (memory not reachable).
 */
int sroce_mr_copy(struct sroce_mr *mr, u64 iova, void *buf, u64 len,
		  enum sroce_copy_dir dir)
{
	struct sroce_xfer x = { .dir = dir, .buf = buf };

	return sroce_mr_xfer(mr, iova, len, &x);
}

/*
 * Bytes @skb_off.. of @skb as the other side of a copy: within the
 * packet, or (from a region, to a packet built by reference) appended at
 * its end.
 */
static bool sroce_skb_range_ok(const struct sk_buff *skb, u32 skb_off,
			       u64 len, enum sroce_copy_dir dir)
{
	if (dir == SROCE_FROM_MR && skb_off == skb->len)
		return len <= SZ_4K;
	return skb_off <= skb->len && len <= skb->len - skb_off;
}

/* sroce_mr_copy() with bytes @skb_off.. of @skb as the other side. */
int sroce_mr_copy_skb(struct sroce_mr *mr, u64 iova, struct sk_buff *skb,
		      u32 skb_off, u64 len, enum sroce_copy_dir dir)
{
	struct sroce_xfer x = { .dir = dir, .skb = skb, .skb_off = skb_off };

	if (!sroce_skb_range_ok(skb, skb_off, len, dir))
		return -EINVAL;
	return sroce_mr_xfer(mr, iova, len, &x);
}

/**
 * sroce_mr_atomic - 8-byte atomic on an MR
 * @mr: a referenced MR, checked with sroce_mr_check()
 * @iova: address of the 8-byte word, 8-byte aligned
 * @op: SROCE_ATOMIC_CMP_SWP or SROCE_ATOMIC_FETCH_ADD
 * @compare_add: the compare value, or the value to add
 * @swap: the value swapped in (CMP_SWP)
 * @orig: the word before the operation
 *
 * Atomic against other sroce atomics and against CPU atomics on the same
 * word (it is a CPU atomic64 operation on the mapped page); the value is
 * in host byte order.  Process context; may sleep.
 * Return: 0, -EINVAL (misaligned, unknown @op), -ERANGE, -EFAULT.
 */
int sroce_mr_atomic(struct sroce_mr *mr, u64 iova, enum sroce_atomic_op op,
		    u64 compare_add, u64 swap, u64 *orig)
{
	might_sleep();
	if (iova & 7)
		return -EINVAL;
	if (op != SROCE_ATOMIC_CMP_SWP && op != SROCE_ATOMIC_FETCH_ADD)
		return -EINVAL;
	if (!sroce_mr_in_range(mr, iova, 8))
		return -ERANGE;
	return mr->ops->atomic(mr, iova, op, compare_add, swap, orig);
}

/**
 * sroce_mr_prepare - make an iova range of an MR ready for an access
 * @mr: a referenced MR, checked with sroce_mr_check()
 * @iova: first byte
 * @len: bytes
 * @dir: SROCE_TO_MR for an access that writes the region
 * @mode: SROCE_XFER_CHECK: is the range resident (translated with the
 *        access @dir needs)?  SROCE_XFER_FAULT: fault it in.
 *        SROCE_XFER_SNAPSHOT: translate what the CPU has mapped, no fault.
 *
 * A no-op returning 0 for pinned and kernel regions.  Process context;
 * may sleep.  What a prepare made resident can be invalidated again at
 * any time; a later copy faults again if it must.
 * Return: 0, -EAGAIN (CHECK: not resident), -ERANGE, -EFAULT (the memory
 * cannot be faulted in with that access).
 */
int sroce_mr_prepare(struct sroce_mr *mr, u64 iova, u64 len,
		     enum sroce_copy_dir dir, enum sroce_xfer_mode mode)
{
	struct sroce_xfer x = { .dir = dir, .mode = mode };

	return sroce_mr_xfer(mr, iova, len, &x);
}

/* ---- the SGE walker ---- */

static int sroce_sge_xfer(struct sroce_dev *sdev, struct sroce_pd *pd,
			  const struct ib_sge *sgl, u32 num_sge, u64 offset,
			  u64 len, struct sroce_xfer *x)
{
	int access = x->dir == SROCE_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u64 total = 0, addr, n;
	struct sroce_mr *mr;
	u32 i, length;
	int err;

	/*
	 * The SGEs may sit in memory the application can rewrite under us
	 * (a shared ring): each field is read once for each use, and what is
	 * checked is what is copied.
	 */
	for (i = 0; i < num_sge; i++)
		total += READ_ONCE(sgl[i].length);
	if (offset > total || len > total - offset)
		return -EMSGSIZE;

	for (i = 0; i < num_sge && len; i++) {
		length = READ_ONCE(sgl[i].length);
		if (offset >= length) {
			offset -= length;	/* also skips empty SGEs */
			continue;
		}
		n = min_t(u64, len, length - offset);
		if (check_add_overflow(READ_ONCE(sgl[i].addr), offset, &addr))
			return -ERANGE;

		mr = sroce_mr_get(sdev, READ_ONCE(sgl[i].lkey));
		if (!mr)
			return -ENOENT;
		err = sroce_mr_check(mr, pd, addr, n, access);
		if (!err)
			err = sroce_mr_xfer(mr, addr, n, x);
		sroce_mr_put(mr);
		if (err)
			return err;

		offset = 0;
		len -= n;
	}
	/* Only if the lengths shrank since they were added up. */
	return len ? -EMSGSIZE : 0;
}

/**
 * sroce_sge_copy - copy between a local SGE list and a kernel buffer
 * @sdev: device
 * @pd: PD of the QP the SGEs belong to
 * @sgl: the SGEs (lkey, addr, length); may be in memory the application
 *       can write concurrently: each SGE is checked as it is copied
 * @num_sge: number of SGEs
 * @offset: start this many bytes into the list (for the packets of a
 *          message after the first)
 * @buf: kernel buffer of @len bytes
 * @len: bytes
 * @dir: SROCE_TO_MR: scatter @buf into the SGEs, which need local write
 *       (receive buffers, RDMA READ response targets); SROCE_FROM_MR:
 *       gather from the SGEs (send data)
 *
 * Each SGE is looked up, checked and copied with its own short-lived
 * reference; only the part of an SGE that is touched is checked, and
 * SGEs of length 0 are skipped.  Process context; may sleep.  On an error
 * part of the data may have been copied.
 * Return: 0, or a negative errno that sroce_sge_wc_status() turns into
 * the completion status: -EMSGSIZE (the SGEs hold less than @offset +
 * @len: local length error), -ENOENT (no MR with that lkey), -EPERM,
 * -EACCES, -ERANGE, -EFAULT (local protection error).
 */
int sroce_sge_copy(struct sroce_dev *sdev, struct sroce_pd *pd,
		   const struct ib_sge *sgl, u32 num_sge, u64 offset,
		   void *buf, u64 len, enum sroce_copy_dir dir)
{
	struct sroce_xfer x = { .dir = dir, .buf = buf };

	return sroce_sge_xfer(sdev, pd, sgl, num_sge, offset, len, &x);
}

/*
 * sroce_mr_prepare() over the part of a local SGE list sroce_sge_copy()
 * with the same arguments would touch; returns what sroce_sge_copy()
 * would, and -EAGAIN for a range that is not resident (CHECK).
 */
int sroce_sge_prepare(struct sroce_dev *sdev, struct sroce_pd *pd,
		      const struct ib_sge *sgl, u32 num_sge, u64 offset,
		      u64 len, enum sroce_copy_dir dir,
		      enum sroce_xfer_mode mode)
{
	struct sroce_xfer x = { .dir = dir, .mode = mode };

	return sroce_sge_xfer(sdev, pd, sgl, num_sge, offset, len, &x);
}

/* sroce_sge_copy() with bytes @skb_off.. of @skb as the other side. */
int sroce_sge_copy_skb(struct sroce_dev *sdev, struct sroce_pd *pd,
		       const struct ib_sge *sgl, u32 num_sge, u64 offset,
		       struct sk_buff *skb, u32 skb_off, u64 len,
		       enum sroce_copy_dir dir)
{
	struct sroce_xfer x = { .dir = dir, .skb = skb, .skb_off = skb_off };

	if (!sroce_skb_range_ok(skb, skb_off, len, dir))
		return -EINVAL;
	return sroce_sge_xfer(sdev, pd, sgl, num_sge, offset, len, &x);
}

/* The work completion status for an error of sroce_sge_copy(). */
enum ib_wc_status sroce_sge_wc_status(int err)
{
	switch (err) {
	case 0:
		return IB_WC_SUCCESS;
	case -EMSGSIZE:
		return IB_WC_LOC_LEN_ERR;
	case -ENOENT:
	case -EPERM:
	case -EACCES:
	case -ERANGE:
	case -EFAULT:
		return IB_WC_LOC_PROT_ERR;
	default:
		return IB_WC_LOC_QP_OP_ERR;
	}
}
