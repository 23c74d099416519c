# Kernel cache helpers shared by fetch-kernels, vmrun and check-kernels.
# Source this file from bash; it defines functions and sets nothing else.
#
# Layout of the cache (default /var/cache/sroce/kernels, env SROCE_KERNEL_CACHE):
#
#   <cache>/<kver>/vmlinuz              kernel image
#   <cache>/<kver>/config               kernel .config
#   <cache>/<kver>/System.map
#   <cache>/<kver>/lib/modules/<kver>/  modules (uncompressed), depmod indexes
#   <cache>/<kver>/package              "<package> <version>", written last:
#                                       a directory without it is incomplete
#   <cache>/<kver>/vmlinux              uncompressed kernel (kcache_boot_image)
#   <cache>/<kver>/initramfs.cpio       see lib/initramfs.sh
#   <cache>/<kver>/initramfs.key        hash of the initramfs inputs
#   <cache>/<kver>/extra/<hash>/        vmrun's depmod layers for --module

kcache_dir()
{
	printf '%s\n' "${SROCE_KERNEL_CACHE:-/var/cache/sroce/kernels}"
}

# Print the complete kernel releases in the cache, oldest first.
kcache_list()
{
	local cache d

	cache=$(kcache_dir)
	[[ -d $cache ]] || return 0
	for d in "$cache"/*/; do
		d=${d%/}
		[[ -f $d/package && -f $d/vmlinuz ]] || continue
		printf '%s\n' "${d##*/}"
	done | sort -V
}

# kcache_boot_image KDIR: print the kernel image to boot for the cached kernel
# in KDIR.  Under TCG the kernel's own decompressor is slow (xz: ~4 s), so
# when the kernel can be entered through PVH, boot the uncompressed vmlinux
# instead; it is extracted from vmlinuz once, into KDIR if that is writable.
kcache_boot_image()
{
	local kdir=$1 out tmp off magic decompress

	out=$kdir/vmlinux
	if [[ -s $out ]]; then
		printf '%s\n' "$out"
		return 0
	fi
	if ! grep -q '^CONFIG_PVH=y' "$kdir/config" 2>/dev/null || [[ ! -w $kdir ]]; then
		printf '%s\n' "$kdir/vmlinuz"
		return 0
	fi
	if grep -q '^CONFIG_KERNEL_XZ=y' "$kdir/config"; then
		magic='\xfd7zXZ\x00' decompress='xz -dc'
	elif grep -q '^CONFIG_KERNEL_ZSTD=y' "$kdir/config"; then
		magic='\x28\xb5\x2f\xfd' decompress='zstd -qdc'
	elif grep -q '^CONFIG_KERNEL_GZIP=y' "$kdir/config"; then
		magic='\x1f\x8b\x08' decompress='gzip -dc'
	else
		printf '%s\n' "$kdir/vmlinuz"
		return 0
	fi
	off=$(LC_ALL=C grep -obUaP -m 1 "$magic" "$kdir/vmlinuz" | head -n 1 | cut -d: -f1)
	off=${off%%:*}
	tmp=$(mktemp "$kdir/.vmlinux.XXXXXX") || return 1
	# The compressed payload is followed by more of the image: ignore the
	# decompressor's complaint about it, and check for an ELF file instead.
	if [[ -n $off ]]; then
		tail -c +$((off + 1)) "$kdir/vmlinuz" | $decompress >"$tmp" 2>/dev/null
	fi
	if [[ $(head -c 4 "$tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
		chmod 0644 "$tmp"
		mv -f "$tmp" "$out"
	else
		rm -f "$tmp"
		out=$kdir/vmlinuz
	fi
	printf '%s\n' "$out"
}

# kcache_resolve SPEC: print the kernel release SPEC names.
# SPEC is a series ("6.1", "6.12": the newest cached release of it) or a
# full release ("6.1.0-56-amd64").  Fails with a message if none is cached.
kcache_resolve()
{
	local spec=$1 cache kver series_re

	cache=$(kcache_dir)
	if [[ $spec =~ ^[0-9]+\.[0-9]+$ ]]; then
		series_re="^${spec//./\\.}\\."
		kver=$(kcache_list | grep -E -- "$series_re" | tail -n 1)
		if [[ -z $kver ]]; then
			echo "no $spec kernel in $cache; run tests/vm/fetch-kernels" >&2
			return 1
		fi
		printf '%s\n' "$kver"
		return 0
	fi
	if [[ -f $cache/$spec/package && -f $cache/$spec/vmlinuz ]]; then
		printf '%s\n' "$spec"
		return 0
	fi
	echo "kernel $spec is not in $cache; run tests/vm/fetch-kernels" >&2
	return 1
}
