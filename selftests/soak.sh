#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flakiness, measured (`make soak`): runs the consumer and failover lab
# tests again and again with their long counts and prints each test's pass
# rate.
#
#   bash selftests/soak.sh [RUNS [TEST...]]
#
# RUNS (default 10): how many times each test runs; the tests take turns
# (run 1 of each, then run 2 of each...), so a soak cut short still has
# comparable counts. TEST: names under selftests/lab/, with or without
# "test_" and ".py" (default: rds nvmeof failover, and fuzz if
# selftests/lab/test_fuzz.py exists).
#
# Counts (each may be set in the environment instead): RDS 20 cuts,
# NVMe-oF 10 target-side and 3 host-side cuts, test_failover.py 200 random
# cuts, test_fuzz.py 20000 messages, test_cm.py 40 random cuts,
# test_ports.py 100 load/unload cycles. Each run gets its own RDMAIP_SEED
# (the run number, unless RDMAIP_SEED is set), so the random tests do not
# repeat one sequence; a failed run's log names its seed.
#
# It installs and builds what it needs as `make check` does (dependencies,
# `make lab-install`, rdmaipctl), unless RDMAIP_SOAK_BUILD=0: then it tests
# what is there (with RDMAIP_LAB_KMODS and RDMAIP_RDMAIPCTL, private copies
# that a build in the shared checkout cannot change under a long soak).
#
# Every run's log is kept in /tmp/rdmaip-soak.XXXXXX, with its lab run
# directory (both consoles; evidence.txt after a failure) next to it; a
# failed run's log has the evidence of its failed steps. Ends with one line "N passed, N failed" (runs);
# exits non-zero if any run failed.
set -uo pipefail

export RDMAIP_RDS_CUTS=${RDMAIP_RDS_CUTS:-20}
export RDMAIP_NVME_CUTS=${RDMAIP_NVME_CUTS:-10}
export RDMAIP_NVME_HOST_CUTS=${RDMAIP_NVME_HOST_CUTS:-3}
export RDMAIP_RANDOM_CUTS=${RDMAIP_RANDOM_CUTS:-200}
export RDMAIP_FUZZ_COUNT=${RDMAIP_FUZZ_COUNT:-20000}
export RDMAIP_CM_CUTS=${RDMAIP_CM_CUTS:-40}
export RDMAIP_LOAD_CYCLES=${RDMAIP_LOAD_CYCLES:-100}

main() {
	cd "$(dirname "$0")/.."
	. tools/lib.sh
	local runs=${1:-10}
	[ "$#" -gt 0 ] && shift
	[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$runs'"
	local tests=() t
	for t in "${@:-}"; do
		[ -n "$t" ] || continue
		t=${t%.py}; t=${t#test_}
		[ -f "selftests/lab/test_$t.py" ] || die "no selftests/lab/test_$t.py"
		tests+=("$t")
	done
	if [ "${#tests[@]}" = 0 ]; then
		tests=(rds nvmeof failover)
		[ -f selftests/lab/test_fuzz.py ] && tests+=(fuzz)
	fi

	local start=$SECONDS logs
	logs=$(mktemp -d /tmp/rdmaip-soak.XXXXXX)
	log "soak: ${tests[*]}, $runs runs each; logs in $logs"
	log "counts: RDS $RDMAIP_RDS_CUTS cuts, NVMe-oF $RDMAIP_NVME_CUTS+$RDMAIP_NVME_HOST_CUTS cuts," \
		"failover $RDMAIP_RANDOM_CUTS random cuts, fuzz $RDMAIP_FUZZ_COUNT, cm $RDMAIP_CM_CUTS cuts," \
		"ports $RDMAIP_LOAD_CYCLES load/unload cycles"

	if [ "${RDMAIP_SOAK_BUILD:-1}" = 0 ]; then
		log "not building (RDMAIP_SOAK_BUILD=0): modules ${RDMAIP_LAB_KMODS:-of the lab kernel}," \
			"rdmaipctl ${RDMAIP_RDMAIPCTL:-target/debug/rdmaipctl}"
	else
		bash tools/install-deps.sh || die "installing dependencies failed"
		log "building the lab kernel (cached), rdmaip.ko and rdmaipctl"
		if ! { make lab-install && cargo build -p rdmaipctl; } >"$logs/build.log" 2>&1; then
			tail -50 "$logs/build.log"
			log "build failed; logs in $logs"
			echo "0 passed, 1 failed"
			return 1
		fi
	fi

	declare -A pass=() ran=() secs=() failed_logs=()
	local run name f rc summary t0 seed ok
	for run in $(seq "$runs"); do
		for t in "${tests[@]}"; do
			name=test_$t.py
			f=$logs/test_$t.$run.log
			seed=${RDMAIP_SEED:-$run}
			log "soak: run $run/$runs: $name (RDMAIP_SEED=$seed)"
			t0=$SECONDS
			{
				echo "# soak run $run of $name, RDMAIP_SEED=$seed, $(date -Is)"
				RDMAIP_SEED=$seed RDMAIP_LAB_DIR=${f%.log}.lab python3 "selftests/lab/$name" 2>&1
			} >"$f"
			rc=$?  # the group's status: python3's
			summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -1)
			ok=0
			[ "$rc" = 0 ] && [ -n "$summary" ] && [ "$(echo "$summary" | cut -d' ' -f3)" = 0 ] && ok=1
			ran[$t]=$((${ran[$t]:-0} + 1))
			secs[$t]=$((${secs[$t]:-0} + SECONDS - t0))
			if [ "$ok" = 1 ]; then
				pass[$t]=$((${pass[$t]:-0} + 1))
				log "soak: run $run/$runs: $name passed in $((SECONDS - t0))s"
			else
				failed_logs[$t]+="    $f (lab run directory ${f%.log}.lab)"$'\n'
				log "soak: run $run/$runs: $name FAILED in $((SECONDS - t0))s (${summary:-no summary}); log $f"
				grep -E '^not ok' "$f" | sed 's/^/    /' >&2
			fi
		done
	done

	local total_pass=0 total_fail=0 p n
	echo
	echo "soak: pass rate per test ($runs runs each, $((SECONDS - start))s):"
	for t in "${tests[@]}"; do
		p=${pass[$t]:-0}; n=${ran[$t]:-0}
		total_pass=$((total_pass + p)); total_fail=$((total_fail + n - p))
		printf '  test_%s.py: %d/%d passed (%d%%), %ds per run on average\n' \
			"$t" "$p" "$n" $((n ? 100 * p / n : 0)) $((n ? ${secs[$t]:-0} / n : 0))
		if [ -n "${failed_logs[$t]:-}" ]; then
			echo "    failed runs' logs:"
			printf '%s' "${failed_logs[$t]}"
		fi
	done
	local missed
	missed=$(grep -l 'rdmaip: .*event was missed' "$logs"/*.lab/*.console 2>/dev/null)
	[ -z "$missed" ] || { echo "  runs where rdmaip's audit caught a missed port event:"; echo "$missed" | sed 's/^/    /'; }
	echo "logs in $logs (each run's lab directory, consoles included, in <test>.<run>.lab)"
	echo "$total_pass passed, $total_fail failed"
	[ "$total_fail" = 0 ]
}

main "$@"
exit $?
