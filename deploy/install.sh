#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what a server running rdmaip needs besides the kernel module:
# rdmaipctl, its man page, the systemd unit, the configuration example
# (and /etc/rdmaip.conf if there is none), the bash completion, the
# modules-load.d snippet, the sysctl.d ARP settings and the deployment guide; with --dkms, the
# module's sources and dkms.conf under /usr/src for `dkms add`. Installs
# nothing that only the test lab needs, and never overwrites an existing
# /etc/rdmaip.conf.
#
#   deploy/install.sh [--dkms] [--no-build] [VAR=VALUE]...
#
# Variables (from the environment or as arguments):
#   DESTDIR     staging directory (default: none)
#   PREFIX      default /usr
#   SYSCONFDIR  default /etc
#   UNITDIR     default $PREFIX/lib/systemd/system
#   CARGO       default cargo
# --no-build    install target/release/rdmaipctl as it is
# --dkms        also install /usr/src/rdmaip-VERSION (the module's sources)
#
# The kernel module itself is installed by the top-level Makefile
# (`make modules_install`-style, with depmod) or by DKMS.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
dkms=0
for arg in "$@"; do
	case $arg in
	--dkms) dkms=1 ;;
	--no-build) build=0 ;;
	DESTDIR=* | PREFIX=* | SYSCONFDIR=* | UNITDIR=* | CARGO=*) export "${arg?}" ;;
	-h | --help)
		sed -n '/^# Installs/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "install.sh: unknown argument \"$arg\" (try --help)" >&2
		exit 2 ;;
	esac
done
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
CARGO=${CARGO:-cargo}
sbindir=$PREFIX/sbin
docdir=$PREFIX/share/doc/rdmaip

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
dkms_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$root/deploy/dkms.conf")
if [ "$version" != "$dkms_version" ]; then
	echo "install.sh: deploy/dkms.conf has version $dkms_version, Cargo.toml $version" >&2
	exit 1
fi

installed=()
put() { # MODE SOURCE DEST
	install -D -m "$1" "$2" "$DESTDIR$3"
	installed+=("$3")
}

if [ $build = 1 ]; then
	(cd "$root" && "$CARGO" build --release --locked -p rdmaipctl)
fi
put 755 "$root/target/release/rdmaipctl" "$sbindir/rdmaipctl"
put 644 "$root/Documentation/rdmaipctl.8" "$PREFIX/share/man/man8/rdmaipctl.8"
put 644 "$root/deploy/rdmaipctl.bash" "$PREFIX/share/bash-completion/completions/rdmaipctl"
put 644 "$root/deploy/modules-load.conf" "$PREFIX/lib/modules-load.d/rdmaip.conf"
put 644 "$root/deploy/sysctl.conf" "$PREFIX/lib/sysctl.d/60-rdmaip.conf"

# The unit names rdmaipctl and the file where they are installed.
unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
sed -e "s|/usr/sbin/rdmaipctl|$sbindir/rdmaipctl|g" \
	-e "s|/etc/rdmaip.conf|$SYSCONFDIR/rdmaip.conf|g" \
	"$root/deploy/rdmaip.service" >"$unit"
put 644 "$unit" "$UNITDIR/rdmaip.service"

put 644 "$root/deploy/rdmaip.conf" "$docdir/examples/rdmaip.conf"
put 644 "$root/deploy/modprobe.conf" "$docdir/examples/modprobe.d/rdmaip.conf"
put 644 "$root/Documentation/deploying.rst" "$docdir/deploying.rst"
if [ -e "$DESTDIR$SYSCONFDIR/rdmaip.conf" ]; then
	echo "install.sh: keeping $DESTDIR$SYSCONFDIR/rdmaip.conf" >&2
else
	put 644 "$root/deploy/rdmaip.conf" "$SYSCONFDIR/rdmaip.conf"
fi

if [ $dkms = 1 ]; then
	src=/usr/src/rdmaip-$version
	# The module's sources as committed (no build products), and what
	# its Kbuild includes.
	cd "$root"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		files=$(git ls-files Kbuild rdmaip include kernel/module-bindgen.mk)
	else
		files=$(find Kbuild rdmaip include kernel/module-bindgen.mk -type f \
			! -name '*.o' ! -name '*.ko' ! -name '*.cmd' ! -name '*.mod' \
			! -name '*.mod.c' ! -name 'modules.order' ! -name 'bindings_generated.rs' \
			! -path '*/target/*')
	fi
	for f in $files; do
		put 644 "$root/$f" "$src/$f"
	done
	put 644 "$root/deploy/dkms.conf" "$src/dkms.conf"
	put 755 "$root/deploy/dkms-prebuild.sh" "$src/deploy/dkms-prebuild.sh"
fi

printf 'installed %s\n' "${installed[@]/#/$DESTDIR}"
if [ -z "$DESTDIR" ]; then
	echo "next: systemctl daemon-reload; edit $SYSCONFDIR/rdmaip.conf; systemctl enable --now rdmaip"
	if [ $dkms = 1 ]; then
		echo "      dkms add rdmaip/$version && dkms install rdmaip/$version"
	fi
fi
