"""Models the learned Compressor methods plug in. A model follows one small protocol::

    model = Cls(input_shape, **params)          # (n_features,) or (H, W)
    history = model.fit(x, **fit_params)        # x float32/float64 (n, *input_shape), already normalised
    z = model.encode(x)                         # (n, latent_dim)
    x_hat = model.decode(z)                     # (n, *input_shape)
    blob = model.to_bytes(); Cls.from_bytes(blob)
    model.latent_dim, model.input_shape

:class:`PCAModel` (thin SVD in the C++ core, Eigen) is here; the LibTorch autoencoder is
``tsquash.autoencoder.AutoEncoder``. New models register in :data:`MODELS`.
"""
from __future__ import annotations

import time

import numpy as np

from . import _core
from .learned_format import field, pack, unpack

_PCA_MAGIC = b"TSQP"


class PCAModel:
    """Principal components of the training data: encode projects on the first ``latent`` components,
    decode maps back. Components and mean are kept as float32 (half the model bytes); encode and decode
    compute in float64 from them, so both ends get the same numbers."""

    kind = "pca"

    def __init__(self, input_shape, *, latent: int = 8):
        self.input_shape = tuple(int(s) for s in input_shape)
        if isinstance(latent, bool) or not isinstance(latent, (int, np.integer)) or latent < 1:
            raise ValueError(f"pca: latent must be a positive int, got {latent!r}")
        self._latent = int(latent)
        self.mean: np.ndarray | None = None
        self.components: np.ndarray | None = None
        self.singular_values: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def latent_dim(self) -> int:
        return self._latent if self.components is None else self.components.shape[0]

    @property
    def n_parameters(self) -> int:
        return 0 if self.components is None else self.components.size + self.mean.size

    def fit(self, x, **_ignored) -> dict:
        """Training options of the autoencoder (epochs, lr, ...) are accepted and ignored: the SVD is exact."""
        start = time.perf_counter()
        x = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(len(x), self.n_features))
        mean, comps, sv = _core.pca_fit(x, self._latent)
        self.mean = mean.astype(np.float32)
        self.components = comps.astype(np.float32)
        self.singular_values = sv
        energy = float(np.sum(sv**2) / max(np.sum((x - mean) ** 2), 1e-300))
        return {"loss": [], "val_loss": [], "lr": [], "epochs_run": 0, "seconds": time.perf_counter() - start,
                "explained_variance": energy}

    def _need_fit(self):
        if self.components is None:
            raise RuntimeError("pca: the model is not trained; call fit first")

    def encode(self, x) -> np.ndarray:
        self._need_fit()
        x = np.asarray(x, dtype=np.float64).reshape(len(x), self.n_features)
        return (x - self.mean.astype(np.float64)) @ self.components.astype(np.float64).T

    def decode(self, z) -> np.ndarray:
        self._need_fit()
        z = np.asarray(z, dtype=np.float64)
        out = z @ self.components.astype(np.float64) + self.mean.astype(np.float64)
        return out.reshape((len(z), *self.input_shape))

    def reconstruct(self, x) -> np.ndarray:
        return self.decode(self.encode(x))

    def to_bytes(self) -> bytes:
        self._need_fit()
        header = {"input_shape": list(self.input_shape), "latent": self.latent_dim}
        return pack(_PCA_MAGIC, header, {"mean": self.mean.astype("<f4").tobytes(),
                                         "components": self.components.astype("<f4").tobytes(),
                                         "singular_values": self.singular_values.astype("<f8").tobytes()})

    @classmethod
    def from_bytes(cls, blob) -> "PCAModel":
        what = "pca model"
        header, sections, _ = unpack(blob, _PCA_MAGIC, what)
        shape = field(header, "input_shape", list, what)
        k = field(header, "latent", int, what)
        try:
            model = cls(shape, latent=k)
            d = model.n_features
            # older saved models keep a float64 mean
            raw_mean = sections["mean"]
            mean = np.frombuffer(raw_mean, dtype="<f8" if len(raw_mean) == 8 * d else "<f4")
            comps = np.frombuffer(sections["components"], dtype="<f4")
            sv = np.frombuffer(sections["singular_values"], dtype="<f8")
            if mean.size != d or comps.size != k * d or sv.size != k:
                raise ValueError("array sizes do not match the header")
        except (KeyError, TypeError, ValueError) as exc:
            raise _core.CorruptStreamError(f"{what}: {exc}") from None
        model.mean, model.components, model.singular_values = mean.copy(), comps.reshape(k, d).copy(), sv.copy()
        return model


def _autoencoder():
    from .autoencoder import AutoEncoder

    return AutoEncoder


# method name -> a function returning the model class (the autoencoder imports LibTorch lazily).
MODELS = {"pca": lambda: PCAModel, "autoencoder": _autoencoder}
