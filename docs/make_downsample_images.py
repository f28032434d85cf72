"""Draw the pictures of docs/downsampling.md into docs/img/ from real data (../shared/datasets).

    .venv/bin/python docs/make_downsample_images.py [--datasets ../shared/datasets]

One held-out window of the evaluation (benchmarks/python/downsample_eval.py) at a 5 % budget of stored
numbers: every method keeps what fits in that budget and is drawn as the reconstruction the evaluation scores
(linear interpolation between kept points), with its RMSE.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
sys.path.insert(0, str(ROOT / "benchmarks" / "python"))
import downsample_eval as ev  # noqa: E402


def draw(series_rel: str, window_index: int, budget: float, root: Path, out: Path):
    w = ev.windows_of(ev.load_series(series_rel, root))[window_index]
    allowed = int(round(budget * len(w)))
    methods = ev.builtin_methods()
    fig, axes = plt.subplots(len(methods), 1, figsize=(10, 2.1 * len(methods)), sharex=True)
    pos = np.arange(len(w))
    for ax, m in zip(np.atleast_1d(axes), methods):
        stored, recon = m.compress(w, allowed)
        rmse = float(np.sqrt(np.mean((recon - w) ** 2)))
        ax.plot(pos, w, color="0.65", lw=0.8, label=f"original ({len(w)} points)")
        ax.plot(pos, recon, color="C3", lw=1.0, label=f"{m.name}: {stored} numbers stored, RMSE {rmse:.3g}")
        if isinstance(m, ev.PointSelectorMethod):
            kept = m.select(w, allowed // 2)
            ax.plot(kept, w[kept], "o", ms=2.5, color="C0")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    np.atleast_1d(axes)[-1].set_xlabel("position in the window")
    fig.suptitle(f"{series_rel}, window {window_index}: budget {budget:.0%} = {allowed} stored numbers", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    print(f"wrote {out}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default=str(ev.DATASETS))
    args = ap.parse_args(argv)
    root = Path(args.datasets)
    IMG.mkdir(parents=True, exist_ok=True)
    draw("etth1/OT.f64", 1, 0.05, root, IMG / "downsample_etth1_ot.png")
    draw("stocks_de/value.f64", 3, 0.05, root, IMG / "downsample_stocks_de.png")


if __name__ == "__main__":
    main()
