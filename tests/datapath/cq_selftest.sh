#!/bin/bash
# The in-kernel self-test of the CQ queue code (modprobe sroce selftest=1,
# which runs it after the memory-seam self-test): it must pass, including
# the producer/consumer race, and the module must then load normally again.
# timeout: 240
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

if lsmod | grep -q '^sroce '; then
	assert_ok rmmod sroce
fi
mark="sroce-cq-selftest-$$-$RANDOM"
echo "$mark" >/dev/kmsg
assert_ok modprobe sroce selftest=1
log=$(dmesg | awk -v m="$mark" 'index($0, m) { n = 1; next } n')
echo "$log" | grep 'sroce: cq selftest'
summary=$(echo "$log" | grep -E 'sroce: cq selftest: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
[ -n "$summary" ] || fail "no CQ self-test summary in the kernel log"
[[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]] || fail "unreadable summary: $summary"
((BASH_REMATCH[2] == 0)) || fail "self-test failures: $summary"
((BASH_REMATCH[1] >= 150)) || fail "too few checks ran: $summary"
echo "$log" | grep -q 'sroce: cq selftest: race: 100000 completions' ||
	fail "the producer/consumer race did not complete"

assert_ok rmmod sroce
assert_ok modprobe sroce
assert_ok sroce_link_add sroce34 lo
exit 0
