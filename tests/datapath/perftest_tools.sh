#!/bin/bash
# The benchmark tools (build/bin/sr_*) in quick mode on sroce over
# loopback, pinned memory: every transfer tool with --verify (RC, UD for
# send, both atomics), client and server as two processes, -D, the local
# tools, and bad options.  Checks that each completes, reports sane
# numbers and verified its data.  The ODP modes: perftest_odp.sh.
# timeout: 420
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/perftest.sh"

assert_ok test -x "$PT_BIN/sr_write_bw"
assert_ok sroce_link_add sroce40 lo
dev=(-d sroce40)

bw_ok=('r["iterations"] == 300' 'r["bw_avg"] > 0' 'r["bw_peak"] >= r["bw_avg"]'
	'r["msg_rate_mpps"] > 0' 'r["verified"]')
lat_ok=('r["iterations"] == 200' '0 < r["t_min"] <= r["t_typical"] <= r["t_max"]'
	'r["t_min"] <= r["t_avg"] <= r["t_max"]' 'r["p99"] <= r["t_max"]'
	'r["verified"]')

for t in write_bw read_bw send_bw atomic_bw; do
	pt_run "$t" "$t" "${dev[@]}" --loopback -n 300 --verify &&
		pt_expect "$t" "${bw_ok[@]}"
done
pt_run write_bw_4k write_bw "${dev[@]}" --loopback -n 300 -s 4096 --verify &&
	pt_expect write_bw_4k "${bw_ok[@]}" 'r["bytes"] == 4096'
pt_run atomic_bw_cas atomic_bw "${dev[@]}" --loopback -n 300 --verify -A CMP_AND_SWAP &&
	pt_expect atomic_bw_cas "${bw_ok[@]}"
pt_run send_bw_ud send_bw "${dev[@]}" --loopback -n 300 -c UD -s 1024 --verify &&
	pt_expect send_bw_ud "${bw_ok[@]}" 'd["transport"] == "UD"'

for t in write_lat read_lat send_lat atomic_lat; do
	pt_run "$t" "$t" "${dev[@]}" --loopback -n 200 --verify &&
		pt_expect "$t" "${lat_ok[@]}"
done
pt_run send_lat_ud send_lat "${dev[@]}" --loopback -n 200 -c UD -s 256 --verify &&
	pt_expect send_lat_ud "${lat_ok[@]}"
pt_run atomic_lat_cas atomic_lat "${dev[@]}" --loopback -n 200 -A CMP_AND_SWAP --verify &&
	pt_expect atomic_lat_cas "${lat_ok[@]}"

# Huge pages: hugetlbfs and THP buffers, pinned.
old_huge=$(cat /proc/sys/vm/nr_hugepages)
echo 16 > /proc/sys/vm/nr_hugepages
pt_run write_bw_hugetlb write_bw "${dev[@]}" --loopback -n 300 --hugepages --buffer-size 4M --verify &&
	pt_expect write_bw_hugetlb "${bw_ok[@]}" 'd["hugepages"]'
echo "$old_huge" > /proc/sys/vm/nr_hugepages
pt_run read_bw_thp read_bw "${dev[@]}" --loopback -n 300 --thp --verify &&
	pt_expect read_bw_thp "${bw_ok[@]}" 'd["thp"]'

# Duration mode.
pt_run write_bw_duration write_bw "${dev[@]}" --loopback -D 1 --verify &&
	pt_expect write_bw_duration 'r["iterations"] > 0' 'r["bw_avg"] > 0' 'r["verified"]' \
		'800000 < r["usec"] < 5000000'
pt_run send_lat_duration send_lat "${dev[@]}" --loopback -D 1 --verify &&
	pt_expect send_lat_duration 'r["iterations"] > 0' 'r["t_typical"] > 0'

# perftest's way: server and client as two processes over TCP, text output
# in perftest's columns.
log=$(mktemp)
timeout 60 "$PT_BIN/sr_write_bw" "${dev[@]}" -p 18540 --verify >"$log" 2>&1 &
srv=$!
if out=$(timeout 60 "$PT_BIN/sr_write_bw" "${dev[@]}" -p 18540 -n 300 --verify \
	 --report_gbits 127.0.0.1 2>&1) && wait $srv; then
	row=$(grep -A1 '#bytes' <<<"$out" | tail -1)
	read -r bytes iters peak avg rate <<<"$row"
	if [[ $out == *"BW average[Gb/sec]"* && $bytes == 65536 && $iters == 300 ]] &&
	   python3 -c "import sys; sys.exit(not (float('$avg') > 0 and float('$rate') > 0))"; then
		echo "# two processes: ok:$row"
	else
		echo "FAIL: two processes: unexpected report: $out" >&2
		common_failures=$((common_failures + 1))
	fi
else
	echo "FAIL: two processes: client or server failed" >&2
	sed 's/^/#   client: /' <<<"$out"
	sed 's/^/#   server: /' "$log"
	common_failures=$((common_failures + 1))
fi
rm -f "$log"

# Local tools, pinned memory.
pt_run reg_cost reg_cost "${dev[@]}" --modes pinned -a --max-size 1M -n 3 &&
	pt_expect reg_cost 'len(d["results"]) == 5' 'r["reg_avg_usec"] > 0' \
		'r["reg_min_usec"] <= r["reg_avg_usec"]' 'r["dereg_avg_usec"] > 0'
# --fresh: a new untouched mmap per registration: pinning brings every
# page in: VmPin grows by the size, RSS about as much (its counters are
# batched per CPU, so a little less may show).
pt_run reg_cost_fresh reg_cost "${dev[@]}" --modes pinned --fresh -s 8M -n 2 &&
	pt_expect reg_cost_fresh 'len(d["results"]) == 1' 'd["fresh"]' 'r["fresh"]' \
		'r["reg_avg_usec"] > 0' 'r["unmap_avg_usec"] > 0' \
		'r["rss_delta_kb"] >= 6144' 'r["pinned_delta_kb"] >= 8192'
pt_run footprint footprint "${dev[@]}" --modes pinned -s 8M &&
	pt_expect footprint 'len(d["results"]) == 4' \
		'r["phase"] != "registered" or r["pinned_kb"] >= 8192' \
		'r["phase"] != "registered" or r["rss_delta_kb"] >= 8192' \
		'r["phase"] != "allocated" or r["rss_delta_kb"] < 1024'

# Bad usage: a message and exit status 1.
pt_usage_error bad_option write_bw --no-such-option
pt_usage_error bad_size write_bw -s 12Q
pt_usage_error bad_conn read_bw -c UD
pt_usage_error bad_prefetch write_bw --prefetch
pt_usage_error bad_touch write_bw --first-touch
pt_usage_error bad_verify_touch write_bw --odp --first-touch --verify
pt_usage_error bad_atomic_size atomic_bw -s 16
pt_usage_error bad_modes reg_cost --modes pinned,nope
pt_usage_error bad_fresh write_bw --fresh
"$PT_BIN/sr_send_bw" --help | grep -q -- '--odp-implicit' ||
	{ echo "FAIL: --help does not document --odp-implicit" >&2
	  common_failures=$((common_failures + 1)); }
exit 0
