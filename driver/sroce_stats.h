/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: per-device counters, shown by "rdma statistic show link DEV/1"
 * and in /sys/class/infiniband/DEV/ports/1/hw_counters/.
 *
 * Counting: sroce_stat_inc(sdev, SROCE_STAT_xxx) and sroce_stat_add(),
 * from any context (per-CPU counters, no lock).  Every counter listed
 * here must be incremented somewhere: a counter that cannot move is
 * noise to whoever reads it.
 *
 * Packets and bytes count RoCE transport packets, BTH through payload and
 * pad (the ICRC not included), on the wire and on the loopback fast path
 * alike.  The rx_* drop counters tell why a received packet was dropped;
 * the first group (short .. no_mem) is counted by the wire layer
 * (sroce_net.c) before the transport sees the packet, the rest by the
 * transport.
 */
#ifndef SROCE_STATS_H
#define SROCE_STATS_H

#include <linux/percpu.h>
#include <linux/types.h>

/* X(ENUM_SUFFIX, "name") in display order */
#define SROCE_STATS(X)							\
	X(TX_PACKETS, "tx_packets")					\
	X(TX_BYTES, "tx_bytes")						\
	X(TX_ERRORS, "tx_errors")	/* no route, xmit failure */	\
	X(RX_PACKETS, "rx_packets")	/* handed to the transport */	\
	X(RX_BYTES, "rx_bytes")						\
	X(RX_SHORT, "rx_short")		/* shorter than its headers */	\
	X(RX_BAD_UDP, "rx_bad_udp")	/* UDP length, IP options */	\
	X(RX_BAD_VERSION, "rx_bad_version")	/* BTH TVer */		\
	X(RX_BAD_OPCODE, "rx_bad_opcode")	/* unknown opcode */	\
	X(RX_BAD_LENGTH, "rx_bad_length")	/* pad, alignment */	\
	X(RX_BAD_ICRC, "rx_bad_icrc")					\
	X(RX_NO_MEM, "rx_no_mem")	/* could not linearize */	\
	X(RX_UNKNOWN_QP, "rx_unknown_qp")				\
	X(RX_BAD_QP_STATE, "rx_bad_qp_state")				\
	X(RX_QP_OVERFLOW, "rx_qp_overflow")				\
	X(RX_BAD_QKEY, "rx_bad_qkey")					\
	X(RX_BAD_PKEY, "rx_bad_pkey")					\
	X(RX_BAD_PSN, "rx_bad_psn")	/* outside the window */	\
	X(DUP_REQUESTS, "rx_dup_requests")				\
	X(RETRANSMITS, "retransmits")					\
	X(RNR_NAKS_SENT, "rnr_naks_sent")				\
	X(RNR_NAKS_RCVD, "rnr_naks_rcvd")				\
	X(ODP_RNR_NAKS, "odp_rnr_naks")	/* responder waits for a fault */ \
	SROCE_ODP_STATS(X)

/*
 * On-demand paging, per device and (the same names) per MR, the latter
 * shown by "rdma statistic mr".  Keep ODP_FAULTS first and
 * ODP_PAGES_WRITE_REVOKED last: the per-MR block is that range.
 */
#define SROCE_ODP_STATS(X)						\
	X(ODP_FAULTS, "odp_faults")	/* page fault calls */		\
	X(ODP_FAULT_FAILURES, "odp_fault_failures")			\
	X(ODP_PAGES_MAPPED, "odp_pages_mapped")	/* by faults, snapshots */ \
	X(ODP_PREFETCHES, "odp_prefetches")	/* advise_mr ranges */	\
	X(ODP_INV_UNMAP, "odp_inv_unmap")	/* invalidations by event */ \
	X(ODP_INV_CLEAR, "odp_inv_clear")				\
	X(ODP_INV_PROTECTION_VMA, "odp_inv_protection_vma")		\
	X(ODP_INV_PROTECTION_PAGE, "odp_inv_protection_page")		\
	X(ODP_INV_SOFT_DIRTY, "odp_inv_soft_dirty")			\
	X(ODP_INV_RELEASE, "odp_inv_release")				\
	X(ODP_INV_MIGRATE, "odp_inv_migrate")				\
	X(ODP_INV_OTHER, "odp_inv_other")	/* EXCLUSIVE, new events */ \
	X(ODP_PAGES_INVALIDATED, "odp_pages_invalidated")		\
	X(ODP_PAGES_WRITE_REVOKED, "odp_pages_write_revoked")

#define SROCE_STAT_ENUM(e, name)	SROCE_STAT_##e,
enum sroce_stat {
	SROCE_STATS(SROCE_STAT_ENUM)
	SROCE_STAT_MAX
};
#undef SROCE_STAT_ENUM

#define SROCE_ODP_NSTATS (SROCE_STAT_ODP_PAGES_WRITE_REVOKED - \
			  SROCE_STAT_ODP_FAULTS + 1)

/* The per-CPU block behind struct sroce_dev.stats. */
struct sroce_stats {
	u64 cnt[SROCE_STAT_MAX];
};

#endif /* SROCE_STATS_H */
