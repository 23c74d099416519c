#!/bin/bash
# MR limits: exactly max_mr registrations per device, then ENOMEM, and a
# freed slot is usable again; RLIMIT_MEMLOCK bounds what a process without
# CAP_IPC_LOCK may pin (ENOMEM over it, EPERM with a limit of 0) and
# deregistration gives the pages back.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/mr_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"
assert_ok sroce_link_add sroce21 lo

echo "== mr_test many"
expect_ok "$prog" sroce21 many
echo "== mr_test memlock"
expect_ok "$prog" sroce21 memlock

n=$(rdma resource show mr dev sroce21 2>/dev/null | grep -c 'mrn')
expect_eq "$n" 0 "MRs left on sroce21"
exit 0
