#!/bin/bash
# A kernel ULP over sroce: NVMe over Fabrics on RDMA.  The target
# (nvmet-rdma, set up through configfs) and the host (nvme-rdma, connected
# by writing an option string to /dev/nvme-fabrics, as nvme-cli does) both
# run in the initial namespace on one sroce device, on a dummy netdev with
# 192.0.2.1 (rdma_cm cannot use lo's addresses with RoCE, see
# Documentation/cm.md); the traffic goes through the loopback fast path.
# The namespace is a file on tmpfs (buffered I/O).  Direct I/O with dd in
# 4 KiB, 8 KiB, 128 KiB and 1 MiB blocks, and four writers and readers at
# once, is read back and compared with its source and with the backing
# file: 4 KiB writes travel as in-capsule data, larger ones in
# FRMR-registered buffers the target reads (rdma_rw, RDMA READ), reads come
# back as RDMA WRITEs into registered buffers, responses as SEND_WITH_INV
# (with ftrace, the driver's REG_MR and remote invalidations are counted
# and must both have happened).
# Then the controller is deleted, the target torn down and every nvme
# module unloaded: no QP, MR, CQ or cm_id of the ULPs may be left.  Last,
# the sroce link is deleted under a live controller: nvme-rdma must delete
# the controller, nvmet-rdma its queues, within bounded time.  vmrun fails
# the run on any kernel warning.  Documentation/kverbs.md, "ULPs tried".
# timeout: 300
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sroce.sh"
. "$(dirname "$0")/../lib/cm.sh"

for m in nvmet nvmet-rdma nvme-rdma nvme-fabrics; do
	modinfo "$m" >/dev/null 2>&1 || skip "kernel module $m is not available"
done

DEV=sroce80
ADDR=192.0.2.1
NQN=nqn.2014-08.org.example:sroce-nvme-test
CFS=/sys/kernel/config/nvmet
WORK=$(mktemp -d)
BACKING=$WORK/backing.img
SIZE_MB=32
ctrl=
tracing=0
TR=/sys/kernel/tracing

# Unwind whatever was set up, in reverse order; every step may fail.
nvme_teardown()
{
	if [ -n "$ctrl" ] && [ -e "/sys/class/nvme/$ctrl/delete_controller" ]; then
		echo 1 > "/sys/class/nvme/$ctrl/delete_controller" 2>/dev/null
	fi
	ctrl=
	if [ -d "$CFS" ]; then
		rm -f "$CFS/ports/1/subsystems/$NQN" 2>/dev/null
		rmdir "$CFS/ports/1" 2>/dev/null
		echo 0 > "$CFS/subsystems/$NQN/namespaces/1/enable" 2>/dev/null
		rmdir "$CFS/subsystems/$NQN/namespaces/1" 2>/dev/null
		rmdir "$CFS/subsystems/$NQN" 2>/dev/null
	fi
	modprobe -r nvme_rdma nvmet_rdma 2>/dev/null
	modprobe -r nvmet nvme_fabrics 2>/dev/null
	return 0
}

nvme_exit()
{
	local rc=$?

	if ((tracing)); then
		echo 0 > "$TR/tracing_on"
		echo nop > "$TR/current_tracer"
		echo > "$TR/set_ftrace_filter"
	fi
	nvme_teardown
	rm -rf "$WORK"
	(exit "$rc")
	sroce_exit
}
trap nvme_exit EXIT

