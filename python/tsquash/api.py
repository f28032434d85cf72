"""Whole-array encode / decode."""
from __future__ import annotations

import numpy as np

from . import _core
from ._arrays import as_values


def available_codecs() -> list[dict]:
    """Every codec with its numeric id, summary, supported dtypes and parameters (name, range, default)."""
    return _core.codecs()


def _threads(n_threads) -> int:
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive integer, got {n_threads!r}")
    return int(n_threads)


def encode(values, codec: str = "chimp128", *, n_threads: int = 1, **params) -> bytes:
    """Compress a 1-D float64, float32 or integer array (or pandas Series) into self-describing bytes.

    ``codec`` is one of :func:`available_codecs` (``raw``, ``gorilla``, ``chimp``, ``chimp128``, ``tsxor``,
    ``fpc``, ``alp``, ``auto``); ``params`` are that codec's parameters, e.g. ``encode(x, "tsxor", window=64)``.
    ``auto`` picks the smallest method per block of 1024 values and is usually the smallest overall; ``alp``
    is its fast subset. Integer input (timestamps, counts; int8 to int64, uint8 to uint64) is delta-of-delta
    coded by ``gorilla`` and delta/FOR coded by ``alp`` and ``auto``, as int64 values (narrower integers
    widened, uint64 as its bit patterns); ``raw`` keeps each dtype's own width. Decoding gives back the
    dtype that was encoded.

    ``n_threads`` spreads the work of ``alp`` and ``auto`` over up to that many threads (row groups of
    65,536 values, the entropy models, the blocks); the bytes are the same for any count and the count is
    not stored. The other codecs are sequential and ignore it.
    """
    return _core.encode(as_values(values), codec, params, _threads(n_threads))


def _index(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer or None, got {value!r}")
    return int(value)


def decode(blob, out: np.ndarray | None = None, *, n_threads: int = 1, start: int | None = None,
           stop: int | None = None) -> np.ndarray:
    """Decompress bytes made by :func:`encode`; bit-exact. Raises :class:`tsquash.CorruptStreamError`
    (a ``ValueError``) for truncated or corrupted bytes.

    ``start`` and ``stop`` pick the values ``[start, stop)`` as a slice of the whole array would (negative
    ones count from the end; both are clipped to the stream). ``alp`` and ``auto`` streams then decode only
    the blocks of 1024 values that hold them, whatever their position; the other codecs are sequential and
    decode the values before ``start`` too.

    With ``out``, the values are written into that array (same dtype, as many elements, any shape) and it is
    returned; a C-contiguous ``out`` is decoded into directly, without a temporary array. The stream's
    checksum is verified before anything is written, so a corrupted stream leaves ``out`` as it was (only
    a stream forged with a valid checksum could leave it partly written).
    ``n_threads`` decodes the blocks of ``alp`` and ``auto`` streams on up to that many threads.

        >>> import numpy as np, tsquash
        >>> blob = tsquash.encode(np.arange(10_000) * 0.5, "auto")
        >>> tsquash.decode(blob, start=5000, stop=5003)
        array([2500. , 2500.5, 2501. ])
    """
    threads = _threads(n_threads)
    first, last = _index("start", start), _index("stop", stop)
    if first is None and last is None:
        begin, count = 0, None
    else:
        # The count from the header alone; the checksum is verified when the values are decoded.
        begin, end, _ = slice(first, last).indices(_core.info(blob)["count"])
        count = max(end - begin, 0)
    if out is None:
        return _core.decode(blob, threads, begin, count)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.flags.c_contiguous and out.flags.writeable:
        _core.decode_into(blob, out.reshape(-1), threads, begin, count)
        return out
    values = _core.decode(blob, threads, begin, count)
    if out.dtype != values.dtype or out.size != values.size:
        raise ValueError(f"out has {out.size} x {out.dtype}, the values asked for are {values.size} x {values.dtype}")
    out[...] = values.reshape(out.shape)
    return out


def info(blob) -> dict:
    """The stream header: codec, format version, dtype, count, params, header and payload sizes."""
    return _core.info(blob)


def block_choices(blob) -> dict:
    """What the encoder of an ``alp`` or ``auto`` stream chose, read from its framing (no block is decoded).

    Returns ``blocks`` (their count), ``methods`` (blocks per method: ``alp`` decimals, ``alp_exc`` decimals
    whose exceptions (NaN gaps) are coded as streams, ``alp_rd`` high-precision split, ``delta`` integer
    deltas, ``rle`` runs, ``dict`` series dictionary, ``float32`` float32-derived doubles, ``sig`` significant
    digits, ``sig_exc`` the same with its exceptions as streams, ``stride`` interleaved channels, ``sparse``
    mostly zeros, ``near`` decimals a few units in the last place off, ``raw``),
    ``per_block`` (each block's method, in order), ``dictionary_entries``, ``entropy_tables`` and ``reference_period`` (0 where the stream has no
    series dictionary, entropy stage or series reference). The checksum is verified first; other codecs
    raise ``ValueError``, corrupted bytes :class:`tsquash.CorruptStreamError`.

        >>> import numpy as np, tsquash
        >>> tsquash.block_choices(tsquash.encode(np.zeros(3000), "auto"))["methods"]
        {'alp': 3}
    """
    return _core.block_choices(blob)
