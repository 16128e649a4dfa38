# SPDX-License-Identifier: GPL-2.0
# Shared settings for rdmaip's build and lab scripts. Source it; do not run it.

RDMAIP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Build outputs that are expensive to make (the lab kernel, bindgen) live
# outside the repository, keyed by what they depend on.
RDMAIP_CACHE=${RDMAIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdmaip}
# The kernel and every module are built with Debian's rustc-web, which has a
# matching rust-src; ~/.cargo/bin comes first in PATH, so name it explicitly.
KRUSTC=${KRUSTC:-/usr/bin/rustc}
BINDGEN_VERSION=0.73.1
BINDGEN=${BINDGEN:-$RDMAIP_CACHE/tools/bin/bindgen}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Kernel build directory for the current fragment and toolchain; sets KDIR
# and KMODS (the modules_install staging root the lab VMs mount;
# RDMAIP_LAB_MODS names a private copy of it, so that two checkouts can run
# their labs side by side with their own out-of-tree modules), and
# LAB_FRAGMENTS (the config fragments, in order).
#
# RDMAIP_LAB_KASAN=1 selects the lab kernel's KASAN flavour. 6.12 builds
# Rust code with KASAN only in a kernel built with clang (init/Kconfig:
# RUST depends on "!KASAN || CC_IS_CLANG"), so that flavour is built with
# Debian's clang-16: LLVM=-16 is exported for every kernel make that
# follows (modules must be built with the kernel's compiler), and
# kernel/rdmaip-lab-kasan.config goes on top of the lab fragment. The
# plain flavour has kernel/rdmaip-lab-multipath.config on top instead.
# Copies the module's sources and what builds them (make lab-install
# included) into directory $1, without objects: a build there never races
# or reuses one in the tree.
copy_module_tree() {
	cp -r "$RDMAIP_ROOT"/{Makefile,Kbuild,rdmaip,include,kernel,selftests,tools} "$1"/
	find "$1" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name 'bindings_generated.rs' \) -delete
}

lab_kernel_paths() {
	local srcver fraghash tc key cc=gcc
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed (run tools/install-deps.sh)"
	LAB_FRAGMENTS=("$RDMAIP_ROOT/kernel/rdmaip-lab.config")
	if [ "${RDMAIP_LAB_KASAN:-0}" = 1 ]; then
		LAB_FRAGMENTS+=("$RDMAIP_ROOT/kernel/rdmaip-lab-kasan.config")
		export LLVM=-16
		cc=clang-16
	else
		LAB_FRAGMENTS+=("$RDMAIP_ROOT/kernel/rdmaip-lab-multipath.config")
	fi
	fraghash=$(cat "${LAB_FRAGMENTS[@]}" | sha256sum | cut -c1-12)
	tc=$( { "$cc" --version | head -1; "$KRUSTC" --version; echo "bindgen $BINDGEN_VERSION"; } | sha256sum | cut -c1-8)
	key="6.12-${srcver}-cfg${fraghash}-tc${tc}"
	KERNEL_CACHE_DIR="$RDMAIP_CACHE/kernel-$key"
	KDIR="$KERNEL_CACHE_DIR/linux"
	KMODS="${RDMAIP_LAB_MODS:-$KERNEL_CACHE_DIR/mods}"
	KSRCVER="$srcver"
}
