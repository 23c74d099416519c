#!/bin/bash
# The in-kernel self-tests (modprobe sroce selftest=1): memory regions and
# the memory seam, then the CQ queue code including its producer/consumer
# race.  Both must pass, and the module must then load normally again.
# Devices present are removed by the unload.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

# check_summary LOG PREFIX: "PREFIX: N passed, 0 failed" with N >= 150
check_summary()
{
	local summary

	summary=$(echo "$1" | grep -E "$2: [0-9]+ passed, [0-9]+ failed" | tail -n 1)
	[ -n "$summary" ] || fail "no '$2' summary in the kernel log"
	[[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]] ||
		fail "unreadable summary: $summary"
	((BASH_REMATCH[2] == 0)) || fail "self-test failures: $summary"
	((BASH_REMATCH[1] >= 150)) || fail "too few checks ran: $summary"
	# modprobe runs in a process with an address space: nothing skipped
	((${BASH_REMATCH[4]:-0} == 0)) || fail "checks skipped: $summary"
}

if lsmod | grep -q '^sroce '; then
	assert_ok rmmod sroce
fi
mark="sroce-selftest-$$-$RANDOM"
echo "$mark" >/dev/kmsg
assert_ok modprobe sroce selftest=1
log=$(dmesg | awk -v m="$mark" 'index($0, m) { n = 1; next } n')
echo "$log" | grep -E 'sroce: (cq )?selftest'
check_summary "$log" 'sroce: selftest'
check_summary "$log" 'sroce: cq selftest'
echo "$log" | grep -q 'sroce: cq selftest: race: 100000 completions' ||
	fail "the CQ producer/consumer race did not complete"

assert_ok rmmod sroce
assert_ok modprobe sroce
[ "$(cat /sys/module/sroce/parameters/selftest)" = N ] || fail "selftest parameter stuck"
assert_ok sroce_link_add sroce24 lo
exit 0
