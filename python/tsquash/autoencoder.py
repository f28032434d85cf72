"""Autoencoders trained and run in C++ (LibTorch), for learned lossy compression.

    >>> import numpy as np
    >>> from tsquash.autoencoder import AutoEncoder
    >>> rng = np.random.default_rng(0)
    >>> x = (rng.normal(size=(512, 2)) @ rng.normal(size=(2, 6))).astype(np.float32)
    >>> ae = AutoEncoder((6,), layers=(16,), latent=2, seed=1, threads=1)
    >>> history = ae.fit(x, epochs=40, batch_size=64)
    >>> ae.encode(x).shape, ae.reconstruct(x).shape
    ((512, 2), (512, 6))
    >>> AutoEncoder.from_bytes(ae.to_bytes()).n_parameters == ae.n_parameters
    True

The data must already be normalised (``tsquash.Compressor`` does that, and keeps the error bound); this class
is the model only. ``kind="dense"`` takes samples of ``n_features`` values (Baler's default network,
n -> 200 -> 100 -> 50 -> latent with LeakyReLU); ``kind="conv"`` takes 2-D frames (H, W): stride-2 3x3
convolutions with ``channels`` filters, then the dense ``layers`` down to the latent, mirrored back with
transposed convolutions.

``init="pca"`` adds a linear path beside the networks: encode ``z = P (x - mean) + h(x)``, decode
``mean + P^T z + g(z)``, where h and g are the networks above with their output layers starting at zero.
Before training, ``mean`` and ``P`` are set to the mean and principal components of the training data, so
the untrained model is exactly PCA, and training (which keeps the starting weights unless an epoch beats
them on the validation loss) can only move it to a better reconstruction. Such a model decodes float64
latents in float64. ``init="random"`` is the plain autoencoder.

A model must be trained (:meth:`AutoEncoder.fit`) or loaded (:meth:`AutoEncoder.from_bytes`) before it
encodes or decodes: random weights would compress nothing, so using them is a :class:`NotTrainedError`.
Calling ``fit`` again continues from the current weights.

Training is deterministic for a given seed, data and thread count. LibTorch's thread count is process-wide:
``threads`` sets it for each call (``None`` uses every core).
"""
from __future__ import annotations

import numbers
import os
from typing import Callable, Optional, Union

import numpy as np

from ._validate import positive_int, torch_threads

__all__ = ["AutoEncoder", "NotTrainedError"]

KINDS = ("dense", "conv")
ACTIVATIONS = ("leaky_relu", "relu", "tanh", "elu")
SCHEDULES = ("plateau", "cosine", "constant")
INITS = ("random", "pca")
LOSSES = ("mse", "l1")

ProgressArg = Union[bool, Callable[[int, float, float, float], Optional[bool]]]


class NotTrainedError(ValueError):
    """The autoencoder has not been trained (call ``fit``) or loaded (``from_bytes``) yet."""


def _learned():
    # LibTorch's OpenMP threads spin while they wait for work by default. On a machine whose cores are busy
    # with other work that spinning costs 10-30x in training time with two threads (docs/learned.md);
    # sleeping waiters lose little elsewhere. OpenMP reads this once, when LibTorch loads; a value the user
    # set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from . import _learned
    except ImportError as e:  # built without LibTorch
        raise ImportError(
            "tsquash was built without LibTorch, so the autoencoder is unavailable; install libtorch-dev "
            "(or a torch wheel) and reinstall tsquash"
        ) from e
    return _learned


def _int_tuple(v, name: str) -> tuple:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise TypeError(f"{name} must be a sequence of ints, got {v!r}")
    return tuple(positive_int(w, f"each entry of {name}") for w in v)


