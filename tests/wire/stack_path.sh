#!/bin/bash
# The transport's traffic through the IP stack instead of the loopback
# fast path: with fast_loopback=0, traffic_test on a device on lo (IPv4
# and IPv6 GIDs) sends every operation out through UDP and back in
# through the RoCEv2 socket, ICRC computed and checked; then RC and UD
# pingpong between two sroce devices in two namespaces over a veth pair.
# timeout: 420
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

prog=$SROCE_ROOT/build/tests/traffic_test
param=/sys/module/sroce/parameters/fast_loopback
assert_ok test -x "$prog"
require_cmd ibv_rc_pingpong ibv_ud_pingpong ss
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce
param_cleanup()
{
	local rc=$?

	echo 1 >"$param"
	(exit "$rc")
	sroce_exit
}
trap param_cleanup EXIT

# Only drops the transport may count (retransmissions and their
# duplicates are protocol, not wire, events) - no wire drop at all.
wire_drops_ok()
{
	local dev=$1 before=$2 c

	for c in rx_short rx_bad_udp rx_bad_version rx_bad_opcode rx_bad_length \
		 rx_bad_icrc rx_no_mem rx_no_dev tx_errors; do
		expect_eq "$(wire_counter "$dev" $c)" \
			"$(echo "$before" | awk -v c=$c '$1 == c { print $2 }')" "$dev $c"
	done
}

assert_ok sroce_link_add sroce52 lo
g4=$(gid_index sroce52 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"
g6=$(gid_index sroce52 0000:0000:0000:0000:0000:0000:0000:0001) || fail "no IPv6 GID"
echo 0 >"$param"
before=$(wire_counters sroce52)
for g in "$g4" "$g6"; do
	out=$(timeout 240 "$prog" sroce52 "$g" 2>&1) ||
		{ echo "$out" | grep -v '^ok' >&2; fail "traffic_test (GID $g) failed"; }
	echo "# GID $g: $(echo "$out" | tail -n 1)"
done
echo "# $(rdma statistic show link sroce52/1)"
wire_drops_ok sroce52 "$before"
tx=$(wire_counter sroce52 tx_packets)
((tx > 1000)) || fail "only $tx packets sent"
echo 1 >"$param"
assert_ok rdma link delete sroce52

# Two devices, two namespaces, one veth pair.
wire_hosts swh swi swst 192.0.2.41 192.0.2.42 sroce53 sroce54
a=$g1
b=$g2
before53=$(wire_counters sroce53)
before54=$(wire_counters sroce54)
for kind in rc ud; do
	ip netns exec swh timeout 90 ibv_${kind}_pingpong -d sroce53 -g "$a" -n 200 \
		>"$TMPDIR/s.log" 2>&1 &
	spid=$!
	wait_for "tcp_listening 18515 swh" 30 || echo "# sroce53: server not listening" >&2
	expect_ok ip netns exec swi timeout 80 ibv_${kind}_pingpong -d sroce54 -g "$b" \
		-n 200 192.0.2.41
	expect_ok wait "$spid"
	tail -n 2 "$TMPDIR/s.log" | sed 's/^/# /'
done
wire_drops_ok sroce53 "$before53"
wire_drops_ok sroce54 "$before54"
echo "# $(rdma statistic show link sroce53/1)"
exit 0
