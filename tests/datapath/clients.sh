#!/bin/bash
# Real clients over loopback on one sroce device: rdma-core's pingpong
# examples and every perftest tool (server and client on sroce21).
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce21 lo
g4=$(gid_index sroce21 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"

# run_pair NAME SERVER-CMD... -- CLIENT-ARGS...: server in the background,
# client against 127.0.0.1, both bounded in time.
run_pair()
{
	local name=$1 srv=() cli=() log rc
	shift
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	log=$(mktemp)
	timeout 120 "${srv[@]}" >"$log" 2>&1 &
	local pid=$!
	sleep 1
	timeout 100 "${srv[@]}" "${cli[@]}" > "$log.c" 2>&1
	rc=$?
	wait $pid
	local src=$?
	if [ $rc != 0 ] || [ $src != 0 ]; then
		echo "FAIL: $name: client $rc server $src" >&2
		sed 's/^/#   server: /' "$log" | tail -15
		sed 's/^/#   client: /' "$log.c" | tail -15
		common_failures=$((common_failures + 1))
	else
		echo "# $name: ok"
		tail -3 "$log.c" | sed 's/^/#   /'
	fi
	rm -f "$log" "$log.c"
}

run_pair rc_pingpong ibv_rc_pingpong -d sroce21 -g "$g4" -n 1000 -- 127.0.0.1
run_pair rc_pingpong_big ibv_rc_pingpong -d sroce21 -g "$g4" -n 200 -s 65536 -m 1024 -- 127.0.0.1
run_pair ud_pingpong ibv_ud_pingpong -d sroce21 -g "$g4" -n 1000 -s 1024 -- 127.0.0.1
run_pair srq_pingpong ibv_srq_pingpong -d sroce21 -g "$g4" -n 500 -- 127.0.0.1

for t in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
	run_pair "$t" "$t" -d sroce21 -x "$g4" -n 2000 -F -- 127.0.0.1
done
for t in ib_write_lat ib_read_lat ib_send_lat ib_atomic_lat; do
	run_pair "$t" "$t" -d sroce21 -x "$g4" -n 1000 -F -- 127.0.0.1
done
run_pair ib_send_bw_ud ib_send_bw -d sroce21 -x "$g4" -c UD -n 2000 -F -- 127.0.0.1
exit 0
