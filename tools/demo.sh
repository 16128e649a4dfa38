#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: installs what is needed, builds the lab kernel (cached) and
# rdmaip.ko and rdmaipctl, then runs the live failover demo in the two-node
# lab.
set -euo pipefail

main() {
	cd "$(dirname "$0")/.."
	. tools/lib.sh
	bash tools/install-deps.sh
	log "building the lab kernel (cached after the first run) and rdmaip.ko"
	make lab-install
	cargo build --quiet -p rdmaipctl
	exec python3 tools/demo.py
}

main "$@"
exit $?
