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

/* REG_MR, REREG_MR: no request data, no response data. */

/*
 * Work queues.  A QP's send queue (SQ) and receive queue (RQ), and an SRQ,
 * are rings like the CQ's (struct sroce_ring_hdr, then the slots), with the
 * library as producer and the kernel as consumer.  Slots have a per-queue
 * stride of 2^log2_stride bytes: a WQE header, then num_sge struct
 * sroce_sge, or for IB_SEND_INLINE the inline bytes, in the same space.
 *
 * Doorbell: after publishing new send WQEs (store-release of producer),
 * the library issues a full barrier and reads sroce_sq_ctrl.kernel_idle;
 * only when it is non-zero does it ring the doorbell (a POST_SEND command
 * with no work requests).  The kernel's requester clears kernel_idle while
 * it runs, and before going idle sets it, issues a full barrier and
 * re-checks producer, so a WQE is never left unnoticed.  Receive WQEs need
 * no doorbell: the responder consumes them when requests arrive.
 */
struct sroce_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/* Follows struct sroce_ring_hdr of the SQ ring (same mapping). */
struct sroce_sq_ctrl {
	__u32 kernel_idle;
	__u8 pad[SROCE_RING_ALIGN - 4];
};

struct sroce_send_wqe {
	__aligned_u64 wr_id;
	__u32 opcode;		/* enum ib_uverbs_wr_opcode */
	__u32 send_flags;	/* IB_SEND_* (== IBV_SEND_*) */
	__be32 imm_data;	/* or invalidate_rkey */
	__u32 num_sge;		/* or inline byte count with IB_SEND_INLINE */
	union {
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 compare_add;
			__aligned_u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
		struct {
			__u32 ah_num;	/* sroce_create_ah_resp.ah_num */
			__u32 remote_qpn;
			__u32 remote_qkey;
			__u32 reserved;
		} ud;
	} wr;
	__aligned_u64 reserved;
	/* then struct sroce_sge[num_sge], or the inline data */
};

struct sroce_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
	/* then struct sroce_sge[num_sge] */
};

/* CREATE_QP: no request data; response: */
struct sroce_create_qp_resp {
	struct sroce_mmap_info sq;	/* ring hdr + sroce_sq_ctrl + slots */
	struct sroce_mmap_info rq;	/* ring hdr + slots; size 0 with an SRQ */
	__u32 sq_log2_entries;
	__u32 sq_log2_stride;
	__u32 rq_log2_entries;
	__u32 rq_log2_stride;
	__u32 sq_slot_offset;		/* first slot, from the start of sq */
	__u32 rq_slot_offset;
};

/* CREATE_SRQ: no request data; response: */
struct sroce_create_srq_resp {
	struct sroce_mmap_info rq;	/* ring hdr + slots */
	__u32 log2_entries;
	__u32 log2_stride;
	__u32 slot_offset;
	__u32 srqn;
};

/* CREATE_AH: no request data; response: */
struct sroce_create_ah_resp {
	__u32 ah_num;			/* what UD send WQEs name */
	__u32 reserved;
};

#endif /* SROCE_ABI_H */
