#!/bin/bash
# A process that exits, or is killed, with CQs open (some armed on completion
# channels, some resized, some extended) leaves no CQ behind; nor does one
# whose device is deleted under it.  Evidence: "rdma resource show cq".
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/cq_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"
n=64

cq_count()	# DEV
{
	rdma resource show cq dev "$1" 2>/dev/null | grep -v '\[ib_core\]' | grep -c 'cqn'
}

# hold DEV [exit]: start a holder of $n CQs; sets holder, log.
hold()
{
	log=$(mktemp)
	"$prog" "$1" hold $n $2 >"$log" 2>&1 &
	holder=$!
	wait_for "grep -q '^ready' '$log'" 60 || fail "holder did not get ready: $(cat "$log")"
}

assert_ok sroce_link_add sroce32 lo
before=$(cq_count sroce32)
expect_eq "$before" 0 "CQs before"

# 1. Killed while holding them.
hold sroce32
expect_eq "$(cq_count sroce32)" $n "CQs while holding"
# The driver's own attributes of a CQ: its ring slots and overflow count.
out=$(rdma resource show cq dev sroce32 -dd 2>&1 | head -n 3)
echo "$out"
echo "$out" | grep -Eq 'cqe 15 .*drv_slots 16 drv_overflows 0' ||
	fail "no driver attributes in rdma resource show cq -dd: $out"
kill -KILL $holder
wait $holder 2>/dev/null
wait_for "[ \$(cq_count sroce32) = 0 ]" 30 || echo "FAIL: CQs left after SIGKILL" >&2
expect_eq "$(cq_count sroce32)" 0 "CQs after SIGKILL"

# 2. Exits without destroying them.
hold sroce32 exit
wait $holder
expect_eq "$?" 0 "holder exit status"
wait_for "[ \$(cq_count sroce32) = 0 ]" 30
expect_eq "$(cq_count sroce32)" 0 "CQs after exit"

# 3. The device goes away under it: ib_core destroys its CQs and zaps the
#    ring mappings; the process survives and can be killed.
assert_ok sroce_netdev_add sdum30 type dummy
assert_ok ip link set sdum30 up
assert_ok sroce_link_add sroce33 sdum30
hold sroce33
expect_eq "$(cq_count sroce33)" $n "CQs on sroce33"
assert_ok timeout 60 rdma link delete sroce33
[ -e /sys/class/infiniband/sroce33 ] && fail "sroce33 still there"
kill -0 $holder 2>/dev/null || fail "holder died with the device: $(cat "$log")"
kill -KILL $holder
wait $holder 2>/dev/null

# The device and module are still sound: the count works on sroce32.
hold sroce32 exit
wait $holder
expect_eq "$(cq_count sroce32)" 0 "CQs after exit, again"
rm -f "$log"
exit 0
