#!/bin/bash
# ODP under reclaim and page migration (tests/progs/odp_test.c pageout):
# MADV_PAGEOUT to a zram swap device and page migration (move_pages(2) to
# another node where there are two, else MADV_SOFT_OFFLINE, which migrates
# the page and retires the old frame; plus compaction) of pages a device
# has mapped: the device's next access faults the current page in, with
# the right data, also while traffic runs; the invalidation and fault
# counters move.  Soft offline retires up to 256 page frames of the VM.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
prog=$SROCE_BUILD/tests/odp_test
dev=sroce71
assert_ok test -x "$prog"

# swap on zram (no swap file: the VM's root is an overlay on tmpfs)
zram_swap=
pageout_exit()
{
	local rc=$?

	if [ -n "$zram_swap" ]; then
		swapoff "$zram_swap" 2>/dev/null
		echo 1 > "/sys/block/${zram_swap#/dev/}/reset" 2>/dev/null
	fi
	rmmod zram 2>/dev/null
	(exit "$rc")
	sroce_exit
}
trap pageout_exit EXIT
grep -q '^/dev/' /proc/swaps || {
	modprobe zram num_devices=1 2>/dev/null || skip "no zram module: no swap for MADV_PAGEOUT"
	wait_for '[ -e /sys/block/zram0/disksize ]' 5 || skip "zram0 did not appear"
	echo 256M > /sys/block/zram0/disksize || skip "cannot size zram0"
	mkswap /dev/zram0 >/dev/null || skip "mkswap on zram0 failed"
	swapon /dev/zram0 || skip "swapon zram0 failed"
	zram_swap=/dev/zram0
}
sed 's/^/# /' /proc/swaps
echo "# NUMA nodes: $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l)"

sroce_lo_link "$dev"

timeout 240 "$prog" "$dev" "$g" pageout
rc=$?
((rc == 0 || rc == 4)) || fail "odp_test pageout (exit status $rc)"
sed 's/^/# /' /proc/swaps
exit "$rc"
