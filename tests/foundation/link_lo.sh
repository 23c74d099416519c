#!/bin/bash
# A device on lo: autoload from "rdma link add", port and device queries,
# loopback GIDs, provider, delete.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

# Module autoload: rdma link add must load sroce through its rdma-link alias.
rmmod sroce 2>/dev/null
lsmod | grep -q '^sroce ' && fail "sroce still loaded after rmmod"
assert_ok sroce_link_add sroce0 lo
lsmod | grep -q '^sroce ' || fail "rdma link add did not autoload sroce"

assert_ok test -d /sys/class/infiniband/sroce0
rdma link show sroce0/1 | grep -q 'state ACTIVE physical_state LINK_UP netdev lo' ||
	fail "rdma link show: $(rdma link show sroce0/1)"
[ "$(port_state sroce0)" = ACTIVE ] || fail "port state $(port_state sroce0)"
[ "$(cat /sys/class/infiniband/sroce0/node_type)" = "1: CA" ] || fail "node_type"
guid=$(cat /sys/class/infiniband/sroce0/node_guid)
[ "$guid" != 0000:0000:0000:0000 ] || fail "zero node GUID on lo"
[ "$(cat /sys/class/infiniband/sroce0/ports/1/link_layer)" = Ethernet ] || fail "link_layer"

# lo has 127.0.0.1 and ::1: both are RoCE v2 GIDs.
has_gid sroce0 "$(ipv4_gid 127.0.0.1)" || fail "no GID for 127.0.0.1"
has_gid sroce0 0000:0000:0000:0000:0000:0000:0000:0001 || fail "no GID for ::1"

# The GUID of lo is stable: same after recreating the device.
assert_ok rdma link delete sroce0
assert_ok test ! -e /sys/class/infiniband/sroce0
assert_ok sroce_link_add sroce0 lo
[ "$(cat /sys/class/infiniband/sroce0/node_guid)" = "$guid" ] || fail "lo GUID not stable"

# Our provider opens it.
out=$(ibv_devices) || fail "ibv_devices failed"
echo "$out" | grep -q sroce0 || fail "ibv_devices does not list sroce0: $out"
out=$(ibv_devinfo -v -d sroce0) || fail "ibv_devinfo failed: $out"
echo "$out"
for want in 'transport:.*InfiniBand' 'fw_ver:.*0\.1\.0' 'state:.*PORT_ACTIVE' \
	    'max_mtu:.*4096' 'active_mtu:.*4096' 'link_layer:.*Ethernet' \
	    'max_qp:.*16384' 'max_pd:.*65536' 'GID\[.*::ffff:127\.0\.0\.1, RoCE v2'; do
	echo "$out" | grep -q -- "$want" || fail "ibv_devinfo lacks '$want'"
done
# Atomics work (tests/datapath/traffic.sh), and on-demand paging for RC
# and UD (tests/odp/): exactly those caps, none for UC or XRC.
echo "$out" | grep -q 'atomic_cap:.*ATOMIC_HCA' || fail "atomic_cap not ATOMIC_HCA"
odp=$(echo "$out" | sed -n '/general_odp_caps:/,$p' |
	awk '/completion_timestamp_mask/ { exit } /_odp_caps:/ { t = $1; next }
	     NF { print t, $1 }')
want='general_odp_caps: ODP_SUPPORT
general_odp_caps: ODP_SUPPORT_IMPLICIT
rc_odp_caps: SUPPORT_SEND
rc_odp_caps: SUPPORT_RECV
rc_odp_caps: SUPPORT_WRITE
rc_odp_caps: SUPPORT_READ
rc_odp_caps: SUPPORT_ATOMIC
rc_odp_caps: SUPPORT_SRQ
uc_odp_caps: NO
xrc_odp_caps: NO
ud_odp_caps: SUPPORT_SEND
ud_odp_caps: SUPPORT_RECV
ud_odp_caps: SUPPORT_SRQ'
[ "$(echo "$odp" | sort)" = "$(echo "$want" | sort)" ] ||
	fail "ODP caps: $(echo "$odp" | tr '\n' ';') want $(echo "$want" | tr '\n' ';')"

assert_ok rdma link delete sroce0
[ -e /sys/class/infiniband/sroce0 ] && fail "sroce0 still there after delete"
ibv_devices | grep -q sroce0 && fail "ibv_devices still lists sroce0"
exit 0
