"""The Unicode bidi algorithm as phones run it: GNU FriBidi (libfribidi, which Pango and so
WeasyPrint already need) through ctypes, to see the order a message is displayed in."""

from __future__ import annotations

import ctypes
import ctypes.util

_PAR_ON = 0x00000040  # FRIBIDI_PAR_ON: direction from the first strong character
_lib = ctypes.CDLL(ctypes.util.find_library("fribidi") or "libfribidi.so.0")


def visual(line: str) -> str:
    """`line` in display order, left to right (one paragraph, no shaping of interest here)."""
    n = len(line)
    if not n:
        return line
    logical = (ctypes.c_uint32 * n)(*(ord(c) for c in line))
    out = (ctypes.c_uint32 * (n + 1))()
    base = ctypes.c_uint32(_PAR_ON)
    v_to_l = (ctypes.c_int * n)()
    if not _lib.fribidi_log2vis(logical, n, ctypes.byref(base), out, None, v_to_l, None):
        raise RuntimeError("fribidi_log2vis failed")
    # Map back to the logical characters (fribidi's output is shaped Arabic): display order.
    return "".join(line[v_to_l[i]] for i in range(n))
