"""Point-selection downsampling for plots: LTTB, MinMaxLTTB, M4, MinMax and EveryNth.

Each downsampler returns the int64 indices of the points it keeps, in increasing order, chosen exactly as
`tsdownsample <https://github.com/predict-idlab/tsdownsample>`_ chooses them (the tests compare the two on
random and real data), with the kernels in C++ and the GIL released while they run.

    >>> import numpy as np
    >>> from tsquash.downsample import LTTB, MinMaxLTTB
    >>> y = np.sin(np.linspace(0, 20, 100_000))
    >>> idx = MinMaxLTTB().downsample(y, n_out=500)          # x implicit: 0 .. n-1
    >>> idx.dtype, len(idx), int(idx[0]), int(idx[-1])
    (dtype('int64'), 500, 0, 99999)
    >>> t = np.arange(100_000) * 0.5
    >>> idx = LTTB().downsample(t, y, n_out=500)             # x given: must be non-decreasing

``downsample(y, n_out=...)`` or ``downsample(x, y, n_out=...)``; x may be float, integer or datetime64 (viewed
as int64 nanoseconds, or whatever unit it has), y float or integer. ``n_threads`` splits the independent bins
over threads; the indices do not depend on it.

NaN handling. The plain classes skip NaNs when looking for a bin's minimum and maximum (a bin holding only
NaNs reports its first point). The NaN-aware ones (``NaNMinMax``, ``NaNM4``, ``NaNMinMaxLTTB``, or
``nan_aware=True``) report a bin's first NaN in place of both its minimum and its maximum, so gaps in the
data stay visible in the plot; as in tsdownsample that index then appears twice (MinMax, M4 without x).
LTTB has no NaN-aware form: a NaN in y makes the areas it touches NaN, and a NaN area wins its bucket.

One known difference from tsdownsample: in a bin holding no finite value at all (only NaN and infinities),
tsquash reports position 0 of the bin for a side that no value moved (+inf for the minimum, -inf for the
maximum), whatever the bin's length; tsdownsample's argminmax does the same for long bins but, for bins
shorter than its SIMD width (which depends on the CPU), starts from the first non-NaN value instead.
"""
from __future__ import annotations

import numbers
import os

import numpy as np

from . import _core

__all__ = [
    "EveryNth",
    "LTTB",
    "M4",
    "MinMax",
    "MinMaxLTTB",
    "NaNM4",
    "NaNMinMax",
    "NaNMinMaxLTTB",
    "PointSelector",
    "get_downsampler",
    # Coefficient-keeping downsamplers (tsquash.wavelet_downsample): a few wavelet coefficients instead of points.
    "DownsampledSeries",
    "LearnedDownsampler",
    "MultiLevelDownsampler",
    "WaveletTopK",
]

_INT64_MAX = np.iinfo(np.int64).max


def _as_y(y) -> np.ndarray:
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):  # pandas Series / Index
        y = y.to_numpy()
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"y: expected a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("y is empty: there is nothing to downsample")
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype.itemsize == 2:
            arr = arr.astype(np.float32)  # exact
        elif arr.dtype.itemsize > 8:
            raise TypeError(f"y: {arr.dtype} is not supported; convert to float64")
        return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    if kind in "iu":
        return _ints_as_int64(arr, "y")
    raise TypeError(
        f"y: expected float or integer values, got {arr.dtype}"
        + ("; convert booleans with y.astype(np.int64)" if kind == "b" else "")
    )


