"""tsquash.downsample against tsdownsample (the same indices), a numpy LTTB oracle, and its argument checks."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from conftest import DATASETS_DIR

from tsquash import downsample as ds

tsd = pytest.importorskip("tsdownsample")

# (ours, tsdownsample's) for every method and variant
PAIRS = {
    "lttb": (ds.LTTB, tsd.LTTBDownsampler),
    "minmax": (ds.MinMax, tsd.MinMaxDownsampler),
    "m4": (ds.M4, tsd.M4Downsampler),
    "minmaxlttb": (ds.MinMaxLTTB, tsd.MinMaxLTTBDownsampler),
    "everynth": (ds.EveryNth, tsd.EveryNthDownsampler),
    "nanminmax": (ds.NaNMinMax, tsd.NaNMinMaxDownsampler),
    "nanm4": (ds.NaNM4, tsd.NaNM4Downsampler),
    "nanminmaxlttb": (ds.NaNMinMaxLTTB, tsd.NaNMinMaxLTTBDownsampler),
}


def reference(name, *args, n_out, **kw):
    """tsdownsample's indices as int64 (it returns uint64)."""
    out = PAIRS[name][1]().downsample(*args, n_out=n_out, **kw)
    return np.asarray(out).astype(np.int64)


def ours(name, *args, n_out, **kw):
    out = PAIRS[name][0]().downsample(*args, n_out=n_out, **kw)
    assert out.dtype == np.int64
    return out


def valid_n_outs(name, n):
    """n_out values each method accepts, edge cases included: tiny, not a multiple of the bin size (for the
    methods that allow it), just below n, equal to n and above n."""
    base = [2, 3, 4, 5, 8, 10, 12, 98, 100, 102, 1000, n - 1, n, n + 1, 3 * n]
    if name in ("minmax", "nanminmax"):
        return sorted({b for b in base if b % 2 == 0})
    if name in ("m4", "nanm4"):
        return sorted({b for b in base if b % 4 == 0})
    if name in ("lttb",):
        return sorted({b for b in base if b >= 3})
    if name in ("minmaxlttb", "nanminmaxlttb"):
        return sorted({b for b in base if b >= 3 and b % 2 == 0} | {n + 1})
    return sorted(set(base))


def make_y(kind, n, rng):
    if kind == "float64":
        return rng.normal(size=n).cumsum()
    if kind == "float32":
        return rng.normal(size=n).astype(np.float32)
    if kind == "int64":
        return rng.integers(-50, 50, size=n)
    if kind == "ties":  # few distinct values: first-occurrence rules and area ties matter
        return rng.integers(-3, 3, size=n).astype(np.float64)
    raise AssertionError(kind)


def make_x(kind, n, rng):
    if kind is None:
        return None
    if kind == "arange":
        return np.arange(n)
    if kind == "gaps":  # repeated values and gaps: empty and one-point bins
        return np.cumsum(rng.integers(0, 3, size=n) * rng.choice([1, 1, 1, 40], size=n)).astype(np.float64)
    if kind == "float32":
        return np.sort(rng.random(n)).astype(np.float32) * 1e3
    if kind == "datetime":
        return np.datetime64("2024-01-01") + np.cumsum(rng.integers(1, 5, size=n)).astype("timedelta64[s]")
    if kind == "ns":  # nanosecond timestamps: above 2**53, so converting them to double rounds
        return 1_700_000_000_123_456_789 + np.cumsum(rng.integers(0, 10**9, size=n))
    raise AssertionError(kind)


# tsdownsample's EveryNth ignores x (with a warning), so it is compared without x only.
NAME_X = [(name, xkind) for name in sorted(PAIRS) for xkind in (None, "arange", "gaps", "float32", "datetime", "ns")
          if name != "everynth" or xkind is None]


@pytest.mark.parametrize("name, xkind", NAME_X)
@pytest.mark.parametrize("ykind", ["float64", "float32", "int64", "ties"])
def test_same_indices_as_tsdownsample(name, ykind, xkind):
    rng = np.random.default_rng(zlib.crc32(f"{name}/{ykind}/{xkind}".encode()))  # stable across runs
    n = 4099
    y = make_y(ykind, n, rng)
    x = make_x(xkind, n, rng)
    args = (y,) if x is None else (x, y)
    for n_out in valid_n_outs(name, n):
        if x is not None and name in ("minmax", "nanminmax") and n_out < 4:
            continue  # tsdownsample panics here (one bin); ours raises, tested below
        if x is not None and name in ("m4", "nanm4") and n_out < 8:
            continue
        if name in ("minmaxlttb", "nanminmaxlttb") and n_out < 3:
            continue
        expected = reference(name, *args, n_out=n_out)
        got = ours(name, *args, n_out=n_out)
        np.testing.assert_array_equal(got, expected, err_msg=f"{name} n_out={n_out}")