class AutoEncoder:
    """A dense or convolutional autoencoder; see the module documentation."""

    def __init__(self, input_shape, *, kind: str = "dense", layers=(200, 100, 50), latent: int = 8,
                 activation: str = "leaky_relu", seed: int = 0, threads: Optional[int] = None,
                 channels=(8, 16, 32), init: str = "random"):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
            input_shape = (input_shape,)
        shape = _int_tuple(input_shape, "input_shape")
        want = 1 if kind == "dense" else 2
        if len(shape) != want:
            raise ValueError(
                f"input_shape for kind={kind!r} is " + ("(n_features,)" if want == 1 else "(H, W)") + f", got {shape}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an int in [0, 2**64), got {seed!r}")
        self._threads = torch_threads(threads)
        self._model = _learned().AutoEncoder(
            kind=kind, input_shape=list(shape), layers=list(_int_tuple(layers, "layers")),
            channels=list(_int_tuple(channels, "channels")) if kind == "conv" else [],
            latent=positive_int(latent, "latent"), activation=activation, seed=int(seed), linear=init == "pca")

    # ---- properties --------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self._model.kind

    @property
    def input_shape(self) -> tuple:
        return self._model.input_shape

    @property
    def latent_dim(self) -> int:
        return self._model.latent

    @property
    def layers(self) -> tuple:
        return self._model.layers

    @property
    def channels(self) -> tuple:
        return self._model.channels

    @property
    def activation(self) -> str:
        return self._model.activation

    @property
    def init(self) -> str:
        """"pca" for a model with the linear path, "random" otherwise."""
        return "pca" if self._model.linear else "random"

    @property
    def decode_dtype(self) -> str:
        """The dtype a compressor feeds decode: float64 for a model with the linear path (its output then
        matches on any machine to float64 rounding), float32 otherwise."""
        return "float64" if self._model.linear else "float32"

    @property
    def n_parameters(self) -> int:
        return self._model.n_parameters

    @property
    def trained(self) -> bool:
        return self._model.trained

    @property
    def threads(self) -> Optional[int]:
        return self._threads or None

    def __repr__(self) -> str:
        extra = f", channels={self.channels}" if self.kind == "conv" else ""
        return (f"AutoEncoder({self.input_shape}, kind={self.kind!r}, layers={self.layers}, latent={self.latent_dim}"
                f"{extra}, activation={self.activation!r}, init={self.init!r}, trained={self.trained})")

    # ---- training ----------------------------------------------------------------------------------------
    def init_pca(self, x) -> "AutoEncoder":
        """Set the linear path to the mean and principal components of x (``init="pca"`` models only) and
        zero the networks' outputs: the model then reconstructs exactly as PCA does, and counts as trained.
        ``fit`` does this itself on a model not yet trained."""
        if self.init != "pca":
            raise ValueError('init_pca needs a model built with init="pca"')
        self._model.init_pca(self._rows(x, "x"))
        return self

    def fit(self, x, *, epochs: int = 100, batch_size: int = 256, lr: float = 1e-3, val_fraction: float = 0.1,
            patience: int = 20, lr_schedule: str = "plateau", latent_step: Optional[float] = None,
            loss: str = "mse", linear_lr: float = 0.1, progress: ProgressArg = False) -> dict:
        """Train on x, shaped (n, *input_shape) and already normalised; returns the history.

        A seeded ``val_fraction`` of the samples is held out: training stops after ``patience`` epochs
        without a better validation loss (0: never early) and the best weights are kept. ``lr_schedule`` is
        "plateau" (halve the rate when the loss stalls), "cosine" (decay to lr/100) or "constant".
        ``latent_step`` (a fraction of each latent dimension's range, e.g. 2**-6) rounds the latent to that
        grid in training and validation, as a compressor stores it (gradients pass straight through);
        ``loss`` is "mse" or "l1" (mean absolute error). ``linear_lr``: the linear path's learning rate as a
        fraction of ``lr`` (``init="pca"`` models; 0 keeps it at PCA). ``progress`` is False, True (a tqdm bar) or ``callable(epoch, loss, val_loss, lr)``; the callable
        returning False stops training after that epoch, and an exception it raises (or Ctrl-C) stops
        training, keeps the best weights and propagates.

        Returns ``{"loss", "val_loss", "lr"}`` (lists, one entry per epoch run), ``"epochs_run"``,
        ``"best_epoch"`` (the epoch whose weights are kept; 0 for the starting weights of a model that was
        trained or initialised before), ``"initial_val_loss"`` (of those starting weights, NaN otherwise),
        ``"seconds"`` and ``"stopped"`` (by the callback).
        """
        rows = self._rows(x, "x")
        epochs = positive_int(epochs, "epochs")
        batch_size = positive_int(batch_size, "batch_size")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if not (isinstance(lr, numbers.Real) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        if not (isinstance(val_fraction, numbers.Real) and 0 <= val_fraction < 1):
            raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
        if lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {lr_schedule!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if latent_step is not None and not (isinstance(latent_step, numbers.Real) and 0 < latent_step < 1):
            raise ValueError(f"latent_step must be in (0, 1) or None, got {latent_step!r}")
        if not (isinstance(linear_lr, numbers.Real) and np.isfinite(linear_lr) and linear_lr >= 0):
            raise ValueError(f"linear_lr must be a number >= 0, got {linear_lr!r}")
        callback, close = self._progress(progress, epochs)
        try:
            return self._model.fit(rows, epochs=epochs, batch_size=batch_size, lr=float(lr),
                                   val_fraction=float(val_fraction), patience=int(patience),
                                   lr_schedule=lr_schedule, threads=self._threads, callback=callback,
                                   latent_step=float(latent_step or 0.0), loss=loss, linear_lr=float(linear_lr))
        finally:
            close()

    @staticmethod
    def _progress(progress, epochs):
        if progress is False or progress is None:
            return None, lambda: None
        if progress is True:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs, unit="epoch", desc="training")

            def tick(epoch, loss, val_loss, lr):
                bar.set_postfix(loss=f"{loss:.3g}", val_loss=f"{val_loss:.3g}", lr=f"{lr:.2g}", refresh=False)
                bar.update(epoch - bar.n)

            return tick, bar.close
        if callable(progress):
            return progress, lambda: None
        raise TypeError(f"progress must be True, False or a callable, got {type(progress).__name__}")

    # ---- inference ---------------------------------------------------------------------------------------
    def encode(self, x) -> np.ndarray:
        """The latent vectors of x, float32 of shape (n, latent_dim)."""
        self._require_trained()
        return self._model.encode(self._rows(x, "x"), threads=self._threads)

    def decode(self, z) -> np.ndarray:
        """Samples from latent vectors z, of shape (n, *input_shape): float64 for a float64 z on a model with
        the linear path (computed in float64), float32 otherwise."""
        self._require_trained()
        if self._model.linear and isinstance(z, np.ndarray) and z.dtype == np.float64:
            z = np.ascontiguousarray(z)
        else:
            z = _as_float32(z, "z")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z: expected shape (n, {self.latent_dim}), got {z.shape}")
        _require_finite(z, "z")
        out = self._model.decode(z, threads=self._threads)
        return out.reshape((z.shape[0],) + self.input_shape)

    def reconstruct(self, x) -> np.ndarray:
        """decode(encode(x))."""
        return self.decode(self.encode(x))

    # ---- bytes -------------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Architecture, weights and the trained flag, with a format version and a checksum
        (docs/format.md). The seed and thread count are not stored."""
        return self._model.to_bytes()

    @classmethod
    def from_bytes(cls, data, *, threads: Optional[int] = None) -> "AutoEncoder":
        """The model saved by :meth:`to_bytes`; damaged bytes raise :class:`tsquash.CorruptStreamError`."""
        if isinstance(data, str) or not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"from_bytes takes bytes, got {type(data).__name__}")
        self = cls.__new__(cls)
        self._threads = torch_threads(threads)
        self._model = _learned().AutoEncoder.from_bytes(bytes(data))
        return self

    def __getstate__(self):
        return {"model": self.to_bytes(), "threads": self._threads}

    def __setstate__(self, state):
        self._threads = state["threads"]
        self._model = _learned().AutoEncoder.from_bytes(state["model"])

    # ---- helpers -----------------------------------------------------------------------------------------
    def _require_trained(self):
        if not self._model.trained:
            raise NotTrainedError("this AutoEncoder has not been trained: call fit() first or load one with from_bytes()")

    def _rows(self, x, name: str) -> np.ndarray:
        """x as a C-contiguous float32 (n, sample_size) array, after checking its shape and values."""
        a = _as_float32(x, name)
        want = self.input_shape
        if a.ndim != 1 + len(want) or a.shape[1:] != want:
            dims = ", ".join(str(d) for d in want)
            raise ValueError(f"{name}: expected shape (n, {dims}) for this model, got {a.shape}")
        if a.shape[0] == 0:
            raise ValueError(f"{name} is empty")
        _require_finite(a, name)
        return a.reshape(a.shape[0], -1)


def _as_float32(x, name: str) -> np.ndarray:
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):  # pandas
        x = x.to_numpy()
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected real numbers (float or int), got dtype {a.dtype}")
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf and is reported below
        return np.ascontiguousarray(a, dtype=np.float32)


def _require_finite(a: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} holds NaN or infinity (first at index {where}); the autoencoder needs finite values")
