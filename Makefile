# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# sroce top-level build.
#
#   make deps            install everything needed from Debian's archive (root)
#   make [KVER=...]      build the module for one kernel, the provider, the
#                        benchmark tools (build/bin/sr_*)
#   make demo            boot a VM, create sroce0 on lo, show ibv_devinfo
#   make check           host unit tests + VM tests on Debian 6.1 and 6.12
#   make bench           benchmark report (VM): Documentation/benchmarks.md
#   make bench-quick     the same, short (CI), into build/bench
#   make bench-odp       the ODP measurements alone: Documentation/benchmarks-odp.md
#   make install         install module (depmod) and provider on this host
#   make clean

# Kernel releases we build and test for: the newest installed headers of
# each Debian series (make deps installs them).
newest = $(lastword $(sort $(patsubst /usr/src/linux-headers-%,%,\
	$(wildcard /usr/src/linux-headers-$(1)))))
KVER_61 := $(call newest,6.1.0-*-amd64)
KVER_612 := $(call newest,6.12.*+deb12-amd64)
KVERS := $(strip $(KVER_61) $(KVER_612))

# Default: the running kernel if its headers are there, else Debian 6.1.
ifneq ($(wildcard /usr/src/linux-headers-$(shell uname -r)),)
KVER ?= $(shell uname -r)
else
KVER ?= $(KVER_61)
endif

BUILD := $(CURDIR)/build

all: module lib testprogs perftest

module:
	@test -n "$(KVER)" || { echo "sroce: no kernel headers installed; run 'make deps'" >&2; exit 1; }
	$(MAKE) -C driver KVER=$(KVER) OUT=$(BUILD)/$(KVER)

modules-all:
	@test -n "$(KVERS)" || { echo "sroce: no kernel headers installed; run 'make deps'" >&2; exit 1; }
	@for k in $(KVERS); do \
		$(MAKE) -C driver KVER=$$k OUT=$(BUILD)/$$k && \
		$(MAKE) -C tests/kmod KVER=$$k OUT=$(BUILD)/$$k || exit 1; \
	done

lib:
	$(MAKE) -C lib O=$(BUILD)/lib

testprogs:
	$(MAKE) -C tests/progs OUT=$(BUILD)/tests

perftest:
	$(MAKE) -C perftest OUT=$(BUILD)/bin

bench: modules-all lib perftest
	./perftest/bench/run --kernel 6.1

bench-quick: modules-all lib perftest
	./perftest/bench/run --kernel 6.1 --quick --out $(BUILD)/bench

bench-odp: modules-all lib perftest
	./perftest/bench/run --kernel 6.1 --odp

deps:
	./tests/vm/install-deps

demo: modules-all lib
	./tests/vm/demo

check: modules-all lib testprogs perftest
	@./tests/check $(KVERS)

install: module lib testprogs perftest
	install -D -m 0644 $(BUILD)/$(KVER)/sroce.ko \
		$(DESTDIR)/lib/modules/$(KVER)/updates/sroce.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)
	$(MAKE) -C lib O=$(BUILD)/lib install

clean:
	rm -rf $(BUILD)

.PHONY: all module modules-all lib testprogs perftest bench bench-quick bench-odp deps demo check \
	install clean
