#!/bin/bash
# Bad "rdma link add" input gives a clear error and leaves nothing behind.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

before=$(ls /sys/class/infiniband 2>/dev/null | sort)
refs=$(awk '$1 == "sroce" {print $3}' /proc/modules)

# expect_link_error NAME NETDEV ERROR-REGEX
expect_link_error()
{
	local out

	SROCE_LINKS+=("$1")
	if out=$(rdma link add "$1" type sroce netdev "$2" 2>&1); then
		fail "rdma link add $1 netdev $2 succeeded"
	fi
	echo "$out" | grep -Eqi "$3" || fail "rdma link add $1 netdev $2: unexpected error '$out'"
	echo "# $1 on $2: $out"
}

expect_link_error sroce6 no-such-netdev 'no such device|not found|unknown'
# A non-Ethernet netdev (tun in L3 mode has no link-layer header).
assert_ok modprobe tun
assert_ok ip tuntap add stun0 mode tun
SROCE_NETDEVS+=(stun0)
expect_link_error sroce6 stun0 'protocol not supported'
# Names must carry the sroce prefix (the provider matches by name), which
# also keeps rdma_rxe's names free.
expect_link_error rxe0 lo 'invalid argument'
expect_link_error foo0 lo 'invalid argument'
# Duplicate device name, and a second device on the same netdev.
assert_ok sroce_link_add sroce6 lo
assert_ok sroce_netdev_add sdum2 type dummy
expect_link_error sroce6 sdum2 'file exists'
expect_link_error sroce7 lo 'file exists'
assert_ok rdma link delete sroce6

after=$(ls /sys/class/infiniband 2>/dev/null | sort)
[ "$before" = "$after" ] || fail "devices left behind: '$after' (was '$before')"
[ "$(awk '$1 == "sroce" {print $3}' /proc/modules)" = "$refs" ] || fail "module refcount changed"
dmesg | grep -q 'sroce: netdev stun0 is not an Ethernet or loopback device' ||
	fail "no explanation in the kernel log for the tun refusal"
exit 0
