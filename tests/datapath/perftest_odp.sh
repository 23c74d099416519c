#!/bin/bash
# The ODP modes of the benchmark tools on sroce over loopback: --odp,
# --odp-implicit, --prefetch, huge pages, first-touch, invalidation churn
# (all with --verify), registration cost, fault throughput and footprint
# per mode.  On a device that advertises no ODP, checks that every ODP
# mode fails with a clear message, then SKIPs: the modes were not run.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/perftest.sh"

assert_ok test -x "$PT_BIN/sr_write_bw"
assert_ok sroce_link_add sroce41 lo
dev=(-d sroce41)

# odp_caps as ibv_devinfo -v shows them: "general_odp_caps:" then one
# capability per line until "rc_odp_caps:".
caps=$(ibv_devinfo -v -d sroce41 | sed -n '/general_odp_caps:/,/rc_odp_caps:/p')
if ! grep -qw ODP_SUPPORT <<<"$caps"; then
	# Not advertised: each ODP entry point must say so and exit 2.
	no_odp()
	{
		local name=$1 tool=$2 out rc
		shift 2
		out=$(timeout 60 "$PT_BIN/sr_$tool" "${dev[@]}" "$@" 2>&1)
		rc=$?
		if ((rc == 2)) && [[ $out == *"does not support on-demand paging"*IBV_ODP_SUPPORT* ]]; then
			echo "# $name: refused: ok"
		else
			echo "FAIL: $name: exit $rc, want 2 and a clear message: $out" >&2
			common_failures=$((common_failures + 1))
		fi
	}
	no_odp write_bw_odp write_bw --loopback --odp -n 10
	no_odp read_lat_implicit read_lat --loopback --odp-implicit -n 10
	no_odp send_bw_prefetch send_bw --loopback --odp --prefetch -n 10
	no_odp reg_cost reg_cost -n 1
	no_odp odp_faults odp_faults -n 1
	no_odp footprint footprint --modes pinned,odp
	((common_failures == 0)) || exit 1
	skip "sroce41 advertises no ODP (odp_caps.general_caps lacks" \
	     "IBV_ODP_SUPPORT): the tools' ODP modes were not run"
fi
implicit=0
grep -qw ODP_SUPPORT_IMPLICIT <<<"$caps" && implicit=1

bw_ok=('r["iterations"] == 300' 'r["bw_avg"] > 0' 'r["verified"]')
lat_ok=('r["iterations"] == 200' '0 < r["t_min"] <= r["t_typical"] <= r["t_max"]'
	'r["verified"]')
modes=(--odp)
((implicit)) && modes+=(--odp-implicit)

for m in "${modes[@]}"; do
	for t in write_bw read_bw send_bw atomic_bw; do
		pt_run "$t$m" "$t" "${dev[@]}" --loopback -n 300 "$m" --verify &&
			pt_expect "$t$m" "${bw_ok[@]}"
	done
	for t in write_lat read_lat send_lat atomic_lat; do
		pt_run "$t$m" "$t" "${dev[@]}" --loopback -n 200 "$m" --verify &&
			pt_expect "$t$m" "${lat_ok[@]}"
	done
	# prefetched: steady state, no fault during the timed part
	pt_run "write_bw$m-prefetch" write_bw "${dev[@]}" --loopback -n 300 "$m" --prefetch --verify &&
		pt_expect "write_bw$m-prefetch" "${bw_ok[@]}" 'd["prefetch"]' \
			'r["odp_faults_timed"] == 0' 'r["odp_rnr_naks_timed"] == 0'
done
pt_run send_bw_ud_odp send_bw "${dev[@]}" --loopback -n 300 -c UD -s 1024 --odp --verify &&
	pt_expect send_bw_ud_odp "${bw_ok[@]}"

# Huge pages under ODP.
old_huge=$(cat /proc/sys/vm/nr_hugepages)
echo 16 > /proc/sys/vm/nr_hugepages
pt_run write_bw_odp_hugetlb write_bw "${dev[@]}" --loopback -n 300 --odp --hugepages \
	--buffer-size 4M --verify && pt_expect write_bw_odp_hugetlb "${bw_ok[@]}"
echo "$old_huge" > /proc/sys/vm/nr_hugepages
pt_run read_bw_odp_thp read_bw "${dev[@]}" --loopback -n 300 --odp --thp --verify &&
	pt_expect read_bw_odp_thp "${bw_ok[@]}"

# First-touch: every pass over a 1 MiB buffer starts on dropped pages,
# the target's with --verify, both sides without.
ft_ok=('r["iterations"] == 300' 'r["passes"] >= 10' 'r["pages_dropped"] >= 10 * 256'
       'r["pages_per_sec"] > 0')
pt_run write_bw_first_touch write_bw "${dev[@]}" --loopback -n 300 --odp --first-touch \
	--fault-side remote --buffer-size 1M --verify &&
	pt_expect write_bw_first_touch "${ft_ok[@]}" 'r["verified"]'
pt_run read_bw_first_touch read_bw "${dev[@]}" --loopback -n 300 --odp --first-touch \
	--fault-side local --buffer-size 1M --verify &&
	pt_expect read_bw_first_touch "${ft_ok[@]}" 'r["verified"]'
pt_run send_bw_first_touch send_bw "${dev[@]}" --loopback -n 300 --odp --first-touch \
	--buffer-size 1M && pt_expect send_bw_first_touch "${ft_ok[@]}"

# Invalidation churn while WRs are in flight.
pt_run write_bw_churn write_bw "${dev[@]}" --loopback -n 1000 --odp --churn 50 \
	--fault-side remote --verify &&
	pt_expect write_bw_churn 'r["iterations"] == 1000' 'r["churns"] > 0' 'r["verified"]'
pt_run send_bw_churn send_bw "${dev[@]}" --loopback -n 1000 --odp --churn 50 &&
	pt_expect send_bw_churn 'r["iterations"] == 1000' 'r["churns"] > 0'

# Local tools: registration cost, fault throughput, footprint.
all=pinned,odp
((implicit)) && all+=,implicit
pt_run reg_cost_odp reg_cost "${dev[@]}" --modes "$all" -a --max-size 4M -n 3 &&
	pt_expect reg_cost_odp 'r["reg_avg_usec"] > 0' \
		'r["mode"] == "pinned" or r["speedup_vs_pinned"] > 0'
# A fresh (never touched) buffer: pinning brings every page in, ODP none.
pt_run reg_cost_fresh reg_cost "${dev[@]}" --modes "$all" --fresh -s 8M -n 2 &&
	pt_expect reg_cost_fresh 'r["fresh"]' 'r["reg_avg_usec"] > 0' \
		'r["mode"] != "pinned" or r["pinned_delta_kb"] >= 8192' \
		'r["mode"] == "pinned" or (r["pinned_delta_kb"] < 1024 and r["rss_delta_kb"] < 1024)'
# First-touch faults during the timed part show in the device counters.
pt_run write_bw_faults_counted write_bw "${dev[@]}" --loopback -n 300 --odp \
	--first-touch --buffer-size 1M &&
	pt_expect write_bw_faults_counted 'r["odp_faults_timed"] > 0'
pt_run odp_faults odp_faults "${dev[@]}" -s 1M -n 3 &&
	pt_expect odp_faults 'len(d["results"]) == 5' 'r["pages_per_sec"] > 0'
if ((implicit)); then
	pt_run odp_faults_implicit odp_faults "${dev[@]}" --odp-implicit -s 1M -n 3 &&
		pt_expect odp_faults_implicit 'r["pages_per_sec"] > 0'
fi
# An ODP registration pins nothing and adds no RSS; RDMA brings the pages.
pt_run footprint_odp footprint "${dev[@]}" --modes "$all" -s 8M &&
	pt_expect footprint_odp \
		'r["mode"] == "pinned" or r["pinned_kb"] < 1024' \
		'r["mode"] == "pinned" or r["phase"] != "registered" or r["rss_delta_kb"] < 1024' \
		'r["phase"] != "after-rdma" or r["rss_delta_kb"] >= 8000'
((implicit)) || echo "# implicit ODP is not advertised: --odp-implicit runs left out"
exit 0
