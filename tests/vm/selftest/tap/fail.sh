#!/bin/bash
# Fails: a failed expectation does not stop the test, but fails it at exit.
. "$(dirname "$0")/../../../lib/common.sh"

expect_eq 1 2 "arithmetic"
echo "still running after the failed expectation"
