"""Turning what users pass (numpy arrays, pandas Series, lists) into what the C++ core takes."""
from __future__ import annotations

import numpy as np

FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
INTEGERS = tuple(np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8,
                                       np.uint64, np.uint32, np.uint16, np.uint8))
SUPPORTED = FLOATS + INTEGERS


def as_values(x, *, name: str = "values") -> np.ndarray:
    """Return x as a 1-D, C-contiguous, native-endian float64/float32/integer array.

    Zero-copy when x already is one (read-only arrays included). A copy is made only for the two explicit,
    value-preserving conversions: non-contiguous views and non-native byte order. Any other dtype (float16,
    bool, complex, objects) is a TypeError, because silently casting (float16 -> float32) would change what
    "bit-exact" means.
    """
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):  # pandas Series / Index
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.dtype.kind == "M":
        raise TypeError(
            f"{name}: datetime64 arrays are stored as int64; pass x.view('int64') (or .asi8 for pandas)"
        )
    if arr.dtype.newbyteorder("=") not in SUPPORTED or arr.dtype.kind not in "fiu":
        raise TypeError(
            f"{name}: tsquash encodes float64, float32 or integer (8 to 64-bit) values, got {arr.dtype}; "
            f"convert explicitly, e.g. x.astype(np.float64)"
        )
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}; flatten it with x.ravel()")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr
