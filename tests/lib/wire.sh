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
