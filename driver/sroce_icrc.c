// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the invariant CRC (ICRC) of RoCEv2 packets.
 *
 * The ICRC is the CRC-32 of Ethernet (polynomial 0x04c11db7, bit-reflected,
 * initial value all ones, result inverted) over the fields of a packet
 * that no router changes.  For RoCEv2 (IBTA Annex A17) it covers, in
 * order:
 *
 *   8 bytes of ones      standing for the masked LRH of an InfiniBand
 *                        packet, which RoCEv2 does not have
 *   the IP header        IPv4: TOS, TTL and header checksum masked to
 *                        ones; IPv6: traffic class, flow label and hop
 *                        limit masked to ones
 *   the UDP header       checksum masked to ones
 *   the BTH              its resv8a byte (FECN, BECN, resv6) masked to
 *                        ones
 *   the rest             extension headers, payload and pad, unmasked
 *
 * The inverted CRC is sent least significant byte first (as the Ethernet
 * FCS is), which is also what rdma_rxe puts on the wire on x86.  The
 * routers' fields are masked so that a changed TTL, DSCP/ECN marking or a
 * recomputed checksum do not break the packet; everything else (addresses,
 * lengths, the IPv4 identification and flags, ports) is covered.
 *
 * Both functions take a linear skb with the network header at the IP
 * header, the UDP header right behind it (no IPv4 options, no IPv6
 * extension headers; receive drops those first), the BTH right behind
 * that, and the packet ending with the 4 ICRC bytes at the tail.
 */

#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "sroce_hdr.h"
#include "sroce_net.h"

#define SROCE_ICRC_LRH		8	/* the dummy LRH: 8 bytes of ones */

static u32 sroce_icrc(const struct sk_buff *skb)
{
	/* dummy LRH, IPv6 (the larger) header, UDP, BTH: masked copies */
	u8 buf[SROCE_ICRC_LRH + sizeof(struct ipv6hdr) +
	       sizeof(struct udphdr) + sizeof(struct sroce_bth)];
	const u8 *nh = skb_network_header(skb);
	const u8 *rest, *end;
	struct sroce_bth *bth;
	struct udphdr *uh;
	unsigned int iplen;
	u32 crc;

	memset(buf, 0xff, SROCE_ICRC_LRH);
	if ((nh[0] >> 4) == 4) {
		struct iphdr *iph = (struct iphdr *)(buf + SROCE_ICRC_LRH);

		iplen = sizeof(*iph);
		memcpy(iph, nh, iplen);
		iph->tos = 0xff;
		iph->ttl = 0xff;
		iph->check = htons(0xffff);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(buf + SROCE_ICRC_LRH);

		iplen = sizeof(*ip6h);
		memcpy(ip6h, nh, iplen);
		/* version stays; traffic class and flow label become ones */
		ip6h->priority = 0xf;
		memset(ip6h->flow_lbl, 0xff, sizeof(ip6h->flow_lbl));
		ip6h->hop_limit = 0xff;
	}

	uh = (struct udphdr *)(buf + SROCE_ICRC_LRH + iplen);
	memcpy(uh, skb_transport_header(skb), sizeof(*uh) + sizeof(*bth));
	uh->check = htons(0xffff);
	bth = (struct sroce_bth *)(uh + 1);
	bth->qpn |= cpu_to_be32(SROCE_BTH_RESV8A_MASK);

	crc = crc32_le(~0U, buf, (u8 *)(bth + 1) - buf);

	rest = skb_transport_header(skb) + sizeof(*uh) + sizeof(*bth);
	end = skb_tail_pointer(skb) - SROCE_ICRC_SIZE;
	crc = crc32_le(crc, rest, end - rest);
	return ~crc;
}

/* Fill in the last 4 bytes of the packet, its ICRC. */
void sroce_icrc_set(struct sk_buff *skb)
{
	__le32 icrc = cpu_to_le32(sroce_icrc(skb));

	memcpy(skb_tail_pointer(skb) - SROCE_ICRC_SIZE, &icrc, sizeof(icrc));
}

/* Does the ICRC at the end of the packet match its contents? */
bool sroce_icrc_ok(const struct sk_buff *skb)
{
	__le32 icrc;

	memcpy(&icrc, skb_tail_pointer(skb) - SROCE_ICRC_SIZE, sizeof(icrc));
	return le32_to_cpu(icrc) == sroce_icrc(skb);
}
