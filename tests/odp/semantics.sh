#!/bin/bash
# ODP semantics (tests/progs/odp_test.c) on one sroce device over lo:
# coherence of every operation between the CPU and RDMA on explicit and
# implicit ODP MRs (also mixed with pinned ones, RC and UD), the
# registration footprint (1 GiB ODP: no RSS, nothing locked or pinned,
# works with RLIMIT_MEMLOCK 0 where pinning fails), MADV_DONTNEED,
# munmap (also under traffic) and mapping again, mprotect and fork (COW:
# the child's copy is never the target).  Then the ODP counters: per
# device ("rdma statistic show link") and per MR ("rdma statistic show
# mr", "rdma -dd resource show mr") for MRs a process holds.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

SROCE_BUILD=${SROCE_BUILD:-$SROCE_ROOT/build}
export RDMAV_DRIVERS=$SROCE_BUILD/lib/libsroce
prog=$SROCE_BUILD/tests/odp_test
dev=sroce70
assert_ok test -x "$prog"
sroce_lo_link "$dev"
hw=/sys/class/infiniband/$dev/ports/1/hw_counters

# run SUBTEST...: one odp_test run, bounded; its output is the test's
run()
{
	local rc

	echo "# odp_test $*"
	timeout 500 "$prog" "$dev" "$g" "$@"
	rc=$?
	if ((rc != 0)); then
		echo "FAIL: odp_test $* (exit status $rc)" >&2
		common_failures=$((common_failures + 1))
	fi
}

run coherence footprint dontneed munmap mprotect fork

# Device counters: every ODP counter is there, and the run moved them.
stats=$(rdma statistic show link "$dev/1") || fail "rdma statistic show link $dev/1"
for c in odp_faults odp_fault_failures odp_pages_mapped odp_prefetches odp_rnr_naks \
	odp_inv_unmap odp_inv_clear odp_inv_protection_vma odp_inv_protection_page \
	odp_inv_soft_dirty odp_inv_release odp_inv_migrate odp_inv_other \
	odp_pages_invalidated odp_pages_write_revoked; do
	[[ " $stats " == *" $c "* ]] || { echo "FAIL: rdma statistic show link: no $c" >&2
		common_failures=$((common_failures + 1)); }
done
echo "# $(tr ' ' '\n' <<<"$stats" | paste - - | grep odp_ | tr '\t' '=' | tr '\n' ' ')"
for c in odp_faults odp_pages_mapped odp_inv_unmap odp_inv_clear odp_inv_protection_vma \
	odp_inv_protection_page odp_pages_invalidated odp_pages_write_revoked odp_rnr_naks; do
	v=$(cat "$hw/$c")
	((v > 0)) || { echo "FAIL: counter $c did not move ($v)" >&2
		common_failures=$((common_failures + 1)); }
done

# Per-MR counters of MRs a process holds: an explicit and the implicit one.
out=$(mktemp)
"$prog" "$dev" "$g" hold >"$out" 2>&1 &
pid=$!
if wait_for "grep -q '^ready' '$out'" 60; then
	mrs=$(rdma statistic show mr)
	res=$(rdma -dd resource show mr)
	echo "$mrs" | sed 's/^/# stat mr: /'
	echo "$res" | sed 's/^/# res mr: /'
	n=$(echo "$mrs" | grep -c "^dev $dev mrn [0-9]* odp_faults [1-9]")
	expect_eq "$n" 2 "MRs with odp_faults > 0 in 'rdma statistic show mr'"
	echo "$mrs" | grep -q "odp_pages_invalidated [1-9]" ||
		{ echo "FAIL: no MR shows its invalidated pages" >&2
		  common_failures=$((common_failures + 1)); }
	n=$(echo "$res" | grep -c "drv_type odp drv_npages [1-9]")
	expect_eq "$n" 2 "ODP MRs with resident pages in 'rdma -dd resource show mr'"
	echo "$res" | grep -q "mrlen 18446744073709551615 .*drv_type odp" ||
		{ echo "FAIL: the implicit MR is not shown" >&2
		  common_failures=$((common_failures + 1)); }
else
	echo "FAIL: odp_test hold did not get ready" >&2
	common_failures=$((common_failures + 1))
fi
kill -USR1 "$pid" 2>/dev/null
wait "$pid"
rc=$?
sed 's/^/# hold: /' "$out"
rm -f "$out"
expect_eq "$rc" 0 "odp_test hold exit status"
exit 0
