#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the rdmaip lab kernel (x86_64 allnoconfig + kernel/rdmaip-lab.config)
# from Debian's linux-source-6.12, with GCC and Debian's rustc-web; with
# RDMAIP_LAB_KASAN=1, its KASAN flavour (+ kernel/rdmaip-lab-kasan.config,
# with clang-16; see lab_kernel_paths in tools/lib.sh).
#
# The result is cached in $RDMAIP_CACHE/kernel-<key>/, keyed by the source
# package version, the config fragment and the toolchain; a rerun with the
# same key does nothing. Prints the kernel build directory (KDIR) on stdout.
set -euo pipefail
. "$(dirname "$0")/../tools/lib.sh"

# Everything runs from main(), parsed whole before it starts.
main() {

	lab_kernel_paths
	stamp="$KERNEL_CACHE_DIR/built.stamp"
	if [ -f "$stamp" ]; then
		log "lab kernel cached: $KDIR ($(cat "$stamp"))"
		echo "$KDIR"
		return 0
	fi

	start=$(date +%s)
	log "building lab kernel from linux-source-6.12 $KSRCVER into $KERNEL_CACHE_DIR"
	rm -rf "$KERNEL_CACHE_DIR"
	mkdir -p "$KERNEL_CACHE_DIR"
	tar -C "$KERNEL_CACHE_DIR" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$KERNEL_CACHE_DIR/linux-source-6.12" "$KDIR"

	# Build output goes to stderr: stdout carries only the resulting KDIR.
	kmake() {
		make -C "$KDIR" ARCH=x86_64 RUSTC="$KRUSTC" HOSTRUSTC="$KRUSTC" \
			BINDGEN="$BINDGEN" "$@" >&2
	}

	local fragment="$KERNEL_CACHE_DIR/lab.config"
	cat "${LAB_FRAGMENTS[@]}" > "$fragment"
	kmake rustavailable
	kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig >/dev/null

	# Every option of the fragment must have survived: a silently dropped option
	# (unmet dependency) would give a lab that quietly tests less.
	bad=0
	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$KDIR/.config" && { log "config: $opt should be off"; bad=1; }
		else
			grep -qx "$opt=$val" "$KDIR/.config" || {
				log "config: wanted $line, got: $(grep "^$opt=\|^# $opt is" "$KDIR/.config" || echo unset)"
				bad=1
			}
		fi
	done < "$fragment"
	[ $bad = 0 ] || die "the config fragment did not apply"

	jobs=$(( $(nproc) + 1 ))
	kmake -j"$jobs" bzImage modules
	rm -rf "$KMODS"
	kmake INSTALL_MOD_PATH="$KMODS" modules_install >/dev/null

	release=$(make -s --no-print-directory -C "$KDIR" kernelrelease)
	echo "linux-source-6.12 $KSRCVER, release $release, built in $(( $(date +%s) - start ))s" > "$stamp"
	log "lab kernel built: $(cat "$stamp")"
	echo "$KDIR"
}

main "$@"
exit $?
