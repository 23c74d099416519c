#!/bin/bash
# Interoperability with stock rdma_rxe on the wire: ibv_rc_pingpong and
# ibv_ud_pingpong between rxe0 (initial namespace) and an sroce device in
# namespace swg, each side as server and as client, over IPv4 and IPv6
# GIDs (the IPv6 ones of the veths' link-local addresses).  Every packet either way carries an ICRC the other implementation
# computed; none may be dropped for it.
# timeout: 420
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

modinfo rdma_rxe >/dev/null 2>&1 || skip "rdma_rxe is not available"
require_cmd ibv_rc_pingpong ibv_ud_pingpong ss
wire_rxe_trap
wire_rxe_hosts swg swpp 192.0.2.31 192.0.2.32 sroce51 ll

# pingpong KIND SERVER-DEV SERVER-GID SERVER-NS CLIENT-DEV CLIENT-GID CLIENT-NS ADDR
pingpong()
{
	local kind=$1 sdev=$2 sgid=$3 sns=$4 cdev=$5 cgid=$6 cns=$7 addr=$8
	local log=$TMPDIR/pp.$kind.$sdev srv=() cli=() spid crc=0 src=0

	[ -n "$sns" ] && srv=(ip netns exec "$sns")
	[ -n "$cns" ] && cli=(ip netns exec "$cns")
	"${srv[@]}" timeout 90 ibv_"$kind"_pingpong -d "$sdev" -g "$sgid" -n 200 \
		>"$log.s" 2>&1 &
	spid=$!
	wait_for "tcp_listening 18515 '$sns'" 30 || echo "# $sdev: server not listening" >&2
	"${cli[@]}" timeout 80 ibv_"$kind"_pingpong -d "$cdev" -g "$cgid" -n 200 \
		"$addr" >"$log.c" 2>&1 || crc=$?
	wait "$spid" || src=$?
	if ((crc || src)); then
		echo "FAIL: $kind pingpong $sdev/$sgid <- $cdev/$cgid: server $src client $crc" >&2
		sed 's/^/#   server: /' "$log.s"
		sed 's/^/#   client: /' "$log.c"
		common_failures=$((common_failures + 1))
	else
		echo "# $kind pingpong, server $sdev GID $sgid, client $cdev GID $cgid: ok"
	fi
}

echo "# rxe0 GIDs $r4/$r6 ($ll0), sroce51 GIDs $s4/$s6 ($ll1)"

before=$(wire_counters sroce51)
for kind in rc ud; do
	pingpong $kind rxe0 "$r4" "" sroce51 "$s4" swg 192.0.2.31
	pingpong $kind sroce51 "$s4" swg rxe0 "$r4" "" 192.0.2.32
	# IPv6 GIDs; the pingpongs exchange them over IPv4 TCP
	pingpong $kind rxe0 "$r6" "" sroce51 "$s6" swg 192.0.2.31
	pingpong $kind sroce51 "$s6" swg rxe0 "$r6" "" 192.0.2.32
done
after=$(wire_counters sroce51)
echo "# $(rdma statistic show link sroce51/1)"
echo "# $(rdma statistic show link rxe0/1)"
for c in rx_bad_icrc rx_short rx_bad_udp rx_bad_version rx_bad_opcode rx_bad_length \
	 tx_errors rx_no_dev; do
	expect_eq "$(echo "$after" | awk -v c=$c '$1 == c { print $2 }')" \
		"$(echo "$before" | awk -v c=$c '$1 == c { print $2 }')" "sroce51 $c"
done
rx=$(wire_counter sroce51 rx_packets)
((rx > 8 * 200)) || fail "sroce51 received only $rx packets"
exit 0
