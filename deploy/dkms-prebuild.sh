#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS PRE_BUILD for rdmaip: checks that the kernel tree can build a Rust
# module and that the toolchain matches it, so that a failed build says
# why instead of ending in a compiler error.
#
#   deploy/dkms-prebuild.sh KERNEL_BUILD_DIR [RUSTC] [BINDGEN]

set -u
kdir=${1:?usage: dkms-prebuild.sh KERNEL_BUILD_DIR [RUSTC] [BINDGEN]}
rustc=${2:-/usr/bin/rustc}
bindgen=${3:-bindgen}
fail=0

say() { echo "rdmaip: $*" >&2; }

config="$kdir/.config"
if [ ! -r "$config" ]; then
	say "$config not found: install the kernel's build tree (linux-headers or the configured source)"
	exit 1
fi
if ! grep -qx 'CONFIG_RUST=y' "$config"; then
	say "the kernel in $kdir is built without CONFIG_RUST=y: rdmaip is a Rust module and cannot be built for it"
	exit 1
fi
if ! grep -q '^CONFIG_INFINIBAND=[ym]' "$config"; then
	say "the kernel in $kdir has no CONFIG_INFINIBAND: rdmaip needs the RDMA core"
	fail=1
fi
for f in rust/libmacros.so rust/libkernel.rmeta; do
	# A build tree without the compiled Rust crates cannot build modules.
	if [ ! -e "$kdir/$f" ]; then
		say "$kdir has no $f: use a build tree of the kernel with its compiled Rust crates"
		fail=1
	fi
done

want=$(sed -n 's/^CONFIG_RUSTC_VERSION=//p' "$config")
if ! command -v "$rustc" >/dev/null; then
	say "rustc ($rustc) not found; set RDMAIP_RUSTC to the rustc the kernel was built with"
	fail=1
elif [ -n "$want" ]; then
	# CONFIG_RUSTC_VERSION is MAJOR*100000 + MINOR*100 + PATCH.
	have=$("$rustc" --version | sed -n 's/^rustc \([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p' |
		{ read -r a b c && echo $((a * 100000 + b * 100 + c)); })
	if [ "$have" != "$want" ]; then
		say "$rustc is version $("$rustc" --version | cut -d' ' -f2), the kernel was built with $(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT=//p' "$config"); set RDMAIP_RUSTC to a rustc of the kernel's version"
		fail=1
	fi
fi
if ! command -v "$bindgen" >/dev/null; then
	say "bindgen ($bindgen) not found; install bindgen-cli (the version in the kernel's Documentation/rust/quick-start.rst) or set RDMAIP_BINDGEN"
	fail=1
fi
exit $fail
