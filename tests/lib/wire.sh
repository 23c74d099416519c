# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the wire tests (tests/wire): device counters and the packet
# tools.  Source after tests/lib/common.sh and tests/lib/sroce.sh.
#
#   wire_counters DEV          "name value" lines of DEV's port counters,
#                              as "rdma statistic show link DEV/1" has them
#   wire_counter DEV NAME      one counter's value
#   wire_check DEV BEFORE SPEC compare DEV's counters with BEFORE (output of
#                              wire_counters): each "name=N" of SPEC must
#                              have grown by exactly N ("name=*": by any
#                              amount), every other counter not at all;
#                              prints the differences, returns 1 on any
#   wire_wait DEV BEFORE SPEC  wire_check once it holds or after 10 s
#   roce ARGS...               tests/wire/roce.py (hand-made RoCEv2 packets)
#   udp_port_bound [NETNS]     is UDP port 4791 bound in NETNS (IPv4 and
#                              IPv6)? prints the number of sockets
#   tcp_listening PORT [NETNS] is a TCP socket listening on PORT in NETNS?
#                              (for servers started in the background)
#   wire_neigh NS1 IF1 ADDR1 NS2 IF2 ADDR2
#                              permanent neighbour entries both ways between
#                              IF1 (ADDR1, in NS1; "" is the initial
#                              namespace) and IF2: ib_core resolves an IPv4
#                              GID's MAC at RTR, and rdma_cm an address, with
#                              timeouts that ARP on a loaded TCG guest or
#                              through a lossy netem qdisc can miss
#   wire_hosts NS1 NS2 IF ADDR1 ADDR2 DEV1 DEV2
#                              two "hosts": namespaces NS1 and NS2 joined by
#                              a veth pair (IF0 in NS1, IF1 in NS2) with
#                              ADDR1/24 and ADDR2/24, sroce DEV1 and DEV2 on
#                              its ends; sets g1 and g2 to the indexes of
#                              their IPv4 RoCE v2 GIDs.  Fails the test if
#                              any step fails
#   wire_rxe_trap              on exit: rxe0 deleted and rdma_rxe unloaded,
#                              then sroce_exit (the test's status kept)
#   wire_rxe_hosts NS IF ADDR_RXE ADDR_SROCE DEV [ll]
#                              rdma_rxe's rxe0 in the initial namespace
#                              (which rdma_rxe's UDP port binds) and sroce
#                              DEV in namespace NS, joined by a veth pair
#                              (IF0, ADDR_RXE/24; IF1 in NS, ADDR_SROCE/24),
#                              neighbours pinned; loads both modules.  Sets
#                              r4 and s4 to the IPv4 RoCE v2 GID indexes of
#                              rxe0 and DEV; with "ll" also the IPv6 ones of
#                              the veths' link-local addresses: r6 and s6
#                              (GIDs ll0 and ll1).  Fails the test if any
#                              step fails

WIRE_DIR=$SROCE_ROOT/tests/wire

wire_counters()
{
	rdma statistic show link "$1/1" |
		awk '{ for (i = 3; i < NF; i += 2) print $i, $(i + 1) }'
}

wire_counter()
{
	wire_counters "$1" | awk -v n="$2" '$1 == n { print $2 }'
}

wire_check()
{
	local dev=$1 before=$2 spec=$3 after

	after=$(wire_counters "$dev") || return 1
	[ -n "$after" ] || { echo "no counters for $dev" >&2; return 1; }
	awk -v spec="$spec" -v dev="$dev" '
		BEGIN {
			n = split(spec, s, " ")
			for (i = 1; i <= n; i++) {
				split(s[i], kv, "=")
				want[kv[1]] = kv[2]
			}
		}
		FNR == NR { old[$1] = $2; next }
		{
			d = $2 - old[$1]
			w = ($1 in want) ? want[$1] : 0
			seen[$1] = 1
			if (w == "*" ? d <= 0 : d != w) {
				printf "%s %s: grew by %d, want %s\n", dev, $1, d, w
				bad = 1
			}
		}
		END {
			for (k in want)
				if (!(k in seen)) {
					printf "%s: no counter %s\n", dev, k
					bad = 1
				}
			exit bad
		}' <(echo "$before") <(echo "$after") >&2
}

wire_wait()
{
	wait_for "wire_check $1 '$2' '$3' 2>/dev/null" 10
	wire_check "$@"
}

roce()
{
	python3 "$WIRE_DIR/roce.py" "$@"
}

udp_port_bound()
{
	local ns=${1:-} run=()

	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" cat /proc/net/udp /proc/net/udp6 |
		awk '$2 ~ /:12B7$/ { n++ } END { print n + 0 }'
}

tcp_listening()
{
	local port=$1 ns=${2:-} run=()

	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" ss -Hltn "sport = :$port" | grep -q .
}

