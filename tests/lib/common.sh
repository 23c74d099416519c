# Helpers for test scripts run by tests/vm/run-tests.  Source from bash:
#
#	. "$(dirname "$0")/../lib/common.sh"
#
# A test reports through its exit status: 0 passed, 4 skipped, anything else
# failed.  Messages go to stderr; run-tests shows them with the test's output.
#
#   fail MSG...            print "FAIL: MSG" and stop the test (exit 1)
#   skip MSG...            print "SKIP: MSG" and stop the test (exit 4); only
#                          for something genuinely absent
#   assert_ok CMD...       run CMD; if it fails, fail (stops the test)
#   assert_fail CMD...     run CMD; if it succeeds, fail (stops the test)
#   expect_ok CMD...       run CMD; if it fails, say so and go on: the test
#                          fails when it exits (returns 0 either way, so it
#                          is safe under set -e)
#   expect_fail CMD...     the same for a CMD that must fail
#   expect_eq GOT WANT MSG compare two strings, like expect_ok
#   wait_for COND [SECS]   poll the shell condition COND every 0.1 s until it
#                          holds (return 0) or SECS (default 10) pass (return 1)
#   require_cmd NAME...    skip unless each command exists
#
# Sourcing sets an EXIT trap that turns a 0 exit status into 1 after a failed
# expectation; a test with its own EXIT trap should call common_exit in it.

common_failures=0

common_exit()
{
	local rc=$?

	if ((rc == 0 && common_failures > 0)); then
		echo "FAIL: $common_failures expectation(s) failed" >&2
		exit 1
	fi
	exit "$rc"
}
trap common_exit EXIT

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

skip()
{
	echo "SKIP: $*"
	exit 4
}

assert_ok()
{
	"$@" || fail "$* (exit status $?)"
}

assert_fail()
{
	if "$@"; then
		fail "$* succeeded, but should have failed"
	fi
}

expect_ok()
{
	local rc=0

	"$@" || rc=$?
	if ((rc != 0)); then
		echo "FAIL: $* (exit status $rc)" >&2
		common_failures=$((common_failures + 1))
	fi
	return 0
}

expect_fail()
{
	if "$@"; then
		echo "FAIL: $* succeeded, but should have failed" >&2
		common_failures=$((common_failures + 1))
	fi
	return 0
}

expect_eq()
{
	if [[ $1 != "$2" ]]; then
		echo "FAIL: ${3:-value}: got '$1', want '$2'" >&2
		common_failures=$((common_failures + 1))
	fi
	return 0
}

wait_for()
{
	local cond=$1 secs=${2:-10} deadline

	deadline=$((${EPOCHREALTIME/./} + secs * 1000000))
	until eval "$cond"; do
		if ((${EPOCHREALTIME/./} >= deadline)); then
			echo "wait_for: '$cond' still false after ${secs}s" >&2
			return 1
		fi
		sleep 0.1
	done
}

require_cmd()
{
	local cmd

	for cmd; do
		command -v "$cmd" >/dev/null || skip "$cmd is not installed"
	done
}
