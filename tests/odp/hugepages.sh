#!/bin/bash
# ODP on huge pages (tests/progs/odp_test.c hugepages): transparent huge
# pages (MADV_HUGEPAGE, built by the device's own faults), a huge page
# split under a device mapping, and hugetlbfs pages (MAP_HUGETLB) with
# IBV_ACCESS_HUGETLB (2 MiB translation entries), without it, and through
# the implicit MR; dropping a hugetlb page the device has mapped.
# timeout: 240
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
prog=$SROCE_BUILD/tests/odp_test
dev=sroce72
assert_ok test -x "$prog"

hp=$(cat /proc/sys/vm/nr_hugepages)
hugepages_exit()
{
	local rc=$?

	echo "$hp" > /proc/sys/vm/nr_hugepages
	(exit "$rc")
	sroce_exit
}
trap hugepages_exit EXIT
# 4 buffers of 4 MiB and a refault: 10 pages of 2 MiB, with room
echo 24 > /proc/sys/vm/nr_hugepages
n=$(cat /proc/sys/vm/nr_hugepages)
echo "# vm.nr_hugepages $n, THP $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
((n >= 10)) || skip "only $n huge pages could be reserved (need 10)"

sroce_lo_link "$dev"

timeout 180 "$prog" "$dev" "$g" hugepages
rc=$?
((rc == 0)) || fail "odp_test hugepages (exit status $rc)"
exit 0
