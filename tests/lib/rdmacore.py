#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run rdma-core's own test suite (pyverbs) on a device, with expected skips.

    rdmacore.py --dev DEV --gid N --skips FILE [--src DIR] [--netdev IF]
                MODULE|TEST...

Debian ships the suite with python3-pyverbs in /usr/share/doc/rdma-core/tests,
most .py files gzipped: it is copied to a temporary directory and unzipped
there.  The tests are the arguments of rdma-core's run_tests.py (test_cq,
test_cq.CQTest, ...).  Each test's verbose result is printed as it runs; at
the end every skip is checked against FILE, lines of

    TEST-ID-REGEX :: REASON-REGEX :: why the device does not do it

(blank lines and '#' comments ignored; the regexes are Python's, searched in
the test id without its "tests." prefix and in the skip reason).  A failure,
an error, an unexpected success or a skip that no line allows fails the run
(exit status 1).  The last line is "N passed, N failed, N skipped".
"""

import argparse
import gzip
import os
import re
import shutil
import sys
import tempfile
import unittest


def read_skips(path):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = [p.strip() for p in line.split('::')]
            if len(parts) != 3 or not all(parts):
                sys.exit(f'{path}:{n}: want "TEST-ID-REGEX :: REASON-REGEX :: WHY"')
            rules.append((re.compile(parts[0]), re.compile(parts[1]), parts[2]))
    return rules


class Result(unittest.TextTestResult):
    """TextTestResult that remembers the id of every test it ran."""
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ran = []

    def startTest(self, test):
        super().startTest(test)
        self.ran.append(test.id())


def module_of(test_id):
    m = re.search(r'\btests\.(test_\w+)', test_id)
    return m.group(1) if m else test_id


def copy_suite(src, dst):
    """Copy rdma-core's tests/ into dst/tests, gunzipping *.py.gz."""
    tests = os.path.join(dst, 'tests')
    shutil.copytree(src, tests)
    for name in os.listdir(tests):
        if name.endswith('.py.gz'):
            path = os.path.join(tests, name)
            with gzip.open(path) as z, open(path[:-3], 'wb') as out:
                shutil.copyfileobj(z, out)
            os.unlink(path)
    return tests


def use_netdev(ifname):
    """The suite finds a device's IP address through the netdev of its
    parent bus device (/sys/class/infiniband/DEV/device/net); a software
    device such as sroce has no parent device, so tell it the netdev."""
    from tests.base import RDMATestCase

    def get_ip_mac(self, dev, port, idx):
        ip_addr, mac_addr = self.get_ip_mac_address(ifname)
        self.args.append([dev, port, idx, ip_addr, mac_addr])
    RDMATestCase._get_ip_mac = get_ip_mac


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dev', required=True)
    ap.add_argument('--gid', required=True, type=int)
    ap.add_argument('--skips', required=True)
    ap.add_argument('--src', default='/usr/share/doc/rdma-core/tests')
    ap.add_argument('--netdev', help='the netdev of DEV, for the tests that '
                    'need its IP address (rdma_cm)')
    ap.add_argument('tests', nargs='+')
    args = ap.parse_args()
    rules = read_skips(args.skips)

    work = tempfile.mkdtemp(prefix='rdmacore.')
    try:
        tests_dir = copy_suite(args.src, work)
        # As run_tests.py: its own directory first (args_parser), then the
        # package "tests"; the suite reads its options from args_parser.
        sys.path[:0] = [tests_dir, work]
        sys.argv = ['run_tests.py', '--dev', args.dev, '--gid', str(args.gid)]
        from args_parser import parser
        parser.parse_args()
        import tests
        if args.netdev:
            use_netdev(args.netdev)

        suite = unittest.defaultTestLoader.loadTestsFromNames(args.tests, tests)
        res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                      resultclass=Result).run(suite)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    bad = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    unexpected = 0
    used = [0] * len(rules)
    for test, reason in res.skipped:
        tid = test.id().removeprefix('tests.')
        for i, (tre, rre, why) in enumerate(rules):
            if tre.search(tid) and rre.search(reason):
                used[i] += 1
                break
        else:
            unexpected += 1
            print(f'UNEXPECTED SKIP: {tid}: {reason}')
    for n, (tre, rre, why) in zip(used, rules):
        if n:
            print(f'expected skips: {n} x {why}')
        else:
            print(f'note: nothing skipped for {tre.pattern} ({why})')
    # per module: run, passed, skipped
    mods = {}
    for tid in res.ran:
        mods.setdefault(module_of(tid), [0, 0])[0] += 1
    for test, _ in res.skipped:
        mods.setdefault(module_of(test.id()), [0, 0])[1] += 1
    bad_ids = [t.id() for t, _ in res.failures + res.errors] + \
              [t.id() for t in res.unexpectedSuccesses]
    for mod, (ran, skip) in sorted(mods.items()):
        nbad = sum(1 for tid in bad_ids if module_of(tid) == mod)
        print(f'module {mod}: {ran} run, {ran - skip - nbad} passed, {skip} skipped')
    # an unexpected skip counts as a failure, not as a skip
    failed = bad + unexpected
    skipped = len(res.skipped) - unexpected
    passed = max(0, res.testsRun - len(res.skipped) - bad)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
