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
rxe_cleanup()
{
	local rc=$?

	rdma link delete rxe0 2>/dev/null
	modprobe -r rdma_rxe 2>/dev/null
	(exit "$rc")
	sroce_exit
}
trap rxe_cleanup EXIT

assert_ok modprobe sroce
assert_ok modprobe rdma_rxe
SROCE_NETNS+=(swg)
assert_ok ip netns add swg
assert_ok ip -n swg link set lo up
assert_ok sroce_netdev_add swpp0 type veth peer name swpp1 netns swg
assert_ok ip addr add 192.0.2.31/24 dev swpp0
assert_ok ll_prepare swpp0
assert_ok ip link set swpp0 up
assert_ok ip -n swg addr add 192.0.2.32/24 dev swpp1
assert_ok ll_prepare swpp1 swg
assert_ok ip -n swg link set swpp1 up
assert_ok wire_neigh "" swpp0 192.0.2.31 swg swpp1 192.0.2.32
assert_ok rdma link add rxe0 type rxe netdev swpp0
assert_ok sroce_link_add sroce51 swpp1 swg

# gid_of DEV SYSFS-GID: index of that RoCE v2 GID
gid_of()
{
	local f

	for f in $(grep -lx "$2" /sys/class/infiniband/"$1"/ports/1/gids/* 2>/dev/null); do
		grep -q 'RoCE v2' "/sys/class/infiniband/$1/ports/1/gid_attrs/types/${f##*/}" &&
			{ echo "${f##*/}"; return 0; }
	done
	return 1
}

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

wait_for "gid_of rxe0 $(ipv4_gid 192.0.2.31) >/dev/null" 10 || fail "rxe0: no IPv4 GID"
wait_for "gid_of sroce51 $(ipv4_gid 192.0.2.32) >/dev/null" 10 || fail "sroce51: no IPv4 GID"
ll0=$(ll_gid swpp0) || fail "swpp0: no IPv6 link-local address"
ll1=$(ll_gid swpp1 swg) || fail "swpp1: no IPv6 link-local address"
wait_for "gid_of rxe0 $ll0 >/dev/null" 10 || fail "rxe0: no IPv6 GID"
wait_for "gid_of sroce51 $ll1 >/dev/null" 10 || fail "sroce51: no IPv6 GID"
r4=$(gid_of rxe0 "$(ipv4_gid 192.0.2.31)")
s4=$(gid_of sroce51 "$(ipv4_gid 192.0.2.32)")
r6=$(gid_of rxe0 "$ll0")
s6=$(gid_of sroce51 "$ll1")
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
