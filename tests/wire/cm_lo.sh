#!/bin/bash
# rdma_cm on one sroce device, both sides on the same host: the CM's MADs
# go from QP1 to QP1 of the device through the loopback fast path.  The
# device sits on a dummy netdev (192.0.2.1 and its IPv6 link-local
# address), not on lo:
# rdma_cm cannot use a RoCE device through lo's addresses (127.0.0.1 and
# ::1 resolve to the loopback netdev, ARPHRD_LOOPBACK, for which rdma_cm
# looks for an IB-type GID that no RoCE port has; rdma_rxe is in the same
# position) - checked below: the attempt fails at once, with an address
# error.  Programs: rping (data validated, IPv4 and IPv6), ucmatose (4
# connections), udaddy (UD, 2 endpoints), rdma_server/rdma_client,
# perftest over rdma_cm (ib_send_bw -R, ib_write_bw -R, also with --odp),
# and rdma-core's test_rdmacm.py.  No QP may be left behind.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/cm.sh"

require_cmd rping ucmatose udaddy rdma_server rdma_client ib_send_bw ib_write_bw
assert_ok modprobe sroce
assert_ok sroce_netdev_add scm0 type dummy
assert_ok ip addr add 192.0.2.1/24 dev scm0
assert_ok ll_prepare scm0
assert_ok ip link set scm0 up
assert_ok sroce_link_add sroce70 scm0
assert_ok sroce_link_add sroce71 lo
wait_for "gid_index sroce70 $(ipv4_gid 192.0.2.1) >/dev/null" 10 || fail "no IPv4 GID"
g6=$(ll_gid scm0) || fail "scm0: no IPv6 link-local address"
wait_for "gid_index sroce70 $g6 >/dev/null" 10 || fail "no IPv6 GID"

A=192.0.2.1
A6=$(ll_addr scm0)%scm0
cm_eq "QP1 of sroce70 (ib_mad's GSI QP)" \
	"$(rdma resource show qp link sroce70/1 | grep -c 'lqpn 1 .*type GSI')" 1
cm_eq "port capability mask has CM" \
	"$(( $(cat /sys/class/infiniband/sroce70/ports/1/cap_mask) >> 16 & 1 ))" 1

# lo: rdma_cm has no device for 127.0.0.1 (see above); it must say so
# promptly, not hang.
t0=$SECONDS
out=$(timeout 30 rping -c -a 127.0.0.1 -p 7099 -C 1 -d 2>&1)
rc=$?
if ((rc == 0 || rc == 124)); then
	echo "FAIL: rping to 127.0.0.1: exit status $rc" >&2
	echo "$out" | tail -n 5 | sed 's/^/#   /'
	common_failures=$((common_failures + 1))
else
	echo "# rping to 127.0.0.1 fails at once ($((SECONDS - t0)) s): $(echo "$out" |
		grep -m1 -E 'No such device|error|failed')"
	cm_passed=$((cm_passed + 1))
fi

cm_pair "rping IPv4, 300 x 4 KiB validated" 7100 "" \
	rping -s -a $A -p 7100 -C 300 -S 4096 -V -- \
	"" rping -c -a $A -p 7100 -C 300 -S 4096 -V
cm_pair "rping IPv6, 200 validated" 7101 "" \
	rping -s -a $A6 -p 7101 -C 200 -V -- \
	"" rping -c -a $A6 -p 7101 -C 200 -V
cm_pair "ucmatose, 4 connections x 50 messages" 7471 "" \
	ucmatose -b $A -c 4 -C 50 -- \
	"" ucmatose -s $A -c 4 -C 50
cm_pair "ucmatose IPv6, 2 connections" 7471 "" \
	ucmatose -b $A6 -c 2 -C 20 -- \
	"" ucmatose -s $A6 -c 2 -C 20
cm_pair "udaddy (UD), 2 endpoints x 50 datagrams" 7174 "" \
	udaddy -b $A -c 2 -C 50 -- \
	"" udaddy -s $A -c 2 -C 50
cm_pair "rdma_server / rdma_client" 7200 "" \
	rdma_server -s $A -p 7200 -- \
	"" rdma_client -s $A -p 7200
for tool in ib_send_bw ib_write_bw; do
	for odp in "" --odp; do
		cm_pair "$tool -R $odp" 18515 "" \
			$tool -R -d sroce70 -n 200 -s 65536 $odp -- \
			"" $tool -R -d sroce70 -n 200 -s 65536 $odp $A
	done
done

# rdma-core's rdma_cm tests
src=/usr/share/doc/rdma-core/tests
if [ -f "$src/run_tests.py" ] && python3 -c 'import pyverbs' 2>/dev/null; then
	skips=$(mktemp)
	cat > "$skips" <<'EOF'
^test_rdmacm\.CMTestCase\.test_rdmacm_async_(ex_(leave_)?)?multicast_traffic$ :: ^Multicast is not supported on this device$ :: multicast (attach_mcast, max_mcast_grp) is not implemented
EOF
	gid=$(gid_index sroce70 "$(ipv4_gid $A)")
	out=$(timeout 400 python3 "$SROCE_ROOT/tests/lib/rdmacore.py" --dev sroce70 \
		--gid "$gid" --netdev scm0 --skips "$skips" test_rdmacm 2>&1)
	rc=$?
	echo "$out" | grep -E ' \.\.\. |^(expected skips|note|UNEXPECTED)' | sed 's/^/#   /'
	if ((rc)); then
		echo "$out" | sed -n '/^======/,/^Ran /p' | tail -n 60
		echo "FAIL: test_rdmacm: exit status $rc" >&2
		common_failures=$((common_failures + 1))
	else
		echo "# test_rdmacm: $(echo "$out" | tail -n 1)"
		cm_passed=$((cm_passed + 1))
	fi
else
	echo "# rdma-core's tests or pyverbs not installed: test_rdmacm not run"
fi

wait_for "[ \$(cm_qp_count sroce70) = 0 ]" 20
cm_eq "user QPs left on sroce70" "$(cm_qp_count sroce70)" 0
cm_summary
