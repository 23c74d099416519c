/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: InfiniBand transport headers as carried by RoCEv2 (wire formats
 * only).  All multi-byte fields are big-endian on the wire; the accessors
 * below convert.  Opcode values are IB_OPCODE_* from <rdma/ib_pack.h>.
 *
 * A RoCEv2 packet is IPv4/IPv6, UDP (destination port 4791), then the IB
 * transport: BTH, the extension headers its opcode calls for, in this
 * order, the payload, 0-3 pad bytes (BTH PadCnt) that make the transport
 * packet a multiple of 4 bytes, and the 4-byte invariant CRC (ICRC):
 *
 *	BTH  DETH  RETH  AtomicETH  AETH  AtomicAckETH  ImmDt  IETH  payload
 *	pad  ICRC
 *
 * sroce_opcodes[] (sroce_hdr.c) tells for each opcode which headers
 * are present, at which offset from the start of the BTH, and what kind of
 * packet it is.  Packets of opcodes without SROCE_OP_VALID are dropped by
 * receive.
 */
#ifndef SROCE_HDR_H
#define SROCE_HDR_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#include <rdma/ib_pack.h>

#define SROCE_PSN_MASK		0xffffff
#define SROCE_QPN_MASK		0xffffff
#define SROCE_TVER		0	/* the only transport header version */
#define SROCE_DEFAULT_PKEY	0xffff

/* Base Transport Header, 12 bytes */
struct sroce_bth {
	u8 opcode;
	u8 flags;		/* SE:1 M:1 PadCnt:2 TVer:4 */
	__be16 pkey;
	__be32 qpn;		/* FECN:1 BECN:1 resv6:6 DestQP:24 */
	__be32 apsn;		/* AckReq:1 resv7:7 PSN:24 */
};

#define SROCE_BTH_SE		0x80
#define SROCE_BTH_MIG		0x40
#define SROCE_BTH_PAD_SHIFT	4
#define SROCE_BTH_PAD_MASK	0x30
#define SROCE_BTH_TVER_MASK	0x0f
#define SROCE_BTH_ACKREQ	0x80000000u
/*
 * The byte in front of DestQP.  IBTA calls it resv8a; the congestion
 * control annex carves FECN and BECN out of it.  RoCEv2 signals congestion
 * in the IP ECN bits instead; the whole byte is excluded from the ICRC.
 */
#define SROCE_BTH_RESV8A_MASK	0xff000000u

/* RDMA Extended Transport Header, 16 bytes */
struct sroce_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

/* ACK Extended Transport Header, 4 bytes */
struct sroce_aeth {
	__be32 smsn;		/* Syndrome:8 MSN:24 */
};

/* AETH syndromes (IBTA 9.7.5.1.1): bit 7 reserved, 6:5 type, 4:0 value */
#define SROCE_AETH_TYPE_MASK	0xe0
#define SROCE_AETH_VALUE_MASK	0x1f
#define SROCE_AETH_ACK		0x00	/* low 5 bits: credit count */
#define SROCE_AETH_RNR_NAK	0x20	/* low 5 bits: RNR timer code */
#define SROCE_AETH_NAK		0x60	/* low 5 bits: NAK code */
#define SROCE_AETH_ACK_UNLIMITED 0x1f	/* credit code: no flow control */
#define SROCE_MSN_MASK		0xffffff

enum sroce_nak_code {
	SROCE_NAK_PSN_SEQ_ERR	= 0,
	SROCE_NAK_INVALID_REQ	= 1,
	SROCE_NAK_REM_ACCESS	= 2,
	SROCE_NAK_REM_OP_ERR	= 3,
	SROCE_NAK_INV_RD_REQ	= 4,
};

/* Atomic Extended Transport Header, 28 bytes */
struct sroce_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 compare;
} __packed;

/* Atomic Acknowledge Extended Transport Header, 8 bytes */
struct sroce_atmack {
	__be64 orig;
} __packed;

/* Immediate data, 4 bytes */
struct sroce_immdt {
	__be32 imm;
};

/* Invalidate Extended Transport Header, 4 bytes */
struct sroce_ieth {
	__be32 rkey;
};

/* Datagram Extended Transport Header, 8 bytes */
struct sroce_deth {
	__be32 qkey;
	__be32 sqp;		/* resv8:8 SrcQP:24 */
};

