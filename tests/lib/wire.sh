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
