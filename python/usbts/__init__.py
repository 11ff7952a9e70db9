# SPDX-License-Identifier: LGPL-2.1-or-later
"""usbts: USB frame numbers on the system clock, for Python rig scripts.

A pure-Python binding of libusbts (through ctypes) and so of
``/dev/usb-timesync``: which USB frame and microframe is a bus in, and when,
on a system clock, did or will any frame start, with a bound on the error.

Example::

    import usbts

    with usbts.open() as ctx, ctx.track(3) as bus:      # bus 3, as lsusb
        info = bus.frame_info()
        print(info.usb_frame, info.microframe, info.time_ns, info.accuracy_ns)
        t, acc = bus.frame_to_time(info.usb_frame + 10)  # when frame +10 starts
        frame, uframe = bus.time_to_frame(t)

A pyusb device (``usb.core.find(...)``) may stand in for the bus number:
``ctx.track(dev)`` tracks its bus and names it, so that calls fail with
:class:`UsbtsError` (``errno.ENODEV``) once it is unplugged.

Access: naming a device (a pyusb device, or ``ctx.track(bus, device)``)
makes libusbts open its usbfs node ``/dev/bus/usb/BBB/DDD`` for writing and
pass it to the module as the credential, so whoever may use the device may
track its bus; ``ctx.track_fd(bus, fd)`` does the same with a node the
caller holds.  A bare bus needs root or the group of ``/dev/usb-timesync``,
and fails with ``errno.EPERM`` otherwise.

The module's model runs on CLOCK_MONOTONIC_RAW (:attr:`Clock.MONOTONIC_RAW`);
answers in the other clocks are converted when asked, the conversion's
error included in the accuracy.

Every failed call raises :class:`UsbtsError`, an :class:`OSError` whose
``errno`` is the call's errno and whose ``strerror`` is libusbts's message
(``usbts_strerror()``).
"""
from __future__ import annotations

import ctypes
import enum
import errno
import os as _os
from typing import Any, List, NamedTuple, Optional, Tuple, Union

from . import _abi
from ._version import __version__

__all__ = [
    "ACCURACY_UNKNOWN", "Clock", "Context", "FrameInfo", "Sample", "SampleClocks", "Tracker",
    "UsbtsError", "adjusted_frame_number", "open", "strerror", "widen_frame",
    "widen_microframe", "__version__",
]

ACCURACY_UNKNOWN = _abi.ACCURACY_UNKNOWN
MICROFRAME_NS = _abi.MICROFRAME_NS
FRAME_NS = _abi.FRAME_NS
MAX_SAMPLES = _abi.MAX_SAMPLES
MAX_SAMPLE_CLOCKS = _abi.MAX_SAMPLE_CLOCKS

_lib = _abi.load()


#: The clock of every time a call returns: MONOTONIC, BOOTTIME, REALTIME,
#: TAI, MONOTONIC_RAW, and whatever else _abi.py lists as CLOCK_* (USBTS_CLOCK_*).
Clock = enum.IntEnum(  # type: ignore[misc]
    "Clock", {k[len("CLOCK_"):]: v for k, v in vars(_abi).items() if k.startswith("CLOCK_")})
Clock.__doc__ = "The clock of every time a call returns (USBTS_CLOCK_*)."
Clock.__module__ = __name__


class UsbtsError(OSError):
    """A libusbts call failed: ``errno`` is its errno, ``strerror`` the
    message libusbts gives for it, ``call`` the libusbts function."""

    def __init__(self, err: int, call: str) -> None:
        super().__init__(err, strerror(-err))
        self.call = call

    def __str__(self) -> str:
        return f"{self.call}: {self.strerror} (errno {self.errno})"


def strerror(err: int) -> str:
    """libusbts's message for a negative errno (``usbts_strerror()``)."""
    return _lib.usbts_strerror(err).decode()


def _check(err: int, call: str) -> None:
    if err:
        raise UsbtsError(-err, call)


