"""The learned wavelet downsampler (LibTorch): training, selection modes, persistence, streaming, errors."""
from __future__ import annotations

import numpy as np
import pytest

from tsquash import CorruptStreamError

learned = pytest.importorskip("tsquash._learned", reason="built without LibTorch")
from tsquash.wavelet_downsample import LearnedDownsampler  # noqa: E402


def walk(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.cumsum(rng.normal(size=n)) + 5 * np.sin(t / 50) + np.where(t % 700 < 20, 8.0, 0.0)


def training_set(seed=0, n_series=3, n=4096):
    """Random walks with periodic bursts on a slow wave."""
    return [walk(n, seed + i) for i in range(n_series)]


@pytest.fixture(scope="module")
def model():
    return LearnedDownsampler.train(training_set(), level=3, keep=0.1, epochs=4, window=128, d_model=16,
                                    heads=2, ff=32, progress=False, seed=1, threads=1)


def test_training_lowers_the_loss_and_is_deterministic(model):
    loss = model.history["loss"]
    assert len(loss) == 4 and all(np.isfinite(loss))
    # The loss is the share of detail energy the selection drops; the magnitude ranking is the reference,
    # and training starts from it (zero correction), so the scorer stays close to it.
    assert loss[-1] < 0.5
    assert loss[-1] <= 1.5 * model.history["magnitude_loss"][-1]
    # Training moved the ranking away from plain magnitude (the correction g = score - log|c| varies).
    x = walk(2048, 7)
    rows = x.reshape(-1, model.window)
    import tsquash.wavelet as tw
    bands = tw.wavedec(rows, "db4", "periodization", model.level, axis=-1)
    detail = np.concatenate(bands[1:], axis=1)
    g = model.scores(x) - np.log(np.abs(detail) + 1e-12)
    assert np.std(g) > 1e-3
    again = LearnedDownsampler.train(training_set(), level=3, keep=0.1, epochs=4, window=128, d_model=16,
                                     heads=2, ff=32, progress=False, seed=1, threads=1)
    assert again.to_bytes() == model.to_bytes()


def test_progress_callback_can_stop():
    seen = []
    ds = LearnedDownsampler.train(training_set(n_series=1, n=1024), level=2, epochs=5, window=64, d_model=8,
                                  heads=2, ff=8, seed=0, threads=1,
                                  progress=lambda e, loss, mag: seen.append((e, loss, mag)) or e < 2)
    assert [s[0] for s in seen] == [1, 2] and len(ds.history["loss"]) == 2


def test_downsample_modes(model):
    x = walk(5000, 9)
    per_window = model.downsample(x)
    nd = model.window - (model.window >> model.level)
    n_win = -(-len(x) // model.window)
    assert per_window.n_kept == n_win * round(0.1 * nd)
    y = per_window.reconstruct()
    assert y.shape == x.shape and y.dtype == np.float64
    assert np.sqrt(np.mean((y - x) ** 2)) < 0.5 * np.std(x)
    glob = model.downsample(x, budget=0.3)
    assert glob.n_stored <= 0.3 * len(x)
    scores = model.scores(x)
    t = float(np.quantile(scores, 0.9))
    thr = model.downsample(x, threshold=t)
    assert np.array_equal(thr.positions, np.flatnonzero(scores.reshape(-1) >= t))
    with pytest.raises(ValueError, match="at most one"):
        model.downsample(x, keep=0.1, budget=0.2)


def test_save_load_same_outputs(model, tmp_path):
    x = walk(3000, 5)
    path = tmp_path / "m.tsql"
    model.save(path)
    back = LearnedDownsampler.load(path)
    assert back.window == model.window and back.level == model.level and back.keep == model.keep
    assert np.array_equal(back.scores(x), model.scores(x))
    assert np.array_equal(back.downsample(x).reconstruct(), model.downsample(x).reconstruct())


def test_corrupted_model_bytes_raise(model):
    b = model.to_bytes()
    for bad in (b[:-1], b[:8], b"ABCD" + b[4:], b[:50] + bytes([b[50] ^ 0x40]) + b[51:], bytes([*b[:4], 9, *b[5:]])):
        with pytest.raises(CorruptStreamError):
            LearnedDownsampler.from_bytes(bad)


def test_stream_equals_batch(model):
    x = walk(1000, 6)  # 7 full windows of 128 and a partial one
    batch = model.downsample(x)
    s = model.stream()
    parts = []
    rng = np.random.default_rng(0)
    at = 0
    while at < len(x):
        step = int(rng.integers(1, 300))
        parts += s.push(x[at:at + step])
        at += step
        if at > 400 and at - step <= 400:  # checkpoint mid-stream and continue from the restored state
            s = model.restore_stream(s.state())
    parts += s.finish()
    assert len(parts) == -(-len(x) // model.window)
    y = np.concatenate([p.reconstruct() for p in parts])
    np.testing.assert_array_equal(y, batch.reconstruct())
    assert sum(p.n_kept for p in parts) == batch.n_kept
    with pytest.raises(CorruptStreamError):
        model.restore_stream(model.stream().state()[:-2])


def test_learned_errors(model):
    with pytest.raises(TypeError):
        model.downsample(np.array(["x"] * 300))
    with pytest.raises(ValueError, match="NaN"):
        model.downsample(np.r_[walk(300), np.nan])
    with pytest.raises(ValueError, match="keep"):
        model.downsample(walk(300), keep=1.5)
    with pytest.raises(ValueError, match="full window"):
        LearnedDownsampler.train([walk(100)], window=256, epochs=1, progress=False)
    with pytest.raises(ValueError, match="multiple of 2"):
        LearnedDownsampler.train([walk(1000)], window=100, level=3, epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown wavelet"):
        LearnedDownsampler.train([walk(1000)], wavelet="nope", epochs=1, progress=False)
    with pytest.raises(TypeError):
        LearnedDownsampler.train([walk(1000)], epochs=1.5, progress=False)
    with pytest.raises(TypeError):
        learned.WaveletScorer(128, "db4", 3, 16, 2, 32, 2, 0).score(np.zeros((2, 128)), 1)  # float64, not float32
