# Build (or reuse) the small initramfs that vmrun boots.  Source from bash.
#
# The initramfs holds a static busybox, the modules needed to reach the host
# (virtio PCI and console, 9p over virtio, overlayfs) with their dependencies,
# uncompressed and listed in load order, and lib/initramfs-init as /init.
# It is cached per kernel as <cache>/<kver>/initramfs.cpio and rebuilt only when
# its inputs change: this file, initramfs-init, the busybox binary or the
# kernel package.

initramfs_modules=(virtio_pci virtio_console 9pnet_virtio 9p overlay)

# Append to the array "order" the path (relative to the module directory) of
# MODULE after those of the modules it depends on.  Built-in modules add
# nothing.  Uses the associative arrays of initramfs_build.
_initramfs_resolve()
{
	local name=${1//-/_} dep

	[[ -n ${moddep_seen[$name]-} ]] && return 0
	moddep_seen[$name]=1
	if [[ -z ${moddep_path[$name]-} ]]; then
		[[ -n ${moddep_builtin[$name]-} ]] && return 0
		echo "initramfs: $1 is neither a module nor built in" >&2
		return 1
	fi
	for dep in ${moddep_deps[$name]}; do
		dep=${dep##*/}
		_initramfs_resolve "${dep%%.ko*}" || return 1
	done
	order+=("${moddep_path[$name]}")
}

# initramfs_build KDIR KVER OUTPUT: write the initramfs for the kernel in KDIR.
initramfs_build()
{
	local kdir=$1 kver=$2 output=$3
	local moddir=$kdir/lib/modules/$kver here busybox root line path name rel i=0
	local -A moddep_path=() moddep_deps=() moddep_seen=() moddep_builtin=()
	local -a order=()

	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	busybox=$(command -v busybox) || {
		echo "initramfs: busybox not found; apt-get install busybox-static" >&2
		return 1
	}
	if ldd "$busybox" >/dev/null 2>&1; then
		echo "initramfs: $busybox is dynamically linked; apt-get install busybox-static" >&2
		return 1
	fi

	while IFS= read -r line; do
		path=${line%%:*}
		name=${path##*/}
		name=${name%%.ko*}
		moddep_path[${name//-/_}]=$path
		moddep_deps[${name//-/_}]=${line#*:}
	done <"$moddir/modules.dep"
	while IFS= read -r path; do
		name=${path##*/}
		name=${name%%.ko*}
		moddep_builtin[${name//-/_}]=1
	done <"$moddir/modules.builtin"
	for name in "${initramfs_modules[@]}"; do
		_initramfs_resolve "$name" || return 1
	done

	root=$(mktemp -d "${output%/*}/.initramfs.XXXXXX") || return 1
	mkdir -p "$root"/{bin,dev,proc,sys,modules,lower,share,rw,newroot}
	cp "$busybox" "$root/bin/busybox"
	cp "$here/initramfs-init" "$root/init"
	chmod 0755 "$root/init"
	for rel in "${order[@]}"; do
		name=$(printf '%02d-%s' "$i" "${rel##*/}")
		name=${name%%.ko*}.ko
		case $rel in
		*.ko.xz) xz -dc "$moddir/$rel" >"$root/modules/$name" ;;
		*.ko.zst) zstd -qdc "$moddir/$rel" >"$root/modules/$name" ;;
		*) cp "$moddir/$rel" "$root/modules/$name" ;;
		esac || { rm -rf "$root"; return 1; }
		i=$((i + 1))
	done
	printf '%s\n' "$kver" >"$root/kver"

	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		"$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$root.cpio" || {
		rm -rf "$root" "$root.cpio"
		return 1
	}
	rm -rf "$root"
	mv -f "$root.cpio" "$output"
}

# initramfs_get KDIR KVER: print the path of an up-to-date initramfs for the
# kernel in KDIR, building it if needed.  It lives in KDIR when that is
# writable, else in ${TMPDIR:-/tmp}/vmrun-initramfs-$UID.
initramfs_get()
{
	local kdir=$1 kver=$2 here key dir out

	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	key=$(cat "${BASH_SOURCE[0]}" "$here/initramfs-init" "$(command -v busybox)" \
		"$kdir/package" 2>/dev/null | sha256sum)
	key=${key%% *}
	dir=$kdir
	if [[ ! -w $dir ]]; then
		dir=${TMPDIR:-/tmp}/vmrun-initramfs-$UID/$kver
		mkdir -p "$dir" || return 1
	fi
	out=$dir/initramfs.cpio
	if [[ -f $out && -f $dir/initramfs.key && $(<"$dir/initramfs.key") == "$key" ]]; then
		printf '%s\n' "$out"
		return 0
	fi
	initramfs_build "$kdir" "$kver" "$out" || return 1
	printf '%s\n' "$key" >"$dir/initramfs.key"
	printf '%s\n' "$out"
}
