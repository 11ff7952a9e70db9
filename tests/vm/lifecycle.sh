#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh - in the guest: the module cannot be unloaded while a file is
# open, unloads cleanly (with whatever the tests before tracked) once none
# is, and loads again.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

exec 3</dev/usb-timesync
if rmmod usb_timesync 2>/dev/null; then bad "unload refused while a file is open"; else ok "unload refused while a file is open"; fi
exec 3<&-
if rmmod usb_timesync; then ok "unload once closed"; else bad "unload once closed"; fi
if [ ! -e /dev/usb-timesync ]; then ok "device node gone"; else bad "device node gone"; fi
if insmod /lib/modules/usb_timesync.ko && [ -c /dev/usb-timesync ]; then ok "load again"; else bad "load again"; fi
echo "lifecycle: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
