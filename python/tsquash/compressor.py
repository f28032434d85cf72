"""``Compressor``: one front door for every tsquash method.

    >>> import numpy as np
    >>> from tsquash import Compressor
    >>> x = np.cumsum(np.random.default_rng(0).normal(size=(500, 3)), axis=0)
    >>> c = Compressor("pca", latent=2, max_error=0.01).train(x)
    >>> blob = c.compress(x)
    >>> bool(np.abs(c.decompress(blob) - x).max() <= 0.01)
    True

Methods (docs/learned.md):

* lossless codecs (``raw``, ``gorilla``, ``chimp``, ``chimp128``, ``tsxor``, ``fpc``, ``alp``, ``auto``):
  bit-exact; ``train`` does nothing.
* error-bounded filters (``sdt``, ``deadband``, ``hysteresis``): the stored points of each column;
  decompress reconstructs every row (linear for sdt, step for the others).
* ``quantise``: values on the 2 * max_error grid, the integers coded by a tsquash codec.
* learned (``pca``, ``autoencoder``): a model trained by ``train`` maps rows (or frames) to a small latent;
  the latent is quantised and coded, and with ``max_error`` the quantised residual corrections make every value
  come back within the bound.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from . import api, codecs, layout as _layout, residual
from .errors import CorruptStreamError, ModelMismatchError
from .filters import DeadbandFilter, HysteresisFilter, SdtFilter, reconstruct
from .learned_format import DATA_MAGIC, FLAG_NEEDS_MODEL, MODEL_MAGIC, field, pack, unpack
from .models import MODELS
from .normalise import KINDS as NORMALISATIONS, Normaliser

FILTERS = {"sdt": (SdtFilter, "deviation", "linear"), "deadband": (DeadbandFilter, "deadband", "step"),
           "hysteresis": (HysteresisFilter, "hysteresis", "step")}
LEARNED = tuple(MODELS)
METHODS = (*codecs.ALL, *FILTERS, "quantise", *LEARNED)

# Model output may differ in its last bits on another machine (float32 kernels, BLAS summation order): the
# residual correction aims at max_error minus this fraction of the column's normalisation scale, by the dtype
# the model decodes in.
GUARD = {"float32": 2.0**-18, "float64": 2.0**-40}

_BOUND_PARAMS = {"max_error": "absolute bound on |decompressed - original| for every value",
                 "max_error_relative": "bound as a fraction of each column's range (frames: of all values)"}
_MODEL_PARAMS = {
    "pca": {"latent": 8},
    "autoencoder": {"latent": 8, "kind": "dense", "layers": (200, 100, 50), "activation": "leaky_relu", "seed": 0,
                    "threads": None, "channels": (8, 16, 32), "init": "pca"},
}
_FIT_PARAMS = {"epochs": 100, "batch_size": 256, "lr": 1e-3, "val_fraction": 0.1, "patience": 20,
               "lr_schedule": "plateau", "train_latent_step": None, "loss": "l1", "linear_lr": 0.1}
_LEARNED_PARAMS = {"normalisation": "minmax", "latent_step_relative": None, "codec": "auto"}
COMPRESSOR_FILE = "compressor.json"
MODEL_FILE = "model.tsqm"


def _known_params(method: str) -> dict:
    if method in codecs.ALL:
        return {p["name"]: p["default"] for spec in api.available_codecs() if spec["name"] == method
                for p in spec["params"]}
    if method in FILTERS:
        return {FILTERS[method][1]: None, **dict.fromkeys(_BOUND_PARAMS)}
    if method == "quantise":
        return {**dict.fromkeys(_BOUND_PARAMS), "codec": "auto"}
    return {**_MODEL_PARAMS[method], **_FIT_PARAMS, **_LEARNED_PARAMS, **dict.fromkeys(_BOUND_PARAMS)}


class CompressedData:
    """Self-describing compressed bytes (docs/format.md). ``bytes(obj)`` gives them back."""

    def __init__(self, blob):
        self._blob = bytes(blob)
        self.header, self._sections, flags = unpack(self._blob, DATA_MAGIC, "compressed data")
        self.needs_model = bool(flags & FLAG_NEEDS_MODEL)
        self.method = field(self.header, "method", str, "compressed data")
        if self.method not in METHODS:
            raise CorruptStreamError(f"compressed data: unknown method {self.method!r}")
        self.layout = _layout.Layout.from_json(field(self.header, "layout", dict, "compressed data"))
        if self.needs_model != (self.method in LEARNED):
            raise CorruptStreamError("compressed data: the needs-model flag contradicts the method")

    def __bytes__(self) -> bytes:
        return self._blob

    @property
    def nbytes(self) -> int:
        return len(self._blob)

    @property
    def model_hash(self) -> str | None:
        return self.header.get("model_sha256")

    @property
    def original_nbytes(self) -> int:
        """Bytes of the values that were compressed (index excluded), from the stored shape and dtypes."""
        lay = self.layout
        return int(sum(lay.n_rows * np.dtype(lay.column_dtype(j)).itemsize for j in range(lay.n_columns)))

    def section(self, name: str) -> bytes:
        try:
            return bytes(self._sections[name])
        except KeyError:
            raise CorruptStreamError(f"compressed data: section {name!r} is missing") from None

    def has_section(self, name: str) -> bool:
        return name in self._sections

    def ratio(self, original, model_bytes: int = 0) -> float:
        """Original size / compressed size; ``original`` is the data (its values' bytes count) or a byte count.
        ``model_bytes`` adds the model to the compressed side (what a user must keep to decode)."""
        return _nbytes(original) / (self.nbytes + model_bytes)

    def save(self, path) -> None:
        _atomic_write(Path(path), self._blob)

    @classmethod
    def load(cls, path) -> "CompressedData":
        return cls(Path(path).read_bytes())

    def __repr__(self) -> str:
        return (f"CompressedData(method={self.method!r}, shape={self.layout.shape}, nbytes={self.nbytes}, "
                f"needs_model={self.needs_model})")


def _nbytes(original) -> int:
    if isinstance(original, (int, np.integer)):
        return int(original)
    lay, values, _ = _layout.describe(original)
    if isinstance(values, list):
        return int(sum(v.nbytes for v in values))
    return int(values.nbytes)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Compressor:
    """``Compressor(method, **params)``; see the module docstring and docs/learned.md for methods and params."""

    def __init__(self, method: str, **params):
        if method == "quantize":
            method = "quantise"
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
        self.method = method
        known = _known_params(method)
        unknown = [k for k in params if k not in known]
        if unknown:
            raise TypeError(f"Compressor({method!r}) got unexpected parameter(s) {unknown}; takes: {list(known)}")
        self.params = {**{k: v for k, v in known.items() if v is not None}, **params}
        self._check_params()
        self.model = None
        self.normaliser: Normaliser | None = None
        self.history: dict | None = None
        self._model_blob: bytes | None = None

    # ------------------------------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        p = self.params
        if self.method in codecs.ALL:
            codecs.get(self.method, **p)
            return
        bounds = [k for k in _BOUND_PARAMS if p.get(k) is not None]
        if self.method in FILTERS:
            thr = FILTERS[self.method][1]
            given = [k for k in (thr, "max_error", "max_error_relative") if p.get(k) is not None]
            if len(given) != 1:
                raise ValueError(f"{self.method}: give exactly one of {thr}, max_error and max_error_relative")
            if "max_error" in p:  # the filter's own name for its bound
                p[thr] = p.pop("max_error")
                given = [thr]
            bounds = given
        elif len(bounds) > 1:
            raise ValueError("give max_error or max_error_relative, not both")
        elif self.method == "quantise" and not bounds:
            raise ValueError("quantise needs max_error or max_error_relative")
        for k in bounds:
            v = p[k]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not np.isfinite(v) \
                    or v <= 0:
                raise ValueError(f"{k} must be a positive finite number, got {v!r}")
            if k == "max_error_relative" and v >= 1:
                raise ValueError(f"max_error_relative is a fraction of the range, below 1; got {v!r}")
            p[k] = float(v)
        if "codec" in p and p["codec"] not in ("auto", "alp", "gorilla", "raw"):
            raise ValueError(f"codec for the integers must be auto, alp, gorilla or raw; got {p['codec']!r}")
        if self.method in LEARNED:
            if p["normalisation"] not in NORMALISATIONS:
                raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {p['normalisation']!r}")
            lat = p["latent"]
            if isinstance(lat, bool) or not isinstance(lat, (int, np.integer)) or lat < 1:
                raise ValueError(f"latent must be a positive int, got {lat!r}")
            if self.method == "autoencoder":
                if p.get("init") not in ("pca", "random"):
                    raise ValueError(f"init must be 'pca' or 'random', got {p.get('init')!r}")
                if p.get("loss") not in ("mse", "l1"):
                    raise ValueError(f"loss must be 'mse' or 'l1', got {p.get('loss')!r}")
            rel = p.get("latent_step_relative")
            if rel is not None and not (isinstance(rel, (int, float)) and 0 < rel < 1):
                raise ValueError(f"latent_step_relative must be in (0, 1), got {rel!r}")

    @property
    def error_bounded(self) -> bool:
        return self.method in FILTERS or any(self.params.get(k) is not None for k in _BOUND_PARAMS)

    @property
    def needs_model(self) -> bool:
        return self.method in LEARNED

    @property
    def trained(self) -> bool:
        return not self.needs_model or self.model is not None

    # ------------------------------------------------------------------------------------------ training
    def train(self, data, **fit_params) -> "Compressor":
        """Fit the model (learned methods) on ``data``; other methods have nothing to learn. ``fit_params``
        override the training parameters given to the constructor (epochs, batch_size, lr, val_fraction,
        patience, lr_schedule) and may add ``progress=True`` (a tqdm bar for the autoencoder)."""
        if not self.needs_model:
            self.history = {"loss": [], "val_loss": [], "lr": [], "epochs_run": 0, "seconds": 0.0}
            return self
        unknown = [k for k in fit_params if k not in _FIT_PARAMS and k != "progress"]
        if unknown:
            raise TypeError(f"train() got unexpected parameter(s) {unknown}; takes: {[*_FIT_PARAMS, 'progress']}")
        lay, values, _ = _layout.describe(data)
        x = _layout.matrix(lay, values)
        rows = np.isfinite(x).all(axis=1)
        if not rows.all():
            x = x[rows]
            if x.shape[0] == 0:
                raise ValueError("train: no row without NaN or inf to learn from")
        norm = Normaliser.fit(x, self.params["normalisation"], per_column=lay.kind != "frames")
        xn = norm.apply(x)
        input_shape = self._model_shape(lay)
        cls = MODELS[self.method]()
        # Parameters whose default is None (threads: the model's own choice) are absent from self.params.
        model_params = {k: self.params[k] for k in _MODEL_PARAMS[self.method] if self.params.get(k) is not None}
        model_params["latent"] = min(int(model_params["latent"]), int(np.prod(input_shape)))
        model = cls(input_shape, **model_params)
        fit = {k: self.params[k] for k in _FIT_PARAMS if k in self.params}
        fit.update(fit_params)
        if "train_latent_step" in fit:  # the model's own name for it
            fit["latent_step"] = fit.pop("train_latent_step")
        self.history = model.fit(xn.astype(np.float32).reshape((len(xn), *input_shape)), **fit)
        self.model = model
        self.normaliser = norm
        self._model_blob = None
        return self

    def _model_shape(self, lay) -> tuple:
        if self.method == "autoencoder" and lay.kind == "frames" and self.params.get("kind", "dense") != "dense":
            return lay.shape[1:]
        return (lay.n_columns,)

    # ------------------------------------------------------------------------------------------ model bytes
    @property
    def model_bytes(self) -> bytes:
        """The saved model file's bytes (empty for methods without a model)."""
        if not self.needs_model:
            return b""
        if self.model is None:
            raise RuntimeError(f"{self.method}: the compressor is not trained; call train() first")
        if self._model_blob is None:
            self._model_blob = pack(MODEL_MAGIC, {"method": self.method, "normalisation": self.normaliser.to_json()},
                                    {"model": self.model.to_bytes()})
        return self._model_blob

    @property
    def model_nbytes(self) -> int:
        return len(self.model_bytes)

    @property
    def model_hash(self) -> str | None:
        if not self.needs_model:
            return None
        return hashlib.sha256(self.model_bytes).hexdigest()[:32]

    # ------------------------------------------------------------------------------------------ compress
    def compress(self, data) -> CompressedData:
        """Compress a DataFrame / Series, a 1-D or 2-D array (rows x columns) or a 3-D array of frames."""
        lay, values, index_blob = _layout.describe(data)
        header = {"method": self.method, "params": _json_params(self._stored_params()), "layout": lay.to_json()}
        sections: dict[str, bytes] = {}
        if index_blob is not None:
            sections["index"] = index_blob
        if self.method in codecs.ALL:
            self._compress_lossless(lay, values, sections)
        elif self.method in FILTERS:
            self._compress_filter(lay, _layout.matrix(lay, values), header, sections)
        elif self.method == "quantise":
            self._compress_quantise(lay, _layout.matrix(lay, values), header, sections)
            # Data with few significant digits can be smaller stored exactly than on the grid: keep the smaller.
            exact: dict[str, bytes] = {}
            self._compress_lossless(lay, values, exact, codec="auto")
            if sum(map(len, exact.values())) < sum(len(v) for k, v in sections.items() if k != "index"):
                for key in ("corrections", "exception_positions", "exception_values"):
                    del sections[key]
                sections.update(exact)
                header["stored_as"] = "auto"
                header["residual"] = None
        else:
            self._compress_learned(lay, _layout.matrix(lay, values), header, sections)
        flags = FLAG_NEEDS_MODEL if self.needs_model else 0
        return CompressedData(pack(DATA_MAGIC, header, sections, flags=flags))

    def _stored_params(self) -> dict:
        """The parameters compressed data records: for learned methods not how the model was built and trained
        (its file and compressor.json keep that; the data names the model by hash), only what shaped this
        output."""
        if not self.needs_model:
            return self.params
        skip = {*_FIT_PARAMS, *_MODEL_PARAMS[self.method]} - {"latent"}
        return {k: v for k, v in self.params.items() if k not in skip}

    def _compress_lossless(self, lay, values, sections, codec: str | None = None) -> None:
        codec = codec or self.method
        params = codecs.get(codec, **self.params).params if codec == self.method else {}
        takes = next(s["dtypes"] for s in api.available_codecs() if s["name"] == codec)

        def encode(v):
            # integer columns go to auto when the codec is float-only (the stream names its codec)
            if v.dtype.name not in takes:
                return api.encode(v, "auto")
            return api.encode(v, codec, **params)

        if isinstance(values, list):
            for j, col in enumerate(values):
                stored = np.ascontiguousarray(col.astype(_layout.stored_dtype(col.dtype.name), copy=False))
                sections[f"col{j}"] = encode(stored)
        else:
            order = "F" if values.ndim == 2 else "C"  # a table's columns are the series; frames stay frames
            stored = values.astype(_layout.stored_dtype(values.dtype.name), copy=False)
            sections["values"] = encode(np.ascontiguousarray(stored.reshape(-1, order=order)))

    def _bounds(self, x: np.ndarray, lay) -> np.ndarray:
        """The per-column bound for this data (m,)."""
        m = x.shape[1]
        if self.params.get("max_error") is not None:
            return np.full(m, self.params["max_error"])
        if self.method in FILTERS and self.params.get(FILTERS[self.method][1]) is not None:
            return np.full(m, float(self.params[FILTERS[self.method][1]]))
        rel = self.params["max_error_relative"]
        finite = np.where(np.isfinite(x), x, np.nan)
        with np.errstate(all="ignore"), _quiet_nan():
            if lay.kind == "frames":
                rng = np.full(m, np.nanmax(finite) - np.nanmin(finite))
            else:
                rng = np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0)
        rng = np.where(np.isfinite(rng) & (rng > 0), rng, 1.0)
        return rel * rng

    def _compress_filter(self, lay, x, header, sections) -> None:
        cls, _, _ = FILTERS[self.method]
        bounds = self._bounds(x, lay)
        n, m = x.shape
        t = np.arange(n, dtype=np.int64)
        counts, times, vals = [], [], []
        for j in range(m):
            f = cls(float(bounds[j]))
            kt, kv = f.filter_arrays(t, x[:, j])
            held = f.flush()  # the point a filter holds back until it knows the next one
            if held:
                kt = np.concatenate([kt, np.asarray([p[0] for p in held], dtype=np.int64)])
                kv = np.concatenate([kv, np.asarray([p[1] for p in held], dtype=np.float64)])
            counts.append(kt.size)
            times.append(kt)
            vals.append(kv)
        counts = np.asarray(counts, dtype=np.int64)
        times = np.concatenate(times).astype(np.int64)
        vals = np.concatenate(vals).astype(np.float64)
        header["bounds"] = residual.compact(bounds)
        sections["counts"] = api.encode(counts, "auto")
        sections["times"] = api.encode(times, "auto")
        sections["points"] = api.encode(vals, "auto")
        # The filters' bounds hold up to floating-point rounding (and before a cast to float32 or int): the
        # residual layer turns them into guarantees, storing the rare value outside exactly.
        recon = _filter_reconstruction(counts, times, vals, n, FILTERS[self.method][2])
        res, meta = residual.encode(x, recon, bounds, lay.dtypes, "F")
        header["residual"] = meta
        sections.update(res)

    def _compress_quantise(self, lay, x, header, sections) -> None:
        eps = self._bounds(x, lay)
        finite = np.where(np.isfinite(x), x, np.nan)
        with np.errstate(all="ignore"), _quiet_nan():
            lo = np.nanmin(finite) if lay.kind == "frames" else np.nanmin(finite, axis=0)
        offset = np.broadcast_to(np.nan_to_num(lo), (x.shape[1],)).astype(np.float64)
        recon = np.broadcast_to(offset, x.shape)
        order = "C" if lay.kind == "frames" else "F"
        res_sections, meta = residual.encode(x, recon, eps, lay.dtypes, order, self.params["codec"])
        header["offset"] = residual.compact(offset)
        header["residual"] = meta
        sections.update(res_sections)

    def _need_model(self) -> None:
        if self.model is None:
            raise RuntimeError(f"{self.method}: the compressor is not trained; call train() or Compressor.load()")

    def _compress_learned(self, lay, x, header, sections) -> None:
        self._need_model()
        shape = self._model_shape(lay)
        if tuple(self.model.input_shape) != tuple(shape):
            raise ValueError(f"the model was trained on rows of shape {tuple(self.model.input_shape)}, "
                             f"this data has {tuple(shape)}")
        bounded = self.error_bounded
        finite = np.isfinite(x)
        if not bounded and not finite.all():
            raise ValueError("the data holds NaN or inf: give max_error (non-finite values then pass through "
                             "exactly) or clean the data")
        norm = self.normaliser
        xn = np.where(finite, norm.apply(x), 0.0)
        z = np.asarray(self.model.encode(xn.astype(np.float32).reshape((len(xn), *shape))), dtype=np.float64)
        if bounded:
            guard = GUARD[_decode_dtype(self.model)]
            eps = self._bounds(x, lay) - guard * np.broadcast_to(norm.scale, (x.shape[1],))
            if (eps <= 0).any():
                raise ValueError(f"max_error is too small for a {self.method} model (the guard band for model "
                                 f"rounding is {guard:g} of the range); use quantise or a lossless codec")
        else:
            eps = None
        order = "C" if lay.kind == "frames" else "F"
        tried: dict[float, tuple] = {}

        def attempt(exponent: float):
            # The latent on a grid of 2**exponent of each dimension's range, and what it costs in total.
            if exponent not in tried:
                latent_blob, steps, zq = _quantise_latent(z, 2.0**exponent, self.params["codec"])
                zq = zq.astype(_decode_dtype(self.model))  # exactly what the decoder feeds the model
                recon = norm.invert(np.asarray(self.model.decode(zq)).reshape(x.shape))
                if bounded:
                    res, meta = residual.encode(x, recon, eps, lay.dtypes, order, self.params["codec"])
                else:
                    res, meta = {}, None
                size = len(latent_blob) + sum(len(b) for b in res.values())
                tried[exponent] = (size, latent_blob, steps, res, meta)
            return tried[exponent]

        if self.params.get("latent_step_relative") is not None:
            best = attempt(float(np.log2(self.params["latent_step_relative"])))
        elif not bounded:
            best = attempt(-10)
        else:
            # The best step does not follow the bound: the corrections store the fine detail anyway, so a
            # coarse latent often wins at tight bounds (tables: 2^-2..2^-4 of the range; CFD frames: 2^-6..2^-8).
            # 2^-2, 2^-5, 2^-8, 2^-11, then around the best in steps of a factor 2 and sqrt(2): eight tries.
            for e in range(-2, -14, -3):
                attempt(float(e))
            for delta in (1.0, 0.5):
                top = min(tried, key=lambda e: tried[e][0])
                for e in (top - delta, top + delta):
                    if -14 <= e <= -1:
                        attempt(e)
            best = min(tried.values(), key=lambda t: t[0])
        _, latent_blob, steps, res, meta = best
        header.update({"model_sha256": self.model_hash, "normalisation": norm.to_json(),
                       "latent": {"dim": int(z.shape[1]), "steps": steps, "dtype": _decode_dtype(self.model)},
                       "residual": meta})
        sections["latent"] = latent_blob
        sections.update(res)

    # ------------------------------------------------------------------------------------------ decompress
    def decompress(self, blob):
        """The data back, as the kind of object compressed (DataFrame with its index, columns and dtypes,
        Series, or array of the same shape and dtype). ``blob``: CompressedData, bytes, or a path."""
        data = _as_compressed(blob)
        lay = data.layout
        if data.method != self.method and (data.needs_model or self.needs_model):
            raise ModelMismatchError(f"the data was compressed with {data.method!r}, this compressor is "
                                     f"{self.method!r}")
        try:
            if data.method in codecs.ALL or data.header.get("stored_as") == "auto":
                columns = _decompress_lossless(data, lay)
            elif data.method in FILTERS:
                columns = _split(_decompress_filter(data, lay), lay)
            elif data.method == "quantise":
                columns = _split(_decompress_quantise(data, lay), lay)
            else:
                columns = _split(self._decompress_learned(data, lay), lay)
        except (KeyError, IndexError, TypeError) as exc:
            raise CorruptStreamError(f"compressed data: inconsistent contents ({type(exc).__name__}: {exc})") from None
        index_blob = data.section("index") if data.has_section("index") else None
        return _layout.rebuild(lay, columns, index_blob)

    def _decompress_learned(self, data, lay) -> np.ndarray:
        self._need_model()
        if data.model_hash != self.model_hash:
            raise ModelMismatchError(f"the data was compressed with model {data.model_hash}, this compressor holds "
                                     f"model {self.model_hash}; load the model it was made with")
        h = data.header
        norm = Normaliser.from_json(field(h, "normalisation", dict, "compressed data"))
        lat = field(h, "latent", dict, "compressed data")
        steps = np.asarray(lat["steps"], dtype=np.float64)
        zi = api.decode(data.section("latent"))
        n = lay.n_rows
        if zi.dtype != np.int64 or zi.size != n * steps.size or steps.size != self.model.latent_dim:
            raise CorruptStreamError("compressed data: the latent section does not match the model")
        zq = (zi.reshape((n, steps.size), order="F") * steps).astype(lat["dtype"])
        recon = norm.invert(np.asarray(self.model.decode(zq)).reshape(n, lay.n_columns))
        if h.get("residual") is None:
            return _through_dtypes(recon, lay.dtypes)
        return residual.decode(recon, data._sections, h["residual"], lay.dtypes)

    # ------------------------------------------------------------------------------------------ save / load
    def save(self, directory) -> Path:
        """Write the compressor (method, parameters, and for learned methods the trained model) to a folder."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        meta = {"format": "tsquash-compressor", "version": 1, "method": self.method,
                "params": _json_params(self.params), "history": _json_history(self.history)}
        if self.needs_model:
            self._need_model()
            _atomic_write(d / MODEL_FILE, self.model_bytes)
            meta.update({"model_file": MODEL_FILE, "model_sha256": self.model_hash,
                         "model_nbytes": self.model_nbytes})
        _atomic_write(d / COMPRESSOR_FILE, json.dumps(meta, indent=1).encode())
        return d

    @classmethod
    def load(cls, directory) -> "Compressor":
        d = Path(directory)
        path = d / COMPRESSOR_FILE
        try:
            meta = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no saved compressor here (Compressor.save writes it)") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptStreamError(f"{path}: not a valid compressor file ({exc})") from None
        what = str(path)
        if not isinstance(meta, dict) or meta.get("format") != "tsquash-compressor":
            raise CorruptStreamError(f"{path}: not a tsquash compressor file")
        method = field(meta, "method", str, what)
        params = field(meta, "params", dict, what)
        if method == "autoencoder":  # saved before the linear path existed: the plain autoencoder
            params.setdefault("init", "random")
        for key in ("layers", "channels"):
            if method == "autoencoder" and isinstance(params.get(key), list):
                params[key] = tuple(params[key])
        try:
            c = cls(method, **params)
        except (TypeError, ValueError) as exc:
            raise CorruptStreamError(f"{path}: invalid method or parameters ({exc})") from None
        c.history = meta.get("history")
        if c.needs_model:
            mpath = d / field(meta, "model_file", str, what)
            blob = mpath.read_bytes()
            if hashlib.sha256(blob).hexdigest()[:32] != field(meta, "model_sha256", str, what):
                raise CorruptStreamError(f"{mpath}: the model file does not match {path} (corrupted or replaced)")
            header, sections, _ = unpack(blob, MODEL_MAGIC, str(mpath))
            if header.get("method") != method or "model" not in sections:
                raise CorruptStreamError(f"{mpath}: not a {method} model")
            c.normaliser = Normaliser.from_json(header.get("normalisation"), str(mpath))
            # The thread count the compressor was built with: float64 decoding may round differently with
            # another (within the guard band, but save/load should give identical outputs).
            extra = {"threads": c.params["threads"]} if c.params.get("threads") is not None else {}
            c.model = MODELS[method]().from_bytes(bytes(sections["model"]), **extra)
            c._model_blob = blob
        return c

    # ------------------------------------------------------------------------------------------ evaluate
    def evaluate(self, data, plots=None, columns=None, formats=("png", "pdf")) -> dict:
        """Compress and decompress ``data``; return the error and size metrics, and with ``plots`` (a folder)
        write Baler's plots there (training loss, and per variable: histograms, response, residuals)."""
        t0 = time.perf_counter()
        blob = self.compress(data)
        t1 = time.perf_counter()
        back = self.decompress(blob)
        t2 = time.perf_counter()
        lay, values, _ = _layout.describe(data)
        x = _layout.matrix(lay, values)
        y = _layout.matrix(*_layout.describe(back)[:2])
        both = np.isfinite(x) & np.isfinite(y)
        err = np.where(both, y - x, 0.0)
        original = _nbytes(data)
        metrics = {
            "method": self.method,
            "original_bytes": original,
            "compressed_bytes": blob.nbytes,
            "model_bytes": self.model_nbytes,
            "ratio": original / blob.nbytes,
            "ratio_with_model": original / (blob.nbytes + self.model_nbytes),
            "max_abs_error": float(np.abs(err).max()),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "max_abs_error_per_column": np.abs(err).max(axis=0).tolist() if x.shape[1] <= 64 else None,
            "nonfinite_mismatches": int((np.isfinite(x) != np.isfinite(y)).sum()),
            "compress_seconds": t1 - t0,
            "decompress_seconds": t2 - t1,
        }
        if plots is not None:
            from . import learned_plots

            metrics["plots"] = [str(p) for p in learned_plots.write_all(
                plots, x, y, names=_column_names(lay), history=self.history, columns=columns,
                formats=formats, title=self.method,
                frame_shape=lay.shape[1:] if lay.kind == "frames" else None)]
        return metrics

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        state = "trained" if self.model is not None else ("untrained" if self.needs_model else "ready")
        return f"Compressor({self.method!r}{', ' if args else ''}{args}) [{state}]"


