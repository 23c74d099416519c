#!/usr/bin/env python3
# Hold an sroce device open (context + PDs) until it is removed under us.
# Prints "ready" once set up and "disassociated" when verbs start failing
# with the device gone; exits 0 then, 1 on any other outcome.
import errno
import sys
import time

from pyverbs.device import Context
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError

name = sys.argv[1]
ctx = Context(name=name)
pds = [PD(ctx) for _ in range(4)]
ctx.query_device()
print('ready', flush=True)

deadline = time.monotonic() + 25
while time.monotonic() < deadline:
    try:
        ctx.query_port(1)
    except PyverbsRDMAError as e:
        if e.error_code not in (errno.EIO, errno.ENODEV):
            print(f'unexpected error {e.error_code}: {e}', flush=True)
            sys.exit(1)
        print(f'disassociated (errno {e.error_code})', flush=True)
        for pd in pds:
            pd.close()
        ctx.close()
        sys.exit(0)
    time.sleep(0.1)
print('device never went away', flush=True)
sys.exit(1)
