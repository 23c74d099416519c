#!/bin/bash
# "rdma link delete" while a process holds the device: the process gets a
# device-fatal event and errors, never a crash; the link goes away at once.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce11 lo
log=$(mktemp)
python3 "$(dirname "$0")/hold_device.py" sroce11 >"$log" 2>&1 &
holder=$!
wait_for "grep -q ready '$log'" 20 || fail "holder did not start: $(cat "$log")"
assert_ok timeout 30 rdma link delete sroce11
[ -e /sys/class/infiniband/sroce11 ] && fail "sroce11 still there"
wait_for "! kill -0 $holder 2>/dev/null" 30 || fail "holder still running: $(cat "$log")"
wait $holder || fail "holder failed: $(cat "$log")"
cat "$log"
grep -q 'disassociated' "$log" || fail "holder saw no device removal"
exit 0
