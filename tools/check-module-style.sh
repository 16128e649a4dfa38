#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel module and the test module checked like the userspace crates:
# rustfmt with the kernel's .rustfmt.toml, then a build with clippy
# (the kernel's CLIPPY=1, with Debian's clippy-driver matching rustc-web)
# and warnings as errors. Builds a copy, so the tree's objects stay as
# they are. Needs the lab kernel (or KDIR) and tools/install-deps.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$RDMAIP_ROOT"
if [ -z "${KDIR:-}" ]; then
	lab_kernel_paths
fi

log "rustfmt --check (kernel config) over rdmaip/ and selftests/cmtest/"
rustfmt --check --edition 2021 --config-path "$KDIR/.rustfmt.toml" \
	rdmaip/rdmaip_main.rs selftests/cmtest/cmtest_main.rs

log "clippy (CLIPPY=1, -Dwarnings) over rdmaip.ko and rdmaip_cmtest.ko"
dir=$(mktemp -d /tmp/rdmaip-clippy.XXXXXX)
trap 'rm -rf "$dir"' EXIT
copy_module_tree "$dir"
make -C "$KDIR" M="$dir" RUSTC="$KRUSTC" BINDGEN="$BINDGEN" RDMAIP_SELFTESTS=1 \
	CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver KRUSTFLAGS=-Dwarnings modules
