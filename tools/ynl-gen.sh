#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerates the files derived from the netlink spec
# Documentation/netlink/specs/rdmaip.yaml with the 6.12 kernel's own YNL
# generator (tools/net/ynl/ynl-gen-c.py), after validating the spec against
# the kernel's genetlink schema:
#
#   include/uapi/linux/rdmaip.h   uapi header       (--mode uapi)
#   rdmaip/generated/nl_gen.h     kernel header     (--mode kernel --header)
#   rdmaip/generated/nl_gen.c     policies, ops     (--mode kernel --source)
#
# Usage: tools/ynl-gen.sh [--check] [KDIR]
#
#   KDIR     a 6.12 kernel source tree (default: the lab kernel's tree, as
#            found by lab_kernel_paths in tools/lib.sh); only its sources are
#            used, it need not be built
#   --check  change nothing; fail if a checked-in file differs from a fresh
#            generation (or the spec is invalid)
#
# Exit status: 0 up to date / regenerated, 1 spec invalid or files out of
# date, 2 usage, 4 no kernel tree or no Python with PyYAML and jsonschema
# (kselftest's "skip").
set -euo pipefail
. "$(dirname "$0")/lib.sh"

readonly SPEC_REL=Documentation/netlink/specs/rdmaip.yaml
readonly SKIP=4

usage() { echo "usage: $0 [--check] [KDIR]" >&2; exit 2; }

check=
kdir=
for arg in "$@"; do
	case "$arg" in
	--check) check=1 ;;
	-h | --help) usage ;;
	-*) echo "unknown option: $arg" >&2; usage ;;
	*) [ -z "$kdir" ] || usage; kdir=$arg ;;
	esac
done
# lab_kernel_paths exits when linux-source-6.12 is not installed; that is a
# missing kernel tree (skip), not a stale file (failure).
if [ -z "$kdir" ] && ! kdir=$(lab_kernel_paths && echo "$KDIR"); then
	log "no lab kernel tree (install linux-source-6.12, or pass KDIR)"
	exit $SKIP
fi

generator=$kdir/tools/net/ynl/ynl-gen-c.py
schema=$kdir/Documentation/netlink/genetlink.yaml
if [ ! -f "$generator" ] || [ ! -f "$schema" ]; then
	log "no kernel tree with tools/net/ynl at $kdir (extract it with kernel/build.sh, or pass KDIR)"
	exit $SKIP
fi

# The first python3 on PATH may be a private one without the generator's
# modules; Debian's (python3-yaml, python3-jsonschema) is the fallback.
python=
for candidate in python3 /usr/bin/python3; do
	if "$candidate" -c 'import yaml, jsonschema' 2>/dev/null; then
		python=$candidate
		break
	fi
done
if [ -z "$python" ]; then
	log "no python3 with PyYAML and jsonschema (apt-get install python3-yaml python3-jsonschema)"
	exit $SKIP
fi

# The schema check ynl-gen-c.py does as well, run first on its own so that a
# bad spec is reported as such, with the path to the offending element.
validate_spec() {
	"$python" - "$RDMAIP_ROOT/$SPEC_REL" "$schema" <<-'EOF'
	import sys
	import jsonschema
	import yaml

	spec_path, schema_path = sys.argv[1], sys.argv[2]
	with open(spec_path) as f:
	    spec = yaml.safe_load(f)
	with open(schema_path) as f:
	    schema = yaml.safe_load(f)
	try:
	    jsonschema.validate(spec, schema)
	except jsonschema.ValidationError as e:
	    where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
	    print(f"{spec_path}: {where}: {e.message}", file=sys.stderr)
	    sys.exit(1)
	EOF
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# ynl-gen-c.py names its input relative to the kernel root, which it finds
# by looking for MAINTAINERS above the spec, and reads the schema from
# ../genetlink.yaml next to the spec. Give it a miniature kernel layout so
# the generated files name the spec by its path in this repository.
mkdir -p "$stage/Documentation/netlink/specs" "$stage/out"
touch "$stage/MAINTAINERS"
cp "$schema" "$stage/Documentation/netlink/genetlink.yaml"
cp "$RDMAIP_ROOT/$SPEC_REL" "$stage/$SPEC_REL"

# output path in the repository, generator mode arguments
readonly OUTPUTS=(
	"include/uapi/linux/rdmaip.h|--mode uapi --header"
	"rdmaip/generated/nl_gen.h|--mode kernel --header"
	"rdmaip/generated/nl_gen.c|--mode kernel --source"
)

if ! validate_spec; then
	log "$SPEC_REL does not follow the genetlink schema ($schema)"
	exit 1
fi

stale=0
for entry in "${OUTPUTS[@]}"; do
	rel=${entry%%|*}
	read -r -a mode_args <<<"${entry#*|}"
	# The source includes its header by the output file's base name, so
	# generate under the final base name.
	out=$stage/out/$(basename "$rel")
	(cd "$stage" && "$python" "$generator" --spec "$SPEC_REL" "${mode_args[@]}" -o "$out") ||
		die "ynl-gen-c.py failed for $rel"
	dest=$RDMAIP_ROOT/$rel
	if cmp -s "$out" "$dest"; then
		continue
	fi
	if [ -n "$check" ]; then
		log "$rel is out of date with $SPEC_REL (run tools/ynl-gen.sh)"
		old=$dest
		[ -f "$old" ] || old=/dev/null
		diff -u "$old" "$out" >&2 || true
		stale=1
	else
		mkdir -p "$(dirname "$dest")"
		cp "$out" "$dest"
		log "generated $rel"
	fi
done

if [ -n "$check" ]; then
	if [ $stale -ne 0 ]; then
		exit 1
	fi
	log "generated files are up to date with $SPEC_REL"
fi
