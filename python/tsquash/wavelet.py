"""Discrete wavelet transform with a PyWavelets-like API and a C++ core.

    >>> import numpy as np, tsquash.wavelet as tw
    >>> x = np.sin(np.linspace(0, 20, 1000))
    >>> coeffs = tw.wavedec(x, "db4", level=3)            # [cA3, cD3, cD2, cD1]
    >>> [len(c) for c in coeffs]
    [132, 132, 257, 503]
    >>> bool(np.allclose(tw.waverec(coeffs, "db4"), x))
    True

Wavelets: haar, db1..db20, sym2..sym20, coif1..coif17 (``wavelist()``). Modes: zero, constant, symmetric
(default), reflect, periodic, smooth, antisymmetric, antireflect, periodization (``modes``). Results equal
PyWavelets' to rounding (the test suite checks 1e-12 over every wavelet and mode).

Differences from PyWavelets, on purpose:
- Computation is in float64: float32, integer and bool input is converted and the output is float64. Complex
  input is transformed as real and imaginary parts and gives complex output.
- NaN and infinities propagate to every coefficient whose filter support touches them (as in PyWavelets);
  ``nan_policy="raise"`` rejects them with a ValueError instead.
- A level above ``dwt_max_level`` warns (``UserWarning``, as PyWavelets does) and still transforms.
"""
from __future__ import annotations

import warnings
from typing import Iterable, Sequence

import numpy as np

from . import _core

__all__ = [
    "StreamingDwt",
    "Wavelet",
    "analysis_matrix",
    "dwt",
    "dwt_coeff_len",
    "dwt_max_level",
    "families",
    "idwt",
    "modes",
    "synthesis_matrix",
    "wavedec",
    "waverec",
    "wavelist",
]

modes: list[str] = list(_core.wavelet_modes())
_NAMES: list[str] = list(_core.wavelet_names())
_FAMILIES = ["haar", "db", "sym", "coif"]


def families() -> list[str]:
    """Short family names: haar, db, sym, coif."""
    return list(_FAMILIES)


def wavelist(family: str | None = None) -> list[str]:
    """Names of the supported wavelets, optionally of one family ("db", "sym", "coif", "haar")."""
    if family is None:
        return list(_NAMES)
    if family not in _FAMILIES:
        raise ValueError(f"unknown wavelet family {family!r}; known: {', '.join(_FAMILIES)}")
    if family == "haar":
        return ["haar"]
    return [n for n in _NAMES if n.rstrip("0123456789") == family]


class Wavelet:
    """An orthogonal wavelet's filter bank, e.g. ``Wavelet("db4").dec_lo``.

    dec_lo/dec_hi are the analysis (decomposition) filters, rec_lo/rec_hi the synthesis ones, as lists of floats in
    PyWavelets' order and sign convention.
    """

    __slots__ = ("name", "family_name", "short_family_name", "number", "dec_lo", "dec_hi", "rec_lo", "rec_hi")

    _FULL = {"haar": "Haar", "db": "Daubechies", "sym": "Symlets", "coif": "Coiflets"}

    def __init__(self, name: str):
        if isinstance(name, Wavelet):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f"a wavelet is given by name (str) or Wavelet, got {type(name).__name__}")
        family, order, dec_lo, dec_hi, rec_lo, rec_hi = _core.wavelet_filters(name)
        self.name = name
        self.short_family_name = family
        self.family_name = self._FULL[family]
        self.number = order
        self.dec_lo, self.dec_hi, self.rec_lo, self.rec_hi = dec_lo, dec_hi, rec_lo, rec_hi

    @property
    def dec_len(self) -> int:
        return len(self.dec_lo)

    @property
    def rec_len(self) -> int:
        return len(self.rec_lo)

    @property
    def filter_bank(self) -> tuple[list, list, list, list]:
        return self.dec_lo, self.dec_hi, self.rec_lo, self.rec_hi

    @property
    def orthogonal(self) -> bool:
        return True

    @property
    def biorthogonal(self) -> bool:
        return True

    @property
    def symmetry(self) -> str:
        return {"haar": "asymmetric", "db": "asymmetric", "sym": "near symmetric", "coif": "near symmetric"}[
            self.short_family_name]

    @property
    def vanishing_moments_psi(self) -> int:
        return 2 * self.number if self.short_family_name == "coif" else self.number

    def __repr__(self) -> str:
        return f"Wavelet({self.name!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Wavelet) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _wavelet_name(wavelet) -> str:
    if isinstance(wavelet, Wavelet):
        return wavelet.name
    if isinstance(wavelet, str):
        if wavelet not in _NAMES:
            raise ValueError(
                f"unknown wavelet {wavelet!r}; supported: haar, db1..db20, sym2..sym20, coif1..coif17 (wavelist())")
        return wavelet
    name = getattr(wavelet, "name", None)  # a pywt.Wavelet of a family tsquash has
    if isinstance(name, str):
        return _wavelet_name(name)
    raise TypeError(f"wavelet must be a name (str) or a Wavelet, got {type(wavelet).__name__}")