# ---------------------------------------------------------------------------------------------- helpers
class _quiet_nan:
    """Silence numpy's all-NaN slice warnings (columns without finite values get a neutral range)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _column_names(lay) -> list[str]:
    if lay.columns is not None:
        return [str(c) for c in lay.columns]
    if lay.kind == "frames":
        return ["all values"]
    return [f"c{j}" for j in range(lay.n_columns)]


def _json_params(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def _json_history(h):
    if h is None:
        return None
    return {k: (list(map(float, v)) if isinstance(v, (list, tuple, np.ndarray)) else v) for k, v in h.items()}


def _decode_dtype(model) -> str:
    if getattr(model, "kind", None) == "pca":
        return "float64"
    return getattr(model, "decode_dtype", "float32")


def _quantise_latent(z: np.ndarray, rel: float, codec: str):
    """Latent on a grid of ``rel`` times each dimension's range: (coded ints, steps, dequantised latent)."""
    rng = z.max(axis=0) - z.min(axis=0)
    steps = np.where(rng > 0, rng * rel, 1.0)
    zi = np.rint(z / steps).astype(np.int64)
    blob = api.encode(np.ascontiguousarray(zi.reshape(-1, order="F")), codec)
    return blob, steps.tolist(), zi * steps


def _as_compressed(blob) -> CompressedData:
    if isinstance(blob, CompressedData):
        return blob
    if isinstance(blob, (str, os.PathLike)):
        return CompressedData.load(blob)
    return CompressedData(blob)


