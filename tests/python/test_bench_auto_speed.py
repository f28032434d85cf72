"""benchmarks/python/auto_speed.py stays runnable: a short run on a generated series prints a row per method
with the sizes tsquash gives, after checking every rotation's round trip. (No timing is asserted.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import tsquash

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "python" / "auto_speed.py"


def test_short_run_prints_every_method(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "walk").mkdir()
    x = (20 + np.cumsum(rng.normal(scale=0.2, size=5000))).round(2)
    x.astype("<f8").tofile(tmp_path / "walk" / "value.f64")
    run = subprocess.run([sys.executable, str(SCRIPT), "--series", "walk", "--runs", "1", "--threads", "1", "2",
                          "--datasets", str(tmp_path), "--timing-values", "20000"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line.split("|")[1:-1] for line in run.stdout.splitlines() if line.startswith("| walk")]
    got = {(r[1].strip(), r[2].strip()): r for r in rows}
    assert set(got) == {("zstd-3", "1"), ("alp", "1"), ("alp", "2"), ("auto", "1"), ("auto", "2")}
    for codec in ("alp", "auto"):
        bits = float(got[(codec, "1")][3])
        assert abs(bits - len(tsquash.encode(x, codec)) * 8 / x.size) < 0.01
        assert float(got[(codec, "1")][4]) > 0 and float(got[(codec, "1")][5]) > 0
