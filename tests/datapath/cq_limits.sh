#!/bin/bash
# max_cq: CQs up to the device limit are created, the next one fails with
# ENOMEM, and once they are destroyed the count is back (one more fits).
# A second process on the same device shares the limit, and so do kernel
# consumers: ib_mad holds the CQ of the device's QP1.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/cq_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"

assert_ok sroce_link_add sroce31 lo
user_cqs()
{
	rdma resource show cq dev sroce31 | grep -v '\[ib_core\]' | grep -c cqn
}
kcqs=$(rdma resource show cq dev sroce31 | grep -c '\[ib_core\]')
echo "# CQs of kernel consumers: $kcqs"
assert_ok timeout 200 "$prog" sroce31 many $((16384 - kcqs))

# The limit is per device: with 1000 CQs held by another process,
# max_cq - 1000 fit (less the kernel's).
log=$(mktemp)
"$prog" sroce31 hold 1000 >"$log" 2>&1 &
holder=$!
wait_for "grep -q '^ready' '$log'" 120 || fail "holder did not get ready: $(cat "$log")"
expect_eq "$(user_cqs)" 1000 "CQs held"
expect_ok timeout 200 "$prog" sroce31 many $((15384 - kcqs))
kill -KILL $holder
wait $holder 2>/dev/null
wait_for "[ \$(user_cqs) = 0 ]" 30 ||
	fail "CQs left after the holder died"
rm -f "$log"
exit 0
