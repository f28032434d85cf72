#!/usr/bin/env python3
"""`auto` against its peers on synthetic shapes of data: where does it take more bits than the best of them?

    .venv/bin/python benchmarks/python/auto_shapes.py                    # table on stdout
    .venv/bin/python benchmarks/python/auto_shapes.py --write            # and benchmarks/results/auto-shapes-*.md

The shared datasets are real but few; this sweep covers the kinds of series they lack (smooth full-precision
signals, interleaved channels, a few levels in runs, NaN among decimals, spikes, periodic ramps, timestamps)
at three lengths and in float64, float32 and int64, and compares `auto` with pcodec (levels 8 and 12),
zstd-19 and `alp`, every output checked bit for bit. It measures size only. Every shape is seeded, so the
table is the same on every run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import zstandard
from pcodec import ChunkConfig, standalone

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import machine_name  # noqa: E402

import tsquash  # noqa: E402

LENGTHS = (2000, 20000, 100000)


def float_shapes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = np.arange(n)
    return {
        "random walk, 2 decimals": np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 2),
        "integer random walk": np.cumsum(rng.integers(-3, 4, n)).astype(float),
        "sine, full precision": np.sin(t / 77.0) * 3.3,
        "sine + noise, 2 decimals": np.round(np.sin(t / 77.0) * 30 + rng.normal(0, 0.5, n), 2),
        "gaussian, full precision": rng.normal(size=n),
        "uniform [0, 1)": rng.random(n),
        "6 full-precision levels": rng.choice(rng.normal(size=6), n),
        "200 full-precision levels": rng.choice(rng.normal(size=200), n),
        "8 levels in runs of ~20": rng.normal(size=8)[np.cumsum(rng.random(n) < 0.05) % 8],
        "zeros with 1% spikes": np.where(rng.random(n) < 0.01, rng.normal(0, 1e4, n), 0.0),
        "10% nonzero, 1 decimal": np.where(rng.random(n) < 0.1, np.round(rng.exponential(5, n), 1), 0.0),
        "steps of 20, 2 decimals": np.repeat(np.round(rng.normal(size=n // 20 + 1), 2), 20)[:n],
        "6 significant digits": np.array([float(f"{v:.6g}") for v in np.exp(rng.normal(0, 3, n))]),
        "lognormal, full precision": np.exp(rng.normal(0, 3, n)),
        "price, 2 decimals": np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.001, n))), 2),
        "epoch seconds as float": 1.7e9 + np.cumsum(rng.integers(1, 3, n)).astype(float),
        "counter": np.arange(n, dtype=float),
        "sawtooth, period 100": (t % 100) * 0.5,
        "two channels interleaved": np.where(t % 2 == 0, np.round(20 + np.cumsum(rng.normal(0, 0.1, n)), 1),
                                             np.round(80 + np.cumsum(rng.normal(0, 0.1, n)), 1)),
        "2-D field, rows of ~sqrt(n)": np.outer(np.sin(np.arange(int(np.sqrt(n)) + 1) / 10),
                                                np.cos(np.arange(int(np.sqrt(n)) + 1) / 13)).ravel()[:n],
        "5% NaN among 2 decimals": np.where(rng.random(n) < 0.05, np.nan, np.round(rng.normal(size=n), 2)),
        "walk, 3 decimals, 5% missing (NaN)": np.where(rng.random(n) < 0.05, np.nan,
                                                       np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 3)),
        "walk, 3 decimals, gaps of 50 (NaN)": np.where((t // 50) % 20 == 7, np.nan,
                                                       np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 3)),
        "float32 decimals (1 dp)": np.round(rng.normal(20, 5, n), 1).astype(np.float32).astype(float),
        "meter reading, 3 decimals": np.round(np.cumsum(rng.exponential(0.05, n)), 3),
        # Arithmetic on decimals (df.a + df.b): a quarter of the sums land an ulp off the 2-decimal number.
        "sum of two 2-decimal series": np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 2)
                                       + np.round(rng.normal(5, 1, n), 2),
        # A schedule or test signal: the same 88 exact values over and over.
        "pattern of 88 values, repeated": np.tile(np.round(rng.normal(0, 10, 88), 3), n // 88 + 1)[:n],
    }


def int_shapes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "small integers": rng.integers(-100, 100, n),
        "ns timestamps, jittered": 1_700_000_000_000_000_000 + np.cumsum(rng.integers(999_000, 1_001_000, n)),
        "ms timestamps, regular": 1_700_000_000_000 + np.arange(n) * 1000,
        "5 wide levels": rng.choice(rng.integers(-2**60, 2**60, 5), n),
        "counter, steps of 0-4": np.cumsum(rng.integers(0, 5, n)),
        "ms timestamps, 1% gaps": 1_700_000_000_000 + np.cumsum(np.where(rng.random(n) < 0.01,
                                                                         1000 * rng.integers(2, 60, n), 1000)),
    }


def sizes(x: np.ndarray, z19: zstandard.ZstdCompressor) -> dict[str, int]:
    out = {}
    for codec in ("auto", "alp"):
        blob = tsquash.encode(x, codec)
        y = tsquash.decode(blob)
        assert np.array_equal(np.asarray(y).view(np.uint8), x.view(np.uint8)), codec
        out[codec] = len(blob)
    for level in (8, 12):
        out[f"pcodec-{level}"] = len(standalone.simple_compress(x, ChunkConfig(compression_level=level)))
    out["zstd-19"] = len(z19.compress(x.tobytes()))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--write", action="store_true", help="also write benchmarks/results/auto-shapes-<machine>.md")
    a = p.parse_args()
    z19 = zstandard.ZstdCompressor(level=19)
    peers = ("pcodec-8", "pcodec-12", "zstd-19", "alp")
    rows = []
    for n in LENGTHS:
        rng = np.random.default_rng(n)
        cases = [(name, x.astype(dt)) for name, x in float_shapes(n, rng).items() for dt in (np.float64, np.float32)]
        cases += [(name, x.astype(np.int64)) for name, x in int_shapes(n, rng).items()]
        for name, x in cases:
            s = sizes(x, z19)
            best = min(peers, key=lambda k: s[k])
            rows.append((name, x.dtype.name, n, s["auto"] * 8 / n, best, s[best] * 8 / n))
    lines = ["| shape | dtype | n | auto bits/value | best peer | its bits/value | auto / best |",
             "|:---|:---|---:|---:|:---|---:|---:|"]
    for name, dt, n, a_bits, best, b_bits in rows:
        mark = " **larger**" if a_bits > b_bits else ""
        lines.append(f"| {name} | {dt} | {n} | {a_bits:.3f} | {best} | {b_bits:.3f} | {a_bits / b_bits:.2f}{mark} |")
    larger = sum(r[3] > r[5] for r in rows)
    summary = f"`auto` takes more bits than the best of {', '.join(peers)} on {larger} of {len(rows)} cases."
    text = "\n".join(lines) + "\n\n" + summary + "\n"
    print(text)
    if a.write:
        out = HERE.parent / "results" / f"auto-shapes-{machine_name()}.md"
        header = ("# `auto` on synthetic shapes against its peers\n\n"
                  f"- command: `python benchmarks/python/auto_shapes.py --write`\n"
                  f"- versions: tsquash {tsquash.__version__}, pcodec {__import__('pcodec').__version__}, "
                  f"zstandard {zstandard.__version__}\n- size: bits per value of the whole stream or frame\n\n")
        out.write_text(header + text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
