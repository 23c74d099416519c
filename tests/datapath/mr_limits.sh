#!/bin/bash
# MR limits: exactly max_mr registrations per device (less the kernel's),
# then ENOMEM, and a freed slot is usable again; RLIMIT_MEMLOCK bounds what
# a process without CAP_IPC_LOCK may pin (ENOMEM over it, EPERM with a
# limit of 0) and deregistration gives the pages back.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/mr_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"
assert_ok sroce_link_add sroce21 lo

echo "== mr_test many"
# ib_mad's PD on the device holds one DMA MR (its local_dma_lkey, sroce
# has no reserved lkey): max_mr - 1 are left for users.
expect_ok "$prog" sroce21 many $((65536 - 1))
echo "== mr_test memlock"
expect_ok "$prog" sroce21 memlock

n=$(rdma resource show mr dev sroce21 2>/dev/null | grep -c 'mrn')
expect_eq "$n" 0 "MRs left on sroce21"
exit 0
