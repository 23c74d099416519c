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

/*
 * Rings shared between the kernel and the library.
 *
 * Every ring mapping starts with a struct sroce_ring_hdr followed by
 * 2^log2_entries fixed-size entries.  The producer writes an entry, then
 * publishes it with a store-release of @producer; the consumer reads
 * @producer with a load-acquire, reads the entry, then frees it with a
 * store-release of @consumer.  Indices are free-running 32-bit counters;
 * entry i lives in slot (i & (entries - 1)).  Each index has a cache line
 * of its own so producer and consumer do not false-share.
 */
#define SROCE_RING_ALIGN	64

struct sroce_ring_hdr {
	__u32 producer;
	__u8 pad0[SROCE_RING_ALIGN - 4];
	__u32 consumer;
	__u8 pad1[SROCE_RING_ALIGN - 4];
};

/*
 * Completion queue entry, written by the kernel, read by the library.
 * Field values are those of struct ibv_wc / enum ibv_wc_status and
 * enum ibv_wc_opcode (which equal the kernel's ib_wc ones).
 */
struct sroce_cqe {
	__aligned_u64 wr_id;
	__u32 status;		/* enum ib_wc_status */
	__u32 opcode;		/* enum ib_wc_opcode */
	__u32 vendor_err;
	__u32 byte_len;
	__be32 imm_data;	/* or invalidated rkey (IB_WC_WITH_INVALIDATE) */
	__u32 qp_num;
	__u32 src_qp;
	__u32 wc_flags;		/* enum ib_wc_flags */
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u8 network_hdr_type;	/* enum rdma_network_type, UD only */
	__u8 reserved0;
	__u8 smac[6];		/* UD only */
	__u16 vlan_id;
	__u8 reserved1[8];
};

/* CREATE_CQ: no request data; response: */
struct sroce_create_cq_resp {
	struct sroce_mmap_info ring;	/* sroce_ring_hdr + sroce_cqe[] */
	__u32 log2_entries;		/* slots in the ring */
	__u32 reserved;
};

/* RESIZE_CQ: no request data; response: */
struct sroce_resize_cq_resp {
	struct sroce_mmap_info ring;	/* the new ring; the old one is dead */
	__u32 log2_entries;
	__u32 reserved;
};

/* REG_MR: no request data, no response data. */

#endif /* SROCE_ABI_H */
