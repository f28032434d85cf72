"""Per-window choice of level and method: plain wavelet top-k at every level, or a learned position predictor.

Example, with ``models`` a list of LearnedDownsamplers of one window (one per level)::

    ds = MultiLevelDownsampler(models)
    small = ds.downsample(x, budget=0.05)    # small.n_stored <= 5 % of len(x), every number counted
    y = small.reconstruct()                  # len(x) values; ds.decode(small.to_bytes()) gives the same

The best level for wavelet top-k depends on the window: a smooth stretch wants a deep level (a short
approximation band, the budget spent on a few large details), a noisy one a shallow level. A learned model
(:class:`~tsquash.wavelet_downsample.LearnedDownsampler`) works at one level. This encoder, for each window,
evaluates every candidate it has at the window's budget, minus one number for the choice itself:

* plain top-k by magnitude at every level 1 .. log2(window) (the approximation band + the largest detail
  coefficients, two numbers each);
* each learned model (one per level) with its best split between predicted and explicit coefficients;

and keeps the one with the least error. The transform is orthonormal (periodization), so the squared error
of a candidate is exactly the energy of the detail coefficients it drops, computed without reconstructing.
A window's stored numbers: one for the choice, then what the chosen candidate stores (top-k: approximation
+ 2 per coefficient, its count being implied by the budget; learned: see PredictedSeries). Since top-k at
every level is a candidate, the result is never worse than windowed top-k at the best level per window
with the same one-number header, and better wherever a model's prediction pays. A short last window is
judged by its mirrored completion (the padding the transform sees). Bytes: docs/format.md section 7.
"""
from __future__ import annotations

import struct
import zlib
from typing import Optional, Sequence

import numpy as np

from .errors import ModelMismatchError
from .wavelet_downsample import (WINDOW_HEADER, DownsampledSeries, LearnedDownsampler, LearnedStream, PredictedSeries,
                                 WaveletTopK, _check_pieces, _fraction, _open_frame, _pad_to_windows, _series,
                                 _wavedec, _wavelet_name, _window_budget)
from ._validate import positive_int

__all__ = ["MultiLevelDownsampler", "MultiLevelSeries", "CHOICE_HEADER"]

# Stored numbers per window for the choice (which level, top-k or which model).
CHOICE_HEADER = 1
# A choice below this is a top-k level; from it on, index into the models.
_MODEL_CHOICE = 64

_MAGIC = b"TSQA"
_VERSION = 1


