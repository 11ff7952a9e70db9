#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usbts-tests.sh - in the guest: every usbts subcommand on the default
# hardware of tests/vm/run.  Plain output is checked here; JSON output is
# printed between "=== json NAME" and "=== end" for tests/vm/check-usbts.py
# to parse on the host.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
json() { # name cmd...
	name=$1
	shift
	echo "=== json $name"
	"$@" 2>/tmp/stderr
	echo "=== end $name rc=$?"
	cat /tmp/stderr
}

for c in list get frame-to-time monitor verify record replay; do
	usbts $c --help | grep -q "usage: usbts $c" && ok "$c --help" || bad "$c --help"
done
usbts --help | grep -q verify && ok "usbts --help" || bad "usbts --help"
usbts bogus 2>/dev/null; [ $? -eq 64 ] && ok "unknown command exits 64" || bad "unknown command exits 64"

out=$(usbts list)
echo "$out" | grep -q '^1 .*xhci_hcd.*yes' && echo "$out" | grep -q 'QEMU USB Audio' &&
	echo "$out" | grep -q 'driven by ehci-pci; only xHCI controllers are supported' &&
	ok "list" || bad "list"
json list usbts list --json

out=$(usbts get 1)
echo "$out" | grep -q '^usb_frame' && echo "$out" | grep -q '^accuracy_ns' && ok "get" || bad "get"
json get usbts get 1 --json
json get-dev usbts get 1-2 --json
json get-realtime usbts get 3 --clock realtime --json
msg=$(usbts get 5 2>&1); rc=$?
[ $rc -eq 95 ] && echo "$msg" | grep -q 'bus 5 is driven by ehci-pci; only xHCI controllers are supported' &&
	ok "get on EHCI: EOPNOTSUPP (95) and why" || bad "get on EHCI ($rc: $msg)"
usbts get 42 2>/dev/null; [ $? -eq 19 ] && ok "get on no bus: ENODEV (19)" || bad "get on no bus"
usbts get 1-99 2>/dev/null; [ $? -eq 19 ] && ok "get on no device: ENODEV (19)" || bad "get on no device"
usbts get 2>/dev/null; [ $? -eq 64 ] && ok "get without a bus: usage" || bad "get without a bus"

f=$(usbts get 1 --json | sed 's/.*"usb_frame":\([0-9]*\).*/\1/')
out=$(usbts frame-to-time 1 "$((f + 1000)).3")
echo "$out" | grep -q "^frame $((f + 1000)).3 starts at [0-9]* ns (CLOCK_MONOTONIC), accuracy [0-9]* ns" &&
	ok "frame-to-time" || bad "frame-to-time: $out"
usbts frame-to-time 1 5.8 2>/dev/null; [ $? -eq 64 ] && ok "frame-to-time rejects microframe 8" ||
	bad "frame-to-time rejects microframe 8"

n=$(usbts monitor 3 --count 3 --interval 100 | cat | wc -l)
[ "$n" -eq 4 ] && ok "monitor piped: a header and 3 lines" || bad "monitor piped: $n lines"
json monitor usbts monitor 1 --count 5 --interval 100 --json

json verify-1 usbts verify 1 --seconds 5 --json
json verify-3 usbts verify 3 --seconds 5 --json --plot /tmp/verify.svg
json verify-raw usbts verify 1 --seconds 5 --clock raw --json
out=$(usbts verify 1 --seconds 4)
echo "$out" | grep -q 'by horizon' && echo "$out" | grep -Eq '^ +3\.000 s' &&
	ok "verify: results by horizon" || bad "verify by horizon: $out"
grep -q '<svg' /tmp/verify.svg && grep -q '</svg>' /tmp/verify.svg && ok "verify --plot writes SVG" ||
	bad "verify --plot writes SVG"

usbts record 1 --seconds 2 >/tmp/trace 2>/dev/null
reads=$(grep -c '^B ' /tmp/trace)
[ "$reads" -gt 1000 ] && ok "record: $reads reads in both clocks" || bad "record: $reads reads"
first=$(grep -m1 '^B ' /tmp/trace | cut -d' ' -f6)
ans=$( (cat /tmp/trace; echo "Q $((first + 8))") | usbts replay)
echo "$ans" | grep -Eq "^$((first + 8)) [0-9]+ [0-9]+ 1$" && ok "record | replay answers" ||
	bad "record | replay: $ans"
ans=$( (cat /tmp/trace; echo "Q $((first + 8))") | usbts replay --clock raw)
echo "$ans" | grep -Eq "^$((first + 8)) [0-9]+ [0-9]+ 1$" && ok "record | replay --clock raw answers" ||
	bad "record | replay --clock raw: $ans"

# two processes on the same bus, and one on another, at once
usbts monitor 1 --count 10 --interval 100 --json >/tmp/a &
usbts monitor 3 --count 10 --interval 100 --json >/tmp/b &
usbts monitor 1 --count 10 --interval 100 --json >/tmp/c
wait
echo "=== json concurrent-a"; cat /tmp/a; echo "=== end concurrent-a rc=0"
echo "=== json concurrent-b"; cat /tmp/b; echo "=== end concurrent-b rc=0"
echo "=== json concurrent-c"; cat /tmp/c; echo "=== end concurrent-c rc=0"

# access: an unprivileged user tracks the bus of a device whose node it may
# open for writing, and nothing else
asuser() { run-as 1000 "$@"; }
audio=$(for d in /sys/bus/usb/devices/1-*; do
	[ "$(cat "$d/product" 2>/dev/null)" = "QEMU USB Audio" ] && cat "$d/devnum"; done)
node=$(printf '/dev/bus/usb/001/%03d' "$audio")
msg=$(asuser usbts get "1-$audio" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$msg" | grep -q "open $node for writing" &&
	ok "user without access to the device: EPERM (1) and why" || bad "user, no access ($rc: $msg)"
chown 1000:1000 "$node"
asuser usbts get "1-$audio" | grep -q '^accuracy_ns' && ok "user: get BUS-DEV with the device's node" ||
	bad "user: get BUS-DEV with the device's node"
msg=$(asuser usbts get 1 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$msg" | grep -q "only root or the grant may track a bare bus" &&
	ok "user: a bare bus is EPERM (1) and why" || bad "user: bare bus ($rc: $msg)"
libusb-track --user 1000 && ok "libusb: an unprivileged user tracks its device" ||
	bad "libusb: an unprivileged user tracks its device"
chown 0:0 "$node"

# last: it unplugs the usb-audio device
libusb-track && ok "libusb: track, GET, ENODEV after unplug" || bad "libusb: track, GET, ENODEV after unplug"

echo "usbts-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
