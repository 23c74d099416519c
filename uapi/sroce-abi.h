/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * sroce kernel/user ABI.
 *
 * This header is shared verbatim by the kernel module (driver/) and the
 * libibverbs provider (lib/).  Every structure here crosses the uverbs
 * boundary as the driver-private part of a command or response ("udata"),
 * so the rules are the usual uverbs ones:
 *
 *  - fixed-width types only, 64-bit fields naturally aligned
 *    (__aligned_u64), explicit padding, no implicit holes;
 *  - a structure may only grow at its end; the kernel zero-fills the part
 *    of a response an older library does not know about and rejects
 *    non-zero bytes in the part of a request it does not know about;
 *  - an incompatible change bumps SROCE_UVERBS_ABI_VERSION, which the
 *    provider matches exactly.
 *
 * See Documentation/abi.rst for the description of each field.
 */
#ifndef SROCE_ABI_H
#define SROCE_ABI_H

#include <linux/types.h>

/* Reported as the uverbs ABI version of every sroce device. */
#define SROCE_UVERBS_ABI_VERSION	1

/* ibdev names of sroce devices start with this (provider matching). */
#define SROCE_IBDEV_PREFIX		"sroce"

/*
 * Description of one region of kernel memory that user space maps with
 * mmap(2) on the uverbs command fd.  @offset is the opaque mmap offset
 * handed out by the kernel (a multiple of the page size), @size the length
 * to map in bytes.  A zero @size means "nothing to map".
 */
struct sroce_mmap_info {
	__aligned_u64 offset;
	__u32 size;
	__u32 reserved;
};

/* Feature bits in sroce_alloc_ucontext_resp.features. */
enum sroce_context_features {
	/* Reserved for the data path; no feature is defined in ABI 1 yet. */
	SROCE_CONTEXT_FEATURE_NONE = 0,
};

/* ALLOC_CONTEXT: no request data; response: */
struct sroce_alloc_ucontext_resp {
	__u32 abi_version;	/* == SROCE_UVERBS_ABI_VERSION */
	__u32 features;		/* enum sroce_context_features */
	__u32 page_size;	/* kernel PAGE_SIZE, granularity of mmaps */
	__u32 reserved;
};

/* ALLOC_PD: no request data; response: */
struct sroce_alloc_pd_resp {
	__u32 pdn;		/* device-wide PD number, for diagnostics */
	__u32 reserved;
};

#endif /* SROCE_ABI_H */
