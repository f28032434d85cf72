"""wavedec + waverec speed: tsquash.wavelet against PyWavelets, single thread, in one run.

    .venv/bin/python benchmarks/python/wavelet_speed.py                  # 1e6 and 1e7 points, 7 runs
    .venv/bin/python benchmarks/python/wavelet_speed.py --sizes 1e6 1e7 1e8 --runs 5

For haar, db4 and sym8 in symmetric mode (PyWavelets' default) and periodization, at the maximum useful level
capped at 8 (the usual multiresolution depth), on a float64 random walk: the best (shortest) time of --runs
calls of wavedec, of waverec and of the round trip, for both libraries, each call measured right after the
other's so the machine's load affects both alike. Times are CPU time of this process (time.process_time), which
other programs on a shared machine inflate much less than wall time; the best of several is the time least
disturbed by them. The ratio is PyWavelets' time over tsquash's (above 1: tsquash is faster). Both libraries
are single-threaded. Results go to benchmarks/results/wavelet-<machine>.csv and .md, with the load average.
"""
from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
import pywt

import tsquash.wavelet as tw

from _machine import cpu_model, machine_name

ROOT = Path(__file__).resolve().parents[2]


def interleaved(fa, fb, runs: int) -> tuple[float, float]:
    """Best times of fa and fb, alternating calls so both see the same machine load."""
    fa(), fb()
    ta, tb = [], []
    for _ in range(runs):
        t0 = time.process_time()
        fa()
        ta.append(time.process_time() - t0)
        t0 = time.process_time()
        fb()
        tb.append(time.process_time() - t0)
    return min(ta), min(tb)


def run(args) -> list[dict]:
    rows = []
    for size in args.sizes:
        n = int(float(size))
        x = 100.0 + np.cumsum(np.random.default_rng(42).normal(size=n))
        # Short transforms take a millisecond: more repetitions make their best time steadier.
        runs = args.runs * 3 if n <= 10**6 else args.runs if n <= 10**7 else max(3, args.runs // 2)
        for name in args.wavelets:
            level = min(8, pywt.dwt_max_level(n, pywt.Wavelet(name).dec_len))
            for mode in args.modes:
                ref = pywt.wavedec(x, name, mode, level)
                got = tw.wavedec(x, name, mode, level)
                err = max(float(np.abs(a - b).max()) for a, b in zip(ref, got))
                dec_p, dec_t = interleaved(lambda: pywt.wavedec(x, name, mode, level),
                                           lambda: tw.wavedec(x, name, mode, level), runs)
                rec_p, rec_t = interleaved(lambda: pywt.waverec(ref, name, mode),
                                           lambda: tw.waverec(got, name, mode), runs)
                rt_p, rt_t = interleaved(lambda: pywt.waverec(pywt.wavedec(x, name, mode, level), name, mode),
                                         lambda: tw.waverec(tw.wavedec(x, name, mode, level), name, mode), runs)
                row = {"n": n, "wavelet": name, "mode": mode, "level": level,
                       "pywt_wavedec_s": dec_p, "tsquash_wavedec_s": dec_t,
                       "pywt_waverec_s": rec_p, "tsquash_waverec_s": rec_t,
                       "pywt_roundtrip_s": rt_p, "tsquash_roundtrip_s": rt_t,
                       "ratio_wavedec": dec_p / dec_t, "ratio_waverec": rec_p / rec_t,
                       "ratio_roundtrip": rt_p / rt_t, "max_abs_diff": err}
                rows.append(row)
                print(f"n={n:>11,d} {name:5s} {mode:13s} L={level}  wavedec {dec_p * 1e3:8.2f} / {dec_t * 1e3:8.2f} ms "
                      f"({dec_p / dec_t:4.2f}x)  waverec {rec_p * 1e3:8.2f} / {rec_t * 1e3:8.2f} ms "
                      f"({rec_p / rec_t:4.2f}x)  round trip {rt_p / rt_t:4.2f}x", flush=True)
        del x
    return rows


def write(rows: list[dict], args, load_before, load_after) -> None:
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"wavelet-{machine_name()}"
    with open(base.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        f"# wavedec + waverec: tsquash vs PyWavelets {pywt.__version__}",
        "",
        f"Machine: {machine_name()} ({cpu_model()}). Load average before / after the run: "
        f"{' '.join(f'{v:.2f}' for v in load_before)} / {' '.join(f'{v:.2f}' for v in load_after)} "
        "(a shared machine: the two libraries are timed alternately, so the ratios are fairer than the times).",
        "",
        f"Best CPU time of {args.runs} runs (3x as many for 1e6, fewer for 1e8), single thread, float64 "
        "random walk, level = min(8, dwt_max_level). Ratio = PyWavelets' time / tsquash's (above 1: tsquash faster). "
        "Reproduce: `.venv/bin/python benchmarks/python/wavelet_speed.py " + " ".join(
            ["--sizes", *args.sizes, "--runs", str(args.runs)]) + "`.",
        "",
        "| n | wavelet | mode | level | wavedec PyWavelets ms | wavedec tsquash ms | ratio | waverec PyWavelets ms "
        "| waverec tsquash ms | ratio | round trip ratio | max abs diff |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:.0e} | {r['wavelet']} | {r['mode']} | {r['level']} | {r['pywt_wavedec_s'] * 1e3:.2f} | "
            f"{r['tsquash_wavedec_s'] * 1e3:.2f} | {r['ratio_wavedec']:.2f} | {r['pywt_waverec_s'] * 1e3:.2f} | "
            f"{r['tsquash_waverec_s'] * 1e3:.2f} | {r['ratio_waverec']:.2f} | **{r['ratio_roundtrip']:.2f}** | "
            f"{r['max_abs_diff']:.1e} |")
    if not any(r["n"] >= 10**8 for r in rows):
        lines += ["", "1e8 points not run here: the round trip holds about 3 GB of arrays per library, more than a "
                  "shared 2-core machine should be asked for; pass `--sizes 1e8` where memory allows."]
    base.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {base}.csv and .md")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["1e6", "1e7"])
    p.add_argument("--wavelets", nargs="+", default=["haar", "db4", "sym8"])
    p.add_argument("--modes", nargs="+", default=["symmetric", "periodization"])
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    load_before = os.getloadavg()
    rows = run(args)
    write(rows, args, load_before, os.getloadavg())


if __name__ == "__main__":
    main()
