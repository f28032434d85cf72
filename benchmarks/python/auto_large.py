#!/usr/bin/env python3
"""Encode and decode speed of `auto` and `alp` on long series, with zstd-3 measured in the same loop.

    .venv/bin/python benchmarks/python/auto_large.py                 # 2^17, 2^20 and 2^23 values, best of 5
    .venv/bin/python benchmarks/python/auto_large.py --write         # and benchmarks/results/auto-large-*.md

The shared datasets hold at most 131,072 values a series; users hand over millions. On a long series the
encoder's scratch (the residual log, the dictionary's table) outgrows what a thread keeps between calls and
comes fresh from the system on every call, so its page faults count as much as the coding: the time here is
the process's CPU time, kernel time included. The shapes are seeded (the same bytes on every run) and cover
what long series of sensors and events look like: a 2-decimal random walk, a 1-decimal sensor reading
(drift plus noise, so values repeat), zeros with 0.1% spikes, and full-precision values that each come three
times in random order (a dictionary's case). Every round trip is checked bit for bit.
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
from _machine import cpu_features, cpu_model, machine_name, pinning  # noqa: E402

import tsquash  # noqa: E402

LENGTHS = (1 << 17, 1 << 20, 1 << 23)


def shapes(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    repeated = rng.random(-(-n // 3))
    triples = np.repeat(repeated, 3)[:n]
    rng.shuffle(triples)
    return {
        "random walk, 2 decimals": np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 2),
        "sensor, 1 decimal": np.round(20 + np.cumsum(rng.normal(0, 0.05, n)) + rng.normal(0, 0.3, n), 1),
        "zeros with 0.1% spikes": np.where(rng.random(n) < 0.001, np.round(rng.normal(size=n), 3), 0.0),
        "full precision, each value 3x": triples,
    }


def best(fn, arg, runs: int) -> float:
    """The fastest of `runs` calls after a warm-up, in process CPU time (page faults included)."""
    fn(arg)
    t = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn(arg)
        t = min(t, time.process_time() - t0)
    return t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--write", action="store_true", help="also write benchmarks/results/auto-large-<machine>.md")
    a = p.parse_args()
    held = f"; {pinning()}" if pinning() else ""
    lines = [
        "# `auto` and `alp` on long series",
        "",
        f"- command: `python benchmarks/python/auto_large.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`",
        f"- CPU: {cpu_model()} ({cpu_features()}){held}; load average {os.getloadavg()[0]:.2f} as it started",
        f"- versions: tsquash {tsquash.__version__}, zstandard {zstandard.__version__}",
        f"- time: best of {a.runs} calls, process CPU time (kernel time included); MB/s of raw input",
        "",
        "| shape | n | method | bits/value | compress MB/s | decompress MB/s | compress / zstd-3 |",
        "|:---|---:|:---|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    cctx, dctx = zstandard.ZstdCompressor(level=3), zstandard.ZstdDecompressor()
    for n in a.lengths:
        for name, x in shapes(n).items():
            methods = [("zstd-3", lambda v: cctx.compress(v), lambda b: np.frombuffer(dctx.decompress(b), np.float64))]
            methods += [(c, lambda v, c=c: tsquash.encode(v, c), tsquash.decode) for c in ("alp", "auto")]
            zstd_time = None
            for method, enc, dec in methods:
                blob = enc(x)
                assert np.array_equal(dec(blob).view(np.uint64), x.view(np.uint64)), (name, n, method)
                te, td = best(enc, x, a.runs), best(dec, blob, a.runs)
                zstd_time = zstd_time or te
                mb = x.nbytes / 1e6
                row = (f"| {name} | {n:,} | {method} | {len(blob) * 8 / n:.2f} | {mb / te:.0f} | {mb / td:.0f} | "
                       f"{zstd_time / te:.2f}x |")
                print(row, flush=True)
                lines.append(row)
    if a.write:
        out = HERE.parent / "results" / f"auto-large-{machine_name()}.md"
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