@pytest.mark.parametrize("name", ["minmax", "m4", "minmaxlttb", "nanminmax", "nanm4", "nanminmaxlttb", "lttb"])
@pytest.mark.parametrize("with_x", [False, True])
def test_nan_handling_matches_tsdownsample(name, with_x):
    rng = np.random.default_rng(7)
    n = 6000
    y = rng.normal(size=n).cumsum()
    y[rng.random(n) < 0.02] = np.nan
    y[1000:1400] = np.nan  # whole bins of NaN
    y[3000] = np.inf
    y[3001] = -np.inf
    y[4000:4010] = 0.0
    y[4003] = -0.0
    args = (np.arange(n) * 2.5, y) if with_x else (y,)
    for n_out in (8, 100, 400, 1000):
        np.testing.assert_array_equal(ours(name, *args, n_out=n_out), reference(name, *args, n_out=n_out),
                                      err_msg=f"{name} n_out={n_out}")


@pytest.mark.parametrize("name", ["nanminmax", "nanm4", "nanminmaxlttb"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_aware_without_nan_but_with_infinities(name, dtype):
    """Bins whose values add up to NaN without holding one (+inf and -inf, or an overflow then -inf): the
    NaN-aware variants must still report the bins' minimum and maximum, not a NaN position."""
    rng = np.random.default_rng(11)
    n = 20_000
    big = np.finfo(dtype).max
    y = rng.normal(size=n).astype(dtype)
    y[500], y[700] = np.inf, -np.inf  # the same bin at every n_out below
    y[5000:5004] = big  # sums to +inf, then -inf: NaN
    y[5100] = -np.inf
    y[9000] = -big
    y[9001] = -big
    y[12000], y[12001], y[12002] = np.inf, np.inf, -np.inf
    for args in ((y,), (np.arange(n) * 2.5, y)):
        for n_out in (8, 40, 200):
            np.testing.assert_array_equal(ours(name, *args, n_out=n_out), reference(name, *args, n_out=n_out),
                                          err_msg=f"{name} n_out={n_out} with x={len(args) == 2}")


def test_nan_aware_reports_the_gap():
    y = np.arange(100.0)
    y[37] = np.nan
    y[41] = np.nan
    idx = ds.NaNMinMax().downsample(y, n_out=10)  # bins of ~20 points: the second holds both NaNs
    assert list(idx[2:4]) == [37, 37]
    assert 37 not in ds.MinMax().downsample(y, n_out=10)
    assert ds.MinMax(nan_aware=True).downsample(y, n_out=10).tolist() == idx.tolist()


@pytest.mark.parametrize("minmax_ratio", [2, 3, 4, 10, 30])
def test_minmaxlttb_ratio(minmax_ratio):
    rng = np.random.default_rng(minmax_ratio)
    y = rng.normal(size=50_000).cumsum()
    x = np.cumsum(rng.integers(1, 4, size=len(y)))
    for args in ((y,), (x, y)):
        expected = reference("minmaxlttb", *args, n_out=500, minmax_ratio=minmax_ratio)
        np.testing.assert_array_equal(ds.MinMaxLTTB(minmax_ratio).downsample(*args, n_out=500), expected)
        np.testing.assert_array_equal(ds.MinMaxLTTB().downsample(*args, n_out=500, minmax_ratio=minmax_ratio),
                                      expected)


def real_series():
    files = [
        "basel_temp/value.f64", "stocks_usa/value.f64", "etth1/OT.f64", "exchange_rate/c3.f64",
        "air_pressure/value.f64", "btcusd/value.f64", "bird_migration/value.f64",
    ]
    found = [DATASETS_DIR / f for f in files if (DATASETS_DIR / f).exists()]
    return found


@pytest.mark.skipif(not real_series(), reason="../shared/datasets not available")
@pytest.mark.parametrize("path", real_series(), ids=lambda p: p.parent.name)
def test_same_indices_on_real_series(path):
    y = np.fromfile(path, dtype="<f8")
    x = np.datetime64("2020-01-01T00:00") + np.arange(len(y)).astype("timedelta64[m]")
    x[len(x) // 2:] += np.timedelta64(3, "D")  # a gap in time: empty bins with x
    for name in sorted(PAIRS):
        for n_out in (100, 1000, 2000):
            for args in ((y,), (x, y)):
                if name == "everynth" and len(args) == 2:
                    continue
                np.testing.assert_array_equal(ours(name, *args, n_out=n_out), reference(name, *args, n_out=n_out),
                                              err_msg=f"{name} n_out={n_out} x={len(args) == 2}")


def lttb_numpy(y, n_out, x=None):
    """Textbook LTTB in numpy: the oracle. Buckets of (n - 2) / (n_out - 2) points between the fixed first and
    last point; in each, the point with the largest triangle formed with the previously kept point and the
    mean of the next bucket."""
    n = len(y)
    x = np.arange(n, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    every = (n - 2) / (n_out - 2)
    edges = [int(every * i) + 1 for i in range(n_out - 1)] + [n]
    out = [0]
    a = 0
    for i in range(n_out - 2):
        lo, hi = edges[i], edges[i + 1]
        nlo, nhi = edges[i + 1], min(edges[i + 2], n)
        cx = (x[nlo] + x[nhi - 1]) / 2
        cy = y[nlo:nhi].mean()
        area = np.abs((x[a] - cx) * (y[lo:hi] - y[a]) - (x[a] - x[lo:hi]) * (cy - y[a]))
        a = lo + int(np.argmax(area))
        out.append(a)
    out.append(n - 1)
    return np.array(out)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_out", [3, 4, 17, 250, 1000])
def test_lttb_matches_numpy_oracle(seed, n_out):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=5000).cumsum()
    x = np.cumsum(rng.random(5000) + 0.1)
    np.testing.assert_array_equal(ds.LTTB().downsample(y, n_out=n_out), lttb_numpy(y, n_out))
    np.testing.assert_array_equal(ds.LTTB().downsample(x, y, n_out=n_out), lttb_numpy(y, n_out, x))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_threads_do_not_change_the_result(name):
    rng = np.random.default_rng(3)
    y = rng.normal(size=100_003).cumsum()
    x = np.cumsum(rng.integers(0, 3, size=len(y)))
    cls = PAIRS[name][0]
    for args in ((y,), (x, y)):
        one = cls().downsample(*args, n_out=1000)
        for t in (2, 3, 8, 0, None):
            np.testing.assert_array_equal(cls().downsample(*args, n_out=1000, n_threads=t), one)


@pytest.mark.parametrize("name", ["lttb", "minmax", "m4", "minmaxlttb"])
def test_invariants(name):
    rng = np.random.default_rng(11)
    y = rng.normal(size=20_000)
    idx = ours(name, y, n_out=400)
    assert len(idx) == 400
    assert np.all(np.diff(idx) >= 0)
    assert idx[0] >= 0 and idx[-1] < len(y)
    if name in ("lttb", "minmaxlttb"):
        assert idx[0] == 0 and idx[-1] == len(y) - 1
        assert np.all(np.diff(idx) > 0)


def test_datetime_and_pandas_inputs_equal_int64():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    y = rng.normal(size=3000)
    t = pd.date_range("2024-03-01", periods=3000, freq="7s", tz="Europe/Paris")
    base = ds.MinMaxLTTB().downsample(t.asi8, y, n_out=200)
    np.testing.assert_array_equal(ds.MinMaxLTTB().downsample(t, pd.Series(y), n_out=200), base)
    np.testing.assert_array_equal(ds.MinMaxLTTB().downsample(t.tz_localize(None).to_numpy(), y, n_out=200), base)


def test_other_dtypes_and_layouts():
    rng = np.random.default_rng(9)
    y = rng.integers(-1000, 1000, size=5000)
    ref = ds.M4().downsample(y, n_out=100)
    for conv in (np.int32, np.int16):
        np.testing.assert_array_equal(ds.M4().downsample(y.astype(conv), n_out=100), ref)
    np.testing.assert_array_equal(ds.M4().downsample((y + 1000).astype(np.uint16), n_out=100), ref)
    big = np.empty(10_000)
    big[::2] = rng.normal(size=5000)
    strided = big[::2]
    np.testing.assert_array_equal(ds.LTTB().downsample(strided, n_out=99),
                                  ds.LTTB().downsample(strided.copy(), n_out=99))
    swapped = strided.astype(">f8")
    np.testing.assert_array_equal(ds.LTTB().downsample(swapped, n_out=99),
                                  ds.LTTB().downsample(strided.copy(), n_out=99))
    half = rng.normal(size=500).astype(np.float16)
    np.testing.assert_array_equal(ds.MinMax().downsample(half, n_out=50),
                                  ds.MinMax().downsample(half.astype(np.float32), n_out=50))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: ds.LTTB().downsample(np.array([]), n_out=10), ValueError, "empty"),
        (lambda: ds.LTTB().downsample(np.arange(100.0), n_out=2), ValueError, "n_out >= 3"),
        (lambda: ds.LTTB().downsample(np.arange(100.0), n_out=0), ValueError, "positive"),
        (lambda: ds.LTTB().downsample(np.arange(100.0), n_out=-5), ValueError, "positive"),
        (lambda: ds.LTTB().downsample(np.arange(100.0), n_out=10.0), TypeError, "integer"),
        (lambda: ds.LTTB().downsample(np.arange(100.0), n_out=True), TypeError, "integer"),
        (lambda: ds.MinMax().downsample(np.arange(100.0), n_out=7), ValueError, "even"),
        (lambda: ds.M4().downsample(np.arange(100.0), n_out=10), ValueError, "multiple of 4"),
        (lambda: ds.MinMax().downsample(np.arange(100), np.arange(100.0), n_out=2), ValueError, "two bins"),
        (lambda: ds.M4().downsample(np.arange(100), np.arange(100.0), n_out=4), ValueError, "two bins"),
        (lambda: ds.MinMaxLTTB(1), ValueError, "minmax_ratio"),
        (lambda: ds.MinMaxLTTB().downsample(np.arange(1000.0), n_out=5, minmax_ratio=3), ValueError, "even"),
        (lambda: ds.LTTB().downsample(np.arange(100.0)[::-1], np.arange(100.0), n_out=10), ValueError,
         "non-decreasing"),
        (lambda: ds.MinMax().downsample(np.r_[0.0, np.nan, 2.0, 3.0], np.arange(4.0), n_out=2), ValueError,
         "NaN"),
        (lambda: ds.LTTB().downsample(np.r_[np.arange(500.0), np.nan, np.arange(501.0, 1000)], np.arange(1000.0),
                                      n_out=10), ValueError, "NaN"),
        (lambda: ds.LTTB().downsample(np.r_[np.arange(998), 5, 999], np.arange(1000.0), n_out=10), ValueError,
         r"x\[998\]"),
        (lambda: ds.LTTB().downsample(np.r_[1, 0, 2], np.arange(3.0), n_out=10), ValueError, "non-decreasing"),
        (lambda: ds.MinMax().downsample(np.zeros(100), np.arange(100.0), n_out=10), ValueError, "x must increase"),
        (lambda: ds.LTTB().downsample(np.arange(10), np.arange(11.0), n_out=5), ValueError, "differ in length"),
        (lambda: ds.LTTB().downsample(np.ones((10, 2)), n_out=5), ValueError, "1-D"),
        (lambda: ds.LTTB().downsample(np.arange(10), np.ones((10, 2)), n_out=5), ValueError, "1-D"),
        (lambda: ds.LTTB().downsample(np.ones(10, dtype=bool), n_out=5), TypeError, "booleans"),
        (lambda: ds.LTTB().downsample(np.ones(10, dtype=complex), n_out=5), TypeError, "float or integer"),
        (lambda: ds.LTTB().downsample(np.array(["a", "b", "c"]), n_out=5), TypeError, "float or integer"),
        (lambda: ds.LTTB().downsample(np.array(["a", "b", "c"]), np.ones(3), n_out=5), TypeError, "x: expected"),
        (lambda: ds.LTTB().downsample(np.array(["2024-01-01", "NaT"], dtype="datetime64[s]"), np.ones(2), n_out=5),
         ValueError, "NaT"),
        (lambda: ds.LTTB().downsample(np.full(3, 2**63, dtype=np.uint64), n_out=2), ValueError, "uint64"),
        (lambda: ds.LTTB(nan_aware=True), ValueError, "no NaN-aware"),
        (lambda: ds.LTTB().downsample(np.arange(10.0), n_out=5, n_threads=-1), ValueError, "n_threads"),
        (lambda: ds.get_downsampler("bogus"), ValueError, "unknown downsampling method"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_n_out_at_least_n_returns_every_index():
    y = np.arange(10.0)
    for cls in (ds.LTTB, ds.MinMax, ds.M4, ds.MinMaxLTTB, ds.EveryNth):
        np.testing.assert_array_equal(cls().downsample(y, n_out=12), np.arange(10))
    np.testing.assert_array_equal(ds.LTTB().downsample(np.array([1.0]), n_out=3), [0])


def test_get_downsampler_names():
    assert isinstance(ds.get_downsampler("MinMaxLTTB"), ds.MinMaxLTTB)
    assert isinstance(ds.get_downsampler("uniform"), ds.EveryNth)
    assert ds.get_downsampler("m4", nan_aware=True).nan_aware
    inst = ds.LTTB()
    assert ds.get_downsampler(inst) is inst


# --------------------------------------------------------------------------------------- pandas accessor


@pytest.fixture
def frame():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(21)
    n = 20_000
    idx = pd.date_range("2024-01-01", periods=n, freq="250ms", tz="America/New_York", name="time")
    return pd.DataFrame({"a": rng.normal(size=n).cumsum(), "b": rng.normal(size=n), "label": ["x"] * n},
                        index=idx)


def test_series_accessor_keeps_index_and_matches_the_class(frame):
    s = frame["a"]
    out = s.tsq.downsample(n_out=500, method="minmaxlttb")
    expected = ds.MinMaxLTTB().downsample(s.index.asi8, s.to_numpy(), n_out=500)
    assert out.index.tz is not None and out.index.name == "time" and out.name == "a"
    assert out.index.equals(s.index[expected])
    np.testing.assert_array_equal(out.to_numpy(), s.to_numpy()[expected])
    assert len(s) == 20_000  # input untouched


def test_frame_accessor_column_and_union(frame):
    by_a = frame.tsq.downsample(n_out=400, method="m4", column="a")
    assert list(by_a.columns) == ["a", "b", "label"]
    pos = ds.M4().downsample(frame.index.asi8, frame["a"].to_numpy(), n_out=400)
    assert by_a.index.equals(frame.index[np.unique(pos)])
    assert by_a.index.equals(frame["a"].tsq.downsample(n_out=400, method="m4").index)
    both = frame.tsq.downsample(n_out=400, method="lttb")
    pos_a = ds.LTTB().downsample(frame.index.asi8, frame["a"].to_numpy(), n_out=400)
    pos_b = ds.LTTB().downsample(frame.index.asi8, frame["b"].to_numpy(), n_out=400)
    assert both.index.equals(frame.index[np.union1d(pos_a, pos_b)])
    assert both.index.is_monotonic_increasing


def test_frame_accessor_time_column_and_default_index():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    t = pd.date_range("2023-05-01", periods=5000, freq="1min")
    df = pd.DataFrame({"t": t, "v": rng.normal(size=5000)})
    out = df.tsq.downsample(n_out=100, method="lttb", x="t")
    expected = ds.LTTB().downsample(t.asi8, df["v"].to_numpy(), n_out=100)
    np.testing.assert_array_equal(out.index.to_numpy(), expected)  # RangeIndex labels are the positions
    implicit = df[["v"]].tsq.downsample(n_out=100, method="lttb")
    np.testing.assert_array_equal(implicit.index.to_numpy(), ds.LTTB().downsample(df["v"].to_numpy(), n_out=100))


def test_accessor_errors(frame):
    with pytest.raises(KeyError):
        frame.tsq.downsample(n_out=10, column="nope")
    with pytest.raises(ValueError, match="no numeric column"):
        frame[["label"]].tsq.downsample(n_out=10)
    with pytest.raises(ValueError, match="non-decreasing"):
        frame.iloc[::-1].tsq.downsample(n_out=100)
    with pytest.raises(ValueError, match="unknown downsampling method"):
        frame.tsq.downsample(n_out=100, method="bogus")
