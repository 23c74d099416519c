#!/bin/bash
# Interoperability with stock rdma_rxe under load: every perftest tool
# (ib_{write,read,send,atomic}_{bw,lat}) between rxe0 (initial namespace)
# and an sroce device in namespace swj, each side as server and as client;
# then tests/progs/traffic_test, which checks every byte, with its
# requesters on one implementation and its responders on the other, both
# ways, over IPv4 and IPv6 GIDs (the IPv6 ones of the veths' link-local
# addresses).  perftest does not look at the payload;
# traffic_test does.  No packet either way may be dropped for a bad ICRC
# or a malformed header, on either device.
# timeout: 900
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

modinfo rdma_rxe >/dev/null 2>&1 || skip "rdma_rxe is not available"
require_cmd ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw ib_write_lat \
	ib_read_lat ib_send_lat ib_atomic_lat ss
prog=$SROCE_BUILD/tests/traffic_test
assert_ok test -x "$prog"
wire_rxe_trap
wire_rxe_hosts swj swpf 192.0.2.61 192.0.2.62 sroce61 ll

# deltas DEV BEFORE: "name+N" for each counter of DEV that moved since
# BEFORE (wire_counters output), packet and byte counts left out.
deltas()
{
	awk 'FNR == NR { old[$1] = $2; next }
	     $1 !~ /(packets|bytes|pkts|sends|recvs)$/ && $2 != old[$1] {
		printf " %s+%d", $1, $2 - old[$1] }' <(echo "$2") <(wire_counters "$1")
}

# perf TOOL SERVER-DEV SERVER-GID SERVER-NS CLIENT-DEV CLIENT-GID CLIENT-NS
#      ADDR [ARGS...]: one perftest run, server in the background; both
#      bounded in time, a failure of either is a failed expectation.
perf()
{
	local tool=$1 sdev=$2 sgid=$3 sns=$4 cdev=$5 cgid=$6 cns=$7 addr=$8
	local c0 r0
	shift 8

	c0=$(wire_counters sroce61)
	r0=$(wire_counters rxe0)
	PAIR_TIMEOUT=75 pair_run "$tool $* server $sdev, client $cdev" \
		"tcp_listening 18515 '$sns'" \
		"$sns" "$tool" -d "$sdev" -x "$sgid" -F "$@" -- \
		"$cns" "$tool" -d "$cdev" -x "$cgid" -F "$@" "$addr" &&
		echo "#   $(grep -E '^ *[0-9]+ +[0-9]+ ' "$PAIR_CLOG" | tail -n 1 |
			tr -s ' \t' ' ')"
	echo "#   sroce61:$(deltas sroce61 "$c0"); rxe0:$(deltas rxe0 "$r0")"
}

# Nothing malformed or with a bad ICRC may arrive.  Protocol events -
# retransmissions, duplicates, RNR, out-of-sequence packets (rxe on 6.1
# sends a QP's packets from tasklets on several CPUs, and veth's per-CPU
# backlogs reorder them) - are allowed, and so are transmit drops
# (tx_errors): veth's per-CPU backlog is shared, and rxe's own read
# responses can overflow it (rxe0 send_err), taking sroce's packets
# queued behind them along.
sroce_drop_counters="rx_short rx_bad_udp rx_bad_version rx_bad_opcode
	rx_bad_length rx_bad_icrc rx_no_mem rx_no_dev"
wire_drops_ok()
{
	local before=$1 c

	for c in $sroce_drop_counters; do
		expect_eq "$(wire_counter sroce61 $c)" \
			"$(echo "$before" | awk -v c=$c '$1 == c { print $2 }')" "sroce61 $c"
	done
}
# rxe0 has no ICRC counter: it counts a packet in rcvd_pkts only once its
# headers and ICRC passed (6.1 also logs "bad ICRC from ...").  So what
# sroce61 sent and rxe0 did not count can only be packets for rxe QPs
# already gone (late answers after a run): a handful, never a share.
rxe_counter()
{
	wire_counter rxe0 "$1"
}

before=$(wire_counters sroce61)
rxe_rcvd0=$(rxe_counter rcvd_pkts)
rxe_sent0=$(rxe_counter sent_pkts)
tx0=$(wire_counter sroce61 tx_packets)
rx0=$(wire_counter sroce61 rx_packets)
echo "# rxe0 GIDs $r4/$r6 ($ll0), sroce61 GIDs $s4/$s6 ($ll1)"

for dir in sroce rxe; do
	if [ $dir = sroce ]; then
		S=(sroce61 "$s4" swj rxe0 "$r4" "" 192.0.2.62)
	else
		S=(rxe0 "$r4" "" sroce61 "$s4" swj 192.0.2.61)
	fi
	for t in ib_write_bw ib_read_bw ib_send_bw; do
		perf $t "${S[@]}" -n 200 -s 65536
		perf $t "${S[@]}" -n 200 -s 3000
	done
	perf ib_atomic_bw "${S[@]}" -n 500
	for t in ib_write_lat ib_read_lat ib_send_lat; do
		perf $t "${S[@]}" -n 200 -s 2
		perf $t "${S[@]}" -n 100 -s 8192
	done
	perf ib_atomic_lat "${S[@]}" -n 200
done

# Every byte: requesters on one device, responders on the other.
for g in "4 $r4 $s4" "6 $r6 $s6"; do
	set -- $g
	for pair in "rxe0 $2 sroce61 $3" "sroce61 $3 rxe0 $2"; do
		t0=$SECONDS
		out=$(timeout 200 "$prog" $pair 2>&1) ||
			{ echo "$out" | grep -v '^ok' | tail -n 30 >&2
			  echo "FAIL: traffic_test $pair (IPv$1)" >&2
			  common_failures=$((common_failures + 1)); continue; }
		echo "# traffic_test $pair (IPv$1): $(echo "$out" | tail -n 1) ($((SECONDS - t0))s)"
	done
done

echo "# $(rdma statistic show link sroce61/1)"
echo "# $(rdma statistic show link rxe0/1)"
wire_drops_ok "$before"
sent=$(($(wire_counter sroce61 tx_packets) - tx0))
rcvd=$(($(rxe_counter rcvd_pkts) - rxe_rcvd0))
echo "# sroce61 sent $sent, rxe0 received $rcvd; rxe0 sent" \
	"$(($(rxe_counter sent_pkts) - rxe_sent0)), sroce61 received" \
	"$(($(wire_counter sroce61 rx_packets) - rx0))"
((sent > 10000 && (sent - rcvd) * 1000 <= sent)) ||
	expect_eq "$rcvd" "$sent" "packets rxe0 accepted of those sroce61 sent"
dmesg | grep -q 'bad ICRC' && expect_eq "$(dmesg | grep 'bad ICRC' | head -n 3)" "" "rxe ICRC"
exit 0
