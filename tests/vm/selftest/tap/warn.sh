#!/bin/bash
# Exits 0, but makes the kernel WARN: run-tests must fail it.  Needs the
# vmrun_selftest module installed (vmrun --module ... --no-load).
. "$(dirname "$0")/../../../lib/common.sh"

modinfo vmrun_selftest >/dev/null 2>&1 || skip "vmrun_selftest module not installed"
assert_ok modprobe vmrun_selftest action=warn
assert_ok modprobe -r vmrun_selftest
