// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: kernel memory shared with user space (queue rings).
 *
 * An object that shares memory with its user-space owner (a CQ, QP or SRQ
 * ring) allocates it with sroce_mmap_alloc(), which also publishes an mmap
 * offset in the context's mmap table and fills the sroce_mmap_info handed
 * to the library.  The library maps it with mmap(2) on the uverbs fd;
 * sroce_mmap() resolves the offset.  The object removes the entry when it
 * is destroyed; the memory itself is released by sroce_mmap_free() once
 * ib_core holds no more references to the entry.
 */

#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "sroce.h"

/**
 * sroce_mmap_alloc - allocate zeroed memory that @ibuc's process can map
 * @ibuc: the user context that may map it
 * @size: bytes; rounded up to whole pages
 * @info: filled with the mmap offset and size for the library
 *
 * Return: the entry (use ->kaddr), or an ERR_PTR.
 */
struct sroce_mmap_entry *sroce_mmap_alloc(struct ib_ucontext *ibuc, size_t size,
					  struct sroce_mmap_info *info)
{
	struct sroce_mmap_entry *entry;
	int err;

	size = PAGE_ALIGN(size);
	if (!size || size > U32_MAX)
		return ERR_PTR(-EINVAL);

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return ERR_PTR(-ENOMEM);

	entry->kaddr = vmalloc_user(size);
	if (!entry->kaddr) {
		err = -ENOMEM;
		goto err_free_entry;
	}
	entry->size = size;

	err = rdma_user_mmap_entry_insert(ibuc, &entry->rdma_entry, size);
	if (err)
		goto err_free_mem;

	info->offset = rdma_user_mmap_get_offset(&entry->rdma_entry);
	info->size = size;
	info->reserved = 0;
	return entry;

err_free_mem:
	vfree(entry->kaddr);
err_free_entry:
	kfree(entry);
	return ERR_PTR(err);
}

/*
 * The owning object is going away: no new mmap() can find the entry.
 * The caller must not touch entry->kaddr afterwards.
 */
void sroce_mmap_remove(struct sroce_mmap_entry *entry)
{
	rdma_user_mmap_entry_remove(&entry->rdma_entry);
}

int sroce_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct sroce_mmap_entry *entry;
	unsigned long len = vma->vm_end - vma->vm_start;
	int err;

	rdma_entry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rdma_entry)
		return -EINVAL;
	entry = container_of(rdma_entry, struct sroce_mmap_entry, rdma_entry);

	if (len > entry->size) {
		err = -EINVAL;
		goto out;
	}
	err = remap_vmalloc_range(vma, entry->kaddr, 0);
out:
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

/*
 * Last reference to the entry dropped.  Pages still mapped into a process
 * keep their own references and are freed when that mapping goes away.
 */
void sroce_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct sroce_mmap_entry *entry =
		container_of(rdma_entry, struct sroce_mmap_entry, rdma_entry);

	vfree(entry->kaddr);
	kfree(entry);
}
