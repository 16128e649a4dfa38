# SPDX-License-Identifier: GPL-2.0
# bash completion for rdmaipctl(8); installed as
# /usr/share/bash-completion/completions/rdmaipctl.

# The names of the running groups, or ports ("port show" lists every RDMA
# port the module sees).
_rdmaipctl_names()
{
	"${1:-rdmaipctl}" "$2" show 2>/dev/null | awk -v kind="$2" '$1 == kind { print $2 }'
}

# What a port may be named: DEVICE/PORT, and the netdevs that exactly one
# RDMA port has ("port show" prints each port's ifname).
_rdmaipctl_ports()
{
	"${1:-rdmaipctl}" port show 2>/dev/null | awk '
		$1 == "port" {
			print $2
			for (i = 3; i < NF; i++)
				if ($i == "ifname")
					n[$(i + 1)]++
		}
		END { for (d in n) if (n[d] == 1) print d }'
}

_rdmaipctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n / || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local prog=${words[0]}
	local objects="group port addr probe module monitor config help"
	local settings="failback failback-delay hold-down-max announce-count announce-interval probe-targets probe-interval probe-misses probe-successes"

	# Options, and -batch FILE, before the object.
	local i=1 object="" verb="" force=""
	while [ $i -lt $cword ]; do
		case ${words[i]} in
		-b | -batch | --batch)
			if [ $((i + 1)) -eq $cword ]; then
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -- "$cur"))
				return
			fi
			return ;;
		-*) ;;
		*) object=${words[i]}; break ;;
		esac
		i=$((i + 1))
	done
	if [ -z "$object" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-json -pretty -details -force -batch -Version -help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$objects" -- "$cur"))
		fi
		return
	fi
	# The object as rdmaipctl reads it: the first in this order it starts.
	local o
	for o in $objects; do
		if [[ $o == "$object"* ]]; then object=$o; break; fi
	done
	local verbs
	case $object in
	group) verbs="show list add del set delete help" ;;
	port) verbs="show list add del drain undrain delete help" ;;
	addr) verbs="show list help" ;;
	probe) verbs="show list help" ;;
	module) verbs="show list set help" ;;
	config) verbs="show list apply diff help" ;;
	monitor) verbs="help" ;;
	*) return ;;
	esac
	i=$((i + 1))
	if [ $i -eq $cword ]; then
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		return
	fi
	verb=${words[i]}
	local v
	for v in $verbs; do
		if [[ $v == "$verb"* ]]; then verb=$v; break; fi
	done
	case $verb in list) verb=show ;; delete) verb=del ;; esac

	case $prev in
	failback | peer-notify)
		COMPREPLY=($(compgen -W "on off" -- "$cur"))
		return ;;
	failback-delay | hold-down-max | announce-interval | announce-count | \
		probe-interval | probe-misses | probe-successes)
		return ;;
	probe-targets)
		# Addresses, separated by commas; or none.
		COMPREPLY=($(compgen -W "none" -- "$cur"))
		return ;;
	group)
		COMPREPLY=($(compgen -W "$(_rdmaipctl_names "$prog" group)" -- "$cur"))
		return ;;
	port)
		if [ "$object" = group ]; then
			COMPREPLY=($(compgen -W "$(_rdmaipctl_ports "$prog")" -- "$cur"))
			return
		fi ;;
	esac

	case $object/$verb in
	group/add)
		[ $((i + 1)) -lt $cword ] && COMPREPLY=($(compgen -W "$settings" -- "$cur")) ;;
	group/set)
		if [ $((i + 1)) -eq $cword ]; then
			COMPREPLY=($(compgen -W "$(_rdmaipctl_names "$prog" group)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$settings port" -- "$cur"))
		fi ;;
	group/del | group/show)
		[ $((i + 1)) -eq $cword ] &&
			COMPREPLY=($(compgen -W "$(_rdmaipctl_names "$prog" group)" -- "$cur")) ;;
	port/add | port/del)
		COMPREPLY=($(compgen -W "$(_rdmaipctl_ports "$prog") group" -- "$cur")) ;;
	port/show)
		[ $((i + 1)) -eq $cword ] &&
			COMPREPLY=($(compgen -W "$(_rdmaipctl_ports "$prog") group" -- "$cur")) ;;
	port/drain | port/undrain)
		[ $((i + 1)) -eq $cword ] &&
			COMPREPLY=($(compgen -W "$(_rdmaipctl_ports "$prog")" -- "$cur")) ;;
	addr/show | probe/show)
		COMPREPLY=($(compgen -W "group" -- "$cur")) ;;
	module/set)
		COMPREPLY=($(compgen -W "peer-notify" -- "$cur")) ;;
	config/apply | config/diff)
		if [ $((i + 1)) -eq $cword ]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	esac
} &&
	complete -F _rdmaipctl rdmaipctl
