#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""RoCEv2 packets built by hand, with an ICRC computed independently of
the kernel, for the wire tests.

  roce.py send [--v6] --dst ADDR [--src ADDR] KIND...
      send one packet of each KIND to ADDR:4791 (see KINDS); an IPv6
      link-local ADDR names its interface: --dst fe80::...%veth0
  roce.py capture --ifname DEV [--count N] [--timeout S] [--qpn QPN]
      wait for N RoCEv2 packets on DEV (AF_PACKET) and check their ICRC;
      prints one line per packet, exits 0 when all N arrived intact
  roce.py selftest
      check the ICRC code against a CRC-32 written out bit by bit

IPv4 packets go out through a raw socket with our own IP header (the ICRC
covers the IPv4 identification, so it must be ours), IPv6 ones through a
UDP socket bound to a known source port (every IPv6 field the ICRC covers
is then known in advance).  Only the standard library is used.
"""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time
import zlib

ROCE_PORT = 4791
SRC_PORT = 49152 + 0x2d2       # any port; RoCEv2 leaves it to entropy
ETH_P_ALL = 0x0003

# IB_OPCODE_* of <rdma/ib_pack.h>
RC_SEND_ONLY = 0x04
RC_RDMA_WRITE_FIRST = 0x06
RC_ACKNOWLEDGE = 0x11
UD_SEND_ONLY = 0x64


def crc32_bitwise(data, crc=0xffffffff):
    """CRC-32 (IEEE 802.3, reflected), one bit at a time: no tables, no zlib."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xedb88320 if crc & 1 else 0)
    return crc


def icrc(ip_hdr, udp_hdr, transport):
    """The RoCEv2 ICRC of IP header + UDP header + transport (BTH..pad), as
    the 4 bytes that go on the wire."""
    ip = bytearray(ip_hdr)
    if ip[0] >> 4 == 4:
        ip[1] = 0xff                    # TOS
        ip[8] = 0xff                    # TTL
        ip[10:12] = b'\xff\xff'         # header checksum
    else:
        ip[0] |= 0x0f                   # traffic class, high nibble
        ip[1:4] = b'\xff\xff\xff'       # traffic class low nibble, flow label
        ip[7] = 0xff                    # hop limit
    udp = bytearray(udp_hdr)
    udp[6:8] = b'\xff\xff'              # checksum
    tp = bytearray(transport)
    tp[4] = 0xff                        # BTH resv8a (FECN, BECN, resv6)
    data = b'\xff' * 8 + bytes(ip) + bytes(udp) + bytes(tp)
    crc = zlib.crc32(data)
    return struct.pack('<I', crc)


def bth(opcode, qpn, psn=0, se=False, pad=0, tver=0, pkey=0xffff,
        ackreq=False, resv8a=0):
    flags = (0x80 if se else 0) | 0x40 | (pad << 4) | tver
    return struct.pack('!BBHII', opcode, flags, pkey,
                       (resv8a << 24) | qpn,
                       (0x80000000 if ackreq else 0) | psn)


def transport(kind, qpn):
    """(transport bytes without ICRC, corrupt) for a test packet KIND."""
    if kind in ('good', 'flip', 'masked'):
        payload = b'sroce wire test'               # 15 bytes, pad 1
        pad = -len(payload) & 3
        resv8a = 0xc0 if kind == 'masked' else 0
        return bth(RC_SEND_ONLY, qpn, psn=7, pad=pad, ackreq=True,
                   resv8a=resv8a) + payload + bytes(pad)
    if kind == 'ud':
        payload = b'ud datagram!'
        deth = struct.pack('!II', 0x11111111, 0x000abc)
        return bth(UD_SEND_ONLY, qpn) + deth + payload
    if kind == 'echo':
        # payload: the QPN the echo goes to, then some text
        payload = struct.pack('!I', qpn) + b'echo me back'
        deth = struct.pack('!II', 0x11111111, 0x000abc)
        return bth(UD_SEND_ONLY, 0xec40) + deth + payload
    if kind == 'badver':
        return bth(RC_SEND_ONLY, qpn, tver=1) + b'abcd'
    if kind == 'badop':
        return bth(0x15, qpn) + b'abcd'            # reserved RC opcode
    if kind == 'cnp':
        return bth(0x81, qpn) + bytes(16)          # RoCEv2 CNP: unsupported
    if kind == 'noreth':
        return bth(RC_RDMA_WRITE_FIRST, qpn)       # RETH missing
    if kind == 'unaligned':
        return bth(RC_SEND_ONLY, qpn) + b'12345'   # 5 bytes, pad 0
    if kind == 'padnodata':
        return bth(RC_SEND_ONLY, qpn, pad=3)       # pad without payload
    if kind == 'ackdata':
        return bth(RC_ACKNOWLEDGE, qpn) + bytes(4) + b'xxxx'
    if kind.startswith('mad'):
        return mad_transport(kind, qpn)
    raise ValueError(kind)


