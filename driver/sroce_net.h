/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sroce: the RoCEv2 wire below the transport engines.
 *
 * The engines build the transport headers (BTH and extension headers,
 * sroce_hdr.h) and the payload of a packet in an skb obtained from
 * sroce_pkt_alloc(), then hand it to sroce_pkt_xmit(), which appends the
 * ICRC, pushes UDP and IP and sends it on the path's netdev, or hands it
 * directly to the receive side when the destination is a GID of the
 * sending device (the loopback fast path: the same packet, its ICRC
 * neither computed nor checked).
 *
 * Receive: one UDP tunnel socket on port 4791 per network namespace that
 * has an sroce device (IPv4 and IPv6).  Its encap_rcv (softirq) finds the
 * device of the receiving netdev, checks UDP/BTH/ICRC, fills the skb's
 * struct sroce_pkt_info and calls sroce_rcv(), which may only validate and
 * queue the skb to its QP: faults and copies happen later in the QP's
 * engines (process context).  Malformed packets are dropped and counted.
 */
#ifndef SROCE_NET_H
#define SROCE_NET_H

#include <linux/skbuff.h>
#include <linux/in6.h>
#include <rdma/ib_verbs.h>

struct sroce_dev;
struct sroce_qp;

#define SROCE_UDP_PORT		4791
#define SROCE_ICRC_SIZE		4
#define SROCE_DEFAULT_TTL	64	/* hop limit when the AV gives 0 */

union sroce_ipaddr {
	__be32 v4;
	struct in6_addr v6;
};

/*
 * Where packets of a QP (RC: from modify_qp's address vector) or of a UD
 * work request (from its AH) go.  Resolved once by sroce_path_init(),
 * read-only afterwards, so any number of engines may send on a path at
 * the same time.  A path holds a reference on its source GID; copy it by
 * value only to move it (the copy owns the reference).
 */
struct sroce_path {
	const struct ib_gid_attr *sgid_attr;	/* referenced; source GID */
	int family;				/* AF_INET or AF_INET6 */
	union sroce_ipaddr saddr, daddr;
	u8 tos;				/* IPv4 TOS / IPv6 traffic class */
	u8 ttl;				/* hop limit, never 0 */
	u32 flow_label;			/* IPv6 flow label, UDP port entropy */
	u32 src_qpn;			/* 0 for a UD AH: taken from the DETH */
	struct sroce_dev *dst_dev;	/* set: loopback fast path target */
};

/*
 * What receive learned about a packet, in skb->cb.  When sroce_rcv() is
 * called, the skb
 *  - has its transport headers in the linear part, its data starts at
 *    the BTH and its length is that of the transport packet without the
 *    ICRC (BTH .. end of pad), also in @paylen; the payload may be in
 *    page fragments (read it with skb_copy_bits());
 *  - has passed these checks: UDP length, BTH TVer, the opcode is
 *    SROCE_OP_VALID, the length covers the opcode's headers, PadCnt and
 *    4-byte alignment agree, a payload only where the opcode has one,
 *    and (except on the fast path) the ICRC;
 *  - still has its IP and UDP headers in front of the data:
 *    skb_network_header() and skb_transport_header() point at them, on
 *    the fast path too;
 *  - has skb->dev = the receiving device's ndev, no dst, and no other
 *    meaning in skb->cb.
 * The payload must be treated as read-only (the skb may be a clone).
 */
struct sroce_pkt_info {
	union sroce_ipaddr saddr, daddr;
	__be16 sport;			/* UDP source port */
	u8 tos;				/* IPv4 TOS / IPv6 traffic class */
	u8 ttl;				/* TTL / hop limit */
	u8 family;			/* AF_INET or AF_INET6 */
	u8 loopback;			/* came through the fast path */
	u16 paylen;			/* BTH..end of pad, no ICRC */
};

static inline struct sroce_pkt_info *sroce_pkt(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct sroce_pkt_info) > sizeof(skb->cb));
	return (struct sroce_pkt_info *)skb->cb;
}

/*
 * Module init/exit.  Not called under RTNL, and neither are the per-device
 * calls below (they create and release sockets).
 */
int sroce_net_init(void);
void sroce_net_exit(void);

/*
 * Per device: take a reference on the UDP sockets of the netdev's network
 * namespace, creating them for the first device of the namespace.  Fails
 * with -EADDRINUSE when another socket has port 4791 there (rdma_rxe binds
 * it in the initial namespace as soon as it is loaded).  Call before the
 * device can receive (before it is published and registered); close is
 * safe on a device whose open failed or never ran.
 */
