"""benchmarks/python/range_decode.py stays runnable: a short run on a generated series prints a row per codec,
after checking every range against the series. (No timing is asserted.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "python" / "range_decode.py"


def test_short_run_prints_every_codec(tmp_path):
    rng = np.random.default_rng(4)
    (tmp_path / "walk").mkdir()
    x = (20 + np.cumsum(rng.normal(scale=0.2, size=20_000))).round(2)
    x.astype("<f8").tofile(tmp_path / "walk" / "value.f64")
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, str(SCRIPT), "--series", "walk", "--runs", "1",
                          "--datasets", str(tmp_path), "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line.split("|")[1:-1] for line in run.stdout.splitlines() if line.startswith("| walk")]
    assert [r[2].strip() for r in rows] == ["auto", "alp", "chimp128", "gorilla"]
    for r in rows:
        assert int(r[1]) == x.size
        assert float(r[3]) > 0 and float(r[4]) > 0 and float(r[5]) > 0 and float(r[6]) > 0
    written = list(out.glob("range-decode-*.md"))
    assert len(written) == 1 and "| walk | 20000 | auto |" in written[0].read_text()