GSI_QKEY = 0x80010000


def mad_transport(kind, qpn):
    """Datagrams for the GSI QP (send them with --qpn 1).  'mad' is a
    well-formed Get() of a management class nobody registered: ib_mad
    answers it with an 'unsupported class' GetResp, sent back over QP1 to
    the address the request came from.  The others must be dropped and
    counted by the device."""
    mad = bytearray(256)
    # base version 1, class 0x0a (vendor, unregistered), class version 1,
    # method Get, status 0, class specific 0, transaction id, attribute id
    mad[0:24] = struct.pack('!BBBBHHQHHI', 1, 0x0a, 1, 0x01, 0, 0,
                            0x5c0ce00000000001, 0x0010, 0, 0)
    mad = bytes(mad)
    deth = struct.pack('!II', GSI_QKEY, 1)
    if kind == 'mad':
        return bth(UD_SEND_ONLY, qpn) + deth + mad
    if kind == 'mad_qkey':                         # not the GSI Q_Key
        return bth(UD_SEND_ONLY, qpn) + struct.pack('!II', 0x11111111, 1) + mad
    if kind == 'mad_pkey':                         # not the default P_Key
        return bth(UD_SEND_ONLY, qpn, pkey=0x1234) + deth + mad
    if kind == 'mad_short':                        # DETH cut off
        return bth(UD_SEND_ONLY, qpn) + deth[:4]
    if kind == 'mad_rc':                           # RC opcode to QP1
        return bth(RC_SEND_ONLY, qpn) + mad
    if kind == 'mad_tiny':                         # 8 bytes of a MAD
        return bth(UD_SEND_ONLY, qpn) + deth + mad[:8]
    raise ValueError(kind)


# Packets that are not RoCE at all: raw UDP payloads, no ICRC added.
RAW_KINDS = {
    'empty': b'',
    'short7': b'\x04' * 7,
    'short15': b'\x04\x40' + b'\x00' * 13,
    'garbage': bytes((i * 37 + 11) & 0xff for i in range(64)),
}
KINDS = sorted(list(RAW_KINDS) + ['good', 'flip', 'masked', 'ud', 'echo',
                                  'badver', 'badop', 'cnp', 'noreth',
                                  'unaligned', 'padnodata', 'ackdata',
                                  'ipopt', 'mad', 'mad_qkey', 'mad_pkey',
                                  'mad_short', 'mad_rc', 'mad_tiny'])


def udp_header(sport, length):
    return struct.pack('!HHHH', sport, ROCE_PORT, length, 0)


def ipv4_header(src, dst, length, ident=0x1234, tos=0, ttl=64, options=b''):
    ihl = 5 + len(options) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos, length, ident,
                      0x4000, ttl, socket.IPPROTO_UDP, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    csum = 0
    for i in range(0, len(hdr), 2):
        csum += (hdr[i] << 8) | hdr[i + 1]
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    return hdr[:10] + struct.pack('!H', ~csum & 0xffff) + hdr[12:]


def ipv6_header(src, dst, length, tclass=0, flow=0, hop=64):
    return struct.pack('!IHBB16s16s', (6 << 28) | (tclass << 20) | flow,
                       length, socket.IPPROTO_UDP, hop,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst))


def build(kind, src, dst, v6, qpn):
    """(udp payload, ip header fields) of one test packet."""
    if kind in RAW_KINDS:
        return RAW_KINDS[kind], {}
    tp = transport('good' if kind == 'ipopt' else kind, qpn)
    ulen = 8 + len(tp) + 4
    udp = udp_header(SRC_PORT, ulen)
    if v6:
        ip = ipv6_header(src, dst, ulen)
    else:
        ip = ipv4_header(src, dst, 20 + ulen)
    payload = tp + icrc(ip, udp, tp)
    if kind == 'flip':
        payload = bytearray(payload)
        payload[14] ^= 0x01                        # a payload byte
        payload = bytes(payload)
    fields = {}
    if kind == 'masked':                           # fields the ICRC masks
        fields = {'tos': 0x2e, 'ttl': 3}
    if kind == 'ipopt':
        fields = {'options': b'\x01\x01\x01\x00'}  # NOP NOP NOP EOL
    return payload, fields


def send_v4(src, dst, payload, tos=0, ttl=64, options=b''):
    ulen = 8 + len(payload)
    ip = ipv4_header(src, dst, 20 + len(options) + ulen, tos=tos, ttl=ttl,
                     options=options)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW,
                       socket.IPPROTO_RAW) as s:
        s.sendto(ip + udp_header(SRC_PORT, ulen) + payload, (dst, 0))