int sroce_net_dev_open(struct sroce_dev *sdev);
void sroce_net_dev_close(struct sroce_dev *sdev);
/* the namespace-wide rx_no_dev counter, for the device's hw counters */
u64 sroce_net_rx_no_dev(struct sroce_dev *sdev);

/*
 * Paths: resolve a RoCE address vector (GRH required; the source GID from
 * ah_attr->grh.sgid_attr must be a RoCEv2 GID of @sdev, the destination
 * of the same family) for packets from QP @src_qpn (0 for a UD AH).  The
 * UDP source port of each packet follows the IBTA convention
 * rdma_get_udp_sport(flow_label, local QPN, remote QPN), the remote QPN
 * taken from the BTH and, for a UD AH, the local one from the DETH, so
 * both directions of a connection hash to the same port.  Does not sleep:
 * may be called from create_ah in atomic context.
 */
int sroce_path_init(struct sroce_dev *sdev, struct sroce_path *path,
		    const struct rdma_ah_attr *ah_attr, u32 src_qpn);
void sroce_path_release(struct sroce_path *path);

/*
 * A packet of @hdr_len transport header bytes (zeroed) and @payload_len
 * further bytes (payload and pad, not initialised) with headroom for
 * UDP/IP/L2 and tailroom for the ICRC; skb->data at the BTH, length
 * hdr_len + payload_len.  hdr_len must cover at least the BTH.  Sleeps
 * (GFP_KERNEL): engines run in process context.  NULL on failure.
 */
struct sk_buff *sroce_pkt_alloc(struct sroce_dev *sdev,
				const struct sroce_path *path,
				unsigned int hdr_len, unsigned int payload_len);

/*
 * Payload by reference.  On the loopback fast path the payload of a
 * packet need not be copied into the packet: the engine that builds it
 * allocates no room for it (@payload_len 0 above), and sroce_mr_copy_skb()
 * / sroce_sge_copy_skb() from a region at the end of the packet append
 * page fragments that reference the region's pages instead of copying.
 * The receiving engine copies from those pages straight into its region:
 * one copy of each byte instead of two, and no packet buffer to allocate
 * (and zero: Debian's kernels initialise every page they hand out) per
 * payload byte.  sroce_pkt_by_ref() says whether a packet of @payload
 * bytes gathered from @num_sge SGEs on @path may be built so (the caller
 * also needs the sender's buffer to stay unchanged until the receiver has
 * copied it: RC requests and read responses, not UD, whose send completes
 * when sent).  Such a packet always takes the fast path.
 */
bool sroce_pkt_by_ref(const struct sroce_path *path, u32 payload,
		      u32 num_sge);

/*
 * Send a packet from sroce_pkt_alloc() whose BTH (and DETH) are filled
 * in; not a clone: UDP, IP and the ICRC are written into its head and
 * tail room.  Consumes the skb in every case and uses skb->cb.  Returns
 * 0 once the packet is on its way.  An error means it was lost, as if
 * dropped on the wire: -ENOBUFS when the local queue is congested (qdisc
 * drop), other errors for no route, no source netdev or a packet larger
 * than the path MTU.  Counted in tx_packets/tx_bytes or tx_errors.
 *
 * On the loopback fast path sroce_rcv() runs synchronously, inside this
 * call, with bottom halves disabled: the caller must not hold any lock
 * sroce_rcv() may take.  Does not sleep.  With @run set, the QP the fast
 * path queued the packet on is not scheduled but returned in *@run with
 * a reference, for the caller to run (or schedule) and put; *@run stays
 * NULL otherwise.
 */
int sroce_pkt_xmit(struct sroce_dev *sdev, const struct sroce_path *path,
		   struct sk_buff *skb, struct sroce_qp **run);

/*
 * Receive entry of the transport (sroce_recv.c), for a packet that
 * arrived on @sdev; consumes the skb.  Runs in softirq (UDP) or with
 * bottom halves disabled (fast path); the caller holds a registration
 * reference on @sdev (ib_device_try_get) for the duration of the call.
 * An skb it queues on a QP is covered by that QP's lifetime: QPs are
 * destroyed, and their queues purged, before the device goes away.  It
 * must not send packets itself.  @run: see sroce_pkt_xmit(); NULL when
 * the packet came from the network.
 */
void sroce_rcv(struct sroce_dev *sdev, struct sk_buff *skb,
	       struct sroce_qp **run);

/* Wire internals (sroce_icrc.c): linear skbs with IP, UDP, BTH, ICRC. */
void sroce_icrc_set(struct sk_buff *skb);
bool sroce_icrc_ok(const struct sk_buff *skb);

#endif /* SROCE_NET_H */
