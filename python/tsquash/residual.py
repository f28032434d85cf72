"""Error-bounded residual correction: whatever a model reconstructs, store k = round((x - recon) / (2 eps)) as
integers so that recon + 2 eps k is within eps of x, and keep the values where floating-point rounding (or a
non-finite input) would break that as exact exceptions.

The encoder computes the output exactly as the decoder does (same expression, dtype and order), so the bound is
checked on the very values the user gets back. A guard band (``guard``) leaves room for a model whose output
differs in the last bits on another machine (float32 kernels, other BLAS).
"""
from __future__ import annotations

import numpy as np

from . import api
from ._core import CorruptStreamError

# Largest |k| stored as a correction; beyond it (absurd model output) the value becomes an exception.
_K_LIMIT = 2.0**50


def encode(x: np.ndarray, recon: np.ndarray, eps: np.ndarray, dtypes: list[str], order: str,
           codec: str = "auto") -> tuple[dict[str, bytes], dict]:
    """x, recon: (n, m) float64 (x may hold NaN / inf). eps: (m,) bounds already reduced by any guard band.
    dtypes: output dtype per column (or one for all). order: 'F' (column by column) or 'C' (row by row), the
    order the integer stream is laid out in. Returns (sections, meta)."""
    step = 2.0 * eps
    with np.errstate(all="ignore"):
        k = np.rint((x - recon) / step)
    bad = ~np.isfinite(k) | (np.abs(k) > _K_LIMIT)
    k[bad] = 0.0
    k = k.astype(np.int64)
    out = _apply(recon, k, step, dtypes)
    with np.errstate(invalid="ignore"):
        ok = np.abs(out - x) <= eps
    exceptions = np.flatnonzero(~ok.reshape(-1, order=order))
    flat_x = x.reshape(-1, order=order)
    sections = {
        "corrections": api.encode(np.ascontiguousarray(k.reshape(-1, order=order)), codec),
        "exception_positions": api.encode(exceptions.astype(np.int64), "auto"),
        "exception_values": api.encode(np.ascontiguousarray(flat_x[exceptions]), "raw"),
    }
    return sections, {"step": compact(step), "order": order, "exceptions": int(exceptions.size)}


def compact(values: np.ndarray):
    """One number when all columns share it (frames: thousands of pixel columns), else the list."""
    values = np.asarray(values, dtype=np.float64)
    if values.size and (values == values.flat[0]).all():
        return float(values.flat[0])
    return values.tolist()


def expand(value, m: int) -> np.ndarray:
    """Inverse of :func:`compact` for m columns; ValueError when the stored list has another length."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(m, float(arr))
    if arr.shape != (m,):
        raise ValueError(f"{arr.size} per-column values for {m} columns")
    return arr


def decode(recon: np.ndarray, sections: dict, meta: dict, dtypes: list[str]) -> np.ndarray:
    """The corrected (n, m) values, column dtypes applied and returned as float64 (the caller casts)."""
    n, m = recon.shape
    try:
        step = expand(meta["step"], m)
        order = meta["order"]
        if order not in ("C", "F"):
            raise ValueError
        k = api.decode(sections["corrections"])
        pos = api.decode(sections["exception_positions"])
        vals = api.decode(sections["exception_values"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptStreamError(f"compressed data: malformed residual section ({exc})") from None
    if k.dtype != np.int64 or k.size != n * m or pos.dtype != np.int64 or vals.dtype != np.float64 \
            or pos.size != vals.size or (pos.size and (pos.min() < 0 or pos.max() >= n * m)):
        raise CorruptStreamError("compressed data: residual sections do not match the data shape")
    out = _apply(recon, k.reshape((n, m), order=order), step, dtypes)
    flat = out.reshape(-1, order=order).copy()
    flat[pos] = vals
    return flat.reshape((n, m), order=order)


def _apply(recon: np.ndarray, k: np.ndarray, step: np.ndarray, dtypes: list[str]) -> np.ndarray:
    """recon + k * step, rounded through each column's output dtype, as float64."""
    out = recon + k * step
    if len(dtypes) == 1:
        return _through(out, dtypes[0])
    for j, dt in enumerate(dtypes):
        out[:, j] = _through(out[:, j], dt)
    return out


def _through(v: np.ndarray, dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt == np.float64:
        return v
    if dt.kind == "f":
        with np.errstate(over="ignore"):
            return v.astype(dt).astype(np.float64)
    if dt.kind == "b":
        return (np.rint(v) != 0).astype(np.float64)
    info = np.iinfo(dt)
    return np.clip(np.rint(v), info.min, info.max)
