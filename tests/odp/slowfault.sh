#!/bin/bash
# Long responder faults (tests/progs/odp_test.c slowfault): swap on a
# device whose reads take 2 s (dm-delay over zram), target pages paged
# out, then RDMA WRITE and SEND into them with the usual QP timeout (14:
# 67 ms, 7 retries - a budget of about 0.5 s, far shorter than the fault).
# The responder must answer RNR NAK until the page is back (as ODP NICs
# do) instead of leaving the requester to time out and give up.  READ and
# FETCH_ADD (no RNR for them) run with a timeout of 1 s and must complete.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
prog=$SROCE_BUILD/tests/odp_test
dev=sroce74
slow=odp-slow-swap
assert_ok test -x "$prog"
require_cmd dmsetup mkswap swapon blockdev
grep -q '^/dev/' /proc/swaps && skip "a swap device is already active; the test needs the slow one alone"

zram=
# set_delay MS: the read delay of the slow device, changed live
set_delay()
{
	DM_DISABLE_UDEV=1 dmsetup suspend "$slow" &&
	DM_DISABLE_UDEV=1 dmsetup reload "$slow" \
		--table "0 $sectors delay /dev/zram0 0 $1 /dev/zram0 0 0" &&
	DM_DISABLE_UDEV=1 dmsetup resume "$slow"
}
slowfault_exit()
{
	local rc=$?

	[ -b "/dev/mapper/$slow" ] && set_delay 0 2>/dev/null
	swapoff "/dev/mapper/$slow" 2>/dev/null
	DM_DISABLE_UDEV=1 dmsetup remove "$slow" 2>/dev/null
	[ -n "$zram" ] && echo 1 > /sys/block/zram0/reset 2>/dev/null
	rmmod zram dm_delay 2>/dev/null
	(exit "$rc")
	sroce_exit
}
trap slowfault_exit EXIT
modprobe zram num_devices=1 2>/dev/null || skip "no zram module"
modprobe dm-delay 2>/dev/null || skip "no dm-delay module"
wait_for '[ -e /sys/block/zram0/disksize ]' 5 || skip "zram0 did not appear"
zram=1
assert_ok sh -c 'echo 64M > /sys/block/zram0/disksize'
sectors=$(blockdev --getsz /dev/zram0) || fail "blockdev zram0"
# no udev in the VM: dmsetup makes the node itself
assert_ok env DM_DISABLE_UDEV=1 dmsetup create "$slow" \
	--table "0 $sectors delay /dev/zram0 0 0 /dev/zram0 0 0"
wait_for "[ -b /dev/mapper/$slow ]" 5 || fail "/dev/mapper/$slow did not appear"
assert_ok mkswap "/dev/mapper/$slow" >/dev/null
assert_ok swapon "/dev/mapper/$slow"
# from now on every read (swap-in) takes 2 s, writes (swap-out) none
assert_ok set_delay 2000
sed 's/^/# /' /proc/swaps

sroce_lo_link "$dev"

timeout 240 "$prog" "$dev" "$g" slowfault
rc=$?
rdma statistic show link "$dev/1" | tr ' ' '\n' | paste - - |
	grep -E 'odp_rnr|odp_faults|retransmits|rnr_naks' | tr '\t' '=' | tr '\n' ' ' | sed 's/^/# /'
echo
((rc == 0 || rc == 4)) || fail "odp_test slowfault (exit status $rc)"
exit "$rc"
