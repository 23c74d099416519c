#!/bin/bash
# External clients with on-demand paged memory on one sroce device over
# loopback: ibv_rc_pingpong with ODP (-o), implicit ODP (-O) and prefetch
# (-P), and perftest's --odp bandwidth and latency tools.  Afterwards the
# device's ODP counters must show that the memory really was faulted in
# on demand (and prefetched), not pinned.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

assert_ok sroce_link_add sroce61 lo
g4=$(gid_index sroce61 "$(ipv4_gid 127.0.0.1)") || fail "no IPv4 GID"

# counter NAME: a port counter of sroce61
counter()
{
	cat "/sys/class/infiniband/sroce61/ports/1/hw_counters/$1"
}

# The caps the tools check before they run.
caps=$(ibv_devinfo -v -d sroce61)
for want in ODP_SUPPORT ODP_SUPPORT_IMPLICIT; do
	echo "$caps" | grep -qw "$want" || fail "ibv_devinfo does not show $want"
done

run_pair rc_pingpong_odp ibv_rc_pingpong -d sroce61 -g "$g4" -n 500 -o -- 127.0.0.1
run_pair rc_pingpong_odp_implicit ibv_rc_pingpong -d sroce61 -g "$g4" -n 500 -O -- 127.0.0.1
run_pair rc_pingpong_odp_prefetch ibv_rc_pingpong -d sroce61 -g "$g4" -n 500 -o -P -- 127.0.0.1
run_pair rc_pingpong_odp_implicit_prefetch ibv_rc_pingpong -d sroce61 -g "$g4" -n 500 -O -P \
	-- 127.0.0.1
run_pair rc_pingpong_odp_big ibv_rc_pingpong -d sroce61 -g "$g4" -n 100 -s 1048576 -o \
	-- 127.0.0.1
prefetches=$(counter odp_prefetches)
((prefetches > 0)) || fail "ibv_rc_pingpong -P did not prefetch (odp_prefetches $prefetches)"

faults=$(counter odp_faults)
for t in ib_write_bw ib_read_bw ib_send_bw; do
	run_pair "$t"_odp "$t" -d sroce61 -x "$g4" --odp -n 1000 -s 65536 -F -- 127.0.0.1
done
for t in ib_write_lat ib_read_lat ib_send_lat; do
	run_pair "$t"_odp "$t" -d sroce61 -x "$g4" --odp -n 500 -F -- 127.0.0.1
done
after=$(counter odp_faults)
((after > faults)) || fail "perftest --odp caused no page faults ($faults -> $after)"
((after < 100000)) || fail "implausible number of faults for perftest: $after"
echo "# odp counters: faults $after, pages mapped $(counter odp_pages_mapped)," \
	"failures $(counter odp_fault_failures), prefetches $(counter odp_prefetches)," \
	"responder RNR NAKs $(counter odp_rnr_naks)"
(($(counter odp_fault_failures) == 0)) || fail "a fault failed"
exit 0