def _mode(mode) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str, got {type(mode).__name__}")
    if mode not in modes:
        raise ValueError(f"unknown signal extension mode {mode!r}; known modes: {', '.join(modes)}")
    return mode


def _filter_len(filter_len) -> int:
    if isinstance(filter_len, (str, Wavelet)):
        return Wavelet(_wavelet_name(filter_len)).dec_len
    if hasattr(filter_len, "dec_len"):
        return int(filter_len.dec_len)
    n = int(filter_len)
    if n < 2:
        raise ValueError(f"filter_len must be at least 2, got {n}")
    return n


def dwt_coeff_len(data_len: int, filter_len, mode: str = "symmetric") -> int:
    """Coefficients per band of one level: ceil(n / 2) for periodization, floor((n + F - 1) / 2) otherwise."""
    if int(data_len) < 1:
        raise ValueError(f"data_len must be at least 1, got {data_len}")
    return int(_core.wavelet_dwt_coeff_len(int(data_len), _filter_len(filter_len), _mode(mode)))


def dwt_max_level(data_len: int, filter_len) -> int:
    """Deepest useful level: floor(log2(data_len / (F - 1))), 0 when the data is shorter than F - 1."""
    if int(data_len) < 0:
        raise ValueError(f"data_len must be >= 0, got {data_len}")
    return int(_core.wavelet_dwt_max_level(int(data_len), _filter_len(filter_len)))


def _as_real_or_complex(data, what: str) -> np.ndarray:
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        data = data.to_numpy()
    arr = np.asarray(data)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{what}: expected numbers (float, int, bool or complex), got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what}: expected an array, got a scalar")
    return arr


def _check_nan(arr: np.ndarray, nan_policy: str, what: str) -> None:
    if nan_policy == "propagate":
        return
    if nan_policy != "raise":
        raise ValueError(f"nan_policy must be 'propagate' or 'raise', got {nan_policy!r}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        first = np.flatnonzero(~np.isfinite(arr.ravel()))[0]
        raise ValueError(f"{what} holds NaN or infinity (first at flat index {first}); nan_policy='raise'")


def _rows(arr: np.ndarray, axis: int) -> tuple[np.ndarray, tuple]:
    """arr with `axis` moved last, as a C-contiguous float64 (rows, n) array, and the leading shape."""
    moved = np.moveaxis(arr, axis, -1)
    lead = moved.shape[:-1]
    flat = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]), dtype=np.float64)
    return flat, lead


def _unrows(a: np.ndarray, lead: tuple, axis: int, ndim: int) -> np.ndarray:
    return np.moveaxis(a.reshape(*lead, a.shape[-1]), -1, axis if axis >= 0 else ndim + axis)


