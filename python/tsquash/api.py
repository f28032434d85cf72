"""Whole-array encode / decode."""
from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import as_values


def available_codecs() -> list[dict]:
    """Every codec with its numeric id, summary, supported dtypes and parameters (name, range, default)."""
    return _core.codecs()


def encode(values, codec: str = "chimp128", **params) -> bytes:
    """Compress a 1-D float64, float32 or int64 array (or pandas Series) into self-describing bytes.

    ``codec`` is one of :func:`available_codecs` (``raw``, ``gorilla``, ``chimp``, ``chimp128``, ``tsxor``,
    ``fpc``, ``alp``, ``auto``); ``params`` are that codec's parameters, e.g. ``encode(x, "tsxor", window=64)``.
    ``auto`` picks the smallest method per block of 1024 values and is usually the smallest overall; ``alp``
    is its fast subset. int64 input (timestamps) is delta-of-delta coded by ``gorilla`` and delta/FOR coded
    by ``alp`` and ``auto``.
    """
    return _core.encode(as_values(values), codec, params)


def decode(blob, out: np.ndarray | None = None) -> np.ndarray:
    """Decompress bytes made by :func:`encode`; bit-exact. Raises :class:`tsquash.CorruptStreamError`
    (a ``ValueError``) for truncated or corrupted bytes.

    With ``out``, the values are written into that array (same dtype, as many elements) and it is returned.
    """
    values = _core.decode(blob)
    if out is None:
        return values
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.dtype != values.dtype or out.size != values.size:
        raise ValueError(f"out has {out.size} x {out.dtype}, the stream holds {values.size} x {values.dtype}")
    out[...] = values.reshape(out.shape)
    return out


def info(blob) -> dict:
    """The stream header: codec, format version, dtype, count, params, header and payload sizes."""
    return _core.info(blob)
