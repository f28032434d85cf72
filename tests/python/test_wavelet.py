"""tsquash.wavelet against PyWavelets: every wavelet, every mode, odd and even lengths, several levels, 2-D input
along an axis; the streaming transform against the whole-array one; errors."""
import warnings

import numpy as np
import pytest

import tsquash
import tsquash.wavelet as tw

pywt = pytest.importorskip("pywt")

ALL = tw.wavelist()
MODES = tw.modes
LENGTHS = [1, 2, 5, 16, 37, 64, 101]


def close(got, ref, what):
    """Equal to 1e-12, relative to the magnitude of the values once they exceed 1 (deep levels of the
    extrapolating modes reach the thousands, where the last bits of a float64 are worth more than 1e-12)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    if ref.size:
        scale = max(1.0, float(np.abs(ref).max()))
        err = float(np.abs(got - ref).max())
        assert err <= 1e-12 * scale, f"{what}: max error {err:.3g} (scale {scale:.3g})"


def rng(seed=0):
    return np.random.default_rng(seed)


def test_wavelist_and_filter_banks_equal_pywavelets():
    assert len(ALL) == 1 + 20 + 19 + 17
    assert tw.wavelist("sym") == [f"sym{n}" for n in range(2, 21)]
    assert tw.wavelist("coif")[-1] == "coif17" and tw.wavelist("haar") == ["haar"]
    assert set(ALL) <= set(pywt.wavelist(kind="discrete"))
    for name in ALL:
        w, ref = tw.Wavelet(name), pywt.Wavelet(name)
        for attr in ("dec_lo", "dec_hi", "rec_lo", "rec_hi"):
            assert np.array_equal(getattr(w, attr), getattr(ref, attr)), (name, attr)
        assert w.dec_len == ref.dec_len and w.rec_len == ref.rec_len
        assert w.vanishing_moments_psi == ref.vanishing_moments_psi, name
        assert w.family_name == ref.family_name and w.short_family_name == ref.short_family_name


def test_length_rules_equal_pywavelets():
    for n in [1, 2, 3, 7, 8, 100, 1001, 2**20 + 1]:
        for f in [2, 4, 8, 18, 40, 102]:
            assert tw.dwt_max_level(n, f) == pywt.dwt_max_level(n, f), (n, f)
            for mode in MODES:
                assert tw.dwt_coeff_len(n, f, mode) == pywt.dwt_coeff_len(n, f, mode), (n, f, mode)
    assert tw.dwt_max_level(1000, "db4") == pywt.dwt_max_level(1000, "db4")
    assert tw.dwt_max_level(1000, tw.Wavelet("sym5")) == pywt.dwt_max_level(1000, pywt.Wavelet("sym5"))


@pytest.mark.parametrize("mode", MODES)
def test_dwt_idwt_every_wavelet(mode):
    r = rng(hash(mode) % 1000)
    for name in ALL:
        for n in LENGTHS:
            x = r.standard_normal(n)
            if n == 1 and mode in ("reflect", "antireflect"):
                with pytest.raises(ValueError):
                    tw.dwt(x, name, mode)
                continue
            ra, rd = pywt.dwt(x, name, mode)
            a, d = tw.dwt(x, name, mode)
            close(a, ra, f"cA {name} {mode} n={n}")
            close(d, rd, f"cD {name} {mode} n={n}")
            close(tw.idwt(a, d, name, mode), pywt.idwt(ra, rd, name, mode), f"idwt {name} {mode} n={n}")
            close(tw.idwt(None, d, name, mode), pywt.idwt(None, rd, name, mode), f"idwt cA=None {name} {mode}")
            close(tw.idwt(a, None, name, mode), pywt.idwt(ra, None, name, mode), f"idwt cD=None {name} {mode}")


@pytest.mark.parametrize("mode", MODES)
def test_wavedec_waverec_every_wavelet(mode):
    r = rng(7)
    for name in ALL:
        for n, level in [(37, 1), (256, 3), (1001, None), (6, 4)]:
            x = r.standard_normal(n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # level above the maximum, in both libraries
                try:
                    ref = pywt.wavedec(x, name, mode, level)
                except ValueError:  # a level reduced to one sample in reflect/antireflect
                    with pytest.raises(ValueError):
                        tw.wavedec(x, name, mode, level)
                    continue
                got = tw.wavedec(x, name, mode, level)
            assert len(got) == len(ref)
            for i, (g, rf) in enumerate(zip(got, ref)):
                close(g, rf, f"band {i} {name} {mode} n={n} level={level}")
            close(tw.waverec(got, name, mode), pywt.waverec(ref, name, mode), f"waverec {name} {mode} n={n}")


def test_center_coefficients_are_bit_identical_to_pywavelets():
    # Same filter taps, same summation order: away from the boundaries not even the last bit differs.
    x = rng(3).standard_normal(5000)
    for name in ("haar", "db4", "sym8", "coif5", "db20"):
        ra, rd = pywt.dwt(x, name, "symmetric")
        a, d = tw.dwt(x, name, "symmetric")
        f = tw.Wavelet(name).dec_len
        assert np.array_equal(a[f:-f], ra[f:-f]) and np.array_equal(d[f:-f], rd[f:-f])


@pytest.fixture
def piecewise_from_65536():
    previous = tsquash._core.wavelet_set_piecewise_threshold(65536)
    yield
    tsquash._core.wavelet_set_piecewise_threshold(previous)


@pytest.mark.parametrize("mode", MODES)
def test_long_signals_equal_the_level_by_level_transform(mode, piecewise_from_65536):
    # Long signals run all levels piece by piece (periodic modes excepted; from 2**25 samples, lowered here
    # through the private threshold hook): the result must be the one of single-level calls, bit for bit, and
    # PyWavelets' to rounding.
    x = rng(8).standard_normal(70_001)
    for name in ("haar", "db5", "coif3"):
        got = tw.wavedec(x, name, mode, level=4)
        a, manual = x, []
        for _ in range(4):
            a, d = tw.dwt(a, name, mode)
            manual.insert(0, d)
        manual.insert(0, a)
        assert all(np.array_equal(g, m) for g, m in zip(got, manual)), (name, mode)
        for g, rf in zip(got, pywt.wavedec(x, name, mode, 4)):
            close(g, rf, f"long wavedec {name} {mode}")
        y = tw.waverec(got, name, mode)
        a = manual[0]
        for d in manual[1:]:
            a = tw.idwt(a[: len(d)], d, name, mode)
        assert np.array_equal(y, a), (name, mode)
        close(y, pywt.waverec(got, name, mode), f"long waverec {name} {mode}")


@pytest.mark.filterwarnings("ignore:level .* is too high")
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_nd_input_along_an_axis(axis):
    x = rng(1).standard_normal((6, 45, 9))
    for name, mode in [("db3", "smooth"), ("sym4", "periodization"), ("coif2", "reflect")]:
        ref = pywt.wavedec(x, name, mode, 2, axis=axis)
        got = tw.wavedec(x, name, mode, level=2, axis=axis)
        for g, rf in zip(got, ref):
            close(g, rf, f"wavedec axis={axis}")
        close(tw.waverec(got, name, mode, axis=axis), pywt.waverec(ref, name, mode, axis=axis), "waverec")
        ra, rd = pywt.dwt(x, name, mode, axis=axis)
        a, d = tw.dwt(x, name, mode, axis=axis)
        close(a, ra, "dwt cA")
        close(d, rd, "dwt cD")
        close(tw.idwt(a, d, name, mode, axis=axis), pywt.idwt(ra, rd, name, mode, axis=axis), "idwt")


def test_perfect_reconstruction_and_odd_lengths():
    for n in (999, 1000):
        x = rng(n).standard_normal(n)
        for mode in MODES:
            y = tw.waverec(tw.wavedec(x, "db6", mode, level=4), "db6", mode)
            assert len(y) in (n, n + 1)  # like PyWavelets, an odd length comes back one longer
            np.testing.assert_allclose(y[:n], x, atol=1e-10)


@pytest.mark.filterwarnings("ignore:level .* is too high")
def test_waverec_trims_a_longer_approximation_and_rejects_misfits():
    x = rng(5).standard_normal(11)
    c = tw.wavedec(x, "db2", level=2)
    cp = pywt.wavedec(x, "db2", level=2)
    c[0] = np.append(c[0], 7.0) if len(c[0]) == len(c[1]) else c[0]
    cp[0] = np.append(cp[0], 7.0) if len(cp[0]) == len(cp[1]) else cp[0]
    close(tw.waverec(c, "db2"), pywt.waverec(cp, "db2"), "trimmed")
    with pytest.raises(ValueError, match="do not fit"):
        tw.waverec([np.ones(3), np.ones(10)], "db2")
    with pytest.raises(ValueError, match="same shape"):
        tw.idwt(np.ones(4), np.ones(5), "db2")
    with pytest.raises(ValueError, match="too few coefficients"):
        tw.idwt(np.ones(2), np.ones(2), "db8")


def test_dtypes():
    x = rng(2).standard_normal(200)
    a32 = tw.wavedec(x.astype(np.float32), "db4", level=2)
    a64 = tw.wavedec(x.astype(np.float32).astype(np.float64), "db4", level=2)
    assert all(a.dtype == np.float64 and np.array_equal(a, b) for a, b in zip(a32, a64))
    ints = np.arange(50)
    for g, rf in zip(tw.wavedec(ints, "sym3", level=2), pywt.wavedec(ints, "sym3", level=2)):
        close(g, rf, "int input")
    z = x + 1j * x[::-1]
    for g, rf in zip(tw.wavedec(z, "db2", level=3), pywt.wavedec(z, "db2", level=3)):
        close(g, rf, "complex input")
    close(tw.waverec(tw.wavedec(z, "db2", level=3), "db2"), z, "complex round trip")
    ro = x.copy()
    ro.flags.writeable = False  # read-only buffers (pandas, memory maps) are read in place
    assert all(np.array_equal(a, b) for a, b in zip(tw.wavedec(ro, "db4", level=2), tw.wavedec(x, "db4", level=2)))
    pd = pytest.importorskip("pandas")
    assert all(np.array_equal(a, b) for a, b in zip(tw.wavedec(pd.Series(x), "db4", level=2),
                                                    tw.wavedec(x, "db4", level=2)))
    assert all(np.array_equal(a, b) for a, b in zip(tw.wavedec(x, pywt.Wavelet("db4"), level=2),
                                                    tw.wavedec(x, tw.Wavelet("db4"), level=2)))
    with pytest.raises(TypeError):
        tw.wavedec(np.array(["a", "b", "c"]), "db1")
    with pytest.raises(TypeError):
        tw.wavedec(np.arange(4).astype("datetime64[s]"), "db1")
    with pytest.raises(TypeError):
        tw.wavedec(x, 3)


def test_argument_errors():
    x = np.ones(64)
    with pytest.raises(ValueError, match="unknown wavelet 'db21'"):
        tw.wavedec(x, "db21")
    with pytest.raises(ValueError, match="unknown wavelet"):
        tw.Wavelet("bior2.2")
    with pytest.raises(ValueError, match="known modes"):
        tw.wavedec(x, "db2", mode="mirror")
    with pytest.raises(ValueError, match="empty"):
        tw.wavedec(np.array([]), "db2")
    with pytest.raises(ValueError, match="empty"):
        tw.dwt(np.ones((3, 0)), "db2")
    with pytest.raises(ValueError, match=">= 0"):
        tw.wavedec(x, "db2", level=-1)
    with pytest.raises(ValueError, match="axis"):
        tw.wavedec(x, "db2", axis=1)
    with pytest.raises(ValueError, match="non-empty list"):
        tw.waverec([], "db2")
    with pytest.warns(UserWarning, match="too high"):
        got = tw.wavedec(x, "db2", level=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = pywt.wavedec(x, "db2", level=8)
    assert [len(c) for c in got] == [len(c) for c in ref]
    assert len(tw.wavedec(x, "db2")) == pywt.dwt_max_level(64, 4) + 1


def test_nan_policy():
    x = rng(4).standard_normal(100)
    x[40] = np.nan
    got, ref = tw.wavedec(x, "db4", level=2), pywt.wavedec(x, "db4", level=2)
    for g, rf in zip(got, ref):
        assert np.array_equal(np.isnan(g), np.isnan(rf))  # propagates to the same coefficients
        close(g[~np.isnan(g)], rf[~np.isnan(rf)], "finite part")
    with pytest.raises(ValueError, match="flat index 40"):
        tw.wavedec(x, "db4", level=2, nan_policy="raise")
    with pytest.raises(ValueError, match="nan_policy"):
        tw.wavedec(x, "db4", nan_policy="drop")
    s = tw.StreamingDwt("db4", 2, nan_policy="raise")
    with pytest.raises(ValueError):
        s.push(x)


def test_matrices():
    x = rng(6).standard_normal(40)
    for mode, level in [("symmetric", 2), ("periodization", 3), ("zero", 1)]:
        a = tw.analysis_matrix(40, "db3", mode, level)
        np.testing.assert_allclose(a @ x, np.concatenate(tw.wavedec(x, "db3", mode, level)), atol=1e-12)
        s = tw.synthesis_matrix(40, "db3", mode, level)
        c = tw.wavedec(x, "db3", mode, level)
        np.testing.assert_allclose(s @ np.concatenate(c), tw.waverec(c, "db3", mode)[:40], atol=1e-12)
    a = tw.analysis_matrix(64, "sym4", "periodization", 3)
    np.testing.assert_allclose(a @ a.T, np.eye(64), atol=1e-12)
    np.testing.assert_allclose(tw.synthesis_matrix(64, "sym4", "periodization", 3), a.T, atol=1e-12)


STREAM_MODES = [m for m in MODES if m not in ("periodic", "periodization")]


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_streaming_equals_whole_array(mode):
    r = rng(11)
    for name in ("haar", "db4", "sym9", "coif4", "db20"):
        for n in (1, 3, 39, 40, 41, 500):
            for level in (1, 3):
                x = r.standard_normal(n)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    try:
                        ref = tw.wavedec(x, name, mode, level)
                    except ValueError:
                        continue
                s = tw.StreamingDwt(name, level, mode)
                cuts = np.sort(r.integers(0, n + 1, 6))
                parts = []
                for i, piece in enumerate(np.split(x, cuts)):
                    parts.append(s.push(piece))
                    if i == 2:  # checkpoint and resume mid-stream
                        s = tw.StreamingDwt.restore(s.state())
                parts.append(s.finish())
                got = [np.concatenate([p[b] for p in parts]) for b in range(level + 1)]
                for b, (g, rf) in enumerate(zip(got, ref)):
                    assert np.array_equal(g, rf), (name, mode, n, level, b)


def test_streaming_emits_early_and_in_order():
    x = rng(12).standard_normal(10_000)
    s = tw.StreamingDwt("db4", 2)
    first = s.push(x[:5000])
    ref = tw.wavedec(x, "db4", level=2)
    assert len(first[-1]) == 2500 and len(first[1]) > 1000  # most coefficients before the series ends
    for b in range(3):
        assert np.array_equal(first[b], ref[b][: len(first[b])])
    assert s.samples_in == 5000 and not s.finished
    s.push(x[5000:])
    s.finish()
    assert s.finished
    with pytest.raises(ValueError, match="finished"):
        s.push(x[:10])


def test_streaming_errors_and_corrupt_state():
    for mode in ("periodic", "periodization"):
        with pytest.raises(ValueError, match="cannot be streamed"):
            tw.StreamingDwt("db2", 2, mode)
    with pytest.raises(ValueError, match="level"):
        tw.StreamingDwt("db2", 0)
    with pytest.raises(ValueError, match="unknown wavelet"):
        tw.StreamingDwt("db99", 1)
    s = tw.StreamingDwt("sym5", 3, "reflect")
    s.push(rng(13).standard_normal(333))
    st = s.state()
    assert st[:4] == b"TSQW"
    back = tw.StreamingDwt.restore(st)
    assert (back.wavelet, back.mode, back.level, back.samples_in) == ("sym5", "reflect", 3, 333)
    assert back.state() == st
    for bad in (st[:-1], st[:10], b"", st[:20] + bytes([st[20] ^ 1]) + st[21:], b"XXXX" + st[4:]):
        with pytest.raises(tsquash.CorruptStreamError):
            tw.StreamingDwt.restore(bad)
    with pytest.raises(TypeError):
        tw.StreamingDwt.restore("not bytes")
