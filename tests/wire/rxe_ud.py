#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Send UD datagrams from an RDMA device (rdma_rxe in the wire tests)
with pyverbs, so that the packets, and their ICRC, are made by another
RoCEv2 implementation than sroce's.

  rxe_ud.py --dev rxe0 --src 192.0.2.21 --dst 192.0.2.22 --qpn 0x123456 N

sends N datagrams from the RoCE v2 GID of address --src to QPN --qpn at
address --dst, waits for their send completions and exits 0 when all
completed successfully.
"""
import argparse
import ipaddress
import sys
import time

import pyverbs.enums as e
from pyverbs.addr import AH, AHAttr, GID, GlobalRoute
from pyverbs.cq import CQ
from pyverbs.device import Context
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import SGE, SendWR

QKEY = 0x11111111
MSG = 64


def gid_index(dev, addr):
    """Index of the RoCE v2 GID of IP address @addr on port 1 of @dev."""
    want = ipaddress.ip_address(addr)
    if want.version == 4:
        want = ipaddress.IPv6Address('::ffff:' + addr)
    base = f'/sys/class/infiniband/{dev}/ports/1'
    for i in range(256):
        try:
            with open(f'{base}/gids/{i}') as f:
                gid = ipaddress.IPv6Address(f.read().strip())
            with open(f'{base}/gid_attrs/types/{i}') as f:
                kind = f.read().strip()
        except OSError:
            continue
        if gid == want and kind == 'RoCE v2':
            return i
    sys.exit(f'{dev}: no RoCE v2 GID for {addr}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dev', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--dst', required=True)
    ap.add_argument('--qpn', type=lambda x: int(x, 0), required=True)
    ap.add_argument('count', type=int)
    args = ap.parse_args()

    ctx = Context(name=args.dev)
    pd = PD(ctx)
    cq = CQ(ctx, 2 * args.count)
    cap = QPCap(max_send_wr=args.count, max_recv_wr=1, max_send_sge=1,
                max_recv_sge=1)
    qp = QP(pd, QPInitAttr(qp_type=e.IBV_QPT_UD, scq=cq, rcq=cq, cap=cap))
    attr = QPAttr(port_num=1)
    attr.qkey = QKEY
    qp.to_rts(attr)

    dst = ipaddress.ip_address(args.dst)
    if dst.version == 4:
        dst = ipaddress.IPv6Address('::ffff:' + args.dst)
    gr = GlobalRoute(dgid=GID(dst.exploded),
                     sgid_index=gid_index(args.dev, args.src),
                     hop_limit=64)
    ah = AH(pd, attr=AHAttr(gr=gr, is_global=1, port_num=1))
    mr = MR(pd, MSG, e.IBV_ACCESS_LOCAL_WRITE)
    mr.write(b'from rxe'.ljust(MSG, b'.'), MSG)

    for i in range(args.count):
        wr = SendWR(wr_id=i, opcode=e.IBV_WR_SEND, num_sge=1,
                    sg=[SGE(mr.buf, MSG, mr.lkey)])
        wr.set_wr_ud(ah, args.qpn, QKEY)
        qp.post_send(wr)

    done = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        n, wcs = cq.poll(args.count)
        for wc in wcs[:n]:
            if wc.status != e.IBV_WC_SUCCESS:
                sys.exit(f'send {wc.wr_id} completed with status {wc.status}')
            done += 1
        if done == args.count:
            print(f'{done} datagram(s) sent by {args.dev}, qpn {qp.qp_num:#x}')
            return 0
        if not n:
            time.sleep(0.01)
    sys.exit(f'only {done} of {args.count} sends completed')


if __name__ == '__main__':
    sys.exit(main())
