#!/bin/bash
# The RoCEv2 sockets follow the devices of each network namespace: created
# with the first device of a namespace, shared by the others, released with
# the last; a namespace that dies, or a netdev that moves away, while a
# device still holds them, and module unload with devices in several
# namespaces, leave nothing behind.
# timeout: 180
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

require_cmd python3
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce
SROCE_NETNS+=(swd swe swf)
for ns in swd swf; do
	assert_ok ip netns add $ns
	assert_ok ip -n $ns link set lo up
done

# Two devices in swd share one pair of sockets.
assert_ok ip -n swd link add swdum0 type dummy
assert_ok ip -n swd link set swdum0 up
assert_ok sroce_link_add sroce44 lo swd
[ "$(udp_port_bound swd)" = 2 ] || fail "swd: port 4791 not bound"
assert_ok sroce_link_add sroce45 swdum0 swd
[ "$(udp_port_bound swd)" = 2 ] || fail "swd: $(udp_port_bound swd) sockets on 4791"
# and a device in the initial namespace has its own
assert_ok sroce_link_add sroce46 lo
[ "$(udp_port_bound)" = 2 ] || fail "init: port 4791 not bound"

assert_ok rdma link delete sroce45
[ "$(udp_port_bound swd)" = 2 ] || fail "swd: sockets gone with a device left"
before=$(wire_counters sroce44)
assert_ok ip netns exec swd python3 "$WIRE_DIR/roce.py" send --dst 127.0.0.1 good
expect_ok wire_wait sroce44 "$before" "rx_packets=1 rx_bytes=* rx_unknown_qp=1"
assert_ok rdma link delete sroce44
[ "$(udp_port_bound swd)" = 0 ] || fail "swd: port 4791 still bound"
[ "$(udp_port_bound)" = 2 ] || fail "init: sroce46 lost its sockets"
# sroce46 was not disturbed
before=$(wire_counters sroce46)
assert_ok roce send --dst 127.0.0.1 good
expect_ok wire_wait sroce46 "$before" "rx_packets=1 rx_bytes=* rx_unknown_qp=1"

# A netdev moves to swf: its device goes away (asynchronously) while swe,
# whose sockets it holds, is deleted at once.  Repeat to vary the order.
for i in 1 2 3; do
	assert_ok ip netns add swe
	assert_ok ip -n swe link add swdum1 type dummy
	assert_ok sroce_link_add sroce47 swdum1 swe
	[ "$(udp_port_bound swe)" = 2 ] || fail "swe: port 4791 not bound"
	assert_ok ip -n swe link set swdum1 netns swf
	assert_ok ip netns del swe
	wait_for "[ ! -e /sys/class/infiniband/sroce47 ]" 20 ||
		fail "sroce47 survived the move of its netdev"
	[ "$(udp_port_bound swf)" = 0 ] || fail "swf: port 4791 bound"
	assert_ok ip -n swf link del swdum1
done

# Module unload with devices in two namespaces.
assert_ok ip -n swd link add swdum2 type dummy
assert_ok sroce_link_add sroce48 swdum2 swd
assert_ok sroce_link_add sroce49 lo swf
assert_ok modprobe -r sroce
[ "$(udp_port_bound)" = 0 ] || fail "init: port 4791 bound after unload"
[ "$(udp_port_bound swd)" = 0 ] || fail "swd: port 4791 bound after unload"
[ "$(udp_port_bound swf)" = 0 ] || fail "swf: port 4791 bound after unload"
ls /sys/class/infiniband | grep -q sroce && fail "devices left after unload"
exit 0
