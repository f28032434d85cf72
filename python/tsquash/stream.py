"""Streaming use: push values as they arrive, decode a stream piece by piece."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from . import _core
from ._arrays import SUPPORTED

_DTYPES = tuple(d.name for d in SUPPORTED)


def _casts_exactly(arr: np.ndarray, dtype: np.dtype) -> bool:
    """Whether every value of a numeric array survives the cast to dtype bit for bit: compared as bit
    patterns after a round trip, so a NaN payload float32 cannot hold or a quieted signalling NaN counts
    as a change; unsigned values above the int64 range would wrap to negatives, which a round trip hides."""
    with np.errstate(all="ignore"):
        back = arr.astype(dtype).astype(arr.dtype)
    as_bits = np.dtype(f"u{arr.dtype.itemsize}").newbyteorder(arr.dtype.byteorder)
    if not np.array_equal(back.view(as_bits), arr.view(as_bits)):
        return False
    if arr.dtype.kind == "u" and dtype.kind == "i" and arr.size:
        return int(arr.max()) <= np.iinfo(dtype).max
    return True


class StreamEncoder:
    """Append values one at a time or in batches, then ``finish()`` for the complete stream.

        >>> enc = StreamEncoder("gorilla")
        >>> for v in (1.0, 1.5, 1.5):
        ...     enc.push(v)
        >>> blob = enc.finish()

    The result is byte-for-byte what :func:`tsquash.encode` gives for the same values.
    """

    def __init__(self, codec: str = "chimp128", dtype="float64", **params):
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in _DTYPES:
            raise TypeError(f"dtype must be one of {', '.join(_DTYPES)}, got {self.dtype}")
        self.codec = codec
        self._enc = _core.Encoder(codec, self.dtype.name, params)

    def push(self, values) -> None:
        """Append one value or a 1-D array of values (converted to the encoder's dtype if they are numbers
        that dtype represents exactly; anything else is an error)."""
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.dtype != self.dtype:
            if arr.dtype.kind not in "fiu" or not _casts_exactly(arr, self.dtype):
                raise TypeError(f"cannot store {arr.dtype} values exactly as {self.dtype}")
            arr = arr.astype(self.dtype)
        self._enc.push(np.ascontiguousarray(arr))

    def finish(self) -> bytes:
        """Close the stream and return its bytes; the encoder cannot be used afterwards."""
        return self._enc.finish()

    @property
    def count(self) -> int:
        return self._enc.count


class StreamDecoder:
    """Read a stream in pieces: ``read(n)`` returns up to n values; iterating yields chunks.

    The header and the payload checksum are verified when the decoder is created.
    """

    def __init__(self, blob, chunk: int = 65536):
        self._dec = _core.Decoder(blob)
        self._chunk = chunk

    @property
    def header(self) -> dict:
        return self._dec.header

    @property
    def remaining(self) -> int:
        return self._dec.remaining

    def read(self, n: int | None = None) -> np.ndarray:
        return self._dec.read(n)

    def skip(self, n: int) -> int:
        """Pass over up to ``n`` values; returns how many were passed over. ``alp`` and ``auto`` streams
        decode none of them (reading goes on from the block that holds the next value); the other codecs
        decode them and drop them."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n must be an integer, got {n!r}")
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        return self._dec.skip(int(n))

    def seek(self, position: int) -> None:
        """Go to value ``position`` (0 to the count; negative ones count from the end), forwards or backwards,
        so that ``read`` goes on from there. ``alp`` and ``auto`` streams move at once, and reads after it
        decode only the blocks they need; the other codecs decode up to the position, from the start when
        going back. The checksum was verified once, when the decoder was made: for many reads at random
        places, one decoder and ``seek`` cost less than a ``decode(blob, start=, stop=)`` each."""
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
            raise TypeError(f"position must be an integer, got {position!r}")
        count = self.header["count"]
        target = int(position) + count if position < 0 else int(position)
        if not 0 <= target <= count:
            raise ValueError(f"position {position} is outside a stream of {count} values")
        self._dec.seek(target)

    @property
    def position(self) -> int:
        """The next value ``read`` returns, counted from the start."""
        return self._dec.position

    def __iter__(self) -> Iterator[np.ndarray]:
        while self._dec.remaining:
            yield self._dec.read(self._chunk)
