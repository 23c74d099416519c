#!/bin/bash
# A process that exits, or is killed, with MRs registered leaves no MR and
# no pinned page behind; so does one whose device is deleted under it.
# Evidence: the MR count of "rdma resource show mr", the process's VmPin
# while it holds them, and MemFree coming back (pinned pages are not
# mlocked, so nr_mlock does not see them).
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

prog=$SROCE_ROOT/build/tests/mr_test
[ -x "$prog" ] || fail "$prog not built (make testprogs)"
mib=256

mr_count()	# DEV
{
	rdma resource show mr dev "$1" 2>/dev/null | grep -c 'mrn'
}

mem_free_mib()
{
	awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo
}

# hold DEV MODE: start a holder of $mib MiB; sets holder, log.
hold()
{
	log=$(mktemp)
	"$prog" "$1" hold $mib $2 >"$log" 2>&1 &
	holder=$!
	wait_for "grep -q '^ready' '$log'" 120 || fail "holder did not get ready: $(cat "$log")"
}

# Memory came back: MemFree within 64 MiB of BEFORE (polled: freeing is
# not instantaneous).
expect_mem_back()
{
	local before=$1 what=$2

	if ! wait_for "(( \$(mem_free_mib) + 64 >= $before ))" 30; then
		echo "FAIL: $what: MemFree $(mem_free_mib) MiB, was $before MiB" >&2
		common_failures=$((common_failures + 1))
	fi
}

assert_ok sroce_link_add sroce22 lo
sync
echo 3 >/proc/sys/vm/drop_caches
before=$(mem_free_mib)
echo "MemFree before: $before MiB"

# 1. Killed while holding them.
hold sroce22
pin=$(awk '/^VmPin:/ { print int($2 / 1024) }' /proc/$holder/status)
echo "holder: $(mr_count sroce22) MRs, VmPin $pin MiB, MemFree $(mem_free_mib) MiB"
expect_eq "$(mr_count sroce22)" $mib "MRs while holding"
expect_eq "$pin" $mib "VmPin while holding (MiB)"
n=$(rdma -dd resource show mr dev sroce22 | grep -c 'drv_type pages drv_npages 256')
expect_eq "$n" $mib "MRs shown as 256 pinned pages each"
kill -KILL $holder
wait $holder 2>/dev/null
wait_for "[ \$(mr_count sroce22) = 0 ]" 30
expect_eq "$(mr_count sroce22)" 0 "MRs after SIGKILL"
expect_mem_back "$before" "after SIGKILL"

# 2. Exits without deregistering.
hold sroce22 exit
wait $holder
expect_eq "$?" 0 "holder exit status"
expect_eq "$(mr_count sroce22)" 0 "MRs after exit"
expect_mem_back "$before" "after exit"

# 3. The device goes away under it: ib_core deregisters its MRs.
hold sroce22
expect_eq "$(mr_count sroce22)" $mib "MRs before the device is deleted"
assert_ok timeout 60 rdma link delete sroce22
[ -e /sys/class/infiniband/sroce22 ] && fail "sroce22 still there"
pin=$(awk '/^VmPin:/ { print int($2 / 1024) }' /proc/$holder/status)
expect_eq "$pin" 0 "VmPin after the device was deleted (MiB)"
kill -KILL $holder
wait $holder 2>/dev/null
expect_mem_back "$before" "after device deletion"
rm -f "$log"
exit 0
