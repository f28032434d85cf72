"""Downsampling by keeping wavelet coefficients: plain top-k by magnitude, and a learned position predictor.

    >>> import numpy as np
    >>> from tsquash.wavelet_downsample import WaveletTopK
    >>> x = np.cumsum(np.random.default_rng(0).normal(size=10_000))
    >>> small = WaveletTopK("db4").downsample(x, budget=0.05)   # 5 % of len(x), positions counted
    >>> small.n_stored <= 500, small.reconstruct().shape
    (True, (10000,))

Both keep the approximation band of a multilevel DWT (``periodization`` mode: an orthogonal transform with
exactly ``len(x)`` coefficients, so the squared reconstruction error is the energy of the dropped
coefficients) and a subset of the detail coefficients. ``n_stored`` counts stored numbers the way tsquash's
evaluation does: one per approximation coefficient (its position is implied), two per kept detail
coefficient whose position is stored, one per coefficient whose position the decoder predicts, and every
header number. ``reconstruct()`` gives ``len(x)`` plottable float64 values.

:class:`WaveletTopK` keeps the detail coefficients of largest magnitude (optionally weighted per level), over
the whole series or per window; its result is a :class:`DownsampledSeries`. For a given number of kept
coefficients this is the lowest RMSE there is, but each coefficient costs a stored position.
:class:`LearnedDownsampler` makes most positions free: a small Transformer (two attention layers, a
feed-forward network and a head, C++ with LibTorch) predicts from a window's approximation band, and then
from the values decoded in a first pass, which detail coefficients are large; the decoder runs the same
model, so those coefficients cost one stored number. The encoder adds explicit (position, value) pairs and
picks per window the split with the lowest error; its result is a :class:`PredictedSeries`. See
docs/downsampling.md.
"""
from __future__ import annotations

import json
import numbers
import os
import struct
import warnings
import zlib
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from . import wavelet as _wt
from ._core import CorruptStreamError
from .errors import ModelMismatchError
from ._validate import positive_int, torch_threads

__all__ = ["DownsampledSeries", "LearnedDownsampler", "LearnedStream", "PredictedSeries", "WaveletTopK",
           "NotTrainedError"]

_MODE = "periodization"
_SERIES_MAGIC = b"TSQD"
_SERIES_VERSION = 1
_MODEL_MAGIC = b"TSQL"
_MODEL_VERSION = 2
_STATE_MAGIC = b"TSQR"
_STATE_VERSION = 2


class NotTrainedError(ValueError):
    """The learned downsampler has not been trained or loaded."""


# ---------------------------------------------------------------------------------------------- validation


def _series(x, name: str = "x") -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds NaN or infinite values at {int(np.flatnonzero(~np.isfinite(arr))[0])} "
                         "(drop or fill them first)")
    return arr


