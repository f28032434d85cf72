"""The autoencoder's linear path (init="pca"): it starts as PCA, training only improves it, it saves, loads and
decodes in float64, and the Compressor uses it by default with the error bound intact. Tiny models."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tsquash import Compressor
from tsquash.autoencoder import AutoEncoder
from tsquash.models import PCAModel


def curved(n=300, width=8, seed=0):
    """Two latent factors mapped through a curve: PCA with two components leaves a nonlinear error."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    w = rng.normal(size=(2, width))
    x = f @ w + 0.5 * np.tanh(f[:, :1] * 2) ** 2 * rng.normal(size=(1, width))
    return (x / x.std()).astype(np.float32)


def frames(n=30, h=10, w=9, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    a = rng.uniform(0.5, 1.5, size=n)
    return np.stack([np.sin(xx / 3 + k) * np.cos(yy / (2 + a[k])) for k in range(n)]).astype(np.float32)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_pca_init_reproduces_pca(kind):
    x = curved() if kind == "dense" else frames()
    shape = x.shape[1:]
    kw = {"channels": (3,)} if kind == "conv" else {}
    ae = AutoEncoder(shape, kind=kind, layers=(12,), latent=2, init="pca", threads=1, **kw).init_pca(x)
    pca = PCAModel(shape, latent=2)
    pca.fit(x)
    assert ae.trained and ae.init == "pca" and ae.decode_dtype == "float64"
    np.testing.assert_allclose(ae.reconstruct(x), pca.reconstruct(x), atol=2e-6)
    # PCA's own (float64) latent decodes in float64 to PCA's output up to the float32 weights
    z = pca.encode(x)
    out = ae.decode(z)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, pca.decode(z), atol=1e-9)


def test_training_lowers_the_validation_loss_and_never_ends_worse():
    x = curved()
    ae = AutoEncoder((8,), layers=(32,), latent=2, init="pca", seed=0, threads=1)
    h = ae.fit(x, epochs=40, batch_size=32, lr=3e-3)
    assert np.isfinite(h["initial_val_loss"])
    assert min(h["val_loss"]) < 0.9 * h["initial_val_loss"]
    assert h["best_epoch"] >= 1

    # a hopeless rate: every epoch is worse, so the PCA start is what the model keeps
    bad = AutoEncoder((8,), layers=(32,), latent=2, init="pca", seed=0, threads=1).init_pca(x)
    before = bad.reconstruct(x)
    hb = bad.fit(x, epochs=2, lr=1e3, linear_lr=1.0)
    assert hb["best_epoch"] == 0
    np.testing.assert_array_equal(bad.reconstruct(x), before)


def test_latent_step_trains_on_the_stored_grid():
    """With latent_step the monitored loss is that of the latent rounded as the compressor stores it."""
    x = curved()
    ae = AutoEncoder((8,), layers=(8,), latent=2, init="pca", threads=1).init_pca(x)
    z = ae.encode(x).astype(np.float64)
    steps = (z.max(axis=0) - z.min(axis=0)) * 2.0**-3
    zq = (np.rint(z / steps) * steps).astype(np.float32)
    want = float(np.mean((ae.decode(zq) - x) ** 2))
    h = ae.fit(x, epochs=1, lr=1e-9, val_fraction=0, latent_step=2.0**-3)
    assert h["initial_val_loss"] == pytest.approx(want, rel=1e-4)
    assert want > 1.5 * float(np.mean((ae.reconstruct(x) - x) ** 2))  # the grid really is coarse
    l1 = AutoEncoder((8,), layers=(8,), latent=2, init="pca", threads=1).init_pca(x)
    h1 = l1.fit(x, epochs=1, lr=1e-9, val_fraction=0, loss="l1")
    assert h1["initial_val_loss"] == pytest.approx(float(np.mean(np.abs(l1.reconstruct(x) - x))), rel=1e-4)


