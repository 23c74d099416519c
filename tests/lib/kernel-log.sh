# Kernel log checks shared by tests/vm/vmrun (on the host) and
# tests/vm/run-tests (inside the VM).  Source from bash or sh.
#
# kernel_log_problems [FILE...]
#	Reads kernel log lines (dmesg output) from the files or stdin and prints
#	each report of a kernel problem with up to 60 lines of its context (the
#	splat, up to its "---[ end trace" line).  Returns 0 if it found one, 1 if
#	the log is clean.
#
#	A problem is an Oops or panic, a BUG (including KASAN, KFENCE, soft
#	lockups, sleeping in atomic context), a WARNING (including lockdep's
#	circular/recursive locking and inconsistent lock state, refcount and
#	list corruption), an RCU stall, a hung task, a UBSAN report, or a netdev
#	whose references are never released (unregister_netdevice: waiting).
#
#	A user program's crash ("traps: prog[pid] general protection fault
#	ip:...") is not one: the test sees it as the program's exit status.
#
#	Lines matching the extended regular expression in $SROCE_DMESG_IGNORE
#	are never reported: use it for a known, accepted message.

kernel_log_problems()
{
	awk -v ignore="${SROCE_DMESG_IGNORE-}" -v context=60 -v limit=400 '
	function is_problem(line)
	{
		return line ~ /Oops[:#]|BUG:|kernel BUG at|WARNING:|Kernel panic/ ||
		       line ~ /general protection fault[,:]|Unable to handle kernel/ ||
		       line ~ /self-detected stall|detected stalls? on CPU|rcu: INFO:/ ||
		       line ~ /blocked for more than [0-9]+ seconds/ ||
		       line ~ /UBSAN:|KASAN:|KFENCE:|soft lockup|hard LOCKUP/ ||
		       line ~ /possible circular locking|possible recursive locking/ ||
		       line ~ /inconsistent lock state|suspicious RCU usage/ ||
		       line ~ /unregister_netdevice: waiting for/
	}
	{
		if (ignore != "" && $0 ~ ignore)
			next
		if (left > 0) {
			if (printed++ < limit)
				print
			left--
			if ($0 ~ /---\[ end trace/)
				left = 0
			next
		}
		if (is_problem($0)) {
			found++
			if (printed++ < limit)
				print
			left = context
		}
	}
	END {
		if (printed > limit)
			printf("... %d more lines of kernel problem reports\n", printed - limit)
		exit found ? 0 : 1
	}' "$@"
}
