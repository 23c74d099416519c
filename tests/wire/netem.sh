#!/bin/bash
# Reliability on a bad link: two sroce devices in namespaces swk and swl
# on a veth pair with a tc netem qdisc on both ends, first losing 1% of
# the packets (IPv4 GIDs), then delaying and reordering them (IPv6 GIDs,
# those of the veths' link-local addresses).
# Each time traffic_test -l (every byte checked, RC only) and bounded
# ib_write_bw / ib_send_bw runs must complete, the counters must show the
# transport recovering (retransmissions, out-of-sequence requests), and
# nothing may be dropped as malformed or for its ICRC.  The QPs wait
# 268 ms before a retransmission (traffic_test -l, perftest -u 16) rather
# than 67 ms: seven timeouts in a row must outlast a loaded TCG guest's
# stalls on top of netem's delay.
# timeout: 900
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

require_cmd tc ib_write_bw ib_send_bw ss
modinfo sch_netem >/dev/null 2>&1 || skip "sch_netem is not available in this kernel"
prog=$SROCE_BUILD/tests/traffic_test
assert_ok test -x "$prog"
assert_ok modprobe sroce
assert_ok modprobe sch_netem

SROCE_NETNS+=(swk swl)
for ns in swk swl; do
	assert_ok ip netns add $ns
	assert_ok ip -n $ns link set lo up
done
assert_ok ip -n swk link add swne0 type veth peer name swne1 netns swl
assert_ok ip -n swk addr add 192.0.2.71/24 dev swne0
assert_ok ll_prepare swne0 swk
assert_ok ip -n swl addr add 192.0.2.72/24 dev swne1
assert_ok ll_prepare swne1 swl
assert_ok ip -n swk link set swne0 up
assert_ok ip -n swl link set swne1 up
assert_ok wire_neigh swk swne0 192.0.2.71 swl swne1 192.0.2.72
assert_ok sroce_link_add sroce71 swne0 swk
assert_ok sroce_link_add sroce72 swne1 swl

wait_for "gid_index sroce71 $(ipv4_gid 192.0.2.71) >/dev/null" 10 || fail "sroce71: no IPv4 GID"
wait_for "gid_index sroce72 $(ipv4_gid 192.0.2.72) >/dev/null" 10 || fail "sroce72: no IPv4 GID"
ll0=$(ll_gid swne0 swk) || fail "swne0: no IPv6 link-local address"
ll1=$(ll_gid swne1 swl) || fail "swne1: no IPv6 link-local address"
wait_for "gid_index sroce71 $ll0 >/dev/null" 10 || fail "sroce71: no IPv6 GID"
wait_for "gid_index sroce72 $ll1 >/dev/null" 10 || fail "sroce72: no IPv6 GID"
a4=$(gid_index sroce71 "$(ipv4_gid 192.0.2.71)")
b4=$(gid_index sroce72 "$(ipv4_gid 192.0.2.72)")
a6=$(gid_index sroce71 "$ll0")
b6=$(gid_index sroce72 "$ll1")
echo "# sroce71 GIDs $a4/$a6 ($ll0), sroce72 GIDs $b4/$b6 ($ll1)"

# netem SPEC...: the same netem qdisc on both ends of the pair
netem()
{
	assert_ok ip netns exec swk tc qdisc replace dev swne0 root netem "$@"
	assert_ok ip netns exec swl tc qdisc replace dev swne1 root netem "$@"
}

# perf TOOL GID-A GID-B ARGS...: server on sroce71, client on sroce72
perf()
{
	local tool=$1 ga=$2 gb=$3
	shift 3

	PAIR_TIMEOUT=90 pair_run "$tool $*" "tcp_listening 18515 swk" \
		swk "$tool" -d sroce71 -x "$ga" -F "$@" -- \
		swl "$tool" -d sroce72 -x "$gb" -F "$@" 192.0.2.71
}

# delta DEV BEFORE NAME: how much counter NAME of DEV grew since BEFORE
delta()
{
	echo $(($(wire_counter "$1" "$3") - $(echo "$2" | awk -v c="$3" '$1 == c { print $2 }')))
}

# phase NAME GID-A GID-B NETEM-SPEC...: traffic_test and perftest on the
# link as netem makes it; prints what the transport did about it
phase()
{
	local name=$1 ga=$2 gb=$3 c a0 b0 out t0=$SECONDS
	shift 3

	netem "$@"
	echo "# --- $name: netem $* ---"
	a0=$(wire_counters sroce71)
	b0=$(wire_counters sroce72)
	out=$(timeout 200 "$prog" -l sroce71 "$ga" sroce72 "$gb" 2>&1) ||
		{ echo "$out" | grep -v '^ok' | tail -n 30 >&2
		  echo "FAIL: traffic_test -l ($name)" >&2
		  common_failures=$((common_failures + 1)); }
	echo "# traffic_test -l: $(echo "$out" | tail -n 1) ($((SECONDS - t0))s)"
	perf ib_write_bw "$ga" "$gb" -n 200 -s 16384 -u 16
	perf ib_send_bw "$ga" "$gb" -n 200 -s 16384 -u 16
	for c in rx_short rx_bad_udp rx_bad_version rx_bad_opcode rx_bad_length \
		 rx_bad_icrc rx_no_mem rx_no_dev rx_qp_overflow tx_errors; do
		expect_eq "$(delta sroce71 "$a0" $c)" 0 "$name: sroce71 $c"
		expect_eq "$(delta sroce72 "$b0" $c)" 0 "$name: sroce72 $c"
	done
	for c in tx_packets retransmits rx_bad_psn rx_dup_requests; do
		eval "d_$c=\$((\$(delta sroce71 \"\$a0\" $c) + \$(delta sroce72 \"\$b0\" $c)))"
	done
	echo "# $name: $d_tx_packets packets sent, $d_retransmits retransmission" \
		"timeouts, $d_rx_bad_psn out-of-sequence and $d_rx_dup_requests" \
		"duplicate requests"
	echo "# qdiscs: $(ip netns exec swk tc -s qdisc show dev swne0 | tr -s '\n ' ' ')"
}

phase loss "$a4" "$b4" loss 1%
((d_retransmits > 0)) || fail "loss: no retransmission timeout"
((d_rx_bad_psn > 0)) || fail "loss: no out-of-sequence request"
phase reorder "$a6" "$b6" delay 5ms reorder 10% 25%
((d_rx_bad_psn > 0)) || fail "reorder: no out-of-sequence request"
((d_rx_dup_requests > 0)) || fail "reorder: no duplicate request"
exit 0
