#!/bin/bash
# Port state and MTU follow the netdev; state changes arrive as async events.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_netdev_add sdum1 type dummy
assert_ok ip link set sdum1 mtu 1500 up
assert_ok sroce_link_add sroce4 sdum1
[ "$(port_state sroce4)" = ACTIVE ] || fail "initial state $(port_state sroce4)"

ev=$(mktemp)
ibv_asyncwatch -d sroce4 >"$ev" 2>&1 &
watch=$!
# it announces its event FD once it listens (a loaded host needs more
# than a fixed sleep)
wait_for "grep -q 'async event FD' '$ev'" 20 || fail "ibv_asyncwatch not ready: $(cat "$ev")"
sleep 0.5
kill -0 $watch 2>/dev/null || fail "ibv_asyncwatch died: $(cat "$ev")"

assert_ok ip link set sdum1 down
wait_for "[ \"\$(port_state sroce4)\" = DOWN ]" 10 || fail "down: $(port_state sroce4)"
[ "$(port_attr sroce4 phys_state)" = "3: Disabled" ] || fail "phys_state $(port_attr sroce4 phys_state)"
rdma link show sroce4/1 | grep -q 'state DOWN' || fail "rdma link: $(rdma link show sroce4/1)"
assert_ok ip link set sdum1 up
wait_for "[ \"\$(port_state sroce4)\" = ACTIVE ]" 10 || fail "up: $(port_state sroce4)"
wait_for "grep -q PORT_ACTIVE '$ev'" 10 || fail "no PORT_ACTIVE event: $(cat "$ev")"
grep -q PORT_ERR "$ev" || fail "no PORT_ERR event: $(cat "$ev")"
kill $watch 2>/dev/null
wait $watch 2>/dev/null

# MTU: RoCEv2 headers (96 bytes incl. worst-case extension headers) come
# off the netdev MTU, rounded down to an IB MTU.
check_mtu()	# NETDEV-MTU EXPECTED-ACTIVE-MTU
{
	assert_ok ip link set sdum1 mtu "$1"
	out=$(ibv_devinfo -d sroce4) || fail "ibv_devinfo: $out"
	echo "$out" | grep -q "active_mtu:.*$2 " || fail "mtu $1: $(echo "$out" | grep mtu)"
}
check_mtu 9000 4096
check_mtu 1500 1024
check_mtu 1100 512
check_mtu 400 256
check_mtu 4192 4096
check_mtu 4191 2048
# Too small for a 256-byte IB MTU: the port cannot carry traffic.
assert_ok ip link set sdum1 mtu 300
wait_for "[ \"\$(port_state sroce4)\" = DOWN ]" 10 || fail "mtu 300: $(port_state sroce4)"
assert_ok ip link set sdum1 mtu 1500
wait_for "[ \"\$(port_state sroce4)\" = ACTIVE ]" 10 || fail "mtu back: $(port_state sroce4)"
exit 0
