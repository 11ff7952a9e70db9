# SPDX-License-Identifier: LGPL-2.1-or-later
"""libusbts's C ABI for ctypes: every constant, structure and prototype the
Python package uses, in one place.

The structures mirror ``tools/lib/usbts.h`` field for field; to follow a new
field or clock there, change it here and nowhere else.
"""
import ctypes
from ctypes import POINTER, c_char_p, c_int, c_int64, c_uint, c_uint32, c_uint64, c_void_p

SONAME = "libusbts.so.0"

#: usbts_start_tracking_for_time_sync() flags
STARTUP_DELAY_TOLERABLE = 1 << 0
#: struct usbts_frame_info.clock
CLOCK_MONOTONIC = 0
CLOCK_BOOTTIME = 1
CLOCK_REALTIME = 2
CLOCK_TAI = 3
#: the clock nobody steers; the module's model runs on it
CLOCK_MONOTONIC_RAW = 4
#: accuracy_ns before the first frame boundary has been seen
ACCURACY_UNKNOWN = (1 << 64) - 1
MICROFRAME_NS = 125000
FRAME_NS = 1000000
#: most raw reads one usbts_sample() call returns
MAX_SAMPLES = 64
#: most reads one usbts_sample_clocks() call returns
MAX_SAMPLE_CLOCKS = 32


class FrameInfo(ctypes.Structure):
    """struct usbts_frame_info"""

    _fields_ = [
        ("input_valid", c_int),
        ("input_frame", c_uint32),
        ("input_microframe", c_uint32),
        ("clock", c_uint32),
        ("current_hw_frame", c_uint32),
        ("current_hw_microframe", c_uint32),
        ("current_usb_frame", c_uint32),
        ("time_at_input_ns", c_int64),
        ("current_time_ns", c_int64),
        ("accuracy_ns", c_uint64),
        ("generation", c_uint64),
    ]


class Sample(ctypes.Structure):
    """struct usbts_sample"""

    _fields_ = [
        ("pre_ns", c_int64),
        ("post_ns", c_int64),
        ("mfindex", c_uint32),
    ]


class SampleClocks(ctypes.Structure):
    """struct usbts_sample_clocks"""

    _fields_ = [
        ("pre_ns", c_int64),
        ("post_ns", c_int64),
        ("raw_pre_ns", c_int64),
        ("raw_post_ns", c_int64),
        ("mfindex", c_uint32),
    ]


#: C structures of usbts.h the package does not mirror, and why
NOT_MIRRORED = {
    "usbts_ctx": "opaque",
    "usbts_backend": "a C test double (usbts_open_backend), not bound",
}
#: functions of usbts.h the package does not bind, and why
NOT_BOUND = {
    "usbts_open_backend": "a C test double with function pointers",
}

Ctx = c_void_p  # struct usbts_ctx *

# name: (restype, argtypes)
PROTOTYPES = {
    "usbts_open": (c_int, [POINTER(Ctx)]),
    "usbts_open_path": (c_int, [POINTER(Ctx), c_char_p]),
    "usbts_close": (None, [Ctx]),
    "usbts_start_tracking_for_time_sync": (
        c_int, [Ctx, c_uint32, c_uint32, c_uint32, POINTER(c_uint32)]),
    "usbts_start_tracking_with_accuracy": (
        c_int, [Ctx, c_uint32, c_uint32, c_uint32, c_uint64, POINTER(c_uint32)]),
    "usbts_start_tracking_device_fd": (
        c_int, [Ctx, c_uint32, c_int, c_uint32, POINTER(c_uint32)]),
    "usbts_stop_tracking_for_time_sync": (c_int, [Ctx, c_uint32]),
    "usbts_get_current_frame_number_and_time": (c_int, [Ctx, c_uint32, POINTER(FrameInfo)]),
    "usbts_get_current_frame_number": (
        c_int, [Ctx, c_uint32, POINTER(c_uint32), POINTER(c_int64)]),
    "usbts_get_adjusted_frame_number": (c_int, [POINTER(c_uint32), c_int64]),
    "usbts_sample": (c_int, [Ctx, c_uint32, c_uint, POINTER(Sample)]),
    "usbts_sample_clocks": (c_int, [Ctx, c_uint32, c_uint, POINTER(SampleClocks)]),
    "usbts_widen_frame": (c_uint32, [c_uint32, c_uint32, c_uint]),
    "usbts_widen_microframe": (c_uint64, [c_uint64, c_uint32, c_uint]),
    "usbts_frame_start_time": (
        c_int, [Ctx, c_uint32, c_uint32, c_uint32, POINTER(c_int64), POINTER(c_uint64)]),
    "usbts_sof_time": (c_int64, [POINTER(FrameInfo)]),
    "usbts_time_to_frame": (
        c_int, [Ctx, c_uint32, c_int64, POINTER(c_uint32), POINTER(c_uint32)]),
    "usbts_strerror": (c_char_p, [c_int]),
}


def load(name: str = SONAME) -> ctypes.CDLL:
    """Load libusbts and declare every prototype of :data:`PROTOTYPES`."""
    lib = ctypes.CDLL(name, use_errno=False)
    for fn, (restype, argtypes) in PROTOTYPES.items():
        f = getattr(lib, fn)
        f.restype = restype
        f.argtypes = argtypes
    return lib
