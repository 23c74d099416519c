#!/bin/bash
# RC and UD traffic between QPs of one device on lo, every operation, with
# payload checks (tests/progs/traffic_test.c), over IPv4 and IPv6 GIDs.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/traffic_test
assert_ok test -x "$prog"
assert_ok sroce_link_add sroce20 lo
g4=$(gid_index sroce20 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"
g6=$(gid_index sroce20 0000:0000:0000:0000:0000:0000:0000:0001) || fail "no IPv6 GID"
echo "# IPv4 GID index $g4"
expect_ok timeout 200 "$prog" sroce20 "$g4"
echo "# IPv6 GID index $g6"
expect_ok timeout 200 "$prog" sroce20 "$g6"
rdma statistic show link sroce20/1 2>/dev/null | head -5
exit 0
