#!/bin/bash
# rdma_cm and the GSI QP under bad input.  (1) Connecting to a port nobody
# listens on is rejected at once (RDMA_CM_EVENT_REJECTED), locally and
# across a veth pair.  (2) Malformed datagrams for QP1 (wrong Q_Key, wrong
# P_Key, DETH cut off, an RC opcode, a truncated MAD) are dropped and
# counted, or handed to ib_mad, which drops them; a well-formed MAD of an
# unregistered class is answered by ib_mad over QP1.  The device keeps
# working.  (3) kill -9 of one rping side in the middle of traffic ends
# the other side promptly with a CM event, and no QP is left behind.
# (4) The link going down mid-traffic ends the side waiting for an
# answer with retries exhausted; nothing is left, and the link works
# again once up.
# timeout: 600
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"
. "$(dirname "$0")/../lib/cm.sh"

require_cmd rping python3
modprobe -r rdma_rxe 2>/dev/null
assert_ok modprobe sroce
assert_ok sroce_netdev_add scb0 type dummy
assert_ok ip addr add 192.0.2.1/24 dev scb0
assert_ok ip link set scb0 up
assert_ok sroce_link_add sroce76 scb0
# A veth pair to namespace scd, in a subnet of its own (the dummy's is
# 192.0.2.0/24).
SROCE_NETNS+=(scd)
assert_ok ip netns add scd
assert_ok ip -n scd link set lo up
assert_ok sroce_netdev_add scw0 type veth peer name scw1 netns scd
assert_ok ip addr add 198.51.100.61/24 dev scw0
assert_ok ip -n scd addr add 198.51.100.62/24 dev scw1
assert_ok ip link set scw0 up
assert_ok ip -n scd link set scw1 up
assert_ok wire_neigh "" scw0 198.51.100.61 scd scw1 198.51.100.62
assert_ok sroce_link_add sroce77 scw0
assert_ok sroce_link_add sroce78 scw1 scd
wait_for "gid_index sroce76 $(ipv4_gid 192.0.2.1) >/dev/null" 10 || fail "sroce76: no GID"
wait_for "gid_index sroce77 $(ipv4_gid 198.51.100.61) >/dev/null" 10 || fail "sroce77: no GID"
wait_for "gid_index sroce78 $(ipv4_gid 198.51.100.62) >/dev/null" 10 || fail "sroce78: no GID"

# ---- (1) nobody listens ---------------------------------------------------
# rejected NAME NS ADDR: rping -c to port 7999 ends within 30 s, rejected
rejected()
{
	local name=$1 ns=$2 addr=$3 out rc t0=$SECONDS

	out=$($(pair_ns "$ns") timeout 30 rping -c -a "$addr" -p 7999 -C 1 -d 2>&1)
	rc=$?
	if ((rc == 0 || rc == 124)) || ! echo "$out" | grep -q REJECTED; then
		echo "FAIL: $name: exit status $rc" >&2
		echo "$out" | tail -n 8 | sed 's/^/#   /'
		common_failures=$((common_failures + 1))
		return
	fi
	echo "# $name: rejected after $((SECONDS - t0)) s: $(echo "$out" |
		grep -m1 REJECTED)"
	cm_passed=$((cm_passed + 1))
}
rejected "no listener, same device" "" 192.0.2.1
rejected "no listener, across the veth pair" scd 198.51.100.61

# ---- (2) malformed datagrams for QP1 -------------------------------------
before=$(wire_counters sroce76)
# (the short one is counted by the wire layer, not as a received packet)
assert_ok python3 "$WIRE_DIR/roce.py" send --dst 192.0.2.1 --qpn 1 \
	mad_qkey mad_pkey mad_short mad_rc
cm_ok "bad Q_Key, P_Key, short DETH, RC opcode to QP1: dropped and counted" \
	wire_wait sroce76 "$before" \
	"rx_bad_qkey=1 rx_bad_pkey=1 rx_short=1 rx_bad_qp_state=1 rx_packets=3 rx_bytes=*"
# A well-formed Get() of an unregistered class: ib_mad answers with a
# GetResp ('unsupported class') to the sender, here QP1 of the same
# device, which receives it and drops it (no agent).  A truncated MAD is
# delivered as it is (its byte count says so) and answered the same way.
before=$(wire_counters sroce76)
assert_ok python3 "$WIRE_DIR/roce.py" send --dst 192.0.2.1 --qpn 1 mad mad_tiny
cm_ok "MADs of an unregistered class to QP1: answered by ib_mad" \
	wire_wait sroce76 "$before" \
	"rx_packets=4 rx_bytes=* tx_packets=2 tx_bytes=*"
# the same across the veth pair: the answer goes back on the wire
before=$(wire_counters sroce78)
assert_ok python3 "$WIRE_DIR/roce.py" send --dst 198.51.100.62 \
	--qpn 1 mad mad_qkey
cm_ok "MAD and bad-Q_Key datagram from the peer namespace" \
	wire_wait sroce78 "$before" \
	"rx_packets=2 rx_bytes=* tx_packets=1 tx_bytes=* rx_bad_qkey=1"
cm_pair "rping after the bad datagrams" 7100 "" \
	rping -s -a 192.0.2.1 -p 7100 -C 50 -V -- \
	"" rping -c -a 192.0.2.1 -p 7100 -C 50 -V

