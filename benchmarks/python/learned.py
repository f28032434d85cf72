"""Learned and error-bounded compression on the shared data: bytes needed at a guaranteed max error of 1 %,
0.1 % and 0.01 % of the data range, model excluded and included, for the Compressor methods (pca, quantise, and
the autoencoder when tsquash was built with it) and zfp (zfpy, fixed-accuracy mode) as the peer.

    .venv/bin/python benchmarks/python/learned.py [--methods pca,quantise,zfp,autoencoder] [--quick]

Every row is checked: the max error over every value must be within the bound, or the script fails. Also the
Baler point on the CFD frames: the unbounded PCA / autoencoder compressed to about 0.5 % of the original (model
excluded) and the error reached there. Results: benchmarks/results/learned-<machine>.{md,csv}.
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
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lossless import machine_name  # noqa: E402

from tsquash import Compressor  # noqa: E402

DATASETS = HERE.parents[1].parent / "shared" / "datasets"
RESULTS = HERE.parents[1] / "benchmarks" / "results"
LEVELS = (1e-2, 1e-3, 1e-4)

# Per method and data set: constructor and training parameters. The autoencoder rows appear when
# tsquash.autoencoder imports (the LibTorch build).
CONFIG = {
    # A tuple of latents: each bound takes the one with the smallest output.
    "pca": {"cfd": {"latent": (4, 8, 12, 16)}, "etth1": {"latent": (1, 2, 3, 4)},
            "exchange_rate": {"latent": (1, 2, 3, 4)}},
    # The Compressor's default autoencoder (init="pca": PCA's linear path plus networks that start at zero,
    # L1 loss), with PCA's latent sizes. One hidden layer on the CFD frames, and no validation hold-out: the
    # model is trained on the frames it compresses, as Baler does. One thread: faster than two on a loaded
    # 2-core machine.
    "autoencoder": {
        "cfd": {"latent": (4, 8, 12, 16), "kind": "conv", "layers": (128,), "epochs": 1000, "batch_size": 8,
                "lr": 1e-3, "val_fraction": 0.0, "patience": 50, "seed": 0, "threads": 1},
        "etth1": {"latent": (1, 2, 3, 4), "epochs": 150, "batch_size": 256, "lr": 1e-3, "val_fraction": 0.0,
                  "patience": 50, "seed": 0, "threads": 1},
        "exchange_rate": {"latent": (1, 2, 3, 4), "epochs": 200, "batch_size": 256, "lr": 1e-3, "val_fraction": 0.0,
                          "patience": 50, "seed": 0, "threads": 1},
    },
}


def load(name: str):
    if name == "cfd":
        with np.load(DATASETS / "cfd_baler" / "CFD_animation.npz") as f:
            return f["data"]
    if name == "etth1":
        return pd.read_csv(DATASETS / "etth1" / "ETTh1.csv", parse_dates=["date"], index_col="date")
    cols = sorted((DATASETS / "exchange_rate").glob("c*.f64"))
    return pd.DataFrame({p.stem: np.fromfile(p, dtype="<f8") for p in cols})


def matrix(data) -> np.ndarray:
    return np.asarray(data, dtype=np.float64).reshape(len(data), -1)


def ranges(data) -> np.ndarray:
    """The range a relative bound refers to: per column for tables, of all values for frames."""
    x = matrix(data)
    if np.ndim(data) == 3:
        return np.full(x.shape[1], x.max() - x.min())
    return x.max(axis=0) - x.min(axis=0)


def timed(fn, runs=3):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def run_compressor(method, name, data, level, trained):
    """The smallest output over the configured latent sizes (one model per latent, trained once and reused
    for every bound): the latent is a per-bound choice for both learned methods."""
    if method not in ("pca", "autoencoder"):
        c = Compressor(method, max_error_relative=level)
        blob, t_c = timed(lambda: c.compress(data))
        back, t_d = timed(lambda: c.decompress(blob))
        return blob.nbytes, 0, matrix(back), t_c + t_d, 0.0, None
    params = dict(CONFIG[method][name])
    latents = params.pop("latent")
    latents = latents if isinstance(latents, tuple) else (latents,)
    best = None
    for latent in latents:
        c, train_s = trained_model(method, name, data, latent, trained)
        c.params["max_error_relative"] = level
        c.params.pop("max_error", None)
        blob = c.compress(data)
        if best is None or blob.nbytes < best[1].nbytes:
            best = (c, blob, train_s, latent)
    c, _, train_s, latent = best
    blob, t_c = timed(lambda: c.compress(data))
    back, t_d = timed(lambda: c.decompress(blob))
    return blob.nbytes, c.model_nbytes, matrix(back), t_c + t_d, train_s, latent


def trained_model(method, name, data, latent, trained):
    key = (method, name, latent)
    if key not in trained:
        params = dict(CONFIG[method][name], latent=latent)
        fit = {k: params.pop(k) for k in ("epochs", "batch_size", "lr") if k in params}
        t = time.perf_counter()
        c = Compressor(method, **params).train(data, **fit)
        trained[key] = (c, time.perf_counter() - t)
    return trained[key]


def run_zfp(data, level):
    import zfpy

    x = matrix(data)
    eps = level * ranges(data)
    def fitted(arr, bound):
        # zfp's tolerance is conservative (errors well below it): give it the loosest tolerance whose output
        # still meets the bound, so the peer is measured at its best.
        for factor in (16, 8, 4, 2, 1.4, 1.0, 0.999):
            blob = zfpy.compress_numpy(arr, tolerance=bound * factor)
            if np.abs(zfpy.decompress_numpy(blob) - arr).max() <= bound:
                return bound * factor
        raise AssertionError("zfp missed the bound")

    if np.ndim(data) == 3:
        arr = np.ascontiguousarray(np.asarray(data, dtype=np.float64))
        tol = fitted(arr, eps[0])
        blob, t_c = timed(lambda: zfpy.compress_numpy(arr, tolerance=tol))
        back, t_d = timed(lambda: zfpy.decompress_numpy(blob))
        return len(blob), 0, back.reshape(x.shape), t_c + t_d, 0.0
    blobs, total = [], 0.0
    for j in range(x.shape[1]):
        col = np.ascontiguousarray(x[:, j])
        tol = fitted(col, eps[j])
        b, t = timed(lambda: zfpy.compress_numpy(col, tolerance=tol))
        blobs.append(b)
        total += t
    back = np.empty_like(x)
    for j, b in enumerate(blobs):
        v, t = timed(lambda: zfpy.decompress_numpy(b))
        back[:, j] = v
        total += t
    return sum(len(b) for b in blobs), 0, back, total, 0.0


def baler_point(method, data, trained, target=0.005):
    """Largest latent whose unbounded compressed size is within target of the original (model excluded);
    the autoencoder is taken at its configured latent sizes (the models of the bounded rows)."""
    raw = matrix(data).nbytes
    lat = CONFIG[method]["cfd"]["latent"]
    best = None
    for latent in ((1, 2, 4, 8, 12, 16, 24, 32, 48) if method == "pca" else (lat if isinstance(lat, tuple) else (lat,))):
        c, _ = trained_model(method, "cfd", data, latent, trained)
        c.params.pop("max_error_relative", None)
        blob = c.compress(data)
        back = matrix(c.decompress(blob))
        x = matrix(data)
        row = {"method": method, "latent": latent, "bytes": blob.nbytes, "fraction": blob.nbytes / raw,
               "model_bytes": c.model_nbytes, "max_error_pct_range": 100 * np.abs(back - x).max() / np.ptp(x),
               "rmse_pct_range": 100 * np.sqrt(np.mean((back - x) ** 2)) / np.ptp(x)}
        if blob.nbytes <= target * raw or best is None:
            best = row if (best is None or blob.nbytes <= target * raw) else best
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="pca,quantise,zfp,autoencoder")
    ap.add_argument("--datasets", default="cfd,etth1,exchange_rate")
    ap.add_argument("--out", default=None, help="results stem (default benchmarks/results/learned-<machine>)")
    args = ap.parse_args(argv)
    methods = args.methods.split(",")
    if "autoencoder" in methods:
        try:
            import tsquash.autoencoder  # noqa: F401
        except ImportError as exc:
            print(f"autoencoder skipped: {exc}", file=sys.stderr)
            methods.remove("autoencoder")
    rows, trained, baler = [], {}, []
    for name in args.datasets.split(","):
        data = load(name)
        raw = matrix(data).nbytes
        rng = ranges(data)
        for method in methods:
            for level in LEVELS:
                if method == "zfp":
                    nbytes, model, back, secs, train_s = run_zfp(data, level)
                    latent = None
                else:
                    nbytes, model, back, secs, train_s, latent = run_compressor(method, name, data, level,
                                                                                trained)
                err = np.abs(back - matrix(data)).max(axis=0) / rng
                if not (err <= level).all():
                    raise SystemExit(f"{method} on {name} at {level}: bound broken ({err.max():.3g} of the range)")
                rows.append({"dataset": name, "shape": "x".join(map(str, np.shape(data))), "method": method,
                             "latent": latent, "max_error_pct_range": 100 * level, "bytes": nbytes, "model_bytes": model,
                             "ratio": raw / nbytes, "ratio_with_model": raw / (nbytes + model),
                             "worst_error_pct_range": 100 * float(err.max()), "compress_decompress_s": secs,
                             "train_s": train_s})
                print(rows[-1], flush=True)
        if name == "cfd":
            for method in [m for m in methods if m in CONFIG]:
                baler.append(baler_point(method, data, trained))
    stem = Path(args.out) if args.out else RESULTS / f"learned-{machine_name()}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    write_markdown(stem.with_suffix(".md"), rows, baler)
    print(f"wrote {stem}.md and .csv")
    return 0


# What was tried towards the target (autoencoder below pca everywhere, below zfp on CFD), measured while
# choosing CONFIG (single runs, same machine, bytes model excluded, before the latent-step search was widened
# unless said).
TRIED = [
    "* The autoencoder rows use the default `init=\"pca\"` model: a linear path set to PCA's mean and components "
    "beside networks whose output layers start at zero, so training starts exactly at PCA and keeps the starting "
    "weights unless an epoch beats them. Chosen on the CFD frames, latent 16 (bytes at 1 / 0.1 / 0.01 %, PCA "
    "9.07 / 32.3 / 85.2 kB): MSE loss, linear path frozen, 200 epochs: 5.4 / 32.2 / 88.3 kB (4.4x lower MSE "
    "than PCA, but a rougher error, so it loses at 0.01 %); the same with the latent rounded to 2^-7 of its "
    "range in the loop: 5.4 / 33.7 / 90.1 kB; L1 loss, frozen, 400 epochs: 6.0 / 26.9 / 78.7 kB; L1 with the "
    "latent rounded in the loop: 6.2 / 28.0 / 82.8 kB; L1 with the linear path at 0.1x the rate: 6.2 / 25.7 / "
    "70.5 kB, at 1x: 7.0 / 27.7 / 76.3 kB; 0.1x for 1,000 epochs: 5.9 / 25.5 / 68.1 kB (the configuration "
    "used). L1 matches what corrections cost better than MSE: their size grows with log |error|, so many "
    "small errors cost more than a few large ones. The earlier randomly initialised autoencoders follow.",
    "* Two changes from the previous run apply to both learned methods or to the autoencoder's decoder: "
    "compressed data no longer records the training parameters (about 220 bytes of JSON for the autoencoder, "
    "110 for PCA), and the `init=\"pca\"` model decodes in float64, so its error bound uses PCA's 2^-40 guard "
    "instead of float32's 2^-18 (the larger guard cost PCA up to 1 % at 0.01 % of the range when tried).",
    "* Randomly initialised autoencoders tried on the CFD frames (bytes at 1 / 0.1 / 0.01 % of the range): conv with the default "
    "(200, 100, 50) stack stops early at an RMSE of 8 % of the range; conv `layers=()`, latent 8: 43 / 104 / "
    "169 kB; conv `layers=(128,)`, latent 8, lr 1e-3 with a validation hold-out: 52 / 114 / 180 kB; the same "
    "trained on all frames with lr 3e-3: 34 / 93 / 158 kB; latent 16: 29 / 87 / 152 kB; latent 32 with "
    "`layers=(256,)`: 28 / 87 / 152 kB. A dense autoencoder on the flattened frames (2500-512-16, 3,000 "
    "full-batch epochs, 128 s, a 10 MB model) reaches an RMSE of 0.50 % of the range (PCA with 8 components: "
    "0.91 %) and 10.3 / 53 / 116 kB, against PCA's 9.1 / 32 / 86 kB; 2500-256-8 (1,500 epochs): 12.7 / 62 / "
    "125 kB.",
    "* Why the randomly initialised autoencoder lost to PCA on CFD: at tight bounds the corrections code the texture of the model's "
    "error, not its size. PCA's error is a sum of smooth components, spatially smooth and cheap for `auto`; the "
    "networks' error varies from pixel to pixel, so even the dense model with half PCA's RMSE needed 1.6x the "
    "bytes at 0.1 %. It beat zfp at every bound.",
    "* Residual layout: on the frames the corrections go frame by frame (row-major); per pixel along time is "
    "larger (PCA, 8 components: 13.7 vs 10.7 kB at 1 %, 53 vs 40 kB at 0.1 %, 114 vs 93 kB at 0.01 %). On "
    "the tables they go column by column along time; one stream per column instead of one column-major "
    "stream changes the size by under 1 % (up to 10 % larger on exchange_rate at 1 %).",
    "* Latent step: the corrections store the fine detail anyway, so coarse latents win at tight bounds; "
    "searching 2^-1..2^-14 of each dimension's range (instead of three steps near the bound) took PCA on "
    "ETTh1 at 0.01 % from 171 to 153 kB and exchange_rate at 1 % from 13.8 to 12.9 kB.",
    "* On the tables a single latent dimension wins for both learned methods: the model explains little of "
    "seven or eight weakly coupled columns, and quantise, which needs no model, is smaller still.",
]


def target_lines(rows) -> list[str]:
    """The issue's target, checked on the rows: the autoencoder against pca (everywhere) and zfp (CFD),
    model excluded."""
    by = {(r["dataset"], r["method"], r["max_error_pct_range"]): r["bytes"] for r in rows}
    out = []
    for (name, method, level), ae in by.items():
        if method != "autoencoder":
            continue
        for peer in ("pca", "zfp") if name == "cfd" else ("pca",):
            other = by.get((name, peer, level))
            if other is not None:
                verdict = "beats" if ae < other else "loses to"
                out.append(f"| {name} | {level:g} | {peer} | {ae} | {other} | {verdict} ({ae / other:.2f}x) |")
    if not out:
        return []
    return ["## Target: autoencoder vs pca (everywhere) and zfp (CFD), model excluded", "",
            "| data | max error (% range) | peer | autoencoder bytes | peer bytes | autoencoder |",
            "|---|---:|---|---:|---:|---|", *out, ""]


def write_markdown(path: Path, rows, baler) -> None:
    load = os.getloadavg()[0]
    lines = [f"# Learned and error-bounded compression ({machine_name()})", "",
             f"Load average at the end of the run: {load:.2f} (shared machine; times are indicative). "
             "Bytes at a guaranteed max |error| as a percentage of the range (per column for tables, of all values "
             "for the CFD frames); every value was checked. `ratio` excludes the model (as Baler counts), "
             "`with model` includes every byte a user must keep. Learned models are trained on the data they "
             "compress. Reproduce: `.venv/bin/python benchmarks/python/learned.py`.", ""]
    for name in dict.fromkeys(r["dataset"] for r in rows):
        sub = [r for r in rows if r["dataset"] == name]
        lines += [f"## {name} ({sub[0]['shape']})", "",
                  "| method | latent | max error (% range) | bytes | model bytes | ratio | ratio with model "
                  "| worst error (% range) | compress+decompress s | train s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sub:
            lat = "" if r["latent"] is None else r["latent"]
            lines.append(f"| {r['method']} | {lat} | {r['max_error_pct_range']:g} | {r['bytes']} | {r['model_bytes']} | "
                         f"{r['ratio']:.2f} | {r['ratio_with_model']:.2f} | {r['worst_error_pct_range']:.4g} | "
                         f"{r['compress_decompress_s']:.3f} | {r['train_s']:.2f} |")
        lines.append("")
    if baler:
        lines += ["## CFD frames at Baler's published point (compressed to about 0.5 % of the original, model "
                  "excluded, no error bound)", "",
                  "| method | latent | bytes | % of original | model bytes | max error (% range) | RMSE (% range) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for b in baler:
            lines.append(f"| {b['method']} | {b['latent']} | {b['bytes']} | {100 * b['fraction']:.3f} | "
                         f"{b['model_bytes']} | {b['max_error_pct_range']:.3g} | {b['rmse_pct_range']:.3g} |")
        lines.append("")
    lines += target_lines(rows)
    lines += ["## Notes", "",
              "* A worst error of 0 for quantise means the values were stored exactly: with few significant digits "
              "(ETTh1 has three decimals) the lossless `auto` stream is smaller than the grid at tight bounds.",
              "* zfp's tolerance is conservative; each zfp row uses the loosest tolerance (up to 16x the bound) whose "
              "output still meets the bound, so the peer is measured at its best.",
              "* Model bytes: PCA keeps float32 components (latent x features) and a float32 mean; on the 2,500-pixel "
              "CFD frames that is 90 kB, on the tables a few hundred bytes. The autoencoder keeps float32 weights "
              "(the CFD conv model with latent 16: its linear path, PCA's mean and components, plus the networks).",
              *TRIED, ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