static_assert(sizeof(struct sroce_bth) == 12);
static_assert(sizeof(struct sroce_reth) == 16);
static_assert(sizeof(struct sroce_aeth) == 4);
static_assert(sizeof(struct sroce_atmeth) == 28);
static_assert(sizeof(struct sroce_atmack) == 8);
static_assert(sizeof(struct sroce_immdt) == 4);
static_assert(sizeof(struct sroce_ieth) == 4);
static_assert(sizeof(struct sroce_deth) == 8);

/*
 * What an opcode carries; see sroce_opcode_info().  FIRST, MIDDLE and LAST
 * place a packet in its message (ONLY = FIRST | LAST: a one-packet
 * message, which is what read requests, atomics, acknowledges and UD sends
 * always are).  SEND, WRITE, READ and ATOMIC name the operation and are set
 * on its requests and its responses alike; REQ tells which of the two.
 */
enum sroce_op_flags {
	SROCE_OP_VALID		= BIT(0),	/* sroce handles this opcode */
	SROCE_OP_REQ		= BIT(1),	/* request (else response) */
	SROCE_OP_FIRST		= BIT(2),
	SROCE_OP_MIDDLE		= BIT(3),
	SROCE_OP_LAST		= BIT(4),
	SROCE_OP_ONLY		= SROCE_OP_FIRST | SROCE_OP_LAST,
	SROCE_OP_PAYLOAD	= BIT(5),	/* may carry payload */
	SROCE_OP_RETH		= BIT(6),
	SROCE_OP_AETH		= BIT(7),
	SROCE_OP_ATMETH		= BIT(8),
	SROCE_OP_ATMACK		= BIT(9),
	SROCE_OP_IMMDT		= BIT(10),
	SROCE_OP_IETH		= BIT(11),
	SROCE_OP_DETH		= BIT(12),
	SROCE_OP_SEND		= BIT(13),	/* a send operation */
	SROCE_OP_WRITE		= BIT(14),
	SROCE_OP_READ		= BIT(15),
	SROCE_OP_ATOMIC		= BIT(16),
	SROCE_OP_RC		= BIT(17),
	SROCE_OP_UD		= BIT(18),
	SROCE_OP_RWR		= BIT(19),	/* consumes a receive WQE */
	/*
	 * The last packet of an RC request message: the requester sets
	 * AckReq in it and the responder must answer the message (ACK,
	 * read response or atomic acknowledge).
	 */
	SROCE_OP_ACKREQ		= BIT(20),
	SROCE_OP_ACK		= BIT(21),	/* ACKNOWLEDGE, ATOMIC_ACKNOWLEDGE */
};

struct sroce_opcode_info {
	const char *name;
	u32 flags;		/* enum sroce_op_flags */
	u8 hdr_len;		/* BTH and all extension headers */
	u8 reth_off, aeth_off, atmeth_off, atmack_off, immdt_off, ieth_off,
	   deth_off;		/* from the start of the BTH, if present */
};

extern const struct sroce_opcode_info sroce_opcodes[256];

static inline const struct sroce_opcode_info *sroce_opcode_info(u8 opcode)
{
	return &sroce_opcodes[opcode];
}

/* Pad bytes after a payload of @len bytes (the BTH PadCnt). */
static inline unsigned int sroce_pad(u32 len)
{
	return -len & 3;
}

/* 24-bit PSN arithmetic: a - b as a signed distance */
static inline s32 sroce_psn_diff(u32 a, u32 b)
{
	return ((s32)((a - b) << 8)) >> 8;
}

static inline u32 sroce_psn_add(u32 psn, u32 n)
{
	return (psn + n) & SROCE_PSN_MASK;
}

/* BTH accessors */
static inline u8 sroce_bth_opcode(const struct sroce_bth *bth)
{
	return bth->opcode;
}

static inline bool sroce_bth_se(const struct sroce_bth *bth)
{
	return bth->flags & SROCE_BTH_SE;
}

static inline bool sroce_bth_mig(const struct sroce_bth *bth)
{
	return bth->flags & SROCE_BTH_MIG;
}

static inline unsigned int sroce_bth_pad(const struct sroce_bth *bth)
{
	return (bth->flags & SROCE_BTH_PAD_MASK) >> SROCE_BTH_PAD_SHIFT;
}

static inline unsigned int sroce_bth_tver(const struct sroce_bth *bth)
{
	return bth->flags & SROCE_BTH_TVER_MASK;
}