def test_bytes_round_trip_identical_outputs_and_version():
    x = curved()
    ae = AutoEncoder((8,), layers=(16,), latent=2, init="pca", threads=1)
    ae.fit(x, epochs=5, batch_size=64)
    b = ae.to_bytes()
    assert b[4] == 2 and b[7] == 3  # version 2: trained and linear flags
    back = AutoEncoder.from_bytes(b)
    assert back.init == "pca" and back.n_parameters == ae.n_parameters == \
        (8 + 2 * 8) + 2 * (8 * 16 + 16 * 2) + (16 + 2) + (16 + 8)
    np.testing.assert_array_equal(back.reconstruct(x), ae.reconstruct(x))
    z = ae.encode(x).astype(np.float64)
    np.testing.assert_array_equal(back.decode(z), ae.decode(z))
    # a plain model still writes (and reads) version 1
    plain = AutoEncoder((8,), layers=(16,), latent=2, threads=1)
    plain.fit(x, epochs=1)
    assert plain.to_bytes()[4] == 1 and AutoEncoder.from_bytes(plain.to_bytes()).init == "random"


@pytest.mark.parametrize("kwargs,err", [({"init": "zeros"}, ValueError)])
def test_bad_init(kwargs, err):
    with pytest.raises(err, match="init"):
        AutoEncoder((8,), **kwargs)


@pytest.mark.parametrize("kwargs", [{"loss": "l2"}, {"linear_lr": -1.0}, {"latent_step": 1.5}, {"latent_step": 0}])
def test_bad_fit_arguments(kwargs):
    ae = AutoEncoder((8,), layers=(4,), latent=2, init="pca", threads=1)
    with pytest.raises(ValueError):
        ae.fit(curved(50), epochs=1, **kwargs)


@pytest.mark.parametrize("kwargs", [{"init": "zeros"}, {"loss": "huber"}])
def test_compressor_checks_init_and_loss_when_built(kwargs):
    with pytest.raises(ValueError, match="init|loss"):
        Compressor("autoencoder", **kwargs)


def test_init_pca_needs_the_linear_path():
    with pytest.raises(ValueError, match="init"):
        AutoEncoder((8,), layers=(4,), latent=2).init_pca(curved(50))


@pytest.mark.parametrize("eps", [1e-2, 1e-3, 1e-4])
def test_compressor_default_is_pca_init_and_bound_holds(eps):
    x = curved(400).astype(np.float64)
    c = Compressor("autoencoder", latent=2, layers=(16,), threads=1, epochs=10, batch_size=64,
                   max_error_relative=eps).train(x)
    assert c.model.init == "pca"
    blob = c.compress(x)
    assert blob.header["latent"]["dtype"] == "float64"
    back = c.decompress(blob)
    assert (np.abs(back - x) <= eps * (x.max(axis=0) - x.min(axis=0))).all()


def test_frames_bound_holds_and_save_load_identical(tmp_path):
    f = frames().astype(np.float64)
    c = Compressor("autoencoder", kind="conv", channels=(3,), layers=(12,), latent=3, threads=1, epochs=5,
                   batch_size=8, val_fraction=0.0, max_error=1e-3).train(f)
    blob = c.compress(f)
    back = c.decompress(blob)
    assert np.abs(back - f).max() <= 1e-3
    c.save(tmp_path / "m")
    c2 = Compressor.load(tmp_path / "m")
    assert c2.model.threads == 1  # float64 decoding may round differently with another thread count
    assert bytes(c2.compress(f)) == bytes(blob)
    np.testing.assert_array_equal(c2.decompress(blob), back)


def test_compressor_saved_before_the_linear_path_loads_as_random_init(tmp_path):
    x = curved(200).astype(np.float64)
    c = Compressor("autoencoder", latent=2, layers=(8,), threads=1, epochs=2, init="random", max_error=0.01).train(x)
    blob = c.compress(x)
    c.save(tmp_path / "old")
    meta_path = tmp_path / "old" / "compressor.json"
    meta = json.loads(meta_path.read_text())
    for key in ("init", "loss", "linear_lr"):
        meta["params"].pop(key)
    meta_path.write_text(json.dumps(meta))
    old = Compressor.load(tmp_path / "old")
    assert old.params["init"] == "random" and old.model.init == "random"
    assert blob.header["latent"]["dtype"] == "float32"
    np.testing.assert_array_equal(old.decompress(blob), c.decompress(blob))