def send_v6(src, dst, payload, scope=0):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, SRC_PORT, 0, scope))
        s.sendto(payload, (dst, ROCE_PORT, 0, scope))


def local_source(dst, v6, scope=0):
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.connect((dst, ROCE_PORT, 0, scope) if v6 else (dst, ROCE_PORT))
        return s.getsockname()[0].split('%')[0]


def cmd_send(args):
    # a link-local destination names its interface: fe80::1%veth0
    scope = 0
    if '%' in args.dst:
        if not args.v6:
            sys.exit(f'{args.dst}: a scope is for IPv6 only')
        args.dst, ifname = args.dst.split('%', 1)
        scope = socket.if_nametoindex(ifname)
    src = (args.src or local_source(args.dst, args.v6, scope)).split('%')[0]
    for kind in args.kinds:
        payload, fields = build(kind, src, args.dst, args.v6, args.qpn)
        if args.v6:
            if fields:
                sys.exit(f'{kind}: IPv4 only')
            send_v6(src, args.dst, payload, scope)
        else:
            send_v4(src, args.dst, payload, **fields)
        print(f'sent {kind} ({len(payload)} bytes) {src} -> {args.dst}')
        time.sleep(0.02)


def parse_roce(frame):
    """(ip header, udp header, transport, icrc) of an Ethernet frame that
    carries RoCEv2, else None."""
    eth_type = struct.unpack('!H', frame[12:14])[0]
    pkt = frame[14:]
    if eth_type == 0x0800:
        ihl = (pkt[0] & 0x0f) * 4
        if pkt[9] != socket.IPPROTO_UDP:
            return None
        ip, rest = pkt[:ihl], pkt[ihl:struct.unpack('!H', pkt[2:4])[0]]
    elif eth_type == 0x86dd:
        if pkt[6] != socket.IPPROTO_UDP:
            return None
        ip, rest = pkt[:40], pkt[40:40 + struct.unpack('!H', pkt[4:6])[0]]
    else:
        return None
    if len(rest) < 8 + 12 + 4 or struct.unpack('!H', rest[2:4])[0] != ROCE_PORT:
        return None
    ulen = struct.unpack('!H', rest[4:6])[0]
    return ip, rest[:8], rest[8:ulen - 4], rest[ulen - 4:ulen]


def cmd_capture(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((args.ifname, 0))
    if args.ready:
        open(args.ready, 'w').close()
    deadline = time.monotonic() + args.timeout
    seen = bad = 0
    while seen < args.count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        frame, addr = s.recvfrom(65536)
        if addr[2] == socket.PACKET_OUTGOING:
            continue                    # only what arrives (lo shows both)
        roce = parse_roce(frame)
        if not roce:
            continue
        ip, udp, tp, got = roce
        qpn = struct.unpack('!I', tp[4:8])[0] & 0xffffff
        if args.qpn is not None and qpn != args.qpn:
            continue
        want = icrc(ip, udp, tp)
        ok = want == got
        seen += 1
        bad += not ok
        print(f'packet opcode {tp[0]:#04x} qpn {qpn:#x} len {len(tp)} '
              f'sport {struct.unpack("!H", udp[0:2])[0]} udp csum '
              f'{struct.unpack("!H", udp[6:8])[0]:#06x} icrc {got.hex()} '
              f'{"ok" if ok else "BAD, want " + want.hex()}')
    print(f'{seen} packet(s), {bad} with a bad ICRC')
    return 0 if seen == args.count and not bad else 1


def cmd_selftest(_args):
    for data in (b'', b'123456789', bytes(range(256)) * 3):
        assert zlib.crc32(data) == crc32_bitwise(data) ^ 0xffffffff
    # The seed the RoCEv2 ICRC starts from after the dummy LRH.
    assert crc32_bitwise(b'\xff' * 8) == 0xdebb20e3
    print('ok')
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('send')
    p.add_argument('--dst', required=True)
    p.add_argument('--src')
    p.add_argument('--v6', action='store_true')
    p.add_argument('--qpn', type=lambda x: int(x, 0), default=0x123456)
    p.add_argument('kinds', nargs='+', choices=KINDS, metavar='KIND')
    p = sub.add_parser('capture')
    p.add_argument('--ifname', required=True)
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--timeout', type=float, default=10)
    p.add_argument('--qpn', type=lambda x: int(x, 0))
    p.add_argument('--ready', help='create this file once listening')
    sub.add_parser('selftest')
    args = ap.parse_args()
    if args.cmd == 'send':
        return cmd_send(args)
    if args.cmd == 'capture':
        return cmd_capture(args)
    return cmd_selftest(args)


if __name__ == '__main__':
    sys.exit(main() or 0)
