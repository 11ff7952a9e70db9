#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmctl-tests.sh - in the guest: each fault the host agent injects really
# happens, as the guest sees it.  A USB device leaves /sys/bus/usb/devices
# and comes back; the xHCI's PCI function and its buses go and come back;
# the guest really suspends (suspend_stats, the kernel log) and resumes,
# to S3 woken by QMP and to idle woken through ttyS1.  vmctl's own errors and
# timeout are checked too.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
# the sysfs name of the USB device whose product is $1, or nothing
usb_dev() {
	grep -lx "$1" /sys/bus/usb/devices/*/product 2>/dev/null | head -1 | xargs -r dirname | xargs -r basename
}
has_usb() { [ -n "$(usb_dev "$1")" ]; }
no_usb() { [ -z "$(usb_dev "$1")" ]; }
# the PCI function of the qemu-xhci (1b36:000d)
xhci_fn() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x000d ] && basename $d
	done
}
has_xhci() { [ -n "$(xhci_fn)" ] && [ -e /sys/bus/usb/devices/usb1 ]; }
no_xhci() { [ -z "$(xhci_fn)" ] && [ ! -e /sys/bus/usb/devices/usb1 ]; }

# --- the channel itself --------------------------------------------------------
[ "$(vmctl ping)" = pong ] && ok "ping" || bad "ping"
msg=$(vmctl unplug-usb nosuch 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$msg" | grep -q "no usb device 'nosuch'" && ok "unknown device: refused, and why" ||
	bad "unknown device ($rc: $msg)"
vmctl frobnicate 2>/dev/null; [ $? -eq 2 ] && ok "unknown command: usage (2)" || bad "unknown command"
msg=$(vmctl --timeout 1 delay 3 2>&1); rc=$?
[ $rc -eq 124 ] && echo "$msg" | grep -q 'no answer from the host agent' && ok "timeout: 124, and why" ||
	bad "timeout ($rc: $msg)"
# the late answer to the timed-out request must not be taken for this one's
sleep 3
[ "$(vmctl ping)" = pong ] && ok "stale answer skipped" || bad "stale answer skipped"
# a request without an answer is sent again, and the agent does it once:
# three copies of "delay 2" would keep it busy for 6 s
t0=$(date +%s)
msg=$(VMCTL_RESEND=1 vmctl delay 2 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$msg" | grep -q 'sending it again' && echo "$msg" | grep -q 'delayed 2 s' &&
	ok "resent request answered" || bad "resent request ($rc: $msg)"
[ "$(vmctl ping)" = pong ] && [ $(($(date +%s) - t0)) -le 4 ] &&
	ok "resent request done once" || bad "resent request done once ($(($(date +%s) - t0)) s)"

# --- USB device unplug and replug ----------------------------------------------
# (a slow debug kernel may still be enumerating it)
wait_for 60 has_usb "QEMU USB Tablet" && ok "tablet present" || bad "tablet present"
name=$(usb_dev "QEMU USB Tablet")
vmctl unplug-usb tablet >/dev/null && wait_for 10 no_usb "QEMU USB Tablet" &&
	ok "unplug-usb: $name gone from /sys/bus/usb/devices" || bad "unplug-usb tablet"
has_usb "QEMU USB Audio" && ok "unplug-usb: the other device stays" || bad "unplug-usb: audio went too"
vmctl replug-usb tablet >/dev/null && wait_for 20 has_usb "QEMU USB Tablet" &&
	[ "$(usb_dev "QEMU USB Tablet")" = "$name" ] &&
	ok "replug-usb: back as $name" || bad "replug-usb tablet ($(usb_dev "QEMU USB Tablet"))"
vmctl replug-usb tablet >/dev/null 2>&1 && bad "replug of a present device refused" ||
	ok "replug of a present device refused"

# --- xHCI hot-unplug and replug --------------------------------------------------
fn=$(xhci_fn)
[ -n "$fn" ] && has_xhci && ok "xhci at $fn with bus 1" || bad "xhci present"
vmctl unplug-xhci >/dev/null && wait_for 20 no_xhci && no_usb "QEMU USB Audio" &&
	ok "unplug-xhci: $fn, usb1 and its devices gone" || bad "unplug-xhci"
[ -e /sys/bus/usb/devices/usb3 ] && ok "unplug-xhci: the other controller stays" || bad "unplug-xhci: usb3 went"
vmctl replug-xhci >/dev/null && wait_for 60 has_xhci && wait_for 30 has_usb "QEMU USB Audio" &&
	wait_for 30 has_usb "QEMU USB Tablet" && [ "$(xhci_fn)" = "$fn" ] &&
	ok "replug-xhci: $fn, bus 1, audio and tablet back" || bad "replug-xhci ($(xhci_fn))"
for i in 1 2; do
	vmctl unplug-xhci >/dev/null && wait_for 20 no_xhci && vmctl replug-xhci >/dev/null &&
		wait_for 60 has_xhci && wait_for 30 has_usb "QEMU USB Tablet" ||
		{ bad "unplug/replug-xhci cycle $i"; break; }
done
[ "$i" = 2 ] && has_xhci && ok "unplug/replug-xhci twice more" || true

# --- suspend and resume --------------------------------------------------------
s0=$(cat /sys/power/suspend_stats/success)
dmesg -c >/dev/null
msg=$(vmctl suspend 2 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$msg" | grep -q 'woken by system_wakeup' && ok "suspend (S3): $msg" ||
	bad "suspend (S3) ($rc: $msg)"
[ "$(cat /sys/power/suspend_stats/success)" -eq $((s0 + 1)) ] && ok "suspend (S3): suspend_stats +1" ||
	bad "suspend (S3): suspend_stats"
dmesg | grep -q 'PM: suspend entry (deep)' && dmesg | grep -q 'PM: suspend exit' &&
	ok "suspend (S3): kernel log has entry (deep) and exit" || bad "suspend (S3): kernel log"
wait_for 30 has_usb "QEMU USB Tablet" && has_xhci && ok "suspend (S3): devices back" ||
	bad "suspend (S3): devices back"

dmesg -c >/dev/null
msg=$(vmctl suspend --freeze 2 2>&1); rc=$?
[ $rc -eq 0 ] && ok "suspend --freeze: $msg" || bad "suspend --freeze ($rc: $msg)"
dmesg | grep -q 'PM: suspend entry (s2idle)' && dmesg | grep -q 'PM: suspend exit' &&
	ok "suspend --freeze: kernel log has entry (s2idle) and exit" || bad "suspend --freeze: kernel log"

# pm_test: devices are suspended and resumed, the machine is not
if [ -w /sys/power/pm_test ]; then
	echo devices >/sys/power/pm_test
	msg=$(vmctl suspend 2 2>&1); rc=$?
	echo none >/sys/power/pm_test
	[ $rc -eq 0 ] && echo "$msg" | grep -q 'pm_test devices' && ok "suspend with pm_test=devices: $msg" ||
		bad "suspend with pm_test=devices ($rc: $msg)"
	# the agent must have dropped that arm: a real suspend still works
	msg=$(vmctl suspend 1 2>&1); rc=$?
	[ $rc -eq 0 ] && echo "$msg" | grep -q 'woken by system_wakeup' && ok "S3 again after pm_test" ||
		bad "S3 again after pm_test ($rc: $msg)"
fi
has_usb "QEMU USB Tablet" && has_usb "QEMU USB Audio" && ok "all devices present at the end" ||
	bad "all devices present at the end"

echo "vmctl-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
