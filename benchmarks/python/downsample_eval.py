"""Reconstruction error of downsampling methods at equal budgets of stored numbers, on held-out real series.

    .venv/bin/python benchmarks/python/downsample_eval.py                 # all budgets, the built-in methods
    .venv/bin/python benchmarks/python/downsample_eval.py --extra mypkg.mod:make_methods

Budget accounting. A budget of b (1 %, 5 %, 10 %, 20 %) of a window of n points allows S = round(b * n)
stored numbers, whatever they are:

* a point selector (LTTB, MinMaxLTTB, M4, uniform = EveryNth) stores each kept point as a position and a
  value, 2 numbers, so it keeps at most S // 2 distinct points. Its n_out is the largest for which the
  distinct kept positions fit (found by bisection on n_out, then a few larger n_out tried; M4 and MinMax can
  pick one point twice, and a duplicate is stored once). It is
  reconstructed by linear interpolation between the kept points at every original position (constant
  before the first and after the last kept point);
* a wavelet method stores its approximation coefficients as values at implicit positions (1 number each)
  and each kept detail coefficient as a position and a value (2 numbers), so approximation + 2 * details
  <= S. The window length, the wavelet name and the level are metadata, not counted (like n for the point
  selectors). Learned methods count the same way, plus every number of their own headers; a detail
  coefficient whose position the decoder derives (the learned downsampler's predicted coefficients) costs 1.
  Their model is shared by all windows and reported apart.

Numbers are counted, not bytes: positions could be delta-coded and values quantised by any method, which
this accounting leaves out on purpose so that it compares what is kept, not how it is encoded.

Data split (fixed; series files from ../shared/datasets, see MANIFEST.tsv there). A learned method trains on
windows of TRAIN series only; every method is scored on windows of HELD_OUT series, which no model sees.
Series that are not time-ordered signals (random POI latitudes, NYC longitudes, transaction amounts) and the
CFD frames are left out. Windows: WINDOW (4096) consecutive points; from each series up to
WINDOWS_PER_SERIES (8) non-overlapping windows at evenly spaced starts (np.linspace(0, n - WINDOW, k)
rounded down), the same on every run.

Metrics per window: RMSE and max |error| of the reconstruction over all n points. The tables average, over
the held-out windows, RMSE / std(window) (NRMSE) and max error / (max - min of the window) (NMAX), so that
series of different scales weigh alike; the CSV keeps the raw per-window figures.

Adding a method: any object with ``name`` (str), ``fit(train_windows)`` (may do nothing) and
``compress(window, budget) -> (numbers_stored, reconstruction)``; pass a factory returning a list of them
with ``--extra module:function``, or add it to ``builtin_methods``. ``WaveletTopK`` (plain wavelet top-k by
magnitude, no model) is built in and runs when ``tsquash.wavelet`` (or PyWavelets) can be imported.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import importlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tsquash import downsample as ds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_name  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("TSQUASH_DATASETS", ROOT.parent / "shared" / "datasets"))

WINDOW = 4096
WINDOWS_PER_SERIES = 8
BUDGETS = (0.01, 0.05, 0.10, 0.20)

HELD_OUT = (
    "basel_temp/value.f64", "stocks_de/value.f64", "etth1/OT.f64", "etth1/MUFL.f64", "exchange_rate/c1.f64",
    "exchange_rate/c6.f64", "air_pressure/value.f64", "bird_migration/value.f64", "btcusd/BTCUSD.csv.gz",
    "ucr_facefour/FaceFour.csv.gz",
)
TRAIN = (
    "city_temperature/value.f64", "dew_point_temp/value.f64", "stocks_usa/value.f64", "pm10_dust/value.f64",
    "ir_bio_temp/value.f64", "etth1/HUFL.f64", "etth1/HULL.f64", "etth1/LUFL.f64", "etth1/LULL.f64",
    "etth1/MULL.f64", "exchange_rate/c0.f64", "exchange_rate/c2.f64", "exchange_rate/c3.f64",
    "exchange_rate/c4.f64", "exchange_rate/c5.f64", "exchange_rate/c7.f64", "shapes_all/value.f64",
)


# ---- data ----------------------------------------------------------------------------------------------------

def load_series(rel: str, root: Path = DATASETS) -> np.ndarray:
    path = root / rel
    if path.suffix == ".f64":
        return np.fromfile(path, dtype="<f8")
    with gzip.open(path, "rt") as f:  # "index,value" rows, maybe a header
        rows = [line.split(",") for line in f if line.strip()]
    vals = []
    for r in rows:
        try:
            vals.append(float(r[-1]))
        except ValueError:
            continue  # header
    return np.asarray(vals, dtype=np.float64)


def windows_of(series: np.ndarray, window: int = WINDOW, per_series: int = WINDOWS_PER_SERIES) -> list[np.ndarray]:
    series = series[np.isfinite(series)]
    k = min(per_series, len(series) // window)
    if k == 0:
        return []
    starts = np.linspace(0, len(series) - window, k).astype(np.int64)
    return [series[s:s + window].copy() for s in starts]


def load_split(root: Path = DATASETS, window: int = WINDOW, per_series: int = WINDOWS_PER_SERIES):
    """({series: [windows]} for TRAIN, same for HELD_OUT); files that are missing are left out."""
    def load(names):
        out = {}
        for rel in names:
            if (root / rel).exists():
                w = windows_of(load_series(rel, root), window, per_series)
                if w:
                    out[rel] = w
        return out
    return load(TRAIN), load(HELD_OUT)


# ---- methods -------------------------------------------------------------------------------------------------

class PointSelectorMethod:
    """A tsquash.downsample selector, reconstructed by linear interpolation between its kept points."""

    def __init__(self, name: str, selector: ds.PointSelector, multiple: int = 1, minimum: int = 1):
        self.name = name
        self.selector = selector
        self.multiple = multiple
        self.minimum = minimum

    def fit(self, train_windows):
        pass

    def _positions(self, y, n_out):
        return np.unique(self.selector.downsample(y, n_out=n_out))

    def select(self, y: np.ndarray, max_points: int) -> np.ndarray:
        """The distinct positions kept with the largest n_out whose distinct positions fit max_points."""
        m = self.multiple
        lo = max(self.minimum, m)
        if max_points < lo:
            return np.array([], dtype=np.int64)
        best = self._positions(y, lo)
        if len(best) > max_points:
            return np.array([], dtype=np.int64)
        hi = (4 * max_points // m + 1) * m  # distinct points never exceed n_out, so 4x is past the answer
        lo_k, hi_k = lo // m, hi // m
        while lo_k < hi_k:  # largest k with |positions(k * m)| <= max_points (the count grows with n_out)
            mid = (lo_k + hi_k + 1) // 2
            pos = self._positions(y, mid * m)
            if len(pos) <= max_points:
                lo_k, best = mid, pos
            else:
                hi_k = mid - 1
        # M4's count of distinct points is not strictly monotone in n_out: look a little further.
        for k in range(lo_k + 1, lo_k + 9):
            pos = self._positions(y, k * m)
            if len(best) < len(pos) <= max_points:
                best = pos
        return best

    def compress(self, window: np.ndarray, budget: int):
        pos = self.select(window, budget // 2)
        if len(pos) == 0:
            return 0, np.full(len(window), np.nan)
        recon = np.interp(np.arange(len(window), dtype=np.float64), pos.astype(np.float64), window[pos])
        return 2 * len(pos), recon


class WaveletTopK:
    """Plain wavelet top-k (no model): periodized DWT, approximation kept, then the largest-magnitude detail
    coefficients that fit the budget; the level (1 .. max) with the smallest error is chosen per window."""

    def __init__(self, wavelet: str = "db4", backend=None):
        self.name = f"wavelet top-k ({wavelet})"
        self.wavelet = wavelet
        self.w = backend

    def fit(self, train_windows):
        pass

    def compress(self, window: np.ndarray, budget: int):
        best = None
        max_level = self.w.dwt_max_level(len(window), self.w.Wavelet(self.wavelet).dec_len)
        for level in range(1, max_level + 1):
            coeffs = self.w.wavedec(window, self.wavelet, mode="periodization", level=level)
            n_approx = len(coeffs[0])
            k = (budget - n_approx) // 2
            if k < 0:
                continue
            details = np.concatenate(coeffs[1:])
            keep = np.zeros(len(details), dtype=bool)
            if k > 0:
                keep[np.argpartition(-np.abs(details), min(k, len(details)) - 1)[:k]] = True
            kept = np.where(keep, details, 0.0)
            parts, at = [coeffs[0]], 0
            for c in coeffs[1:]:
                parts.append(kept[at:at + len(c)])
                at += len(c)
            recon = self.w.waverec(parts, self.wavelet, mode="periodization")[: len(window)]
            err = float(np.sqrt(np.mean((recon - window) ** 2)))
            if best is None or err < best[0]:
                best = (err, n_approx + 2 * int(keep.sum()), recon)
        if best is None:
            return 0, np.full(len(window), np.nan)
        return best[1], best[2]


def wavelet_backend():
    for name in ("tsquash.wavelet", "pywt"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        if all(hasattr(mod, a) for a in ("wavedec", "waverec", "dwt_max_level", "Wavelet")):
            return mod
    return None


def builtin_methods():
    methods = [
        PointSelectorMethod("LTTB", ds.LTTB(), minimum=3),
        PointSelectorMethod("MinMaxLTTB", ds.MinMaxLTTB(), minimum=3),
        PointSelectorMethod("M4", ds.M4(), multiple=4),
        PointSelectorMethod("uniform", ds.EveryNth()),
    ]
    backend = wavelet_backend()
    if backend is not None:
        methods.append(WaveletTopK("db4", backend))
    return methods


def load_extra(spec: str):
    module, _, func = spec.partition(":")
    return list(getattr(importlib.import_module(module), func or "make_methods")())


# ---- evaluation ---------------------------------------------------------------------------------------------

@dataclass
class Score:
    method: str
    series: str
    window: int
    budget: float
    allowed: int
    stored: int
    rmse: float
    max_err: float
    nrmse: float
    nmax: float


@dataclass
class Evaluation:
    scores: list[Score] = field(default_factory=list)
    fit_seconds: dict = field(default_factory=dict)


def evaluate(methods, train, held_out, budgets=BUDGETS) -> Evaluation:
    ev = Evaluation()
    train_windows = [w for ws in train.values() for w in ws]
    for m in methods:
        t0 = time.perf_counter()
        m.fit(train_windows)
        ev.fit_seconds[m.name] = time.perf_counter() - t0
    for series, ws in held_out.items():
        for wi, w in enumerate(ws):
            std = float(np.std(w)) or 1.0
            rng = float(np.ptp(w)) or 1.0
            for b in budgets:
                allowed = int(round(b * len(w)))
                for m in methods:
                    stored, recon = m.compress(w, allowed)
                    if stored > allowed:
                        raise AssertionError(f"{m.name} stored {stored} numbers, budget {allowed}")
                    err = np.abs(np.asarray(recon, dtype=np.float64) - w)
                    rmse = float(np.sqrt(np.mean(err ** 2)))
                    mx = float(np.max(err))
                    ev.scores.append(Score(m.name, series, wi, b, allowed, stored, rmse, mx, rmse / std, mx / rng))
    return ev


def summary(ev: Evaluation, budgets=BUDGETS):
    """{(budget, method): (mean NRMSE, mean NMAX, mean stored / allowed)}."""
    out = {}
    for b in budgets:
        for name in dict.fromkeys(s.method for s in ev.scores):
            rows = [s for s in ev.scores if s.budget == b and s.method == name]
            if rows:
                out[(b, name)] = (float(np.mean([r.nrmse for r in rows])), float(np.mean([r.nmax for r in rows])),
                                  float(np.mean([r.stored / r.allowed for r in rows])))
    return out


def markdown(ev: Evaluation, machine: str, n_train: int, n_held: int, note: str = "") -> str:
    names = list(dict.fromkeys(s.method for s in ev.scores))
    summ = summary(ev)
    lines = [
        f"# Downsampling reconstruction error at equal budgets ({machine})",
        "",
        "Generated by `benchmarks/python/downsample_eval.py`. Budget = stored numbers as a share of the "
        "window's points: a kept point costs 2 (position + value); a wavelet approximation coefficient 1, a "
        "kept detail coefficient 2 (1 when the decoder predicts its position; headers counted). Point selectors "
        "are reconstructed by linear interpolation. NRMSE = RMSE / "
        "std(window), NMAX = max |error| / range(window), averaged over the held-out windows (lower is "
        f"better, best in bold). {n_held} held-out windows of {WINDOW} points from "
        f"{len({s.series for s in ev.scores})} series; {n_train} training windows (used by learned methods only). See the script's docstring for "
        "the split and the accounting.",
        "",
    ]
    if note:
        lines += [note, ""]
    for metric, k in (("NRMSE", 0), ("NMAX", 1)):
        lines += [f"## {metric}", "", "| budget | " + " | ".join(names) + " |",
                  "|---|" + "---:|" * len(names)]
        for b in BUDGETS:
            vals = [summ.get((b, n), (np.nan, np.nan, np.nan))[k] for n in names]
            best = np.nanmin(vals)
            cells = [(f"**{v:.4f}**" if v == best else f"{v:.4f}") for v in vals]
            lines.append(f"| {b:.0%} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Budget used (stored / allowed, mean)", "", "| budget | " + " | ".join(names) + " |",
              "|---|" + "---:|" * len(names)]
    for b in BUDGETS:
        lines.append(f"| {b:.0%} | " + " | ".join(f"{summ[(b, n)][2]:.3f}" for n in names) + " |")
    lines += ["", "## RMSE per held-out series at 5 % (raw units, mean over its windows)", "",
              "| series | windows | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for series in dict.fromkeys(s.series for s in ev.scores):
        vals = []
        for n in names:
            rows = [s.rmse for s in ev.scores if s.series == series and s.method == n and s.budget == 0.05]
            vals.append(float(np.mean(rows)))
        nwin = len({s.window for s in ev.scores if s.series == series})
        best = min(vals)
        lines.append(f"| {series} | {nwin} | " + " | ".join(
            (f"**{v:.4g}**" if v == best else f"{v:.4g}") for v in vals) + " |")
    fits = {k: v for k, v in ev.fit_seconds.items() if v > 0.01}
    if fits:
        lines += ["", "Training time: " + ", ".join(f"{k} {v:.1f} s" for k, v in fits.items())]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--extra", action="append", default=[], help="module:function returning more methods")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--machine", default=None)
    ap.add_argument("--datasets", default=str(DATASETS), help="the datasets folder (default ../shared/datasets)")
    args = ap.parse_args(argv)
    train, held = load_split(Path(args.datasets))
    if not held:
        raise SystemExit(f"no held-out series found under {args.datasets}")
    methods = builtin_methods()
    for spec in args.extra:
        methods += load_extra(spec)
    ev = evaluate(methods, train, held)
    machine = args.machine or machine_name()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"downsample-eval-{machine}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "series", "window", "budget", "allowed", "stored", "rmse", "max_err", "nrmse", "nmax"])
        for s in ev.scores:
            w.writerow([s.method, s.series, s.window, s.budget, s.allowed, s.stored, f"{s.rmse:.6g}",
                        f"{s.max_err:.6g}", f"{s.nrmse:.6g}", f"{s.nmax:.6g}"])
    note = "" if wavelet_backend() else ("Wavelet top-k is not in this run: neither `tsquash.wavelet` nor "
                                         "PyWavelets could be imported.")
    md = markdown(ev, machine, sum(len(v) for v in train.values()), sum(len(v) for v in held.values()), note)
    (out / f"downsample-eval-{machine}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
