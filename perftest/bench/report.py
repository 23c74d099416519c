#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Write benchmarks.md and its plots from the results of perftest/bench/guest.

Input: one JSON object per line (raw.jsonl).  Output: OUT/benchmarks.md,
OUT/bench/*.png (gnuplot), OUT/bench/*.dat (the plotted data).
"""
import argparse
import datetime
import json
import math
import os
import shutil
import subprocess

DEVS = {"sroceb0": "sroce", "rxb0": "rxe"}
BW_TESTS = ("write_bw", "read_bw", "send_bw")
# the memcpy row whose speed a kernel copy has under TCG (rep movsb)
KERNEL_COPY_ROW = 65536
LAT_TESTS = ("write_lat", "read_lat", "send_lat", "atomic_lat")
PREFIX = ""     # of the plot files: "odp-" for the ODP-only page


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if not math.isfinite(v):
        return "-"
    return "%.*f" % (digits, v)


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out) + "\n"


class Results:
    def __init__(self, recs):
        self.env = next((r for r in recs if r.get("env")), {})
        self.host = next((r for r in recs if r.get("host")), {})
        self.odp = any(r.get("odp") for r in recs)
        self.recs = [r for r in recs if "test" in r]
        self.raw = recs

    def get(self, suite, dev, mode, test, size, key):
        for r in self.recs:
            if (r.get("suite") == suite and DEVS.get(r.get("dev"), r.get("dev")) == dev
                    and r.get("mode") == mode and r.get("test") == test
                    and r.get("bytes") == size):
                return "fail" if r.get("error") else r.get(key)
        return None

    def memcpy(self, size):
        for r in self.recs:
            if r.get("suite") == "memcpy" and r.get("bytes") == size:
                return r.get("bw_avg")
        return None

    def sizes(self, test):
        return sorted({r["bytes"] for r in self.recs
                       if r.get("test") in (test, "ib_" + test) and r.get("bytes")})

    def local(self, test):
        return [r for r in self.recs if r.get("test") == test and not r.get("error")]


def num(v):
    if isinstance(v, (int, float)) and math.isfinite(v):
        return v
    return None


def bw_section(R, plots):
    cols = [("sroce-tools", "sroce", "pinned", "sroce pinned")]
    if R.odp:
        cols.append(("sroce-tools", "sroce", "odp", "sroce ODP"))
    cols += [("sroce-tools", "rxe", "pinned", "rxe"),
             ("perftest", "sroce", "pinned", "perftest: sroce"),
             ("perftest", "rxe", "pinned", "perftest: rxe")]
    out = ["## Bandwidth\n",
           "MB/s (2^20 bytes per second), one RC QP over loopback, the average of the run. "
           "*sroce ODP* is steady state: the buffers are ODP MRs whose pages were faulted in "
           "(`--prefetch`) before the timed run; first-touch costs are in the ODP section. "
           "*sroce/rxe* compares the two devices with our tools, *% memcpy* sroce pinned "
           "against the ceiling of a kernel copy in the same VM (memcpy of 64 KiB, see "
           "above), whatever the message size. *ODP/pinned* compares "
           "single runs minutes apart; see the interleaved runs below for a measurement "
           "that copes with the shared host.\n"]
    for test in BW_TESTS:
        head = ["bytes"] + [c[3] for c in cols] + ["sroce/rxe", "% memcpy"]
        if R.odp:
            head.append("ODP/pinned")
        rows = []
        for s in R.sizes(test):
            v = [R.get(c[0], c[1], c[2], test if c[0] != "perftest" else "ib_" + test,
                       s, "bw_avg") for c in cols]
            sro, rxe = num(v[0]), num(v[2 if R.odp else 1])
            row = [str(s)] + [fmt(x) for x in v]
            row.append(fmt(ratio(sro, rxe)) + ("x" if ratio(sro, rxe) else ""))
            mc = ratio(sro, R.memcpy(KERNEL_COPY_ROW) or R.memcpy(s))
            row.append(fmt(mc * 100 if mc else None, 1))
            if R.odp:
                row.append(fmt(ratio(num(v[1]), sro)))
            rows.append(row)
        out.append("### %s\n" % test)
        out.append(table(head, rows))
        if test in plots:
            out.append("\n![%s bandwidth vs message size](bench/%s)\n" % (test, plots[test]))
    return "\n".join(out)


def interleaved_section(R):
    """ODP steady state vs pinned: pairs of runs back to back."""
    recs = [r for r in R.recs if r.get("mode") in ("il-pinned", "il-odp")]
    if not recs:
        return ""
    secs = next((r.get("seconds") for r in recs if r.get("seconds")), "?")
    rows = []
    for test in BW_TESTS:
        for size in sorted({r["bytes"] for r in recs if r["test"] == test}, reverse=True):
            by = {}
            faults = rnr = 0
            unknown = False
            for r in recs:
                if r["test"] != test or r["bytes"] != size or r.get("error"):
                    continue
                by.setdefault(r["pair"], {})[r["mode"]] = r["bw_avg"]
                if r["mode"] == "il-odp":
                    f, n = r.get("odp_faults_timed", -1), r.get("odp_rnr_naks_timed", -1)
                    if f is None or f < 0 or n is None or n < 0:
                        unknown = True
                    else:
                        faults += f
                        rnr += n
            pairs = [(v["il-pinned"], v["il-odp"]) for v in by.values()
                     if v.get("il-pinned") and v.get("il-odp")]
            if not pairs:
                rows.append([test, str(size), "0", "fail", "fail", "-", "-", "-"])
                continue
            rs = [o / p for p, o in pairs]
            rows.append([test, str(size), str(len(pairs)),
                         fmt(median([p for p, _ in pairs])), fmt(median([o for _, o in pairs])),
                         fmt(median(rs)), "%s .. %s" % (fmt(min(rs)), fmt(max(rs))),
                         "?" if unknown else "%d / %d" % (faults, rnr)])
    return ("## ODP steady state vs pinned, interleaved\n\n"
            "Each row is *pairs* pairs of runs back to back in the same VM, one pinned and "
            "one ODP, the order alternating (pinned first in odd pairs), %s s each:\n\n"
            "    sr_TEST -d sroceb0 --loopback -s SIZE -D %s                  # pinned\n"
            "    sr_TEST -d sroceb0 --loopback -s SIZE -D %s --odp --prefetch # ODP\n\n"
            "`--prefetch` faults both buffers in (ibv_advise_mr PREFETCH_WRITE, FLUSH) before "
            "the timed part.  *ODP/pinned* is the median of the per-pair ratios of average "
            "MB/s, *range* their smallest and largest; the MB/s columns are medians over the "
            "pairs.  *faults / RNR NAKs* are the device counters `odp_faults` and "
            "`odp_rnr_naks` (`rdma statistic show link sroceb0/1`) read by the tool right "
            "before and after the timed part of each ODP run, summed over the pairs: 0 / 0 "
            "means every ODP run was in steady state.\n\n"
            % (secs, secs, secs) +
            table(["test", "bytes", "pairs", "pinned MB/s", "ODP MB/s", "ODP/pinned",
                   "range", "faults / RNR NAKs"], rows))


def lat_section(R):
    cols = [("sroce-tools", "sroce", "pinned", "sroce pinned")]
    if R.odp:
        cols.append(("sroce-tools", "sroce", "odp", "sroce ODP"))
    cols += [("sroce-tools", "rxe", "pinned", "rxe"),
             ("perftest", "sroce", "pinned", "perftest: sroce"),
             ("perftest", "rxe", "pinned", "perftest: rxe")]
    head = ["test", "bytes"] + [c[3] for c in cols] + ["rxe/sroce"]
    rows = []
    for test in LAT_TESTS:
        for s in R.sizes(test):
            v = [R.get(c[0], c[1], c[2], test if c[0] != "perftest" else "ib_" + test,
                       s, "t_typical") for c in cols]
            sro, rxe = num(v[0]), num(v[2 if R.odp else 1])
            rows.append([test, str(s)] + [fmt(x) for x in v] +
                        [fmt(ratio(rxe, sro)) + ("x" if ratio(rxe, sro) else "")])
    return ("## Latency\n\nTypical (median) latency in microseconds, one message at a time; "
            "write and send are ping-pong (half the round trip, as perftest reports). "
            "*rxe/sroce* above 1 means sroce is faster.\n\n" + table(head, rows))


def odp_section(R, plots):
    out = ["## Memory registration and ODP\n"]
    if not PREFIX:
        out.append("`make bench-odp` runs these measurements and the interleaved pairs alone, "
                   "5 pairs per row: [benchmarks-odp.md](benchmarks-odp.md).  What they mean "
                   "for sroce's ODP design: [odp.md](odp.md), \"Performance\".\n")
    if not R.odp:
        out.append("The sroce device of this run advertised no on-demand paging "
                   "(`odp_caps.general_caps` without `IBV_ODP_SUPPORT`), so the ODP "
                   "columns, fault throughput, first-touch and churn runs are missing; "
                   "pinned registration cost and footprint are below.\n")
    fresh = [r for r in R.local("reg_cost") if r.get("fresh")]
    if fresh:
        modes = [m for m in ("pinned", "odp", "implicit") if any(r["mode"] == m for r in fresh)]
        head = ["bytes"] + ["%s reg avg (min) [usec]" % m for m in modes]
        if "pinned" in modes and "odp" in modes:
            head += ["pinned/ODP avg (min)"]
        head += ["%s +RSS / +VmPin [KiB]" % m for m in modes if m != "implicit"]
        rows = []
        for z in sorted({r["bytes"] for r in fresh}):
            by = {r["mode"]: r for r in fresh if r["bytes"] == z}
            row = [str(z)] + ["%s (%s)" % (fmt(by.get(m, {}).get("reg_avg_usec")),
                                           fmt(by.get(m, {}).get("reg_min_usec")))
                              for m in modes]
            if "pinned" in modes and "odp" in modes:
                p, o = by.get("pinned", {}), by.get("odp", {})
                a = ratio(p.get("reg_avg_usec"), o.get("reg_avg_usec"))
                b = ratio(p.get("reg_min_usec"), o.get("reg_min_usec"))
                row.append("%sx (%sx)" % (fmt(a, 0 if a and a >= 10 else 2),
                                          fmt(b, 0 if b and b >= 10 else 2)))
            row += ["%s / %s" % (by.get(m, {}).get("rss_delta_kb", "-"),
                                 by.get(m, {}).get("pinned_delta_kb", "-"))
                    for m in modes if m != "implicit"]
            rows.append(row)
        n = fresh[0].get("iterations", "?")
        out.append("### Registering a freshly allocated buffer (`sr_reg_cost --fresh`)\n\n"
                   "What an application sees when it registers memory it has just allocated: "
                   "every registration gets a new anonymous mmap that nothing touched, "
                   "unmapped after the dereg.  Pinning faults in and zeroes every page; an "
                   "ODP registration maps nothing (its cost is ib_umem_odp_get's allocation "
                   "of the per-page tables, see [odp.md](odp.md)); implicit ODP registers "
                   "the whole address space once, whatever the size.  Average and (minimum) "
                   "of %s, and the growth of RSS and VmPin across the registration (VmLck "
                   "does not move: ib_umem pins count in VmPin).\n\n"
                   "    sr_reg_cost -d sroceb0 --fresh -a --max-size %dM -n %s\n\n"
                   % (n, max(r["bytes"] for r in fresh) >> 20, n) + table(head, rows))
        big = max(r["bytes"] for r in fresh)
        p = next((r for r in fresh if r["bytes"] == big and r["mode"] == "pinned"), None)
        o = next((r for r in fresh if r["bytes"] == big and r["mode"] == "odp"), None)
        if p and o and o["reg_avg_usec"] > 0 and o["reg_min_usec"] > 0:
            out.append("\nAt %d MiB an ODP registration of a fresh buffer is %.0fx faster than "
                       "pinning it on average (%.0fx comparing the fastest of each).\n"
                       % (big >> 20, p["reg_avg_usec"] / o["reg_avg_usec"],
                          p["reg_min_usec"] / o["reg_min_usec"]))
        if "reg_fresh" in plots:
            out.append("\n![registration cost of a fresh buffer vs size](bench/%s)\n"
                       % plots["reg_fresh"])
    reg = [r for r in R.local("reg_cost") if not r.get("fresh")]
    if reg:
        modes = [m for m in ("pinned", "odp", "implicit") if any(r["mode"] == m for r in reg)]
        head = ["bytes"] + ["%s reg [usec]" % m for m in modes] + \
               ["%s dereg [usec]" % m for m in modes]
        if "pinned" in modes and "odp" in modes:
            head.append("pinned/ODP")
        rows = []
        for s in sorted({r["bytes"] for r in reg}):
            by = {r["mode"]: r for r in reg if r["bytes"] == s}
            row = [str(s)] + [fmt(by.get(m, {}).get("reg_avg_usec")) for m in modes] + \
                  [fmt(by.get(m, {}).get("dereg_avg_usec")) for m in modes]
            if "pinned/ODP" in head:
                row.append(fmt(ratio(by["pinned"]["reg_avg_usec"],
                                     by["odp"]["reg_avg_usec"])) + "x")
            rows.append(row)
        out.append("### Registration cost of a touched buffer (`sr_reg_cost`)\n\n"
                   "ibv_reg_mr and ibv_dereg_mr of one buffer whose pages were touched "
                   "before, registered again and again: pinning without page allocation, "
                   "average of 3.\n\n"
                   "    sr_reg_cost -d sroceb0 -a --max-size %dM -n 3\n\n"
                   % (max(r["bytes"] for r in reg) >> 20) + table(head, rows))
        if "reg_cost" in plots:
            out.append("\n![registration cost vs size](bench/%s)\n" % plots["reg_cost"])
    faults = R.local("odp_faults")
    if faults:
        rows = [[r["method"], str(r["bytes"]), fmt(r["pages_per_sec"], 0),
                 fmt(r["usec_per_page"], 3)] for r in faults]
        sz = faults[0]["bytes"]
        out.append("### Fault throughput and invalidation (`sr_odp_faults`)\n\n"
                   "First-touch fault throughput: a %d MiB ODP buffer is dropped "
                   "(MADV_DONTNEED), then its pages come back through ibv_advise_mr "
                   "(*prefetch*), as the responder of RDMA WRITEs (*rdma-write*) or the "
                   "requester of RDMA READs (*rdma-read*), 64 KiB per WR.  Invalidation: "
                   "MADV_DONTNEED of the faulted ODP buffer (the MMU notifier tears the "
                   "translation down, *invalidate-odp*) against the same on memory no MR "
                   "covers (*invalidate-plain*).  Average of the iterations.  Invalidation "
                   "under traffic is the churn run below.\n\n"
                   "    sr_odp_faults -d sroceb0 -s %dM -n 3\n\n" % (sz >> 20, sz >> 20) +
                   table(["method", "bytes", "pages/s", "usec/page"], rows))
        if "odp_faults" in plots:
            out.append("\n![fault and invalidation cost per page](bench/%s)\n" %
                       plots["odp_faults"])
    fp = list({(r["mode"], r["phase"], r["bytes"]): r
               for r in R.local("footprint")}.values())  # the last run of each
    if fp:
        rows = [[r["mode"], r["phase"], str(r["bytes"]), str(r["rss_delta_kb"]),
                 str(r["pinned_kb"]), str(r.get("locked_kb", "-"))] for r in fp]
        out.append("### Memory footprint (`sr_footprint`)\n\n"
                   "The process's RSS (growth since before the buffer was allocated), VmPin "
                   "and VmLck after each step of a buffer's life; the RDMA step writes every "
                   "page of the buffer.\n\n"
                   "    sr_footprint -d sroceb0 -s %dM\n\n" % (fp[0]["bytes"] >> 20) +
                   table(["mode", "phase", "bytes", "+RSS [KiB]", "VmPin [KiB]",
                          "VmLck [KiB]"], rows))
    ft = [r for r in R.recs if r.get("mode") in ("odp-first-touch", "odp-churn")]
    if ft:
        rows = []
        for r in ft:
            base = R.get("sroce-tools", "sroce", "odp", "write_bw", r["bytes"], "bw_avg")
            rows.append([r["mode"], str(r["bytes"]), fmt(r.get("bw_avg")),
                         fmt(num(base)), fmt(ratio(num(r.get("bw_avg")), num(base)))])
        out.append("### First touch and invalidation churn (`sr_write_bw`)\n\n"
                   "Bandwidth when every pass starts on dropped pages (`--first-touch`) "
                   "and with 64 KiB invalidated (MADV_DONTNEED, on both sides) every 64 "
                   "messages while WRs are in flight (`--churn 64`), against steady-state "
                   "ODP.\n\n"
                   "    sr_write_bw -d sroceb0 --loopback -s SIZE -n N --odp --first-touch\n"
                   "    sr_write_bw -d sroceb0 --loopback -s SIZE -n N --odp --churn 64\n\n" +
                   table(["run", "bytes", "MB/s", "steady ODP MB/s", "ratio"], rows))
    return "\n".join(out)


def gnuplot(out_dir, name, script):
    if not shutil.which("gnuplot"):
        return False
    subprocess.run(["gnuplot"], input=script, text=True, cwd=out_dir, check=True)
    return os.path.exists(os.path.join(out_dir, name))


def reg_plot(bench_dir, name, reg, title):
    modes = [m for m in ("pinned", "odp", "implicit") if any(r["mode"] == m for r in reg)]
    with open(os.path.join(bench_dir, name + ".dat"), "w") as f:
        for s in sorted({r["bytes"] for r in reg}):
            by = {r["mode"]: r["reg_avg_usec"] for r in reg if r["bytes"] == s}
            f.write("%d %s\n" % (s, " ".join(fmt(by.get(m)) if m in by else "NaN"
                                             for m in modes)))
    lines = ['"%s.dat" using 1:%d with linespoints title "%s"' % (name, i + 2, m)
             for i, m in enumerate(modes)]
    script = ('set terminal png size 800,480 noenhanced\nset output "%s.png"\n'
              'set title "%s"\nset logscale xy\nset grid\n'
              'set xlabel "bytes"\nset ylabel "usec"\nset key left top\n'
              'set datafile missing "NaN"\nplot %s\n' % (name, title, ", ".join(lines)))
    return gnuplot(bench_dir, name + ".png", script)


def make_plots(R, bench_dir):
    plots = {}
    if not shutil.which("gnuplot"):
        return plots
    series = [("sroce-tools", "sroce", "pinned", "sroce pinned"),
              ("sroce-tools", "sroce", "odp", "sroce ODP"),
              ("sroce-tools", "rxe", "pinned", "rxe"),
              ("perftest", "sroce", "pinned", "perftest sroce"),
              ("perftest", "rxe", "pinned", "perftest rxe")]
    for test in BW_TESTS if not PREFIX else ():
        sizes = R.sizes(test)
        used = [s for s in series if any(num(R.get(s[0], s[1], s[2],
                test if s[0] != "perftest" else "ib_" + test, z, "bw_avg")) for z in sizes)]
        if not sizes or not used:
            continue
        dat = "%s.dat" % test
        with open(os.path.join(bench_dir, dat), "w") as f:
            f.write("# bytes memcpy " + " ".join('"%s"' % s[3] for s in used) + "\n")
            for z in sizes:
                vals = [num(R.get(s[0], s[1], s[2],
                        test if s[0] != "perftest" else "ib_" + test, z, "bw_avg"))
                        for s in used]
                f.write("%d %s %s\n" % (z, fmt(R.memcpy(z)),
                                        " ".join(fmt(v) if v is not None else "NaN"
                                                 for v in vals)))
        png = "bw_%s.png" % test
        lines = ['"%s" using 1:%d with linespoints title "%s"' % (dat, i + 3, s[3])
                 for i, s in enumerate(used)]
        lines.append('"%s" using 1:2 with lines dashtype 2 title "memcpy (ceiling)"' % dat)
        script = ('set terminal png size 800,480 noenhanced\nset output "%s"\n'
                  'set title "%s bandwidth (loopback, QEMU TCG)"\nset logscale xy\n'
                  'set xlabel "message size [bytes]"\nset ylabel "MB/s"\n'
                  'set key left top\nset grid\nset datafile missing "NaN"\nplot %s\n'
                  % (png, test, ", ".join(lines)))
        if gnuplot(bench_dir, png, script):
            plots[test] = png
    for name, fr in (("reg_cost", False), ("reg_fresh", True)):
        reg = [r for r in R.local("reg_cost") if bool(r.get("fresh")) == fr]
        if reg and reg_plot(bench_dir, PREFIX + name, reg, "ibv_reg_mr cost%s" %
                            (" of a fresh buffer" if fr else "")):
            plots[name] = PREFIX + name + ".png"
    faults = R.local("odp_faults")
    if faults:
        with open(os.path.join(bench_dir, "%sodp_faults.dat" % PREFIX), "w") as f:
            for r in faults:
                f.write('"%s" %s\n' % (r["method"], fmt(r["usec_per_page"], 4)))
        script = ('set terminal png size 800,480 noenhanced\nset output "{p}odp_faults.png"\n'
                  'set title "ODP: cost per 4 KiB page"\nset style data histograms\n'
                  'set style fill solid 0.6\nset ylabel "usec per page (log)"\nset logscale y\n'
                  'set grid ytics\nset boxwidth 0.7\n'
                  'plot "{p}odp_faults.dat" using 2:xtic(1) notitle\n').format(p=PREFIX)
        if gnuplot(bench_dir, PREFIX + "odp_faults.png", script):
            plots["odp_faults"] = PREFIX + "odp_faults.png"
    return plots


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--odp", action="store_true",
                    help="the ODP-only run: benchmarks-odp.md, plots bench/odp-*.png")
    a = ap.parse_args()
    global PREFIX
    if a.odp:
        PREFIX = "odp-"

    R = Results(load(a.raw))
    bench_dir = os.path.join(a.out, "bench")
    os.makedirs(bench_dir, exist_ok=True)
    plots = make_plots(R, bench_dir)
    env = R.env
    failed = sum(1 for r in R.recs if r.get("error"))
    skipped = [r["skipped"] for r in R.raw if r.get("skipped")]
    partial = any(r.get("partial") for r in R.raw)
    target = "bench-odp" if a.odp else "bench-quick" if a.quick else "bench"
    doc = ["# sroce benchmarks%s\n" % (": ODP" if a.odp else ""),
           "Generated by `make %s` (`perftest/bench/run%s`) on %s from commit `%s`: "
           "one VM run on Debian kernel %s under QEMU TCG, %s vCPUs, %d MiB, on a "
           "2-core host. The CPU is emulated, so only the columns of this page compare "
           "with each other (same VM, same run), not with hardware.\n"
           % (target, " --odp" if a.odp else "", datetime.date.today().isoformat(), a.commit,
              env.get("kernel", "?"), env.get("cpus", "?"), env.get("mem_kb", 0) // 1024),
           ("The ODP measurements of [benchmarks.md](benchmarks.md) alone, with a full "
            "quota of interleaved pairs (`make bench-odp`, `perftest/bench/run --odp`%s): "
            "our tools `build/bin/sr_*` on sroce over `lo`.\n" % (" --quick" if a.quick else ""))
           if a.odp else
           "Tools: ours are `build/bin/sr_*` (`--loopback`, `--json`; see "
           "[perftest.md](perftest.md)); *perftest* is Debian's `ib_*` (server and "
           "client processes). Devices: sroce and stock rdma_rxe, each on `lo`.\n"]
    if R.host:
        doc.append("The host's load average was %s before and %s after the %d s run%s.\n"
                   % (R.host["load_before"], R.host["load_after"], R.host["seconds"],
                      "; other work shared the two cores, so single numbers are noisy"
                      if max(R.host["load_before"], R.host["load_after"]) > 1.5 else ""))
    if partial:
        doc.append("**The VM run did not finish**: this page shows the results it got.\n")
    if skipped:
        doc.append("**%d steps were skipped** to stay within the time budget: %s.\n"
                   % (len(skipped), ", ".join(skipped)))
    if failed:
        doc.append("**%d runs failed** and show as `fail`; see `bench/raw.jsonl`.\n" % failed)
    if not shutil.which("gnuplot"):
        doc.append("No plots: gnuplot is not installed (`make deps` installs it).\n")
    mc = [r for r in R.recs if r.get("suite") == "memcpy"]
    if mc:
        doc.append("## Ceiling: memcpy in the VM\n\nOne thread copying through 64 MiB "
                   "(`sr_memcpy_bw`): a software device moves each payload byte with "
                   "the CPU at least once.  Under TCG the 64 KiB row is the one that "
                   "counts: glibc copies 16..256 KiB with `rep movsb`, which TCG "
                   "emulates several times slower than the loops glibc uses for other "
                   "sizes, and the kernel's `memcpy` is `rep movsb` for every size "
                   "(see [transport.md](transport.md), \"Performance\"); *% memcpy* "
                   "below compares with this row at every message size.\n\n" +
                   table(["bytes", "MB/s"], [[str(r["bytes"]), fmt(r["bw_avg"], 1)]
                                             for r in mc]))
    if not a.odp:
        doc.append(bw_section(R, plots))
    il = interleaved_section(R)
    if il:
        doc.append(il)
    if not a.odp:
        doc.append(lat_section(R))
    doc.append(odp_section(R, plots))
    doc.append("## Reproducing\n\n    make deps            # once: QEMU, kernels, perftest, gnuplot\n"
               "    make bench           # full matrix, ~15-20 min: benchmarks.md\n"
               "    make bench-odp       # the ODP part alone, 10-15 min: benchmarks-odp.md\n"
               "    make bench-quick     # 2 sizes, short runs: build/bench/benchmarks.md\n\n"
               "The raw results, one JSON object per run, are in `bench/raw%s.jsonl`.\n"
               % ("-odp" if a.odp else ""))
    with open(os.path.join(a.out, "benchmarks-odp.md" if a.odp else "benchmarks.md"),
              "w") as f:
        f.write("\n".join(doc))


if __name__ == "__main__":
    main()
