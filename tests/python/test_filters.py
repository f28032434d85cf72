"""The filter API: pydbfilter-style calls, input/output types, errors, state, FilterTree, reconstruct, pandas."""
from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import tsquash
from tsquash import DeadbandFilter, Filter, FilterTree, HysteresisFilter, SdtFilter, reconstruct
from _filter_util import sdt_excess, step_excess

FILTERS = [(SdtFilter, 0.3), (DeadbandFilter, 0.3), (HysteresisFilter, 0.3)]
IDS = ["sdt", "deadband", "hysteresis"]


def walk(n=500, seed=0):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.integers(1, 20, n)).astype(np.int64)
    v = np.cumsum(rng.normal(size=n))
    return t, v


def one_by_one(f, t, v):
    out = []
    for a, b in zip(t, v):
        out += f.filter_point(a, b)
    return out


# ---- pydbfilter's examples ---------------------------------------------------------------------------------

def test_readme_example_point_by_point():
    # pydbfilter README: SdtFilter(0.05, 100) on five points, then flush.
    t = [0, 5, 10, 15, 20]
    v = [0, 0.1, 1.6, 1.63, 1.66]
    f = SdtFilter(0.05, 100)
    out = []
    for a, b in zip(t, v):
        out += f.filterPoint(a, b)
    out += f.flush()
    assert out[0] == (0, 0.0)
    assert out[-1] == (20, 1.66)
    assert all(isinstance(p[0], int) for p in out)
    ot, ov = zip(*out)
    ratio, i, err = sdt_excess(t, v, ot, ov, 0.05)
    assert ratio <= 1, f"point {i} is {err} from the interpolation"
    # The ramp 1.6 -> 1.66 is straight: (15, 1.63) is dropped.
    assert 15 not in ot


def test_readme_sine_batch():
    t = list(range(40))
    v = [math.sin(x * 2 * math.pi / 20) for x in t]
    f = SdtFilter(0.05, 100)
    out = f.filterPoints(list(zip(t, v))) + f.flush()
    assert 4 < len(out) < 40
    ot, ov = zip(*out)
    assert sdt_excess(t, v, ot, ov, 0.05)[0] <= 1


# ---- batch == point by point, for every input container ---------------------------------------------------

@pytest.mark.parametrize("cls,thr", FILTERS, ids=IDS)
@pytest.mark.parametrize("max_interval", [None, 40])
def test_containers_agree_with_filter_point(cls, thr, max_interval):
    t, v = walk()
    expected = one_by_one(cls(thr, max_interval), t.tolist(), v.tolist())
    # list of tuples
    assert cls(thr, max_interval).filter_points(list(zip(t.tolist(), v.tolist()))) == expected
    # list of lists, and a generator
    assert cls(thr, max_interval).filterPoints([[a, b] for a, b in zip(t.tolist(), v.tolist())]) == expected
    assert cls(thr, max_interval).filter_points(zip(t.tolist(), v.tolist())) == expected
    # columnar arrays
    ft, fv = cls(thr, max_interval).filter_arrays(t, v)
    assert ft.dtype == np.int64
    assert list(zip(ft.tolist(), fv.tolist())) == expected
    # (n, 2) arrays. A float64 block (times as floats) runs the float64 kernel: compare with float times
    # point by point. An int64 block (integer values too) runs the int64 kernel; both come back as float64.
    farr = np.column_stack([t.astype(np.float64), v])
    fexpected = one_by_one(cls(thr, max_interval), t.astype(np.float64).tolist(), v.tolist())
    got = cls(thr, max_interval).filter_points(farr)
    assert got.dtype == np.float64 and got.shape == (len(fexpected), 2)
    np.testing.assert_array_equal(got, np.array(fexpected, dtype=np.float64))
    iv = np.round(v * 10).astype(np.int64)
    iexpected = one_by_one(cls(thr * 10, max_interval), t.tolist(), iv.tolist())
    got = cls(thr * 10, max_interval).filter_points(np.column_stack([t, iv]))
    np.testing.assert_array_equal(got, np.array(iexpected, dtype=np.float64))
    # DataFrame with a time column, and with a numeric index
    df = pd.DataFrame({"time": t, "value": v})
    out = cls(thr, max_interval).filter_points(df)
    assert list(out.columns) == ["time", "value"]
    assert out["time"].dtype == np.int64
    assert list(zip(out["time"].tolist(), out["value"].tolist())) == expected
    s = pd.Series(v, index=pd.Index(t, name="t"), name="x")
    so = cls(thr, max_interval).filter_points(s)
    assert so.name == "x" and so.index.name == "t"
    assert list(zip(so.index.tolist(), so.tolist())) == expected


