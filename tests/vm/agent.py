#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/vm/agent.py - the host side of the VM tier's fault channel.

tests/vm/run starts it next to QEMU.  It serves requests that the guest's
`vmctl` writes on its second serial port (ttyS1), and carries them out with
QMP, QEMU's machine protocol, over a unix socket:

    unplug-usb ID      device_del of a USB device; done when QEMU reports
                       DEVICE_DELETED
    replug-usb ID      device_add of it again, with its original properties
    unplug-xhci [ID]   device_del of an xHCI controller (default "xhci") on
                       its PCIe root port: done when the guest has ejected it
                       and QEMU has removed it; its USB devices go with it
    replug-xhci [ID]   device_add of the controller and of its USB devices
    suspend-arm SECS   the guest is about to enter S3: wait for QEMU's
                       SUSPEND event, SECS later send system_wakeup
    wake-after SECS    the guest is about to enter s2idle (freeze) with
                       ttyS1 as a wakeup source: SECS later, send it a line
                       ("WAKE") to wake it (QEMU has no system_wakeup for
                       s2idle, and no RTC wakeup from it)
    suspend-result     how the last suspend-arm ended (ok only if the guest
                       was really suspended and woken by the agent)
    ping               ok
    delay SECS         ok after SECS (to test vmctl's timeout)

Protocol, one line each way: "REQ <id> <command> [args]" from the guest,
"ACK <id> ok|err <text>" back.  Every QMP step has a timeout; a failure is
an "err" answer with the reason, never a hang.  The device table (--devices,
JSON) names each hot-pluggable device's driver and properties, and which
controller each USB device hangs off.  Everything is logged to --log.
"""
import argparse
import json
import os
import select
import socket
import sys
import threading
import time


class QMPError(Exception):
    pass


class QMP:
    """A minimal synchronous QMP client that keeps events for later."""

    def __init__(self, path, timeout=30, log=None):
        self.log = log
        self.sock = connect(path, timeout)
        self.buf = b""
        self.events = []
        self.lock = threading.Lock()
        self._read_msg(timeout)  # greeting
        self.cmd("qmp_capabilities")

    def _read_msg(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("timed out waiting for QMP")
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data = self.sock.recv(65536)
                if not data:
                    raise QMPError("QMP connection closed")
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        m = json.loads(line)
        if "event" in m and self.log:
            self.log.write("%.3f qmp: %s %s\n" % (time.monotonic(), m["event"],
                                                   json.dumps(m.get("data", {}))))
            self.log.flush()
        return m

    def cmd(self, name, timeout=30, **args):
        with self.lock:
            msg = {"execute": name}
            if args:
                msg["arguments"] = args
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
            deadline = time.monotonic() + timeout
            while True:
                m = self._read_msg(max(0.0, deadline - time.monotonic()))
                if "event" in m:
                    self.events.append(m)
                elif "return" in m:
                    return m["return"]
                elif "error" in m:
                    raise QMPError("%s: %s" % (name, m["error"].get("desc", m["error"])))

    def wait_event(self, pred, timeout, cancel=None):
        """The first kept or new event for which pred(event) is true.

        The lock is taken a fraction of a second at a time, so that other
        requests go on being served while a suspend waits for its event."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                for i, e in enumerate(self.events):
                    if pred(e):
                        return self.events.pop(i)
                left = deadline - time.monotonic()
                if left <= 0 or (cancel and cancel.is_set()):
                    return None
                try:
                    m = self._read_msg(min(left, 0.2))
                except QMPError as e:
                    if "timed out" not in str(e):
                        raise
                    m = {}
                if "event" in m:
                    self.events.append(m)
            time.sleep(0.01)

    def drop_events(self, name):
        with self.lock:
            self.events = [e for e in self.events if e["event"] != name]


def connect(path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Agent:
    def __init__(self, qmp, devices, log):
        self.qmp = qmp
        self.devices = devices  # id -> {"driver":..., "props": {...}, "parent": id or None}
        self.log = log
        self.suspend = None  # a thread and its result for suspend-arm
        self.chan = None
        self.chan_lock = threading.Lock()

    def send(self, line):
        with self.chan_lock:
            self.chan.sendall(line.encode())

    def say(self, msg):
        self.log.write("%.3f agent: %s\n" % (time.monotonic(), msg))
        self.log.flush()

    def device(self, dev_id, kind):
        d = self.devices.get(dev_id)
        if d is None or d.get("kind") != kind:
            names = sorted(k for k, v in self.devices.items() if v.get("kind") == kind)
            raise QMPError("no %s device '%s' (have: %s)" % (kind, dev_id, " ".join(names)))
        return d

    def add(self, dev_id):
        d = self.devices[dev_id]
        self.qmp.cmd("device_add", driver=d["driver"], id=dev_id, **d.get("props", {}))

    def present(self, dev_id):
        return any(p["name"] == dev_id for p in self.qmp.cmd("qom-list", path="/machine/peripheral"))

    def delete(self, dev_id, timeout):
        """device_del, done when the device is gone from QEMU's tree.

        QEMU 7.2 sends no DEVICE_DELETED for a PCI function that the guest
        ejected through ACPI hotplug, so the tree is polled as well."""
        self.qmp.drop_events("DEVICE_DELETED")
        self.qmp.cmd("device_del", id=dev_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.qmp.wait_event(lambda e: e["event"] == "DEVICE_DELETED" and
                                   e.get("data", {}).get("device") == dev_id, 0.2):
                return
            if not self.present(dev_id):
                return
        raise QMPError("%s: still there %d s after device_del (did the guest eject it?)"
                       % (dev_id, timeout))

    def children(self, ctrl):
        return [k for k, v in self.devices.items() if v.get("parent") == ctrl]

    def do(self, words):
        cmd, args = words[0], words[1:]
        if cmd == "ping":
            return "pong"
        if cmd == "delay":
            time.sleep(float(args[0]))
            return "delayed %s s" % args[0]
        if cmd == "unplug-usb":
            self.device(args[0], "usb")
            self.delete(args[0], 20)
            return "%s unplugged" % args[0]
        if cmd == "replug-usb":
            self.device(args[0], "usb")
            self.add(args[0])
            return "%s plugged" % args[0]
        if cmd == "unplug-xhci":
            ctrl = args[0] if args else "xhci"
            self.device(ctrl, "pci")
            self.delete(ctrl, 60)
            return "%s and %s unplugged" % (ctrl, " ".join(self.children(ctrl)) or "no devices")
        if cmd == "replug-xhci":
            ctrl = args[0] if args else "xhci"
            self.device(ctrl, "pci")
            self.add(ctrl)
            for c in self.children(ctrl):
                self.add(c)
            return "%s and %s plugged" % (ctrl, " ".join(self.children(ctrl)) or "no devices")
        if cmd == "suspend-arm":
            secs = float(args[0])
            if self.suspend and self.suspend[0].is_alive():
                # the guest gave up on that one (pm_test, a failed suspend)
                self.suspend[1]["cancel"].set()
                self.suspend[0].join(5)
            result = {"text": "err the guest never suspended", "cancel": threading.Event()}
            t = threading.Thread(target=self.wake_later, args=(secs, result), daemon=True)
            self.qmp.drop_events("SUSPEND")
            self.qmp.drop_events("WAKEUP")
            self.suspend = (t, result)
            t.start()
            return "armed: system_wakeup %g s after SUSPEND" % secs
        if cmd == "wake-after":
            secs = float(args[0])

            def wake():
                time.sleep(secs)
                self.say("waking the guest through ttyS1")
                self.send("WAKE\n")
            threading.Thread(target=wake, daemon=True).start()
            return "a line on ttyS1 in %g s" % secs
        if cmd == "suspend-result":
            if not self.suspend:
                raise QMPError("no suspend was armed")
            t, result = self.suspend
            t.join(70)
            text = result["text"]
            if text.startswith("err "):
                raise QMPError(text[4:])
            return text
        raise QMPError("unknown command '%s'" % cmd)

    def wake_later(self, secs, result):
        try:
            ev = self.qmp.wait_event(lambda e: e["event"] == "SUSPEND", 60, result["cancel"])
            if ev is None:
                result["text"] = "err no SUSPEND event within 60 s (cancelled: %s)" % \
                    result["cancel"].is_set()
                return
            t0 = time.monotonic()
            self.say("guest suspended; waking it in %g s" % secs)
            time.sleep(secs)
            status = self.qmp.cmd("query-status")["status"]
            if status != "suspended":
                result["text"] = "err guest was %s, not suspended, at wakeup time" % status
                return
            self.qmp.cmd("system_wakeup")
            ev = self.qmp.wait_event(lambda e: e["event"] == "WAKEUP", 30)
            if ev is None:
                result["text"] = "err no WAKEUP event within 30 s of system_wakeup"
                return
            result["text"] = "suspended for %.1f s, woken by system_wakeup" % (time.monotonic() - t0)
        except Exception as e:  # report anything to the guest, not to a dead thread
            result["text"] = "err %s" % e


def serve(agent, chan):
    agent.chan = chan
    buf = b""
    answered = {}  # request id -> answer, for requests vmctl sends again
    while True:
        data = chan.recv(4096)
        if not data:
            agent.say("guest channel closed")
            return
        buf += data
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode(errors="replace").strip()
            words = line.split()
            if len(words) < 3 or words[0] != "REQ":
                if line:
                    agent.say("ignored: %r" % line)
                continue
            rid = words[1]
            if rid in answered:
                # vmctl sent it again (no answer in time): answer again,
                # never do it twice
                agent.say("request %s again: answered before" % rid)
                agent.send("ACK %s %s\n" % (rid, answered[rid]))
                continue
            agent.say("request %s: %s" % (rid, " ".join(words[2:])))
            try:
                ans = "ok " + agent.do(words[2:])
            except (QMPError, OSError, ValueError, IndexError) as e:
                ans = "err %s" % (e or type(e).__name__)
            ans = ans.replace("\n", " ")
            answered[rid] = ans
            agent.say("answer %s: %s" % (rid, ans))
            agent.send("ACK %s %s\n" % (rid, ans))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--qmp", required=True, help="QMP unix socket (QEMU is the server)")
    ap.add_argument("--chan", required=True, help="the guest channel's unix socket")
    ap.add_argument("--devices", required=True, help="JSON device table")
    ap.add_argument("--log", default="-", help="log file (default stderr)")
    a = ap.parse_args()
    log = sys.stderr if a.log == "-" else open(a.log, "a")
    with open(a.devices) as f:
        devices = json.load(f)
    try:
        qmp = QMP(a.qmp, log=log)
        chan = connect(a.chan, 30)
    except (OSError, QMPError) as e:
        log.write("agent: cannot connect: %s\n" % e)
        return 1
    agent = Agent(qmp, devices, log)
    agent.say("ready")
    try:
        serve(agent, chan)
    except (OSError, QMPError) as e:
        agent.say("stopped: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