def _ints_as_int64(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError(f"{what}: uint64 values above 2**63 - 1 are not supported")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _as_x(x, n: int, check_sorted: bool = True) -> np.ndarray:
    if hasattr(x, "asi8") and getattr(x, "asi8", None) is not None:  # pandas DatetimeIndex / TimedeltaIndex
        x = x.asi8
    elif hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"x: expected a 1-D array, got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"x and y differ in length: {len(arr)} and {n}")
    kind = arr.dtype.kind
    if kind in "mM":
        if np.isnat(arr).any():
            raise ValueError("x holds NaT (missing times); drop those rows first")
        arr = np.ascontiguousarray(arr).view(np.int64)
    elif kind in "iu":
        arr = _ints_as_int64(arr, "x")
    elif kind == "f":
        if arr.dtype.itemsize == 2:
            arr = arr.astype(np.float32)
        elif arr.dtype.itemsize > 8:
            raise TypeError(f"x: {arr.dtype} is not supported; convert to float64")
        arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    else:
        raise TypeError(f"x: expected float, integer or datetime64 values, got {arr.dtype}")
    if check_sorted:
        _core.check_non_decreasing(arr)
    return arr


def _check_n_out(n_out) -> int:
    if isinstance(n_out, bool) or not isinstance(n_out, numbers.Integral):
        raise TypeError(f"n_out must be an integer, got {type(n_out).__name__}")
    if n_out <= 0:
        raise ValueError(f"n_out must be positive, got {n_out}")
    return int(n_out)


def _check_threads(n_threads) -> int:
    if n_threads is None or n_threads == 0:
        return os.cpu_count() or 1
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) or n_threads < 0:
        raise ValueError(f"n_threads must be a positive integer (or 0/None for all cores), got {n_threads!r}")
    return int(n_threads)


class PointSelector:
    """A downsampler that keeps a subset of the input points and returns their indices.

    Subclasses set ``method`` (the C++ kernel) and may override :meth:`_check`. ``nan_aware`` selects the
    NaN-keeping variant where one exists.
    """

    method: str = ""
    #: whether a NaN-keeping variant exists
    has_nan_variant: bool = True
    #: whether the kernel reads all of x anyway and verifies its order while doing so
    verifies_x: bool = False

    def __init__(self, *, nan_aware: bool = False):
        if nan_aware and not self.has_nan_variant:
            raise ValueError(f"{type(self).__name__} has no NaN-aware variant")
        self.nan_aware = bool(nan_aware)

    def __repr__(self):
        return f"{type(self).__name__}(nan_aware={self.nan_aware})"

    def _check(self, n_out: int, has_x: bool, n: int, **kw) -> None:
        """Raise for an n_out the method cannot produce (before any work)."""

    def _extra(self, **kw) -> dict:
        return {}

    def downsample(self, x_or_y, y=None, *, n_out: int, n_threads: int | None = 1, check_sorted: bool = True,
                   **kw) -> np.ndarray:
        """Indices (int64, increasing) of the points to keep.

        ``downsample(y, n_out=...)`` takes x = 0 .. n-1; ``downsample(x, y, n_out=...)`` bins by the values of
        x, which must be non-decreasing. When ``n_out >= len(y)`` every index is returned. ``n_threads``: 1
        (default), k, or 0/None for every core. ``check_sorted=False`` skips the pass that verifies x (a full
        read of x) for callers who know it is sorted; unsorted x then gives meaningless, though in-range,
        indices.
        """
        n_out = _check_n_out(n_out)
        n_threads = _check_threads(n_threads)
        if y is None:
            x, y = None, _as_y(x_or_y)
        else:
            y = _as_y(y)
            x = _as_x(x_or_y, len(y), check_sorted and not self.verifies_x)
        self._check(n_out, x is not None, len(y), **kw)
        extra = self._extra(**kw)
        if self.verifies_x and x is not None:
            extra["check_x"] = check_sorted
        return self._run(x, y, n_out, n_threads, **extra)

    def _run(self, x, y, n_out, n_threads, **extra):
        return _core.downsample(self.method, x, y, n_out, nan_keep=self.nan_aware, n_threads=n_threads, **extra)


class LTTB(PointSelector):
    """Largest-Triangle-Three-Buckets: the first and last point, and in each of n_out - 2 buckets the point
    forming the largest triangle with the previously kept point and the next bucket's average. n_out >= 3."""

    method = "lttb"
    has_nan_variant = False
    verifies_x = True

    def _check(self, n_out, has_x, n, **kw):
        if n_out < 3 and n_out < n:
            raise ValueError(f"LTTB needs n_out >= 3 (first, last and at least one bucket), got {n_out}")


class MinMax(PointSelector):
    """The minimum and the maximum of each of n_out / 2 bins (n_out even), in index order."""

    method = "minmax"

    def _check(self, n_out, has_x, n, **kw):
        if n_out % 2:
            raise ValueError(f"MinMax needs an even n_out, got {n_out}")
        if has_x and n_out < 4 and n_out < n:
            raise ValueError("MinMax with x needs at least two bins (n_out >= 4)")


