"""Compressor("autoencoder"): the LibTorch autoencoder behind the same front door as PCA. Tiny models, a few
epochs, so each test takes seconds."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsquash import CompressedData, Compressor, CorruptStreamError, ModelMismatchError
from tsquash.autoencoder import AutoEncoder  # noqa: F401  (fails clearly where the LibTorch module is absent)


def _table(n=600, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 30, n)
    s = np.sin(t)
    return pd.DataFrame({"a": s, "b": 2 * s + 0.5, "c": np.cos(t), "d": s * np.cos(t) + 0.01 * rng.normal(size=n)},
                        index=pd.date_range("2024-01-01", periods=n, freq="min", name="t"))


def _small(**kw):
    return Compressor("autoencoder", latent=2, layers=(16, 8), seed=1, threads=1, epochs=40, batch_size=64,
                      lr=3e-3, **kw)


def test_tiny_model_trains_below_a_loss_threshold():
    c = _small().train(_table())
    assert c.history["epochs_run"] >= 1
    assert min(c.history["loss"]) < 0.02


def test_round_trip_with_error_bound_keeps_frame_metadata():
    df = _table()
    c = _small(max_error_relative=1e-3).train(df)
    blob = c.compress(df)
    assert blob.needs_model
    back = c.decompress(CompressedData(bytes(blob)))
    pd.testing.assert_index_equal(back.index, df.index)
    assert list(back.columns) == list(df.columns) and list(back.dtypes) == list(df.dtypes)
    eps = 1e-3 * (df.max() - df.min()).to_numpy()
    assert (np.abs(back.to_numpy() - df.to_numpy()) <= eps).all()


def test_unbounded_output_is_close_and_small():
    df = _table()
    c = _small().train(df)
    blob = c.compress(df)
    back = c.decompress(blob)
    assert blob.ratio(df) > 8
    assert np.sqrt(np.mean((back.to_numpy() - df.to_numpy()) ** 2)) < 0.3


def test_save_load_identical_and_wrong_model_detected(tmp_path):
    df = _table()
    c = _small(max_error=1e-3).train(df)
    blob = c.compress(df)
    c.save(tmp_path / "m")
    c2 = Compressor.load(tmp_path / "m")
    assert bytes(c2.compress(df)) == bytes(blob)
    pd.testing.assert_frame_equal(c2.decompress(blob), c.decompress(blob))
    other = Compressor("autoencoder", latent=2, layers=(16, 8), seed=2, threads=1, epochs=2).train(df.iloc[:200])
    with pytest.raises(ModelMismatchError):
        other.decompress(blob)
    model = tmp_path / "m" / "model.tsqm"
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    model.write_bytes(bytes(raw))
    with pytest.raises(CorruptStreamError):
        Compressor.load(tmp_path / "m")


def test_conv_autoencoder_on_frames_with_bound():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:12, 0:12]
    frames = np.stack([np.sin(xx / 3 + k / 5) * np.cos(yy / 4) for k in range(24)]) + 0.01 * rng.normal(size=(24, 12, 12))
    c = Compressor("autoencoder", kind="conv", latent=4, seed=0, threads=1, epochs=5, batch_size=8,
                   max_error=1e-3).train(frames)
    back = c.decompress(c.compress(frames))
    assert back.shape == frames.shape and np.abs(back - frames).max() <= 1e-3


def test_progress_bar_and_default_plots_png_and_pdf(tmp_path, capsys):
    df = _table(n=200)
    c = Compressor("autoencoder", latent=2, layers=(8,), seed=1, threads=1, epochs=3, batch_size=64)
    c.train(df, progress=True)
    assert "3/3" in capsys.readouterr().err  # tqdm's bar reached the last epoch
    out = tmp_path / "plots"
    metrics = c.evaluate(df, plots=str(out) + "/")
    names = {p.name for p in out.iterdir()}
    assert {"loss.png", "loss.pdf"} <= names
    assert {n.rsplit(".", 1)[0] for n in names if n.endswith(".png")} == \
        {n.rsplit(".", 1)[0] for n in names if n.endswith(".pdf")}
    assert len(metrics["plots"]) == len(names)


def test_autoencoder_exported_lazily_from_tsquash():
    import subprocess
    import sys

    code = ("import sys, tsquash\n"
            "assert 'tsquash._learned' not in sys.modules and 'tsquash.autoencoder' not in sys.modules\n"
            "from tsquash import AutoEncoder\n"
            "import tsquash.autoencoder\n"
            "assert AutoEncoder is tsquash.autoencoder.AutoEncoder and 'AutoEncoder' in tsquash.__all__\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute"):
        import tsquash

        tsquash.NoSuchThing


def test_defaults_for_every_model_parameter():
    # No threads= (its default is None): the model picks its thread count.
    df = _table(200)
    c = Compressor("autoencoder", latent=2, layers=(8,), seed=1, epochs=2, batch_size=64, max_error=0.05).train(df)
    back = c.decompress(c.compress(df))
    assert np.all(np.abs(back.to_numpy() - df.to_numpy()) <= 0.05)
