"""Normalisation of the learned methods' inputs: per column (tables) or one for all values (frames), fitted on
the training data and stored with the model and in every compressed file."""
from __future__ import annotations

import numpy as np

from ._core import CorruptStreamError

KINDS = ("minmax", "zscore", "none")


class Normaliser:
    """x_n = (x - offset) / scale; 'minmax' maps the training range to [0, 1], 'zscore' to mean 0, std 1."""

    def __init__(self, kind: str, offset: np.ndarray, scale: np.ndarray):
        self.kind = kind
        self.offset = np.asarray(offset, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    @classmethod
    def fit(cls, x: np.ndarray, kind: str = "minmax", per_column: bool = True) -> "Normaliser":
        """x: (n, m) float64; non-finite values are ignored."""
        if kind not in KINDS:
            raise ValueError(f"normalisation must be one of {KINDS}, got {kind!r}")
        finite = np.where(np.isfinite(x), x, np.nan)
        axis = 0 if per_column else None
        with np.errstate(all="ignore"):
            if kind == "minmax":
                lo, hi = np.nanmin(finite, axis=axis), np.nanmax(finite, axis=axis)
                offset, scale = lo, hi - lo
            elif kind == "zscore":
                offset, scale = np.nanmean(finite, axis=axis), np.nanstd(finite, axis=axis)
            else:
                offset, scale = np.zeros(x.shape[1] if per_column else ()), np.ones(x.shape[1] if per_column else ())
        offset = np.nan_to_num(np.atleast_1d(offset), nan=0.0)
        scale = np.atleast_1d(scale)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return cls(kind, offset, scale)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (x - self.offset) / self.scale

    def invert(self, xn: np.ndarray) -> np.ndarray:
        return np.asarray(xn, dtype=np.float64) * self.scale + self.offset

    def to_json(self) -> dict:
        return {"kind": self.kind, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, j, what: str = "compressed data") -> "Normaliser":
        try:
            norm = cls(j["kind"], j["offset"], j["scale"])
            if norm.kind not in KINDS or norm.offset.shape != norm.scale.shape or norm.offset.ndim != 1:
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise CorruptStreamError(f"{what}: malformed normalisation {j!r}") from None
        return norm