class FrameInfo(NamedTuple):
    """One snapshot of a bus (``struct usbts_frame_info``).

    ``accuracy_ns`` is None until the first frame boundary has been seen.
    ``time_at_input_ns`` is the start of the frame asked for, if one was.
    """

    generation: int
    usb_frame: int
    hw_frame: int
    microframe: int
    time_ns: int
    accuracy_ns: Optional[int]
    time_at_input_ns: Optional[int]
    clock: Clock


class Sample(NamedTuple):
    """One raw MFINDEX read between two CLOCK_MONOTONIC reads."""

    pre_ns: int
    post_ns: int
    mfindex: int


class SampleClocks(NamedTuple):
    """One raw MFINDEX read between two CLOCK_MONOTONIC reads and, inside
    them, two CLOCK_MONOTONIC_RAW reads."""

    pre_ns: int
    post_ns: int
    raw_pre_ns: int
    raw_post_ns: int
    mfindex: int


def _accuracy(acc: int) -> Optional[int]:
    return None if acc == ACCURACY_UNKNOWN else acc


def _bus_and_device(bus: Any, device: int) -> Tuple[int, int]:
    """A bus number with a device number, or a pyusb device (anything with
    ``bus`` and ``address``)."""
    if isinstance(bus, int):
        return bus, device
    if hasattr(bus, "bus") and hasattr(bus, "address"):
        if device:
            raise TypeError("give a pyusb device or a device number, not both")
        return int(bus.bus), int(bus.address)
    raise TypeError(f"expected a bus number or a pyusb device, not {type(bus).__name__}")


class Context:
    """An open ``/dev/usb-timesync`` (``usbts_open()``).  Usable from many
    threads at once; closing it stops every tracker made on it."""

    def __init__(self, path: Optional[str] = None) -> None:
        self._ctx: Optional[_abi.Ctx] = None
        ctx = _abi.Ctx()
        if path is None:
            _check(_lib.usbts_open(ctypes.byref(ctx)), "usbts_open")
        else:
            _check(_lib.usbts_open_path(ctypes.byref(ctx), path.encode()), "usbts_open_path")
        self._ctx = ctx

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._ctx is None

    def _handle(self) -> _abi.Ctx:
        if self._ctx is None:
            raise ValueError("usbts context is closed")
        return self._ctx

    def close(self) -> None:
        """Close the device; every tracker made on this context stops."""
        if self._ctx is not None:
            _lib.usbts_close(self._ctx)
            self._ctx = None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def track(self, bus: Union[int, Any], device: int = 0, *,
              startup_delay_tolerable: bool = False,
              accuracy_ns: int = 0) -> "Tracker":
        """Start tracking ``bus`` (a number as lsusb shows it, or a pyusb
        device), naming ``device`` on it if non-zero
        (``usbts_start_tracking_for_time_sync()``, or
        ``usbts_start_tracking_with_accuracy()`` with an ``accuracy_ns``).

        ``accuracy_ns``, if non-zero, asks the sampler to read often
        enough to keep the accuracy of the current frame within it, where
        the controller allows (about once a second at most); 0 lets it converge
        on one burst every 16 s.  The accuracy reported is honest either
        way.

        With a device named, its usbfs node is opened for writing and passed
        as the credential: whoever may use the device may track its bus.  A
        bare bus needs root or the group of ``/dev/usb-timesync``
        (``errno.EPERM`` otherwise).

        Unless ``startup_delay_tolerable``, this returns once a frame
        boundary has been seen (at most 500 ms), so the first reading is
        already precise.
        """
        busnum, devnum = _bus_and_device(bus, device)
        flags = _abi.STARTUP_DELAY_TOLERABLE if startup_delay_tolerable else 0
        h = ctypes.c_uint32()
        if accuracy_ns:
            _check(_lib.usbts_start_tracking_with_accuracy(self._handle(), busnum, devnum, flags,
                                                           accuracy_ns, ctypes.byref(h)),
                   "usbts_start_tracking_with_accuracy")
        else:
            _check(_lib.usbts_start_tracking_for_time_sync(self._handle(), busnum, devnum, flags,
                                                           ctypes.byref(h)),
                   "usbts_start_tracking_for_time_sync")
        return Tracker(self, h.value, busnum, devnum)

    start_tracking = track

    def track_fd(self, bus: int, device_fd: Any, *,
                 startup_delay_tolerable: bool = False) -> "Tracker":
        """Start tracking bus ``bus`` with ``device_fd`` as the credential: a
        file descriptor (or an object with ``fileno()``) of a usbfs device
        node on that bus, opened for writing
        (``usbts_start_tracking_device_fd()``).  The tracker is on that
        device; the caller may close ``device_fd`` afterwards."""
        fd = device_fd.fileno() if hasattr(device_fd, "fileno") else int(device_fd)
        flags = _abi.STARTUP_DELAY_TOLERABLE if startup_delay_tolerable else 0
        h = ctypes.c_uint32()
        _check(_lib.usbts_start_tracking_device_fd(self._handle(), bus, fd, flags,
                                                   ctypes.byref(h)),
               "usbts_start_tracking_device_fd")
        return Tracker(self, h.value, bus, _usbfs_devnum(fd))

    start_tracking_device_fd = track_fd