# ---- (3) kill -9 of one side --------------------------------------------
# killed NAME VICTIM SNS SADDR CNS DEV...: rping server in SNS on SADDR,
# client in CNS, both meant to run for a long time; after 4 s VICTIM
# (server or client) gets SIGKILL.  The survivor must end within 60 s with
# a CM event or a flushed completion, and the DEVs must hold no user QP.
killed()
{
	local name=$1 victim=$2 sns=$3 saddr=$4 cns=$5 spid cpid out rc d t0
	shift 5
	out=$(mktemp)
	$(pair_ns "$sns") timeout 200 rping -s -a "$saddr" -p 7101 -C 1000000 -d \
		>"$out.s" 2>&1 &
	spid=$!
	wait_for "cm_listening 7101" 30 || echo "# $name: server not listening yet"
	$(pair_ns "$cns") timeout 180 rping -c -a "$saddr" -p 7101 -C 1000000 -d \
		>"$out.c" 2>&1 &
	cpid=$!
	sleep 4
	if [ "$victim" = server ]; then
		kill -KILL $(pgrep -P "$spid")
		wait "$spid"
		survivor=$cpid
		log=$out.c
	else
		kill -KILL $(pgrep -P "$cpid")
		wait "$cpid"
		survivor=$spid
		log=$out.s
	fi
	t0=$SECONDS
	for ((i = 0; i < 600; i++)); do
		kill -0 "$survivor" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$survivor" 2>/dev/null; then
		echo "FAIL: $name: the other side still runs after 60 s" >&2
		tail -n 8 "$log" | sed 's/^/#   /'
		common_failures=$((common_failures + 1))
		kill -KILL "$survivor" 2>/dev/null
		wait "$survivor"
	else
		wait "$survivor"
		rc=$?
		echo "# $name: the other side ended after $((SECONDS - t0)) s" \
			"(status $rc): $(grep -m1 -E 'DISCONNECTED|error|failed' "$log")"
		if ((rc == 124)); then
			echo "FAIL: $name: the other side timed out" >&2
			common_failures=$((common_failures + 1))
		else
			cm_passed=$((cm_passed + 1))
		fi
	fi
	for d in "$@"; do
		wait_for "[ \$(cm_qp_count $d) = 0 ]" 30
		cm_eq "$name: user QPs left on $d" "$(cm_qp_count $d)" 0
	done
	rm -f "$out" "$out.s" "$out.c"
}
killed "kill -9 of the client, same device" client "" 192.0.2.1 "" sroce76
killed "kill -9 of the server, same device" server "" 192.0.2.1 "" sroce76
killed "kill -9 of the client, across the veth pair" client "" 198.51.100.61 scd \
	sroce77 sroce78
killed "kill -9 of the server, across the veth pair" server "" 198.51.100.61 scd \
	sroce77 sroce78

# ---- (4) link down --------------------------------------------------------
# rping across the veth pair (server in scd); after 4 s scd's end of the
# link goes down.  A side with a request outstanding gets no answer: its
# QP runs out of retries (IBV_WC_RETRY_EXC_ERR, as on a NIC whose link is
# down - not a local error) and rping ends, within 60 s.  Its DREQ is lost
# with the link; the other side ends the same way if it had a request
# outstanding, else it waits (an RC QP has no keepalive: so it is with
# any RoCE device) and is killed once the link is back.  No user QP may be left, and a new connection
# must work.
linkdown_wait()	# NAME PID...: one of PIDs ends within 60 s; sets ended
{
	local name=$1 t0=$SECONDS p rc
	shift

	ended=
	while ((SECONDS - t0 < 60)); do
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null || { ended=$p; break 2; }
		done
		sleep 0.2
	done
	if [ -z "$ended" ]; then
		echo "FAIL: $name: still running after 60 s" >&2
		common_failures=$((common_failures + 1))
		return 1
	fi
	wait "$ended"
	rc=$?
	echo "# $name: $([ "$ended" = "$spid" ] && echo server || echo client)" \
		"ended after $((SECONDS - t0)) s (status $rc):" \
		"$(grep -h -m1 -E 'DISCONNECT|error|failed|status' \
			"$([ "$ended" = "$spid" ] && echo "$out.s" || echo "$out.c")")"
	cm_passed=$((cm_passed + 1))
}

out=$(mktemp)
ip netns exec scd timeout 300 rping -s -a 198.51.100.62 -p 7102 -C 1000000 -d \
	>"$out.s" 2>&1 &
spid=$!
wait_for "cm_listening 7102" 30 || echo "# link down: server not listening yet"
timeout 280 rping -c -a 198.51.100.62 -p 7102 -C 1000000 -d >"$out.c" 2>&1 &
cpid=$!
sleep 4
assert_ok ip -n scd link set scw1 down
# the first side to end ran out of retries; the other may have too
linkdown_wait "link down" "$spid" "$cpid" &&
	cm_ok "link down: the side that ended ran out of retries (status 12)" \
		grep -q 'completion failed status 12' \
		"$([ "$ended" = "$spid" ] && echo "$out.s" || echo "$out.c")"
assert_ok ip -n scd link set scw1 up
kill $(pgrep -P "$spid") $(pgrep -P "$cpid") 2>/dev/null
wait "$spid" "$cpid" 2>/dev/null
rm -f "$out" "$out.s" "$out.c"
for d in sroce77 sroce78; do
	wait_for "[ \$(cm_qp_count $d) = 0 ]" 30
	cm_eq "link down: user QPs left on $d" "$(cm_qp_count $d)" 0
done
wait_for "gid_index sroce78 $(ipv4_gid 198.51.100.62) >/dev/null" 20 ||
	echo "# sroce78: no GID again yet"
cm_pair "rping after the link came back" 7103 scd \
	rping -s -a 198.51.100.62 -p 7103 -C 50 -V -- \
	"" rping -c -a 198.51.100.62 -p 7103 -C 50 -V
cm_summary
