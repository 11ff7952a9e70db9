#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the JSON the guest's usbts-tests.sh printed (console log on stdin
or as the first argument): every line parses, fields have their documented
names and types, and the values make sense."""
import json
import re
import sys

text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
blocks = {}
passed = failed = 0
for m in re.finditer(r"^=== json (\S+)\n(.*?)^=== end \1 rc=(\d+)$", text, re.S | re.M):
    objs = []
    for line in m.group(2).splitlines():
        if not line.strip():
            continue
        try:
            objs.append(json.loads(line))
        except ValueError:
            failed += 1
            print(f"not ok - {m.group(1)}: not JSON: {line!r}")
    blocks[m.group(1)] = (int(m.group(3)), objs)


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok -", what)
    else:
        failed += 1
        print("not ok -", what)


def one(name):
    rc, objs = blocks.get(name, (None, []))
    check(rc == 0 and len(objs) == 1, f"{name}: exit 0 and one object")
    return objs[0] if objs else {}


rc, buses = blocks.get("list", (None, []))
check(rc == 0 and len(buses) == 5, "list --json: one object per bus")
by = {b["bus"]: b for b in buses}
check(by.get(1, {}).get("trackable") is True and by[1]["reason"] is None, "list: bus 1 trackable")
check(by.get(5, {}).get("trackable") is False and "ehci" in by[5]["reason"], "list: bus 5 not, and why")
check(any(d["product"] == "QEMU USB Audio" and d["vendor_id"] == "46f4" for d in by.get(1, {}).get("devices", [])),
      "list: devices with ids and names")
check(all(set(b) == {"bus", "controller", "driver", "speed_mbps", "trackable", "reason", "devices"} for b in buses),
      "list: documented fields")

g = one("get")
fields = {"bus", "device", "generation", "usb_frame", "hw_frame", "microframe", "clock", "time_ns",
          "accuracy_ns", "frame_start_ns", "frame_start_accuracy_ns"}
check(set(g) == fields, "get --json: documented fields")
check(g.get("hw_frame") == g.get("usb_frame", -1) % 2048 and 0 <= g.get("microframe", 9) < 8, "get: frame fields agree")
check(isinstance(g.get("accuracy_ns"), int) and g["accuracy_ns"] < 125000, "get: accuracy known and below 125 us")
check(0 <= g.get("time_ns", 0) - g.get("frame_start_ns", 0) < 1000000 + 2 * g.get("frame_start_accuracy_ns", 0),
      "get: the frame started within the last millisecond")
d = one("get-dev")
check(d.get("device") == 2, "get BUS-DEV names the device")
r = one("get-realtime")
check(r.get("clock") == "realtime" and r.get("time_ns", 0) > 1_600_000_000 * 10**9, "get --clock realtime")

rc, mon = blocks.get("monitor", (None, []))
check(rc == 0 and len(mon) == 5, "monitor --json --count 5: five objects")
check(all(set(o) == {"generation", "usb_frame", "hw_frame", "microframe", "time_ns", "accuracy_ns"} for o in mon),
      "monitor: documented fields")
check(all(a["time_ns"] < b["time_ns"] and a["usb_frame"] <= b["usb_frame"] for a, b in zip(mon, mon[1:])),
      "monitor: frames and times advance")

for name in ("verify-1", "verify-3", "verify-raw"):
    v = one(name)
    check(v.get("pass") is True and v.get("edges", 0) >= 20 and v.get("broken_pct", 100) <= 1,
          f"{name}: passes with at least 20 edges ({v.get('edges')} edges, {v.get('broken')} broken)")
    check(set(v) == {"edges", "skipped", "broken", "broken_pct", "p50_ns", "p99_ns", "max_ns",
                     "median_accuracy_ns", "median_bracket_ns", "pass", "horizons"},
          f"{name}: documented fields")
    hz = v.get("horizons", [])
    check([h.get("ahead_us") for h in hz] == [375, 100000, 1000000, 3000000] and
          all(set(h) == {"ahead_us", "edges", "broken", "p99_ns", "median_accuracy_ns"} for h in hz),
          f"{name}: results by horizon, 375 us to 3 s")
    check(sum(h.get("edges", 0) for h in hz) == v.get("edges") and
          sum(h.get("edges", 0) for h in hz[1:]) >= 2,
          f"{name}: predictions seconds ahead were measured ({[h.get('edges') for h in hz]})")

a = blocks.get("concurrent-a", (0, []))[1]
b = blocks.get("concurrent-b", (0, []))[1]
c = blocks.get("concurrent-c", (0, []))[1]
check(len(a) == len(b) == len(c) == 10, "three processes at once: ten samples each")
check({o["generation"] for o in a} == {o["generation"] for o in c}, "same bus: one tracking, one generation")
check(not ({o["generation"] for o in a} & {o["generation"] for o in b}), "other bus: its own generation")

print(f"usbts-json: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
