"""Throughput of the wavelet downsamplers: WaveletTopK (whole series and windowed) and the learned downsampler
(batch downsample, streaming push, and its training), in points per second of input.

The learned model is untrained (the speed does not depend on the weights) with the evaluation's shape:
windows of 256 samples, level 5, d_model 32, 4 heads, feed-forward 64, two layers. Medians over runs;
CPU seconds of this process (the machine may be shared; the load average is recorded).

    .venv/bin/python benchmarks/python/learned_downsample_speed.py [--n 262144] [--runs 3] [--threads 1 2]

Writes benchmarks/results/learned_downsample_speed-<machine>.md and .csv.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(HERE))
from _machine import machine_name  # noqa: E402

from tsquash.multilevel_downsample import MultiLevelDownsampler  # noqa: E402
from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK  # noqa: E402


def series(n: int) -> tuple[np.ndarray, str]:
    path = DATASETS / "basel_temp" / "value.f64"
    if path.exists():
        x = np.fromfile(path, "<f8")
        return np.resize(x, n), "basel_temp (tiled)"
    return np.cumsum(np.random.default_rng(0).normal(size=n)), "random walk (datasets not found)"


def cpu_seconds(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1 << 18)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    x, source = series(args.n)
    rows = []
    rows.append(("WaveletTopK whole series, budget 10%", 0,
                 args.n / cpu_seconds(lambda: WaveletTopK("db4").downsample(x, budget=0.1), args.runs)))
    rows.append(("WaveletTopK windows of 256, level 5, budget 10%", 0,
                 args.n / cpu_seconds(lambda: WaveletTopK("db4", 5, window=256).downsample(x, budget=0.1), args.runs)))
    # The evaluation's configuration at a 10 % budget: windows of 4096, level 9 (8 approximation values).
    train = [x[: 4096 * 16]]
    for th in args.threads:
        t = time.process_time()
        model = LearnedDownsampler.train(train, level=9, keep=0.05, epochs=1, window=4096, stride=1024,
                                         progress=False, threads=th)
        rows.append(("learned: training, one epoch over 61 windows of 4096", th,
                     4096 * 61 / (time.process_time() - t)))
        rows.append(("learned: downsample (encode), budget 10%", th,
                     args.n / cpu_seconds(lambda: model.downsample(x, budget=0.1), args.runs)))
        blob = model.downsample(x, budget=0.1).to_bytes()
        rows.append(("learned: decode, budget 10%", th, args.n / cpu_seconds(lambda: model.decode(blob), args.runs)))

        def stream():
            s = model.stream(budget=0.1)
            for i in range(0, len(x), 4096):
                s.push(x[i:i + 4096])
            s.finish()

        rows.append(("learned: stream, chunks of 4096", th, args.n / cpu_seconds(stream, args.runs)))
    # The evaluation's learned method: per window the best of top-k at every level and one model per level 4-10
    # (one epoch each here: speed does not depend on how well they are trained).
    plain = MultiLevelDownsampler(window=4096, wavelet="db4")
    rows.append(("multi-level: top-k at the best of levels 1-12 per window (no model), budget 10%", 0,
                 args.n / cpu_seconds(lambda: plain.downsample(x, budget=0.1), args.runs)))
    models = [LearnedDownsampler.train(train, level=lv, keep=0.1, epochs=1, window=4096, stride=1024, progress=False,
                                       threads=1) for lv in range(4, 11)]
    ml = MultiLevelDownsampler(models)
    rows.append(("multi-level: 7 models (levels 4-10) and top-k at every level, encode, budget 10%", 1,
                 args.n / cpu_seconds(lambda: ml.downsample(x, budget=0.1), args.runs)))
    blob = ml.downsample(x, budget=0.1).to_bytes()
    rows.append(("multi-level: decode, budget 10%", 1, args.n / cpu_seconds(lambda: ml.decode(blob), args.runs)))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"learned_downsample_speed-{machine_name()}"
    with open(out / f"{stem}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["what", "threads", "points_per_cpu_second"])
        w.writerows((r[0], r[1], f"{r[2]:.0f}") for r in rows)
    lines = [f"# Wavelet downsampler speed ({machine_name()})", "",
             f"`benchmarks/python/learned_downsample_speed.py --n {args.n} --runs {args.runs}` on {source}; "
             f"points per CPU second of this process, median of {args.runs} runs; load average at the end "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.", "",
             "| what | LibTorch threads | points / CPU s |", "|---|---:|---:|"]
    lines += [f"| {r[0]} | {r[1] or '-'} | {r[2]:,.0f} |" for r in rows]
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
