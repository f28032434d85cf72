#!/usr/bin/env python3
"""Best-of-N speed of `auto` and `alp` on the decimal series, with zstd-3 measured in the same loop.

    .venv/bin/python benchmarks/python/auto_speed.py                 # 4 decimal series, best of 30
    .venv/bin/python benchmarks/python/auto_speed.py --runs 50 --series 'etth1/*' --threads 1 2

benchmarks/python/lossless.py reports medians over every series and peer; on a shared machine the median
drifts with the load, so this loop keeps the fastest of many runs (the closest to what the
code costs on a quiet core). As in lossless.py, a run takes the series and rotations of it in turn (at
least 4, and enough to hold --timing-values values), so that no method is timed on data whose branches the
CPU has learnt. Time is the CPU time of the calling thread for one thread, wall time for more (CPU time
would add the threads up). Every round trip is checked bit for bit.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import zstandard

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lossless import (  # noqa: E402  (the same series, found and rotated the same way)
    DEFAULT_DATASETS, DEFAULT_TIMING_VALUES, find_series, rotations, select, timed_input_count)

from _machine import cpu_features, cpu_model, pinning  # noqa: E402
import tsquash  # noqa: E402

DECIMAL = ("city_temperature", "stocks_usa", "stocks_de", "dew_point_temp")


def best(fn, inputs: list, runs: int, clock) -> float:
    """The fastest of `runs` runs, each fn on every input in turn, per input."""
    fn(inputs[0])
    t = float("inf")
    for _ in range(runs):
        t0 = clock()
        for v in inputs:
            fn(v)
        t = min(t, (clock() - t0) / len(inputs))
    return t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--series", nargs="+", default=list(DECIMAL), help="names or glob patterns")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--timing-values", type=int, default=DEFAULT_TIMING_VALUES, metavar="N",
                   help="each run takes the series and rotations of it holding at least N values (0: the series "
                        "alone)")
    a = p.parse_args()
    available = find_series(a.datasets)
    data = {name: available[name].load() for name in select(list(available), a.series)}
    held = f"; {pinning()}" if pinning() else ""
    print(f"{cpu_model()} ({cpu_features()}){held}; load average {os.getloadavg()[0]:.2f}; best of {a.runs}; "
          "MB/s of raw input")
    print("| series | method | threads | bits/value | compress MB/s | decompress MB/s |")
    print("|:---|:---|---:|---:|---:|---:|")
    totals: dict[tuple, list[float]] = {}
    cctx, dctx = zstandard.ZstdCompressor(level=3), zstandard.ZstdDecompressor()
    for name, x in data.items():
        inputs = [x] + rotations(x, timed_input_count(x.size, a.timing_values))
        # zstd takes the array's buffer as it is (no copy to bytes inside the timing), as in lossless.py.
        rows = [("zstd-3", 1, lambda v: cctx.compress(v),
                 lambda b: np.frombuffer(dctx.decompress(b), dtype=np.float64))]
        for codec in ("alp", "auto"):
            for t in a.threads:
                rows.append((codec, t, lambda v, c=codec, t=t: tsquash.encode(v, c, n_threads=t),
                             lambda b, t=t: tsquash.decode(b, n_threads=t)))
        for method, t, enc, dec in rows:
            blobs = [enc(v) for v in inputs]
            for v, b in zip(inputs, blobs):
                out = dec(b)
                assert np.array_equal(out.view(np.uint64), v.view(np.uint64))
            blob = blobs[0]
            clock = time.thread_time if t == 1 else time.perf_counter
            te, td = best(enc, inputs, a.runs, clock), best(dec, blobs, a.runs, clock)
            mb = x.nbytes / 1e6
            print(f"| {name} | {method} | {t} | {len(blob) * 8 / x.size:.2f} | {mb / te:.0f} | {mb / td:.0f} |")
            tot = totals.setdefault((method, t), [0.0, 0.0, 0.0, 0.0])
            tot[0] += x.nbytes
            tot[1] += len(blob)
            tot[2] += te
            tot[3] += td
    for (method, t), (nb, cb, te, td) in totals.items():
        print(f"| **all** | {method} | {t} | {cb * 64 / nb:.2f} | {nb / 1e6 / te:.0f} | {nb / 1e6 / td:.0f} |")


if __name__ == "__main__":
    main()
