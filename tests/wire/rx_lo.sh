#!/bin/bash
# Receive checks on a device on lo: packets built by hand (tests/wire/roce.py,
# with an ICRC computed independently of the kernel) sent to 127.0.0.1 and
# ::1, port 4791.  Each kind must land in exactly one counter: malformed
# ones in their drop reason, well-formed ones (correct ICRC) are handed to
# the transport, which finds no QP for them.  Also: the RoCEv2 port is
# bound exactly while a device exists.
# timeout: 180
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/wire.sh"

require_cmd python3
modprobe -r rdma_rxe 2>/dev/null
assert_ok roce selftest
assert_ok modprobe sroce
[ "$(udp_port_bound)" = 0 ] || fail "port 4791 bound before any device"

assert_ok sroce_link_add sroce40 lo
[ "$(udp_port_bound)" = 2 ] || fail "port 4791 not bound (IPv4 and IPv6) by sroce40"
before=$(wire_counters sroce40)
for c in tx_packets rx_packets rx_short rx_bad_udp rx_bad_version rx_bad_opcode \
	 rx_bad_length rx_bad_icrc rx_unknown_qp rx_no_dev rx_bad_psn retransmits; do
	echo "$before" | grep -q "^$c 0$" || fail "counter $c missing or not 0: $(echo $before)"
done

# (a) not RoCE: no room for BTH and ICRC; garbage (its opcode happens to be
# valid, its lengths consistent: only the ICRC can tell)
assert_ok roce send --dst 127.0.0.1 empty short7 short15 garbage
expect_ok wire_wait sroce40 "$before" "rx_short=3 rx_bad_icrc=1"

# (b) broken transport headers: TVer 1, a reserved and an unsupported (CNP)
# opcode, a WRITE_FIRST without its RETH, payload/pad inconsistencies, an
# IPv4 header with options
before=$(wire_counters sroce40)
assert_ok roce send --dst 127.0.0.1 badver badop cnp noreth unaligned padnodata \
	ackdata ipopt
expect_ok wire_wait sroce40 "$before" \
	"rx_bad_version=1 rx_bad_opcode=2 rx_short=1 rx_bad_length=3 rx_bad_udp=1"

# (c) well-formed RC SEND_ONLY and UD SEND_ONLY to a QPN that does not exist,
# with correct ICRCs: accepted by the wire (our ICRC agrees with the
# independent one), then dropped by the transport.  "masked" changes TOS,
# TTL and the BTH's FECN/BECN byte after the ICRC was computed: the ICRC
# excludes them.
before=$(wire_counters sroce40)
assert_ok roce send --dst 127.0.0.1 good masked ud
expect_ok wire_wait sroce40 "$before" \
	"rx_packets=3 rx_bytes=$((32 + 32 + 36 - 3 * 4)) rx_unknown_qp=3"

# (d) the same with one payload byte flipped: bad ICRC
before=$(wire_counters sroce40)
assert_ok roce send --dst 127.0.0.1 flip
expect_ok wire_wait sroce40 "$before" "rx_bad_icrc=1"

# IPv6 (the ICRC masks other fields there)
before=$(wire_counters sroce40)
assert_ok roce send --v6 --dst ::1 good ud flip
expect_ok wire_wait sroce40 "$before" \
	"rx_packets=2 rx_bytes=$((32 + 36 - 2 * 4)) rx_unknown_qp=2 rx_bad_icrc=1"

# sysfs shows the same counters
for c in rx_packets rx_bad_icrc rx_short; do
	wait_for "[ \"\$(cat /sys/class/infiniband/sroce40/ports/1/hw_counters/$c)\" = \
\"\$(wire_counter sroce40 $c)\" ]" 5 || fail "sysfs $c differs from rdma statistic"
done

assert_ok rdma link delete sroce40
[ "$(udp_port_bound)" = 0 ] || fail "port 4791 still bound after the last device"
exit 0