static inline u16 sroce_bth_pkey(const struct sroce_bth *bth)
{
	return be16_to_cpu(bth->pkey);
}

static inline u32 sroce_bth_qpn(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->qpn) & SROCE_QPN_MASK;
}

static inline u32 sroce_bth_psn(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->apsn) & SROCE_PSN_MASK;
}

static inline bool sroce_bth_ackreq(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->apsn) & SROCE_BTH_ACKREQ;
}

/* Rewrite PSN and AckReq of a packet being retransmitted. */
static inline void sroce_bth_set_apsn(struct sroce_bth *bth, bool ackreq,
				      u32 psn)
{
	bth->apsn = cpu_to_be32((ackreq ? SROCE_BTH_ACKREQ : 0) |
				(psn & SROCE_PSN_MASK));
}

static inline void sroce_bth_init(struct sroce_bth *bth, u8 opcode, bool se,
				  unsigned int pad, u16 pkey, u32 qpn,
				  bool ackreq, u32 psn)
{
	bth->opcode = opcode;
	bth->flags = (se ? SROCE_BTH_SE : 0) | SROCE_BTH_MIG |
		     (pad << SROCE_BTH_PAD_SHIFT) | SROCE_TVER;
	bth->pkey = cpu_to_be16(pkey);
	bth->qpn = cpu_to_be32(qpn & SROCE_QPN_MASK);
	sroce_bth_set_apsn(bth, ackreq, psn);
}

static inline void *sroce_hdr_at(void *bth, u8 off)
{
	return (u8 *)bth + off;
}

/* AETH accessors */
static inline u8 sroce_aeth_syndrome(const struct sroce_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) >> 24;
}

static inline u32 sroce_aeth_msn(const struct sroce_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) & SROCE_MSN_MASK;
}

static inline void sroce_aeth_init(struct sroce_aeth *aeth, u8 syndrome,
				   u32 msn)
{
	aeth->smsn = cpu_to_be32((u32)syndrome << 24 | (msn & SROCE_MSN_MASK));
}

/* DETH accessors */
static inline u32 sroce_deth_qkey(const struct sroce_deth *deth)
{
	return be32_to_cpu(deth->qkey);
}

static inline u32 sroce_deth_sqp(const struct sroce_deth *deth)
{
	return be32_to_cpu(deth->sqp) & SROCE_QPN_MASK;
}

static inline void sroce_deth_init(struct sroce_deth *deth, u32 qkey, u32 sqp)
{
	deth->qkey = cpu_to_be32(qkey);
	deth->sqp = cpu_to_be32(sqp & SROCE_QPN_MASK);
}

/* RETH accessors */
static inline u64 sroce_reth_va(const struct sroce_reth *reth)
{
	return be64_to_cpu(reth->va);
}

static inline u32 sroce_reth_rkey(const struct sroce_reth *reth)
{
	return be32_to_cpu(reth->rkey);
}

static inline u32 sroce_reth_len(const struct sroce_reth *reth)
{
	return be32_to_cpu(reth->len);
}

static inline void sroce_reth_init(struct sroce_reth *reth, u64 va, u32 rkey,
				   u32 len)
{
	reth->va = cpu_to_be64(va);
	reth->rkey = cpu_to_be32(rkey);
	reth->len = cpu_to_be32(len);
}

/* AtomicETH accessors */
static inline u64 sroce_atmeth_va(const struct sroce_atmeth *a)
{
	return be64_to_cpu(a->va);
}

static inline u32 sroce_atmeth_rkey(const struct sroce_atmeth *a)
{
	return be32_to_cpu(a->rkey);
}

static inline u64 sroce_atmeth_swap_add(const struct sroce_atmeth *a)
{
	return be64_to_cpu(a->swap_add);
}

static inline u64 sroce_atmeth_compare(const struct sroce_atmeth *a)
{
	return be64_to_cpu(a->compare);
}

/* AtomicAckETH, IETH accessors (ImmDt stays in wire order: __be32) */
static inline u64 sroce_atmack_orig(const struct sroce_atmack *a)
{
	return be64_to_cpu(a->orig);
}

static inline u32 sroce_ieth_rkey(const struct sroce_ieth *ieth)
{
	return be32_to_cpu(ieth->rkey);
}

#endif /* SROCE_HDR_H */
