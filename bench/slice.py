"""Sets the scheduler time slice of threads (Linux 6.12 and later, EEVDF:
`sched_runtime` of a SCHED_OTHER thread), for bench/flood.sh's SLICE_NS
experiment: a thread with a shorter slice than the one running preempts it
when it wakes. Usage: slice.py NANOSECONDS TID...
Rampart itself does not do this (no safe Rust API for sched_setattr)."""

import ctypes
import os
import struct
import sys

SYS_SCHED_SETATTR, SYS_SCHED_GETATTR = 314, 315  # x86_64
LAYOUT = "IIQiIQQQII"  # struct sched_attr, 56 bytes
libc = ctypes.CDLL(None, use_errno=True)


def set_slice(tid: int, nanoseconds: int) -> None:
    current = ctypes.create_string_buffer(56)
    if libc.syscall(SYS_SCHED_GETATTR, tid, current, 56, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    _, policy, _, nice, priority, *_ = struct.unpack(LAYOUT, current.raw)
    wanted = struct.pack(LAYOUT, 56, policy, 0, nice, priority, nanoseconds, 0, 0, 0, 0)
    if libc.syscall(SYS_SCHED_SETATTR, tid, ctypes.create_string_buffer(wanted, 56), 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


for tid in sys.argv[2:]:
    set_slice(int(tid), int(sys.argv[1]))
