#!/bin/bash
# Memory region registration through the provider: sizes from 1 B to
# 256 MiB at aligned and unaligned addresses, iovas, keys (lkey == rkey,
# unique, a freed key not handed out again), access-flag rules and their
# errnos, on-demand paging refused, rereg of PD/access/translation.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/mr_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"
assert_ok sroce_link_add sroce20 lo

for t in sizes keys access rereg; do
	echo "== mr_test $t"
	expect_ok "$prog" sroce20 "$t"
done

# Nothing is left registered.
n=$(rdma resource show mr dev sroce20 2>/dev/null | grep -c 'mrn')
expect_eq "$n" 0 "MRs left on sroce20"
exit 0
