// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sroce: the RoCEv2 wire (see sroce_net.h): per-namespace UDP sockets,
 * paths, transmit, receive and the loopback fast path.
 *
 * TRANSMIT builds the UDP and IP headers itself, computes the ICRC over
 * them and sends with ip_local_out()/ip6_local_out(), as rdma_rxe does.
 * udp_tunnel_xmit_skb() cannot be used: the ICRC covers the IPv4
 * identification, which that function only chooses after the last moment
 * sroce could compute the ICRC.  The route is looked up per packet in the
 * namespace of the source GID's netdev, restricted to that netdev.  The
 * IPv4 UDP checksum is zero (RoCEv2, as rxe); the IPv6 one is computed
 * (offloaded where the netdev can), since a zero IPv6 UDP checksum is only
 * accepted by receivers configured for it.  The ICRC does not depend on
 * either: it masks the UDP checksum.
 *
 * RECEIVE runs in the UDP socket's encap_rcv, in softirq: find the device,
 * check the packet, deliver it to sroce_rcv().  The device of a packet is
 * the sroce device of the netdev it arrived on, with two refinements:
 * packets that arrive on a loopback netdev (a local source sent them to a
 * local address) belong to the device of the netdev that owns the
 * destination address, if it has one; and packets that arrive on a VLAN
 * netdev belong to the device of its real netdev (whose GID table holds
 * the VLAN's addresses).
 *
 * THE LOOPBACK FAST PATH.  A path whose destination GID is a GID of the
 * sending device gets path->dst_dev.  Its packets skip the IP stack: the
 * UDP and IP headers are pushed exactly as for the wire, then the skb goes
 * to the same delivery code as a received packet.  It is wire-equivalent
 * because the packet sroce_rcv() gets is byte for byte the one the wire
 * path would have delivered: same headers, same checks of TVer, opcode
 * and lengths already satisfied by construction, same struct
 * sroce_pkt_info.  What it skips: routing, netfilter, qdiscs and the
 * loopback netdev (so tc/nft rules on lo do not see these packets), the
 * UDP socket lookup, and the ICRC, which is only computed and checked
 * where a packet crosses something that could corrupt it.  The module
 * parameter fast_loopback=0 sends them through the stack instead (tests of
 * the full path on a single device).
 */

#include <linux/module.h>
#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "sroce.h"
#include "sroce_hdr.h"
#include "sroce_net.h"

static bool sroce_fast_loopback = true;
module_param_named(fast_loopback, sroce_fast_loopback, bool, 0644);
MODULE_PARM_DESC(fast_loopback,
		 "Hand packets to QPs of the same device without the IP stack");

/* The largest transport packet (BTH..pad) an IPv4 datagram can carry. */
#define SROCE_MAX_PKT_LEN	(U16_MAX - sizeof(struct iphdr) - \
				 sizeof(struct udphdr) - SROCE_ICRC_SIZE)
/* Headroom for the headers sroce pushes in front of the BTH. */
#define SROCE_NET_HLEN		(sizeof(struct ipv6hdr) + sizeof(struct udphdr))

/*
 * struct sroce_netns - the RoCEv2 UDP sockets of one network namespace.
 *
 * Created by the first sroce_net_dev_open() of a namespace, freed by the
 * last sroce_net_dev_close(): @users counts the devices holding it.
 * sroce_net_mutex guards sroce_netns_list, @list, @users, @sock4 and
 * @sock6; it is taken in process context only and never under RTNL by
 * sroce (socket release does not need RTNL for these sockets: they never
 * join multicast groups).
 *
 * @net is not a counted reference: a counted one would keep the namespace
 * alive, and with it its netdevs and so the devices that hold the entry.
 * Normally the devices of a namespace go away before it does (their
 * netdevs are unregistered first, and the namespace's teardown waits for
 * the device's netdev reference), so the entry is gone before @net dies.
 * A netdev that moves to another namespace leaves its device (removed
 * asynchronously) holding the entry of the old namespace; if that
 * namespace dies first, sroce_net_ns_exit() releases the sockets and
 * takes the entry off the list (an orphan: @list empty, no sockets), and
 * the last close frees it.  @net of an orphan is never dereferenced.
 *
 * Receive finds the entry through the sockets' sk_user_data, under RCU;
 * udp_tunnel_sock_release() clears it and waits for readers.
 */