def _fraction(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    if not 0 < v < 1:
        raise ValueError(f"{name} must be in (0, 1), got {v}")
    return float(v)


def _wavelet_name(wavelet) -> str:
    if not isinstance(wavelet, str):
        raise TypeError(f"wavelet must be a name such as 'db4', got {type(wavelet).__name__}")
    if wavelet not in _wt.wavelist():
        raise ValueError(f"unknown wavelet {wavelet!r} (see tsquash.wavelet.wavelist())")
    return wavelet


def _budget_to_k(budget, n: int, n_approx: int, level: int) -> int:
    """Detail coefficients affordable when budget * n numbers may be stored, two per detail coefficient."""
    budget = _fraction(budget, "budget")
    k = int(np.floor((budget * n - n_approx) / 2))
    if k < 0:
        raise ValueError(f"budget {budget} allows {budget * n:.0f} stored numbers, but the approximation band at level "
                         f"{level} alone holds {n_approx}: use a deeper level (or a larger budget)")
    return k


def level_for_budget(budget: float, window: Optional[int] = None) -> int:
    """The level whose approximation band takes at most half of the budget (the rest goes to details).

    On the held-out windows of the evaluation (docs/downsampling.md) this rule's NRMSE is within 2-4 % of
    picking the best level per window at budgets of 1-10 %, and 14 % above it at 20 %. With a window, the
    level is capped so that the approximation keeps at least one coefficient per window.
    """
    budget = _fraction(budget, "budget")
    level = 1
    while 2.0 ** -level > budget / 2:
        level += 1
    if window is not None:
        level = min(level, int(np.log2(window)))
    return level


def _wavedec(rows: np.ndarray, wavelet: str, level: int) -> list:
    # Levels past dwt_max_level are intended here: in periodization mode the deep bands wrap around the
    # window instead of seeing an artificial extension, and a window keeps at least one approximation value.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _wt.wavedec(rows, wavelet, _MODE, level, axis=-1)


def _pad_to_windows(x: np.ndarray, window: int) -> np.ndarray:
    """x as (n_windows, window) rows; a short last window is completed by mirroring its end."""
    n_win = -(-len(x) // window)
    pad = n_win * window - len(x)
    if pad:
        x = np.pad(x, (0, pad), mode="symmetric" if len(x) >= pad else "edge")
    return x.reshape(n_win, window)


def _topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, ascending; ties go to the lower index."""
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k >= scores.size:
        return np.arange(scores.size, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")[:k]
    return np.sort(order).astype(np.int64)


# ---------------------------------------------------------------------------------------------- result


def _check_pieces(parts, layout, differ: str):
    """Checks that consecutive pieces of a stream can be joined: some, whole windows but the last, the same
    layout(piece) everywhere (else ValueError(differ)). Returns the first."""
    if not parts:
        raise ValueError("nothing to concatenate")
    for p in parts[:-1]:
        if p.n % p.window:
            raise ValueError("only the last piece may end with a partial window")
    first = layout(parts[0])
    if any(layout(p) != first for p in parts[1:]):
        raise ValueError(differ)
    return parts[0]


def _open_frame(data, magic: bytes, version: int, what: str, prefix: int, fixed: int):
    """The frame every downsampled-series format shares: 4 magic bytes, a version byte, ``prefix`` more bytes
    of which the last is the wavelet name's length, the name, ``fixed`` header bytes, ..., a CRC-32 of all
    before it. Checks magic, length, version and checksum; returns (bytes, fail, prefix bytes, wavelet name,
    offset after the name), ``fail(why)`` raising CorruptStreamError."""
    b = bytes(data)

    def fail(why: str):
        raise CorruptStreamError(f"{what} bytes: {why}")

    if len(b) < 4 or b[:4] != magic:
        fail(f"not a tsquash {what} (bad magic)")
    head = 5 + prefix
    if len(b) < head + fixed + 4:
        fail("truncated")
    if b[4] == 0 or b[4] > version:
        fail(f"format version {b[4]} is not supported (this tsquash reads up to {version})")
    if zlib.crc32(b[:-4]) != struct.unpack("<I", b[-4:])[0]:
        fail("checksum mismatch")
    at = head + b[head - 1]
    if len(b) < at + fixed + 4:
        fail("truncated")
    try:
        name = b[head:at].decode()
    except UnicodeDecodeError:
        fail("wavelet name is not text")
    return b, fail, b[5:head], name, at


class DownsampledSeries:
    """What a wavelet downsampler stores: the approximation band, kept detail values and their positions.

    ``window`` is None for a transform of the whole series; otherwise the series was cut into windows of that
    many samples (the last one completed by mirroring), each transformed on its own, and ``approx`` holds each
    window's approximation in turn. ``positions`` index the detail coefficients (each window's detail bands in
    wavedec order [cD_level, ..., cD_1], window after window).
    """

    def __init__(self, n: int, wavelet: str, level: int, window: Optional[int], approx: np.ndarray,
                 positions: np.ndarray, values: np.ndarray):
        self.n = int(n)
        self.wavelet = wavelet
        self.level = int(level)
        self.window = None if window is None else int(window)
        self.approx = np.ascontiguousarray(approx, dtype=np.float64)
        self.positions = np.ascontiguousarray(positions, dtype=np.int64)
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self._lengths = self._band_lengths()
        n_detail = self._n_windows() * (sum(self._lengths) - self._lengths[0])
        if len(self.approx) != self._n_windows() * self._lengths[0]:
            raise ValueError("approximation band has the wrong length for n, level and window")
        if len(self.positions) != len(self.values):
            raise ValueError("positions and values differ in length")
        if len(self.positions) and (self.positions[0] < 0 or self.positions[-1] >= n_detail
                                    or np.any(np.diff(self.positions) <= 0)):
            raise ValueError("positions must be increasing and within the detail coefficients")

    def _n_windows(self) -> int:
        return 1 if self.window is None else -(-self.n // self.window)

    def _band_lengths(self) -> list:
        # Periodization halves each level rounding up: [cA_L, cD_L, ..., cD_1] without transforming anything
        # (a corrupted length must not allocate).
        m = self.n if self.window is None else self.window
        details = []
        for _ in range(self.level):
            m = -(-m // 2)
            details.append(m)
        return [m] + details[::-1]

    @property
    def n_stored(self) -> int:
        """Stored numbers as the evaluation counts them: approximation values + kept values + their positions."""
        return len(self.approx) + 2 * len(self.values)

    @property
    def n_kept(self) -> int:
        return len(self.values)

    @property
    def nbytes(self) -> int:
        return len(self.to_bytes())

    def coefficients(self) -> np.ndarray:
        """All coefficients with the dropped details at zero: (n_windows, window) rows, or one row."""
        la = self._lengths[0]
        rows = self._n_windows()
        width = sum(self._lengths)
        detail = np.zeros(rows * (width - la))
        detail[self.positions] = self.values
        out = np.empty((rows, width))
        out[:, :la] = self.approx.reshape(rows, la)
        out[:, la:] = detail.reshape(rows, width - la)
        return out

    def reconstruct(self) -> np.ndarray:
        """len(x) float64 values: the inverse DWT of the kept coefficients."""
        c = self.coefficients()
        bands = np.split(c, np.cumsum(self._lengths)[:-1], axis=1)
        y = _wt.waverec(bands, self.wavelet, _MODE, axis=-1)
        return np.ascontiguousarray(y.reshape(-1)[: self.n]) if self.window is not None else y[0, : self.n].copy()

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        where = "whole series" if self.window is None else f"windows of {self.window}"
        return (f"DownsampledSeries(n={self.n}, {self.wavelet} level {self.level}, {where}, "
                f"{len(self.approx)} approximation + {self.n_kept} detail coefficients, n_stored={self.n_stored})")

    def to_bytes(self) -> bytes:
        """Self-describing bytes (docs/format.md section 7): header, float64 approximation,
        uint32 position gaps, float64 values, CRC-32."""
        name = self.wavelet.encode()
        gaps = np.diff(self.positions, prepend=-1).astype("<u4") if len(self.positions) else np.empty(0, "<u4")
        head = _SERIES_MAGIC + struct.pack("<BBB", _SERIES_VERSION, self.level, len(name)) + name
        head += struct.pack("<QIQQ", self.n, self.window or 0, len(self.approx), len(self.values))
        body = head + self.approx.astype("<f8").tobytes() + gaps.tobytes() + self.values.astype("<f8").tobytes()
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data) -> "DownsampledSeries":
        """Raises CorruptStreamError for anything but intact bytes written by ``to_bytes``."""
        b, fail, (level, _), name, at = _open_frame(data, _SERIES_MAGIC, _SERIES_VERSION, "downsampled series", 2, 28)
        n, window, n_approx, n_kept = struct.unpack("<QIQQ", b[at:at + 28])
        at += 28
        if len(b) - 4 - at != 8 * n_approx + 12 * n_kept:
            fail("payload has the wrong length")
        approx = np.frombuffer(b, "<f8", n_approx, at)
        gaps = np.frombuffer(b, "<u4", n_kept, at + 8 * n_approx).astype(np.int64)
        values = np.frombuffer(b, "<f8", n_kept, at + 8 * n_approx + 4 * n_kept)
        if name not in _wt.wavelist() or not 1 <= level <= 30 or n == 0:
            fail("invalid wavelet, level or length")
        if n_kept and np.any(gaps[1:] == 0):
            fail("repeated position")
        try:
            return cls(n, name, level, window or None, approx, np.cumsum(gaps) - 1, values)
        except ValueError as e:
            fail(str(e))


# ---------------------------------------------------------------------------------------------- top-k


class WaveletTopK:
    """Keep the approximation band and the k detail coefficients of largest magnitude (no model).

    ``level=None`` picks the level from the budget (:func:`level_for_budget`). ``level_weights`` multiplies
    the magnitudes of level j (1 = finest) by ``level_weights[j - 1]`` before ranking. ``window`` transforms
    windows of that many samples separately (the layout the learned downsampler uses) instead of the whole
    series.
    """

    def __init__(self, wavelet: str = "db4", level: Optional[int] = None, *, window: Optional[int] = None,
                 level_weights: Optional[Sequence[float]] = None):
        self.wavelet = _wavelet_name(wavelet)
        self.level = None if level is None else positive_int(level, "level")
        self.window = None if window is None else positive_int(window, "window")
        if self.window is not None and self.level is not None and self.window % (2 ** self.level):
            raise ValueError(f"window {self.window} must be a multiple of 2^level = {2 ** self.level}")
        self.level_weights = None if level_weights is None else np.asarray(level_weights, dtype=np.float64)
        if self.level_weights is not None and (self.level_weights.ndim != 1 or np.any(self.level_weights <= 0)
                                               or not np.all(np.isfinite(self.level_weights))):
            raise ValueError("level_weights must be a 1-D sequence of positive numbers")

    def __repr__(self) -> str:
        return f"WaveletTopK({self.wavelet!r}, level={self.level}, window={self.window})"

    def downsample(self, x, *, budget: Optional[float] = None, n_keep: Optional[int] = None) -> DownsampledSeries:
        """Keep detail coefficients within ``budget`` (share of len(x) stored, positions counted) or exactly
        ``n_keep`` of them (give one of the two)."""
        x = _series(x)
        if (budget is None) == (n_keep is None):
            raise ValueError("give exactly one of budget (share of len(x) stored) and n_keep (detail coefficients)")
        if n_keep is not None:
            if isinstance(n_keep, bool) or not isinstance(n_keep, numbers.Integral):
                raise TypeError(f"n_keep must be an int, got {type(n_keep).__name__}")
            if n_keep < 0:
                raise ValueError(f"n_keep must be >= 0, got {n_keep}")
        level = self.level
        if level is None:
            level = level_for_budget(budget, self.window) if budget is not None else 4
        span = len(x) if self.window is None else self.window
        if level > int(np.log2(span)):
            raise ValueError(f"level {level} is too deep for {span} samples")
        if self.level_weights is not None and len(self.level_weights) < level:
            raise ValueError(f"level_weights has {len(self.level_weights)} entries, level {level} needs {level}")
        rows = x[None, :] if self.window is None else _pad_to_windows(x, self.window)
        bands = _wavedec(rows, self.wavelet, level)
        approx = bands[0].reshape(-1)
        detail = np.concatenate(bands[1:], axis=1)
        weights = np.ones(detail.shape[1])
        if self.level_weights is not None:
            weights = np.concatenate([np.full(b.shape[1], self.level_weights[level - 1 - i])
                                      for i, b in enumerate(bands[1:])])
        flat = detail.reshape(-1)
        k = _budget_to_k(budget, len(x), len(approx), level) if budget is not None else int(n_keep)
        pos = _topk((np.abs(detail) * weights).reshape(-1), k)
        return DownsampledSeries(len(x), self.wavelet, level, self.window, approx, pos, flat[pos])


# ---------------------------------------------------------------------------------------------- learned


def _learned():
    try:
        from . import _learned
    except ImportError as e:  # built without LibTorch
        raise ImportError("tsquash was built without LibTorch, so the learned downsampler is unavailable; install "
                          "libtorch-dev (or a torch wheel) and reinstall tsquash") from e
    return _learned


ProgressArg = Union[bool, Callable[[int, float, float], Optional[bool]]]

# Stored numbers per window besides the coefficients: the predicted counts of the two passes (m1, m2), the
# explicit count r and the checksum of the predicted positions.
WINDOW_HEADER = 4


def _positions_crc(pos: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(pos, dtype="<u4").tobytes())


def _window_budget(budget: float, length: int) -> int:
    # budget * length can land a hair below an integer the caller meant (205 / 4096 * 4096).
    return int(np.floor(budget * length + 1e-9))


class PredictedSeries:
    """What the learned downsampler stores: per window the approximation band, the values of the m1 detail
    coefficients the model predicts from that band, the values of the m2 it predicts next from the band and
    those m1 values (no predicted position is stored: the decoder re-runs the model), r explicit (position,
    value) pairs, and a four-number header (m1, m2, r, a checksum of the predicted positions).

    ``n_pred`` is (n_windows, 2): m1 and m2 per window. ``reconstruct()`` needs the model (the one that
    produced the series is attached; after ``from_bytes`` pass it, or use :meth:`LearnedDownsampler.decode`).
    ``n_stored`` counts every stored number: approximation + m1 + m2 + 2 r + 4 per window.
    """

    def __init__(self, n: int, wavelet: str, level: int, window: int, approx: np.ndarray, n_pred: np.ndarray,
                 pred_values: np.ndarray, n_exp: np.ndarray, exp_positions: np.ndarray, exp_values: np.ndarray,
                 checksums: np.ndarray, model_id: int, model: Optional["LearnedDownsampler"] = None):
        self.n, self.wavelet, self.level, self.window = int(n), wavelet, int(level), int(window)
        self.approx = np.ascontiguousarray(approx, dtype=np.float64)
        self.n_pred = np.ascontiguousarray(n_pred, dtype=np.int64).reshape(-1, 2)
        self.pred_values = np.ascontiguousarray(pred_values, dtype=np.float64)
        self.n_exp = np.ascontiguousarray(n_exp, dtype=np.int64)
        self.exp_positions = np.ascontiguousarray(exp_positions, dtype=np.int64)
        self.exp_values = np.ascontiguousarray(exp_values, dtype=np.float64)
        self.checksums = np.ascontiguousarray(checksums, dtype=np.int64)
        self.model_id = int(model_id)
        self.model = model
        nw, la = self.n_windows, self.window >> self.level
        nd = self.window - la
        if self.n < 1 or self.window % (1 << self.level) or la < 1:
            raise ValueError("invalid length, window or level")
        if len(self.approx) != nw * la:
            raise ValueError("approximation band has the wrong length for n, level and window")
        if not (len(self.n_pred) == len(self.n_exp) == len(self.checksums) == nw):
            raise ValueError("one header per window expected")
        if np.any(self.n_pred < 0) or np.any(self.n_exp < 0) or np.any(self.n_pred.sum(1) + self.n_exp > nd):
            raise ValueError("more kept coefficients than a window has")
        if len(self.pred_values) != self.n_pred.sum() or len(self.exp_values) != self.n_exp.sum() \
                or len(self.exp_positions) != len(self.exp_values):
            raise ValueError("counts and values differ in length")
        for lo, hi in self._exp_slices():
            p = self.exp_positions[lo:hi]
            if len(p) and (p[0] < 0 or p[-1] >= nd or np.any(np.diff(p) <= 0)):
                raise ValueError("explicit positions must be increasing and within a window's detail coefficients")

    @property
    def n_windows(self) -> int:
        return -(-self.n // self.window)

    def _exp_slices(self):
        ends = np.cumsum(self.n_exp)
        return list(zip(ends - self.n_exp, ends))

    def _pred_slices(self):
        counts = self.n_pred.sum(1)
        ends = np.cumsum(counts)
        return list(zip(ends - counts, ends))

    @property
    def n_stored(self) -> int:
        """Every stored number: approximation values, predicted values, explicit values and positions, and
        the per-window header (m, r, checksum)."""
        return len(self.approx) + len(self.pred_values) + 2 * len(self.exp_values) + WINDOW_HEADER * self.n_windows

    @property
    def n_kept(self) -> int:
        return len(self.pred_values) + len(self.exp_values)

    @property
    def nbytes(self) -> int:
        return len(self.to_bytes())

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (f"PredictedSeries(n={self.n}, {self.wavelet} level {self.level}, windows of {self.window}, "
                f"{len(self.approx)} approximation + {len(self.pred_values)} predicted + {len(self.exp_values)} "
                f"explicit detail coefficients, n_stored={self.n_stored})")

    def coefficients(self, model: Optional["LearnedDownsampler"] = None) -> np.ndarray:
        """(n_windows, window) coefficient rows with the dropped details at zero. The predicted positions are
        re-derived with the model; a checksum or model mismatch raises ModelMismatchError."""
        model = self._model_for(model)
        la = self.window >> self.level
        rows = self.approx.reshape(self.n_windows, la)
        pred = model._predicted_positions(rows, self.n_pred, [self.pred_values[a:b] for a, b in self._pred_slices()])
        out = np.zeros((self.n_windows, self.window))
        out[:, :la] = rows
        for i, ((plo, phi), (elo, ehi)) in enumerate(zip(self._pred_slices(), self._exp_slices())):
            if _positions_crc(pred[i]) != self.checksums[i]:
                raise ModelMismatchError(
                    f"window {i}: the model predicts other coefficient positions than the encoder did (checksum "
                    "mismatch). The model is the same, so its arithmetic differs on this machine (another CPU or "
                    "LibTorch build); decode where the series was encoded")
            detail = out[i, la:]
            ep = self.exp_positions[elo:ehi]
            if np.intersect1d(ep, pred[i]).size:
                raise CorruptStreamError(f"learned downsampled series: window {i} stores an explicit coefficient "
                                         "at a predicted position")
            detail[pred[i]] = self.pred_values[plo:phi]
            detail[ep] = self.exp_values[elo:ehi]
        return out

    def reconstruct(self, model: Optional["LearnedDownsampler"] = None) -> np.ndarray:
        """len(x) float64 values: the inverse DWT of the kept coefficients (needs the model, see the class)."""
        c = self.coefficients(model)
        la = self.window >> self.level
        lengths = [la] + [self.window >> j for j in range(self.level, 0, -1)]
        bands = np.split(c, np.cumsum(lengths)[:-1], axis=1)
        return np.ascontiguousarray(_wt.waverec(bands, self.wavelet, _MODE, axis=-1).reshape(-1)[: self.n])

    def _model_for(self, model):
        model = model if model is not None else self.model
        if model is None:
            raise ValueError("decoding a learned downsampled series needs its model: reconstruct(model) or "
                             "LearnedDownsampler.decode(bytes)")
        if model.model_id != self.model_id:
            raise ModelMismatchError(f"the series was encoded with model {self.model_id:08x}, this one is "
                                     f"{model.model_id:08x}")
        if (model.wavelet, model.level, model.window) != (self.wavelet, self.level, self.window):
            raise ModelMismatchError("the model's wavelet, level or window differ from the series'")
        return model

    @classmethod
    def concatenate(cls, parts: Sequence["PredictedSeries"]) -> "PredictedSeries":
        """One series from consecutive pieces (e.g. a stream's windows); every piece but the last must be whole
        windows."""
        first = _check_pieces(parts, lambda p: (p.wavelet, p.level, p.window, p.model_id),
                              "pieces of different models or layouts")
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        return cls(sum(p.n for p in parts), first.wavelet, first.level, first.window, cat("approx"), cat("n_pred"),
                   cat("pred_values"), cat("n_exp"), cat("exp_positions"), cat("exp_values"), cat("checksums"),
                   first.model_id, first.model)

    def to_bytes(self) -> bytes:
        """Self-describing bytes (docs/format.md section 7): header, float64 approximation, per-window counts
        and checksums, explicit position gaps, explicit values, predicted values, CRC-32."""
        name = self.wavelet.encode()
        gaps = [np.diff(self.exp_positions[lo:hi], prepend=-1) for lo, hi in self._exp_slices()]
        gaps = np.concatenate(gaps).astype("<u4") if gaps else np.empty(0, "<u4")
        head = _PRED_MAGIC + struct.pack("<BBB", _PRED_VERSION, self.level, len(name)) + name
        head += struct.pack("<QII", self.n, self.window, self.model_id)
        body = (head + self.approx.astype("<f8").tobytes() + self.n_pred[:, 0].astype("<u4").tobytes()
                + self.n_pred[:, 1].astype("<u4").tobytes() + self.n_exp.astype("<u4").tobytes()
                + self.checksums.astype("<u4").tobytes() + gaps.tobytes()
                + self.exp_values.astype("<f8").tobytes() + self.pred_values.astype("<f8").tobytes())
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data, model: Optional["LearnedDownsampler"] = None) -> "PredictedSeries":
        """Raises CorruptStreamError for anything but intact bytes written by ``to_bytes`` (the model, needed to
        reconstruct, is checked then)."""
        b, fail, (level, _), name, at = _open_frame(data, _PRED_MAGIC, _PRED_VERSION, "learned downsampled series",
                                                    2, 16)
        n, window, model_id = struct.unpack("<QII", b[at:at + 16])
        at += 16
        if name not in _wt.wavelist() or not 1 <= level <= 30 or n == 0 or window == 0 or window % (1 << level):
            fail("invalid wavelet, level, length or window")
        nw, la = -(-n // window), window >> level
        end = len(b) - 4
        if end - at < 8 * nw * la + 16 * nw:
            fail("payload has the wrong length")
        approx = np.frombuffer(b, "<f8", nw * la, at)
        at += 8 * nw * la
        m1, m2, n_exp, checksums = (np.frombuffer(b, "<u4", nw, at + 4 * nw * i).astype(np.int64) for i in range(4))
        n_pred = np.stack([m1, m2], axis=1)
        at += 16 * nw
        n_p, n_e = int(n_pred.sum()), int(n_exp.sum())
        if end - at != 12 * n_e + 8 * n_p:
            fail("payload has the wrong length")
        gaps = np.frombuffer(b, "<u4", n_e, at).astype(np.int64)
        exp_values = np.frombuffer(b, "<f8", n_e, at + 4 * n_e)
        pred_values = np.frombuffer(b, "<f8", n_p, at + 12 * n_e)
        if not (np.all(np.isfinite(approx)) and np.all(np.isfinite(exp_values)) and np.all(np.isfinite(pred_values))):
            fail("non-finite coefficient")
        ends = np.cumsum(n_exp)
        pos = [np.cumsum(gaps[lo:hi]) - 1 for lo, hi in zip(ends - n_exp, ends)]
        if any(len(p) and np.any(gaps[lo:hi] == 0) for p, lo, hi in zip(pos, ends - n_exp, ends)):
            fail("repeated position")
        try:
            return cls(n, name, level, window, approx, n_pred, pred_values, n_exp,
                       np.concatenate(pos) if pos else np.empty(0, np.int64), exp_values, checksums, model_id, model)
        except ValueError as e:
            fail(str(e))


# Shares of a window's free budget tried as the first-pass count m1 (0 is always tried). Only the encoder uses
# it; chosen on validation series (benchmarks/python/learned_downsample_validation.py).
_M1_GRID = tuple(j / 20 for j in range(1, 21))

_PRED_MAGIC = b"TSQP"
_PRED_VERSION = 1


def _best_split(energy: np.ndarray, order: np.ndarray, free: int) -> tuple:
    """(lost, m, r) with m + 2 r <= free minimising the energy left out (lost) when the first m of ``order``
    (the model's ranking) are kept and the r largest of the rest are kept explicitly; ties go to the smaller m,
    so m = 0 (top-k by magnitude) wins unless the prediction helps."""
    nd = len(energy)
    mag = np.argsort(-energy, kind="stable")  # magnitude order, ties to the lower index
    rank = np.empty(nd, np.int64)
    rank[mag] = np.arange(nd)
    e_mag = energy[mag]
    free_mask = np.ones(nd, bool)
    total = energy.sum()
    best = (np.inf, 0, 0)
    pred_energy = 0.0
    for m in range(0, min(free, len(order)) + 1):
        if m:
            j = order[m - 1]
            pred_energy += energy[j]
            free_mask[rank[j]] = False
        r = min((free - m) // 2, nd - m)
        if r:
            kept = np.flatnonzero(free_mask)[:r]
            got = pred_energy + e_mag[kept].sum()
        else:
            got = pred_energy
        lost = total - got
        if lost < best[0] - 1e-12 * total:
            best = (lost, m, r)
    return best


class LearnedDownsampler:
    """Windowed DWT where the positions of most kept detail coefficients are predicted, not stored.

    Per window the approximation band is stored; a Transformer (C++, LibTorch) reads that band alone and ranks
    the window's detail coefficients by predicted magnitude. The decoder has the band, runs the same model, and
    knows the positions of the m best-ranked coefficients: they cost one stored number (the value) instead of
    two. The encoder adds r explicit (position, value) pairs, the largest among the rest, and picks per window
    the split (m, r) with the lowest error within the budget (the transform is orthogonal, so the error is
    exact to evaluate). With m = 0 it is windowed top-k by magnitude, so it is never worse than that at the
    same count, header aside (three numbers per window: m, r and a checksum of the predicted positions).

    Create one with :meth:`train` or :meth:`load`; ``downsample(x)`` gives a :class:`PredictedSeries`.
    """

    def __init__(self, scorer, keep: float, config: dict, history: Optional[dict] = None,
                 threads: Optional[int] = None):
        self._scorer = scorer
        self._config = dict(config)
        self.keep = keep
        self.history = history or {}
        self.threads = threads
        self._id = None

    # -- properties
    @property
    def window(self) -> int:
        return int(self._scorer.window)

    @property
    def wavelet(self) -> str:
        return str(self._scorer.wavelet)

    @property
    def level(self) -> int:
        return int(self._scorer.level)

    @property
    def n_parameters(self) -> int:
        return int(self._scorer.n_parameters)

    @property
    def model_id(self) -> int:
        """The model bytes' own CRC-32 (their last four bytes): a downsampled series records it, and decoding
        with another model fails."""
        if self._id is None:
            self._id = struct.unpack("<I", self.to_bytes()[-4:])[0]
        return self._id

    @property
    def budget(self) -> float:
        """The default budget of ``downsample``: what windowed top-k keeping the ``keep`` share of detail
        coefficients stores (approximation + 2 per coefficient), as a share of the window."""
        la = self.window >> self.level
        return (la + 2 * round(self.keep * (self.window - la))) / self.window

    def __repr__(self) -> str:
        return (f"LearnedDownsampler(window={self.window}, wavelet={self.wavelet!r}, level={self.level}, "
                f"keep={self.keep}, {self.n_parameters} parameters)")

    # -- training
    @classmethod
    def train(cls, series_list, wavelet: str = "db4", level: int = 2, keep: float = 0.2, epochs: int = 50,
              progress: ProgressArg = True, seed: int = 0, *, window: int = 256, d_model: int = 32, heads: int = 4,
              ff: int = 64, layers: int = 2, batch_size: int = 32, lr: float = 3e-3, stride: Optional[int] = None,
              max_windows: Optional[int] = None, threads: Optional[int] = None) -> "LearnedDownsampler":
        """Train on windows of the given series (each 1-D, finite; a single array is one series).

        Windows start every ``stride`` samples (default: ``window``, no overlap); ``max_windows`` draws that
        many of them with the seed. Each series is standardised first. The model learns to forecast, from a
        window's approximation band, how the detail energy is spread over its detail coefficients
        (docs/downsampling.md). ``keep`` is the share of detail coefficients the history's losses keep and sets
        the default budget. ``progress``: True shows a tqdm bar when tqdm is installed; a callable gets (epoch,
        loss, magnitude_loss) and may return False to stop. Deterministic for a seed, data and thread count.
        """
        if isinstance(series_list, np.ndarray) and series_list.ndim == 1:
            series_list = [series_list]
        if isinstance(series_list, (str, bytes)) or not isinstance(series_list, Iterable):
            raise TypeError("series_list must be a list of 1-D arrays")
        series = [_series(s, f"series_list[{i}]") for i, s in enumerate(series_list)]
        if not series:
            raise ValueError("series_list is empty")
        wavelet = _wavelet_name(wavelet)
        level = positive_int(level, "level")
        window = positive_int(window, "window")
        stride = window if stride is None else positive_int(stride, "stride")
        keep = _fraction(keep, "keep")
        epochs = positive_int(epochs, "epochs")
        seed = int(seed)
        if seed < 0:
            raise ValueError("seed must be >= 0")
        lib = _learned()
        scorer = lib.WaveletScorer(window, wavelet, level, positive_int(d_model, "d_model"),
                                   positive_int(heads, "heads"), positive_int(ff, "ff"),
                                   positive_int(layers, "layers"), seed)
        rows = []
        for s in series:
            if len(s) < window:
                continue
            z = (s - s.mean()) / (s.std() + 1e-300)
            starts = np.arange(0, len(s) - window + 1, stride)
            rows.append(np.stack([z[a:a + window] for a in starts]))
        if not rows:
            raise ValueError(f"no series holds a full window of {window} samples")
        windows = np.concatenate(rows)
        if max_windows is not None and positive_int(max_windows, "max_windows") < len(windows):
            pick = np.random.default_rng(seed).choice(len(windows), max_windows, replace=False)
            windows = windows[np.sort(pick)]
        coeffs = _coeff_rows(windows, wavelet, level, np.float64)
        la = window >> level
        coeffs[:, :la], scale = _model_input(coeffs[:, :la])
        coeffs[:, la:] /= scale
        coeffs = np.ascontiguousarray(coeffs, dtype=np.float32)
        callback, bar = _progress(progress, epochs)
        try:
            h = scorer.fit(coeffs, epochs, positive_int(batch_size, "batch_size"), float(lr), keep,
                           torch_threads(threads), seed, callback)
        finally:
            if bar is not None:
                bar.close()
        config = {"d_model": d_model, "heads": heads, "ff": ff, "layers": layers}
        return cls(scorer, keep, config, dict(h), threads)

    # -- inference
    def scores(self, x) -> np.ndarray:
        """The model's scores of every detail coefficient, (n_windows, detail_len) in wavedec order per window
        (a higher score predicts a larger magnitude). They depend on the approximation bands only."""
        x = _series(x)
        rows = _coeff_rows(_pad_to_windows(x, self.window), self.wavelet, self.level, np.float64)
        return self._scores(rows[:, : self.window >> self.level])  # first pass: nothing known yet

    def _scores(self, approx: np.ndarray, known: Optional[np.ndarray] = None) -> np.ndarray:
        # One thread, float32, one window per forward pass: the decoder must get the encoder's exact scores.
        a, scale = _model_input(approx)
        k = np.full((len(a), self.window - a.shape[1]), np.nan, np.float32) if known is None else \
            np.ascontiguousarray(known / scale, dtype=np.float32)
        return self._scorer.score(a, k, 1)

    def _predicted_positions(self, approx: np.ndarray, n_pred: np.ndarray, values: list) -> list:
        """Per window, the positions of the m1 best first-pass scores (ascending; ties to the lower index), then
        those of the m2 best second-pass scores among the rest, the m1 values being known (values[i] holds the
        window's m1 + m2 predicted values in that order)."""
        nw, nd = len(approx), self.window - approx.shape[1]
        # The model reads float32 after its per-window scaling. Values that do not fit it cannot come from the
        # encoder (its own passes would have failed on them): damaged bytes.
        a32, scale = _model_input(approx)
        if np.any(n_pred) and not np.all(np.isfinite(a32)):
            raise CorruptStreamError("learned downsampled series: an approximation coefficient is beyond the "
                                     "range the model reads")
        first = self._scores(approx) if np.any(n_pred[:, 0]) else np.zeros((nw, nd), np.float32)
        p1 = [np.sort(np.argsort(-first[i], kind="stable")[:m]) for i, m in enumerate(n_pred[:, 0])]
        out = p1
        if np.any(n_pred[:, 1]):
            known = np.full((nw, nd), np.nan)
            for i, p in enumerate(p1):
                known[i, p] = values[i][: len(p)]
            with np.errstate(over="ignore"):
                scaled = (known / scale).astype(np.float32)
            if np.any(np.isinf(scaled)):
                raise CorruptStreamError("learned downsampled series: a predicted coefficient is beyond the "
                                         "range the model reads")
            second = self._scores(approx, known)
            out = []
            for i, (p, m2) in enumerate(zip(p1, n_pred[:, 1])):
                s = second[i].astype(np.float64)
                s[p] = -np.inf
                out.append(np.concatenate([p, np.sort(np.argsort(-s, kind="stable")[:m2])]))
        return [o.astype(np.int64) for o in out]

    def downsample(self, x, *, keep: Optional[float] = None, budget: Optional[float] = None) -> PredictedSeries:
        """Store at most ``budget`` x len(x) numbers (share of the series; every number counted), spent window by
        window: a window of length l gets floor(budget x l). ``keep`` gives the budget of windowed top-k keeping
        that share of detail coefficients; default: the model's ``budget``. A window whose budget does not
        cover its approximation and header keeps just those (only a short last window can)."""
        x = _series(x)
        return self._encode(x, self._resolve_budget(keep, budget))

    def _resolve_budget(self, keep, budget) -> float:
        if keep is not None and budget is not None:
            raise ValueError("give at most one of keep and budget")
        if budget is not None:
            b = _fraction(budget, "budget")
        elif keep is not None:
            la = self.window >> self.level
            b = (la + 2 * round(_fraction(keep, "keep") * (self.window - la))) / self.window
        else:
            b = self.budget
        la = self.window >> self.level
        if _window_budget(b, self.window) < la + WINDOW_HEADER:
            raise ValueError(f"budget {b} allows {b * self.window:.0f} stored numbers per window of {self.window}, "
                             f"but the approximation band at level {self.level} and the window header alone take "
                             f"{la + WINDOW_HEADER}: use a model of a deeper level (or a larger budget)")
        return b

    def _encode(self, x: np.ndarray, budget: float, reserve: int = 0) -> PredictedSeries:
        # reserve: numbers per window that a container spends on its own header (level choice), kept free here.
        w, la = self.window, self.window >> self.level
        cut = len(x) // w * w
        if 0 < cut < len(x):
            # A short last window is completed from its own samples, as a stream's last window is.
            return PredictedSeries.concatenate([self._encode(x[:cut], budget, reserve),
                                                self._encode(x[cut:], budget, reserve)])
        rows = _coeff_rows(_pad_to_windows(x, w), self.wavelet, self.level, np.float64)
        approx, detail = rows[:, :la], rows[:, la:]
        nw, nd = detail.shape
        first = self._scores(approx)
        orders = [np.argsort(-first[i], kind="stable") for i in range(nw)]
        frees = [max(0, _window_budget(budget, min(w, len(x) - i * w)) - la - WINDOW_HEADER - reserve)
                 for i in range(nw)]
        # Candidate first-pass counts m1 per window; each gets a second pass with those m1 values known.
        cands = [(i, m1) for i in range(nw) for m1 in sorted({int(round(f * min(frees[i], nd))) for f in _M1_GRID})
                 if m1 > 0]
        known = np.full((len(cands), nd), np.nan)
        for j, (i, m1) in enumerate(cands):
            known[j, orders[i][:m1]] = detail[i, orders[i][:m1]]
        second = self._scores(approx[[i for i, _ in cands]], known) if cands else None
        best = [(*_best_split(detail[i] ** 2, orders[i], frees[i]), 0) for i in range(nw)]  # m1 = 0: one pass
        best = [(lost, 0, m, r) for lost, m, r, _ in best]
        for j, (i, m1) in enumerate(cands):
            p1 = orders[i][:m1]
            energy = detail[i] ** 2
            rest_energy = energy.copy()
            rest_energy[p1] = 0.0
            s = second[j].astype(np.float64)
            s[p1] = -np.inf
            order2 = np.argsort(-s, kind="stable")[: nd - m1]
            lost, m2, r = _best_split(rest_energy, order2, frees[i] - m1)
            if lost < best[i][0] - 1e-12 * energy.sum():
                best[i] = (lost, m1, m2, r)
        n_pred, n_exp, checks, pv, ep, ev = [], [], [], [], [], []
        for i, (_, m1, m2, r) in enumerate(best):
            p1 = np.sort(orders[i][:m1])
            if m2:
                # With m1 = 0 the second pass knows nothing: its scores are the first pass's.
                s = second[cands.index((i, m1))].astype(np.float64) if m1 else first[i].astype(np.float64)
                s[p1] = -np.inf
                p2 = np.sort(np.argsort(-s, kind="stable")[:m2])
            else:
                p2 = np.empty(0, np.int64)
            pred = np.concatenate([p1, p2]).astype(np.int64)
            rest = np.ones(nd, bool)
            rest[pred] = False
            cand = np.flatnonzero(rest)
            exp = np.sort(cand[np.argsort(-detail[i, cand] ** 2, kind="stable")[:r]])
            n_pred.append((m1, m2))
            n_exp.append(len(exp))
            checks.append(_positions_crc(pred))
            pv.append(detail[i, pred])
            ep.append(exp)
            ev.append(detail[i, exp])
        return PredictedSeries(len(x), self.wavelet, self.level, w, approx.reshape(-1), np.array(n_pred),
                               np.concatenate(pv), np.array(n_exp), np.concatenate(ep), np.concatenate(ev),
                               np.array(checks), self.model_id, self)

    def decode(self, data) -> np.ndarray:
        """The reconstruction (len(x) float64 values) of ``PredictedSeries.to_bytes()`` bytes made with this
        model. Raises CorruptStreamError for damaged bytes, ModelMismatchError for another model or a machine
        whose arithmetic gives other predicted positions."""
        return PredictedSeries.from_bytes(data, self).reconstruct()

    def stream(self, *, keep: Optional[float] = None, budget: Optional[float] = None) -> "LearnedStream":
        """A stateful per-window downsampler for a series that arrives in pieces."""
        return LearnedStream(self, self._resolve_budget(keep, budget))

    def restore_stream(self, state) -> "LearnedStream":
        """A stream continuing from ``LearnedStream.state()`` bytes."""
        return LearnedStream.restore(self, state)

    # -- persistence
    def to_bytes(self) -> bytes:
        """Model bytes (docs/format.md section 7): configuration, float32 parameters, CRC-32."""
        s = self._scorer
        head = json.dumps({"window": self.window, "wavelet": self.wavelet, "level": self.level,
                           "d_model": self._config["d_model"], "heads": self._config["heads"],
                           "ff": self._config["ff"], "layers": self._config["layers"], "keep": self.keep},
                          sort_keys=True).encode()
        params = np.asarray(s.parameters(), dtype="<f4")
        body = (_MODEL_MAGIC + struct.pack("<BI", _MODEL_VERSION, len(head)) + head
                + struct.pack("<Q", params.size) + params.tobytes())
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data, *, threads: Optional[int] = None) -> "LearnedDownsampler":
        """Raises CorruptStreamError for anything but intact model bytes."""
        b = bytes(data)

        def fail(why: str):
            raise CorruptStreamError(f"learned downsampler model bytes: {why}")

        if len(b) < 4 or b[:4] != _MODEL_MAGIC:
            fail("not a tsquash learned downsampler (bad magic)")
        if len(b) < 9 + 8 + 4:
            fail("truncated")
        if b[4] != _MODEL_VERSION:
            fail(f"format version {b[4]} is not supported (this tsquash reads version {_MODEL_VERSION}; version 1 "
                 "models ranked stored coefficients and must be retrained)")
        if zlib.crc32(b[:-4]) != struct.unpack("<I", b[-4:])[0]:
            fail("checksum mismatch")
        (head_len,) = struct.unpack("<I", b[5:9])
        if len(b) < 9 + head_len + 8 + 4:
            fail("truncated")
        try:
            cfg = json.loads(b[9:9 + head_len].decode())
            args = [int(cfg[k]) if k != "wavelet" else str(cfg[k])
                    for k in ("window", "wavelet", "level", "d_model", "heads", "ff", "layers")]
            keep = float(cfg["keep"])
        except (ValueError, KeyError, TypeError) as e:
            fail(f"bad configuration ({e})")
        (count,) = struct.unpack("<Q", b[9 + head_len:17 + head_len])
        if len(b) - 4 - (17 + head_len) != 4 * count:
            fail("parameter payload has the wrong length")
        params = np.frombuffer(b, "<f4", count, 17 + head_len).astype(np.float32)
        try:
            scorer = _learned().WaveletScorer(*args, 0)
            scorer.set_parameters(params)
        except ValueError as e:
            fail(str(e))
        if not 0 < keep < 1:
            fail("keep out of range")
        return cls(scorer, keep, dict(zip(("d_model", "heads", "ff", "layers"), args[3:])), None, threads)

    def save(self, path: Union[str, os.PathLike]) -> None:
        with open(path, "wb") as f:
            f.write(self.to_bytes())

    @classmethod
    def load(cls, path: Union[str, os.PathLike], *, threads: Optional[int] = None) -> "LearnedDownsampler":
        with open(path, "rb") as f:
            return cls.from_bytes(f.read(), threads=threads)


def _model_input(approx: np.ndarray) -> tuple:
    """Approximation rows centred and scaled per window in float64 before the float32 model (a level such as
    100 kPa would otherwise eat float32's precision), and the scale, which known detail values share."""
    # Beyond about 1e154 the squares overflow, and near 1e308 the mean: the scale is then infinite and the
    # model input zeros, or NaN, which the model refuses (the decoder calls it damage). numpy's warnings
    # would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        a = approx - approx.mean(axis=1, keepdims=True)
        scale = np.sqrt(np.mean(a * a, axis=1, keepdims=True))
        scale = np.where(scale > 0, scale, 1.0)
        return np.ascontiguousarray(a / scale, dtype=np.float32), scale


def _coeff_rows(rows: np.ndarray, wavelet: str, level: int, dtype=np.float32) -> np.ndarray:
    bands = _wavedec(rows, wavelet, level)
    return np.ascontiguousarray(np.concatenate(bands, axis=1), dtype=dtype)


def _progress(progress, epochs: int):
    if callable(progress):
        return progress, None
    if not progress:
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=epochs, desc="training position predictor", unit="epoch")

    def cb(epoch, loss, magnitude_loss):
        bar.update(1)
        bar.set_postfix(missed=f"{loss:.4f}", magnitude=f"{magnitude_loss:.4f}")
        return True

    return cb, bar


class LearnedStream:
    """Per-window downsampling of a series that arrives in pieces: ``push`` returns one PredictedSeries per
    completed window; ``finish`` completes the last partial window as ``downsample`` does.
    ``PredictedSeries.concatenate`` of the pieces equals ``downsample(whole series)`` with the same budget,
    byte for byte. ``state()`` / ``restore()`` checkpoint the buffered samples. A MultiLevelDownsampler
    streams through this class too (its pieces are MultiLevelSeries)."""

    def __init__(self, model: LearnedDownsampler, budget: float):
        self._model = model
        self._budget = budget
        self._buf = np.empty(0)
        self._windows_out = 0
        self._finished = False

    @property
    def windows_out(self) -> int:
        return self._windows_out

    def _emit(self, x: np.ndarray) -> list:
        w = self._model.window
        out = [self._model._encode(x[a:a + w], self._budget) for a in range(0, len(x), w)]
        self._windows_out += len(out)
        return out

    def push(self, values) -> list:
        if self._finished:
            raise ValueError("the stream is finished")
        v = _series(values, "values") if np.size(values) else np.empty(0)
        self._buf = np.concatenate([self._buf, v])
        full = len(self._buf) // self._model.window
        if full == 0:
            return []
        x, self._buf = self._buf[: full * self._model.window], self._buf[full * self._model.window:]
        return self._emit(x)

    def finish(self) -> list:
        if self._finished:
            return []
        self._finished = True
        if len(self._buf) == 0:
            return []
        x, self._buf = self._buf, np.empty(0)
        return self._emit(x)

    def state(self) -> bytes:
        """The budget, buffered samples and counters, with a CRC-32 (restore with the same model)."""
        body = (_STATE_MAGIC + struct.pack("<BBdQQ", _STATE_VERSION, int(self._finished), self._budget,
                                           self._windows_out, len(self._buf)) + self._buf.astype("<f8").tobytes())
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def restore(cls, model: LearnedDownsampler, state) -> "LearnedStream":
        b = bytes(state)

        def fail(why: str):
            raise CorruptStreamError(f"learned downsampler stream state: {why}")

        if len(b) < 4 or b[:4] != _STATE_MAGIC:
            fail("bad magic")
        if len(b) < 4 + 26 + 4:
            fail("truncated")
        if b[4] != _STATE_VERSION:
            fail(f"format version {b[4]} is not supported (this tsquash reads version {_STATE_VERSION})")
        if zlib.crc32(b[:-4]) != struct.unpack("<I", b[-4:])[0]:
            fail("checksum mismatch")
        _, finished, budget, windows_out, nbuf = struct.unpack("<BBdQQ", b[4:30])
        if finished > 1 or len(b) - 34 != 8 * nbuf or nbuf >= model.window:
            fail("inconsistent fields")
        try:
            s = cls(model, model._resolve_budget(None, budget))
        except (ValueError, TypeError) as e:
            fail(str(e))
        s._buf = np.frombuffer(b, "<f8", nbuf, 30).astype(np.float64)
        s._windows_out = windows_out
        s._finished = bool(finished)
        return s
