# SPDX-License-Identifier: GPL-2.0
#
# Shared by the Kbuild files of rdmaip's out-of-tree Rust modules (rdmaip.ko
# and the selftest modules): 6.12's `kernel::bindings` lacks most of the C
# APIs they use, so each module runs bindgen over its own header, with the
# flags rust/Makefile uses. A Kbuild sets the bindgen parameters (what to
# allowlist, keyed by the output file name) as `bindgen-params-<file>.rs` and
# generates it with `$(call if_changed_dep,module_bindgen)`.

# GCC-only flags libclang does not understand (as rust/Makefile's list).
module_bindgen_skip_c_flags := -mno-fp-ret-in-387 -mpreferred-stack-boundary=% \
	-mskip-rax-setup -mgeneral-regs-only -msign-return-address=% \
	-mindirect-branch=thunk-extern -mindirect-branch-register \
	-mfunction-return=thunk-extern -mrecord-mcount -mabi=lp64 \
	-mindirect-branch-cs-prefix -mstack-protector-guard% -mtraceback=no \
	-mno-pointers-to-nested-functions -mno-string \
	-mno-strict-align -mstrict-align -mdirect-extern-access \
	-mexplicit-relocs -mno-check-zero-division \
	-fconserve-stack -falign-jumps=% -falign-loops=% \
	-femit-struct-debug-baseonly -fno-ipa-cp-clone -fno-ipa-sra \
	-fno-partial-inlining -fplugin-arg-arm_ssp_per_task_plugin-% \
	-fno-reorder-blocks -fno-allow-store-data-races -fasan-shadow-offset=% \
	-fzero-call-used-regs=% -fno-stack-clash-protection \
	-fno-inline-functions-called-once -fsanitize=bounds-strict \
	-fstrict-flex-arrays=% -fmin-function-alignment=% \
	-fzero-init-padding-bits=% -mno-fdpic \
	--param=% --param asan-% -fno-isolate-erroneous-paths-dereference

module_bindgen_c_flags = $(filter-out $(module_bindgen_skip_c_flags), $(c_flags)) \
	-w --target=x86_64-linux-gnu -fno-builtin -D__BINDGEN__ -DMODULE
ifdef CONFIG_INIT_STACK_ALL_ZERO
module_libclang_maj := $(shell $(BINDGEN) $(srctree)/scripts/rust_is_available_bindgen_libclang.h 2>&1 | sed -ne 's/.*clang version \([0-9]*\).*/\1/p')
ifeq ($(shell expr $(module_libclang_maj) \< 16), 1)
module_bindgen_c_flags += -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang
endif
endif

quiet_cmd_module_bindgen = BINDGEN $@
      cmd_module_bindgen = \
	$(BINDGEN) $< --rust-target 1.68 --use-core --ctypes-prefix core::ffi \
		--no-layout-tests --no-debug '.*' --no-doc-comments \
		--with-derive-default $(bindgen-params-$(@F)) \
		-o $@ -- $(module_bindgen_c_flags)