def _through_dtypes(x: np.ndarray, dtypes) -> np.ndarray:
    from .residual import _apply

    return _apply(x, np.zeros(x.shape, dtype=np.int64), np.zeros(x.shape[1]), dtypes)


def _split(x: np.ndarray, lay) -> list[np.ndarray]:
    """(n, m) float64 -> the columns in their dtypes (tables) or the whole array (arrays, frames)."""
    if lay.kind in ("array", "frames"):
        return [_cast(x.reshape(lay.shape), lay.dtypes[0])]
    return [_cast(x[:, j], lay.column_dtype(j)) for j in range(x.shape[1])]


def _cast(v: np.ndarray, dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind in "iub":
        with np.errstate(invalid="ignore"):
            return np.rint(v).astype(dt)
    return v.astype(dt)


def _decompress_lossless(data, lay) -> list[np.ndarray]:
    if lay.kind in ("array", "frames"):
        v = api.decode(data.section("values"))
        if v.size != int(np.prod(lay.shape)):
            raise CorruptStreamError("compressed data: value count does not match the shape")
        order = "F" if len(lay.shape) == 2 else "C"
        shape = lay.shape if len(lay.shape) > 1 else (lay.shape[0],)
        return [np.ascontiguousarray(v.reshape(shape, order=order)).astype(lay.dtypes[0], copy=False)]
    cols = []
    for j in range(lay.n_columns):
        v = api.decode(data.section(f"col{j}"))
        if v.size != lay.n_rows:
            raise CorruptStreamError(f"compressed data: column {j} has {v.size} values, expected {lay.n_rows}")
        cols.append(v.astype(lay.column_dtype(j), copy=False))
    return cols


def _decompress_filter(data, lay) -> np.ndarray:
    _, _, how = FILTERS[data.method]
    counts = api.decode(data.section("counts"))
    times = api.decode(data.section("times"))
    points = api.decode(data.section("points"))
    n, m = lay.n_rows, lay.n_columns
    if counts.size != m or counts.min() < 1 or counts.sum() != times.size or times.size != points.size \
            or times.dtype != np.int64 or points.dtype != np.float64:
        raise CorruptStreamError("compressed data: filter sections do not match the shape")
    recon = _filter_reconstruction(counts, times, points, n, how)
    return residual.decode(recon, data._sections, data.header["residual"], lay.dtypes)


def _filter_reconstruction(counts, times, points, n: int, how: str) -> np.ndarray:
    m = counts.size
    out = np.empty((n, m))
    t = np.arange(n, dtype=np.int64)
    ends = np.cumsum(counts)
    for j in range(m):
        a, b = ends[j] - counts[j], ends[j]
        kt = times[a:b]
        if kt[0] != 0 or kt[-1] != n - 1 or (np.diff(kt) <= 0).any():
            raise CorruptStreamError("compressed data: filter points do not cover the rows in order")
        out[:, j] = reconstruct((kt, points[a:b]), t, how)
    return out


def _decompress_quantise(data, lay) -> np.ndarray:
    try:
        offset = residual.expand(field(data.header, "offset", (list, float, int), "compressed data"), lay.n_columns)
    except (TypeError, ValueError):
        raise CorruptStreamError("compressed data: quantise offsets do not match the shape") from None
    recon = np.broadcast_to(offset, (lay.n_rows, lay.n_columns))
    return residual.decode(np.ascontiguousarray(recon), data._sections, data.header["residual"], lay.dtypes)