struct sroce_netns {
	struct list_head list;
	struct net *net;
	unsigned int users;
	struct socket *sock4;
	struct socket *sock6;		/* NULL when IPv6 is disabled */
	atomic64_t rx_no_dev;		/* packets without a device */
};

static DEFINE_MUTEX(sroce_net_mutex);
static LIST_HEAD(sroce_netns_list);

/* ---- receive --------------------------------------------------------- */

/* The netdev owning the destination address of @skb (compare only). */
static struct net_device *sroce_daddr_owner(const struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	if (ip_hdr(skb)->version == 4)
		return __ip_dev_find(net, ip_hdr(skb)->daddr, false);
	return ipv6_dev_find(net, &ipv6_hdr(skb)->daddr, NULL);
}

/* The device @skb was sent to, referenced (see the top of this file). */
static struct sroce_dev *sroce_rx_dev(const struct sk_buff *skb)
{
	struct net_device *ndev = skb->dev;
	struct net_device *owner;
	struct sroce_dev *sdev;

	if (ndev->flags & IFF_LOOPBACK) {
		owner = sroce_daddr_owner(skb);
		if (owner && owner != ndev) {
			sdev = sroce_dev_get_by_ndev(owner);
			if (sdev)
				return sdev;
		}
	}
	sdev = sroce_dev_get_by_ndev(ndev);
	if (!sdev && is_vlan_dev(ndev))
		sdev = sroce_dev_get_by_ndev(vlan_dev_real_dev(ndev));
	return sdev;
}

/*
 * IP and UDP as RoCEv2 uses them: no IPv4 options, no IPv6 extension
 * headers (the ICRC is defined over a plain IP header followed by UDP),
 * and a UDP length that matches the datagram.
 */
static bool sroce_rx_udp_ok(const struct sk_buff *skb)
{
	unsigned int iplen = skb_network_header_len(skb);

	if (ip_hdr(skb)->version == 4) {
		if (iplen != sizeof(struct iphdr) || ip_hdr(skb)->ihl != 5)
			return false;
	} else if (iplen != sizeof(struct ipv6hdr)) {
		return false;
	}
	return ntohs(udp_hdr(skb)->len) == skb->len;
}

/*
 * Check a packet whose data starts at its UDP header; on failure tell
 * why in @why.  Linearizes the skb.
 */
static bool sroce_rx_check(struct sk_buff *skb, enum sroce_stat *why)
{
	const struct sroce_opcode_info *info;
	const struct sroce_bth *bth;
	unsigned int paylen, data, pad;

	if (!sroce_rx_udp_ok(skb)) {
		*why = SROCE_STAT_RX_BAD_UDP;
		return false;
	}
	if (skb->len < sizeof(struct udphdr) + sizeof(*bth) + SROCE_ICRC_SIZE) {
		*why = SROCE_STAT_RX_SHORT;
		return false;
	}
	if (skb_linearize(skb)) {
		*why = SROCE_STAT_RX_NO_MEM;
		return false;
	}

	bth = (const struct sroce_bth *)(udp_hdr(skb) + 1);
	if (sroce_bth_tver(bth) != SROCE_TVER) {
		*why = SROCE_STAT_RX_BAD_VERSION;
		return false;
	}
	info = sroce_opcode_info(bth->opcode);
	if (!(info->flags & SROCE_OP_VALID)) {
		*why = SROCE_STAT_RX_BAD_OPCODE;
		return false;
	}
	paylen = skb->len - sizeof(struct udphdr) - SROCE_ICRC_SIZE;
	if (paylen < info->hdr_len) {
		*why = SROCE_STAT_RX_SHORT;
		return false;
	}
	/* payload and pad: 4-byte aligned, pad within, only where allowed */
	data = paylen - info->hdr_len;
	pad = sroce_bth_pad(bth);
	if (pad > data || (data & 3) ||
	    (data && !(info->flags & SROCE_OP_PAYLOAD))) {
		*why = SROCE_STAT_RX_BAD_LENGTH;
		return false;
	}
	if (!sroce_icrc_ok(skb)) {
		*why = SROCE_STAT_RX_BAD_ICRC;
		return false;
	}
	return true;
}

