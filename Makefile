# SPDX-License-Identifier: GPL-2.0
#
# usb-timesync.  `make help` lists the targets; README.md explains them.

KERNEL_DIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
VERSION := 0.1.0
BUILD := build
CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
	       $(CFLAGS) -Idrivers -Iinclude/uapi
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# the kernel tree (for checkpatch.pl and the kselftest harness), on demand
KSRC = $(shell scripts/deps source)

LIB_CFLAGS := $(USER_CFLAGS) -Itools/lib -fPIC
LIBUSB_CFLAGS = $(shell pkg-config --cflags libusb-1.0)
LIBUSB_LIBS = $(shell pkg-config --libs libusb-1.0)
LIBS := $(BUILD)/libusbts.a $(BUILD)/libusbts.so.0 $(BUILD)/libusbts-libusb.a \
	$(BUILD)/libusbts-libusb.so.0 $(BUILD)/usbts.pc $(BUILD)/usbts-libusb.pc
PREDICTOR := drivers/predictor.c drivers/predictor.h drivers/predictor_compat.h
SIM := tests/sim/sim.c tests/sim/sim.h
KERNEL_SOURCES := Kbuild $(wildcard drivers/*.c drivers/*.h) include/uapi/linux/usb/timesync.h

.PHONY: all module tools lib install clean help deps check test-user uapi-test kunit \
	modules-all sparse checkpatch vm-bins vm-test vm-test-6.1 vm-test-6.12 vm-test-tools \
	vm-test-rt vm-test-debug vm-test-faults vm-logcheck-test debug-kernel \
	bench-predictor bench-replay demo install-udev

all: tools
	@if [ -d "$(KERNEL_DIR)" ]; then $(MAKE) module; else \
	echo "make: no kernel headers at $(KERNEL_DIR): built the tools only."; \
	echo "      Install linux-headers-$$(uname -r), or set KERNEL_DIR."; fi

help:
	@echo "make                 the tools, and the module if kernel headers are installed"
	@echo "make module          usb_timesync.ko against KERNEL_DIR ($(KERNEL_DIR))"
	@echo "make tools           $(BUILD)/usbts, $(BUILD)/usbts-demo and libusbts"
	@echo "make install         libusbts, headers, pkg-config files and usbts under PREFIX"
	@echo "make demo            boot a VM and show a live table of every xHCI bus"
	@echo "make check           the whole test suite (what CI runs)"
	@echo "make kunit           KUnit suites on UML (kunit.py)"
	@echo "make vm-test         conformance suite in QEMU on Debian 6.1 and 6.12"
	@echo "make vm-test-rt      conformance suite on Debian's linux-image-rt-amd64"
	@echo "make vm-test-debug   conformance suite and injected faults on the debug kernel"
	@echo "                     (KASAN, lockdep, kmemleak, PREEMPT_RT; built once, cached)"
	@echo "make vm-test-faults  the fault agent's unplug, xHCI removal and suspend on 6.1"
	@echo "make debug-kernel    build the debug kernel into the cache"
	@echo "make test-user       userspace tests (sanitizers), replay, uAPI header"
	@echo "make modules-all     W=1 builds against Debian 6.1 and 6.12, warnings fatal"
	@echo "make sparse          sparse (C=2) over the module"
	@echo "make checkpatch      checkpatch.pl --strict over the kernel sources"
	@echo "make bench-predictor predictor benchmark, updates tests/bench/RESULTS.md"
	@echo "make bench-replay    usbts replay throughput"
	@echo "make install-udev    give group plugdev access to /dev/usb-timesync"

deps:
	scripts/deps host

module:
	$(MAKE) -C $(KERNEL_DIR) M=$(CURDIR) modules

# ---- userspace ---------------------------------------------------------------

tools: $(BUILD)/usbts $(BUILD)/usbts-demo lib

lib: $(LIBS)

$(BUILD)/lib/usbts.o: tools/lib/usbts.c tools/lib/usbts.h include/uapi/linux/usb/timesync.h
	@mkdir -p $(BUILD)/lib
	$(CC) $(LIB_CFLAGS) -c -o $@ tools/lib/usbts.c

$(BUILD)/lib/usbts-libusb.o: tools/lib/usbts-libusb.c tools/lib/usbts-libusb.h tools/lib/usbts.h
	@mkdir -p $(BUILD)/lib
	$(CC) $(LIB_CFLAGS) $(LIBUSB_CFLAGS) -c -o $@ tools/lib/usbts-libusb.c

$(BUILD)/libusbts.a: $(BUILD)/lib/usbts.o
	$(AR) rcs $@ $^

$(BUILD)/libusbts-libusb.a: $(BUILD)/lib/usbts-libusb.o
	$(AR) rcs $@ $^

$(BUILD)/libusbts.so.0: $(BUILD)/lib/usbts.o
	$(CC) -shared -Wl,-soname,libusbts.so.0 -o $@ $^
	ln -sf libusbts.so.0 $(BUILD)/libusbts.so

$(BUILD)/libusbts-libusb.so.0: $(BUILD)/lib/usbts-libusb.o $(BUILD)/libusbts.so.0
	$(CC) -shared -Wl,-soname,libusbts-libusb.so.0 -o $@ $(BUILD)/lib/usbts-libusb.o \
		-L$(BUILD) -lusbts $(LIBUSB_LIBS)
	ln -sf libusbts-libusb.so.0 $(BUILD)/libusbts-libusb.so

$(BUILD)/%.pc: tools/lib/%.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

$(BUILD)/usbts: $(PREDICTOR) $(wildcard tools/usbts/*.c tools/usbts/*.h) $(BUILD)/libusbts.a
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -Itools/lib -o $@ drivers/predictor.c tools/usbts/*.c $(BUILD)/libusbts.a -lm

install: tools
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 0644 tools/lib/usbts.h tools/lib/usbts-libusb.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(BUILD)/libusbts.a $(BUILD)/libusbts-libusb.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/libusbts.so.0 $(BUILD)/libusbts-libusb.so.0 $(DESTDIR)$(PREFIX)/lib/
	ln -sf libusbts.so.0 $(DESTDIR)$(PREFIX)/lib/libusbts.so
	ln -sf libusbts-libusb.so.0 $(DESTDIR)$(PREFIX)/lib/libusbts-libusb.so
	install -m 0644 $(BUILD)/usbts.pc $(BUILD)/usbts-libusb.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0755 $(BUILD)/usbts $(DESTDIR)$(PREFIX)/bin/

$(BUILD)/test_libusbts: tools/lib/usbts.c tools/lib/usbts.h tests/lib/test_libusbts.c tests/lib/fake_device.h
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -Itools/lib -O1 $(SAN) -o $@ tools/lib/usbts.c tests/lib/test_libusbts.c -lpthread

$(BUILD)/test_threads: tools/lib/usbts.c tools/lib/usbts.h tests/lib/test_threads.c tests/lib/fake_device.h
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -Itools/lib -O1 -fsanitize=thread -o $@ tools/lib/usbts.c tests/lib/test_threads.c -lpthread

$(BUILD)/usbts-demo: tools/usbts-demo.c include/uapi/linux/usb/timesync.h
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -o $@ tools/usbts-demo.c

$(BUILD)/test_predictor: $(PREDICTOR) tests/predictor/test_predictor.c tests/predictor/vectors.h
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -O1 $(SAN) -o $@ drivers/predictor.c tests/predictor/test_predictor.c

$(BUILD)/bench_predictor: $(PREDICTOR) $(SIM) tests/bench/bench_predictor.c
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -O2 -o $@ drivers/predictor.c tests/sim/sim.c tests/bench/bench_predictor.c -lm

$(BUILD)/simtrace: $(SIM) tests/sim/simtrace.c
	@mkdir -p $(BUILD)
	$(CC) $(USER_CFLAGS) -o $@ tests/sim/simtrace.c tests/sim/sim.c -lm

uapi-test:
	@mkdir -p $(BUILD)/uapi
	$(CC) -std=c90 -pedantic-errors -Wall -Werror -Iinclude/uapi -m64 -o $(BUILD)/uapi/c90-64 tests/uapi/header_test.c
	$(CC) -std=c90 -pedantic-errors -Wall -Werror -Iinclude/uapi -m32 -o $(BUILD)/uapi/c90-32 tests/uapi/header_test.c
	$(CC) -std=c11 -Wall -Wextra -Werror -Iinclude/uapi -m64 -o $(BUILD)/uapi/c11-64 tests/uapi/header_test.c
	$(CC) -std=c11 -Wall -Wextra -Werror -Iinclude/uapi -m32 -o $(BUILD)/uapi/c11-32 tests/uapi/header_test.c
	c++ -std=c++11 -x c++ -Wall -Wextra -Werror -Iinclude/uapi -m64 -o $(BUILD)/uapi/cxx-64 tests/uapi/header_test.c
	c++ -std=c++11 -x c++ -Wall -Wextra -Werror -Iinclude/uapi -m32 -o $(BUILD)/uapi/cxx-32 tests/uapi/header_test.c
	@echo "uapi-test: the header builds as C90, C11 and C++, 32- and 64-bit, with one layout"

test-user: $(BUILD)/test_predictor $(BUILD)/test_libusbts $(BUILD)/test_threads \
	   $(BUILD)/usbts $(BUILD)/simtrace lib uapi-test
	$(BUILD)/test_predictor
	$(BUILD)/test_libusbts
	$(BUILD)/test_threads
	tests/replay/run $(BUILD)/usbts $(BUILD)/simtrace

bench-predictor: $(BUILD)/bench_predictor
	scripts/bench-results predictor $(BUILD)/bench_predictor

bench-replay: $(BUILD)/usbts $(BUILD)/simtrace
	scripts/bench-results replay $(BUILD)/usbts $(BUILD)/simtrace

# ---- kernel ------------------------------------------------------------------

kunit:
	tests/kunit/run

modules-all:
	scripts/build-module 6.1 --warnings-fatal
	scripts/build-module 6.12 --warnings-fatal

sparse:
	scripts/build-module 6.1 >/dev/null
	@out=$$(make -s -C $$(scripts/deps kdir 6.1) M=$(CURDIR)/$(BUILD)/kmod/6.1 C=2 CHECK=sparse modules 2>&1 | \
		grep -E 'warning|error' | grep -v '^make'); \
	if [ -n "$$out" ]; then echo "$$out"; echo "sparse: warnings"; exit 1; fi; \
	echo "sparse: clean"

checkpatch:
	@perl $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse --quiet \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $(KERNEL_SOURCES) \
		tests/kunit/*.c tests/predictor/vectors.h && echo "checkpatch: clean"

# ---- the VM tier -------------------------------------------------------------

$(BUILD)/vm/libusb-track: tests/vm/libusb-track.c $(BUILD)/libusbts.a $(BUILD)/libusbts-libusb.a
	@mkdir -p $(BUILD)/vm
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -Itools/lib -Iinclude/uapi $(LIBUSB_CFLAGS) -o $@ \
		tests/vm/libusb-track.c $(BUILD)/libusbts-libusb.a $(BUILD)/libusbts.a $(LIBUSB_LIBS)

vm-bins: $(BUILD)/usbts $(BUILD)/usbts-demo $(BUILD)/vm/libusb-track
	@mkdir -p $(BUILD)/vm
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror \
		-Iinclude/uapi -I$(KSRC)/tools/testing/selftests \
		-o $(BUILD)/vm/usbts-conformance tests/vm/conformance.c
	cp $(BUILD)/usbts $(BUILD)/usbts-demo tests/vm/lifecycle.sh tests/vm/usbts-tests.sh \
		tests/vm/vmctl-tests.sh $(BUILD)/vm/

vm-test: vm-test-6.1 vm-test-6.12 vm-test-rt vm-test-tools

# every usbts subcommand in the guest; its JSON is checked on the host
vm-test-tools: vm-bins
	tests/vm/run -- usbts-tests.sh >$(BUILD)/vm-tools.log 2>&1; rc=$$?; \
	sed -n '/usbts-vm: running/,/usbts-vm: exit/p' $(BUILD)/vm-tools.log | grep -v '^=== json\|^{\|^=== end'; \
	python3 tests/vm/check-usbts.py $(BUILD)/vm-tools.log && exit $$rc

vm-test-6.1 vm-test-6.12 vm-test-rt: vm-test-%: vm-bins
	tests/vm/run --kernel $* -- sh -c 'usbts-conformance && lifecycle.sh'

# tests/vm/run's splat detection, on canned logs of every report class
vm-logcheck-test:
	tests/vm/logcheck-selftest

debug-kernel:
	scripts/debug-kernel

# one boot of the debug kernel: every fault the agent injects (first: the
# conformance suite leaves a port disabled), then the conformance suite
vm-test-debug: vm-bins vm-logcheck-test
	tests/vm/run --kernel debug -- sh -c 'vmctl-tests.sh && usbts-conformance && lifecycle.sh'

vm-test-faults: vm-bins
	tests/vm/run -- vmctl-tests.sh

demo: deps vm-bins
	tests/vm/run -- usbts-demo 10 | sed -n '/usbts-vm: running/,/usbts-vm: exit/p'

install-udev:
	install -m 0644 udev/99-usb-timesync.rules /etc/udev/rules.d/
	udevadm control --reload && udevadm trigger --name-match=usb-timesync || true

# ---- everything --------------------------------------------------------------

check:
	scripts/check

clean:
	rm -rf $(BUILD)
	-[ -d "$(KERNEL_DIR)" ] && $(MAKE) -C $(KERNEL_DIR) M=$(CURDIR) clean
