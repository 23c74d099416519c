#!/bin/bash
# The provider through pyverbs: context, device/port queries, many PDs.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce12 lo
python3 - <<'PY' || fail "pyverbs checks failed"
import sys
from pyverbs.device import Context
from pyverbs.pd import PD
import pyverbs.enums as e

ctx = Context(name='sroce12')
attr = ctx.query_device()
assert attr.max_pd == 65536, attr.max_pd
assert attr.max_qp == 16384, attr.max_qp
assert attr.phys_port_cnt == 1
assert attr.fw_version == '0.1.0', attr.fw_version
port = ctx.query_port(1)
assert port.state == e.IBV_PORT_ACTIVE, port.state
assert port.link_layer == e.IBV_LINK_LAYER_ETHERNET
assert port.max_msg_sz == 1 << 30
# fast registration is for kernel consumers only: not an application's cap
assert not attr.device_cap_flags & e.IBV_DEVICE_MEM_MGT_EXTENSIONS
attr_ex = ctx.query_device_ex()
assert not attr_ex.device_cap_flags_ex & e.IBV_DEVICE_MEM_MGT_EXTENSIONS
assert attr_ex.orig_attr.device_cap_flags == attr.device_cap_flags
pds = [PD(ctx) for _ in range(200)]
for pd in pds:
    pd.close()
ctx.close()
print('pyverbs: ok')
PY
# Unimplemented verbs are refused, not faked.
python3 - <<'PY' || fail "alloc_mw was not refused"
import errno
import pyverbs.enums as e
from pyverbs.device import Context
from pyverbs.pd import PD
from pyverbs.mr import MW
from pyverbs.pyverbs_error import PyverbsRDMAError, PyverbsError
ctx = Context(name='sroce12')
pd = PD(ctx)
try:
    MW(pd, e.IBV_MW_TYPE_1)
except (PyverbsRDMAError, PyverbsError) as err:
    print('alloc_mw refused:', err)
else:
    raise SystemExit('alloc_mw succeeded')
PY
exit 0