@pytest.mark.parametrize("cls,thr", FILTERS, ids=IDS)
def test_split_batches_and_points_mix(cls, thr):
    t, v = walk(800, seed=3)
    f = cls(thr, 50)
    g = cls(thr, 50)
    expected = one_by_one(g, t.tolist(), v.tolist()) + g.flush()
    got = []
    got += f.filter_points(list(zip(t[:100].tolist(), v[:100].tolist())))
    got += one_by_one(f, t[100:130].tolist(), v[100:130].tolist())
    a, b = f.filter_arrays(t[130:500], v[130:500])
    got += list(zip(a.tolist(), b.tolist()))
    arr = f.filter_points(np.column_stack([t[500:], v[500:]]))
    got += [(int(x), y) for x, y in arr.tolist()]
    got += f.flush()
    assert got == expected
    assert f.points_in == len(t)
    assert f.points_out == len(expected)


def test_zero_copy_and_no_mutation():
    t, v = walk(1000)
    arr = np.column_stack([t.astype(np.float64), v])
    arr.setflags(write=False)  # read-only input is fine
    before = arr.copy()
    out = SdtFilter(0.5).filter_points(arr)
    np.testing.assert_array_equal(arr, before)
    assert out.flags.writeable
    df = pd.DataFrame({"t": t, "v": v})
    df_before = df.copy()
    DeadbandFilter(0.5).filter_points(df)
    pd.testing.assert_frame_equal(df, df_before)


# ---- time types --------------------------------------------------------------------------------------------

def test_float_times_come_back_as_floats():
    f = DeadbandFilter(0.1)
    assert f.filter_point(0.5, 1.0) == [(0.5, 1.0)]
    out = f.filter_point(1, 2.0)  # an int after floats: still a float filter
    assert out == [(1.0, 2.0)] and isinstance(out[0][0], float)


def test_int_filter_rejects_fractional_times():
    f = DeadbandFilter(0.1)
    f.filter_point(1, 1.0)
    assert f.filter_point(2.0, 5.0) == [(2, 5.0)]  # integral floats are fine
    with pytest.raises(TypeError, match="integer times"):
        f.filter_point(2.5, 1.0)


def test_datetime64_times_keep_their_unit():
    t = np.arange(np.datetime64("2024-01-01T00:00", "s"), np.datetime64("2024-01-01T00:10", "s"),
                  np.timedelta64(30, "s"))
    v = np.r_[np.zeros(10), np.ones(10) * 5]
    f = DeadbandFilter(1.0, np.timedelta64(2, "m"))
    ot, ov = f.filter_arrays(t, v)
    assert ot.dtype == np.dtype("datetime64[s]")
    assert ot[0] == t[0]
    assert np.all(np.diff(ot) > np.timedelta64(0, "s"))
    # Scalars: the type passed
    g = DeadbandFilter(1.0)
    out = g.filter_point(np.datetime64("2024-01-01T00:00:00.123", "ms"), 1.0)
    assert out[0][0] == np.datetime64("2024-01-01T00:00:00.123", "ms")
    assert out[0][0].dtype == np.dtype("datetime64[ms]")
    later = g.filter_point(pd.Timestamp("2024-01-01 00:00:01", tz="UTC"), 3.0)
    assert later == [(pd.Timestamp("2024-01-01 00:00:01", tz="UTC"), 3.0)]
    assert isinstance(later[0][0], pd.Timestamp)


