"""benchmarks/python/auto_large.py stays runnable: a short run prints a row per shape and method, with the
sizes tsquash gives, after checking every round trip. (No timing is asserted.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tsquash

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "python" / "auto_large.py"
sys.path.insert(0, str(SCRIPT.parent))
from auto_large import shapes  # noqa: E402


def test_short_run_prints_every_shape_and_method():
    n = 3000
    run = subprocess.run([sys.executable, str(SCRIPT), "--lengths", str(n), "--runs", "1"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in run.stdout.splitlines()
            if line.startswith("| ") and line.split("|")[2].strip() == f"{n:,}"]
    got = {(r[0], r[2]): r for r in rows}
    data = shapes(n)
    assert set(got) == {(s, m) for s in data for m in ("zstd-3", "alp", "auto")}
    for name, x in data.items():
        for codec in ("alp", "auto"):
            row = got[(name, codec)]
            assert abs(float(row[3]) - len(tsquash.encode(x, codec)) * 8 / n) < 0.01
            assert float(row[4]) > 0 and float(row[5]) > 0
        assert got[(name, "zstd-3")][6] == "1.00x"
