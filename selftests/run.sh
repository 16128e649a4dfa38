#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdmaip's whole test suite (`make check`): host unit and property tests,
# then the lab tests on two QEMU nodes running the lab kernel with rdmaip.
# Installs what it needs. Ends with one line "N passed, N failed" over all
# suites; exits non-zero if anything failed. Every suite's log stays in a
# directory of its own (/tmp/rdmaip-check.XXXXXX, printed at the end); a
# failed lab step's evidence is in its test's log, and the lab's run
# directory (consoles) is kept and named there.
set -uo pipefail

# Builds a copy of the module as a headers-only kernel tree would (no
# drivers/infiniband/core): it must build and say it cannot notify locally.
build_without_cm_internals() {
	local dir
	dir=$(mktemp -d /tmp/rdmaip-nocm.XXXXXX)
	copy_module_tree "$dir"
	make -C "$KDIR" M="$dir" RUSTC="$KRUSTC" BINDGEN="$BINDGEN" RDMAIP_CM_INTERNALS=n modules &&
		! grep -q rdma_id_private "$dir/rdmaip/bindings_generated.rs" &&
		grep -qa 'loaded without local rdma_cm notification' "$dir/rdmaip/rdmaip.ko" &&
		rm -rf "$dir"
}

# The KASAN lab kernel and rdmaip's modules for it, built in the tree copy
# $1; run in a session of its own. Its autogroup (each session is one when
# the scheduler has them) gets the lowest weight: a plain nice would only
# order it within its own session, and the kernel build would take half of
# the CPU from the lab tests' VMs instead of what they leave idle.
build_kasan_lab() {
	echo 19 2>/dev/null >/proc/self/autogroup
	renice -n 19 $$ >/dev/null
	export RDMAIP_LAB_KASAN=1
	bash "$1/kernel/build.sh" >/dev/null && make -C "$1" lab-install
}

# Runs one KTAP lab test, logs it as $logs/<name>.log and adds its summary
# line to the totals; a test that crashed or printed no summary counts as
# a failure. Its wall time goes to the log and to $times.
run_lab_test() {
	local t=$1 name=$2 rc summary t0=$SECONDS
	log "lab tests: $t${RDMAIP_LAB_KASAN:+ (KASAN kernel)}"
	python3 "$t" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	echo "# $name: wall time $((SECONDS - t0))s (rc $rc)" | tee -a "$logs/$name.log"
	times+="$(printf '  %-26s %5ds' "$name" $((SECONDS - t0)))"$'\n'
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/$name.log" | tail -1)
	if [ -n "$summary" ]; then
		passed=$((passed + $(echo "$summary" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$summary" | cut -d' ' -f3)))
	fi
	[ "$rc" = 0 ] || [ -z "$summary" ] || [ "$(echo "$summary" | cut -d' ' -f3)" != 0 ] ||
		failed=$((failed + 1))
	[ -n "$summary" ] || failed=$((failed + 1))
}

main() {
	cd "$(dirname "$0")/.."
	. tools/lib.sh
	local start=$SECONDS logs passed=0 failed=0 rc times=""
	logs=$(mktemp -d /tmp/rdmaip-check.XXXXXX)
	log "logs in $logs"

	bash tools/install-deps.sh || die "installing dependencies failed"

	# The KASAN flavour of the lab kernel (clang; see tools/lib.sh), then
	# rdmaip and the test modules for it, build in the background on what
	# the rest leaves idle (build_kasan_lab).
	local kasan_pid kasan_tree
	kasan_tree=$(mktemp -d /tmp/rdmaip-kasan.XXXXXX)
	copy_module_tree "$kasan_tree"
	# Its own session, so that an early exit can stop the whole build.
	setsid bash -c "$(declare -f build_kasan_lab); build_kasan_lab $kasan_tree" \
		>"$logs/build-kasan.log" 2>&1 &
	kasan_pid=$!

	log "host tests: cargo test"
	cargo test --workspace 2>&1 | tee "$logs/cargo.log"
	rc=${PIPESTATUS[0]}
	local p f
	p=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$logs/cargo.log" | paste -sd+ | bc)
	f=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$logs/cargo.log" | paste -sd+ | bc)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
	[ "$rc" = 0 ] || [ "${f:-0}" != 0 ] || failed=$((failed + 1))

	# Checks that are one test each.
	check_step() {
		local name=$1; shift
		if "$@" >"$logs/step.log" 2>&1; then
			echo "ok - $name"; passed=$((passed + 1))
		else
			echo "not ok - $name"; sed 's/^/# /' "$logs/step.log" | tail -40
			failed=$((failed + 1))
		fi
	}
	check_step "rustfmt: userspace and shared crates are formatted" cargo fmt --all --check
	check_step "clippy: no warnings" cargo clippy --workspace --all-targets -- -D warnings
	# The lab tests run rdmaipctl from target/debug inside the VMs.
	check_step "build: rdmaipctl" cargo build --workspace

	log "building the lab kernel (cached) and rdmaip.ko"
	local kstart=$SECONDS
	if ! make lab-install >"$logs/build.log" 2>&1; then
		tail -50 "$logs/build.log"
		log "build failed after $((SECONDS - kstart))s; logs in $logs"
		kill -- -"$kasan_pid" 2>/dev/null
		wait "$kasan_pid"
		rm -rf "$kasan_tree"
		echo "$passed passed, $((failed + 1)) failed"
		return 1
	fi
	lab_kernel_paths
	log "built in $((SECONDS - kstart))s: $(cat "$KERNEL_CACHE_DIR/built.stamp")"
	# Needs the kernel tree for its generator.
	check_step "netlink: generated uapi header and policies match the YAML spec" \
		bash tools/ynl-gen.sh --check
	check_step "build: without rdma_cm's private headers rdmaip still builds, without local CM notification" \
		build_without_cm_internals
	check_step "rustfmt and clippy (CLIPPY=1, -Dwarnings): the module and the test module" \
		bash tools/check-module-style.sh
	check_step "deploy: make install into DESTDIR installs the listed files only; systemd-analyze verify; bash completion; the DKMS sources build" \
		bash tools/check-deploy.sh

	for t in tools/lab/smoke.py selftests/lab/test_*.py; do
		run_lab_test "$t" "$(basename "$t")"
	done

	# KASAN: the rdma_cm id tests again (delivery, destroy while moving,
	# the destroy-while-failovers stress, device removal, unload), on the
	# KASAN kernel; any report on the console fails them.
	log "lab tests (KASAN kernel): waiting for its build"
	wait "$kasan_pid"
	rc=$?
	rm -rf "$kasan_tree"
	if [ "$rc" = 0 ]; then
		log "KASAN kernel: $(RDMAIP_LAB_KASAN=1 bash -c '. tools/lib.sh && lab_kernel_paths && cat "$KERNEL_CACHE_DIR/built.stamp"')"
		RDMAIP_LAB_KASAN=1 run_lab_test selftests/lab/test_cm.py test_cm.py-kasan
	else
		tail -50 "$logs/build-kasan.log"
		log "the KASAN kernel or its modules did not build"
		failed=$((failed + 1))
	fi

	log "lab tests' wall times:"
	printf '%s' "$times"
	log "test suite took $((SECONDS - start))s; logs in $logs (kept)"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
exit $?
