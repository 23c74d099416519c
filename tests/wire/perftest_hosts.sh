#!/bin/bash
# The benchmark tools (build/bin/sr_*) between two "hosts": network
# namespaces swm and swn joined by a veth pair, an sroce device on each
# end, server in one and client in the other, the out-of-band exchange
# over TCP across the veth - as perftest is run between two machines.
# Every transfer kind with --verify, pinned and ODP, and one latency tool
# of each kind; the packets cross the IP stack (no loopback fast path).
# timeout: 420
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"
. "$(dirname "$0")/../lib/perftest.sh"

assert_ok test -x "$PT_BIN/sr_write_bw"
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce
wire_hosts swm swn swph 198.51.100.81 198.51.100.82 sroce80 sroce81
gs=$g1
gc=$g2
tx0=$(wire_counter sroce80 tx_packets)

# hosts NAME TOOL ARGS...: server in swm, client in swn (JSON in $PT_OUT)
port=18600
hosts()
{
	local name=$1 tool=$2 log rc
	shift 2

	port=$((port + 1))
	log=$(mktemp)
	ip netns exec swm timeout "$PT_TIMEOUT" "$PT_BIN/sr_$tool" -d sroce80 \
		-x "$gs" -p "$port" "$@" >"$log" 2>&1 &
	local srv=$!
	wait_for "tcp_listening $port swm" 20 ||
		echo "# $name: the server is not listening yet" >&2
	if ! pt_run "$name" "$tool" -d sroce81 -x "$gc" -p "$port" "$@" 198.51.100.81; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		rm -f "$log"
		return 1
	fi
	wait "$srv"
	rc=$?
	if ((rc != 0)); then
		echo "FAIL: $name: server exited $rc" >&2
		sed 's/^/#   server: /' "$log" | tail -10
		common_failures=$((common_failures + 1))
	fi
	rm -f "$log"
	return "$rc"
}

PT_NETNS=swn	# pt_run: the clients

bw_ok=('r["iterations"] == 100' 'r["bw_avg"] > 0' 'r["verified"]')
lat_ok=('r["iterations"] == 100' '0 < r["t_min"] <= r["t_typical"] <= r["t_max"]' 'r["verified"]')

for t in write_bw read_bw send_bw atomic_bw; do
	hosts "$t" "$t" -n 100 --verify && pt_expect "$t" "${bw_ok[@]}"
done
hosts send_bw_ud send_bw -n 100 -c UD -s 1024 --verify &&
	pt_expect send_bw_ud "${bw_ok[@]}" 'd["transport"] == "UD"'
for t in write_bw read_bw send_bw; do
	hosts "${t}_odp" "$t" -n 100 --odp --verify &&
		pt_expect "${t}_odp" "${bw_ok[@]}"
done
for t in write_lat read_lat send_lat atomic_lat; do
	hosts "$t" "$t" -n 100 --verify && pt_expect "$t" "${lat_ok[@]}"
done

# it really went over the veth, through the IP stack
tx1=$(wire_counter sroce80 tx_packets)
((tx1 - tx0 > 3000)) || fail "sroce80 sent only $((tx1 - tx0)) packets"
echo "# $(rdma statistic show link sroce81/1)"
exit 0
