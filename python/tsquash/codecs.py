"""Codec objects: parameters as attributes, ``encode`` / ``decode``, and a numcodecs-style config.

    >>> from tsquash.codecs import TSXor
    >>> c = TSXor(window=64)
    >>> c.window
    64

They follow the numcodecs codec protocol (``codec_id``, ``get_config``, ``from_config``, ``decode(buf,
out)``) so :mod:`tsquash.numcodecs_ext` only has to mix in numcodecs' base class; pickling works because a
codec is nothing but its parameters.
"""
from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import as_values
from .api import decode as _decode
from .stream import StreamEncoder

_SPECS = {spec["name"]: spec for spec in _core.codecs()}


class Codec:
    """Base class: subclasses set ``name``; parameters come from the C++ codec registry."""

    name: str = ""

    def __init__(self, **params):
        spec = _SPECS[self.name]
        known = {p["name"]: p for p in spec["params"]}
        for key in params:
            if key not in known:
                raise TypeError(f"{type(self).__name__}() got an unexpected parameter {key!r}; takes: {list(known)}")
        for key, p in known.items():
            value = params.get(key, p["default"])
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{type(self).__name__}: {key} must be an int, got {value!r}")
            if not p["min"] <= int(value) <= p["max"]:
                raise ValueError(f"{type(self).__name__}: {key} must be in {p['min']}..{p['max']}, got {value}")
            setattr(self, key, int(value))

    @property
    def codec_id(self) -> str:
        return f"tsquash.{self.name}"

    @property
    def params(self) -> dict:
        return {p["name"]: getattr(self, p["name"]) for p in _SPECS[self.name]["params"]}

    def encode(self, values) -> bytes:
        """Compress a float64/float32 array (integers of 8 to 64 bits for gorilla, raw, alp and auto).
        Multi-dimensional C-contiguous arrays are flattened (their shape is the caller's to keep, as with any
        numcodecs codec); untyped buffers (bytes, bytearray) are uint8 values."""
        if isinstance(values, bytes):  # numpy reads bytes as one string; numcodecs callers mean the bytes
            values = np.frombuffer(values, dtype=np.uint8)
        arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
        if arr.ndim > 1 and (arr.flags.c_contiguous or arr.flags.f_contiguous):
            arr = arr.reshape(-1, order="A")  # memory order, as numcodecs codecs see a chunk's buffer
        return _core.encode(as_values(arr), self.name, self.params)

    def decode(self, buf, out=None):
        """Decompress to a new array, or into ``out`` (an array or writable buffer of the right size)."""
        values = _decode(buf)
        if out is None:
            return values
        if isinstance(out, np.ndarray):
            if not (out.flags.c_contiguous or out.flags.f_contiguous):
                raise ValueError("out must be a contiguous array")
            # A view in memory order for C and F layouts alike (a plain reshape(-1) copies F arrays).
            target = out.reshape(-1, order="A").view(np.uint8)
        else:
            target = np.frombuffer(memoryview(out).cast("B"), dtype=np.uint8)
        raw = values.view(np.uint8)
        if target.nbytes != raw.nbytes:
            raise ValueError(f"out has {target.nbytes} bytes, the stream decodes to {raw.nbytes}")
        target[:] = raw
        return out

    def encoder(self, dtype="float64") -> StreamEncoder:
        """A streaming encoder with this codec's parameters: push values, then finish()."""
        return StreamEncoder(self.name, dtype=dtype, **self.params)

    def get_config(self) -> dict:
        return {"id": self.codec_id, **self.params}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config.pop("id", None)
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.params == other.params

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.params.items()))))

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


class Raw(Codec):
    """No compression: little-endian values. A baseline and a fallback."""

    name = "raw"


class Gorilla(Codec):
    """Gorilla (VLDB 2015): XOR with the previous value; integers (timestamps) use delta-of-delta."""

    name = "gorilla"


class Chimp(Codec):
    """Chimp (VLDB 2022): XOR with the previous value, flags that exploit trailing zeros."""

    name = "chimp"


class Chimp128(Codec):
    """Chimp128 (VLDB 2022): Chimp with the best reference among the last 128 values."""

    name = "chimp128"


class TSXor(Codec):
    """TSXor (SPIRE 2021): byte-aligned reference / XOR / exception over a window of ``window`` values."""

    name = "tsxor"

    def __init__(self, window: int = 127):
        super().__init__(window=window)


class FPC(Codec):
    """FPC (IEEE TC 2009): FCM and DFCM predictors with 2**table_log2 entries each."""

    name = "fpc"

    def __init__(self, table_log2: int = 16):
        super().__init__(table_log2=table_log2)


class Alp(Codec):
    """Decimal-aware blocks of 1024 (ALP, SIGMOD 2024): decimals become exact integers, frame of reference and
    bit packing; a left-part dictionary for high-precision values; deltas for integers. Fast to decode."""

    name = "alp"


class Auto(Codec):
    """Per block of 1024 values, the smallest of: decimal (ALP), high precision, integer deltas, runs, a series
    dictionary, float32-derived doubles, raw; integer streams entropy-coded where that pays."""

    name = "auto"


ALL = {cls.name: cls for cls in (Raw, Gorilla, Chimp, Chimp128, TSXor, FPC, Alp, Auto)}


def get(name: str, **params) -> Codec:
    """The codec object for a name, e.g. ``get("tsxor", window=64)``."""
    try:
        return ALL[name](**params)
    except KeyError:
        raise ValueError(f"unknown codec {name!r} (known: {', '.join(ALL)})") from None
