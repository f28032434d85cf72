"""Baler-style evaluation plots (matplotlib, written as PNG and PDF): the training loss, and per variable the
original vs reconstructed histograms, the response (reconstructed - original) / original and the residual
reconstructed - original with its mean, RMS and maximum."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, folder: Path, stem: str, formats) -> list[Path]:
    out = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        out.append(path)
    _pyplot().close(fig)
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "column"


def loss_plot(history: dict, folder, formats=("png", "pdf")) -> list[Path]:
    """Training and validation loss (log scale) per epoch, with the learning rate on a second axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(epochs[: len(history["val_loss"])], history["val_loss"], label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE, normalised)")
    if history.get("lr"):
        ax2 = ax.twinx()
        ax2.plot(epochs[: len(history["lr"])], history["lr"], color="grey", ls=":", label="learning rate")
        ax2.set_yscale("log")
        ax2.set_ylabel("learning rate")
    ax.legend(loc="upper right")
    ax.set_title(f"training: {len(epochs)} epochs, {history.get('seconds', 0):.1f} s")
    return _save(fig, Path(folder), "loss", formats)


def variable_plot(name: str, original: np.ndarray, reconstructed: np.ndarray, folder,
                  formats=("png", "pdf")) -> list[Path]:
    """Three panels for one variable, as Baler draws them."""
    plt = _pyplot()
    x = np.asarray(original, dtype=np.float64).ravel()
    y = np.asarray(reconstructed, dtype=np.float64).ravel()
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4))
    bins = np.histogram_bin_edges(np.concatenate([x, y]), bins=100)
    a.hist(x, bins=bins, histtype="step", label="original", lw=1.5)
    a.hist(y, bins=bins, histtype="step", label="reconstructed", lw=1.2, ls="--")
    a.set_yscale("log")
    a.set_xlabel(name)
    a.set_ylabel("entries")
    a.legend()
    a.set_title("original vs reconstructed")

    nonzero = x != 0
    resp = (y[nonzero] - x[nonzero]) / x[nonzero]
    if resp.size:
        # Near-zero originals give huge responses: draw the central 99 % and count the rest.
        lo, hi = np.percentile(resp, [0.5, 99.5])
        if not hi > lo:
            lo, hi = lo - 1e-9, hi + 1e-9
        outside = int(((resp < lo) | (resp > hi)).sum())
        b.hist(resp, bins=100, range=(lo, hi), histtype="stepfilled", alpha=0.7)
        b.text(0.02, 0.95, f"mean {resp.mean():.3g}\nRMS {np.sqrt(np.mean(resp**2)):.3g}\n{outside} outside the axis",
               transform=b.transAxes, va="top")
    zeros = int((~nonzero).sum())
    note = f" ({zeros} zero originals excluded)" if zeros else ""
    b.set_xlabel("(reconstructed - original) / original")
    b.set_title("response" + note, fontsize=10)

    res = y - x
    c.hist(res, bins=100, histtype="stepfilled", alpha=0.7, color="tab:red")
    c.text(0.02, 0.95, f"mean {res.mean():.3g}\nRMS {np.sqrt(np.mean(res**2)):.3g}\nmax |r| {np.abs(res).max():.3g}",
           transform=c.transAxes, va="top")
    c.set_xlabel("reconstructed - original")
    c.set_title("residual")
    fig.suptitle(name)
    return _save(fig, Path(folder), f"variable_{_slug(name)}", formats)


def frame_plot(original: np.ndarray, reconstructed: np.ndarray, folder, index: int = 0,
               formats=("png", "pdf")) -> list[Path]:
    """One frame: original, reconstructed and their difference."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    lo, hi = float(np.nanmin(original)), float(np.nanmax(original))
    for ax, img, title in ((axes[0], original, "original"), (axes[1], reconstructed, "reconstructed")):
        im = ax.imshow(img, vmin=lo, vmax=hi, cmap="viridis")
        ax.set_title(f"{title}, frame {index}")
        fig.colorbar(im, ax=ax, shrink=0.8)
    im = axes[2].imshow(reconstructed - original, cmap="coolwarm")
    axes[2].set_title("reconstructed - original")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    return _save(fig, Path(folder), f"frame_{index}", formats)


def write_all(folder, original: np.ndarray, reconstructed: np.ndarray, *, names: list[str], history=None,
              columns=None, formats=("png", "pdf"), title: str = "", frame_shape=None,
              max_variables: int = 16) -> list[Path]:
    """Every plot for (n, m) original / reconstructed matrices; ``names`` has one entry per column, or one
    ('all values') for frames, whose values are then pooled into one variable."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if history and history.get("loss"):
        written += loss_plot(history, folder, formats)
    if len(names) == 1 and original.shape[1] != 1:
        written += variable_plot(names[0], original, reconstructed, folder, formats)
        if frame_shape is not None:
            written += frame_plot(original[0].reshape(frame_shape), reconstructed[0].reshape(frame_shape), folder,
                                  formats=formats)
        return written
    missing = [c for c in (columns or []) if str(c) not in names]
    if missing:
        raise KeyError(f"no column(s) {missing} to plot; the data has {names}")
    chosen = list(range(len(names))) if columns is None else [names.index(str(c)) for c in columns]
    for j in chosen[:max_variables]:
        written += variable_plot(names[j], original[:, j], reconstructed[:, j], folder, formats)
    return written