/*
 * Hand a checked packet to the transport: fill struct sroce_pkt_info from
 * its headers, strip UDP (and the ICRC, which the fast path does not
 * add), count it and call sroce_rcv().  The skb's data is at the UDP
 * header; it is linear, except on the fast path, whose payload may be in
 * page fragments (and which has nothing to trim).  The caller holds a
 * registration reference on @sdev.
 */
static void sroce_deliver(struct sroce_dev *sdev, struct sk_buff *skb,
			  bool loopback, struct sroce_qp **run)
{
	struct sroce_pkt_info *pi = sroce_pkt(skb);
	__be16 sport = udp_hdr(skb)->source;
	unsigned int len;

	len = skb->len - sizeof(struct udphdr);
	if (!loopback)
		len -= SROCE_ICRC_SIZE;

	memset(pi, 0, sizeof(*pi));
	if (ip_hdr(skb)->version == 4) {
		const struct iphdr *iph = ip_hdr(skb);

		pi->family = AF_INET;
		pi->saddr.v4 = iph->saddr;
		pi->daddr.v4 = iph->daddr;
		pi->tos = iph->tos;
		pi->ttl = iph->ttl;
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		pi->family = AF_INET6;
		pi->saddr.v6 = ip6h->saddr;
		pi->daddr.v6 = ip6h->daddr;
		pi->tos = ipv6_get_dsfield(ip6h);
		pi->ttl = ip6h->hop_limit;
	}
	pi->sport = sport;
	pi->loopback = loopback;
	pi->paylen = len;

	__skb_pull(skb, sizeof(struct udphdr));
	skb_trim(skb, len);
	skb->ip_summed = CHECKSUM_NONE;
	/*
	 * The skb may wait on a QP: drop what only the stack may use, and
	 * (fast path) give the sender's transmit charge back.
	 */
	skb_orphan(skb);
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb->dev = sdev->ndev;

	sroce_stat_inc(sdev, SROCE_STAT_RX_PACKETS);
	sroce_stat_add(sdev, SROCE_STAT_RX_BYTES, len);
	sroce_rcv(sdev, skb, run);
}

/* encap_rcv of the RoCEv2 sockets; softirq, RCU read side. */
static int sroce_udp_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct sroce_netns *sn = rcu_dereference_sk_user_data(sk);
	struct sroce_dev *sdev;
	enum sroce_stat why;

	if (!sn)
		goto drop;
	sdev = sroce_rx_dev(skb);
	if (!sdev) {
		atomic64_inc(&sn->rx_no_dev);
		goto drop;
	}
	if (!sroce_rx_check(skb, &why)) {
		sroce_stat_inc(sdev, why);
		ib_device_put(&sdev->ibdev);
		goto drop;
	}
	sroce_deliver(sdev, skb, false, NULL);
	ib_device_put(&sdev->ibdev);
	return 0;

drop:
	kfree_skb(skb);
	return 0;
}

/* ---- sockets --------------------------------------------------------- */

static struct socket *sroce_udp_sock(struct net *net, struct sroce_netns *sn,
				     bool ipv6)
{
	struct udp_tunnel_sock_cfg tnl_cfg = {
		.sk_user_data = sn,
		.encap_type = 1,
		.encap_rcv = sroce_udp_encap_rcv,
	};
	struct udp_port_cfg udp_cfg = {
		.family = ipv6 ? AF_INET6 : AF_INET,
		.local_udp_port = htons(SROCE_UDP_PORT),
		/*
		 * IPv6: accept a zero UDP checksum (rxe sends those); a
		 * non-zero one is still verified by UDP.
		 */
		.use_udp6_rx_checksums = 0,
		.ipv6_v6only = ipv6,
	};
	struct socket *sock;
	int err;

	err = udp_sock_create(net, &udp_cfg, &sock);
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock, &tnl_cfg);
	return sock;
}

