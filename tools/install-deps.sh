#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs everything rdmaip's build, lab and tests need on Debian 12.
# Idempotent: returns quickly when everything is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Packages from bookworm / bookworm-security.
PKGS=(
	linux-source-6.12 rustc-web rust-web-src rust-web-clippy libclang-dev
	clang-16 lld-16 llvm-16
	build-essential flex bison bc libelf-dev libssl-dev cpio kmod xz-utils patch
	iproute2 nftables socat python3 python3-yaml python3-jsonschema
	rdma-core ibverbs-utils ibverbs-providers rdmacm-utils perftest
	nvme-cli fio
)
# QEMU comes from bookworm-backports: the machine image already carries
# qemu-utils 10.0 from there, and bookworm's qemu-system-x86 7.2 clashes
# with it.
BPO_PKGS=(qemu-system-x86)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${PKGS[@]}" "${BPO_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	bpo=/etc/apt/sources.list.d/rdmaip-backports.sources
	if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
		as_root tee "$bpo" >/dev/null <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q
	as_root apt-get install -y -q --no-install-recommends "${PKGS[@]}"
	as_root apt-get install -y -q --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}"
fi

# bindgen >= 0.65.1 is needed by 6.12's Rust support; Debian's is 0.60.
if ! "$BINDGEN" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION into $RDMAIP_CACHE/tools"
	cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION" \
		--root "$RDMAIP_CACHE/tools"
fi
log "dependencies present"
