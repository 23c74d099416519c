#!/bin/bash
# ib_core ignores address events of non-Ethernet netdevs; sroce rescans
# the GIDs of a device on lo itself.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce5 lo
gid4=$(ipv4_gid 192.0.2.77)
gid6=2001:0db8:0000:0000:0000:0000:0000:0077
has_gid sroce5 "$gid4" && fail "GID present before the address"
assert_ok ip addr add 192.0.2.77/32 dev lo
assert_ok ip -6 addr add 2001:db8::77/128 dev lo
wait_for "has_gid sroce5 $gid4" 10 || fail "IPv4 address added to lo: no GID"
wait_for "has_gid sroce5 $gid6" 10 || fail "IPv6 address added to lo: no GID"
assert_ok ip addr del 192.0.2.77/32 dev lo
assert_ok ip -6 addr del 2001:db8::77/128 dev lo
case $(uname -r) in
6.1.*)
	# 6.1 exports no way to delete a RoCE GID (Documentation/architecture.rst).
	echo "# 6.1: removed lo addresses stay in the GID table until the device is recreated"
	;;
*)
	wait_for "! has_gid sroce5 $gid4" 10 || fail "IPv4 address removed: GID stays"
	wait_for "! has_gid sroce5 $gid6" 10 || fail "IPv6 address removed: GID stays"
	has_gid sroce5 "$(ipv4_gid 127.0.0.1)" || fail "rescan lost 127.0.0.1"
	;;
esac
exit 0
