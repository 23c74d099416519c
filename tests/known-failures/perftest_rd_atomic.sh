#!/bin/bash
# perftest tools that fail intermittently on sroce (not part of make check):
# ib_read_bw, ib_read_lat, ib_atomic_lat exit with an error now and then
# while rdma-core's examples and tests/progs/traffic_test (serial reads and
# atomics included) pass.  Run with: tests/vm/vmrun -k 6.1 -- tests/vm/run-tests
# tests/known-failures/perftest_rd_atomic.sh
# timeout: 400
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce22 lo
g4=$(gid_index sroce22 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"
run_pair ib_read_bw ib_read_bw -d sroce22 -x "$g4" -n 2000 -F -- 127.0.0.1
run_pair ib_read_lat ib_read_lat -d sroce22 -x "$g4" -n 1000 -F -- 127.0.0.1
run_pair ib_atomic_lat ib_atomic_lat -d sroce22 -x "$g4" -n 1000 -F -- 127.0.0.1
exit 0
