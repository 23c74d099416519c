#!/bin/bash
# CQs through pyverbs (rdma-core's Python binding): CQ, CQEX and
# CompChannel objects, polling empty CQs, resize, arming, and closing a
# context that still owns CQs and channels.  (Completion events are
# checked by cq_verbs.sh: pyverbs exposes no channel fd to wait on.)
# timeout: 180
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

python3 -c 'import pyverbs' 2>/dev/null || skip "pyverbs is not installed"
assert_ok sroce_link_add sroce35 lo
python3 - <<'PY' || fail "pyverbs CQ checks failed"
import errno
import pyverbs.enums as e
from pyverbs.device import Context
from pyverbs.cq import CQ, CQEX, CqInitAttrEx, CompChannel, PollCqAttr
from pyverbs.pyverbs_error import PyverbsRDMAError

ctx = Context(name='sroce35')
attr = ctx.query_device()
assert attr.max_cqe == 65535 and attr.max_cq == 16384, (attr.max_cqe, attr.max_cq)

for size in (1, 2, 100, attr.max_cqe):
    cq = CQ(ctx, size, None, None, 0)
    assert cq.cqe >= size, (size, cq.cqe)
    n, wcs = cq.poll(4)
    assert n == 0, n
    cq.close()

try:
    CQ(ctx, attr.max_cqe + 1, None, None, 0)
except PyverbsRDMAError as ex:
    assert ex.error_code == errno.EINVAL, ex
else:
    raise SystemExit('max_cqe + 1 accepted')

cq = CQ(ctx, 3, None, None, 0)
for size in (1, 7, 1000, 5):
    cq.resize(size)
    assert cq.cqe >= size, (size, cq.cqe)
cq.close()

cc = CompChannel(ctx)
cq = CQ(ctx, 16, None, cc, 0)
cq.req_notify()
cq.req_notify(True)
cq.resize(64)
cq.close()
cc.close()

ia = CqInitAttrEx(cqe=32, wc_flags=e.IBV_WC_STANDARD_FLAGS)
cqex = CQEX(ctx, ia)
try:
    ret = cqex.start_poll(PollCqAttr())
except PyverbsRDMAError as ex:
    ret = ex.error_code
assert ret == errno.ENOENT, ret
cqex.close()

ia = CqInitAttrEx(cqe=32, wc_flags=e.IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)
try:
    CQEX(ctx, ia)
except PyverbsRDMAError as ex:
    assert ex.error_code == errno.EOPNOTSUPP, ex
else:
    raise SystemExit('completion timestamps accepted')

# Closing the context closes what it still owns.
cc = CompChannel(ctx)
cqs = [CQ(ctx, 8, None, cc if i % 2 else None, 0) for i in range(20)]
ctx.close()
print('pyverbs CQ checks: ok')
PY
expect_eq "$(rdma resource show cq dev sroce35 | grep -v '\[ib_core\]' | grep -c cqn)" 0 "CQs left"
exit 0
