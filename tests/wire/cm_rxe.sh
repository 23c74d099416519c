#!/bin/bash
# rdma_cm across a wire.  (1) Two sroce devices, one in the initial
# namespace and one in namespace scb, joined by a veth pair: rping (both
# ways), ucmatose, udaddy, perftest -R (ODP too).  (2) Interoperability
# with stock rdma_rxe: rxe0 in the initial namespace (rxe binds UDP 4791
# there), sroce in namespace scr, over a veth pair; rping (validated),
# ucmatose, udaddy and perftest -R (send, write) with each side as server
# and as client.  The CM's MADs, and so the GSI QP's wire format
# (QP1, GSI Q_Key, P_Key, GRH handed to ib_mad), are exercised against an
# independent implementation.  No QP may be left behind.
# timeout: 900
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/cm.sh"
. "$(dirname "$0")/../lib/wire.sh"

require_cmd rping ucmatose udaddy ib_send_bw ib_write_bw
wire_rxe_trap
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce

# ---- (1) sroce73 (initial namespace) <-> sroce74 (namespace scb) -------
SROCE_NETNS+=(scb)
assert_ok ip netns add scb
assert_ok ip -n scb link set lo up
assert_ok sroce_netdev_add scv0 type veth peer name scv1 netns scb
assert_ok ip addr add 192.0.2.51/24 dev scv0
assert_ok ip -n scb addr add 192.0.2.52/24 dev scv1
assert_ok ip link set scv0 up
assert_ok ip -n scb link set scv1 up
assert_ok wire_neigh "" scv0 192.0.2.51 scb scv1 192.0.2.52
assert_ok sroce_link_add sroce73 scv0
assert_ok sroce_link_add sroce74 scv1 scb
wait_for "gid_index sroce73 $(ipv4_gid 192.0.2.51) >/dev/null" 10 || fail "sroce73: no GID"
wait_for "gid_index sroce74 $(ipv4_gid 192.0.2.52) >/dev/null" 10 || fail "sroce74: no GID"

cm_pair "sroce-sroce: rping 200 x 4 KiB validated" 7100 "" \
	rping -s -a 192.0.2.51 -p 7100 -C 200 -S 4096 -V -- \
	scb rping -c -a 192.0.2.51 -p 7100 -C 200 -S 4096 -V
cm_pair "sroce-sroce: ucmatose, 4 connections" 7471 "" \
	ucmatose -b 192.0.2.51 -c 4 -C 50 -- \
	scb ucmatose -s 192.0.2.51 -c 4 -C 50
cm_pair "sroce-sroce: udaddy, 2 endpoints" 7174 "" \
	udaddy -b 192.0.2.51 -c 2 -C 50 -- \
	scb udaddy -s 192.0.2.51 -c 2 -C 50
cm_pair "sroce-sroce: ib_send_bw -R" 18515 "" \
	ib_send_bw -R -d sroce73 -n 200 -s 65536 -- \
	scb ib_send_bw -R -d sroce74 -n 200 -s 65536 192.0.2.51
cm_pair "sroce-sroce: ib_write_bw -R --odp" 18515 "" \
	ib_write_bw -R -d sroce73 -n 200 -s 65536 --odp -- \
	scb ib_write_bw -R -d sroce74 -n 200 -s 65536 --odp 192.0.2.51
cm_pair "sroce-sroce: rping, server in namespace scb" 7101 scb \
	rping -s -a 192.0.2.52 -p 7101 -C 100 -V -- \
	"" rping -c -a 192.0.2.52 -p 7101 -C 100 -V
for d in sroce73 sroce74; do
	wait_for "[ \$(cm_qp_count $d) = 0 ]" 20
	cm_eq "user QPs left on $d" "$(cm_qp_count $d)" 0
done
# rxe binds port 4791 of the initial namespace
assert_ok rdma link delete sroce73

# ---- (2) rxe0 (initial namespace) <-> sroce75 (namespace scr) ------------
if ! modinfo rdma_rxe >/dev/null 2>&1; then
	echo "# rdma_rxe is not available: no interoperability part"
	cm_summary
	exit 0
fi
# Neighbour entries (wire_rxe_hosts pins them): rdma_cm gives address
# resolution 2 s, and ARP on a loaded TCG guest may take longer.
wire_rxe_hosts scr scx 198.51.100.41 198.51.100.42 sroce75
for srv in rxe sroce; do
	if [ $srv = rxe ]; then
		s=198.51.100.41 sns="" cns=scr sdev=rxe0 cdev=sroce75 tag="server rxe, client sroce"
	else
		s=198.51.100.42 sns=scr cns="" sdev=sroce75 cdev=rxe0 tag="server sroce, client rxe"
	fi
	cm_pair "rping 200 x 4 KiB validated, $tag" 7100 "$sns" \
		rping -s -a $s -p 7100 -C 200 -S 4096 -V -- \
		"$cns" rping -c -a $s -p 7100 -C 200 -S 4096 -V
	cm_pair "ucmatose 4 connections, $tag" 7471 "$sns" \
		ucmatose -b $s -c 4 -C 50 -- \
		"$cns" ucmatose -s $s -c 4 -C 50
	cm_pair "udaddy, $tag" 7174 "$sns" \
		udaddy -b $s -c 2 -C 50 -- \
		"$cns" udaddy -s $s -c 2 -C 50
	for tool in ib_send_bw ib_write_bw; do
		cm_pair "$tool -R, $tag" 18515 "$sns" \
			$tool -R -d $sdev -n 200 -s 65536 -- \
			"$cns" $tool -R -d $cdev -n 200 -s 65536 $s
	done
done

for d in sroce75; do
	wait_for "[ \$(cm_qp_count $d) = 0 ]" 20
	cm_eq "user QPs left on $d" "$(cm_qp_count $d)" 0
done
cm_summary
