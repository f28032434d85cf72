"""WaveletTopK and the learned wavelet downsampler: budgets, reconstruction, training, persistence, streaming."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash.wavelet as tw
from tsquash import CorruptStreamError
from tsquash.wavelet_downsample import DownsampledSeries, WaveletTopK, level_for_budget


def walk(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.cumsum(rng.normal(size=n)) + 5 * np.sin(t / 50) + np.where(t % 700 < 20, 8.0, 0.0)


# ------------------------------------------------------------------------------------------------ WaveletTopK


@pytest.mark.parametrize("n", [1000, 1001, 4096])
@pytest.mark.parametrize("window", [None, 256])
def test_topk_reconstruction_is_inverse_dwt_of_kept(n, window):
    x = walk(n)
    level = 3
    small = WaveletTopK("db4", level, window=window).downsample(x, n_keep=57)
    assert small.n_kept == 57
    rows = x[None, :] if window is None else np.pad(x, (0, -n % window), mode="symmetric").reshape(-1, window)
    bands = tw.wavedec(rows, "db4", "periodization", level, axis=-1)
    flat = np.concatenate(bands[1:], axis=1).reshape(-1)
    # The kept ones are the 57 largest magnitudes, with their exact values.
    assert np.array_equal(np.sort(np.argsort(-np.abs(flat), kind="stable")[:57]), small.positions)
    assert np.array_equal(flat[small.positions], small.values)
    kept = np.zeros_like(flat)
    kept[small.positions] = flat[small.positions]
    kept = kept.reshape(rows.shape[0], -1)
    lengths = [b.shape[1] for b in bands]
    details = np.split(kept, np.cumsum(lengths[1:])[:-1], axis=1)
    expect = tw.waverec([bands[0]] + details, "db4", "periodization", axis=-1).reshape(-1)[:n]
    np.testing.assert_allclose(small.reconstruct(), expect, rtol=0, atol=1e-10)
    # Orthogonal transform (when no padding was needed): the squared error is the energy of the dropped
    # coefficients.
    err = np.sum((small.reconstruct() - x) ** 2)
    if n % (window or 2 ** level) == 0:
        assert err == pytest.approx(np.sum(flat ** 2) - np.sum(small.values ** 2), rel=1e-8)


@pytest.mark.parametrize("budget", [0.01, 0.05, 0.1, 0.2])
def test_topk_keeps_the_budget(budget):
    x = walk(20_000, 1)
    small = WaveletTopK("db4").downsample(x, budget=budget)
    assert small.n_stored <= budget * len(x)
    assert small.n_stored > budget * len(x) - 3  # spends it (two numbers per detail coefficient)
    assert small.level == level_for_budget(budget)
    err = np.sqrt(np.mean((small.reconstruct() - x) ** 2))
    assert err < np.std(x)


def test_more_budget_less_error():
    x = walk(8192, 2)
    errs = [np.sqrt(np.mean((WaveletTopK("db4", 4).downsample(x, budget=b).reconstruct() - x) ** 2))
            for b in (0.1, 0.2, 0.4)]
    assert errs[0] > errs[1] > errs[2]


def test_level_weights_change_the_ranking():
    x = walk(4096, 3)
    plain = WaveletTopK("db4", 3).downsample(x, n_keep=100)
    coarse = WaveletTopK("db4", 3, level_weights=[0.01, 0.01, 100]).downsample(x, n_keep=100)
    # The heavy weight on level 3 (the first detail band, 512 coefficients) takes every pick.
    assert np.all(coarse.positions < 512) and not np.array_equal(plain.positions, coarse.positions)


def test_bytes_round_trip_and_corruption():
    x = walk(3000, 4)
    for window in (None, 256):
        small = WaveletTopK("sym5", 3, window=window).downsample(x, budget=0.2)
        b = small.to_bytes()
        assert small.nbytes == len(b)
        back = DownsampledSeries.from_bytes(b)
        assert np.array_equal(back.reconstruct(), small.reconstruct())
        assert back.window == small.window and back.level == 3 and back.wavelet == "sym5"
        for bad in (b[:-1], b[:10], b"XXXX" + b[4:], b[:40] + bytes([b[40] ^ 1]) + b[41:], b""):
            with pytest.raises(CorruptStreamError):
                DownsampledSeries.from_bytes(bad)
    assert issubclass(CorruptStreamError, ValueError)


def test_topk_errors():
    x = walk(1000)
    with pytest.raises(ValueError, match="exactly one"):
        WaveletTopK().downsample(x)
    with pytest.raises(ValueError, match="deeper level"):
        WaveletTopK("db4", 1).downsample(x, budget=0.2)
    with pytest.raises(ValueError, match="NaN"):
        WaveletTopK().downsample(np.array([1.0, np.nan, 2.0] * 100), budget=0.2)
    with pytest.raises(TypeError):
        WaveletTopK().downsample(np.array(["a", "b"]), budget=0.2)
    with pytest.raises(ValueError, match="empty"):
        WaveletTopK().downsample(np.array([]), budget=0.2)
    with pytest.raises(ValueError, match="1-D"):
        WaveletTopK().downsample(np.ones((10, 10)), budget=0.2)
    with pytest.raises(ValueError, match="unknown wavelet"):
        WaveletTopK("db99")
    with pytest.raises(ValueError, match="multiple"):
        WaveletTopK("db4", 3, window=100)
    with pytest.raises(ValueError):
        WaveletTopK().downsample(x, budget=1.5)
    with pytest.raises(TypeError):
        WaveletTopK("db4", 3).downsample(x, n_keep=2.5)
    with pytest.raises(ValueError):
        WaveletTopK("db4", 3).downsample(x, n_keep=-1)


def test_reexported_from_downsample():
    import tsquash.downsample as d
    import tsquash.wavelet_downsample as w
    assert d.WaveletTopK is w.WaveletTopK and d.LearnedDownsampler is w.LearnedDownsampler
    assert d.DownsampledSeries is w.DownsampledSeries


def test_mutated_bytes_with_a_valid_checksum_fail_cleanly():
    """Fuzz-style: any byte changed and the CRC recomputed either decodes or raises CorruptStreamError."""
    import struct
    import zlib
    b = WaveletTopK("db4", 3, window=64).downsample(walk(300, 8), budget=0.3).to_bytes()
    rng = np.random.default_rng(0)
    for _ in range(300):
        m = bytearray(b[:-4])
        for _ in range(int(rng.integers(1, 4))):
            m[int(rng.integers(0, len(m)))] = int(rng.integers(0, 256))
        m = bytes(m) + struct.pack("<I", zlib.crc32(bytes(m)))
        try:
            out = DownsampledSeries.from_bytes(m)
        except CorruptStreamError:
            continue
        assert len(out.reconstruct()) == out.n  # what decodes is a consistent, usable series
