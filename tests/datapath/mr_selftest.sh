#!/bin/bash
# The in-kernel self-test of memory regions and the memory seam
# (modprobe sroce selftest=1): it must pass, and the module must then load
# normally again.  Devices present are removed by the unload.
# timeout: 180
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

if lsmod | grep -q '^sroce '; then
	assert_ok rmmod sroce
fi
mark="sroce-mr-selftest-$$-$RANDOM"
echo "$mark" >/dev/kmsg
assert_ok modprobe sroce selftest=1
log=$(dmesg | awk -v m="$mark" 'index($0, m) { n = 1; next } n')
echo "$log" | grep 'sroce: selftest'
summary=$(echo "$log" | grep -E 'sroce: selftest: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
[ -n "$summary" ] || fail "no self-test summary in the kernel log"
[[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]] ||
	fail "unreadable summary: $summary"
((BASH_REMATCH[2] == 0)) || fail "self-test failures: $summary"
((BASH_REMATCH[1] >= 150)) || fail "too few checks ran: $summary"
# modprobe runs in a process with an address space: the pinned part ran.
((BASH_REMATCH[3] == 0)) || fail "pinned user MR checks skipped: $summary"

# And back to normal.
assert_ok rmmod sroce
assert_ok modprobe sroce
[ "$(cat /sys/module/sroce/parameters/selftest)" = N ] || fail "selftest parameter stuck"
assert_ok sroce_link_add sroce24 lo
exit 0
