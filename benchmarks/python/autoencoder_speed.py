"""Speed of the LibTorch autoencoder (tsquash.autoencoder): training seconds per epoch and inference
throughput, for the dense model on ETTh1 (7 variables, hourly) and the convolutional model on Baler's CFD
frames (60 x 50 x 50). Both come from ../shared/datasets; a synthetic stand-in of the same shape is used
(and labelled) when the datasets are not there.

Writes benchmarks/results/autoencoder_speed-<machine>.md and .csv. Wall-clock seconds (the model uses
several threads), medians over epochs and runs; the load average is recorded because the machine may be
shared.

    .venv/bin/python benchmarks/python/autoencoder_speed.py [--epochs 5] [--runs 5] [--threads 1 2]
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

from tsquash.autoencoder import AutoEncoder  # noqa: E402


def blas_name() -> str:
    """Which library the libblas.so.3 alternative points at (LibTorch from Debian uses it for matrix products)."""
    try:
        return Path(os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")).parent.name
    except OSError:
        return "unknown"


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = x.min(axis=0), x.max(axis=0)
    return ((x - lo) / np.where(hi > lo, hi - lo, 1)).astype(np.float32)


def etth1() -> tuple[np.ndarray, str]:
    path = DATASETS / "etth1" / "ETTh1.csv"
    if path.exists():
        x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, 8))
        return minmax(x), "ETTh1"
    rng = np.random.default_rng(0)
    return minmax(np.cumsum(rng.normal(size=(17420, 7)), axis=0)), "synthetic (ETTh1 shape)"


def cfd() -> tuple[np.ndarray, str]:
    path = DATASETS / "cfd_baler" / "CFD_animation.npz"
    if path.exists():
        with np.load(path) as z:
            x = z[z.files[0]].astype(np.float64)
        lo, hi = x.min(), x.max()
        return ((x - lo) / (hi - lo)).astype(np.float32), "CFD frames"
    rng = np.random.default_rng(0)
    return rng.random((60, 50, 50), dtype=np.float32), "synthetic (CFD shape)"


CASES = {
    # name: (data loader, model kwargs, batch size)
    "dense 7-200-100-50-4": (etth1, dict(layers=(200, 100, 50), latent=4), 256),
    "conv 50x50 (8,16,32)-200-100-50-8": (cfd, dict(kind="conv", channels=(8, 16, 32), layers=(200, 100, 50), latent=8), 8),
}


def measure(name, loader, kwargs, batch, threads, epochs, runs):
    x, source = loader()
    epoch_wall, epoch_cpu = [], []
    for run in range(runs):
        ae = AutoEncoder(x.shape[1:], seed=run, threads=threads, **kwargs)
        stamps = [(time.perf_counter(), time.process_time())]
        ae.fit(x, epochs=epochs, batch_size=batch, patience=0, val_fraction=0.1,
               progress=lambda *a: stamps.append((time.perf_counter(), time.process_time())))
        d = np.diff(np.array(stamps), axis=0)
        epoch_wall += list(d[:, 0])
        epoch_cpu += list(d[:, 1])
    ae.reconstruct(x[:64])  # warm-up
    infer, infer_cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        z = ae.encode(x)
        ae.decode(z)
        infer.append(time.perf_counter() - t0)
        infer_cpu.append(time.process_time() - c0)
    sec = statistics.median(infer)
    raw_mb = x.size * 8 / 1e6  # the data as users hold it: float64
    return {
        "model": name, "data": source, "samples": len(x), "values_per_sample": int(np.prod(x.shape[1:])),
        "parameters": ae.n_parameters, "threads": threads, "batch_size": batch,
        "train_s_per_epoch": round(statistics.median(epoch_wall), 4),
        "train_cpu_s_per_epoch": round(statistics.median(epoch_cpu), 4),
        "encode_decode_s": round(sec, 4),
        "encode_decode_cpu_s": round(statistics.median(infer_cpu), 4),
        "samples_per_s": round(len(x) / sec),
        "raw_mb_per_s": round(raw_mb / sec, 2),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, nargs="+", default=sorted({1, os.cpu_count() or 1}))
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args(argv)

    load_before = os.getloadavg()[0]
    rows = []
    for name, (loader, kwargs, batch) in CASES.items():
        for threads in args.threads:
            r = measure(name, loader, kwargs, batch, threads, args.epochs, args.runs)
            rows.append(r)
            print(f"{name:36s} threads={threads}  {r['train_s_per_epoch']:.3f} s/epoch "
                  f"({r['train_cpu_s_per_epoch']:.3f} CPU s)  "
                  f"{r['samples_per_s']} samples/s  {r['raw_mb_per_s']} MB/s", flush=True)
    load_after = os.getloadavg()[0]

    machine = machine_name()
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / f"autoencoder_speed-{machine}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        f"# Autoencoder speed on {machine}",
        "",
        f"`benchmarks/python/autoencoder_speed.py --epochs {args.epochs} --runs {args.runs}`; LibTorch CPU, float32, "
        f"system BLAS {blas_name()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}.",
        f"Load average {load_before:.1f} before and {load_after:.1f} after the run on {os.cpu_count()} CPUs "
        "(a shared machine: compare rows within this table, not with other machines).",
        "Training: median seconds per epoch (90% of the samples, the rest validates), wall clock and CPU time of "
        "all threads. Inference: encode + decode of every sample, median of the runs; MB/s (wall) counts the "
        "input as float64. On a loaded machine the CPU seconds of the 1-thread rows are the steadier figure.",
        "",
        "| model | data | samples | parameters | threads | batch | s/epoch | CPU s/epoch | encode+decode s | CPU s "
        "| samples/s | MB/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['data']} | {r['samples']} | {r['parameters']} | {r['threads']} | "
                     f"{r['batch_size']} | {r['train_s_per_epoch']} | {r['train_cpu_s_per_epoch']} | {r['encode_decode_s']} | "
                     f"{r['encode_decode_cpu_s']} | {r['samples_per_s']} | "
                     f"{r['raw_mb_per_s']} |")
    (args.out / f"autoencoder_speed-{machine}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}/autoencoder_speed-{machine}.md")


if __name__ == "__main__":
    main()
