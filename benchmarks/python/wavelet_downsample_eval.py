"""Reconstruction error at equal storage budgets: point selectors vs wavelet top-k vs the learned downsampler.

Budgets are shares of the series length in stored numbers, positions counted: a point selector's kept point
costs two (index and value), a uniform grid's point one (the stride is implied), a wavelet approximation
coefficient one (its position is implied), a kept wavelet detail coefficient two (value and position).
Point selections are read back by linear interpolation between the kept points, wavelet selections by the
inverse DWT. Errors are divided by the series' standard deviation so series of different units average.

Data: real series from ../shared/datasets, the first 32768 samples of each. The learned downsampler trains on
TRAIN and every figure comes from HELD_OUT (no series, nor any part of one, is in both). One model is trained
per budget: its level is tsquash.wavelet_downsample.level_for_budget(budget, window) and its training keep
share is what that budget leaves for detail coefficients in a window.

    .venv/bin/python benchmarks/python/wavelet_downsample_eval.py [--epochs 3] [--max-windows 512] [--peak-weight 1]

Writes benchmarks/results/downsample-eval-<machine>.md and .csv.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(HERE))
from filters_speed import machine_name  # noqa: E402

from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK, level_for_budget  # noqa: E402

BUDGETS = (0.01, 0.05, 0.10, 0.20)
LENGTH = 32768
WINDOW = 256
TRAIN = ["basel_temp/value.f64", "dew_point_temp/value.f64", "stocks_usa/value.f64", "pm10_dust/value.f64",
         "etth1/HUFL.f64", "etth1/HULL.f64", "etth1/LUFL.f64", "etth1/LULL.f64", "etth1/MUFL.f64", "etth1/MULL.f64",
         "exchange_rate/c0.f64", "exchange_rate/c1.f64", "exchange_rate/c2.f64", "exchange_rate/c3.f64"]
HELD_OUT = ["air_pressure/value.f64", "bird_migration/value.f64", "etth1/OT.f64", "exchange_rate/c7.f64",
            "ir_bio_temp/value.f64", "shapes_all/value.f64", "stocks_de/value.f64"]


def load(rel: str) -> np.ndarray:
    return np.fromfile(DATASETS / rel, "<f8")[:LENGTH]


def point_selectors():
    """LTTB, MinMaxLTTB and M4 from tsquash.downsample when it is there, else from tsdownsample."""
    try:
        from tsquash import downsample as d
        return {"LTTB": lambda x, n: d.LTTB().downsample(x, n_out=n),
                "MinMaxLTTB": lambda x, n: d.MinMaxLTTB().downsample(x, n_out=n),
                "M4": lambda x, n: d.M4().downsample(x, n_out=n)}, "tsquash.downsample"
    except (ImportError, AttributeError):
        import tsdownsample as t
        return {"LTTB": lambda x, n: t.LTTBDownsampler().downsample(x, n_out=n),
                "MinMaxLTTB": lambda x, n: t.MinMaxLTTBDownsampler().downsample(x, n_out=n),
                "M4": lambda x, n: t.M4Downsampler().downsample(x, n_out=n)}, "tsdownsample"


def interp(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    idx = np.unique(np.asarray(idx, dtype=np.int64))
    return np.interp(np.arange(len(x)), idx, x[idx])


def errors(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    s = np.std(x) or 1.0
    e = y - x
    return float(np.sqrt(np.mean(e ** 2)) / s), float(np.max(np.abs(e)) / s)


def train_model(train, budget: float, epochs: int, max_windows: int, seed: int, peak_weight: float):
    level = level_for_budget(budget, WINDOW)
    na = WINDOW >> level
    keep = max(1e-3, (budget * WINDOW - na) / 2 / (WINDOW - na))
    t = time.perf_counter()
    model = LearnedDownsampler.train(train, level=level, keep=keep, epochs=epochs, window=WINDOW,
                                     max_windows=max_windows, progress=False, seed=seed, threads=1,
                                     peak_weight=peak_weight)
    return model, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--max-windows", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peak-weight", type=float, default=1.0)
    args = ap.parse_args()
    if not DATASETS.exists():
        sys.exit(f"{DATASETS} not found")
    train = [load(p) for p in TRAIN]
    held = {p: load(p) for p in HELD_OUT}
    selectors, selector_source = point_selectors()
    rows = []
    notes = []
    changed, kept = {}, {}
    for b in BUDGETS:
        model, secs = train_model(train, b, args.epochs, args.max_windows, args.seed, args.peak_weight)
        h = model.history
        notes.append(f"budget {b:.0%}: level {model.level}, keep {model.keep:.4f} of each window's details, "
                     f"{secs:.0f} s training; last epoch's lost detail energy {h['loss'][-1]:.5f} "
                     f"(magnitude ranking on the same batches: {h['magnitude_loss'][-1]:.5f})")
        for name, x in held.items():
            n = len(x)
            n_pts = int(b * n) // 2
            for method, fn in selectors.items():
                k = n_pts - n_pts % 4 if method == "M4" else n_pts
                idx = fn(x, k)
                rows.append((b, name, method, 2 * len(np.unique(idx)), *errors(x, interp(x, idx))))
            grid = np.unique(np.linspace(0, n - 1, int(b * n)).round().astype(np.int64))
            rows.append((b, name, "uniform", len(grid), *errors(x, interp(x, grid))))
            windowed = WaveletTopK("db4", model.level, window=WINDOW).downsample(x, budget=b)
            learned = model.downsample(x, budget=b)
            for method, res in (("WaveletTopK", WaveletTopK("db4").downsample(x, budget=b)),
                                ("WaveletTopK-windowed", windowed), ("Learned", learned)):
                rows.append((b, name, method, res.n_stored, *errors(x, res.reconstruct())))
            changed[b] = changed.get(b, 0) + len(np.setdiff1d(learned.positions, windowed.positions))
            kept[b] = kept.get(b, 0) + learned.n_kept
            print(f"budget {b:.0%} {name} done", flush=True)
    for i, b in enumerate(BUDGETS):
        notes[i] += (f"; on the held-out series it keeps {changed[b]} of {kept[b]} detail coefficients that the "
                     "magnitude ranking of the same windows does not")
    write(rows, notes, selector_source, args)


def write(rows, notes, selector_source, args) -> None:
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"downsample-eval-{machine_name()}"
    with open(out / f"{stem}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["budget", "series", "method", "n_stored", "rmse_over_std", "max_error_over_std"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], r[3], f"{r[4]:.6g}", f"{r[5]:.6g}"])
    methods = list(dict.fromkeys(r[2] for r in rows))
    lines = [f"# Downsampling at equal storage budgets ({machine_name()})", "",
             "Produced by `benchmarks/python/wavelet_downsample_eval.py` "
             f"(--epochs {args.epochs} --max-windows {args.max_windows} --seed {args.seed} --peak-weight {args.peak_weight}); point selectors from "
             f"{selector_source}; load average at the end {os.getloadavg()[0]:.1f}.", "",
             f"Held-out series (first {LENGTH} samples each): {', '.join(HELD_OUT)}. "
             f"Training series of the learned downsampler: {', '.join(TRAIN)}.", "",
             "Budget = stored numbers / series length, positions counted (see the script's docstring). "
             "Errors are divided by each series' standard deviation; the table gives the mean over the held-out "
             "series (geometric mean in brackets).", ""]
    for metric, col in (("RMSE / std", 4), ("max error / std", 5)):
        lines += [f"## {metric}", "", "| method | " + " | ".join(f"{b:.0%}" for b in BUDGETS) + " |",
                  "|---|" + "---:|" * len(BUDGETS)]
        for m in methods:
            cells = []
            for b in BUDGETS:
                v = np.array([r[col] for r in rows if r[0] == b and r[2] == m])
                cells.append(f"{v.mean():.4f} ({np.exp(np.mean(np.log(np.maximum(v, 1e-300)))):.4f})")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Per series, RMSE / std", "", "| budget | series | " + " | ".join(methods) + " |",
              "|---|---|" + "---:|" * len(methods)]
    for b in BUDGETS:
        for s in HELD_OUT:
            vals = {r[2]: r[4] for r in rows if r[0] == b and r[1] == s}
            best = min(vals.values())
            lines.append(f"| {b:.0%} | {s} | " + " | ".join(
                (f"**{vals[m]:.4f}**" if vals[m] == best else f"{vals[m]:.4f}") for m in methods) + " |")
    lines += ["", "## Learned models", ""] + [f"- {n}" for n in notes] + [""]
    (out / f"{stem}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
