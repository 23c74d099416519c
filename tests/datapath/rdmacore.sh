#!/bin/bash
# rdma-core's own test suite (pyverbs, from the python3-pyverbs package) on
# an sroce device on lo: device and port queries, PDs, MRs (rereg included),
# CQs and extended CQs (resize, events), QPs and the extended QP API, RC and
# UD traffic, atomics, AHs, relaxed ordering.  Every test must pass or skip
# for a reason listed below; a new skip fails the test.  It runs twice, on
# the IPv4 (127.0.0.1) and the IPv6 (::1) GID.  (rdma-core 44 has no
# test_srq or test_ah: AHs are test_addr; SRQ traffic is only in test_odp,
# run by tests/odp/rdmacore.sh.)
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"

src=/usr/share/doc/rdma-core/tests
[ -f "$src/run_tests.py" ] || skip "rdma-core's tests are not installed ($src)"
python3 -c 'import pyverbs' 2>/dev/null || skip "pyverbs is not installed"

modules=(test_device test_pd test_mr test_cq test_cqex test_cq_events test_qp
	 test_qpex test_atomic test_addr test_relaxed_ordering)

# TEST-ID-REGEX :: SKIP-REASON-REGEX :: why sroce does not do it
# (the reasons are rdma-core 44's; each is a capability sroce does not offer)
skips=$(mktemp)
cat > "$skips" <<'EOF'
^test_(device\.(Shared)?DMTest|mr\.DeviceMemory(API)?Test)\. :: ^Device memory is not supported$ :: device memory (ibv_alloc_dm): none to offer
^test_mr\.DmaBuf(MRTest|TestCase)\. :: dmabuf|/dev/dri/renderD :: dma-buf MRs: the test needs a GPU render node to export one (none in the VM) and sroce has no reg_dmabuf_mr
^test_mr\.MWTest\. :: ^Create (MW|memory window of type 3) is not supported$ :: memory windows are not implemented
^test_qpex\.QpExTestCase\.test_qp_ex_rc_bind_mw$ :: ^Extended QP is not supported on this device$ :: memory windows are not implemented (no IBV_QP_EX_WITH_BIND_MW)
^test_qpex\.QpExTestCase\.test_qp_ex_rc_atomic_write$ :: ^Extended QP is not supported on this device$ :: ATOMIC WRITE is not implemented (no IBV_QP_EX_WITH_ATOMIC_WRITE; 6.1 has no such verb)
^test_(cqex\.CqExTestCase\.test_xrc_|qpex\.QpExTestCase\.test_qp_ex_xrc_|atomic\.AtomicTest\.test_xrc_|relaxed_ordering\.RoTestCase\.test_ro_xrc_) :: ^Create XRCD is not supported$ :: XRC is not implemented
^test_qp\.QPTest\.test_(create|query)_uc_qp :: ^Create UC QP .*not supported$ :: UC QPs are not implemented (RC and UD only)
^test_qp\.QPTest\.test_(create|query)_raw_qp :: ^Create Raw Packet QP .*not supported$ :: raw packet QPs are not implemented
EOF

assert_ok sroce_link_add sroce36 lo
# Not GID 0, which run_tests.py would take: on lo that is the default GID
# fe80::200:ff:fe00:0 (ib_core makes it from lo's all-zero MAC), and lo has
# no link-local route, so ib_core cannot resolve it: ENETUNREACH.
wait_for 'g4=$(gid_index sroce36 "$(ipv4_gid 127.0.0.1)")' 10 || fail "no 127.0.0.1 GID"
wait_for 'g6=$(gid_index sroce36 0000:0000:0000:0000:0000:0000:0000:0001)' 10 ||
	fail "no ::1 GID"

passed=0 failed=0 skipped=0
for gid in "$g4" "$g6"; do
	out=$(timeout 270 python3 "$SROCE_ROOT/tests/lib/rdmacore.py" --dev sroce36 \
		--gid "$gid" --skips "$skips" "${modules[@]}" 2>&1)
	rc=$?
	last=$(echo "$out" | tail -n 1)
	echo "# GID $gid: $last"
	# per module counts; the skips and their reasons once; problems with
	# their tracebacks
	((gid == g4)) && echo "$out" | grep -E '^(module |expected skips: |note: )'
	echo "$out" | grep -E ' \.\.\. (FAIL|ERROR|unexpected success)|^UNEXPECTED SKIP: '
	if ((rc != 0)); then
		tb=$(echo "$out" | sed -n '/^======/,/^Ran /p')
		[ -n "$tb" ] || tb=$(echo "$out" | tail -n 30)
		echo "$tb" | tail -n 80
		echo "FAIL: GID $gid: exit status $rc" >&2
		common_failures=$((common_failures + 1))
	fi
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + BASH_REMATCH[3]))
	else
		failed=$((failed + 1))
	fi
done
rm -f "$skips"
echo "rdmacore: $passed passed, $failed failed, $skipped skipped"
exit 0
