# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the rdma_cm tests (tests/wire/cm_*.sh): librdmacm example
# programs (rdmacm-utils) and perftest -R between two sides, each side in a
# network namespace or the initial one.  Source after common.sh and sroce.sh.
#
#   cm_listening PORT      an rdma_cm listener on PORT exists (any device)
#   cm_pair NAME PORT SNS SERVER-CMD... -- CNS CLIENT-CMD...
#                          the server in the background (in namespace SNS,
#                          "" for the initial one), then, once it listens
#                          on PORT, the client (pair_run in pair.sh).  A
#                          failure of either is a failed expectation and
#                          shows both outputs.  Returns 0 on success.
#   cm_qp_count DEV        QPs of DEV in "rdma resource show qp", kernel
#                          ones (QP1 of ib_mad) left out
#   cm_ok NAME CMD...      CMD must succeed: counted as passed or failed
#   cm_eq NAME GOT WANT    the same for two strings
#   cm_summary             print "N passed, N failed" (the last line)

CM_TIMEOUT=${CM_TIMEOUT:-90}
cm_passed=0

cm_listening()
{
	rdma resource show cm_id 2>/dev/null |
		grep -q "state LISTEN .*src-addr [^ ]*:$1 "
}

cm_pair()
{
	local name=$1 port=$2

	shift 2
	PAIR_TIMEOUT=$CM_TIMEOUT pair_run "$name" "cm_listening $port" "$@" || return 1
	cm_passed=$((cm_passed + 1))
	grep -E 'BW|^ *[0-9]+ +[0-9]+ +[0-9.]+' "$PAIR_CLOG" | tail -n 2 | sed 's/^/#   /'
	return 0
}

cm_qp_count()
{
	rdma resource show qp link "$1/1" 2>/dev/null | grep -v '\[ib_core\]' |
		grep -c 'lqpn'
}

cm_ok()
{
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	if ((rc)); then
		echo "FAIL: $name: $* (exit status $rc)" >&2
		common_failures=$((common_failures + 1))
		return 1
	fi
	echo "# $name: ok"
	cm_passed=$((cm_passed + 1))
}

cm_eq()
{
	if [[ $2 != "$3" ]]; then
		echo "FAIL: $1: got '$2', want '$3'" >&2
		common_failures=$((common_failures + 1))
		return 1
	fi
	echo "# $1: ok ($2)"
	cm_passed=$((cm_passed + 1))
}

cm_summary()
{
	echo "$cm_passed passed, $common_failures failed"
}
