"""Argument checks shared by the learned models (autoencoder, learned downsampler)."""
from __future__ import annotations

import numbers


def positive_int(v, name: str) -> int:
    # bool is an Integral, but epochs=True is a mistake, not 1.
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if v < 1:
        raise ValueError(f"{name} must be at least 1, got {v}")
    return int(v)


def torch_threads(threads) -> int:
    """LibTorch threads for a call: None becomes 0, which the C++ side reads as one per hardware thread."""
    return 0 if threads is None else positive_int(threads, "threads")