/* Caller holds sroce_net_mutex. */
static void sroce_netns_release_socks(struct sroce_netns *sn)
{
	if (sn->sock6)
		udp_tunnel_sock_release(sn->sock6);
	if (sn->sock4)
		udp_tunnel_sock_release(sn->sock4);
	sn->sock6 = NULL;
	sn->sock4 = NULL;
}

/* Caller holds sroce_net_mutex. */
static struct sroce_netns *sroce_netns_find(const struct net *net)
{
	struct sroce_netns *sn;

	list_for_each_entry(sn, &sroce_netns_list, list)
		if (net_eq(sn->net, net))
			return sn;
	return NULL;
}

/* Caller holds sroce_net_mutex and a reference on @net. */
static struct sroce_netns *sroce_netns_create(struct net *net,
					      const char *ndev_name)
{
	struct sroce_netns *sn;
	int err;

	sn = kzalloc(sizeof(*sn), GFP_KERNEL);
	if (!sn)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&sn->list);
	sn->net = net;
	atomic64_set(&sn->rx_no_dev, 0);

	sn->sock4 = sroce_udp_sock(net, sn, false);
	if (IS_ERR(sn->sock4)) {
		err = PTR_ERR(sn->sock4);
		sn->sock4 = NULL;
		goto err_free;
	}
	sn->sock6 = sroce_udp_sock(net, sn, true);
	if (IS_ERR(sn->sock6)) {
		err = PTR_ERR(sn->sock6);
		sn->sock6 = NULL;
		/* IPv6 disabled (ipv6.disable=1): IPv4 only */
		if (err != -EAFNOSUPPORT)
			goto err_release;
	}
	return sn;

err_release:
	sroce_netns_release_socks(sn);
err_free:
	kfree(sn);
	if (err == -EADDRINUSE)
		pr_err("sroce: %s: UDP port %u already in use in its netns (rdma_rxe loaded?)\n",
		       ndev_name, SROCE_UDP_PORT);
	else
		pr_err("sroce: cannot create the RoCEv2 UDP sockets for %s: %d\n",
		       ndev_name, err);
	return ERR_PTR(err);
}

int sroce_net_dev_open(struct sroce_dev *sdev)
{
	struct net *net = dev_net(sdev->ndev);
	struct sroce_netns *sn;
	int err = 0;

	/* Keep the namespace from starting its teardown meanwhile. */
	if (!maybe_get_net(net))
		return -ENODEV;

	mutex_lock(&sroce_net_mutex);
	sn = sroce_netns_find(net);
	if (!sn) {
		sn = sroce_netns_create(net, sdev->ndev->name);
		if (IS_ERR(sn)) {
			err = PTR_ERR(sn);
			goto out;
		}
		list_add(&sn->list, &sroce_netns_list);
	}
	sn->users++;
	sdev->netns = sn;
out:
	mutex_unlock(&sroce_net_mutex);
	put_net(net);
	return err;
}

void sroce_net_dev_close(struct sroce_dev *sdev)
{
	struct sroce_netns *sn = sdev->netns;

	if (!sn)
		return;
	sdev->netns = NULL;

	mutex_lock(&sroce_net_mutex);
	if (--sn->users == 0) {
		list_del_init(&sn->list);
		sroce_netns_release_socks(sn);
		kfree(sn);
	}
	mutex_unlock(&sroce_net_mutex);
}

u64 sroce_net_rx_no_dev(struct sroce_dev *sdev)
{
	return sdev->netns ? atomic64_read(&sdev->netns->rx_no_dev) : 0;
}

/* A namespace dies: release its sockets should a device still hold them. */
static void __net_exit sroce_net_ns_exit(struct net *net)
{
	struct sroce_netns *sn;

	mutex_lock(&sroce_net_mutex);
	sn = sroce_netns_find(net);
	if (sn) {
		list_del_init(&sn->list);
		sroce_netns_release_socks(sn);
	}
	mutex_unlock(&sroce_net_mutex);
}

