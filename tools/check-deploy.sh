#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The deployment side, checked on the host (run by `make check`, after the
# lab kernel is built):
#
#   - `make install` into a staging directory (DESTDIR) installs the listed
#     files and nothing else: the module with its genetlink alias in
#     modules.alias, rdmaipctl, the man page, the unit, the examples, the
#     completion, the sysctl.d file; no test module, nothing of the lab;
#   - `systemd-analyze verify` accepts the unit, in the staged tree;
#   - the bash completion loads and completes objects and verbs;
#   - the module's DKMS sources (`install.sh --dkms`) build with
#     dkms.conf's own commands (pre-build check, make) against the lab
#     kernel's tree.
#
# Prints one line per check; exits non-zero on the first failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$RDMAIP_ROOT"
lab_kernel_paths

stage=$(mktemp -d /tmp/rdmaip-deploy.XXXXXX)
trap 'rm -rf "$stage"' EXIT

fail() { echo "check-deploy: $*" >&2; exit 1; }

log "make install DESTDIR=$stage KDIR=<lab kernel>"
make --no-print-directory install DESTDIR="$stage" KDIR="$KDIR" >"$stage.log" 2>&1 ||
	{ tail -30 "$stage.log"; rm -f "$stage.log"; fail "make install failed"; }
rm -f "$stage.log"
release=$(basename "$(dirname "$(dirname "$(find "$stage/lib/modules" -name rdmaip.ko | head -1)")")")
[ -n "$release" ] || fail "no rdmaip.ko installed"
ko=$(find "$stage/lib/modules" -name '*.ko' | sed "s|^$stage||" | sort)
[ "$ko" = "$(find "$stage/lib/modules" -name rdmaip.ko | sed "s|^$stage||")" ] ||
	fail "modules installed besides rdmaip.ko: $ko"
grep -q '^alias net-pf-16-proto-16-family-rdmaip rdmaip$' "$stage/lib/modules/"*/modules.alias ||
	fail "depmod did not record the genetlink family alias"
want="/etc/rdmaip.conf
/usr/lib/modules-load.d/rdmaip.conf
/usr/lib/sysctl.d/60-rdmaip.conf
/usr/lib/systemd/system/rdmaip.service
/usr/sbin/rdmaipctl
/usr/share/bash-completion/completions/rdmaipctl
/usr/share/doc/rdmaip/deploying.rst
/usr/share/doc/rdmaip/examples/modprobe.d/rdmaip.conf
/usr/share/doc/rdmaip/examples/rdmaip.conf
/usr/share/man/man8/rdmaipctl.8"
got=$(cd "$stage" && find . -type f ! -path './lib/modules/*' | sed 's|^\.||' | sort)
[ "$got" = "$want" ] || fail "installed files differ from the list:
$(diff <(echo "$want") <(echo "$got") || true)"
"$stage/usr/sbin/rdmaipctl" help >/dev/null 2>&1 || fail "the installed rdmaipctl does not run"
echo "ok - make install: the module (alias in modules.alias) and the 10 listed files, nothing of the lab"

if command -v systemd-analyze >/dev/null; then
	# The unit runs the system's modprobe, which a package does not ship.
	install -D "$(command -v modprobe)" "$stage/sbin/modprobe"
	# Documentation=man:rdmaipctl(8) is looked up with man(1): the staged page.
	out=$(MANPATH="$stage/usr/share/man" systemd-analyze verify --root="$stage" \
		/usr/lib/systemd/system/rdmaip.service 2>&1) ||
		fail "systemd-analyze verify: $out"
	if echo "$out" | grep -q 'rdmaip.service'; then
		fail "systemd-analyze verify: $out"
	fi
	echo "ok - systemd-analyze verify accepts rdmaip.service"
else
	echo "ok - systemd-analyze verify: skipped (no systemd-analyze on this host)"
fi

words=$(bash -c '
	. "$1"
	complete -p rdmaipctl >/dev/null || exit 1
	COMP_WORDS=(rdmaipctl g); COMP_CWORD=1; _rdmaipctl; echo "${COMPREPLY[*]}"
	COMP_WORDS=(rdmaipctl group ""); COMP_CWORD=2; _rdmaipctl; echo "${COMPREPLY[*]}"
' _ "$stage/usr/share/bash-completion/completions/rdmaipctl") || fail "the completion does not load"
objects=$(echo "$words" | sed -n 1p)
verbs=$(echo "$words" | sed -n 2p)
[ "$objects" = group ] || fail "completion of 'rdmaipctl g': '$objects', want 'group'"
for v in add del show set help; do
	echo " $verbs " | grep -q " $v " || fail "completion of 'rdmaipctl group ': '$verbs' lacks $v"
done
echo "ok - bash completion loads and completes objects and verbs"

dkms_src=$(mktemp -d /tmp/rdmaip-dkms.XXXXXX)
trap 'rm -rf "$stage" "$dkms_src"' EXIT
bash deploy/install.sh --no-build --dkms DESTDIR="$dkms_src" >/dev/null
src=$(echo "$dkms_src"/usr/src/rdmaip-*)
[ -f "$src/dkms.conf" ] || fail "install.sh --dkms did not install dkms.conf"
# dkms.conf's own PRE_BUILD and MAKE, with DKMS's variables, as dkms build
# runs them in its build directory.
(
	cd "$src"
	kernel_source_dir=$KDIR dkms_tree=$dkms_src
	RDMAIP_RUSTC=$KRUSTC RDMAIP_BINDGEN=$BINDGEN
	# shellcheck disable=SC1091
	. ./dkms.conf
	mkdir -p "$dkms_src/$PACKAGE_NAME/$PACKAGE_VERSION" &&
		ln -s "$src" "$dkms_src/$PACKAGE_NAME/$PACKAGE_VERSION/build"
	eval "$PRE_BUILD" >/dev/null
	eval "${MAKE[0]}" >"$dkms_src/build.log" 2>&1 || { tail -30 "$dkms_src/build.log"; exit 1; }
	[ -f "$src/$BUILT_MODULE_LOCATION/${BUILT_MODULE_NAME[0]}.ko" ]
) || fail "the DKMS sources do not build against the lab kernel"
echo "ok - DKMS: the installed sources build rdmaip.ko with dkms.conf's commands against the lab kernel"
