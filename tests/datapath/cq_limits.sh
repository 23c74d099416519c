#!/bin/bash
# max_cq: CQs up to the device limit are created, the next one fails with
# ENOMEM, and once they are destroyed the count is back (one more fits).
# A second process on the same device shares the limit.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/cq_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"

assert_ok sroce_link_add sroce31 lo
assert_ok timeout 200 "$prog" sroce31 many

# The limit is per device: with 1000 CQs held by another process,
# max_cq - 1000 fit.
log=$(mktemp)
"$prog" sroce31 hold 1000 >"$log" 2>&1 &
holder=$!
wait_for "grep -q '^ready' '$log'" 120 || fail "holder did not get ready: $(cat "$log")"
expect_eq "$(rdma resource show cq dev sroce31 | grep -c cqn)" 1000 "CQs held"
expect_ok timeout 200 "$prog" sroce31 many 15384
kill -KILL $holder
wait $holder 2>/dev/null
wait_for "[ \$(rdma resource show cq dev sroce31 | grep -c cqn) = 0 ]" 30 ||
	fail "CQs left after the holder died"
rm -f "$log"
exit 0
