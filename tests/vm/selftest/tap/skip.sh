#!/bin/bash
# Skips, with a reason that run-tests shows.
. "$(dirname "$0")/../../../lib/common.sh"

skip "nothing to test here"
