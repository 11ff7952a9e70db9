#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The usbts Python package against the real module, in the guest of
tests/vm/run (its default hardware: qemu-xhci bus 1 with usb-audio and
usb-tablet, nec-usb-xhci bus 3, EHCI bus 5; no bus 42)."""
import errno
import os
import threading
import time
import unittest

import usbts

XHCI_BUS = 1
EHCI_BUS = 5


class Basics(unittest.TestCase):
    def setUp(self):
        self.ctx = usbts.open()
        self.bus = self.ctx.track(XHCI_BUS)

    def tearDown(self):
        self.ctx.close()

    def test_version(self):
        self.assertRegex(usbts.__version__, r"^\d+\.\d+")

    def test_frame_info(self):
        before = time.monotonic_ns()
        info = self.bus.frame_info()
        after = time.monotonic_ns()
        self.assertIsInstance(info, usbts.FrameInfo)
        self.assertGreater(info.generation, 0)
        self.assertEqual(info.hw_frame, info.usb_frame & 0x7FF)
        self.assertIn(info.microframe, range(8))
        self.assertEqual(info.clock, usbts.Clock.MONOTONIC)
        self.assertIsNone(info.time_at_input_ns)
        # a snapshot of (about) now, good to well under a microframe
        self.assertLess(abs(info.time_ns - (before + after) // 2), 50_000_000)
        self.assertIsNotNone(info.accuracy_ns)
        self.assertLess(info.accuracy_ns, usbts.MICROFRAME_NS)

    def test_frames_advance(self):
        a = self.bus.frame_info()
        time.sleep(0.05)
        b = self.bus.frame_info()
        self.assertEqual(a.generation, b.generation)
        self.assertGreater(b.usb_frame - a.usb_frame, 40)
        self.assertGreater(b.time_ns, a.time_ns)

    def test_clocks(self):
        info = self.bus.frame_info(clock=usbts.Clock.REALTIME)
        self.assertEqual(info.clock, usbts.Clock.REALTIME)
        self.assertLess(abs(info.time_ns - time.time_ns()), 1_000_000_000)
        boot = self.bus.frame_info(clock=usbts.Clock.BOOTTIME)
        self.assertLess(abs(boot.time_ns - time.clock_gettime_ns(time.CLOCK_BOOTTIME)),
                        1_000_000_000)

    def test_clock_raw(self):
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        info = self.bus.frame_info(clock=usbts.Clock.MONOTONIC_RAW)
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        self.assertEqual(info.clock, usbts.Clock.MONOTONIC_RAW)
        self.assertEqual(int(usbts.Clock.MONOTONIC_RAW), 4)
        self.assertLess(abs(info.time_ns - (before + after) // 2), 50_000_000)
        self.assertIsNotNone(info.accuracy_ns)

    def test_sample_clocks(self):
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        s = self.bus.sample_clocks(8)
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        self.assertEqual(len(s), 8)
        for a in s:
            self.assertIsInstance(a, usbts.SampleClocks)
            self.assertLessEqual(a.pre_ns, a.post_ns)
            self.assertLessEqual(a.raw_pre_ns, a.raw_post_ns)
            self.assertLessEqual(before, a.raw_pre_ns)
            self.assertLessEqual(a.raw_post_ns, after)
            self.assertIn(a.mfindex, range(1 << 14))
        for a, b in zip(s, s[1:]):
            self.assertLessEqual(a.post_ns, b.pre_ns)
            self.assertLessEqual(a.raw_post_ns, b.raw_pre_ns)
        self.assertEqual(len(self.bus.sample_clocks()), usbts.MAX_SAMPLE_CLOCKS)
        for n in (0, usbts.MAX_SAMPLE_CLOCKS + 1):
            with self.assertRaises(usbts.UsbtsError) as cm:
                self.bus.sample_clocks(n)
            self.assertEqual(cm.exception.errno, errno.EINVAL)

    def test_input_frame(self):
        info = self.bus.frame_info()
        later = self.bus.frame_info(input_frame=info.usb_frame + 100, input_microframe=4)
        t, acc = self.bus.frame_to_time(info.usb_frame + 100, 4)
        self.assertLess(abs(later.time_at_input_ns - t), 1000 + 2 * acc)

    def test_frame_to_time(self):
        info = self.bus.frame_info()
        t0, acc = self.bus.frame_to_time(info.usb_frame)
        t1, _ = self.bus.frame_to_time(info.usb_frame + 1000, 3)
        self.assertIsNotNone(acc)
        # 1000 frames and 3 microframes later, give or take the clock's ppm
        self.assertLess(abs((t1 - t0) - (1000 * usbts.FRAME_NS + 3 * usbts.MICROFRAME_NS)),
                        100_000)
        # the current frame started at most one frame before the snapshot
        self.assertLessEqual(t0, info.time_ns + acc)
        self.assertGreater(t0, info.time_ns - usbts.FRAME_NS - acc)

    def test_time_to_frame_inverts_frame_to_time(self):
        f = self.bus.frame_info().usb_frame + 500
        for uf in (0, 5, 7):
            t, _ = self.bus.frame_to_time(f, uf)
            self.assertEqual(self.bus.time_to_frame(t + 1000), (f, uf))
            self.assertEqual(self.bus.time_to_frame(t - 1000), (f, uf - 1) if uf else (f - 1, 7))

    def test_current_frame_and_adjusted(self):
        frame, t = self.bus.current_frame()
        self.assertLess(abs(t - time.monotonic_ns()), 50_000_000)
        time.sleep(0.02)
        adj = usbts.adjusted_frame_number(frame, t)
        self.assertGreaterEqual(adj - frame, 20)
        now = self.bus.frame_info().usb_frame
        self.assertLessEqual(abs(now - adj), 2)

    def test_sof_time(self):
        info = self.bus.frame_info()
        self.assertEqual(self.bus.sof_time(info), info.time_ns - info.microframe * 125_000)

    def test_samples(self):
        s = self.bus.samples(16)
        self.assertEqual(len(s), 16)
        for a in s:
            self.assertLessEqual(a.pre_ns, a.post_ns)
            self.assertIn(a.mfindex, range(1 << 14))
        for a, b in zip(s, s[1:]):
            self.assertLessEqual(a.post_ns, b.pre_ns)
        self.assertEqual(len(self.bus.samples()), usbts.MAX_SAMPLES)
        for n in (0, usbts.MAX_SAMPLES + 1):
            with self.assertRaises(usbts.UsbtsError) as cm:
                self.bus.samples(n)
            self.assertEqual(cm.exception.errno, errno.EINVAL)

    def test_widen(self):
        info = self.bus.frame_info()
        self.assertEqual(usbts.widen_frame(info.usb_frame, info.hw_frame), info.usb_frame)
        self.assertEqual(usbts.widen_frame(0x800, 0x7FF), 0x7FF)
        self.assertEqual(usbts.widen_microframe(0x4000, 0x3FFF), 0x3FFF)

    def test_accuracy_need(self):
        """track(accuracy_ns=) reaches the module: debugfs shows the need
        while the tracker runs, and not after it stops."""
        dbg = "/sys/kernel/debug/usb_timesync/controllers"
        if not os.path.exists(dbg):
            os.system("mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null")
        if not os.path.exists(dbg):
            self.skipTest("no debugfs")
        with self.ctx.track(XHCI_BUS, accuracy_ns=7777) as t:
            with open(dbg) as f:
                self.assertIn(" need_ns 7777", f.read())
            self.assertIsNotNone(t.frame_info().accuracy_ns)
        with open(dbg) as f:
            self.assertNotIn(" need_ns 7777", f.read())

    def test_stop(self):
        self.bus.stop()
        with self.assertRaises(usbts.UsbtsError) as cm:
            self.bus.frame_info()
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.bus.stop()  # once is enough; again is harmless

    def test_threads(self):
        errors = []

        def reader():
            try:
                for _ in range(200):
                    self.bus.frame_info()
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class Errors(unittest.TestCase):
    def check(self, err, fn, *args, **kw):
        with self.assertRaises(usbts.UsbtsError) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIsInstance(e, OSError)
        self.assertEqual(e.errno, err)
        self.assertEqual(e.strerror, usbts.strerror(-err))
        self.assertIn(e.strerror, str(e))
        return e

    def test_ehci_bus(self):
        with usbts.open() as ctx:
            e = self.check(errno.EOPNOTSUPP, ctx.track, EHCI_BUS)
            self.assertIn("only xHCI controllers are supported", e.strerror)
            self.assertEqual(e.call, "usbts_start_tracking_for_time_sync")

    def test_no_bus_or_device(self):
        with usbts.open() as ctx:
            self.check(errno.ENODEV, ctx.track, 42)
            self.check(errno.ENODEV, ctx.track, XHCI_BUS, 99)

    def test_unknown_handle(self):
        with usbts.open() as ctx:
            self.check(errno.ENOENT, usbts.Tracker(ctx, 63, XHCI_BUS, 0).frame_info)

    def test_bad_clock(self):
        with usbts.open() as ctx, ctx.track(XHCI_BUS) as bus:
            self.check(errno.EINVAL, bus.frame_info, clock=7)
            self.check(errno.EINVAL, bus.frame_info, input_frame=0, input_microframe=8)

    def test_no_device_node(self):
        e = self.check(errno.ENOENT, usbts.open, "/dev/no-such-usb-timesync")
        self.assertIn("is usb_timesync loaded?", e.strerror)

    def test_closed_context(self):
        ctx = usbts.open()
        bus = ctx.track(XHCI_BUS)
        ctx.close()
        self.assertTrue(ctx.closed)
        with self.assertRaises(ValueError):
            bus.frame_info()
        with self.assertRaises(TypeError):
            ctx.track("1")


def _usb_audio(test):
    """QEMU's usb-audio, as pyusb finds it."""
    try:
        import usb.backend.libusb1
        import usb.core
    except ImportError:
        test.fail("pyusb is not in the guest (tests/vm/run --python)")
    be = usb.backend.libusb1.get_backend(find_library=lambda _: "libusb-1.0.so.0")
    dev = usb.core.find(idVendor=0x46F4, idProduct=0x0002, backend=be)
    test.assertIsNotNone(dev, "pyusb finds QEMU's usb-audio")
    return dev


