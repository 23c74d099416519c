#!/bin/bash
# rdma-core's own CQ API tests (test_cq.CQAPITest and test_cqex.CQEXAPITest
# from the rdma-core package's tests) against an sroce device: create CQs
# and extended CQs of many sizes and vectors, with completion channels, and
# the bad-flow cases (EINVAL).  Their traffic classes (CQTest, CqExTestCase,
# test_cq_events) need QPs and belong with the QP/traffic suites.
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

src=/usr/share/doc/rdma-core/tests
[ -f "$src/run_tests.py" ] || skip "rdma-core's tests are not installed ($src)"
python3 -c 'import pyverbs' 2>/dev/null || skip "pyverbs is not installed"

assert_ok sroce_link_add sroce36 lo
work=$(mktemp -d)
assert_ok cp -r "$src" "$work/"
assert_ok gunzip -f "$work"/tests/*.py.gz
out=$(cd "$work" && timeout 240 python3 tests/run_tests.py --dev sroce36 -v \
	test_cq.CQAPITest test_cqex.CQEXAPITest 2>&1)
rc=$?
echo "$out" | grep -E '\.\.\. |^Ran |^OK|^FAILED'
((rc == 0)) || fail "exit status $rc: $(echo "$out" | tail -n 30)"
# All five ran and passed; none was skipped ("OK (skipped=N)").
echo "$out" | grep -q '^Ran 5 tests in ' || fail "not all 5 tests ran"
echo "$out" | grep -qx 'OK' || fail "not OK without skips"
rm -rf "$work"
exit 0
