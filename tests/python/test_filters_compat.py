"""pydbfilter compatibility: its own unit-test expectations, and agreement with a plain-Python transcription
of its algorithms (benchmarks/python/pydbfilter_reference.py) on random data."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tsquash import DeadbandFilter, HysteresisFilter, SdtFilter, reconstruct
from _filter_util import sdt_excess

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "python"))
from pydbfilter_reference import RefDeadband, RefHysteresis, RefSdt  # noqa: E402

DATA = [(100, 20), (110, 10), (120, 20), (140, 40), (150, 30), (160, 45), (180, 5)]


def test_pydbfilter_sdt_expectations_in_compat_mode():
    # pydbfilter test_SdtFilter.test_filterpoint / test_filterpoints_list / test_timeout / test_flush
    f = SdtFilter(10, 100, compat=True)
    got = [f.filterPoint(t, v) for t, v in DATA]
    assert got == [[(100, 20)], [], [], [(130, 25)], [], [], [(166, 33)]]
    assert SdtFilter(10, 100, compat=True).filterPoints(DATA) == [(100, 20), (130, 25), (166, 33)]
    g = SdtFilter(10, 100, compat=True)
    assert g.filterPoint(100, -20) == [(100, -20)]
    assert g.filterPoint(200, -20) == []
    assert g.filterPoint(301, -20) == [(200, -20), (301, -20)]
    h = SdtFilter(10, 100, compat=True)
    assert h.filterPoint(100, 5) == [(100, 5)]
    assert h.filterPoint(110, 5) == []
    assert h.filterPoint(120, 10) == []
    assert h.flush() == [(120, 10)]


def test_pydbfilter_example_breaks_its_own_bound_but_not_ours():
    t, v = zip(*DATA)
    f = SdtFilter(10, compat=True)
    out = f.filter_points(DATA) + f.flush()
    ot, ov = zip(*out)
    err = np.abs(np.array(v) - reconstruct(out, t))
    assert err[1] == pytest.approx(35 / 3)  # (110, 10) vs the line (100, 20) - (130, 25)
    assert err[5] == pytest.approx(40 / 3)  # (160, 45) vs the line (130, 25) - (166, 33)
    g = SdtFilter(10)
    out = g.filter_points(DATA) + g.flush()
    ot, ov = zip(*out)
    assert sdt_excess(np.array(t), v, np.array(ot), ov, 10.0)[0] <= 1


def test_pydbfilter_hysteresis_expectations():
    f = HysteresisFilter(10, 100)
    assert [f.filterPoint(t, v) for t, v in DATA] == [[(100, 20)], [], [], [(140, 40)], [], [(160, 45)], [(180, 5)]]
    assert HysteresisFilter(10, 100).filterPoints(DATA) == [(100, 20), (140, 40), (160, 45), (180, 5)]
    h = HysteresisFilter(10, 100)
    assert [h.filterPoint(t, v) for t, v in [(100, 5), (110, 5), (120, 10)]] == [[(100, 5)], [], []]
    assert h.flush() == [(120, 10)]
    # pydbfilter's max interval is strict (nothing at 200 = 100 + 100); tsquash's is "at least".
    g = HysteresisFilter(10, 100)
    assert g.filterPoint(100, -20) == [(100, -20)]
    assert g.filterPoint(200, -20) == [(200, -20)]
    ref = RefHysteresis(10, 100)
    assert ref.filterPoint(100, -20) == [(100, -20)]
    assert ref.filterPoint(200, -20) == []
    assert ref.filterPoint(301, -20) == [(200, -20), (301, -20)]


def random_series(seed, n=3000):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(3.0, n)) + rng.uniform(0, 100)
    v = np.cumsum(rng.normal(size=n)) * rng.uniform(0.1, 10)
    v[rng.integers(0, n, n // 50)] += rng.normal(scale=20, size=n // 50)
    return t.tolist(), v.tolist()


def run_ref(ref, t, v):
    return ref.filterPoints(zip(t, v)) + ref.flush()


def run_tsq(f, t, v):
    return f.filter_points(list(zip(t, v))) + f.flush()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_interval", [None, 40.0])
def test_compat_sdt_matches_the_reference_exactly(seed, max_interval):
    t, v = random_series(seed)
    d = 0.5 + seed
    assert run_tsq(SdtFilter(d, max_interval, compat=True), t, v) == run_ref(RefSdt(d, max_interval), t, v)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_interval", [None, 40.0])
def test_deadband_and_hysteresis_match_the_reference(seed, max_interval):
    # Random float times never land exactly on max_interval, where pydbfilter's '>' and tsquash's '>='
    # would differ; otherwise the outputs are the same points.
    t, v = random_series(100 + seed)
    d = 0.5 + seed
    assert run_tsq(DeadbandFilter(d, max_interval), t, v) == run_ref(RefDeadband(d, max_interval), t, v)
    assert run_tsq(HysteresisFilter(d, max_interval), t, v) == run_ref(RefHysteresis(d, max_interval), t, v)


def test_compat_error_reaches_beyond_the_deviation_on_random_data():
    # Documented in docs/filters.md: compat mode gives no bound. Measure it on a random walk.
    t, v = random_series(7, 5000)
    d = 1.0
    out = run_tsq(SdtFilter(d, compat=True), t, v)
    ot, ov = zip(*out)
    ratio, _, err = sdt_excess(np.array(t), v, np.array(ot), ov, d, float_times=True)
    assert ratio > 1 and d < err < 3 * d
