# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for tests of the benchmark tools (perftest/, build/bin/sr_*).
# Source after common.sh and sroce.sh.
#
#   pt_run NAME TOOL ARGS...   run sr_TOOL --json ARGS, bounded in time;
#                              its JSON goes to $PT_OUT.  A failure is a
#                              failed expectation (shows stderr), returns 1.
#                              Runs in network namespace $PT_NETNS if set
#   pt_expect NAME EXPR...     Python expressions that must hold: over the
#                              document d, and over each result r when
#                              they use r (there must be results)
#   pt_usage_error NAME TOOL ARGS...   must exit 1 with a message

PT_BIN=${SROCE_PT_BIN:-${SROCE_BUILD:-$SROCE_ROOT/build}/bin}
PT_TIMEOUT=${PT_TIMEOUT:-120}
PT_OUT=
PT_NETNS=

pt_run()
{
	local name=$1 tool=$2 err rc ns=()
	shift 2
	[ -n "$PT_NETNS" ] && ns=(ip netns exec "$PT_NETNS")
	err=$(mktemp)
	PT_OUT=$(timeout "$PT_TIMEOUT" "${ns[@]}" "$PT_BIN/sr_$tool" --json "$@" 2>"$err")
	rc=$?
	if ((rc != 0)); then
		echo "FAIL: $name: sr_$tool $* exited $rc" >&2
		sed 's/^/#   /' "$err" | tail -20
		common_failures=$((common_failures + 1))
		rm -f "$err"
		return 1
	fi
	rm -f "$err"
	return 0
}

pt_expect()
{
	local name=$1
	shift
	PT_JSON=$PT_OUT python3 - "$name" "$@" <<'PY' 2>&1 || {
import json, os, sys

name, exprs = sys.argv[1], sys.argv[2:]
try:
    d = json.loads(os.environ["PT_JSON"])
except ValueError as e:
    print("FAIL: %s: output is not JSON: %s" % (name, e))
    sys.exit(1)
res = d.get("results", [])
bad = []
if d.get("status") != "ok":
    bad.append('status is %r' % d.get("status"))
for e in exprs:
    if "r[" in e or "r." in e:
        if not res:
            bad.append("no results for: " + e)
        for r in res:
            if not eval(e, {}, {"d": d, "r": r}):
                bad.append("%s (result %s)" % (e, json.dumps(r)))
    elif not eval(e, {}, {"d": d}):
        bad.append(e)
if bad:
    print("FAIL: %s:\n#   %s" % (name, "\n#   ".join(bad)))
    sys.exit(1)
for r in res[:4]:
    keys = [k for k in ("mode", "method", "phase", "bytes", "iterations",
                        "bw_avg", "msg_rate_mpps", "t_typical", "t_avg",
                        "reg_avg_usec", "pages_per_sec", "rss_delta_kb",
                        "pinned_kb", "verified") if k in r]
    print("#   %s: %s" % (name, " ".join("%s=%s" % (k, r[k]) for k in keys)))
PY
		common_failures=$((common_failures + 1))
		return 1
	}
	echo "# $name: ok"
}

pt_usage_error()
{
	local name=$1 tool=$2 out rc
	shift 2
	out=$("$PT_BIN/sr_$tool" "$@" 2>&1)
	rc=$?
	if ((rc != 1)) || [[ $out != *"sr_$tool: "* ]]; then
		echo "FAIL: $name: sr_$tool $* exited $rc, want 1 with a message: $out" >&2
		common_failures=$((common_failures + 1))
		return 1
	fi
	echo "# $name: ok ($out)"
}