static struct pernet_operations sroce_net_ops = {
	.exit = sroce_net_ns_exit,
};

int sroce_net_init(void)
{
	return register_pernet_subsys(&sroce_net_ops);
}

void sroce_net_exit(void)
{
	unregister_pernet_subsys(&sroce_net_ops);
	/*
	 * No device, so no socket, is left.  A receive that looked up a
	 * socket just before its release may still be running our
	 * encap_rcv: wait for it before the module text goes away.
	 */
	synchronize_rcu();
}

/* ---- paths ----------------------------------------------------------- */

int sroce_path_init(struct sroce_dev *sdev, struct sroce_path *path,
		    const struct rdma_ah_attr *ah_attr, u32 src_qpn)
{
	const struct ib_global_route *grh;
	const struct ib_gid_attr *sgid_attr;
	const struct in6_addr *s6, *d6;

	if (ah_attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(ah_attr) & IB_AH_GRH))
		return -EINVAL;
	grh = rdma_ah_read_grh(ah_attr);
	sgid_attr = grh->sgid_attr;
	if (!sgid_attr || sgid_attr->device != &sdev->ibdev ||
	    sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EINVAL;
	s6 = (const struct in6_addr *)sgid_attr->gid.raw;
	d6 = (const struct in6_addr *)grh->dgid.raw;
	if (ipv6_addr_v4mapped(s6) != ipv6_addr_v4mapped(d6))
		return -EINVAL;

	memset(path, 0, sizeof(*path));
	if (ipv6_addr_v4mapped(s6)) {
		path->family = AF_INET;
		path->saddr.v4 = s6->s6_addr32[3];
		path->daddr.v4 = d6->s6_addr32[3];
	} else {
		path->family = AF_INET6;
		path->saddr.v6 = *s6;
		path->daddr.v6 = *d6;
	}
	path->tos = grh->traffic_class;
	path->ttl = grh->hop_limit ?: SROCE_DEFAULT_TTL;
	path->flow_label = grh->flow_label & IB_GRH_FLOWLABEL_MASK;
	path->src_qpn = src_qpn;

	/* A destination among our own GIDs: the loopback fast path. */
	if (sroce_gid_is_local(sdev, &grh->dgid))
		path->dst_dev = sdev;

	rdma_hold_gid_attr(sgid_attr);
	path->sgid_attr = sgid_attr;
	return 0;
}

void sroce_path_release(struct sroce_path *path)
{
	if (path->sgid_attr)
		rdma_put_gid_attr(path->sgid_attr);
	path->sgid_attr = NULL;
}

/* ---- transmit -------------------------------------------------------- */

/*
 * An skb for @size bytes of packet.  Its head comes from the per-CPU page
 * fragment cache, as a NIC driver's receive buffers do, rather than from
 * kmalloc: an MTU-sized packet (4 KiB payload and headers) does not fit a
 * kmalloc-4k object, and kmalloc-8k costs twice the memory and, with
 * init_on_alloc (Debian's default), zeroing 8 KiB per packet - as much as
 * copying the payload twice.  Fragment pages are zeroed once and reused
 * while their packets come and go.  Falls back to alloc_skb().
 */
static struct sk_buff *sroce_skb_alloc(unsigned int size)
{
	unsigned int fragsz = SKB_DATA_ALIGN(size) +
			      SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	struct sk_buff *skb;
	void *data;

	data = netdev_alloc_frag(fragsz);
	if (data) {
		skb = build_skb(data, fragsz);
		if (skb)
			return skb;
		skb_free_frag(data);
	}
	return alloc_skb(size, GFP_KERNEL);
}