def _topk_count(budget: float, length: int, la: int, nd: int) -> int:
    """Detail coefficients a top-k window keeps: all its budget after the choice and the approximation.
    The decoder derives it too, so it is not stored."""
    return max(0, min(nd, (_window_budget(budget, length) - CHOICE_HEADER - la) // 2))


def _window_piece(ps: PredictedSeries, i: int, length: int) -> PredictedSeries:
    """Window i of a PredictedSeries as a series of its own (the model scores each window on its own, so the
    piece decodes to the same positions)."""
    la = ps.window >> ps.level
    (plo, phi), (elo, ehi) = ps._pred_slices()[i], ps._exp_slices()[i]
    return PredictedSeries(length, ps.wavelet, ps.level, ps.window, ps.approx[i * la:(i + 1) * la],
                           ps.n_pred[i:i + 1], ps.pred_values[plo:phi], ps.n_exp[i:i + 1], ps.exp_positions[elo:ehi],
                           ps.exp_values[elo:ehi], ps.checksums[i:i + 1], ps.model_id, ps.model)


class MultiLevelSeries:
    """What :class:`MultiLevelDownsampler` stores: per window a choice and the chosen candidate's piece.

    ``choices[i]`` is the top-k level (1 .. 63) or 64 + the index of the learned model used; ``pieces[i]`` is a
    one-window :class:`DownsampledSeries` or :class:`PredictedSeries`. ``budget`` (the share of each window that
    may be stored) is part of the layout: it gives the count of a top-k window's coefficients.
    """

    def __init__(self, n: int, window: int, wavelet: str, budget: float, choices: Sequence[int], pieces: list,
                 model_ids: Sequence[int], models: Optional[Sequence[LearnedDownsampler]] = None):
        self.n, self.window, self.wavelet, self.budget = int(n), int(window), wavelet, float(budget)
        self.choices = np.asarray(choices, dtype=np.int64)
        self.pieces = list(pieces)
        self.model_ids = [int(m) for m in model_ids]
        self.models = None if models is None else list(models)
        if len(self.choices) != self.n_windows or len(self.pieces) != self.n_windows:
            raise ValueError("one choice and one piece per window expected")

    @property
    def n_windows(self) -> int:
        return -(-self.n // self.window)

    @property
    def n_stored(self) -> int:
        """Every stored number: one choice per window plus what each window's piece stores."""
        return sum(CHOICE_HEADER + p.n_stored for p in self.pieces)

    @property
    def levels(self) -> np.ndarray:
        """The wavelet level used in each window."""
        return np.array([p.level for p in self.pieces], dtype=np.int64)

    @property
    def learned_windows(self) -> np.ndarray:
        """True where a window uses a learned model rather than plain top-k."""
        return self.choices >= _MODEL_CHOICE

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (f"MultiLevelSeries(n={self.n}, windows of {self.window}, {int(self.learned_windows.sum())} of "
                f"{self.n_windows} windows learned, n_stored={self.n_stored})")

    def reconstruct(self) -> np.ndarray:
        """len(x) float64 values; learned windows need their models (attached by the encoder or decoder)."""
        return np.concatenate([p.reconstruct() for p in self.pieces])

    @property
    def nbytes(self) -> int:
        return len(self.to_bytes())

    @classmethod
    def concatenate(cls, parts: Sequence["MultiLevelSeries"]) -> "MultiLevelSeries":
        """One series from consecutive pieces (a stream's windows); all but the last must be whole windows."""
        first = _check_pieces(parts, lambda p: (p.window, p.wavelet, p.budget, p.model_ids),
                              "pieces of different downsamplers or budgets")
        return cls(sum(p.n for p in parts), first.window, first.wavelet, first.budget,
                   np.concatenate([p.choices for p in parts]), [q for p in parts for q in p.pieces],
                   first.model_ids, first.models)

    def to_bytes(self) -> bytes:
        """Self-describing bytes (docs/format.md section 7): header with the models' ids, then per window the
        choice and the piece's own bytes, CRC-32."""
        name = self.wavelet.encode()
        k = len(self.model_ids)
        body = _MAGIC + struct.pack("<BB", _VERSION, len(name)) + name
        body += struct.pack("<QIdB", self.n, self.window, self.budget, k) + struct.pack(f"<{k}I", *self.model_ids)
        for c, p in zip(self.choices, self.pieces):
            b = p.to_bytes()
            body += struct.pack("<II", int(c), len(b)) + b
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data, downsampler: "MultiLevelDownsampler") -> "MultiLevelSeries":
        """Raises CorruptStreamError for damaged bytes, ModelMismatchError for another set of models."""
        b, fail, _, name, at = _open_frame(data, _MAGIC, _VERSION, "multi-level downsampled series", 1, 21)
        end = len(b) - 4
        n, window, budget, k = struct.unpack("<QIdB", b[at:at + 21])
        at += 21
        if end < at + 4 * k:
            fail("truncated")
        ids = list(struct.unpack(f"<{k}I", b[at:at + 4 * k]))
        at += 4 * k
        if n == 0 or not 0 < budget < 1:
            fail("invalid length or budget")
        if (name, window) != (downsampler.wavelet, downsampler.window):
            raise ModelMismatchError("the series' wavelet or window differ from the downsampler's")
        if ids != [m.model_id for m in downsampler.models]:
            raise ModelMismatchError("the series was encoded with other learned models than this downsampler's")
        nw = -(-n // window)
        if end - at < 8 * nw:
            fail("truncated")
        choices, pieces = [], []
        for i in range(nw):
            if end - at < 8:
                fail("truncated")
            c, size = struct.unpack("<II", b[at:at + 8])
            at += 8
            if size > end - at:
                fail("truncated")
            raw = b[at:at + size]
            at += size
            length = min(window, n - i * window)
            if c >= _MODEL_CHOICE:
                if c - _MODEL_CHOICE >= k:
                    fail(f"window {i} names a model that is not there")
                m = downsampler.models[c - _MODEL_CHOICE]
                p = PredictedSeries.from_bytes(raw, m)
                if p.model_id != m.model_id or p.level != m.level:
                    fail(f"window {i}: the piece is not the chosen model's")
            else:
                p = DownsampledSeries.from_bytes(raw)
                if p.level != c or p.wavelet != name:
                    fail(f"window {i}: the piece's level is not the chosen one")
                la = window >> c
                if p.n_kept != _topk_count(budget, length, la, window - la):
                    fail(f"window {i}: the coefficient count is not the one the budget gives")
            if p.n != length or p.window != window:
                fail(f"window {i}: the piece's length or window is wrong")
            choices.append(c)
            pieces.append(p)
        if at != end:
            fail("trailing bytes")
        return cls(n, window, name, budget, choices, pieces, ids, downsampler.models)


class MultiLevelDownsampler:
    """Chooses per window between plain top-k at every level and each of its learned models (see the module).

    ``models``: LearnedDownsamplers sharing one window and wavelet (typically one per level). With no models
    (give ``window`` and ``wavelet``) it is windowed top-k at the best level per window.
    """

    def __init__(self, models: Sequence[LearnedDownsampler] = (), *, window: Optional[int] = None,
                 wavelet: Optional[str] = None):
        self.models = list(models)
        for m in self.models:
            if not isinstance(m, LearnedDownsampler):
                raise TypeError(f"models must be LearnedDownsamplers, got {type(m).__name__}")
        if self.models:
            window = self.models[0].window if window is None else window
            wavelet = self.models[0].wavelet if wavelet is None else wavelet
            if any((m.window, m.wavelet) != (window, wavelet) for m in self.models):
                raise ValueError("the models must share one window and wavelet")
        elif window is None or wavelet is None:
            raise ValueError("without models give window and wavelet")
        self.window = positive_int(window, "window")
        self.wavelet = _wavelet_name(wavelet)
        # Levels that divide the window evenly: the windowed transform needs window % 2^level == 0.
        self.topk_levels = [lv for lv in range(1, int(np.log2(self.window)) + 1) if self.window % (1 << lv) == 0]
        if not self.topk_levels:
            raise ValueError(f"window {self.window} must be even")

    def __repr__(self) -> str:
        return (f"MultiLevelDownsampler(window={self.window}, wavelet={self.wavelet!r}, top-k levels "
                f"{self.topk_levels[0]}..{self.topk_levels[-1]}, learned levels {[m.level for m in self.models]})")

    def downsample(self, x, *, budget: float) -> MultiLevelSeries:
        """Store at most ``budget`` x len(x) numbers, window by window (a window of length l gets
        floor(budget x l)); each window gets the candidate with the least error."""
        return self._encode(_series(x), self._resolve_budget(None, budget))

    def _resolve_budget(self, keep, budget) -> float:
        if keep is not None or budget is None:
            raise ValueError("give budget (the share of len(x) stored)")
        b = _fraction(budget, "budget")
        if _window_budget(b, self.window) < CHOICE_HEADER + (self.window >> self.topk_levels[-1]):
            raise ValueError(f"budget {b} is too small for windows of {self.window}: one choice and one "
                             "approximation value per window do not fit")
        return b

    def _encode(self, x: np.ndarray, budget: float) -> MultiLevelSeries:
        w = self.window
        cut = len(x) // w * w
        if 0 < cut < len(x):
            # A short last window is completed from its own samples, as a stream's last window is.
            return MultiLevelSeries.concatenate([self._encode(x[:cut], budget), self._encode(x[cut:], budget)])
        rows = _pad_to_windows(x, w)
        nw = len(rows)
        lengths = [min(w, len(x) - i * w) for i in range(nw)]
        # (lost energy, choice, top-k count or learned piece) per window; a short last window whose budget covers no
        # candidate keeps the deepest approximation alone.
        best = [(np.inf, self.topk_levels[-1], 0)] * nw
        for lv in self.topk_levels:
            bands = _wavedec(rows, self.wavelet, lv)
            la = bands[0].shape[1]
            energy = np.sort(np.concatenate(bands[1:], axis=1) ** 2, axis=1)[:, ::-1]
            tail = np.cumsum(energy[:, ::-1], axis=1)[:, ::-1]  # tail[:, k] = energy left out keeping k
            tail = np.concatenate([tail, np.zeros((nw, 1))], axis=1)
            for i, length in enumerate(lengths):
                if _window_budget(budget, length) - CHOICE_HEADER - la < 0:
                    continue
                k = _topk_count(budget, length, la, w - la)
                if tail[i, k] < best[i][0]:
                    best[i] = (tail[i, k], lv, k)
        for j, m in enumerate(self.models):
            la = w >> m.level
            fits = [_window_budget(budget, length) >= CHOICE_HEADER + la + WINDOW_HEADER for length in lengths]
            if not any(fits):
                continue
            ps = m._encode(x, budget, reserve=CHOICE_HEADER)
            detail = np.concatenate(_wavedec(rows, self.wavelet, m.level)[1:], axis=1)
            total = np.sum(detail ** 2, axis=1)
            for i, ((plo, phi), (elo, ehi)) in enumerate(zip(ps._pred_slices(), ps._exp_slices())):
                if not fits[i]:
                    continue
                lost = total[i] - np.sum(ps.pred_values[plo:phi] ** 2) - np.sum(ps.exp_values[elo:ehi] ** 2)
                # The model must win by more than rounding: equal errors go to plain top-k.
                if lost < best[i][0] - 1e-12 * total[i]:
                    best[i] = (lost, _MODEL_CHOICE + j, _window_piece(ps, i, lengths[i]))
        choices, pieces = [], []
        for i, (_, c, what) in enumerate(best):
            if c >= _MODEL_CHOICE:
                pieces.append(what)
            else:
                xi = x[i * w:i * w + lengths[i]]
                pieces.append(WaveletTopK(self.wavelet, level=c, window=w).downsample(xi, n_keep=int(what)))
            choices.append(c)
        return MultiLevelSeries(len(x), w, self.wavelet, budget, choices, pieces, [m.model_id for m in self.models],
                                self.models)

    def decode(self, data) -> np.ndarray:
        """The reconstruction of ``MultiLevelSeries.to_bytes()`` bytes made with this downsampler's models."""
        return MultiLevelSeries.from_bytes(data, self).reconstruct()

    def stream(self, *, budget: float) -> LearnedStream:
        """A stateful per-window downsampler for a series that arrives in pieces: ``push`` / ``finish`` give
        one MultiLevelSeries per window, and their concatenation equals ``downsample`` of the whole."""
        return LearnedStream(self, self._resolve_budget(None, budget))

    def restore_stream(self, state) -> LearnedStream:
        """A stream continuing from ``state()`` bytes."""
        return LearnedStream.restore(self, state)
