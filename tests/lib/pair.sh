# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Server/client pairs of programs (perftest, the librdmacm examples), the
# one runner every test uses.  Sourced by sroce.sh.
#
#   pair_run NAME LISTEN SNS SERVER-CMD... -- CNS CLIENT-CMD...
#	The server in the background, in network namespace SNS ("" for the
#	initial one); once the shell condition LISTEN holds (up to 30 s),
#	the client in CNS.  Each side is bounded by PAIR_TIMEOUT seconds.
#	When one side fails, the other gets 5 s to end and is then killed:
#	its peer is gone and it would only wait for it.
#	Success: prints "# NAME: ok (N s)", returns 0.  Failure: prints
#	"FAIL: NAME: server S client C" with both outputs, counts a failed
#	expectation, returns 1.  The outputs stay in $PAIR_SLOG and
#	$PAIR_CLOG until the next call.
#
# perftest calibrates its cycle counter before it prints a report
# (get_cpu_mhz(): a linear fit of 200 rdtsc/gettimeofday samples taken in
# 0.2 s) and gives up with "Correlation coefficient r^2: ... < 0.9" and
# exit status 1 when the fit is poor - which happens when the host
# deschedules the TCG vCPU in the middle of a sample, and says nothing
# about the device.  The side that gave up skips the final handshake, so
# its peer waits.
#
# perftest -R connects twice with rdma_cm: once for its out-of-band
# exchange, then, right after a handshake over that connection, for the
# QPs under test - while the server only then creates its second
# listener (create_rdma_cm_connection() in perftest_communication.c).
# When the client's REQ wins the race, the server's CM rejects it for an
# unknown service ID (RDMA_CM_EVENT_REJECTED, status 8) - the correct
# answer - and perftest 4.5's client retry path crashes in librdmacm.
#
# pair_run runs a pair that failed in either way again, at most
# PAIR_TRIES times in all, and says so; any other failure counts at once.

PAIR_TIMEOUT=${PAIR_TIMEOUT:-90}
PAIR_TRIES=${PAIR_TRIES:-3}
PAIR_SLOG=
PAIR_CLOG=

pair_ns()	# NS: the command prefix that runs in namespace NS
{
	[ -n "$1" ] && echo "ip netns exec $1"
}

# pair_reap PID GRACE: the exit status of PID, killed after GRACE s.
pair_reap()
{
	local pid=$1 grace=$2 i

	for ((i = 0; i < grace * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	wait "$pid"
}

# pair_retry_why: why the failed pair may run again (see above), or false
pair_retry_why()
{
	if grep -qs 'Correlation coefficient r^2' "$PAIR_SLOG" "$PAIR_CLOG"; then
		echo "perftest could not calibrate its clock (r^2 < 0.9, vCPU descheduled)"
	elif grep -qs 'RDMA_CM_EVENT_REJECTED; error: 8\.' "$PAIR_CLOG"; then
		echo "perftest -R connected before its server listened again (REJ: no such service ID)"
	else
		return 1
	fi
}

pair_show()	# SIDE CMD LOG: a side's command and output, rules left out
{
	echo "#   $1: $2"
	grep -v -e '^ *-*$' -e '^ *\**$' "$3" | tail -n 40 | sed "s/^/#   $1: /"
}

pair_run()
{
	local name=$1 listen=$2 sns=$3 srv=() cns cli=() try spid cpid first why
	local src crc rc t0=$SECONDS

	shift 3
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cns=$1
	shift
	cli=("$@")
	rm -f "$PAIR_SLOG" "$PAIR_CLOG"
	PAIR_SLOG=$(mktemp) PAIR_CLOG=$(mktemp)

	for ((try = 1; try <= PAIR_TRIES; try++)); do
		$(pair_ns "$sns") timeout "$PAIR_TIMEOUT" "${srv[@]}" \
			>"$PAIR_SLOG" 2>&1 &
		spid=$!
		wait_for "$listen" 30 || echo "# $name: server not listening yet"
		$(pair_ns "$cns") timeout "$PAIR_TIMEOUT" "${cli[@]}" \
			>"$PAIR_CLOG" 2>&1 &
		cpid=$!
		wait -n -p first "$spid" "$cpid"
		rc=$?
		if [ "$first" = "$cpid" ]; then
			crc=$rc
			if ((crc)); then
				pair_reap "$spid" 5
			else
				wait "$spid"
			fi
			src=$?
		else
			src=$rc
			if ((src)); then
				pair_reap "$cpid" 5
			else
				wait "$cpid"
			fi
			crc=$?
		fi
		((src || crc)) || break
		((try < PAIR_TRIES)) && why=$(pair_retry_why) || break
		echo "# $name: $why, run $((try + 1))"
	done
	if ((src || crc)); then
		echo "FAIL: $name: server $src client $crc" >&2
		pair_show server "${srv[*]}" "$PAIR_SLOG"
		pair_show client "${cli[*]}" "$PAIR_CLOG"
		common_failures=$((common_failures + 1))
		return 1
	fi
	echo "# $name: ok ($((SECONDS - t0)) s)"
	return 0
}