def _usbfs_devnum(fd: int) -> int:
    """The device address of a usbfs node (the kernel numbers them
    (bus - 1) * 128 + address - 1 under major 189), or 0 if unknown."""
    try:
        rdev = _os.fstat(fd).st_rdev
    except OSError:
        return 0
    return _os.minor(rdev) % 128 + 1 if _os.major(rdev) == 189 else 0


class Tracker:
    """A tracking handle on one bus (or one device on it)."""

    def __init__(self, ctx: Context, handle: int, bus: int, device: int) -> None:
        self.ctx = ctx
        self.handle = handle
        self.bus = bus
        self.device = device
        self._stopped = False

    def __repr__(self) -> str:
        dev = f"-{self.device}" if self.device else ""
        return f"<usbts.Tracker bus {self.bus}{dev} handle {self.handle}>"

    def stop(self) -> None:
        """Stop tracking (``usbts_stop_tracking_for_time_sync()``)."""
        if not self._stopped and not self.ctx.closed:
            self._stopped = True
            _check(_lib.usbts_stop_tracking_for_time_sync(self.ctx._handle(), self.handle),
                   "usbts_stop_tracking_for_time_sync")

    def __enter__(self) -> "Tracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def frame_info(self, clock: Clock = Clock.MONOTONIC, input_frame: Optional[int] = None,
                   input_microframe: int = 0) -> FrameInfo:
        """The current frame, microframe and time, with the accuracy and
        generation (``usbts_get_current_frame_number_and_time()``); with
        ``input_frame``, also when that frame and microframe start."""
        info = _abi.FrameInfo()
        info.clock = int(clock)
        if input_frame is not None:
            info.input_valid = 1
            info.input_frame = input_frame
            info.input_microframe = input_microframe
        _check(_lib.usbts_get_current_frame_number_and_time(self.ctx._handle(), self.handle,
                                                            ctypes.byref(info)),
               "usbts_get_current_frame_number_and_time")
        return FrameInfo(info.generation, info.current_usb_frame, info.current_hw_frame,
                         info.current_hw_microframe, info.current_time_ns,
                         _accuracy(info.accuracy_ns),
                         info.time_at_input_ns if input_frame is not None else None,
                         Clock(info.clock))

    def current_frame(self) -> Tuple[int, int]:
        """The 32-bit frame and the CLOCK_MONOTONIC time it was current at
        (``usbts_get_current_frame_number()``)."""
        frame = ctypes.c_uint32()
        t = ctypes.c_int64()
        _check(_lib.usbts_get_current_frame_number(self.ctx._handle(), self.handle,
                                                   ctypes.byref(frame), ctypes.byref(t)),
               "usbts_get_current_frame_number")
        return frame.value, t.value

    def frame_to_time(self, frame: int, microframe: int = 0) -> Tuple[int, Optional[int]]:
        """When ``frame.microframe`` starts or started, in CLOCK_MONOTONIC
        ns, and the accuracy in ns (None if unknown)
        (``usbts_frame_start_time()``).  ``frame`` is 32-bit; the occurrence
        nearest the current frame is meant."""
        t = ctypes.c_int64()
        acc = ctypes.c_uint64()
        _check(_lib.usbts_frame_start_time(self.ctx._handle(), self.handle, frame, microframe,
                                           ctypes.byref(t), ctypes.byref(acc)),
               "usbts_frame_start_time")
        return t.value, _accuracy(acc.value)

    def time_to_frame(self, t_ns: int) -> Tuple[int, int]:
        """The frame and microframe the bus is, was or will be in at
        CLOCK_MONOTONIC ``t_ns`` (``usbts_time_to_frame()``)."""
        frame = ctypes.c_uint32()
        uframe = ctypes.c_uint32()
        _check(_lib.usbts_time_to_frame(self.ctx._handle(), self.handle, t_ns,
                                        ctypes.byref(frame), ctypes.byref(uframe)),
               "usbts_time_to_frame")
        return frame.value, uframe.value

    def sof_time(self, info: FrameInfo) -> int:
        """The snapshot's time minus microframe x 125 us (``usbts_sof_time()``):
        good to one microframe; ``frame_to_time(frame, 0)`` is exact."""
        c = _abi.FrameInfo()
        c.current_time_ns = info.time_ns
        c.current_hw_microframe = info.microframe
        return int(_lib.usbts_sof_time(ctypes.byref(c)))

    def samples(self, n: int = MAX_SAMPLES) -> List[Sample]:
        """``n`` (1 to 64) raw MFINDEX reads, back to back (``usbts_sample()``)."""
        if not 1 <= n <= MAX_SAMPLES:
            raise UsbtsError(errno.EINVAL, "usbts_sample")
        buf = (_abi.Sample * n)()
        _check(_lib.usbts_sample(self.ctx._handle(), self.handle, n, buf), "usbts_sample")
        return [Sample(s.pre_ns, s.post_ns, s.mfindex) for s in buf]

    def sample_clocks(self, n: int = MAX_SAMPLE_CLOCKS) -> List[SampleClocks]:
        """``n`` (1 to 32) raw MFINDEX reads, back to back, each in both
        CLOCK_MONOTONIC and CLOCK_MONOTONIC_RAW (``usbts_sample_clocks()``)."""
        if not 1 <= n <= MAX_SAMPLE_CLOCKS:
            raise UsbtsError(errno.EINVAL, "usbts_sample_clocks")
        buf = (_abi.SampleClocks * n)()
        _check(_lib.usbts_sample_clocks(self.ctx._handle(), self.handle, n, buf),
               "usbts_sample_clocks")
        return [SampleClocks(s.pre_ns, s.post_ns, s.raw_pre_ns, s.raw_post_ns, s.mfindex)
                for s in buf]


def open(path: Optional[str] = None) -> Context:  # noqa: A001 - mirrors usbts_open()
    """Open ``/dev/usb-timesync`` (or ``path``): ``usbts_open()``."""
    return Context(path)


def widen_frame(ref_frame: int, partial: int, bits: int = 11) -> int:
    """The 32-bit frame nearest ``ref_frame`` whose low ``bits`` bits are
    ``partial`` (``usbts_widen_frame()``; 11 for a hardware frame)."""
    return int(_lib.usbts_widen_frame(ref_frame, partial, bits))


def widen_microframe(ref_uframe: int, partial: int, bits: int = 14) -> int:
    """The extended microframe nearest ``ref_uframe`` whose low ``bits``
    bits are ``partial`` (``usbts_widen_microframe()``; 14 for MFINDEX)."""
    return int(_lib.usbts_widen_microframe(ref_uframe, partial, bits))


def adjusted_frame_number(frame: int, timestamp_ns: int) -> int:
    """``frame``, read at ``timestamp_ns``, advanced by the whole ms since
    (``usbts_get_adjusted_frame_number()``); touches no device."""
    f = ctypes.c_uint32(frame)
    _lib.usbts_get_adjusted_frame_number(ctypes.byref(f), timestamp_ns)
    return f.value
