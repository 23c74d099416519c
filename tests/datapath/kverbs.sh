#!/bin/bash
# The data path as a kernel consumer drives it: the test module
# sroce_kverbs (tests/kmod) runs RC traffic between two kernel QPs of an
# sroce device on lo (kernel PD with its DMA lkey and global rkey, CQs
# polled directly and by completion events, sends with and without
# immediate data and several SGEs, 1 MiB RDMA WRITE and READ, an atomic
# the global rkey refuses, RESET and reconnect, fast-registration MRs:
# map_mr_sg, REG_MR, I/O through them, LOCAL_INV, re-registration with a
# new key, SEND_WITH_INV, bad arguments; a protection error and the flush
# behind it) and reports in the kernel log.  Its load always fails:
# -EAGAIN when every check passed.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

ko=${SROCE_KVERBS_KO:-$SROCE_BUILD/$(uname -r)/sroce_kverbs.ko}
[ -f "$ko" ] || fail "$ko not built (make modules-all)"

assert_ok sroce_link_add sroce24 lo
out=$(insmod "$ko" device=sroce24 2>&1)
rc=$?
line=$(dmesg | grep 'sroce_kverbs: [0-9]* passed, [0-9]* failed' | tail -n 1)
dmesg | grep 'sroce_kverbs: FAILED' | sed 's/^/# /'
echo "# ${line#*] }"
((rc != 0)) || fail "sroce_kverbs stayed loaded"
[[ $out == *"Resource temporarily unavailable"* ]] ||
	fail "insmod: $out (wanted EAGAIN: all checks passed)"
[[ $line =~ sroce_kverbs:\ ([0-9]+)\ passed,\ 0\ failed ]] || fail "no clean result line"
((BASH_REMATCH[1] >= 150)) || fail "only ${BASH_REMATCH[1]} checks ran"
exit 0
