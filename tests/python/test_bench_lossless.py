"""benchmarks/python/lossless.py stays runnable: a tiny run on generated series writes the CSV and the
markdown report with sizes that agree with tsquash and the peers. (No timing is asserted.)"""
from __future__ import annotations

import csv
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import tsquash

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "python" / "lossless.py"


@pytest.fixture(scope="module")
def lossless():
    spec = importlib.util.spec_from_file_location("lossless_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    env = dict(os.environ)  # the script pins thread counts through the environment; keep that local
    sys.path.insert(0, str(SCRIPT.parent))  # for its helper module _machine
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
    sys.path.remove(str(SCRIPT.parent))
    os.environ.clear()
    os.environ.update(env)


@pytest.fixture
def datasets(tmp_path):
    rng = np.random.default_rng(5)
    root = tmp_path / "datasets"
    (root / "walk").mkdir(parents=True)
    (root / "multi").mkdir()
    walk = (20 + np.cumsum(rng.normal(scale=0.2, size=3000))).round(2)
    walk.astype("<f8").tofile(root / "walk" / "value.f64")
    rng.normal(size=1500).astype("<f8").tofile(root / "multi" / "a.f64")
    np.repeat(rng.normal(size=15).round(1), 100).astype("<f8").tofile(root / "multi" / "b.f64")
    return root


def test_small_run_writes_consistent_reports(lossless, datasets, tmp_path):
    out = tmp_path / "out"
    rc = lossless.main(["--datasets", str(datasets), "--out", str(out), "--runs", "1", "--machine", "testbox"])
    assert rc == 0
    with (out / "lossless-testbox.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["series", "n", "method", "bits_per_value", "compress_mb_s", "decompress_mb_s"]
    methods = [m.name for m in lossless.build_methods()]
    assert {"gorilla", "chimp", "chimp128", "tsxor", "fpc", "zstd-3", "zstd-19", "blosc2", "fpzip"} <= set(methods)
    assert any(m.startswith("pcodec-") for m in methods)
    series = {"walk": datasets / "walk" / "value.f64", "multi/a": datasets / "multi" / "a.f64",
              "multi/b": datasets / "multi" / "b.f64"}
    assert {(r["series"], r["method"]) for r in rows} == {(s, m) for s in series for m in methods}
    for r in rows:
        x = np.fromfile(series[r["series"]], dtype="<f8")
        assert int(r["n"]) == x.size
        assert float(r["compress_mb_s"]) > 0 and float(r["decompress_mb_s"]) > 0
        if r["method"] in lossless.TSQUASH_CODECS:
            # The whole stream, header included, is what a user keeps.
            expected = len(tsquash.encode(x, r["method"])) * 8 / x.size
            assert float(r["bits_per_value"]) == pytest.approx(expected, abs=1e-4)
    report = (out / "lossless-testbox.md").read_text()
    for heading in ("## Summary over all series", "## Bits per value", "## Compress speed", "## Decompress speed",
                    "## Targets", "weighted average", "published figure measured on this machine class",
                    "### Block codecs (alp, auto): size", "### Block codecs: speed"):
        assert heading in report
    # The reference series are absent here, and the report says so instead of inventing numbers.
    assert "| city_temperature | not run |" in report
    assert "all exact" in report


def test_series_selection(lossless, datasets):
    names = list(lossless.find_series(datasets))
    assert names == ["multi/a", "multi/b", "walk"]
    assert lossless.select(names, ["multi/*"]) == ["multi/a", "multi/b"]
    with pytest.raises(SystemExit):
        lossless.select(names, ["nope"])


def test_csv_and_npz_datasets_are_series_too(lossless, datasets):
    import gzip

    rng = np.random.default_rng(8)
    prices = rng.normal(size=700).round(2)
    (datasets / "prices").mkdir()
    rows = "".join(f"{i},{float(v)!r}\r\n" for i, v in enumerate(prices))  # index column, CRLF lines
    (datasets / "prices" / "P.csv.gz").write_bytes(gzip.compress(rows.encode()))
    (datasets / "pairs").mkdir()
    pairs = rng.normal(size=(300, 2))
    (datasets / "pairs" / "two.csv").write_text("".join(f"{float(a)!r},{float(b)!r}\n" for a, b in pairs))
    frames = rng.normal(size=(3, 4, 5))
    (datasets / "frames").mkdir()
    np.savez(datasets / "frames" / "f.npz", data=frames, names=np.array([], dtype=np.float64))
    (datasets / "walk" / "walk.csv").write_text("date,value\n2020,1.5\n")  # beside .f64 files: not read
    found = lossless.find_series(datasets)
    assert list(found) == ["frames", "multi/a", "multi/b", "pairs/col0", "pairs/col1", "prices", "walk"]
    assert lossless.bit_exact(found["prices"].load(), prices)
    assert lossless.bit_exact(found["pairs/col1"].load(), pairs[:, 1].copy())
    assert lossless.bit_exact(found["frames"].load(), frames.ravel())


def test_mismatch_is_reported(lossless):
    x = np.array([1.0, -0.0, np.nan])
    assert lossless.bit_exact(x, x.copy())
    assert not lossless.bit_exact(x, np.array([1.0, 0.0, np.nan]))  # -0.0 vs 0.0 compare equal with ==
    assert not lossless.bit_exact(x, x.astype(np.float32))


def test_machine_name_is_a_file_name(lossless):
    name = lossless.machine_name()
    assert name and all(c.isalnum() or c == "-" for c in name)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2, reason="needs two CPUs")
def test_a_run_held_to_one_cpu_says_so_and_keeps_the_machine_name(lossless):
    import _machine

    allowed = os.sched_getaffinity(0)
    name = _machine.machine_name()
    if len(allowed) == os.cpu_count():
        assert _machine.pinning() == ""
    one = min(allowed)
    try:
        os.sched_setaffinity(0, {one})
        assert _machine.pinning() == f"held to CPU {one} of {os.cpu_count()}"
        assert _machine.machine_name() == name
    finally:
        os.sched_setaffinity(0, allowed)


def test_methods_are_timed_on_inputs_taken_in_turn(lossless):
    x = np.arange(5000, dtype=np.float64) * 0.25
    variants = lossless.rotations(x, 4)
    assert len(variants) == 3
    for v in variants:
        assert np.array_equal(np.sort(v), x) and not np.array_equal(v, x)
    assert len({v.tobytes() for v in variants}) == 3

    compressed, decoded = [], []

    def compress(a):
        compressed.append(a.tobytes())
        return a.tobytes()

    def decompress(blob):
        decoded.append(blob)
        return np.frombuffer(blob, dtype=np.float64)

    honest = lossless.Method("copy", compress, decompress, "raw bytes")
    [result] = lossless.measure_series([honest], "ramp", x, runs=2, clock=lossless.CLOCKS["cpu"], inputs=4)
    assert result.exact and result.nbytes == x.nbytes
    inputs = [x.tobytes()] + [v.tobytes() for v in variants]
    # Compression: the warm-up call gets the series; then each rotation is compressed once for its stream,
    # and the timed calls go on through the cycle where the warm-up left it.
    assert compressed[:4] == inputs
    timed = compressed[4:]
    assert len(timed) >= 8
    assert timed == [inputs[(k + 1) % 4] for k in range(len(timed))]
    # Decompression: each rotation's stream is checked once; then the warm-up and the timed calls take the
    # streams in turn, starting with the series' own.
    assert decoded[:3] == inputs[1:]
    timed = decoded[3:]
    assert len(timed) >= 8
    assert timed == [inputs[k % 4] for k in range(len(timed))]

    # A decoder that gets a rotation wrong is reported as not exact, though the series itself comes back.
    def wrong_on_rotations(blob):
        out = np.frombuffer(blob, dtype=np.float64)
        return out if blob == x.tobytes() else out + 1.0

    broken = lossless.Method("broken", lambda a: a.tobytes(), wrong_on_rotations, "raw bytes")
    [result] = lossless.measure_series([broken], "ramp", x, runs=1, clock=lossless.CLOCKS["cpu"], inputs=4)
    assert not result.exact


def test_short_series_are_timed_over_more_rotations(lossless):
    assert lossless.timed_input_count(7588, 0) == 1
    assert lossless.timed_input_count(7588, 1 << 19) == 70  # 70 x 7,588 >= 524,288 > 69 x 7,588
    assert lossless.timed_input_count(131072, 1 << 19) == 4
    assert lossless.timed_input_count(10**7, 1 << 19) == lossless.MIN_TIMED_INPUTS
    assert lossless.timed_input_count(0, 1 << 19) == 1
