#!/bin/bash
# ODP stress (tests/progs/odp_test.c stress): 4 RC QP pairs on 8 explicit
# ODP MRs and the implicit one, each streaming WRITE, READ, SEND and
# FETCH_ADD while a thread mprotects (read-only and back) the regions the
# device only reads and drops (MADV_DONTNEED) the ones it writes, for
# ODP_STRESS_SECS (default 15) seconds; payloads the disturber cannot
# touch are verified exactly, the dropped ones packet by packet (the data
# or zeros), and everything again once it stops.  The harness fails the
# test on any kernel warning.
# timeout: 240
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
prog=$SROCE_BUILD/tests/odp_test
dev=sroce73
assert_ok test -x "$prog"
sroce_lo_link "$dev"

timeout 150 "$prog" "$dev" "$g" stress
rc=$?
rdma statistic show link "$dev/1" | tr ' ' '\n' | paste - - |
	grep -E 'odp_|retransmits|rnr|rx_qp_overflow|rx_bad_psn|rx_dup' |
	tr '\t' '=' | tr '\n' ' ' | sed 's/^/# /'
echo
((rc == 0)) || fail "odp_test stress (exit status $rc)"
exit 0
