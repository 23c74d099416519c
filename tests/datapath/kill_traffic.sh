#!/bin/bash
# Processes killed (SIGKILL) in the middle of traffic leave nothing behind:
# after each round no QP, CQ, MR or PD of the device is left in "rdma
# resource show", the memory comes back, the device still carries traffic,
# and at the end the module can be removed.  Pinned and on-demand paged
# memory, client killed and server killed, bandwidth tools that keep many
# WRs in flight.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

require_cmd ib_write_bw ib_read_bw ib_send_bw ss
assert_ok sroce_link_add sroce23 lo
g4=$(gid_index sroce23 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"

count()	# KIND: objects of sroce23 in "rdma resource show KIND"
{
	rdma resource show "$1" dev sroce23 2>/dev/null | grep -v '\[ib_core\]' |
		grep -c 'dev sroce23'
}

mem_free_mib()
{
	awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo
}

# round TOOL MODE VICTIM: start a pair, kill VICTIM (client|server) with
# SIGKILL while traffic runs, then the other side (it may wait forever for
# its peer), and check what is left.
round()
{
	local tool=$1 mode=$2 victim=$3 spid cpid log kind

	log=$(mktemp)
	# no timeout(1) wrapper: the kill must hit the tool itself
	"$tool" -d sroce23 -x "$g4" -s 65536 -D 30 $mode >"$log.s" 2>&1 &
	spid=$!
	wait_for "ss -ltn 2>/dev/null | grep -q ':18515 '" 20 ||
		echo "# $tool: server not listening yet"
	"$tool" -d sroce23 -x "$g4" -s 65536 -D 30 $mode 127.0.0.1 >"$log.c" 2>&1 &
	cpid=$!
	# the QPs are connected once the two exchanged their addresses (the
	# tools' output is buffered, so look at the TCP connection)
	wait_for "ss -tn state established 2>/dev/null | grep -q ':18515 '" 30 ||
		echo "# $tool: client not connected"
	sleep 3
	if [ "$victim" = client ]; then
		kill -9 "$cpid" 2>/dev/null
		sleep 1
		kill -9 "$spid" 2>/dev/null
	else
		kill -9 "$spid" 2>/dev/null
		sleep 1
		kill -9 "$cpid" 2>/dev/null
	fi
	wait "$spid" "$cpid" 2>/dev/null
	# a client that printed its result was not killed mid-traffic
	grep -q "^ *65536 " "$log.c" && fail "$tool: the client finished before the kill"
	for kind in qp cq mr pd; do
		if ! wait_for "(( \$(count $kind) == 0 ))" 30; then
			echo "FAIL: $tool ${mode:-pinned}, $victim killed: $(count $kind) ${kind}s left" >&2
			rdma resource show "$kind" dev sroce23 | sed 's/^/#   /'
			common_failures=$((common_failures + 1))
		fi
	done
	echo "# $tool ${mode:-pinned}, $victim killed mid-traffic: nothing left"
	rm -f "$log" "$log.s" "$log.c"
}

sync
echo 3 >/proc/sys/vm/drop_caches
before=$(mem_free_mib)
for mode in "" --odp; do
	round ib_write_bw "$mode" client
	round ib_read_bw "$mode" server
	round ib_send_bw "$mode" client
	round ib_send_bw "$mode" server
done

# The device still works.
run_pair write_bw_after ib_write_bw -d sroce23 -x "$g4" -n 500 -F -- 127.0.0.1

sync
echo 3 >/proc/sys/vm/drop_caches
wait_for "(( \$(mem_free_mib) + 64 >= $before ))" 30 ||
	fail "memory not back: MemFree $(mem_free_mib) MiB, was $before MiB"

# Nothing holds the module: delete the link, unload, load again.
assert_ok rdma link delete sroce23
SROCE_LINKS=()
assert_ok modprobe -r sroce
assert_ok modprobe sroce
exit 0