struct sk_buff *sroce_pkt_alloc(struct sroce_dev *sdev,
				const struct sroce_path *path,
				unsigned int hdr_len, unsigned int payload_len)
{
	unsigned int headroom = LL_RESERVED_SPACE(sdev->ndev) + SROCE_NET_HLEN;
	unsigned int len = hdr_len + payload_len;
	struct sk_buff *skb;

	if (WARN_ON_ONCE(hdr_len < sizeof(struct sroce_bth) ||
			 payload_len > SROCE_MAX_PKT_LEN ||
			 len > SROCE_MAX_PKT_LEN))
		return NULL;

	skb = sroce_skb_alloc(headroom + len + SROCE_ICRC_SIZE);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	memset(skb_put(skb, len), 0, hdr_len);
	skb->protocol = path->family == AF_INET ? htons(ETH_P_IP) :
						  htons(ETH_P_IPV6);
	return skb;
}

/*
 * At most this many SGEs per packet by reference: a payload of at most
 * 4096 bytes over k SGEs touches at most 2k + 1 pages, each one fragment,
 * and MAX_SKB_FRAGS is at least 17.  Below SROCE_REF_MIN bytes a copy is
 * cheaper than the page references.
 */
#define SROCE_REF_MAX_SGE	4
#define SROCE_REF_MIN		512

bool sroce_pkt_by_ref(const struct sroce_path *path, u32 payload,
		      u32 num_sge)
{
	BUILD_BUG_ON(2 * SROCE_REF_MAX_SGE + 1 > MAX_SKB_FRAGS);
	return path->dst_dev && READ_ONCE(sroce_fast_loopback) &&
	       payload >= SROCE_REF_MIN && payload <= SZ_4K &&
	       !(payload & 3) && num_sge <= SROCE_REF_MAX_SGE;
}

/* IBTA's UDP source port for the packet at skb->data (its BTH). */
static __be16 sroce_sport(const struct sroce_path *path,
			  const struct sk_buff *skb)
{
	const struct sroce_bth *bth = (const struct sroce_bth *)skb->data;
	const struct sroce_opcode_info *info = sroce_opcode_info(bth->opcode);
	u32 lqpn = path->src_qpn;

	if (!lqpn && (info->flags & SROCE_OP_DETH) &&
	    skb->len >= info->deth_off + sizeof(struct sroce_deth))
		lqpn = sroce_deth_sqp(sroce_hdr_at(skb->data, info->deth_off));
	return htons(rdma_get_udp_sport(path->flow_label, lqpn,
					sroce_bth_qpn(bth)));
}

/* Push UDP and IP in front of the BTH; the result is the wire packet. */
static void sroce_push_headers(struct net *net, const struct sroce_path *path,
			       struct sk_buff *skb, __be16 sport)
{
	struct udphdr *uh;

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = sport;
	uh->dest = htons(SROCE_UDP_PORT);
	uh->len = htons(skb->len);
	uh->check = 0;

	if (path->family == AF_INET) {
		struct iphdr *iph = skb_push(skb, sizeof(*iph));

		skb_reset_network_header(skb);
		iph->version = 4;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tos = path->tos;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->ttl = path->ttl;
		iph->protocol = IPPROTO_UDP;
		iph->saddr = path->saddr.v4;
		iph->daddr = path->daddr.v4;
		__ip_select_ident(net, iph, 1);
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h = skb_push(skb, sizeof(*ip6h));

		skb_reset_network_header(skb);
		ip6_flow_hdr(ip6h, path->tos, htonl(path->flow_label));
		ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
		ip6h->nexthdr = IPPROTO_UDP;
		ip6h->hop_limit = path->ttl;
		ip6h->saddr = path->saddr.v6;
		ip6h->daddr = path->daddr.v6;
		skb->protocol = htons(ETH_P_IPV6);
	}
}

/*
 * Route, headers, ICRC, send: IPv4.  Consumes the skb; returns 0, a
 * NET_XMIT_* code or -errno.
 */
static int sroce_xmit4(const struct sroce_path *path, struct net_device *ndev,
		       struct sk_buff *skb, __be16 sport)
{
	struct net *net = dev_net(ndev);
	struct flowi4 fl4 = {
		.flowi4_oif = ndev->ifindex,
		.flowi4_proto = IPPROTO_UDP,
		.saddr = path->saddr.v4,
		.daddr = path->daddr.v4,
		.fl4_sport = sport,
		.fl4_dport = htons(SROCE_UDP_PORT),
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	skb_dst_set(skb, &rt->dst);

