# SPDX-License-Identifier: GPL-2.0
#
# rdmaip top-level Makefile.
#
#   make                 build rdmaip.ko (against KDIR; default: the lab kernel,
#                        built and cached on first use by kernel/build.sh)
#   make install         for a server: builds rdmaip.ko against the running
#                        kernel (or KDIR), installs it with depmod, then
#                        rdmaipctl, man pages, the systemd unit, the example
#                        configuration and completion (deploy/install.sh);
#                        DESTDIR stages, PREFIX (default /usr); installs
#                        nothing the lab needs (see Documentation/deploying.rst)
#   make lab-install     install into the lab kernel's module staging tree,
#                        which the lab VMs mount as /lib/modules, with the
#                        test modules (RDMAIP_SELFTESTS=1: selftests/cmtest)
#                        and the lab's patched soft-RoCE (kernel/lab-rxe.sh)
#   make check           the whole test suite (installs what it needs)
#   make soak            the consumer and failover tests, SOAK_RUNS times each
#                        (default 10) with long counts, and their pass rates;
#                        SOAK_TESTS="rds nvmeof ..." chooses the tests
#   make demo            build everything, run the failover demo in the lab
#   make bench           benchmarks: failover (rdmaip against Linux bonding),
#                        the same for a gray path (probing vs ARP monitor),
#                        probing's cost (16 members x 8 targets),
#                        RDS and NVMe-oF stalls (no rdmaip, rdmaip, bonding),
#                        then how failover grows (1-1000 addresses, 10-10000 ids)
#   make clean

RUSTC_KERNEL ?= /usr/bin/rustc
# RDMAIP_LAB_KASAN=1: the lab kernel's KASAN flavour, built with clang-16
# (tools/lib.sh); modules built against it need the same compiler.
ifeq ($(RDMAIP_LAB_KASAN),1)
export LLVM := -16
endif
SHELL := /bin/bash
# KDIR may be given; otherwise the lab kernel is built (or found in the cache).
KDIR_CMD = $(if $(KDIR),echo $(KDIR),bash kernel/build.sh)
BINDGEN_CMD = source tools/lib.sh && echo $$BINDGEN
KMAKE = $(MAKE) -C "$$kdir" M=$(CURDIR) RUSTC=$(RUSTC_KERNEL) BINDGEN="$$bindgen"

.PHONY: all modules deps install modules-install lab-install check soak demo bench clean

all: modules

deps:
	bash tools/install-deps.sh

modules: deps
	@kdir=$$($(KDIR_CMD)) && bindgen=$$($(BINDGEN_CMD)) && $(KMAKE) modules

# The server install: no lab packages, no lab kernel. KDIR defaults to the
# running kernel's build tree (linux-headers with CONFIG_RUST=y and its
# Rust toolchain; see deploy/dkms-prebuild.sh for the checks).
PREFIX ?= /usr
SERVER_KDIR = $(or $(KDIR),/lib/modules/$(shell uname -r)/build)
install:
	@kdir=$(SERVER_KDIR) && bindgen=$${BINDGEN:-$$($(BINDGEN_CMD))} && \
	  { [ -x "$$bindgen" ] || bindgen=$$(command -v bindgen); } && $(KMAKE) modules && \
	  $(KMAKE) modules_install $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR))
	bash deploy/install.sh DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)"

# Modules only, into KDIR's module tree (INSTALL_MOD_PATH honoured).
modules-install: modules
	@kdir=$$($(KDIR_CMD)) && bindgen=$$($(BINDGEN_CMD)) && $(KMAKE) modules_install

lab-install: export RDMAIP_SELFTESTS := 1
lab-install: modules
	@source tools/lib.sh && lab_kernel_paths && \
	  $(MAKE) modules-install KDIR="$$KDIR" INSTALL_MOD_PATH="$$KMODS" INSTALL_MOD_DIR=extra
	bash kernel/lab-rxe.sh

check: deps
	bash selftests/run.sh

SOAK_RUNS ?= 10
soak: deps
	bash selftests/soak.sh $(SOAK_RUNS) $(SOAK_TESTS)

demo: deps
	bash tools/demo.sh

bench: lab-install
	cargo build --quiet -p rdmaipctl
	python3 tools/bench/failover.py
	python3 tools/bench/failover.py --cut gray
	python3 tools/bench/probe_cost.py
	python3 tools/bench/consumers.py
	python3 tools/bench/multipath.py
	python3 tools/bench/scale.py

clean:
	@if [ -n "$(KDIR)" ] || ls $${RDMAIP_CACHE:-$$HOME/.cache/rdmaip}/kernel-*/built.stamp >/dev/null 2>&1; then \
	  kdir=$$($(KDIR_CMD)) && $(MAKE) -C "$$kdir" M=$(CURDIR) clean; fi
	rm -f rdmaip/bindings_generated.rs rdmaip/.bindings_generated.rs.cmd
	rm -f selftests/cmtest/bindings_generated.rs selftests/cmtest/.bindings_generated.rs.cmd
	cargo clean