def _axis(axis: int, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for an array of {ndim} dimension(s)")
    return int(axis) % ndim


def dwt(data, wavelet, mode: str = "symmetric", axis: int = -1, *, nan_policy: str = "propagate"):
    """One analysis level along `axis`: returns (cA, cD)."""
    arr = _as_real_or_complex(data, "data")
    name, mode = _wavelet_name(wavelet), _mode(mode)
    if arr.dtype.kind == "c":
        ra, rd = dwt(arr.real, name, mode, axis, nan_policy=nan_policy)
        ia, id_ = dwt(arr.imag, name, mode, axis, nan_policy=nan_policy)
        return ra + 1j * ia, rd + 1j * id_
    ax = _axis(axis, arr.ndim)
    if arr.shape[ax] == 0:
        raise ValueError("data is empty along the transform axis: a wavelet transform needs at least one sample")
    _check_nan(arr, nan_policy, "data")
    rows, lead = _rows(arr, ax)
    ca, cd = _core.wavelet_dwt(rows, name, mode)
    return _unrows(ca, lead, ax, arr.ndim), _unrows(cd, lead, ax, arr.ndim)


def idwt(cA, cD, wavelet, mode: str = "symmetric", axis: int = -1):
    """One synthesis level along `axis` from cA and cD of the same shape (either may be None: zeros)."""
    if cA is None and cD is None:
        raise ValueError("idwt: cA and cD cannot both be None")
    a = None if cA is None else _as_real_or_complex(cA, "cA")
    d = None if cD is None else _as_real_or_complex(cD, "cD")
    name, mode = _wavelet_name(wavelet), _mode(mode)
    if (a is not None and a.dtype.kind == "c") or (d is not None and d.dtype.kind == "c"):
        re = idwt(None if a is None else a.real, None if d is None else d.real, name, mode, axis)
        im = idwt(None if a is None else a.imag, None if d is None else d.imag, name, mode, axis)
        return re + 1j * im
    if a is not None and d is not None and a.shape != d.shape:
        raise ValueError(f"idwt: cA {a.shape} and cD {d.shape} must have the same shape")
    ref = a if a is not None else d
    ax = _axis(axis, ref.ndim)
    if ref.shape[ax] == 0:
        raise ValueError("idwt: the coefficient arrays are empty")
    ra, lead = _rows(a, ax) if a is not None else (None, None)
    rd, lead2 = _rows(d, ax) if d is not None else (None, None)
    y = _core.wavelet_idwt(ra, rd, name, mode)
    return _unrows(y, lead if lead is not None else lead2, ax, ref.ndim)


def _check_level(level, data_len: int, filter_len: int) -> int:
    max_level = int(_core.wavelet_dwt_max_level(data_len, filter_len))
    if level is None:
        return max_level
    if not isinstance(level, (int, np.integer)) or isinstance(level, bool):
        raise TypeError(f"level must be an int or None, got {type(level).__name__}")
    if level < 0:
        raise ValueError(f"level must be >= 0, got {level}")
    if level > max_level:
        warnings.warn(
            f"level {level} is too high for {data_len} samples and a filter of length {filter_len} (max "
            f"{max_level}): all coefficients of the deepest levels see the boundary extension",
            UserWarning, stacklevel=3)
    return int(level)


def wavedec(data, wavelet, mode: str = "symmetric", level: int | None = None, axis: int = -1, *,
            nan_policy: str = "propagate") -> list[np.ndarray]:
    """Multilevel decomposition along `axis`: [cA_level, cD_level, ..., cD_1] (PyWavelets' order).

    level=None means dwt_max_level(n, filter length). The argument order is PyWavelets' (data, wavelet, mode,
    level, axis), so positional calls port unchanged.
    """
    arr = _as_real_or_complex(data, "data")
    name, mode = _wavelet_name(wavelet), _mode(mode)
    if arr.dtype.kind == "c":
        re = wavedec(arr.real, name, mode, level, axis, nan_policy=nan_policy)
        im = wavedec(arr.imag, name, mode, level, axis, nan_policy=nan_policy)
        return [r + 1j * i for r, i in zip(re, im)]
    ax = _axis(axis, arr.ndim)
    n = arr.shape[ax]
    if n == 0:
        raise ValueError("data is empty along the transform axis: a wavelet transform needs at least one sample")
    level = _check_level(level, n, Wavelet(name).dec_len)
    _check_nan(arr, nan_policy, "data")
    rows, lead = _rows(arr, ax)
    bands = _core.wavelet_wavedec(rows, name, mode, level)
    return [_unrows(b, lead, ax, arr.ndim) for b in bands]


def waverec(coeffs: Sequence, wavelet, mode: str = "symmetric", axis: int = -1) -> np.ndarray:
    """Multilevel reconstruction from [cA_n, cD_n, ..., cD_1] along `axis`.

    As in PyWavelets, an approximation one longer than the detail band it pairs with is trimmed by one (this
    happens for odd lengths), and the result can be one sample longer than the original signal.
    """
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) == 0:
        raise ValueError("waverec: coeffs must be a non-empty list [cA_n, cD_n, ..., cD_1]")
    arrs = [_as_real_or_complex(c, f"coeffs[{i}]") for i, c in enumerate(coeffs)]
    name, mode = _wavelet_name(wavelet), _mode(mode)
    if any(a.dtype.kind == "c" for a in arrs):
        re = waverec([a.real for a in arrs], name, mode, axis)
        im = waverec([a.imag for a in arrs], name, mode, axis)
        return re + 1j * im
    ndim = arrs[0].ndim
    if any(a.ndim != ndim for a in arrs):
        raise ValueError("waverec: all coefficient arrays must have the same number of dimensions")
    ax = _axis(axis, ndim)
    lead_shapes = {np.delete(np.array(a.shape), ax).tobytes() for a in arrs}
    if len(lead_shapes) != 1:
        raise ValueError("waverec: the coefficient arrays differ in shape outside the transform axis")
    if any(a.shape[ax] == 0 for a in arrs):
        raise ValueError("waverec: a coefficient array is empty")
    pairs = [_rows(a, ax) for a in arrs]
    y = _core.wavelet_waverec([p[0] for p in pairs], name, mode)
    return _unrows(y, pairs[0][1], ax, ndim)