# The namespace's block device, e.g. /dev/nvme0n1, once it exists (with
# native multipath, the controller's own path device nvme0c0n1 is hidden;
# this is the only NVMe controller in the VM).
ns_dev()
{
	local d n

	for d in /sys/block/nvme*n1; do
		n=${d##*/}
		[[ $n == nvme*c*n1 ]] && continue
		[ -b "/dev/$n" ] && { echo "/dev/$n"; return 0; }
	done
	return 1
}

# kernel_res KIND: the device's QPs/MRs/CQs in "rdma resource show", ib_core's
# own (QP1 of ib_mad, its CQ, the PD's DMA MR) left out.
kernel_res()
{
	rdma resource show "$1" link "$DEV/1" 2>/dev/null | grep -v '\[ib_core\]' |
		grep -c .
}
kernel_res_dev()
{
	rdma resource show "$1" dev "$DEV" 2>/dev/null | grep -v '\[ib_core\]' |
		grep -c .
}

assert_ok modprobe sroce
assert_ok modprobe configfs
mountpoint -q /sys/kernel/config || assert_ok mount -t configfs configfs /sys/kernel/config
for m in nvmet nvmet-rdma nvme-fabrics nvme-rdma; do
	assert_ok modprobe "$m"
done
[ -d "$CFS" ] || fail "no $CFS"

# target_setup: the subsystem (any host), namespace 1 on $BACKING, port 1
# (RDMA, $ADDR:4420) exporting it; waits until nvmet-rdma listens.
target_setup()
{
	local ss=$CFS/subsystems/$NQN

	assert_ok mkdir "$ss"
	assert_ok sh -c "echo 1 > $ss/attr_allow_any_host"
	assert_ok mkdir "$ss/namespaces/1"
	assert_ok sh -c "echo -n $BACKING > $ss/namespaces/1/device_path"
	if [ -e "$ss/namespaces/1/buffered_io" ]; then
		assert_ok sh -c "echo 1 > $ss/namespaces/1/buffered_io"
	fi
	assert_ok sh -c "echo 1 > $ss/namespaces/1/enable"
	assert_ok mkdir "$CFS/ports/1"
	assert_ok sh -c "echo rdma > $CFS/ports/1/addr_trtype"
	assert_ok sh -c "echo ipv4 > $CFS/ports/1/addr_adrfam"
	assert_ok sh -c "echo $ADDR > $CFS/ports/1/addr_traddr"
	assert_ok sh -c "echo 4420 > $CFS/ports/1/addr_trsvcid"
	assert_ok ln -s "$ss" "$CFS/ports/1/subsystems/$NQN"
	wait_for "cm_listening 4420" 10 ||
		fail "nvmet-rdma does not listen on $ADDR:4420"
}

# host_connect: connect nvme-rdma to the target, set $ctrl (nvmeN) and $blk
# (the namespace's block device).  A failed connection must not be retried
# for long: ctrl_loss_tmo bounds it.
host_connect()
{
	local opts reply inst fd t0=$SECONDS

	opts="transport=rdma,traddr=$ADDR,trsvcid=4420,nqn=$NQN"
	opts+=",nr_io_queues=2,queue_size=32,ctrl_loss_tmo=10,reconnect_delay=2"
	exec {fd}<>/dev/nvme-fabrics || fail "cannot open /dev/nvme-fabrics"
	if ! timeout 60 bash -c "echo '$opts' >&$fd"; then
		exec {fd}>&-
		dmesg | grep -E 'nvme|sroce' | tail -n 20 | sed 's/^/#   /'
		fail "connect to $NQN at $ADDR:4420 failed"
	fi
	read -r -t 5 reply <&$fd
	exec {fd}>&-
	echo "# connect: $reply ($((SECONDS - t0)) s)"
	inst=$(echo "$reply" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
	[ -n "$inst" ] || fail "no controller instance in '$reply'"
	ctrl=nvme$inst
	wait_for "ns_dev >/dev/null" 20 || fail "$ctrl: no namespace block device"
	blk=$(ns_dev)
}

assert_ok sroce_netdev_add snv0 type dummy
assert_ok ip addr add $ADDR/24 dev snv0
assert_ok ip link set snv0 up
assert_ok sroce_link_add $DEV snv0
wait_for "gid_index $DEV $(ipv4_gid $ADDR) >/dev/null" 10 || fail "$DEV: no IPv4 GID"
assert_ok dd if=/dev/zero of="$BACKING" bs=1M count=$SIZE_MB status=none

target_setup
cm_ok "nvmet-rdma listens on $ADDR:4420" true
host_connect
cm_eq "controller transport" "$(cat /sys/class/nvme/$ctrl/transport)" rdma
cm_eq "controller subsystem NQN" "$(cat /sys/class/nvme/$ctrl/subsysnqn)" "$NQN"
cm_eq "namespace size (512-byte sectors)" "$(cat /sys/block/${blk#/dev/}/size)" \
	$((SIZE_MB * 2048))
# One RC QP per queue on each side: the admin queue and the I/O queues.
nq=$(cat /sys/class/nvme/$ctrl/queue_count 2>/dev/null) || nq=
echo "# $ctrl: ${nq:-?} queues (admin included), queue size $(cat /sys/class/nvme/$ctrl/sqsize 2>/dev/null)"
[ -n "$nq" ] && cm_eq "RC QPs of $DEV (both sides)" "$(kernel_res qp)" $((2 * nq))

# ---- data -----------------------------------------------------------------
# dd_check NAME BS COUNT SEEK_MB: write COUNT blocks of BS bytes of random
# data at SEEK_MB MiB with O_DIRECT, read them back with O_DIRECT, compare
# with the source and with the backing file at the same offset.
dd_check()
{
	local name=$1 bs=$2 count=$3 seek=$4 src=$WORK/src.$1 got=$WORK/got.$1
	local bytes=$(($2 * $3)) off=$(($4 * 1048576)) t=$SECONDS

	head -c "$bytes" /dev/urandom > "$src" || return 1
	timeout 60 dd if="$src" of="$blk" bs="$bs" count="$count" \
		seek=$((off / bs)) oflag=direct conv=fsync status=none || return 1
	timeout 60 dd if="$blk" of="$got" bs="$bs" count="$count" \
		skip=$((off / bs)) iflag=direct status=none || return 1
	cmp "$src" "$got" || return 1
	cmp -n "$bytes" "$src" "$BACKING" 0 "$off" || return 1
	rm -f "$src" "$got"
	echo "#   $name: $bytes bytes written and read in $((SECONDS - t)) s"
}

# Which fast-registration paths the data phase takes, if ftrace is there:
# sroce_frmr_register (REG_MR) and sroce_frmr_invalidate, called from the
# requester (LOCAL_INV) or the responder (SEND_WITH_INV).
frmr_trace()	# start | stop
{
	[ -w "$TR/set_ftrace_filter" ] || return 1
	if [ "$1" = start ]; then
		echo 0 > "$TR/tracing_on"
		echo > "$TR/trace"
		echo 8192 > "$TR/buffer_size_kb"
		echo 'sroce_frmr_register sroce_frmr_invalidate' > "$TR/set_ftrace_filter" ||
			return 1
		echo function > "$TR/current_tracer"
		echo 1 > "$TR/tracing_on"
	else
		echo 0 > "$TR/tracing_on"
		grep -v '^#' "$TR/trace" > "$WORK/frmr.trace"
		echo nop > "$TR/current_tracer"
		echo > "$TR/set_ftrace_filter"
	fi
}
frmr_trace start && tracing=1

echo "# $blk: logical block size $(cat /sys/block/${blk#/dev/}/queue/logical_block_size)," \
	"max I/O $(cat /sys/block/${blk#/dev/}/queue/max_sectors_kb) KiB"
t0=$SECONDS
cm_ok "dd 4 KiB x 64 (in-capsule writes)" dd_check a 4096 64 0
cm_ok "dd 8 KiB x 32" dd_check b 8192 32 1
cm_ok "dd 128 KiB x 8" dd_check c 131072 8 2
cm_ok "dd 1 MiB x 2" dd_check d 1048576 2 4

# Four at once, each on its own MiB range, with different block sizes.
par_check()
{
	local pids=() rc=0 i bs=(4096 65536 262144 16384)

	for i in 0 1 2 3; do
		dd_check "p$i" "${bs[i]}" $((262144 / bs[i])) $((12 + i)) &
		pids+=($!)
	done
	for i in 0 1 2 3; do
		wait "${pids[i]}" || { echo "# writer $i (bs ${bs[i]}) failed"; rc=1; }
	done
	return $rc
}
cm_ok "4 concurrent writers/readers, 256 KiB each" par_check
echo "# data: $((SECONDS - t0)) s"
if ((tracing)) && frmr_trace stop && tracing=0; then
	reg=$(grep -c 'sroce_frmr_register <-' "$WORK/frmr.trace")
	linv=$(grep 'sroce_frmr_invalidate <-' "$WORK/frmr.trace" | grep -c '<-sroce_req')
	rinv=$(grep 'sroce_frmr_invalidate <-' "$WORK/frmr.trace" | grep -c '<-sroce_resp')
	echo "# fast registration: REG_MR $reg, LOCAL_INV $linv, SEND_WITH_INV $rinv"
	cm_eq "REG_MRs posted by nvme-rdma" "$((reg > 0))" 1
	cm_eq "rkeys invalidated by nvmet-rdma's SEND_WITH_INV" "$((rinv > 0))" 1
else
	echo "# ftrace not available: fast-registration paths not counted"
fi
# nvme-rdma checks the rkey of every remote invalidation and starts error
# recovery (reconnect) on a bad one, on a failed work request or an I/O
# timeout: none of that may have happened.
errs=$(dmesg | grep -iE 'nvme.*(bogus|error recovery|reconnect|timeout|reset|failed)')
cm_eq "nvme errors in the kernel log" "$errs" ""
rdma statistic show link $DEV/1 2>/dev/null | sed 's/^/#   /'

# ---- teardown -------------------------------------------------------------
assert_ok sh -c "echo 1 > /sys/class/nvme/$ctrl/delete_controller"
wait_for "[ ! -e /sys/class/nvme/$ctrl ]" 30 || fail "$ctrl is not deleted"
ctrl=
wait_for "[ \$(kernel_res qp) = 0 ]" 20
cm_eq "QPs left after the disconnect" "$(kernel_res qp)" 0
nvme_teardown
for m in nvme_rdma nvmet_rdma nvmet nvme_fabrics; do
	cm_eq "module $m unloaded" "$(lsmod | grep -c "^$m ")" 0
done
for r in qp mr cq cm_id; do
	cm_eq "kernel ${r}s left on $DEV" "$(kernel_res_dev $r)" 0
done
rdma resource show 2>/dev/null | sed 's/^/#   /'

# ---- the device goes away under a live controller ---------------------------
# Both ULPs are ib_clients: deleting the link makes nvme-rdma delete its
# controller and nvmet-rdma drop its queues and the port's listener.
for m in nvmet nvmet-rdma nvme-fabrics nvme-rdma; do
	assert_ok modprobe "$m"
done
target_setup
host_connect
cm_ok "dd 64 KiB x 4 before the link goes" dd_check f 65536 4 20
t0=$SECONDS
cm_ok "rdma link delete $DEV under a live controller" timeout 60 rdma link delete $DEV
echo "# link delete: $((SECONDS - t0)) s"
wait_for "[ ! -e /sys/class/nvme/$ctrl ]" 30
cm_eq "controller deleted with the device" "$([ -e /sys/class/nvme/$ctrl ] && echo present || echo gone)" gone
cm_eq "sroce devices left" "$(ls /sys/class/infiniband | grep -c "^$DEV\$")" 0
nvme_teardown
for m in nvme_rdma nvmet_rdma nvmet nvme_fabrics; do
	cm_eq "module $m unloaded" "$(lsmod | grep -c "^$m ")" 0
done
cm_summary
