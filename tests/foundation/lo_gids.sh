#!/bin/bash
# ib_core ignores address events of non-Ethernet netdevs; sroce rescans
# the GIDs of a device on lo itself.  The IPv6 address of the events is
# lo's own ::1 (tests configure no IPv6 address of their own): taken off
# lo before the device exists, added and removed again, and put back at
# the end whatever happens.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

lo_has_v6()
{
	ip -6 -o addr show dev lo | grep -q ' inet6 ::1/128 '
}

lo_restore()
{
	local rc=$?

	ip addr del 192.0.2.77/32 dev lo 2>/dev/null
	lo_has_v6 || ip -6 addr add ::1/128 dev lo ||
		echo "# could not put ::1 back on lo" >&2
	(exit "$rc")
	sroce_exit
}
trap lo_restore EXIT

lo_has_v6 || skip "lo has no ::1 (IPv6 disabled?)"
assert_ok modprobe sroce
gid4=$(ipv4_gid 192.0.2.77)
gid6=$(ipv6_gid ::1)
assert_ok ip -6 addr del ::1/128 dev lo
assert_ok sroce_link_add sroce5 lo
wait_for "has_gid sroce5 $(ipv4_gid 127.0.0.1)" 10 || fail "no GID for 127.0.0.1"
has_gid sroce5 "$gid4" && fail "GID present before the address"
has_gid sroce5 "$gid6" && fail "GID for ::1 present while lo has no ::1"
assert_ok ip addr add 192.0.2.77/32 dev lo
assert_ok ip -6 addr add ::1/128 dev lo
wait_for "has_gid sroce5 $gid4" 10 || fail "IPv4 address added to lo: no GID"
wait_for "has_gid sroce5 $gid6" 10 || fail "IPv6 address added to lo: no GID"
assert_ok ip addr del 192.0.2.77/32 dev lo
assert_ok ip -6 addr del ::1/128 dev lo
case $(uname -r) in
6.1.*)
	# 6.1 exports no way to delete a RoCE GID (Documentation/architecture.md).
	echo "# 6.1: removed lo addresses stay in the GID table until the device is recreated"
	assert_ok ip -6 addr add ::1/128 dev lo
	;;
*)
	wait_for "! has_gid sroce5 $gid4" 10 || fail "IPv4 address removed: GID stays"
	wait_for "! has_gid sroce5 $gid6" 10 || fail "IPv6 address removed: GID stays"
	has_gid sroce5 "$(ipv4_gid 127.0.0.1)" || fail "rescan lost 127.0.0.1"
	# and back once more: ::1 as lo has it normally
	assert_ok ip -6 addr add ::1/128 dev lo
	wait_for "has_gid sroce5 $gid6" 10 || fail "::1 added back to lo: no GID"
	;;
esac
exit 0
