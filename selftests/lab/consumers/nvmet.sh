#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# NVMe-oF target for the lab's consumer tests (runs in a guest).
#
#   nvmet.sh up NQN TRADDR[,TRADDR...] [SIZE_MB]
#                          null_blk (memory backed) namespace, an RDMA
#                          port on each TRADDR:4420 (nvmet ports 1, 2...:
#                          one subsystem reached through several
#                          addresses, for the host's NVMe multipath)
#   nvmet.sh down NQN      remove everything again
set -e
cfg=/sys/kernel/config
nqn=$2
subsys=$cfg/nvmet/subsystems/$nqn
nullb=$cfg/nullb/nullb0
case "$1" in
up)
	traddr=$3
	size=${4:-64}
	modprobe null_blk nr_devices=0
	modprobe nvmet
	modprobe nvmet-rdma
	mkdir $nullb
	echo 4096 > $nullb/blocksize
	echo "$size" > $nullb/size
	echo 1 > $nullb/memory_backed
	echo 1 > $nullb/power
	for _ in $(seq 50); do [ -b /dev/nullb0 ] && break; sleep 0.1; done
	mkdir $subsys
	echo 1 > $subsys/attr_allow_any_host
	mkdir $subsys/namespaces/1
	echo /dev/nullb0 > $subsys/namespaces/1/device_path
	echo 1 > $subsys/namespaces/1/enable
	id=0
	for addr in ${traddr//,/ }; do
		id=$((id + 1))
		port=$cfg/nvmet/ports/$id
		mkdir $port
		echo rdma > $port/addr_trtype
		echo ipv4 > $port/addr_adrfam
		echo "$addr" > $port/addr_traddr
		echo 4420 > $port/addr_trsvcid
		ln -s $subsys $port/subsystems/$nqn
	done
	;;
down)
	for port in $cfg/nvmet/ports/*; do
		[ -d "$port" ] || continue
		rm -f $port/subsystems/$nqn
		rmdir $port
	done
	echo 0 > $subsys/namespaces/1/enable
	rmdir $subsys/namespaces/1
	rmdir $subsys
	echo 0 > $nullb/power
	rmdir $nullb
	;;
*)
	echo "usage: $0 up NQN TRADDR[,TRADDR...] [SIZE_MB] | down NQN" >&2
	exit 2
	;;
esac
