#!/bin/bash
# Unloading the module with devices present removes them cleanly, also
# while a process holds one of them open (it gets disassociated).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok modprobe sroce
assert_ok sroce_netdev_add sdum3 type dummy
assert_ok sroce_netdev_add sdum4 type dummy
assert_ok sroce_link_add sroce8 lo
assert_ok sroce_link_add sroce9 sdum3
assert_ok sroce_link_add sroce10 sdum4

log=$(mktemp)
python3 "$(dirname "$0")/hold_device.py" sroce9 >"$log" 2>&1 &
holder=$!
wait_for "grep -q ready '$log'" 20 || fail "holder did not start: $(cat "$log")"

assert_ok rmmod sroce
lsmod | grep -q '^sroce ' && fail "sroce still loaded"
for d in sroce8 sroce9 sroce10; do
	[ -e "/sys/class/infiniband/$d" ] && fail "$d survived rmmod"
done
wait_for "! kill -0 $holder 2>/dev/null" 30 || fail "holder still running: $(cat "$log")"
wait $holder || fail "holder failed: $(cat "$log")"
cat "$log"
grep -q 'disassociated' "$log" || fail "holder saw no device removal: $(cat "$log")"

# And it comes back.
assert_ok modprobe sroce
assert_ok sroce_link_add sroce8 lo
assert_ok rdma link delete sroce8
exit 0