class Credential(unittest.TestCase):
    """A usbfs node as START's credential (runs before PyUSB unplugs)."""

    def setUp(self):
        self.dev = _usb_audio(self)
        self.node = f"/dev/bus/usb/{self.dev.bus:03d}/{self.dev.address:03d}"

    def start_fd(self, flags, bus=None):
        fd = os.open(self.node, flags)
        try:
            with usbts.open() as ctx:
                t = ctx.track_fd(self.dev.bus if bus is None else bus, fd)
                return t.device, t.frame_info().accuracy_ns
        finally:
            os.close(fd)

    def test_track_fd(self):
        device, acc = self.start_fd(os.O_RDWR)
        self.assertEqual(device, self.dev.address)
        self.assertIsNotNone(acc)

    def test_track_fd_refused(self):
        for flags, bus, err in ((os.O_RDONLY, None, errno.EPERM),  # not for writing
                                (os.O_RDWR, EHCI_BUS, errno.EPERM)):  # another bus
            with self.assertRaises(usbts.UsbtsError) as cm:
                self.start_fd(flags, bus)
            self.assertEqual(cm.exception.errno, err)
            self.assertEqual(cm.exception.call, "usbts_start_tracking_device_fd")
        with usbts.open() as ctx, open("/dev/null", "w") as null:
            with self.assertRaises(usbts.UsbtsError) as cm:
                ctx.track_fd(self.dev.bus, null)  # not a usbfs node
            self.assertEqual(cm.exception.errno, errno.EINVAL)
            fd = os.open("/dev/null", os.O_RDONLY)
            os.close(fd)
            for bad in (fd, -1):
                with self.assertRaises(usbts.UsbtsError) as cm:
                    ctx.track_fd(self.dev.bus, bad)
                self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_unprivileged(self):
        """Without root, a named device (pyusb or numbers) is tracked through
        its usbfs node; a bare bus is refused with EPERM."""
        mode = os.stat(self.node).st_mode & 0o7777
        os.chmod(self.node, 0o666)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            out = []
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                with usbts.open() as ctx:
                    for what, args in (("pyusb", (self.dev,)),
                                       ("numbers", (self.dev.bus, self.dev.address)),
                                       ("bus", (self.dev.bus,))):
                        try:
                            t = ctx.track(*args)
                            out.append(f"{what} ok {t.frame_info().accuracy_ns is not None}")
                        except usbts.UsbtsError as e:
                            out.append(f"{what} {errno.errorcode[e.errno]}")
            except BaseException as e:  # noqa: B902 - report anything to the parent
                out.append(f"child: {e!r}")
            os.write(w, "\n".join(out).encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            got = f.read().splitlines()
        os.waitpid(pid, 0)
        os.chmod(self.node, mode)
        self.assertEqual(got, ["pyusb ok True", "numbers ok True", "bus EPERM"])


class PyUSB(unittest.TestCase):
    """A pyusb device in place of bus and device numbers."""

    def setUp(self):
        self.dev = _usb_audio(self)

    def test_track_pyusb_device_then_unplug(self):
        with usbts.open() as ctx:
            with self.assertRaises(TypeError):
                ctx.track(self.dev, 3)
            bus = ctx.track(self.dev)
            self.assertEqual((bus.bus, bus.device), (self.dev.bus, self.dev.address))
            self.assertIsNotNone(bus.frame_info().accuracy_ns)
            # unplug: switch the device's port off
            with open(f"/sys/bus/usb/devices/{self.dev.bus}-{self.dev.port_number}"
                      "/port/disable", "w") as f:
                f.write("1")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    bus.frame_info()
                except usbts.UsbtsError as e:
                    self.assertEqual(e.errno, errno.ENODEV)
                    break
                time.sleep(0.02)
            else:
                self.fail("no ENODEV after the device was unplugged")
            bus.stop()  # STOP still succeeds


if __name__ == "__main__":
    unittest.main(verbosity=2)
