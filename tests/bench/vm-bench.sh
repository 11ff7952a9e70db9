#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vm-bench.sh full|quick - in the guest: every usbts-bench measurement in
# order, for tests/bench/run-bench.  "quick" only proves the harness works.
mode=${1:-quick}
case "$mode" in
full)
	get="--calls 2000 --min-rounds 5 --max-rounds 30 --spread 0.05"
	scale="--ms 500 --min-rounds 5 --max-rounds 30 --spread 0.05"
	start="--cycles 200 --runs 3"
	power="--warmup-max 480 --window 180 --idle 60 --progress 15"
	# a need looser than the longest interval grows to it at a quarter a
	# burst (about 70 s), then holds for four: 120 s was too short
	want="--warmup-max 240 --window 90 --idle 0 --progress 15"
	mem="--handles 10000"
	trace="--cycles 50"
	;;
quick)
	get="--calls 200 --min-rounds 2 --max-rounds 2"
	scale="--ms 200 --min-rounds 1 --max-rounds 1"
	start="--cycles 20 --runs 1"
	power="--warmup-max 2 --window 3 --idle 2 --progress 2"
	want="--warmup-max 2 --window 2 --idle 0 --progress 2"
	mem="--handles 1000"
	trace="--cycles 5"
	;;
-h | --help)
	echo "usage: vm-bench.sh full|quick   (in the guest; see tests/bench/run-bench)"
	exit 0
	;;
*)
	echo "usage: vm-bench.sh full|quick" >&2
	exit 64
	;;
esac
echo "BENCH guest kernel=$(uname -r) cpus=$(nproc) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# a third serial port, if the host gave one (run-bench does), carries
# progress live: the console is only read once the guest has powered off,
# and ttyS1 is vmctl's line to the host agent, which took these lines for
# commands
live=/dev/null
[ -c /dev/ttyS2 ] && stty -F /dev/ttyS2 raw 2>/dev/null && live=/dev/ttyS2
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
rc=0
# "hpet get ...": GET again on the hpet clocksource, QEMU's default when the
# guest's TSC check fails (each clock read an emulated MMIO access), its
# lines tagged get_hpet; then back to the clocksource the guest booted with
for step in "get $get" "hpet get $get" "scale $scale" "start $start" "power $power" \
	"power $want --want 50000" "power $want --want 5000" "mem $mem" "trace-start $trace"; do
	echo "=== bench: usbts-bench $step" | tee -a $live
	tag=
	was=$(cat $cs)
	case "$step" in
	hpet\ *)
		tag=hpet
		step=${step#hpet }
		;;
	esac
	# shellcheck disable=SC2086
	{
		if [ -n "$tag" ] && ! { echo $tag >$cs && [ "$(cat $cs)" = $tag ]; }; then
			echo "BENCH failed clocksource $tag"
		else
			usbts-bench $step || echo "BENCH failed $tag $step"
		fi
	} 2>&1 | sed "${tag:+s/^BENCH get\./BENCH get_$tag./}" | tee /tmp/step |
		grep -v '^ ' >>$live
	[ -n "$tag" ] && echo "$was" >$cs
	cat /tmp/step
	grep -q '^BENCH failed' /tmp/step && rc=1
done
exit $rc
