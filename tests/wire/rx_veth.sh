#!/bin/bash
# Receive over Ethernet: a device on one end of a veth pair in namespace
# swa, packets sent from the other end in swb (IPv4, and IPv6 to the
# link-local address the kernel gave swva: its GID).  Also the
# choice of the receiving device: a packet that arrives on a netdev of swa
# without a device counts in rx_no_dev (namespace-wide, shown by every
# device of swa); a packet from swa itself to the device's address comes
# in through lo and still belongs to the device that owns the address.
# timeout: 180
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

require_cmd python3
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce

SROCE_NETNS+=(swa swb)
assert_ok ip netns add swa
assert_ok ip netns add swb
for ns in swa swb; do
	assert_ok ip -n $ns link set lo up
done
# swva <-> swvb carries the device; swvc <-> swvd has none
assert_ok ip -n swa link add swva type veth peer name swvb netns swb
assert_ok ip -n swa link add swvc type veth peer name swvd netns swb
assert_ok ip -n swa addr add 192.0.2.1/24 dev swva
assert_ok ip -n swb addr add 192.0.2.2/24 dev swvb
# IPv6: the link-local addresses the kernel gives swva and swvb
assert_ok ll_prepare swva swa
assert_ok ll_prepare swvb swb
assert_ok ip -n swa addr add 198.51.100.1/24 dev swvc
assert_ok ip -n swb addr add 198.51.100.2/24 dev swvd
for l in swva swvc; do
	assert_ok ip -n swa link set $l up
done
for l in swvb swvd; do
	assert_ok ip -n swb link set $l up
done

assert_ok sroce_link_add sroce41 swva swa
wait_for "[ \"\$(port_state sroce41)\" = ACTIVE ]" 10 || fail "sroce41 not active"
[ "$(udp_port_bound swa)" = 2 ] || fail "port 4791 not bound in swa"
[ "$(udp_port_bound swb)" = 0 ] || fail "port 4791 bound in swb"
[ "$(udp_port_bound)" = 0 ] || fail "port 4791 bound in the initial namespace"

before=$(wire_counters sroce41)
assert_ok ip netns exec swb python3 "$WIRE_DIR/roce.py" send --dst 192.0.2.1 \
	short7 badver noreth good masked ud flip
expect_ok wire_wait sroce41 "$before" \
	"rx_short=2 rx_bad_version=1 rx_bad_icrc=1 rx_packets=3 rx_bytes=* rx_unknown_qp=3"

ll=$(ll_gid swva swa) || fail "swva: no IPv6 link-local address"
wait_for "has_gid sroce41 $ll" 10 || fail "sroce41: no GID for swva's link-local address"
ll=$(ll_addr swva swa)
wait_for "ll_addr swvb swb >/dev/null" 10 || fail "swvb: no IPv6 link-local address"
before=$(wire_counters sroce41)
assert_ok ip netns exec swb python3 "$WIRE_DIR/roce.py" send --v6 \
	--dst "$ll%swvb" good ud flip
expect_ok wire_wait sroce41 "$before" \
	"rx_bad_icrc=1 rx_packets=2 rx_bytes=* rx_unknown_qp=2"

# Through swvc, which has no device: dropped, counted for the namespace.
before=$(wire_counters sroce41)
assert_ok ip netns exec swb python3 "$WIRE_DIR/roce.py" send --dst 198.51.100.1 good ud
expect_ok wire_wait sroce41 "$before" "rx_no_dev=2"

# From swa to the device's own address: in through lo, for sroce41.
before=$(wire_counters sroce41)
assert_ok ip netns exec swa python3 "$WIRE_DIR/roce.py" send --dst 192.0.2.1 good
expect_ok wire_wait sroce41 "$before" "rx_packets=1 rx_bytes=* rx_unknown_qp=1"

# Deleting the namespace removes the device and its sockets.
assert_ok ip netns del swa
wait_for "[ ! -e /sys/class/infiniband/sroce41 ]" 20 || fail "sroce41 survived its netdev"
exit 0
