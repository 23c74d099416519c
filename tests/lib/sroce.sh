# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# sroce helpers for tests that run inside the VM, as root.
# Source after tests/lib/common.sh.

SROCE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The builds under test: $SROCE_BUILD/lib (provider) and $SROCE_BUILD/tests
# (C test programs); default build/ of this tree.  Set it to test private
# builds, e.g. vmrun -e SROCE_BUILD=/run/vmrun-host/tmp/mine (the host's /).
SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
# Links and netdevs a test created, removed by sroce_cleanup (EXIT trap).
SROCE_LINKS=()
SROCE_NETDEVS=()
SROCE_NETNS=()

. "$SROCE_ROOT/tests/lib/pair.sh"

sroce_cleanup()
{
	local l n

	for l in "${SROCE_LINKS[@]}"; do
		[ -e "/sys/class/infiniband/$l" ] && rdma link delete "$l" 2>/dev/null
	done
	for n in "${SROCE_NETDEVS[@]}"; do
		ip link del "$n" 2>/dev/null
	done
	for n in "${SROCE_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# Runs after common.sh's exit handling would have: clean up, keep the status.
sroce_exit()
{
	local rc=$?

	sroce_cleanup
	(exit "$rc")
	common_exit
}
trap sroce_exit EXIT

# sroce_link_add NAME NETDEV [netns]: create a link, remember it for cleanup.
sroce_link_add()
{
	local name=$1 ndev=$2 ns=${3:-}

	SROCE_LINKS+=("$name")
	if [ -n "$ns" ]; then
		ip netns exec "$ns" rdma link add "$name" type sroce netdev "$ndev"
	else
		rdma link add "$name" type sroce netdev "$ndev"
	fi
}

# sroce_lo_link NAME: a link on lo, waiting for its IPv4 RoCE v2 GID
# (127.0.0.1), whose index it puts in $g; fails the test if none appears.
sroce_lo_link()
{
	assert_ok sroce_link_add "$1" lo
	wait_for "gid_index $1 $(ipv4_gid 127.0.0.1) >/dev/null" 10 ||
		fail "$1: no IPv4 GID"
	g=$(gid_index "$1" "$(ipv4_gid 127.0.0.1)")
}

sroce_netdev_add()	# NAME TYPE-ARGS...
{
	local name=$1
	shift
	SROCE_NETDEVS+=("$name")
	ip link add "$name" "$@"
}

# Port attribute from sysfs, e.g. "state" -> "4: ACTIVE".
port_attr()
{
	cat "/sys/class/infiniband/$1/ports/1/$2"
}

port_state()
{
	port_attr "$1" state | sed 's/^[0-9]*: //'
}

# has_gid DEV GID: the port's GID table holds GID (sysfs notation, RoCE v2).
# One grep over the table: spawning a process per entry is slow under TCG.
has_gid()
{
	local dev=$1 gid=$2 f

	for f in $(grep -lx "$gid" /sys/class/infiniband/"$dev"/ports/1/gids/* 2>/dev/null); do
		grep -q 'RoCE v2' "/sys/class/infiniband/$dev/ports/1/gid_attrs/types/${f##*/}" \
			2>/dev/null && return 0
	done
	return 1
}

# IPv4 address -> RoCE GID in sysfs notation.
ipv4_gid()
{
	local IFS=.
	set -- $1
	printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' "$1" "$2" "$3" "$4"
}

# IPv6 address (any notation, no /prefix) -> RoCE GID in sysfs notation.
ipv6_gid()
{
	local a=${1%%%*} h=() t=() out=() x n

	if [[ $a == *::* ]]; then
		IFS=: read -ra h <<<"${a%%::*}"
		IFS=: read -ra t <<<"${a#*::}"
	else
		IFS=: read -ra h <<<"$a"
	fi
	for x in "${h[@]}"; do
		out+=("$(printf %04x "0x$x")")
	done
	for ((n = ${#h[@]} + ${#t[@]}; n < 8; n++)); do
		out+=(0000)
	done
	for x in "${t[@]}"; do
		out+=("$(printf %04x "0x$x")")
	done
	local IFS=:
	echo "${out[*]}"
}

# Tests configure no IPv6 address of their own (project rule: only
# 192.0.2.0/24 and 198.51.100.0/24, and lo's own): the IPv6 GIDs of an
# Ethernet netdev are those of its link-local address, which the kernel
# makes from the MAC (ib_core puts it in the GID table, as the port's
# default GID when it is the EUI-64 one).
#
# ll_prepare NETDEV [NETNS]: before NETDEV goes up, make sure it gets an
# EUI-64 link-local address that is usable at once (no DAD).
ll_prepare()
{
	local dev=$1 ns=${2:-} run=()

	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=0" &&
		"${run[@]}" sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" &&
		"${run[@]}" ip link set dev "$dev" addrgenmode eui64
}

# ll_addr NETDEV [NETNS]: NETDEV's link-local IPv6 address, once it is
# no longer tentative; returns 1 if it has none (yet).
ll_addr()
{
	local dev=$1 ns=${2:-} run=()

	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" ip -6 -o addr show dev "$dev" scope link 2>/dev/null |
		awk '!/tentative|dadfailed/ && $3 == "inet6" { sub("/.*", "", $4); print $4; f = 1; exit }
		     END { exit !f }'
}

# ll_gid NETDEV [NETNS]: the GID (sysfs notation) of NETDEV's link-local
# address, waiting up to 10 s for it; returns 1 if none appears.
ll_gid()
{
	local a

	wait_for "ll_addr $1 ${2:-} >/dev/null" 10 && a=$(ll_addr "$1" "${2:-}") ||
		{ echo "$1: no usable IPv6 link-local address" >&2; return 1; }
	ipv6_gid "$a"
}

ndevs_of_sroce()
{
	rdma link show 2>/dev/null | awk '{print $2, $NF}'
}

# gid_index DEV GID: index of a RoCE v2 GID in DEV's table (sysfs notation).
gid_index()
{
	local dev=$1 gid=$2 f

	for f in $(grep -lx "$gid" /sys/class/infiniband/"$dev"/ports/1/gids/* 2>/dev/null); do
		if grep -q 'RoCE v2' "/sys/class/infiniband/$dev/ports/1/gid_attrs/types/${f##*/}" \
			2>/dev/null; then
			echo "${f##*/}"
			return 0
		fi
	done
	return 1
}

# run_pair NAME SERVER-CMD... -- CLIENT-ARGS...: a client/server tool pair
# (pingpong, perftest) on TCP port 18515: the server, then the client with
# the extra CLIENT-ARGS (pair_run: bounded in time, a failure of either is
# a failed expectation and shows both outputs).
run_pair()
{
	local name=$1 srv=()
	shift
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	PAIR_TIMEOUT=110 pair_run "$name" "ss -Hltn 'sport = :18515' | grep -q ." \
		"" "${srv[@]}" -- "" "${srv[@]}" "$@" &&
		tail -n 3 "$PAIR_CLOG" | sed 's/^/#   /'
}