class M4(PointSelector):
    """First, minimum, maximum and last point of each of n_out / 4 bins (n_out a multiple of 4)."""

    method = "m4"

    def _check(self, n_out, has_x, n, **kw):
        if n_out % 4:
            raise ValueError(f"M4 needs n_out to be a multiple of 4, got {n_out}")
        if has_x and n_out < 8 and n_out < n:
            raise ValueError("M4 with x needs at least two bins (n_out >= 8)")


class MinMaxLTTB(PointSelector):
    """MinMax preselection of ``minmax_ratio * n_out`` points, then LTTB on them (arXiv:2305.00332): nearly
    LTTB's choice at nearly MinMax's speed. Plain LTTB when there are at most ``minmax_ratio`` points per
    output point."""

    method = "minmaxlttb"

    def __init__(self, minmax_ratio: int = 4, *, nan_aware: bool = False):
        super().__init__(nan_aware=nan_aware)
        self.minmax_ratio = self._ratio(minmax_ratio)

    def __repr__(self):
        return f"{type(self).__name__}(minmax_ratio={self.minmax_ratio}, nan_aware={self.nan_aware})"

    @staticmethod
    def _ratio(r) -> int:
        if isinstance(r, bool) or not isinstance(r, numbers.Integral) or r < 2:
            raise ValueError(f"minmax_ratio must be an integer >= 2, got {r!r}")
        return int(r)

    def _check(self, n_out, has_x, n, minmax_ratio=None, **kw):
        r = self.minmax_ratio if minmax_ratio is None else self._ratio(minmax_ratio)
        if n_out >= n:
            return
        if n_out < 3:
            raise ValueError(f"MinMaxLTTB needs n_out >= 3, got {n_out}")
        if (n_out * r) % 2:
            raise ValueError(f"MinMaxLTTB needs n_out * minmax_ratio to be even (MinMax keeps pairs), got "
                             f"{n_out} * {r}")

    def _extra(self, minmax_ratio=None, **kw):
        return {"ratio": self.minmax_ratio if minmax_ratio is None else self._ratio(minmax_ratio)}


class EveryNth(PointSelector):
    """Every (n / n_out)-th point, the step being fractional: indices floor(i * max(1, n / n_out)). x, when
    given, is checked but does not change the choice."""

    method = "everynth"
    has_nan_variant = False

    def _run(self, x, y, n_out, n_threads, **extra):
        return _core.every_nth(len(y), n_out)


class NaNMinMax(MinMax):
    """MinMax keeping each bin's first NaN (as both its minimum and maximum)."""

    def __init__(self):
        super().__init__(nan_aware=True)


class NaNM4(M4):
    """M4 keeping each bin's first NaN (as both its minimum and maximum)."""

    def __init__(self):
        super().__init__(nan_aware=True)


class NaNMinMaxLTTB(MinMaxLTTB):
    """MinMaxLTTB whose MinMax preselection keeps each bin's first NaN."""

    def __init__(self, minmax_ratio: int = 4):
        super().__init__(minmax_ratio, nan_aware=True)


_METHODS = {
    "lttb": LTTB,
    "minmax": MinMax,
    "m4": M4,
    "minmaxlttb": MinMaxLTTB,
    "everynth": EveryNth,
    "uniform": EveryNth,
}


def get_downsampler(method: str | PointSelector, *, nan_aware: bool = False) -> PointSelector:
    """A downsampler from its name ('lttb', 'minmaxlttb', 'm4', 'minmax', 'everynth' or 'uniform'), or the
    instance itself."""
    if isinstance(method, PointSelector):
        return method
    key = str(method).lower().replace("_", "").replace("-", "")
    if key not in _METHODS:
        raise ValueError(f"unknown downsampling method {method!r}; choose from {sorted(_METHODS)}")
    return _METHODS[key](nan_aware=nan_aware)


from .wavelet_downsample import DownsampledSeries, LearnedDownsampler, WaveletTopK  # noqa: E402
from .multilevel_downsample import MultiLevelDownsampler  # noqa: E402
