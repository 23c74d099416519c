// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the opcode table (see sroce_hdr.h), IBTA 9.2 table 38 for the RC
 * and UD opcodes sroce handles; the others are dropped on receive.  Header lengths and offsets
 * are derived from the flags at compile time, following the fixed order
 * of the extension headers, so an entry cannot disagree with its flags.
 */

#include "sroce_hdr.h"

#define HLEN(f, flag, type)	(((f) & (flag)) ? sizeof(struct type) : 0)

/* Offsets from the start of the BTH, in wire order. */
#define OFF_DETH(f)	sizeof(struct sroce_bth)
#define OFF_RETH(f)	(OFF_DETH(f) + HLEN(f, SROCE_OP_DETH, sroce_deth))
#define OFF_ATMETH(f)	(OFF_RETH(f) + HLEN(f, SROCE_OP_RETH, sroce_reth))
#define OFF_AETH(f)	(OFF_ATMETH(f) + HLEN(f, SROCE_OP_ATMETH, sroce_atmeth))
#define OFF_ATMACK(f)	(OFF_AETH(f) + HLEN(f, SROCE_OP_AETH, sroce_aeth))
#define OFF_IMMDT(f)	(OFF_ATMACK(f) + HLEN(f, SROCE_OP_ATMACK, sroce_atmack))
#define OFF_IETH(f)	(OFF_IMMDT(f) + HLEN(f, SROCE_OP_IMMDT, sroce_immdt))
#define HDR_LEN(f)	(OFF_IETH(f) + HLEN(f, SROCE_OP_IETH, sroce_ieth))

#define OFF(f, flag, off)	(((f) & (flag)) ? (off) : 0)

#define SROCE_OPCODE(op, f)						\
	[IB_OPCODE_##op] = {						\
		.name = #op,						\
		.flags = SROCE_OP_VALID | (f),				\
		.hdr_len = HDR_LEN(f),					\
		.deth_off = OFF(f, SROCE_OP_DETH, OFF_DETH(f)),		\
		.reth_off = OFF(f, SROCE_OP_RETH, OFF_RETH(f)),		\
		.atmeth_off = OFF(f, SROCE_OP_ATMETH, OFF_ATMETH(f)),	\
		.aeth_off = OFF(f, SROCE_OP_AETH, OFF_AETH(f)),		\
		.atmack_off = OFF(f, SROCE_OP_ATMACK, OFF_ATMACK(f)),	\
		.immdt_off = OFF(f, SROCE_OP_IMMDT, OFF_IMMDT(f)),	\
		.ieth_off = OFF(f, SROCE_OP_IETH, OFF_IETH(f)),		\
	}

/* RC requests and responses */
#define RC_REQ		(SROCE_OP_RC | SROCE_OP_REQ)
#define RC_SEND		(RC_REQ | SROCE_OP_SEND | SROCE_OP_RWR | SROCE_OP_PAYLOAD)
#define RC_SEND_END	(RC_SEND | SROCE_OP_LAST | SROCE_OP_ACKREQ)
#define RC_WRITE	(RC_REQ | SROCE_OP_WRITE | SROCE_OP_PAYLOAD)
#define RC_WRITE_END	(RC_WRITE | SROCE_OP_LAST | SROCE_OP_ACKREQ)
#define RC_ATOMIC	(RC_REQ | SROCE_OP_ATOMIC | SROCE_OP_ONLY | \
			 SROCE_OP_ATMETH | SROCE_OP_ACKREQ)
#define RC_READ_RESP	(SROCE_OP_RC | SROCE_OP_READ | SROCE_OP_PAYLOAD)
#define RC_ACK		(SROCE_OP_RC | SROCE_OP_ACK | SROCE_OP_ONLY | \
			 SROCE_OP_AETH)
#define UD_SEND		(SROCE_OP_UD | SROCE_OP_REQ | SROCE_OP_SEND | \
			 SROCE_OP_RWR | SROCE_OP_PAYLOAD | SROCE_OP_ONLY | \
			 SROCE_OP_DETH)

const struct sroce_opcode_info sroce_opcodes[256] = {
	SROCE_OPCODE(RC_SEND_FIRST, RC_SEND | SROCE_OP_FIRST),
	SROCE_OPCODE(RC_SEND_MIDDLE, RC_SEND | SROCE_OP_MIDDLE),
	SROCE_OPCODE(RC_SEND_LAST, RC_SEND_END),
	SROCE_OPCODE(RC_SEND_LAST_WITH_IMMEDIATE, RC_SEND_END | SROCE_OP_IMMDT),
	SROCE_OPCODE(RC_SEND_ONLY, RC_SEND_END | SROCE_OP_FIRST),
	SROCE_OPCODE(RC_SEND_ONLY_WITH_IMMEDIATE,
		     RC_SEND_END | SROCE_OP_FIRST | SROCE_OP_IMMDT),
	SROCE_OPCODE(RC_SEND_LAST_WITH_INVALIDATE, RC_SEND_END | SROCE_OP_IETH),
	SROCE_OPCODE(RC_SEND_ONLY_WITH_INVALIDATE,
		     RC_SEND_END | SROCE_OP_FIRST | SROCE_OP_IETH),

	SROCE_OPCODE(RC_RDMA_WRITE_FIRST,
		     RC_WRITE | SROCE_OP_FIRST | SROCE_OP_RETH),
	SROCE_OPCODE(RC_RDMA_WRITE_MIDDLE, RC_WRITE | SROCE_OP_MIDDLE),
	SROCE_OPCODE(RC_RDMA_WRITE_LAST, RC_WRITE_END),
	SROCE_OPCODE(RC_RDMA_WRITE_LAST_WITH_IMMEDIATE,
		     RC_WRITE_END | SROCE_OP_IMMDT | SROCE_OP_RWR),
	SROCE_OPCODE(RC_RDMA_WRITE_ONLY,
		     RC_WRITE_END | SROCE_OP_FIRST | SROCE_OP_RETH),
	SROCE_OPCODE(RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE,
		     RC_WRITE_END | SROCE_OP_FIRST | SROCE_OP_RETH |
		     SROCE_OP_IMMDT | SROCE_OP_RWR),

	SROCE_OPCODE(RC_RDMA_READ_REQUEST,
		     RC_REQ | SROCE_OP_READ | SROCE_OP_ONLY | SROCE_OP_RETH |
		     SROCE_OP_ACKREQ),
	SROCE_OPCODE(RC_RDMA_READ_RESPONSE_FIRST,
		     RC_READ_RESP | SROCE_OP_FIRST | SROCE_OP_AETH),
	SROCE_OPCODE(RC_RDMA_READ_RESPONSE_MIDDLE,
		     RC_READ_RESP | SROCE_OP_MIDDLE),
	SROCE_OPCODE(RC_RDMA_READ_RESPONSE_LAST,
		     RC_READ_RESP | SROCE_OP_LAST | SROCE_OP_AETH),
	SROCE_OPCODE(RC_RDMA_READ_RESPONSE_ONLY,
		     RC_READ_RESP | SROCE_OP_ONLY | SROCE_OP_AETH),

	SROCE_OPCODE(RC_ACKNOWLEDGE, RC_ACK),
	SROCE_OPCODE(RC_ATOMIC_ACKNOWLEDGE,
		     RC_ACK | SROCE_OP_ATOMIC | SROCE_OP_ATMACK),
	SROCE_OPCODE(RC_COMPARE_SWAP, RC_ATOMIC),
	SROCE_OPCODE(RC_FETCH_ADD, RC_ATOMIC),

	SROCE_OPCODE(UD_SEND_ONLY, UD_SEND),
	SROCE_OPCODE(UD_SEND_ONLY_WITH_IMMEDIATE, UD_SEND | SROCE_OP_IMMDT),
};

/* A few spot checks of the derivation against the IBTA header layouts. */
static_assert(HDR_LEN(RC_ATOMIC) == 12 + 28);
static_assert(HDR_LEN(RC_ACK | SROCE_OP_ATMACK) == 12 + 4 + 8);
static_assert(OFF_IMMDT(RC_WRITE | SROCE_OP_RETH | SROCE_OP_IMMDT) == 12 + 16);
static_assert(OFF_IMMDT(UD_SEND | SROCE_OP_IMMDT) == 12 + 8);
static_assert(HDR_LEN(UD_SEND | SROCE_OP_IMMDT) == 12 + 8 + 4);
