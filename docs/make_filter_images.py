"""Draw the pictures of docs/filters.md into docs/img/ from real data (../shared/datasets).

    .venv/bin/python docs/make_filter_images.py [--datasets ../shared/datasets]
"""
from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tsquash import DeadbandFilter, HysteresisFilter, SdtFilter, reconstruct  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"


def load_csv_values(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as fh:
        return np.loadtxt(fh, delimiter=",", usecols=1, dtype=np.float64)


def run(f, t, v):
    kt, kv = f.filter_arrays(t, v)
    tail = f.flush()
    if tail:
        kt = np.concatenate([kt, np.array([p[0] for p in tail], dtype=kt.dtype)])
        kv = np.concatenate([kv, np.array([p[1] for p in tail])])
    return kt, kv


def panel(ax_top, ax_err, t, v, kt, kv, eps, method, title):
    recon = reconstruct((kt, kv), t, method=method)
    ax_top.plot(t, v, color="0.6", lw=1, label=f"input ({t.size} points)")
    if method == "linear":
        ax_top.plot(kt, kv, "-", color="C0", lw=1.2, label="linear reconstruction")
    else:
        ax_top.step(kt, kv, where="post", color="C0", lw=1.2, label="step reconstruction")
    ax_top.fill_between(t, recon - eps, recon + eps, color="C0", alpha=0.15, step=None if method == "linear" else "post",
                        label=f"reconstruction +- {eps:.3g}")
    ax_top.plot(kt, kv, "o", ms=3.5, color="C3", label=f"kept ({kt.size} points)")
    ax_top.set_title(title)
    ax_top.legend(loc="best", fontsize=8)
    err = v - recon
    ax_err.plot(t, err / eps, color="C2", lw=0.8)
    ax_err.axhline(1, color="k", lw=0.6, ls="--")
    ax_err.axhline(-1, color="k", lw=0.6, ls="--")
    ax_err.set_ylim(-1.3, 1.3)
    ax_err.set_ylabel("error / eps")
    ax_err.set_xlabel("sample")


def figure(t, v, f, eps, method, title, name):
    kt, kv = run(f, t, v)
    fig, (a, b) = plt.subplots(2, 1, figsize=(9, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    panel(a, b, t, v, kt, kv, eps, method, title)
    fig.tight_layout()
    fig.savefig(IMG / name, dpi=110)
    plt.close(fig)
    print(f"wrote docs/img/{name}: {kt.size} of {t.size} points kept")


def compat_figure():
    t = np.array([100, 110, 120, 140, 150, 160, 180], dtype=np.float64)
    v = np.array([20, 10, 20, 40, 30, 45, 5], dtype=np.float64)
    d = 10.0
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, compat, title in ((axes[0], True, "pydbfilter (compat=True)"), (axes[1], False, "tsquash (default)")):
        kt, kv = run(SdtFilter(d, compat=compat), t, v)
        tq = np.linspace(t[0], t[-1], 400)
        r = reconstruct((kt, kv), tq)
        ax.fill_between(tq, r - d, r + d, color="C0", alpha=0.15, label="output +- deviation")
        ax.plot(kt, kv, "-o", color="C0", label="output")
        err = np.abs(v - reconstruct((kt, kv), t))
        inside = err <= d
        ax.plot(t[inside], v[inside], "s", color="0.4", label="input within the bound")
        if (~inside).any():
            ax.plot(t[~inside], v[~inside], "X", ms=9, color="C3", label="input outside the bound")
        ax.set_title(f"{title}: max error {err.max():.2f} (deviation {d:g})")
        ax.legend(fontsize=8, loc="upper left")
        ax.set_xlabel("time")
    fig.tight_layout()
    fig.savefig(IMG / "sdt_compat.png", dpi=110)
    plt.close(fig)
    print("wrote docs/img/sdt_compat.png")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    args = p.parse_args(argv)
    ds = Path(args.datasets)
    face = ds / "ucr_facefour" / "FaceFour.csv.gz"
    btc = ds / "btcusd" / "BTCUSD.csv.gz"
    if not face.exists() or not btc.exists():
        raise SystemExit(f"needs {face} and {btc} (the shared datasets)")
    IMG.mkdir(parents=True, exist_ok=True)

    x = load_csv_values(face)[:350]  # the first face outline
    t = np.arange(x.size, dtype=np.int64)
    eps = 0.02 * float(np.ptp(x))
    figure(t, x, SdtFilter(eps), eps, "linear",
           f"SDT on UCR FaceFour (first outline), deviation = 2 % of the range", "sdt_facefour.png")

    y = load_csv_values(btc)[20000:20500]
    t = np.arange(y.size, dtype=np.int64)
    eps = 0.04 * float(np.ptp(y))
    figure(t, y, SdtFilter(eps), eps, "linear", "SDT on BTCUSD (500 samples), deviation = 4 % of their range",
           "sdt_btcusd.png")
    figure(t, y, DeadbandFilter(eps), eps, "step", "Deadband on BTCUSD, deadband = 4 % of the range",
           "deadband_btcusd.png")
    figure(t, y, HysteresisFilter(eps), eps, "step", "Hysteresis on BTCUSD, hysteresis = 4 % of the range",
           "hysteresis_btcusd.png")
    compat_figure()


if __name__ == "__main__":
    main()
