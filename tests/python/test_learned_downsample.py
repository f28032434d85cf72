"""The learned wavelet downsampler (LibTorch): predicted positions, the (m, r) split, bytes, streaming, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import damage_under_crc32
from tsquash import CorruptStreamError, ModelMismatchError

learned = pytest.importorskip("tsquash._learned", reason="built without LibTorch")
from tsquash.wavelet_downsample import (  # noqa: E402
    WINDOW_HEADER, LearnedDownsampler, PredictedSeries, WaveletTopK)


def walk(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.cumsum(rng.normal(size=n)) + 5 * np.sin(t / 50) + np.where(t % 700 < 20, 8.0, 0.0)


def training_set(seed=0, n_series=3, n=4096):
    """Random walks with periodic bursts on a slow wave."""
    return [walk(n, seed + i) for i in range(n_series)]


@pytest.fixture(scope="module")
def model():
    return LearnedDownsampler.train(training_set(), level=4, keep=0.1, epochs=6, window=256, d_model=16,
                                    heads=2, ff=32, stride=64, progress=False, seed=1, threads=1)


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_training_learns_where_the_energy_is_and_is_deterministic(model):
    loss, mag = model.history["loss"], model.history["magnitude_loss"]
    assert len(loss) == 6 and all(np.isfinite(loss))
    # loss: detail energy missed by the predicted top 10 %; it falls with training, and it cannot beat the
    # largest magnitudes (which the model does not see).
    assert loss[-1] < loss[0]
    assert all(m <= l + 1e-9 for l, m in zip(loss, mag))
    again = LearnedDownsampler.train(training_set(), level=4, keep=0.1, epochs=6, window=256, d_model=16,
                                     heads=2, ff=32, stride=64, progress=False, seed=1, threads=1)
    assert again.to_bytes() == model.to_bytes()


def test_scores_depend_on_the_approximation_only(model):
    import tsquash.wavelet as tw
    x = walk(256, 3)
    bands = tw.wavedec(x, "db4", "periodization", model.level)
    # Change every detail coefficient, keep the approximation: the scores stay the same, so a decoder that
    # has only the approximation gets the encoder's ranking.
    other = [bands[0]] + [np.random.default_rng(i).normal(size=len(b)) * 5 for i, b in enumerate(bands[1:])]
    y = tw.waverec(other, "db4", "periodization")
    np.testing.assert_array_equal(model.scores(x), model.scores(y))
    assert np.std(model.scores(x)) > 0


@pytest.mark.parametrize("budget", [0.15, 0.2, 0.35])
def test_never_worse_than_windowed_topk_at_equal_budget(model, budget):
    x = walk(3000, 11)  # 11 full windows of 256 and a partial one
    res = model.downsample(x, budget=budget)
    assert res.n_stored <= np.floor(budget * len(x))
    y = res.reconstruct()
    la = model.window >> model.level
    # Per full window, top-k by magnitude with the same stored numbers (header included) is the split m = 0,
    # which the encoder may always choose: the learned error is never above it.
    k = (int(np.floor(budget * model.window)) - la - WINDOW_HEADER) // 2
    topk = WaveletTopK("db4", model.level, window=model.window)
    for i in range(len(x) // model.window):
        w = x[i * model.window:(i + 1) * model.window]
        ref = rmse(topk.downsample(w, n_keep=k).reconstruct(), w)
        assert rmse(y[i * model.window:(i + 1) * model.window], w) <= ref + 1e-12
    assert res.n_pred.sum() > 0  # and the prediction is used


def test_prediction_beats_topk_on_training_like_series(model):
    # Same kind of series as the training set: the predicted positions buy more coefficients than top-k by
    # magnitude over the whole series (which may even move budget between windows and pays no header).
    x = walk(4096, 21)
    res = model.downsample(x, budget=0.2)
    topk = WaveletTopK("db4", model.level, window=model.window).downsample(x, budget=0.2)
    assert res.n_stored <= topk.n_stored + 1
    assert rmse(res.reconstruct(), x) < rmse(topk.reconstruct(), x)


def test_decoder_rederives_positions_from_bytes(model):
    x = walk(1000, 5)
    res = model.downsample(x, budget=0.25)
    b = res.to_bytes()
    back = PredictedSeries.from_bytes(b)
    assert back.model is None and back.n_stored == res.n_stored
    # The bytes hold no predicted position, only values; the model supplies the positions.
    assert len(b) == (4 + 3 + 3 + 16 + 8 * len(res.approx) + 16 * res.n_windows + 12 * len(res.exp_values)
                      + 8 * len(res.pred_values) + 4)
    np.testing.assert_array_equal(model.decode(b), res.reconstruct())
    np.testing.assert_array_equal(back.reconstruct(model), res.reconstruct())
    with pytest.raises(ValueError, match="needs its model"):
        back.reconstruct()


def test_other_model_or_other_arithmetic_is_detected(model):
    x = walk(1000, 5)
    res = model.downsample(x, budget=0.25)
    other = LearnedDownsampler.train(training_set(5), level=4, keep=0.1, epochs=1, window=256, d_model=16,
                                     heads=2, ff=32, progress=False, seed=2, threads=1)
    with pytest.raises(ModelMismatchError, match="encoded with model"):
        other.decode(res.to_bytes())
    # A checksum that does not match the re-derived positions: what a machine with other arithmetic would see.
    bad = PredictedSeries(res.n, res.wavelet, res.level, res.window, res.approx, res.n_pred, res.pred_values,
                          res.n_exp, res.exp_positions, res.exp_values, res.checksums ^ 1, res.model_id, model)
    with pytest.raises(ModelMismatchError, match="checksum"):
        bad.reconstruct()


def test_save_load_same_outputs(model, tmp_path):
    x = walk(3000, 5)
    path = tmp_path / "m.tsql"
    model.save(path)
    back = LearnedDownsampler.load(path)
    assert back.window == model.window and back.level == model.level and back.keep == model.keep
    assert back.model_id == model.model_id
    np.testing.assert_array_equal(back.scores(x), model.scores(x))
    assert back.downsample(x).to_bytes() == model.downsample(x).to_bytes()
    np.testing.assert_array_equal(back.decode(model.downsample(x).to_bytes()), model.downsample(x).reconstruct())


def test_corrupted_model_bytes_raise(model):
    b = model.to_bytes()
    for bad in (b[:-1], b[:8], b"ABCD" + b[4:], b[:50] + bytes([b[50] ^ 0x40]) + b[51:], bytes([*b[:4], 1, *b[5:]])):
        with pytest.raises(CorruptStreamError):
            LearnedDownsampler.from_bytes(bad)


@pytest.mark.parametrize("n", [1000, 808])
def test_stream_equals_batch(model, n):
    x = walk(n, 6)  # 3 full windows of 256 and a partial one (808: shorter than its padding)
    batch = model.downsample(x, budget=0.25)
    s = model.stream(budget=0.25)
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
    assert PredictedSeries.concatenate(parts).to_bytes() == batch.to_bytes()
    np.testing.assert_array_equal(np.concatenate([p.reconstruct() for p in parts]), batch.reconstruct())
    with pytest.raises(CorruptStreamError):
        model.restore_stream(model.stream().state()[:-2])


def test_corrupted_series_bytes_raise(model):
    import struct
    import zlib
    b = model.downsample(walk(700, 2), budget=0.3).to_bytes()
    for bad in (b[:-1], b[:10], b"ABCD" + b[4:], b[:40] + bytes([b[40] ^ 1]) + b[41:], bytes([*b[:4], 7, *b[5:]])):
        with pytest.raises(CorruptStreamError):
            PredictedSeries.from_bytes(bad)
    # A NaN approximation value under a valid CRC: refused before the model sees it.
    body = bytearray(b[:-4])
    body[26:34] = struct.pack("<d", float("nan"))
    with pytest.raises(CorruptStreamError, match="non-finite"):
        model.decode(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))


def test_a_predicted_value_beyond_the_models_range_is_corrupt(model):
    # Predicted values that are finite but overflow float32 once the model scales them (the CRC recomputed):
    # the decoder's second pass handed them to the model as infinities and got a plain ValueError (the fuzz
    # test below found it). The encoder cannot write such values, so they are damage.
    import struct
    import zlib
    s = model.downsample(walk(600, 4), budget=0.3)
    assert np.any(s.n_pred[:, 0] > 0) and np.any(s.n_pred[:, 1] > 0)  # the second pass runs
    body = bytearray(s.to_bytes()[:-4])
    n_p = len(s.pred_values)
    body[len(body) - 8 * n_p:] = struct.pack(f"<{n_p}d", *([1e300] * n_p))
    with pytest.raises(CorruptStreamError, match="beyond the range"):
        model.decode(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))
    # The same for approximation values so large that the model's scaling overflows (their mean is
    # infinite: NaN input).
    body = bytearray(s.to_bytes()[:-4])
    body[26:42] = struct.pack("<2d", 1.7e308, 1.7e308)
    with pytest.raises(CorruptStreamError, match="beyond the range"):
        model.decode(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_decoder_with_mutated_bytes_and_valid_crc(model, data):
    """Decoding arbitrary damage (with the CRC recomputed, so the parser itself is exercised) either works or
    raises CorruptStreamError / ModelMismatchError, never anything else."""
    blob = damage_under_crc32(data, model.downsample(walk(600, 4), budget=0.3).to_bytes()[:-4], 4)
    try:
        y = model.decode(blob)
    except (CorruptStreamError, ModelMismatchError):
        return
    assert y.ndim == 1 and np.all(np.isfinite(y) | np.isnan(y))


def test_learned_errors(model):
    with pytest.raises(TypeError):
        model.downsample(np.array(["x"] * 300))
    with pytest.raises(ValueError, match="NaN"):
        model.downsample(np.r_[walk(300), np.nan])
    with pytest.raises(ValueError, match="keep"):
        model.downsample(walk(300), keep=1.5)
    with pytest.raises(ValueError, match="at most one"):
        model.downsample(walk(300), keep=0.1, budget=0.2)
    with pytest.raises(ValueError, match="deeper level"):
        model.downsample(walk(300), budget=0.05)
    with pytest.raises(ValueError, match="full window"):
        LearnedDownsampler.train([walk(100)], window=256, epochs=1, progress=False)
    with pytest.raises(ValueError, match="multiple of 2"):
        LearnedDownsampler.train([walk(1000)], window=100, level=3, epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown wavelet"):
        LearnedDownsampler.train([walk(1000)], wavelet="nope", epochs=1, progress=False)
    with pytest.raises(TypeError):
        LearnedDownsampler.train([walk(1000)], epochs=1.5, progress=False)
    with pytest.raises(TypeError):
        learned.WaveletScorer(128, "db4", 3, 16, 2, 32, 2, 0).score(np.zeros((2, 16)), np.zeros((2, 112), np.float32),
                                                                   1)  # float64, not float32
    with pytest.raises(ValueError, match="shape"):
        learned.WaveletScorer(128, "db4", 3, 16, 2, 32, 2, 0).score(np.zeros((2, 128), np.float32),
                                                                   np.zeros((2, 112), np.float32), 1)
