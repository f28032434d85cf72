"""The error bounds, checked on every point: real series, adversarial inputs and hypothesis-generated ones.

SDT: every input point up to the last output lies within +-deviation of the linear interpolation of the
output, up to floating-point rounding (the slack in _filter_util.sdt_excess: 64 ulp of the magnitudes
involved). Deadband and hysteresis: every input point lies within +-threshold of the step
(sample-and-hold) reconstruction, with no slack at all, and the output points are input points.
Also: streaming == batch == save/restore mid-stream, and the max_interval guarantee.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tsquash import DeadbandFilter, Filter, HysteresisFilter, SdtFilter, reconstruct
from _filter_util import real_series, sdt_excess, step_excess

FRACTIONS = [0.001, 0.005, 0.01, 0.02, 0.05]


@pytest.fixture(scope="module")
def series():
    s = real_series()
    if not s:
        pytest.skip("shared datasets not found (../shared/datasets lives outside the repository)")
    return s


def run(f, t, v):
    ot, ov = f.filter_arrays(t, v)
    tail = f.flush()
    if tail:
        ot = np.concatenate([ot, np.array([p[0] for p in tail], dtype=ot.dtype)])
        ov = np.concatenate([ov, np.array([p[1] for p in tail])])
    return ot, ov


def check_sdt(t, v, d, max_interval=None, float_times=False, label=""):
    ot, ov = run(SdtFilter(d, max_interval), t, v)
    assert ot[0] == t[0] and ot[-1] == t[-1] and ov[-1] == v[-1], label
    assert np.all(ot[1:] > ot[:-1]), label
    assert np.isin(ot, t).all(), f"{label}: output times must be input times"
    ratio, i, err = sdt_excess(t, v, ot, ov, d, float_times)
    assert ratio <= 1, f"{label}: point {i} is {err!r} from the linear interpolation, deviation {d!r}"
    if max_interval is not None:
        check_max_interval(t, ot, max_interval, label)
    return ot, ov


def check_step(cls, t, v, d, max_interval=None, label=""):
    ot, ov = run(cls(d, max_interval), t, v)
    pos = np.searchsorted(t, ot)
    assert np.array_equal(t[pos], ot) and np.array_equal(v[pos], ov), f"{label}: output must be input points"
    excess = step_excess(t, v, ot, ov, d)
    assert excess <= 0, f"{label}: a point is {excess!r} beyond the threshold {d!r} under step reconstruction"
    # The same check through the public reconstruct()
    assert np.all(np.abs(v - reconstruct((ot, ov), t, method="step")) <= d), label
    if max_interval is not None:
        check_max_interval(t, ot, max_interval, label)
    return ot, ov


def check_max_interval(t, ot, max_interval, label):
    # For every input point, the last output at or before it is less than max_interval earlier.
    j = np.searchsorted(ot, t, side="right") - 1
    assert (j >= 0).all()
    if t.dtype == np.int64:
        gap = t.view(np.uint64) - ot[j].view(np.uint64)  # exact even across the whole int64 range
        assert (gap < np.uint64(max_interval)).all(), f"{label}: max_interval not honoured"
    else:
        assert (t - ot[j] < max_interval).all(), f"{label}: max_interval not honoured"


# ---- real data -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("frac", FRACTIONS)
def test_sdt_bound_on_every_real_series(series, frac):
    for name, v in series.items():
        t = np.arange(v.size, dtype=np.int64) * 1_000_000_000 + 1_700_000_000_000_000_000
        d = float(np.ptp(v)) * frac
        ot, ov = check_sdt(t, v, d, label=name)
        # What a user measures with reconstruct() in double precision: within the deviation plus the
        # rounding of that evaluation, at most 4 ulps of the largest value (points emitted unchanged
        # may lie exactly at +-deviation from the line; adjusted points keep a few ulps of margin).
        err = np.abs(v - reconstruct((ot, ov), t))
        tol = 4 * np.spacing(np.abs(v).max())
        assert err.max() <= d + tol, f"{name}: measured max error {err.max()!r} > deviation {d!r} + {tol!r}"


@pytest.mark.parametrize("frac", [0.001, 0.01])
def test_sdt_bound_on_real_series_with_max_interval_and_float_times(series, frac):
    rng = np.random.default_rng(0)
    for name, v in series.items():
        t = np.cumsum(rng.exponential(1.0, v.size)) + 1e6
        t = t[np.r_[True, np.diff(t) > 0]] if np.any(np.diff(t) <= 0) else t
        vv = v[: t.size]
        check_sdt(t, vv, float(np.ptp(vv)) * frac, max_interval=30.0, float_times=True, label=name)


@pytest.mark.parametrize("cls", [DeadbandFilter, HysteresisFilter], ids=["deadband", "hysteresis"])
@pytest.mark.parametrize("frac", FRACTIONS)
def test_step_bound_on_every_real_series(series, cls, frac):
    for name, v in series.items():
        t = np.arange(v.size, dtype=np.int64)
        check_step(cls, t, v, float(np.ptp(v)) * frac, max_interval=500 if frac == 0.01 else None, label=name)


def test_filters_compress_real_series(series):
    # Not a bound, a sanity check that the filters do something on smooth real data at 1% of the range.
    v = series.get("ucr_facefour", next(iter(series.values())))
    t = np.arange(v.size, dtype=np.int64)
    d = float(np.ptp(v)) * 0.01
    for f in (SdtFilter(d), DeadbandFilter(d), HysteresisFilter(d)):
        ot, _ = run(f, t, v)
        assert ot.size < v.size


# ---- adversarial inputs ----------------------------------------------------------------------------------

def adversarial():
    rng = np.random.default_rng(42)
    n = 4000
    i = np.arange(n)
    spikes = rng.normal(scale=0.01, size=n)
    spikes[rng.integers(0, n, 60)] = rng.choice([-1e3, 1e3], 60)
    cases = {
        "spikes": spikes,
        "steps": ((i // 50) % 7) * 3.0,
        "plateaus_then_ramp": np.where(i < n // 2, 5.0, 5.0 + (i - n // 2) * 1e-3),
        "square_wave": np.where((i // 100) % 2 == 0, -1.0, 1.0),
        "alternating": np.where(i % 2 == 0, -1.0, 1.0),
        "sawtooth": (i % 23) * 0.7,
        "huge": rng.normal(size=n) * 1e300,
        "tiny": rng.normal(size=n) * 1e-300,
        "subnormal": rng.integers(-1000, 1000, n) * 5e-324,
        "mixed_scale": np.where(rng.random(n) < 0.05, rng.normal(size=n) * 1e15, rng.normal(size=n)),
        "large_offset": 1e12 + np.cumsum(rng.normal(size=n)) * 1e-3,
        "extremes": np.array([1.7e308, -1.7e308, 1.7e308, 0.0, -1.7e308, 1e-308, 1.7e308, 1.7e308, -1.7e308] * 10),
        "constant": np.full(n, 3.25),
    }
    return cases


def adversarial_times(n, kind, rng):
    if kind == "regular":
        return np.arange(n, dtype=np.int64) * 1000
    if kind == "irregular":
        steps = rng.choice([1, 2, 3, 1000, 10**7], size=n, p=[0.3, 0.3, 0.3, 0.09, 0.01])
        return np.cumsum(steps).astype(np.int64) + 1_700_000_000_000_000_000
    if kind == "int64_extremes":
        base = np.linspace(-9.2e18, 9.2e18, n).astype(np.int64)
        return np.unique(base)[:n]
    return np.cumsum(rng.exponential(5.0, n)) + 1.7e9  # float seconds


@pytest.mark.parametrize("name", list(adversarial()))
@pytest.mark.parametrize("tkind", ["regular", "irregular", "int64_extremes", "float"])
def test_bounds_on_adversarial_inputs(name, tkind):
    v = adversarial()[name]
    rng = np.random.default_rng(len(name))
    t = adversarial_times(v.size, tkind, rng)
    v = v[: t.size]
    with np.errstate(over="ignore"):
        r = float(np.ptp(v)) if np.isfinite(np.ptp(v)) else 1e300
    mi = None if tkind != "irregular" else 5000
    for frac in (0.0, 1e-9, 1e-3, 0.05, 0.5):
        d = r * frac
        check_sdt(t, v, d, max_interval=mi, float_times=(tkind == "float"), label=f"{name} {tkind} {frac}")
        for cls in (DeadbandFilter, HysteresisFilter):
            check_step(cls, t, v, d, max_interval=mi, label=f"{cls.__name__} {name} {tkind} {frac}")


# ---- hypothesis ------------------------------------------------------------------------------------------

values_st = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, 1e308, -1e308]),
)


@st.composite
def series_st(draw, float_times=False):
    n = draw(st.integers(1, 120))
    if float_times:
        steps = draw(st.lists(st.floats(1e-3, 1e4, allow_nan=False), min_size=n, max_size=n))
        t = np.cumsum(np.array(steps)) + draw(st.floats(-1e9, 1e9))
        assume(np.all(np.diff(t) > 0))
    else:
        steps = draw(st.lists(st.integers(1, 10**12), min_size=n, max_size=n))
        t = np.cumsum(np.array(steps, dtype=np.int64)) + draw(st.integers(-(10**18), 10**18))
    v = np.array(draw(st.lists(values_st, min_size=n, max_size=n)), dtype=np.float64)
    return t, v


thresholds = st.one_of(st.just(0.0), st.floats(1e-9, 1e6), st.floats(1e6, 1e300))
max_intervals = st.one_of(st.none(), st.integers(1, 10**13))


@given(series_st(), thresholds, max_intervals)
def test_property_sdt_bound_int_times(s, d, mi):
    t, v = s
    check_sdt(t, v, d, max_interval=mi)


@given(series_st(float_times=True), thresholds, st.one_of(st.none(), st.floats(1e-3, 1e5)))
def test_property_sdt_bound_float_times(s, d, mi):
    t, v = s
    check_sdt(t, v, d, max_interval=mi, float_times=True)


@given(series_st(), thresholds, max_intervals, st.sampled_from([DeadbandFilter, HysteresisFilter]))
def test_property_step_bound(s, d, mi, cls):
    t, v = s
    check_step(cls, t, v, d, max_interval=mi)


def _make(kind, d, mi):
    if kind == "sdt-compat":
        return SdtFilter(d, mi, compat=True)
    return {"sdt": SdtFilter, "deadband": DeadbandFilter, "hysteresis": HysteresisFilter}[kind](d, mi)


@given(series_st(), st.floats(0, 1e3), max_intervals, st.sampled_from(["sdt", "deadband", "hysteresis", "sdt-compat"]),
       st.data())
def test_property_stream_batch_restore_agree(s, d, mi, kind, data):
    t, v = s
    if kind == "sdt-compat":
        assume(np.all(np.abs(v) < 1e12))  # compat has no overflow handling, like pydbfilter
    streamed = []
    f = _make(kind, d, mi)
    for a, b in zip(t.tolist(), v.tolist()):
        streamed += f.filter_point(a, b)
    streamed += f.flush()
    batch = _make(kind, d, mi)
    ot, ov = batch.filter_arrays(t, v)
    batched = list(zip(ot.tolist(), ov.tolist())) + batch.flush()
    assert batched == streamed
    # Cut anywhere, save, restore in a new object, continue in mixed-size batches.
    cut = data.draw(st.integers(0, t.size))
    g = _make(kind, d, mi)
    got = g.filter_points(list(zip(t[:cut].tolist(), v[:cut].tolist())))
    h = Filter.from_state(g.state())
    rest = list(zip(t[cut:].tolist(), v[cut:].tolist()))
    while rest:
        k = data.draw(st.integers(1, len(rest)))
        got += h.filter_points(rest[:k])
        rest = rest[k:]
    got += h.flush()
    assert got == streamed
