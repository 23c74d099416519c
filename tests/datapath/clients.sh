#!/bin/bash
# Real clients over loopback on one sroce device: rdma-core's pingpong
# examples and every perftest tool (server and client on sroce21).
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce21 lo
g4=$(gid_index sroce21 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"

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
