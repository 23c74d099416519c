#!/bin/bash
# "make install" of the provider: libibverbs finds it without RDMAV_DRIVERS.
# (vmrun installs the module the same way "make install" does: updates/ and
# depmod, and link_lo.sh checks the autoload.)  The guest's / is a throwaway
# overlay, so installing here leaves the host untouched.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok make --no-print-directory -s -C "$SROCE_ROOT/lib" O="$SROCE_ROOT/build/lib" install
assert_ok test -f /etc/libibverbs.d/sroce.driver
assert_ok sroce_link_add sroce13 lo
out=$(env -u RDMAV_DRIVERS ibv_devinfo -d sroce13 2>&1) || fail "ibv_devinfo: $out"
echo "$out" | grep -q 'PORT_ACTIVE' || fail "installed provider: $out"
exit 0