def test_python_datetimes_and_timestamps():
    tz = dt.timezone(dt.timedelta(hours=2))
    start = dt.datetime(2024, 5, 1, 12, 0, tzinfo=tz)
    pts = [(start + dt.timedelta(seconds=10 * i), float(i // 5)) for i in range(20)]
    f = DeadbandFilter(0.5)
    out = f.filter_points(pts) + f.flush()
    assert [p[0] for p in out] == [pts[i][0] for i in (0, 5, 10, 15, 19)]
    assert all(p[0].tzinfo is not None and p[0].utcoffset() == dt.timedelta(hours=2) for p in out)
    idx = pd.date_range("2024-03-31 00:00", periods=50, freq="15min", tz="Europe/Berlin", name="when")
    s = pd.Series(np.sin(np.arange(50) / 5), index=idx)
    g = SdtFilter(0.05)
    so = g.filter_points(s)
    assert str(so.index.tz) == "Europe/Berlin" and so.index.name == "when"
    assert so.index.isin(idx).all()
    tail = g.flush()
    assert isinstance(tail[-1][0], pd.Timestamp) and tail[-1][0] == idx[-1]


def test_max_interval_must_match_the_time_kind():
    with pytest.raises(TypeError, match="timedelta"):
        SdtFilter(0.1, 60).filter_point(np.datetime64("2024-01-01", "s"), 1.0)
    with pytest.raises(TypeError, match="timedelta"):
        SdtFilter(0.1, dt.timedelta(seconds=60)).filter_point(5, 1.0)
    f = SdtFilter(0.1, pd.Timedelta(minutes=1))
    t0 = pd.Timestamp("2024-01-01")
    f.filter_point(t0, 1.0)
    assert f.filter_point(t0 + pd.Timedelta(seconds=30), 1.0) == []
    assert f.filter_point(t0 + pd.Timedelta(seconds=61), 1.0) == [
        (t0 + pd.Timedelta(seconds=30), 1.0)]


def test_time_kind_cannot_change():
    f = SdtFilter(0.1)
    f.filter_point(1, 1.0)
    with pytest.raises(TypeError):
        f.filter_point(np.datetime64("2024-01-01", "s"), 1.0)
    with pytest.raises(TypeError):
        f.filter_point(True, 1.0)


# ---- max_interval, flush -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [SdtFilter, DeadbandFilter, HysteresisFilter], ids=IDS)
def test_max_interval_is_at_least_not_more_than(cls):
    f = cls(10.0, 100)
    assert f.filter_point(100, -20) == [(100, -20.0)]
    # 200 is exactly max_interval after the last emitted point: forced out ("at least").
    assert f.filter_point(200, -20) == [(200, -20.0)]
    assert f.filter_point(299, -20) == []
    # 300 - 200 >= 100: the held point (299) goes out first; 300 - 299 < 100, so 300 is held.
    assert f.filter_point(300, -20) == [(299, -20.0)]
    # 450 - 299 >= 100: the held 300 first, then 450 - 300 >= 100 so 450 too.
    assert f.filter_point(450, -20) == [(300, -20.0), (450, -20.0)]
    assert f.flush() == []


@pytest.mark.parametrize("cls,thr", FILTERS, ids=IDS)
def test_flush_releases_only_unemitted_points(cls, thr):
    f = cls(thr)
    assert f.flush() == []
    f.filter_point(0, 1.0)
    assert f.flush() == []  # the first point was emitted
    f.filter_point(1, 1.0)
    assert f.flush() == [(1, 1.0)]
    assert f.flush() == []
    f.filter_point(2, 1.0)
    assert f.flush() == [(2, 1.0)]


def test_sdt_flush_keeps_the_bound():
    # The window from (0, 0) still holds both points but the line to the exact (2, 0.4) misses (1, 1.5):
    # flush puts a closing point at t=1 first.
    f = SdtFilter(1.0)
    out = f.filter_points([(0, 0.0), (1, 1.5), (2, 0.4)])
    tail = f.flush()
    assert len(tail) == 2 and tail[-1] == (2, 0.4) and tail[0][0] == 1
    ot, ov = zip(*(out + tail))
    assert sdt_excess([0, 1, 2], [0.0, 1.5, 0.4], ot, ov, 1.0)[0] <= 1


# ---- errors ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,thr", FILTERS, ids=IDS)
def test_bad_input(cls, thr):
    f = cls(thr)
    f.filter_point(10, 1.0)
    with pytest.raises(ValueError, match=r"index 1 .*not after"):
        f.filter_point(10, 2.0)
    with pytest.raises(ValueError, match="NaN|nan"):
        f.filter_point(11, float("nan"))
    with pytest.raises(ValueError, match="inf"):
        f.filter_point(11, float("inf"))
    with pytest.raises(ValueError, match="index 3"):
        f.filter_points([(11, 1.0), (12, 1.0), (13, 1.0), (13, 1.0)])
    with pytest.raises(ValueError, match="index 2"):
        f.filter_arrays(np.array([11, 12, 13]), np.array([1.0, 2.0, np.nan]))
    with pytest.raises(ValueError, match="index 0"):
        f.filter_arrays(np.array([9, 12]), np.array([1.0, 2.0]))
    assert f.points_in == 1  # nothing of a rejected batch was consumed
    with pytest.raises(TypeError):
        f.filter_point(12, "1.0")
    with pytest.raises(ValueError, match="differ in length"):
        f.filter_arrays(np.array([20, 21]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        f.filter_points(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="columns"):
        f.filter_points(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))


def test_nan_time_is_rejected():
    with pytest.raises(ValueError, match="time at index 1"):
        SdtFilter(0.1).filter_arrays(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="NaT"):
        SdtFilter(0.1).filter_arrays(np.array(["2024-01-01", "NaT"], dtype="datetime64[s]"), np.array([1.0, 2.0]))


@pytest.mark.parametrize("cls", [SdtFilter, DeadbandFilter, HysteresisFilter], ids=IDS)
def test_bad_parameters(cls):
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            cls(bad)
    for bad in ("0.1", None, True):
        with pytest.raises(TypeError):
            cls(bad)
    for bad in (0, -5, float("nan"), np.timedelta64(0, "s"), dt.timedelta(seconds=-1)):
        with pytest.raises(ValueError):
            cls(1.0, bad)
    with pytest.raises(TypeError):
        cls(1.0, "10")
    cls(0.0)  # zero threshold: keep everything that is not exactly on the line / equal
    cls(1.0, float("inf"))


# ---- state ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,thr", FILTERS + [(lambda d, m=None: SdtFilter(d, m, compat=True), 0.3)],
                         ids=IDS + ["sdt-compat"])
@pytest.mark.parametrize("cut", [0, 1, 2, 250, 500])
def test_state_restore_continues_identically(cls, thr, cut):
    t, v = walk(500, seed=7)
    whole = cls(thr, 60)
    expected = one_by_one(whole, t.tolist(), v.tolist()) + whole.flush()
    a = cls(thr, 60)
    got = one_by_one(a, t[:cut].tolist(), v[:cut].tolist())
    blob = a.state()
    assert isinstance(blob, bytes)
    b = Filter.from_state(blob)
    assert type(b) is type(a) and b.points_in == cut
    got += one_by_one(b, t[cut:].tolist(), v[cut:].tolist()) + b.flush()
    assert got == expected
    # restore() into an existing object of the same class, with other parameters
    c = type(a)(123.0)
    c.restore(blob)
    head = one_by_one(cls(thr, 60), t[:cut].tolist(), v[:cut].tolist())
    assert head + one_by_one(c, t[cut:].tolist(), v[cut:].tolist()) + c.flush() == expected


def test_state_keeps_time_types_and_parameters():
    f = SdtFilter(0.25, pd.Timedelta(seconds=90), compat=False)
    idx = pd.date_range("2024-01-01", periods=30, freq="10s", tz="Asia/Tokyo")
    f.filter_points(pd.Series(np.cos(np.arange(30) / 3.0), index=idx))
    g = SdtFilter.from_state(f.state())
    assert g.deviation == 0.25 and not g.compat
    assert g.max_interval == np.timedelta64(90, "s")
    tail = g.flush()
    assert tail and isinstance(tail[-1][0], pd.Timestamp) and tail[-1][0] == idx[-1]
    assert str(tail[-1][0].tz) == "Asia/Tokyo"
    # A fresh filter's state too
    h = DeadbandFilter.from_state(DeadbandFilter(2.0, 7).state())
    assert h.deadband == 2.0 and h.max_interval == 7 and h.points_in == 0


def test_state_errors():
    f = SdtFilter(0.5)
    f.filter_points([(1, 1.0), (2, 2.0), (3, 5.0)])
    blob = f.state()
    with pytest.raises(ValueError, match="SdtFilter"):
        DeadbandFilter.from_state(blob)
    with pytest.raises(ValueError):
        DeadbandFilter(1.0).restore(blob)
    for i in range(0, len(blob), 3):
        bad = bytearray(blob)
        bad[i] ^= 0xFF
        with pytest.raises(tsquash.CorruptStreamError):
            Filter.from_state(bytes(bad))
    with pytest.raises(tsquash.CorruptStreamError):
        Filter.from_state(blob[:-1])
    with pytest.raises(tsquash.CorruptStreamError):
        Filter.from_state(b"")
    with pytest.raises(TypeError):
        Filter.from_state("not bytes")


# ---- FilterTree --------------------------------------------------------------------------------------------

def test_filter_tree_one_filter_per_key():
    tree = FilterTree(DeadbandFilter, 1.0, 100)
    assert tree.filter_point(("a",), 0, 0.0) == [(0, 0.0)]
    assert tree.filter_point(("b",), 0, 50.0) == [(0, 50.0)]
    assert tree.filterPoint(("a",), 1, 0.5) == []
    assert tree.filter_point(("b",), 1, 50.5) == []
    assert tree.filter_point(("a",), 2, 5.0) == [(2, 5.0)]
    assert len(tree) == 2 and ("a",) in tree and ("c",) not in tree
    assert tree.flush() == {("a",): [], ("b",): [(1, 50.5)]}
    assert isinstance(tree[("a",)], DeadbandFilter)


def test_filter_tree_state_round_trip():
    tree = FilterTree(SdtFilter, 0.2, max_interval=50)
    rng = np.random.default_rng(1)
    keys = [("host-1", "cpu0"), ("host-2", "cpu0"), ("host-1", "cpu1")]
    series = {k: np.cumsum(rng.normal(size=300)) for k in keys}
    reference = FilterTree(SdtFilter, 0.2, max_interval=50)
    expected = {k: [] for k in keys}
    for i in range(300):
        for k in keys:
            expected[k] += reference.filter_point(k, i, series[k][i])
    for k, pts in reference.flush().items():
        expected[k] += pts
    got = {k: [] for k in keys}
    for i in range(120):
        for k in keys:
            got[k] += tree.filter_point(k, i, series[k][i])
    blob = tree.state()
    restored = FilterTree.from_state(blob)
    assert set(restored.keys()) == set(keys)
    for i in range(120, 300):
        for k in keys:
            got[k] += restored.filter_point(k, i, series[k][i])
    for k, pts in restored.flush().items():
        got[k] += pts
    assert got == expected
    other = FilterTree(DeadbandFilter, 5.0)
    other.restore(blob)
    assert len(other) == 3
    with pytest.raises(tsquash.CorruptStreamError):
        FilterTree.from_state(blob[:-2] + b"\x00\x00")
    with pytest.raises(TypeError):
        t2 = FilterTree(SdtFilter, 0.1)
        t2.filter_point(object(), 0, 1.0)
        t2.state()
    with pytest.raises(TypeError):
        FilterTree(dict, 1.0)
    with pytest.raises(ValueError):
        FilterTree(SdtFilter, -1.0)


# ---- reconstruct ---------------------------------------------------------------------------------------------

def test_reconstruct_linear_and_step():
    pts = [(0, 0.0), (10, 10.0), (20, 0.0)]
    q = np.array([-1, 0, 5, 10, 15, 20, 21])
    lin = reconstruct(pts, q)
    np.testing.assert_array_equal(lin[1:6], [0.0, 5.0, 10.0, 5.0, 0.0])
    assert np.isnan(lin[0]) and np.isnan(lin[-1])
    st = reconstruct(pts, q, method="step")
    assert np.isnan(st[0])
    np.testing.assert_array_equal(st[1:], [0.0, 0.0, 10.0, 10.0, 0.0, 0.0])
    # other containers
    np.testing.assert_array_equal(reconstruct(np.array(pts, dtype=float), q.astype(float)), lin)
    np.testing.assert_array_equal(reconstruct((np.array([0, 10, 20]), np.array([0.0, 10.0, 0.0])), q), lin)
    with pytest.raises(ValueError, match="method"):
        reconstruct(pts, q, method="cubic")
    with pytest.raises(ValueError, match="increase"):
        reconstruct([(0, 1.0), (0, 2.0)], q)


def test_reconstruct_exact_at_knots_and_datetimes():
    rng = np.random.default_rng(5)
    tk = np.cumsum(rng.integers(1, 10**9, 200)) + 1_700_000_000_000_000_000
    vk = rng.normal(size=200) * 1e6
    np.testing.assert_array_equal(reconstruct((tk, vk), tk), vk)
    dts = tk.astype("datetime64[ns]")
    np.testing.assert_array_equal(reconstruct((dts, vk), dts), vk)
    idx = pd.DatetimeIndex(dts).tz_localize("UTC").tz_convert("America/New_York")
    s = pd.Series(vk, index=idx)
    np.testing.assert_array_equal(reconstruct(s, idx), vk)
    q = idx[:-1] + (idx[1:] - idx[:-1]) / 3
    frac = (q.asi8 - tk[:-1]) / (tk[1:] - tk[:-1])  # exact int64 differences, as reconstruct takes them
    np.testing.assert_allclose(reconstruct(s, q), vk[:-1] + (vk[1:] - vk[:-1]) * frac, rtol=1e-12, atol=1e-9)
    with pytest.raises(TypeError):
        reconstruct((tk, vk), dts)


def test_reconstruct_huge_values_do_not_overflow():
    r = reconstruct([(0, -1.5e308), (2, 1.5e308)], [1])
    assert r[0] == 0.0


# ---- pandas --------------------------------------------------------------------------------------------------

def test_accessor_per_column_dict():
    idx = pd.date_range("2024-01-01", periods=200, freq="1min", tz="Europe/Paris", name="time")
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": np.cumsum(rng.normal(size=200)), "b": np.sin(np.arange(200) / 9.0)}, index=idx)
    df.loc[idx[5:9], "b"] = np.nan
    before = df.copy()
    res = df.tsq.sdt(deviation=0.1)
    pd.testing.assert_frame_equal(df, before)
    assert set(res) == {"a", "b"}
    for col, out in res.items():
        assert list(out.columns) == [col]
        assert isinstance(out.index, pd.DatetimeIndex)
        assert str(out.index.tz) == "Europe/Paris" and out.index.name == "time"
        s = df[col].dropna()
        assert out.index[0] == s.index[0] and out.index[-1] == s.index[-1]
        ratio = sdt_excess(s.index.asi8, s.to_numpy(), out.index.asi8, out[col].to_numpy(), 0.1)[0]
        assert ratio <= 1
    assert not res["b"].index.isin(idx[5:9]).any()
    db = df.tsq.deadband(0.5, max_interval=pd.Timedelta("30min"), columns=["a"])
    assert list(db) == ["a"]
    gaps = np.diff(db["a"].index.asi8)
    assert gaps.max() <= pd.Timedelta("30min").value
    hy = df["a"].tsq.hysteresis(0.5)
    assert isinstance(hy, pd.Series) and hy.name == "a"
    assert step_excess(idx.asi8, df["a"].to_numpy(), hy.index.asi8, hy.to_numpy(), 0.5) <= 0
    with pytest.raises(ValueError):
        df.tsq.sdt(deviation=0.1, dropna=False)
    with pytest.raises(ValueError):
        df.tsq.sdt(deviation=-1)
    with pytest.raises(KeyError):
        df.tsq.deadband(1.0, columns=["zzz"])
    nf = df.tsq.deadband(1.0, flush=False)
    assert nf["a"].index[-1] <= idx[-1]


def test_dataframe_in_dataframe_out():
    idx = pd.date_range("2024-01-01", periods=100, freq="1s", name="ts")
    df = pd.DataFrame({"value": np.repeat(np.arange(10.0), 10)}, index=idx)
    out = DeadbandFilter(0.5).filter_points(df)
    assert list(out.columns) == ["value"] and out.index.name == "ts"
    assert out["value"].tolist() == list(np.arange(10.0))
    tcol = pd.DataFrame({"t": idx.tz_localize("UTC"), "v": df["value"].to_numpy()})
    out2 = DeadbandFilter(0.5).filter_points(tcol)
    assert str(out2["t"].dt.tz) == "UTC" and out2["t"].iloc[1] == idx[10].tz_localize("UTC")
    # pydbfilter's test_filterpoints_df with the compat SDT
    data = pd.DataFrame({"t": [100, 110, 120, 140, 150, 160, 180], "v": [20, 10, 20, 40, 30, 45, 5]})
    expected = pd.DataFrame({"t": [100, 130, 166], "v": [20, 25, 33]})
    pd.testing.assert_frame_equal(SdtFilter(10, 100, compat=True).filterPoints(data), expected, check_dtype=False)


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_import_does_not_import_pandas_and_accessor_appears_later():
    assert _python("import sys, tsquash; print('pandas' in sys.modules)") == "False"
    out = _python(
        "import tsquash, pandas as pd\n"
        "df = pd.DataFrame({'x': [0.0, 1.0, 5.0]}, index=pd.date_range('2024', periods=3, freq='h'))\n"
        "print(hasattr(pd.DataFrame, 'tsq'), hasattr(pd.Series, 'tsq'), df.tsq.deadband(2.0)['x']['x'].tolist())")
    assert out == "True True [0.0, 5.0]"
    assert _python("import pandas as pd, tsquash; print(hasattr(pd.DataFrame, 'tsq'))") == "True"


def test_repr_and_aliases():
    f = SdtFilter(0.5, 10)
    assert "SdtFilter(0.5, 10)" in repr(f)
    assert SdtFilter.filterPoint is not None and SdtFilter.filterPoints is not None
    assert f.filterPoints([(0, 1.0)]) == [(0, 1.0)]
