#!/bin/bash
# CQ verbs through the provider (tests/progs/cq_test.c): sizes and limits,
# ibv_create_cq_ex flags, polling empty CQs, resize, notification on a
# completion channel without completions, pollers racing resizes.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/cq_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"

assert_ok sroce_link_add sroce30 lo
for t in sizes cq_ex empty resize notify threads; do
	echo "# cq_test $t"
	expect_ok timeout 120 "$prog" sroce30 "$t"
done
# Everything the tests created is gone.
expect_eq "$(rdma resource show cq dev sroce30 | grep -v '\[ib_core\]' | grep -c cqn)" 0 "CQs left on sroce30"
exit 0