	sroce_push_headers(net, path, skb, sport);
	sroce_icrc_set(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb->ip_summed = CHECKSUM_NONE;
	return ip_local_out(net, NULL, skb);
}

/* The same for IPv6. */
static int sroce_xmit6(const struct sroce_path *path, struct net_device *ndev,
		       struct sk_buff *skb, __be16 sport)
{
	struct net *net = dev_net(ndev);
	struct flowi6 fl6 = {
		.flowi6_oif = ndev->ifindex,
		.flowi6_proto = IPPROTO_UDP,
		.daddr = path->daddr.v6,
		.saddr = path->saddr.v6,
		.flowlabel = ip6_make_flowinfo(path->tos, htonl(path->flow_label)),
		.fl6_sport = sport,
		.fl6_dport = htons(SROCE_UDP_PORT),
	};
	struct dst_entry *dst;

	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst)) {
		kfree_skb(skb);
		return PTR_ERR(dst);
	}
	skb_dst_set(skb, dst);

	sroce_push_headers(net, path, skb, sport);
	sroce_icrc_set(skb);
	skb->ip_summed = CHECKSUM_NONE;
	udp6_set_csum(false, skb, &path->saddr.v6, &path->daddr.v6,
		      skb->len - sizeof(struct ipv6hdr));
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	return ip6_local_out(net, NULL, skb);
}

/*
 * The loopback fast path (see the top of this file): the packet of the
 * wire without its ICRC, delivered as if received.
 */
static int sroce_loopback(struct sroce_dev *sdev, const struct sroce_path *path,
			  struct sk_buff *skb, __be16 sport, struct sroce_qp **run)
{
	unsigned int len = skb->len;

	sroce_push_headers(dev_net(sdev->ndev), path, skb, sport);
	__skb_pull(skb, skb_transport_offset(skb));

	/* The same gate as receive: a device being removed takes nothing. */
	if (!ib_device_try_get(&sdev->ibdev)) {
		atomic64_inc(&sdev->netns->rx_no_dev);
		sroce_stat_inc(sdev, SROCE_STAT_TX_ERRORS);
		kfree_skb(skb);
		return -ENODEV;
	}
	sroce_stat_inc(sdev, SROCE_STAT_TX_PACKETS);
	sroce_stat_add(sdev, SROCE_STAT_TX_BYTES, len);

	local_bh_disable();
	sroce_deliver(sdev, skb, true, run);
	local_bh_enable();
	ib_device_put(&sdev->ibdev);
	return 0;
}

int sroce_pkt_xmit(struct sroce_dev *sdev, const struct sroce_path *path,
		   struct sk_buff *skb, struct sroce_qp **run)
{
	unsigned int len = skb->len;
	struct net_device *ndev;
	__be16 sport;
	int err;

	sport = sroce_sport(path, skb);
	/* a packet built for the fast path (by reference) takes it */
	if (path->dst_dev &&
	    (READ_ONCE(sroce_fast_loopback) || skb_is_nonlinear(skb)))
		return sroce_loopback(sdev, path, skb, sport, run);

	skb_put(skb, SROCE_ICRC_SIZE);
	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(path->sgid_attr);
	if (IS_ERR(ndev)) {
		err = PTR_ERR(ndev);
		kfree_skb(skb);
	} else if (path->family == AF_INET) {
		err = sroce_xmit4(path, ndev, skb, sport);
	} else {
		err = sroce_xmit6(path, ndev, skb, sport);
	}
	rcu_read_unlock();

	if (err > 0)
		err = net_xmit_errno(err);
	if (err) {
		sroce_stat_inc(sdev, SROCE_STAT_TX_ERRORS);
		return err;
	}
	sroce_stat_inc(sdev, SROCE_STAT_TX_PACKETS);
	sroce_stat_add(sdev, SROCE_STAT_TX_BYTES, len);
	return 0;
}
