#!/bin/bash
# Devices on Ethernet netdevs (dummy, veth): GUID from the MAC, GIDs from the
# addresses (added and removed through ib_core's netdev events), removal of
# the netdev removes the device.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_netdev_add sdum0 address 02:00:00:12:34:56 type dummy
assert_ok ip link set sdum0 up
assert_ok ip addr add 192.0.2.1/24 dev sdum0
assert_ok sroce_link_add sroce1 sdum0
[ "$(cat /sys/class/infiniband/sroce1/node_guid)" = 0000:00ff:fe12:3456 ] ||
	fail "node GUID $(cat /sys/class/infiniband/sroce1/node_guid) is not the MAC's EUI-64"
wait_for "has_gid sroce1 $(ipv4_gid 192.0.2.1)" 10 || fail "no GID for 192.0.2.1"
assert_ok ip addr add 198.51.100.7/24 dev sdum0
wait_for "has_gid sroce1 $(ipv4_gid 198.51.100.7)" 10 || fail "added address not in GIDs"
assert_ok ip addr del 198.51.100.7/24 dev sdum0
wait_for "! has_gid sroce1 $(ipv4_gid 198.51.100.7)" 10 || fail "removed address still a GID"

# veth pair, one end in a namespace: one device per end.
SROCE_NETNS+=(sns1)
assert_ok ip netns add sns1
assert_ok sroce_netdev_add sveth0 type veth peer name sveth1 netns sns1
assert_ok ip link set sveth0 up
assert_ok ip netns exec sns1 ip link set sveth1 up
assert_ok ip addr add 192.0.2.21/24 dev sveth0
assert_ok ip netns exec sns1 ip addr add 192.0.2.22/24 dev sveth1
assert_ok sroce_link_add sroce2 sveth0
assert_ok sroce_link_add sroce3 sveth1 sns1
wait_for "[ \"\$(port_state sroce2)\" = ACTIVE ]" 10 || fail "sroce2 not active"
wait_for "[ \"\$(port_state sroce3)\" = ACTIVE ]" 10 || fail "sroce3 not active"
wait_for "has_gid sroce3 $(ipv4_gid 192.0.2.22)" 10 || fail "netns GID missing"
n=$(ibv_devices | grep -c 'sroce[123]')
[ "$n" = 3 ] || fail "ibv_devices lists $n of 3 devices"

# The peer going down takes sroce2's carrier, and so its port, down.
assert_ok ip netns exec sns1 ip link set sveth1 down
wait_for "[ \"\$(port_state sroce2)\" = DOWN ]" 10 || fail "sroce2 still $(port_state sroce2)"
assert_ok ip netns exec sns1 ip link set sveth1 up
wait_for "[ \"\$(port_state sroce2)\" = ACTIVE ]" 10 || fail "sroce2 $(port_state sroce2)"

# Deleting a netdev removes its device: deleting the namespace deletes
# sveth1, and with it its peer sveth0.
assert_ok ip netns del sns1
wait_for "[ ! -e /sys/class/infiniband/sroce3 ]" 20 || fail "sroce3 survived its netdev"
wait_for "[ ! -e /sys/class/infiniband/sroce2 ]" 20 || fail "sroce2 survived its netdev"
assert_ok ip link del sdum0
wait_for "[ ! -e /sys/class/infiniband/sroce1 ]" 20 || fail "sroce1 survived its netdev"
exit 0
