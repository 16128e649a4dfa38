#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the lab's soft-RoCE driver (rdma_rxe) from the lab kernel's own
# source with kernel/lab-patches/rxe-*.patch applied, and installs it into
# the lab's module tree under updates/, which depmod prefers to the
# in-tree module. The patches fix soft-RoCE defects that make the emulated
# adapter behave unlike hardware (each patch says which and why); rdmaip
# itself needs no kernel patch. Cached next to the kernel, keyed by the
# patches.
#
#   kernel/lab-rxe.sh        (run by `make lab-install`)
set -euo pipefail

main() {
	source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
	lab_kernel_paths
	local patches key obj p
	patches=("$RDMAIP_ROOT"/kernel/lab-patches/rxe-*.patch)
	key=$(cat "${patches[@]}" | sha256sum | cut -c1-12)
	obj="$KERNEL_CACHE_DIR/rxe-$key"
	if [ ! -f "$obj/built.stamp" ]; then
		log "building the lab's rdma_rxe with ${#patches[@]} patch(es) in $obj"
		rm -rf "$obj"
		mkdir -p "$obj"
		cp "$KDIR"/drivers/infiniband/sw/rxe/*.[ch] "$KDIR"/drivers/infiniband/sw/rxe/Makefile "$obj/"
		for p in "${patches[@]}"; do
			# The patches name drivers/infiniband/sw/rxe/<file>.
			patch -s -d "$obj" -p5 < "$p"
		done
		make -s -C "$KDIR" M="$obj" modules
		touch "$obj/built.stamp"
	fi
	make -s -C "$KDIR" M="$obj" INSTALL_MOD_PATH="$KMODS" INSTALL_MOD_DIR=updates modules_install
	local krel
	krel=$(cat "$KDIR/include/config/kernel.release")
	[ -f "$KMODS/lib/modules/$krel/updates/rdma_rxe.ko" ] ||
		die "rdma_rxe.ko did not reach $KMODS/lib/modules/$krel/updates"
	grep -q '^updates/rdma_rxe.ko:' "$KMODS/lib/modules/$krel/modules.dep" ||
		die "depmod does not prefer updates/rdma_rxe.ko"
}

main "$@"
exit $?
