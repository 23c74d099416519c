#!/bin/bash
# sroce and rdma_rxe share the RoCEv2 port 4791: rxe binds it in the
# initial namespace when it is loaded, sroce in each namespace that has an
# sroce device.  In one namespace the later of the two must fail cleanly;
# an sroce device in another namespace works next to rxe, and receives
# rxe's packets (UD datagrams sent through pyverbs), whose ICRC rxe
# computed, over IPv4 and IPv6 (the veths' link-local addresses).
# timeout: 240
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

modinfo rdma_rxe >/dev/null 2>&1 || skip "rdma_rxe is not available"
require_cmd python3
wire_rxe_trap

modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce

# 1. sroce first: loading rxe fails, and leaves sroce untouched.
assert_ok sroce_link_add sroce42 lo
if out=$(modprobe rdma_rxe 2>&1); then
	fail "rdma_rxe loaded while sroce42 holds port 4791"
fi
echo "# modprobe rdma_rxe: $out"
lsmod | grep -q '^rdma_rxe ' && fail "rdma_rxe is loaded after failing"
[ "$(udp_port_bound)" = 2 ] || fail "sroce42's sockets are gone"
before=$(wire_counters sroce42)
assert_ok roce send --dst 127.0.0.1 good
expect_ok wire_wait sroce42 "$before" "rx_packets=1 rx_bytes=* rx_unknown_qp=1"
assert_ok rdma link delete sroce42
[ "$(udp_port_bound)" = 0 ] || fail "port 4791 still bound after sroce42"

# 2. rxe first: an sroce device in the same namespace is refused.
assert_ok modprobe rdma_rxe
devs=$(ls /sys/class/infiniband 2>/dev/null)
SROCE_LINKS+=(sroce42)
if out=$(rdma link add sroce42 type sroce netdev lo 2>&1); then
	fail "sroce42 created although rdma_rxe holds port 4791"
fi
echo "# rdma link add sroce42: $out"
echo "$out" | grep -qi 'address already in use' || fail "unexpected error: $out"
dmesg | tail -n 20 | grep -q 'sroce: lo: UDP port 4791 already in use' ||
	fail "no clear message in the kernel log"
[ "$(ls /sys/class/infiniband 2>/dev/null)" = "$devs" ] || fail "a device was left behind"
[ "$(udp_port_bound)" = 2 ] || fail "rxe's sockets were disturbed"

# 3. sroce in another namespace, next to rxe: rxe0 on sweth0 in the initial
# namespace, sroce43 on its peer in swc.
SROCE_NETNS+=(swc)
assert_ok ip netns add swc
assert_ok ip -n swc link set lo up
assert_ok sroce_netdev_add sweth0 type veth peer name sweth1 netns swc
assert_ok ip addr add 192.0.2.21/24 dev sweth0
assert_ok ll_prepare sweth0
assert_ok ip link set sweth0 up
assert_ok ip -n swc addr add 192.0.2.22/24 dev sweth1
assert_ok ll_prepare sweth1 swc
assert_ok ip -n swc link set sweth1 up
assert_ok wire_neigh "" sweth0 192.0.2.21 swc sweth1 192.0.2.22
assert_ok rdma link add rxe0 type rxe netdev sweth0
assert_ok sroce_link_add sroce43 sweth1 swc
[ "$(udp_port_bound swc)" = 2 ] || fail "port 4791 not bound in swc"
wait_for "[ \"\$(port_state sroce43)\" = ACTIVE ]" 10 || fail "sroce43 not active"

python3 -c 'import pyverbs' 2>/dev/null || skip "pyverbs is not installed"
wait_for "has_gid rxe0 $(ipv4_gid 192.0.2.21)" 10 || fail "rxe0 has no GID for 192.0.2.21"
ll0=$(ll_gid sweth0) || fail "sweth0: no IPv6 link-local address"
ll1=$(ll_gid sweth1 swc) || fail "sweth1: no IPv6 link-local address"
wait_for "has_gid rxe0 $ll0" 10 || fail "rxe0 has no GID for sweth0's link-local address"
wait_for "has_gid sroce43 $ll1" 10 || fail "sroce43 has no GID for sweth1's link-local address"
before=$(wire_counters sroce43)
assert_ok python3 "$WIRE_DIR/rxe_ud.py" --dev rxe0 --src 192.0.2.21 --dst 192.0.2.22 \
	--qpn 0x123456 3
assert_ok python3 "$WIRE_DIR/rxe_ud.py" --dev rxe0 --src "$(ll_addr sweth0)" \
	--dst "$(ll_addr sweth1 swc)" --qpn 0x123456 2
# 5 datagrams: BTH, DETH, 64 bytes of payload each
expect_ok wire_wait sroce43 "$before" \
	"rx_packets=5 rx_bytes=$((5 * (12 + 8 + 64))) rx_unknown_qp=5"
exit 0
