#!/bin/bash
# Passes: the helpers of tests/lib/common.sh agree with a healthy system.
. "$(dirname "$0")/../../../lib/common.sh"

assert_ok test -d /proc/self
expect_ok true
expect_fail false
expect_eq "$(echo hello)" hello "echo"
wait_for '[[ -d /sys/class ]]' 2 || fail "wait_for missed a true condition"
if wait_for false 1 2>/dev/null; then
	fail "wait_for accepted a false condition"
fi
echo "all good"