def analysis_matrix(n: int, wavelet, mode: str = "symmetric", level: int = 1) -> np.ndarray:
    """The multilevel analysis as a dense matrix A (coefficients x n): np.concatenate(wavedec(x)) == A @ x."""
    return _core.wavelet_matrix(int(n), _wavelet_name(wavelet), _mode(mode), int(level), False)


def synthesis_matrix(n: int, wavelet, mode: str = "symmetric", level: int = 1) -> np.ndarray:
    """The multilevel synthesis as a dense matrix S (n x coefficients): waverec(c)[:n] == S @ concatenate(c)."""
    return _core.wavelet_matrix(int(n), _wavelet_name(wavelet), _mode(mode), int(level), True)


class StreamingDwt:
    """Multilevel DWT of a series that arrives in pieces; the concatenated outputs equal ``wavedec`` of the whole.

        >>> s = StreamingDwt("db4", level=2)
        >>> parts = [s.push(chunk) for chunk in np.array_split(x, 10)] + [s.finish()]
        >>> bands = [np.concatenate([p[b] for p in parts]) for b in range(3)]   # == wavedec(x, "db4", level=2)

    Each push/finish returns the newly final coefficients per band, in wavedec's order [cA_level, cD_level, ...,
    cD_1]. Modes: every mode except periodic and periodization (those need the end of the series to produce
    the first coefficient). ``state()`` is bytes that ``StreamingDwt.restore`` turns back into the same stream,
    for checkpointing (Kafka, Flink).
    """

    def __init__(self, wavelet, level: int, mode: str = "symmetric", *, nan_policy: str = "propagate"):
        if nan_policy not in ("propagate", "raise"):
            raise ValueError(f"nan_policy must be 'propagate' or 'raise', got {nan_policy!r}")
        if not isinstance(level, (int, np.integer)) or isinstance(level, bool):
            raise TypeError(f"level must be an int, got {type(level).__name__}")
        self._s = _core.WaveletStream(_wavelet_name(wavelet), _mode(mode), int(level))
        self.nan_policy = nan_policy

    @classmethod
    def restore(cls, state: bytes, *, nan_policy: str = "propagate") -> "StreamingDwt":
        if not isinstance(state, (bytes, bytearray, memoryview)):
            raise TypeError(f"state must be bytes, got {type(state).__name__}")
        obj = cls.__new__(cls)
        obj._s = _core.WaveletStream.restore(bytes(state))
        obj.nan_policy = nan_policy
        return obj

    def push(self, values) -> list[np.ndarray]:
        arr = _as_real_or_complex(values, "values")
        if arr.dtype.kind == "c":
            raise TypeError("StreamingDwt takes real values")
        if arr.ndim != 1:
            raise ValueError(f"values: expected a 1-D array, got shape {arr.shape}")
        _check_nan(arr, self.nan_policy, "values")
        return list(self._s.push(np.ascontiguousarray(arr, dtype=np.float64)))

    def finish(self) -> list[np.ndarray]:
        return list(self._s.finish())

    def state(self) -> bytes:
        return self._s.state()

    @property
    def wavelet(self) -> str:
        return self._s.wavelet

    @property
    def mode(self) -> str:
        return self._s.mode

    @property
    def level(self) -> int:
        return self._s.level

    @property
    def samples_in(self) -> int:
        return self._s.samples_in

    @property
    def finished(self) -> bool:
        return self._s.finished


def _concat(parts: Iterable[list[np.ndarray]], nbands: int) -> list[np.ndarray]:
    parts = list(parts)
    return [np.concatenate([p[b] for p in parts]) for b in range(nbands)]
