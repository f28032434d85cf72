"""Per-window choice between top-k at every level and learned models: never worse, exact accounting, bytes,
streaming."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import damage_under_crc32
from tsquash import CorruptStreamError, ModelMismatchError

pytest.importorskip("tsquash._learned", reason="built without LibTorch")
from tsquash.multilevel_downsample import CHOICE_HEADER, MultiLevelDownsampler, MultiLevelSeries  # noqa: E402
from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK, _window_budget  # noqa: E402

W = 256


def walk(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.cumsum(rng.normal(size=n)) + 5 * np.sin(t / 50) + np.where(t % 700 < 20, 8.0, 0.0)


@pytest.fixture(scope="module")
def models():
    train = [walk(4096, i) for i in range(3)]
    return [LearnedDownsampler.train(train, level=lv, keep=0.1, epochs=5, window=W, d_model=16, heads=2, ff=32,
                                     stride=64, progress=False, seed=1, threads=1) for lv in (3, 4)]


@pytest.fixture(scope="module")
def ds(models):
    return MultiLevelDownsampler(models)


def best_level_topk_sse(xw, budget):
    """Squared error of top-k at the best level for one window, built from WaveletTopK alone, spending the
    window's budget less the one-number choice."""
    best = np.inf
    for level in range(1, 9):
        la = W >> level
        free = _window_budget(budget, len(xw)) - CHOICE_HEADER - la
        if free < 0:
            continue
        y = WaveletTopK("db4", level=level, window=W).downsample(xw, n_keep=min(free // 2, W - la)).reconstruct()
        best = min(best, float(np.sum((y - xw) ** 2)))
    return best


@pytest.mark.parametrize("budget", [0.05, 0.2, 0.35])
def test_never_worse_than_best_level_topk_per_window(ds, budget):
    x = walk(4 * W, 11)
    res = ds.downsample(x, budget=budget)
    y = res.reconstruct()
    for i, piece in enumerate(res.pieces):
        xw, yw = x[i * W:(i + 1) * W], y[i * W:(i + 1) * W]
        # the choice and the piece spend the window's budget, short of it by at most the one number that
        # an odd count left for (position, value) pairs cannot use
        assert _window_budget(budget, W) - 1 <= 1 + piece.n_stored <= _window_budget(budget, W)
        sse = float(np.sum((yw - xw) ** 2))
        assert sse <= best_level_topk_sse(xw, budget) * (1 + 1e-9) + 1e-12


def test_strictly_better_where_the_prediction_pays(ds):
    x = np.concatenate([walk(4096, 20 + i) for i in range(2)])  # series like the training ones
    plain = MultiLevelDownsampler(window=W, wavelet="db4")
    res, ref = ds.downsample(x, budget=0.3), plain.downsample(x, budget=0.3)
    assert res.learned_windows.sum() > 0 and not ref.learned_windows.any()
    sse = lambda r: float(np.sum((r.reconstruct() - x) ** 2))  # noqa: E731
    assert sse(res) < sse(ref)
    assert res.n_stored <= int(0.3 * len(x))


def mixed(ds):
    """A series whose windows use both models and top-k (so the bytes hold every kind of piece)."""
    res = ds.downsample(walk(700, 20), budget=0.3)
    assert set(res.choices) >= {64, 65} and not res.learned_windows.all()
    return res


def test_bytes_round_trip_and_accounting(ds):
    x = walk(700, 20)
    res = mixed(ds)
    assert res.n_stored == sum(1 + p.n_stored for p in res.pieces) <= int(0.3 * len(x))
    back = MultiLevelSeries.from_bytes(res.to_bytes(), ds)
    np.testing.assert_array_equal(back.choices, res.choices)
    np.testing.assert_array_equal(back.reconstruct(), res.reconstruct())
    assert back.n_stored == res.n_stored and len(back.reconstruct()) == len(x)
    other = MultiLevelDownsampler(ds.models[:1])
    with pytest.raises(ModelMismatchError):
        other.decode(res.to_bytes())


def test_stream_equals_batch(ds):
    x = walk(3 * W + 40, 6)  # the last window is shorter than its padding
    batch = ds.downsample(x, budget=0.3)
    s = ds.stream(budget=0.3)
    parts, at, rng = [], 0, np.random.default_rng(0)
    while at < len(x):
        step = int(rng.integers(1, 300))
        parts += s.push(x[at:at + step])
        at += step
        if at > 300 and at - step <= 300:
            s = ds.restore_stream(s.state())
    parts += s.finish()
    assert MultiLevelSeries.concatenate(parts).to_bytes() == batch.to_bytes()


def test_corrupted_bytes_raise(ds):
    b = mixed(ds).to_bytes()
    for bad in (b[:-1], b[:10], b"ABCD" + b[4:], b[:40] + bytes([b[40] ^ 1]) + b[41:], bytes([*b[:4], 9, *b[5:]])):
        with pytest.raises(CorruptStreamError):
            ds.decode(bad)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_decoder_with_mutated_bytes_and_valid_crc(ds, data):
    """Damage under a recomputed CRC either decodes or raises CorruptStreamError / ModelMismatchError."""
    try:
        y = ds.decode(damage_under_crc32(data, mixed(ds).to_bytes()[:-4], 3))
    except (CorruptStreamError, ModelMismatchError):
        return
    assert y.ndim == 1


def test_errors(models):
    with pytest.raises(ValueError, match="window and wavelet"):
        MultiLevelDownsampler()
    wide = LearnedDownsampler.train([walk(2048)], level=3, epochs=1, window=512, d_model=8, heads=2, ff=16,
                                    progress=False, threads=1)
    with pytest.raises(ValueError, match="share one window"):
        MultiLevelDownsampler([models[0], wide])
    with pytest.raises(TypeError):
        MultiLevelDownsampler([object()])
    ds = MultiLevelDownsampler(models)
    with pytest.raises(ValueError, match="too small"):
        ds.downsample(walk(600), budget=0.004)
    with pytest.raises(ValueError, match="NaN"):
        ds.downsample(np.r_[walk(300), np.nan], budget=0.2)