wire_mac()	# NS IF: the MAC address of IF in namespace NS ("": initial)
{
	local run=()

	[ -n "$1" ] && run=(ip netns exec "$1")
	"${run[@]}" cat "/sys/class/net/$2/address"
}

wire_neigh()
{
	local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6 r1=() r2=()

	[ -n "$ns1" ] && r1=(-n "$ns1")
	[ -n "$ns2" ] && r2=(-n "$ns2")
	ip "${r1[@]}" neigh replace "$a2" lladdr "$(wire_mac "$ns2" "$if2")" \
		dev "$if1" nud permanent &&
	ip "${r2[@]}" neigh replace "$a1" lladdr "$(wire_mac "$ns1" "$if1")" \
		dev "$if2" nud permanent
}

wire_hosts()
{
	local ns1=$1 ns2=$2 if=$3 a1=$4 a2=$5 d1=$6 d2=$7 ns

	SROCE_NETNS+=("$ns1" "$ns2")
	for ns in "$ns1" "$ns2"; do
		assert_ok ip netns add "$ns"
		assert_ok ip -n "$ns" link set lo up
	done
	assert_ok ip -n "$ns1" link add "${if}0" type veth peer name "${if}1" netns "$ns2"
	assert_ok ip -n "$ns1" addr add "$a1/24" dev "${if}0"
	assert_ok ip -n "$ns2" addr add "$a2/24" dev "${if}1"
	assert_ok ip -n "$ns1" link set "${if}0" up
	assert_ok ip -n "$ns2" link set "${if}1" up
	assert_ok wire_neigh "$ns1" "${if}0" "$a1" "$ns2" "${if}1" "$a2"
	assert_ok sroce_link_add "$d1" "${if}0" "$ns1"
	assert_ok sroce_link_add "$d2" "${if}1" "$ns2"
	wait_for "gid_index $d1 $(ipv4_gid "$a1") >/dev/null" 10 || fail "$d1: no IPv4 GID"
	wait_for "gid_index $d2 $(ipv4_gid "$a2") >/dev/null" 10 || fail "$d2: no IPv4 GID"
	g1=$(gid_index "$d1" "$(ipv4_gid "$a1")")
	g2=$(gid_index "$d2" "$(ipv4_gid "$a2")")
}

wire_rxe_cleanup()
{
	local rc=$?

	rdma link delete rxe0 2>/dev/null
	modprobe -r rdma_rxe 2>/dev/null
	(exit "$rc")
	sroce_exit
}

wire_rxe_trap()
{
	trap wire_rxe_cleanup EXIT
}

wire_rxe_hosts()
{
	local ns=$1 if=$2 ar=$3 as=$4 dev=$5 ll=${6:-}

	assert_ok modprobe sroce
	assert_ok modprobe rdma_rxe
	SROCE_NETNS+=("$ns")
	assert_ok ip netns add "$ns"
	assert_ok ip -n "$ns" link set lo up
	assert_ok sroce_netdev_add "${if}0" type veth peer name "${if}1" netns "$ns"
	assert_ok ip addr add "$ar/24" dev "${if}0"
	assert_ok ip -n "$ns" addr add "$as/24" dev "${if}1"
	if [ -n "$ll" ]; then
		assert_ok ll_prepare "${if}0"
		assert_ok ll_prepare "${if}1" "$ns"
	fi
	assert_ok ip link set "${if}0" up
	assert_ok ip -n "$ns" link set "${if}1" up
	assert_ok wire_neigh "" "${if}0" "$ar" "$ns" "${if}1" "$as"
	assert_ok rdma link add rxe0 type rxe netdev "${if}0"
	assert_ok sroce_link_add "$dev" "${if}1" "$ns"

	wait_for "gid_index rxe0 $(ipv4_gid "$ar") >/dev/null" 10 || fail "rxe0: no IPv4 GID"
	wait_for "gid_index $dev $(ipv4_gid "$as") >/dev/null" 10 || fail "$dev: no IPv4 GID"
	r4=$(gid_index rxe0 "$(ipv4_gid "$ar")")
	s4=$(gid_index "$dev" "$(ipv4_gid "$as")")
	[ -n "$ll" ] || return 0
	ll0=$(ll_gid "${if}0") || fail "${if}0: no IPv6 link-local address"
	ll1=$(ll_gid "${if}1" "$ns") || fail "${if}1: no IPv6 link-local address"
	wait_for "gid_index rxe0 $ll0 >/dev/null" 10 || fail "rxe0: no IPv6 GID"
	wait_for "gid_index $dev $ll1 >/dev/null" 10 || fail "$dev: no IPv6 GID"
	r6=$(gid_index rxe0 "$ll0")
	s6=$(gid_index "$dev" "$ll1")
}
